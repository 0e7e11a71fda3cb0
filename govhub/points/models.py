"""Points (积分): the append-only ledger and each volunteer's cached account."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.accounts.models import User
from govhub.database import enum_type, utcnow
from govhub.enums import LabelledEnum
from govhub.extensions import Model, db
from govhub.orgs.models import OrgUnit


class EntryKind(LabelledEnum):
    earn = "earn", _l("Earned")
    redeem = "redeem", _l("Redeemed")
    refund = "refund", _l("Refunded")
    adjust = "adjust", _l("Adjusted")
    expire = "expire", _l("Expired")


class LedgerEntry(Model):
    """One change of a volunteer's points. Never updated, never deleted.

    ``idempotency_key`` is UNIQUE: a retried request, a double click or a job that runs
    twice writes nothing the second time.
    """

    __tablename__ = "ledger_entry"
    __append_only__ = True  # govhub.database._keep_append_only
    __table_args__ = (
        Index("ix_ledger_entry_volunteer_created", "volunteer_id", "created_at"),
        Index("ix_ledger_entry_kind_created", "kind", "created_at"),
        # A volunteer's history, newest first (the id is the order), on both databases.
        Index("ix_ledger_entry_volunteer_id", "volunteer_id", "id"),
        # Points earned or minutes served per volunteer in a period (leaderboards),
        # covering both: more selective than kind + created_at, which reads every earn
        # entry of the city.
        Index(
            "ix_ledger_entry_volunteer_kind_created",
            "volunteer_id",
            "kind",
            "created_at",
            "amount",
            "minutes",
        ),
        # An entry moves points, or records service minutes that earned no points.
        CheckConstraint("amount <> 0 OR minutes <> 0", name="not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    amount: Mapped[int]
    kind: Mapped[EntryKind] = mapped_column(enum_type(EntryKind, 16))
    # What caused it: ("attendance", id), ("redemption", id), or None for an adjustment.
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[int | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str | None] = mapped_column(String(500))
    # Service minutes this entry stands for (earn entries from attendance), for hours totals.
    minutes: Mapped[int] = mapped_column(default=0)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class PointsAccount(Model):
    """A volunteer's balance and confirmed service time, cached from the ledger.

    Changed only by ``points.services.post_entry``, in the entry's own transaction; the
    database refuses a negative balance whatever the Python code does.
    """

    __tablename__ = "points_account"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("total_minutes >= 0", name="minutes_not_negative"),
    )

    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    balance: Mapped[int] = mapped_column(default=0)
    total_minutes: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LedgerAudit(Model):
    """A run of the nightly check that every cached balance equals its ledger sum."""

    __tablename__ = "ledger_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    accounts_checked: Mapped[int] = mapped_column(default=0)
    mismatches: Mapped[list] = mapped_column(db.JSON, default=list)


class ServiceRecord(Model):
    """A service record (志愿服务记录): the volunteer's confirmed service, frozen when issued.

    ``activities`` is a snapshot, so a record reads the same however the needs and
    attendances change later: a list of ``{"attendance_id", "date" (local, ISO), "title",
    "community", "minutes", "evidence" (an ``Evidence`` value)}``. ``request_key`` is the
    idempotency key of the issuing form: a double submit issues one record.
    """

    __tablename__ = "service_record"
    __table_args__ = (CheckConstraint("total_minutes >= 0", name="minutes_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "GH-2026-000042": the year issued and the id.
    number: Mapped[str] = mapped_column(String(40), unique=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    volunteer_name: Mapped[str] = mapped_column(String(40))
    community_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    issued_at: Mapped[datetime]
    total_minutes: Mapped[int]
    activities: Mapped[list] = mapped_column(db.JSON, default=list)
    request_key: Mapped[str] = mapped_column(String(120), unique=True)

    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    community: Mapped[OrgUnit] = relationship(lazy="joined")
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])
