"""The resources list (资源清单): what units, businesses, social organisations and
volunteers offer a community, and the commitments that take part of it.

A resource's ``remaining`` is what is still free to commit. It only ever changes by a
conditional UPDATE in ``resources.services`` (``remaining >= n``), so concurrent
commitments can never take it below zero; the CHECK constraint is the last line.
"""

from __future__ import annotations

from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.accounts.models import User
from govhub.database import enum_type, utcnow
from govhub.enums import LabelledEnum
from govhub.extensions import Model
from govhub.orgs.models import OrgUnit
from govhub.partners.models import Partner


class ResourceKind(LabelledEnum):
    venue = "venue", _l("Venue or room")
    goods = "goods", _l("Goods or materials")
    service = "service", _l("Professional service or skill")
    funds = "funds", _l("Funds")
    team = "team", _l("Volunteer team")


class ResourceStatus(LabelledEnum):
    # offered: nothing committed yet; committed: part committed, some left;
    # exhausted: nothing left; withdrawn: the provider took it off the list.
    offered = "offered", _l("On offer")
    committed = "committed", _l("Partly committed")
    exhausted = "exhausted", _l("Fully committed")
    withdrawn = "withdrawn", _l("Withdrawn")


class Resource(Model):
    """One offer on the resources list.

    The provider is a partner (a unit or a business), a volunteer, or, when a community
    admin records it for a unit without an account, only ``provider_name``."""

    __tablename__ = "resource"
    __table_args__ = (
        CheckConstraint("quantity BETWEEN 1 AND 1000000000", name="quantity_range"),
        CheckConstraint(
            "remaining >= 0 AND remaining <= quantity", name="remaining_within_quantity"
        ),
        CheckConstraint(
            "available_until IS NULL OR available_from IS NULL "
            "OR available_until >= available_from",
            name="availability_ordered",
        ),
        CheckConstraint(
            "partner_id IS NOT NULL OR volunteer_id IS NOT NULL OR provider_name <> ''",
            name="has_provider",
        ),
        Index("ix_resource_area_status", "area_id", "status"),
        Index("ix_resource_partner_status", "partner_id", "status"),
    )

    MAX_QUANTITY = 1_000_000_000

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ResourceKind] = mapped_column(enum_type(ResourceKind, 16))
    title: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    # How much is offered, in ``unit_label`` (间, 箱, 小时, 元, 人 …), and how much is left.
    quantity: Mapped[int]
    remaining: Mapped[int]
    unit_label: Mapped[str] = mapped_column(String(16))
    # Local dates, both inclusive; None means open-ended. Weekly windows, when there are
    # any, narrow it further (ResourceWindow).
    available_from: Mapped[date | None]
    available_until: Mapped[date | None]
    # The org unit it serves: a grid, community, street or district.
    area_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    provider_name: Mapped[str] = mapped_column(String(80), default="")
    contact_name: Mapped[str] = mapped_column(String(40), default="")
    contact_phone: Mapped[str] = mapped_column(String(11), default="")
    status: Mapped[ResourceStatus] = mapped_column(
        enum_type(ResourceStatus, 16), default=ResourceStatus.offered
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    area: Mapped[OrgUnit] = relationship(lazy="joined")
    partner: Mapped[Partner | None] = relationship(lazy="joined")
    volunteer: Mapped[User | None] = relationship(foreign_keys=[volunteer_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    windows: Mapped[list[ResourceWindow]] = relationship(
        back_populates="resource",
        cascade="all, delete-orphan",
        order_by="(ResourceWindow.weekday, ResourceWindow.starts)",
        lazy="selectin",
    )
    commitments: Mapped[list[ResourceCommitment]] = relationship(
        back_populates="resource", order_by="ResourceCommitment.id"
    )

    @property
    def provider(self) -> str:
        if self.partner is not None:
            return self.partner.name
        if self.volunteer is not None:
            return self.volunteer.name
        return self.provider_name

    @property
    def committed(self) -> int:
        return self.quantity - self.remaining


class ResourceWindow(Model):
    """A recurring weekly window when a resource is available (weekday 0 = Monday)."""

    __tablename__ = "resource_window"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("ends > starts", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    starts: Mapped[time]
    ends: Mapped[time]

    resource: Mapped[Resource] = relationship(back_populates="windows")


class CommitmentStatus(LabelledEnum):
    active = "active", _l("Committed")
    released = "released", _l("Released")


class ResourceCommitment(Model):
    """Part of a resource committed to a need (and, with the projects list, a project).

    Committing takes ``quantity`` from ``Resource.remaining``; releasing gives it back."""

    __tablename__ = "resource_commitment"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        Index("ix_resource_commitment_resource_status", "resource_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    quantity: Mapped[int]
    need_id: Mapped[int | None] = mapped_column(ForeignKey("need.id"), index=True)
    # Committed to a project of the projects list (项目清单) rather than to one of its needs.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[CommitmentStatus] = mapped_column(
        enum_type(CommitmentStatus, 16), default=CommitmentStatus.active
    )
    # An idempotency key: a retried commit (double tap, replayed form) writes nothing twice.
    key: Mapped[str | None] = mapped_column(String(64), unique=True)
    committed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    released_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))

    resource: Mapped[Resource] = relationship(back_populates="commitments")
    need = relationship("Need")
    project = relationship("Project")
    committed_by: Mapped[User | None] = relationship(foreign_keys=[committed_by_id])
