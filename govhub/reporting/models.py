"""双报到: stationed units (驻区单位) and in-service party members (在职党员) report to a
community, which confirms them; the quarterly service cards (服务登记卡) that flow back
to a member's employer unit.

A unit's reports are ``UnitReport`` rows, one per community and term: a renewal is a
new row (``renewal_of``), so the history of every year stays. The same holds for
``MemberReport``. A report counts while it is confirmed and ``valid_until`` has not
passed (the term is a setting, ``GOVHUB_REPORT_TERM_MONTHS``).
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.accounts.models import User
from govhub.database import enum_type, utcnow
from govhub.enums import LabelledEnum
from govhub.extensions import Model, db
from govhub.needs.models import Category
from govhub.orgs.models import OrgUnit
from govhub.partners.models import Partner
from govhub.resources.models import Resource


class ReportStatus(LabelledEnum):
    pending = "pending", _l("Waiting for confirmation")
    confirmed = "confirmed", _l("Confirmed")
    returned = "returned", _l("Returned")
    withdrawn = "withdrawn", _l("Withdrawn")


class ReportChannel(LabelledEnum):
    profile = "profile", _l("From the profile")
    qr = "qr", _l("By the community's reporting QR")


# The kinds of need a unit will take on (need categories).
unit_report_category = Table(
    "unit_report_category",
    db.metadata,
    Column("report_id", ForeignKey("unit_report.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "category_id",
        ForeignKey("need_category.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)

# The resources a unit offers the community with its report.
unit_report_resource = Table(
    "unit_report_resource",
    db.metadata,
    Column("report_id", ForeignKey("unit_report.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "resource_id",
        ForeignKey("resource.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)


class UnitReport(Model):
    """A stationed unit's report to one community for one term (驻区单位到社区报到)."""

    __tablename__ = "unit_report"
    __table_args__ = (
        CheckConstraint("party_members BETWEEN 0 AND 100000", name="party_members_range"),
        Index("ix_unit_report_partner_status", "partner_id", "status"),
        Index("ix_unit_report_community_status", "community_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    # The unit's liaison (联络员): a govhub account that sees the unit's members' service.
    liaison_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # In-service party members the unit declares: the base of its reporting completion.
    party_members: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[ReportStatus] = mapped_column(
        enum_type(ReportStatus, 16), default=ReportStatus.pending
    )
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))
    # Local date, inclusive; set when confirmed.
    valid_until: Mapped[date | None]
    renewal_of_id: Mapped[int | None] = mapped_column(ForeignKey("unit_report.id"))
    # When the "renew before it lapses" reminder went out (sent once per report).
    reminded_at: Mapped[datetime | None]

    partner: Mapped[Partner] = relationship(lazy="joined")
    community: Mapped[OrgUnit] = relationship(lazy="joined")
    liaison: Mapped[User] = relationship(foreign_keys=[liaison_id])
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    categories: Mapped[list[Category]] = relationship(
        secondary=unit_report_category, order_by=Category.id, lazy="selectin"
    )
    resources: Mapped[list[Resource]] = relationship(
        secondary=unit_report_resource, order_by=Resource.id, lazy="selectin"
    )
    renewal_of: Mapped[UnitReport | None] = relationship(remote_side=[id])


class MemberReport(Model):
    """An in-service party member's report to their home community (在职党员到社区报到).

    The employer is a unit on govhub (``partner``) or, when it is not there yet, a name;
    the unit's liaison can later claim such a report for the unit."""

    __tablename__ = "member_report"
    __table_args__ = (
        Index("ix_member_report_user_status", "user_id", "status"),
        Index("ix_member_report_partner_status", "partner_id", "status"),
        Index("ix_member_report_community_status", "community_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    employer_name: Mapped[str] = mapped_column(String(80), default="")
    channel: Mapped[ReportChannel] = mapped_column(
        enum_type(ReportChannel, 16), default=ReportChannel.profile
    )
    status: Mapped[ReportStatus] = mapped_column(
        enum_type(ReportStatus, 16), default=ReportStatus.pending
    )
    # The grid the community places the member in (下沉网格), set when confirmed.
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))
    valid_until: Mapped[date | None]
    renewal_of_id: Mapped[int | None] = mapped_column(ForeignKey("member_report.id"))
    reminded_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    community: Mapped[OrgUnit] = relationship(foreign_keys=[community_id], lazy="joined")
    grid: Mapped[OrgUnit | None] = relationship(foreign_keys=[grid_id])
    partner: Mapped[Partner | None] = relationship(lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    renewal_of: Mapped[MemberReport | None] = relationship(remote_side=[id])

    @property
    def employer(self) -> str:
        return self.partner.name if self.partner is not None else self.employer_name


class ServiceCard(Model):
    """A quarterly service card (服务登记卡): the community's record of one reported
    member's service, issued to the member's employer unit. Figures are kept as issued."""

    __tablename__ = "service_card"
    __table_args__ = (
        UniqueConstraint("member_report_id", "year", "quarter"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_range"),
        CheckConstraint(
            "quarter_minutes >= 0 AND year_minutes >= 0 AND target_minutes >= 0",
            name="minutes_not_negative",
        ),
        Index("ix_service_card_partner_year", "partner_id", "year", "quarter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_report_id: Mapped[int] = mapped_column(ForeignKey("member_report.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    year: Mapped[int]
    quarter: Mapped[int]
    # Confirmed service in the quarter and in the year up to the quarter's end, and the
    # yearly target when the card was issued.
    quarter_minutes: Mapped[int]
    year_minutes: Mapped[int]
    target_minutes: Mapped[int]
    claims: Mapped[int] = mapped_column(default=0)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    received_at: Mapped[datetime | None]

    member_report: Mapped[MemberReport] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    partner: Mapped[Partner | None] = relationship()
    community: Mapped[OrgUnit] = relationship()
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])

    @property
    def on_target(self) -> bool:
        return self.year_minutes >= self.target_minutes


class ClaimRefusal(Model):
    """A member said "not my employer" to a unit that claimed their free-text report: that
    unit's liaison is not offered the report again (added by migration 0010)."""

    __tablename__ = "member_report_claim_refusal"

    member_report_id: Mapped[int] = mapped_column(
        ForeignKey("member_report.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    refused_at: Mapped[datetime] = mapped_column(default=utcnow)
