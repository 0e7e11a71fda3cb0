"""Partners: stationed units (驻区单位) and caring businesses (爱心商家)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.database import enum_type, utcnow
from govhub.enums import LabelledEnum
from govhub.extensions import Model
from govhub.orgs.models import OrgUnit


class PartnerKind(LabelledEnum):
    unit = "unit", _l("Stationed unit")
    business = "business", _l("Caring business")


class PartnerStatus(LabelledEnum):
    applied = "applied", _l("Applied")
    approved = "approved", _l("Approved")
    rejected = "rejected", _l("Rejected")
    suspended = "suspended", _l("Suspended")


class Partner(Model):
    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PartnerKind] = mapped_column(enum_type(PartnerKind, 16))
    name: Mapped[str] = mapped_column(String(80), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(40), default="")
    contact_phone: Mapped[str] = mapped_column(String(11), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PartnerStatus] = mapped_column(
        enum_type(PartnerStatus, 16),
        default=PartnerStatus.applied,
        index=True,
    )
    # The account that applied, when the applicant was logged in; it becomes the
    # partner's first staff member on approval.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped[OrgUnit] = relationship(lazy="joined")
    owner = relationship("User", foreign_keys=[owner_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<Partner {self.id} {self.name}>"
