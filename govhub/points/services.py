"""The points ledger. Only this module writes ``LedgerEntry`` rows and cached balances.

``post_entry`` is the one way points change: it takes an idempotency key, writes the
entry and moves the cached balance (and service minutes) in the same transaction with a
conditional UPDATE that can never take the balance below zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from govhub.audit import services as audit
from govhub.database import (
    RetryTransaction,
    ServiceError,
    insert_ignoring_conflict,
    transactional,
)
from govhub.extensions import db
from govhub.points.models import EntryKind, LedgerAudit, LedgerEntry, PointsAccount

MAX_REASON = 500


class InsufficientPoints(ServiceError):
    pass


class KeyReused(ServiceError):
    """An idempotency key sent again with different content: refused, never answered
    with the first result."""


def account(volunteer_id: int) -> PointsAccount:
    """The volunteer's account (an unsaved empty one if they never had points)."""
    return db.session.get(PointsAccount, volunteer_id) or PointsAccount(
        volunteer_id=volunteer_id, balance=0, total_minutes=0
    )


@transactional
def post_entry(
    volunteer_id: int,
    amount: int,
    kind: EntryKind,
    *,
    key: str,
    ref: tuple[str, int] | None = None,
    actor_id: int | None = None,
    reason: str | None = None,
    minutes: int = 0,
) -> LedgerEntry:
    """Write one ledger entry and move the cached balance, once per ``key``.

    A second call with the same key and the same content returns the first entry and
    changes nothing; with different content it is refused (``KeyReused``). A debit the
    balance does not cover is refused (``InsufficientPoints``) and writes nothing.
    """
    if amount == 0 and minutes == 0:
        raise ServiceError(_("The amount cannot be zero."), field="amount")
    existing = db.session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))
    if existing is not None:
        return _same_or_refuse(existing, volunteer_id, amount, kind, ref)

    insert_ignoring_conflict(
        PointsAccount,
        {"volunteer_id": volunteer_id, "balance": 0, "total_minutes": 0},
        "volunteer_id",
    )
    moved = db.session.execute(
        update(PointsAccount)
        .where(
            PointsAccount.volunteer_id == volunteer_id,
            PointsAccount.balance + amount >= 0,
            PointsAccount.total_minutes + minutes >= 0,
        )
        .values(
            balance=PointsAccount.balance + amount,
            total_minutes=PointsAccount.total_minutes + minutes,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise InsufficientPoints(_("Not enough points."))
    inserted = insert_ignoring_conflict(
        LedgerEntry,
        {
            "volunteer_id": volunteer_id,
            "amount": amount,
            "kind": kind.value,
            "ref_type": ref[0] if ref else None,
            "ref_id": ref[1] if ref else None,
            "actor_id": actor_id,
            "reason": reason,
            "minutes": minutes,
            "idempotency_key": key,
        },
        "idempotency_key",
    )
    if not inserted:
        # A concurrent request with the same key committed first: undo our balance move
        # and run again, which then answers like a retry.
        raise RetryTransaction()
    return db.session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))


def _same_or_refuse(entry: LedgerEntry, volunteer_id, amount, kind, ref) -> LedgerEntry:
    same = (entry.volunteer_id, entry.amount, entry.kind) == (volunteer_id, amount, kind) and (
        ref is None or (entry.ref_type, entry.ref_id) == tuple(ref)
    )
    if not same:
        raise KeyReused(_("This request was already used for something else."))
    return entry


@transactional
def adjust(actor_id: int, volunteer_id: int, amount: int, reason: str, *, key: str) -> LedgerEntry:
    """A manual correction by a community admin: needs a reason, lands in the audit trail."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give a reason for the adjustment."), field="reason")
    if len(reason) > MAX_REASON:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_REASON), field="reason")
    entry = post_entry(
        volunteer_id, amount, EntryKind.adjust, key=key, actor_id=actor_id, reason=reason
    )
    audit.record(
        actor_id,
        "points.adjusted",
        "user",
        volunteer_id,
        reason=reason,
        amount=amount,
        entry_id=entry.id,
    )
    return entry


def ledger_sum(volunteer_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.volunteer_id == volunteer_id
        )
    )


@dataclass
class AuditResult:
    accounts_checked: int
    mismatches: list[dict]


@transactional
def audit_ledger(*, now: datetime) -> LedgerAudit:
    """Compare every cached balance and minutes total with the sum of its entries; record
    the run and every mismatch (admins see them)."""
    sums = (
        select(
            LedgerEntry.volunteer_id,
            func.sum(LedgerEntry.amount).label("amount"),
            func.sum(LedgerEntry.minutes).label("minutes"),
        )
        .group_by(LedgerEntry.volunteer_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            PointsAccount.volunteer_id,
            PointsAccount.balance,
            PointsAccount.total_minutes,
            func.coalesce(sums.c.amount, 0),
            func.coalesce(sums.c.minutes, 0),
        ).outerjoin(sums, sums.c.volunteer_id == PointsAccount.volunteer_id)
    ).all()
    orphans = db.session.execute(
        select(sums.c.volunteer_id, sums.c.amount)
        .outerjoin(PointsAccount, PointsAccount.volunteer_id == sums.c.volunteer_id)
        .where(PointsAccount.volunteer_id.is_(None))
    ).all()
    mismatches = [
        {
            "volunteer_id": vid,
            "balance": balance,
            "ledger": int(total),
            "minutes": minutes,
            "ledger_minutes": int(total_minutes),
        }
        for vid, balance, minutes, total, total_minutes in rows
        if balance != total or minutes != total_minutes
    ] + [{"volunteer_id": vid, "balance": None, "ledger": int(total)} for vid, total in orphans]
    run = LedgerAudit(ran_at=now, accounts_checked=len(rows), mismatches=mismatches)
    db.session.add(run)
    if mismatches:
        current_app.logger.error(
            "Ledger audit found %d mismatches: %s", len(mismatches), mismatches
        )
    return run
