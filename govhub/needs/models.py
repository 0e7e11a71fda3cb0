"""The needs list (需求清单): needs, their shifts, claims (认领), resident requests and ratings."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.accounts.models import Skill, User
from govhub.database import enum_type, utcnow
from govhub.enums import LabelledEnum
from govhub.extensions import Model, db
from govhub.orgs.models import OrgUnit


class Category(Model):
    """An entry of the managed list of need categories."""

    __tablename__ = "need_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(40))

    @property
    def name(self) -> str:
        locale = get_locale()
        return self.name_en if locale is not None and locale.language == "en" else self.name_zh


class CategoryRate(Model):
    """A community's points coefficient for a category, in percent (150 = 1.5×)."""

    __tablename__ = "category_rate"
    __table_args__ = (CheckConstraint("percent BETWEEN 10 AND 1000", name="percent_range"),)

    community_id: Mapped[int] = mapped_column(
        ForeignKey("org_unit.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[int] = mapped_column(
        ForeignKey("need_category.id", ondelete="CASCADE"), primary_key=True
    )
    percent: Mapped[int] = mapped_column(default=100)


class NeedStatus(LabelledEnum):
    draft = "draft", _l("Draft")
    open = "open", _l("Open")
    closed = "closed", _l("Closed")
    completed = "completed", _l("Completed")
    cancelled = "cancelled", _l("Cancelled")


class PointsMode(enum.StrEnum):
    per_hour = "per_hour"
    fixed = "fixed"


class Visibility(enum.StrEnum):
    community = "community"
    street = "street"


need_skill = Table(
    "need_skill",
    db.metadata,
    Column("need_id", ForeignKey("need.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skill.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class Need(Model):
    __tablename__ = "need"
    __table_args__ = (
        Index("ix_need_status_community", "status", "community_id"),
        CheckConstraint("points_per_hour BETWEEN 0 AND 1000", name="points_per_hour_range"),
        CheckConstraint(
            "fixed_points IS NULL OR fixed_points BETWEEN 0 AND 100000", name="fixed_range"
        ),
        CheckConstraint(
            "max_minutes_per_shift IS NULL OR max_minutes_per_shift > 0", name="cap_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    # The grid of the community where it happens, when it is one grid's (matching ranks
    # volunteers of that grid first); None: the whole community.
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    title: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("need_category.id"), index=True)
    place: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(40))
    contact_phone: Mapped[str] = mapped_column(String(11))
    points_mode: Mapped[PointsMode] = mapped_column(
        enum_type(PointsMode, 16), default=PointsMode.per_hour
    )
    points_per_hour: Mapped[int] = mapped_column(default=10)
    fixed_points: Mapped[int | None]
    # Hours credited per shift are capped at this (None: the shift's length).
    max_minutes_per_shift: Mapped[int | None]
    visibility: Mapped[Visibility] = mapped_column(
        enum_type(Visibility, 16), default=Visibility.community
    )
    status: Mapped[NeedStatus] = mapped_column(enum_type(NeedStatus, 16), default=NeedStatus.draft)
    # A party task (党员先锋岗): matching ranks party members higher for it.
    party_task: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    community: Mapped[OrgUnit] = relationship(foreign_keys=[community_id], lazy="joined")
    grid: Mapped[OrgUnit | None] = relationship(foreign_keys=[grid_id])
    category: Mapped[Category] = relationship(lazy="joined")
    skills: Mapped[list[Skill]] = relationship(secondary=need_skill, order_by=Skill.name)
    shifts: Mapped[list[Shift]] = relationship(
        back_populates="need", order_by="Shift.starts_at", cascade="all, delete-orphan"
    )
    request: Mapped[ResidentRequest | None] = relationship(
        back_populates="need", foreign_keys="ResidentRequest.need_id", uselist=False
    )

    def __repr__(self) -> str:
        return f"<Need {self.id} {self.title}>"

    def points_for(self, minutes: int) -> int:
        """Points a volunteer earns for ``minutes`` of confirmed service in one shift."""
        if self.points_mode is PointsMode.fixed:
            return self.fixed_points or 0
        if self.max_minutes_per_shift is not None:
            minutes = min(minutes, self.max_minutes_per_shift)
        return self.points_per_hour * minutes // 60


class Shift(Model):
    __tablename__ = "shift"
    __table_args__ = (
        Index("ix_shift_need_starts", "need_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity BETWEEN 1 AND 500", name="capacity_range"),
        CheckConstraint("claimed >= 0 AND claimed <= capacity", name="claimed_within_capacity"),
    )

    MAX_CAPACITY = 500

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    capacity: Mapped[int]
    # Confirmed claims, kept in step by conditional UPDATEs so capacity holds under load.
    claimed: Mapped[int] = mapped_column(default=0)
    walk_ins: Mapped[bool] = mapped_column(Boolean, default=False)

    need: Mapped[Need] = relationship(back_populates="shifts")
    claims: Mapped[list[Claim]] = relationship(back_populates="shift", passive_deletes=True)

    @property
    def places_left(self) -> int:
        return self.capacity - self.claimed

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def points(self) -> int:
        return self.need.points_for(self.minutes)


class ClaimStatus(LabelledEnum):
    confirmed = "confirmed", _l("Claimed")
    waitlisted = "waitlisted", _l("On the waiting list")
    cancelled = "cancelled", _l("Cancelled")
    removed = "removed", _l("Removed by the organizer")


ACTIVE_CLAIM = (ClaimStatus.confirmed, ClaimStatus.waitlisted)


class Claim(Model):
    """One volunteer's hold on a place in a shift (or a place on its waiting list).

    One row per volunteer and shift: claiming again after cancelling reuses the row.
    """

    __tablename__ = "claim"
    __table_args__ = (
        UniqueConstraint("shift_id", "volunteer_id"),
        Index("ix_claim_shift_status_queued", "shift_id", "status", "queued_at"),
        Index("ix_claim_volunteer_status", "volunteer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[ClaimStatus] = mapped_column(enum_type(ClaimStatus, 16))
    # Order on the waiting list: first come, first promoted.
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    reason: Mapped[str | None] = mapped_column(String(500))
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Set when the place is one a unit holds for its members (一键认领).
    unit_hold_id: Mapped[int | None] = mapped_column(ForeignKey("unit_hold.id"), index=True)

    shift: Mapped[Shift] = relationship(back_populates="claims")
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])


class UnitHold(Model):
    """Places of a shift that a stationed unit claims as a unit (一键认领) for its members.

    ``places`` count in ``Shift.claimed`` from the moment the unit holds them, so nobody
    else can take them; each member who claims one raises ``used`` (their claim carries
    ``unit_hold_id`` and does not touch ``Shift.claimed`` again). Cancelling such a claim
    gives the place back to the unit; releasing the hold gives the unused places back to
    the shift. Every place is still claimed by a person: a unit invites, never assigns.
    """

    __tablename__ = "unit_hold"
    __table_args__ = (
        UniqueConstraint("shift_id", "partner_id"),
        CheckConstraint("used >= 0 AND used <= places", name="used_within_places"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    places: Mapped[int]
    used: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    shift: Mapped[Shift] = relationship()
    partner = relationship("Partner", lazy="joined")

    @property
    def places_left(self) -> int:
        return self.places - self.used


class Urgency(LabelledEnum):
    low = "low", _l("Not urgent")
    normal = "normal", _l("Within a week")
    high = "high", _l("Within two days")
    urgent = "urgent", _l("Urgent: today")


class RequestStatus(LabelledEnum):
    submitted = "submitted", _l("Waiting for review")
    accepted = "accepted", _l("Accepted: a need was posted")
    declined = "declined", _l("Declined")


class ResidentRequest(Model):
    """A resident's request for help (居民诉求), reviewed by the community.

    ``requester`` is the account that submitted it: the resident, or a community admin
    who submitted it on behalf of a resident without a phone (``on_behalf``).
    """

    __tablename__ = "resident_request"
    __table_args__ = (Index("ix_resident_request_community_status", "community_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)
    resident_name: Mapped[str | None] = mapped_column(String(40))
    resident_building: Mapped[str | None] = mapped_column(String(80))
    what: Mapped[str] = mapped_column(String(80))
    details: Mapped[str] = mapped_column(Text, default="")
    when_text: Mapped[str] = mapped_column(String(100), default="")
    place: Mapped[str] = mapped_column(String(200))
    urgency: Mapped[Urgency] = mapped_column(enum_type(Urgency, 16), default=Urgency.normal)
    status: Mapped[RequestStatus] = mapped_column(
        enum_type(RequestStatus, 16), default=RequestStatus.submitted
    )
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    need_id: Mapped[int | None] = mapped_column(ForeignKey("need.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped[OrgUnit] = relationship(lazy="joined")
    requester: Mapped[User] = relationship(foreign_keys=[requester_id], lazy="joined")
    need: Mapped[Need | None] = relationship(back_populates="request", foreign_keys=[need_id])

    @property
    def resident_display(self) -> str:
        return (self.resident_name or "") if self.on_behalf else self.requester.name


class Rating(Model):
    """1–5 stars and a comment on a need, one per person per need."""

    __tablename__ = "rating"
    __table_args__ = (
        UniqueConstraint("need_id", "user_id"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # "resident" (the request's resident) or "volunteer" (attended the activity).
    role: Mapped[str] = mapped_column(String(16))
    stars: Mapped[int]
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
