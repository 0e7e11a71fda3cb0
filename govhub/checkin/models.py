"""Check-in and check-out (签到 / 签退), the hours served, and who may run a shift."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.accounts.models import User
from govhub.database import enum_type, utcnow
from govhub.enums import LabelledEnum
from govhub.extensions import Model
from govhub.needs.models import Shift


class Evidence(LabelledEnum):
    """How a check-in or check-out was recorded: shown wherever hours appear."""

    code_scan = "code_scan", _l("Scanned the code")  # the volunteer scanned the rotating code
    # the organizer scanned the volunteer's card
    card_scan = "card_scan", _l("Card scanned by the organizer")
    manual = "manual", _l("Entered by an admin")  # typed in by an admin, with a reason
    auto = "auto", _l("Automatic at the end")  # check-out at the end of the shift by the system


class AttendanceStatus(LabelledEnum):
    present = "present", _l("Recorded")  # checked in; hours not confirmed yet
    confirmed = "confirmed", _l("Confirmed")
    no_show = "no_show", _l("No-show")
    void = "void", _l("Earns nothing")  # settled without points: see ``void_reason``


class VoidReason(LabelledEnum):
    """Why an attendance was settled without points."""

    need_cancelled = "need_cancelled", _l("The need was cancelled")
    # the organizer took the volunteer off the shift
    removed = "removed", _l("Removed from the shift by the organizer")
    # a second admin or the street found it faked (govhub/integrity); any points it earned
    # were reversed through the ledger
    rejected = "rejected", _l("Rejected in the integrity review")


class Attendance(Model):
    """One volunteer at one shift: at most one row (UNIQUE), whatever scans twice."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("shift_id", "volunteer_id"),
        Index("ix_attendance_status_shift", "status", "shift_id"),
        Index("ix_attendance_volunteer_confirmed", "volunteer_id", "confirmed_at"),
        CheckConstraint("minutes IS NULL OR minutes >= 0", name="minutes_not_negative"),
        CheckConstraint(
            "checked_out_at IS NULL OR checked_out_at >= checked_in_at", name="out_after_in"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    checked_in_at: Mapped[datetime | None]
    checked_out_at: Mapped[datetime | None]
    check_in_evidence: Mapped[Evidence | None] = mapped_column(
        enum_type(Evidence, 16, name="check_in_evidence")
    )
    check_out_evidence: Mapped[Evidence | None] = mapped_column(
        enum_type(Evidence, 16, name="check_out_evidence")
    )
    status: Mapped[AttendanceStatus] = mapped_column(
        enum_type(AttendanceStatus, 16), default=AttendanceStatus.present
    )
    # Confirmed minutes (set at confirmation: recorded, or adjusted by the admin).
    minutes: Mapped[int | None]
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Why the admin changed the hours, marked a no-show, or cancelled / removed.
    note: Mapped[str | None] = mapped_column(String(500))
    # Set with status ``void``: why this attendance earns nothing.
    void_reason: Mapped[VoidReason | None] = mapped_column(enum_type(VoidReason, 16))
    # Earns points although entered by hand: a second admin should look.
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    shift: Mapped[Shift] = relationship()
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    @property
    def manual(self) -> bool:
        return Evidence.manual in (self.check_in_evidence, self.check_out_evidence)

    @property
    def auto_checked_out(self) -> bool:
        return self.check_out_evidence is Evidence.auto

    @property
    def void(self) -> bool:
        return self.status is AttendanceStatus.void


class ShiftLeader(Model):
    """A volunteer the admin names to run one shift's check-in."""

    __tablename__ = "shift_leader"

    shift_id: Mapped[int] = mapped_column(
        ForeignKey("shift.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )

    user: Mapped[User] = relationship()


class VolunteerCard(Model):
    """The personal QR card for volunteers without a smartphone; revoking it bumps the
    version so every printed copy stops working."""

    __tablename__ = "volunteer_card"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(default=1)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
