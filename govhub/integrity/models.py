"""The integrity review (防代刷时长): what needs a second look, and the decision on it."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.accounts.models import User
from govhub.database import enum_type, utcnow
from govhub.enums import LabelledEnum
from govhub.extensions import Model
from govhub.orgs.models import OrgUnit


class ReviewStatus(LabelledEnum):
    pending = "pending", _l("Waiting for a second look")
    cleared = "cleared", _l("Cleared")
    rejected = "rejected", _l("Rejected: earns nothing")


class Signal(LabelledEnum):
    """Why an attendance or an adjustment is on the review queue (``integrity.signals``)."""

    manual = "manual", _l("Entered by hand")
    adjustment = "adjustment", _l("Points adjusted by hand")
    hours_changed = "hours_changed", _l("Hours changed at confirmation")
    back_dated = "back_dated", _l("Back-dated")
    over_length = "over_length", _l("More hours than the shift")
    burst = "burst", _l("Many entries in a short time")
    mostly_manual = "mostly_manual", _l("An activity mostly entered by hand")
    overlap = "overlap", _l("In two activities at once")
    same_day_no_scans = "same_day_no_scans", _l("Created and completed the same day, no scans")


class ReviewItem(Model):
    """One attendance or one points adjustment that needs a second look.

    ``signals`` is a list of ``{"code": <Signal value>, ...facts}``: what fired and the
    facts its explanation shows (``integrity.signals.explain``). Found by the scheduled
    scan (``integrity.services.scan``), which adds signals to a waiting item and never
    reopens a decided one. A reviewer who had no hand in it clears or rejects it
    (``integrity.services.decide``); a rejection reverses the points through the ledger.
    """

    __tablename__ = "review_item"
    __table_args__ = (
        Index("ix_review_item_community_status", "community_id", "status"),
        CheckConstraint(
            "(attendance_id IS NULL) <> (entry_id IS NULL)", name="attendance_or_entry"
        ),
        CheckConstraint("unrecovered >= 0", name="unrecovered_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    attendance_id: Mapped[int | None] = mapped_column(
        ForeignKey("attendance.id", ondelete="CASCADE"), unique=True
    )
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"), unique=True)
    signals: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[ReviewStatus] = mapped_column(
        enum_type(ReviewStatus, 16), default=ReviewStatus.pending
    )
    found_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str | None] = mapped_column(String(500))
    # A rejection's reversing ledger entry, and the points it could not take back because
    # the volunteer had spent them already (balances never go negative).
    reversal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    unrecovered: Mapped[int] = mapped_column(default=0)

    community: Mapped[OrgUnit] = relationship(lazy="joined")
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def codes(self) -> set[str]:
        return {s["code"] for s in self.signals}
