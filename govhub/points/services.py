"""The points ledger. Only this module writes ``LedgerEntry`` rows and cached balances.

``post_entry`` is the one way points change: it takes an idempotency key, writes the
entry and moves the cached balance (and service minutes) in the same transaction with a
conditional UPDATE that can never take the balance below zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import joinedload

from govhub.accounts.models import User, VolunteerProfile
from govhub.accounts.validation import normalize_phone
from govhub.audit import services as audit
from govhub.checkin.models import Attendance
from govhub.database import (
    RetryTransaction,
    ServiceError,
    end_read,
    insert_ignoring_conflict,
    required_text,
    transactional,
    utcnow,
)
from govhub.extensions import db
from govhub.needs.models import Shift
from govhub.orgs.models import OrgUnit
from govhub.pagination import Cursor, keyset_page
from govhub.points.models import EntryKind, LedgerAudit, LedgerEntry, PointsAccount
from govhub.points.signals import ledger_ref_titles
from govhub.references import RefType

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


def lock_account(volunteer_id: int) -> PointsAccount:
    """Create the volunteer's account if needed and lock its row for this transaction, so
    work that reads the balance before writing (a redemption, expiry) runs one at a time
    per volunteer. On SQLite, BEGIN IMMEDIATE already serializes writers."""
    insert_ignoring_conflict(
        PointsAccount,
        {"volunteer_id": volunteer_id, "balance": 0, "total_minutes": 0},
        "volunteer_id",
    )
    return db.session.scalars(
        select(PointsAccount)
        .where(PointsAccount.volunteer_id == volunteer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


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
    now: datetime | None = None,
) -> LedgerEntry:
    """Write one ledger entry and move the cached balance, once per ``key``.

    A second call with the same key and the same content returns the first entry and
    changes nothing; with different content it is refused (``KeyReused``). A debit the
    balance does not cover is refused (``InsufficientPoints``) and writes nothing.
    ``now`` stamps the entry (the wall clock when not given).
    """
    return _post(
        volunteer_id,
        amount,
        kind,
        key=key,
        ref=ref,
        actor_id=actor_id,
        reason=reason,
        minutes=minutes,
        now=now,
    ).entry


@dataclass
class Posted:
    entry: LedgerEntry
    written: bool  # False: the key had been used before and nothing changed


def _post(
    volunteer_id: int,
    amount: int,
    kind: EntryKind,
    *,
    key: str,
    ref: tuple[str, int] | None,
    actor_id: int | None,
    reason: str | None,
    minutes: int,
    now: datetime | None,
) -> Posted:
    """The body of ``post_entry`` (call it inside a transaction), saying whether it wrote."""
    if amount == 0 and minutes == 0:
        raise ServiceError(_("The amount cannot be zero."), field="amount")
    existing = db.session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))
    if existing is not None:
        return Posted(_same_or_refuse(existing, volunteer_id, amount, kind, ref), written=False)

    insert_ignoring_conflict(
        PointsAccount,
        {"volunteer_id": volunteer_id, "balance": 0, "total_minutes": 0},
        "volunteer_id",
    )
    moved = cast(
        CursorResult[Any],
        db.session.execute(
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
        ),
    ).rowcount
    if moved != 1:
        if db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.idempotency_key == key)):
            # The same key committed while we waited for the balance (PostgreSQL): run
            # again, which answers like a retry instead of "not enough points".
            raise RetryTransaction()
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
            "created_at": now or utcnow(),
        },
        "idempotency_key",
    )
    if not inserted:
        # A concurrent request with the same key committed first: undo our balance move
        # and run again, which then answers like a retry.
        raise RetryTransaction()
    entry = db.session.scalars(select(LedgerEntry).where(LedgerEntry.idempotency_key == key)).one()
    return Posted(entry, written=True)


def _same_or_refuse(entry: LedgerEntry, volunteer_id, amount, kind, ref) -> LedgerEntry:
    same = (entry.volunteer_id, entry.amount, entry.kind) == (volunteer_id, amount, kind) and (
        ref is None or (entry.ref_type, entry.ref_id) == tuple(ref)
    )
    if not same:
        raise KeyReused(_("This request was already used for something else."))
    return entry


@transactional
def adjust(
    actor_id: int,
    volunteer_id: int,
    amount: int,
    reason: str,
    *,
    key: str,
    now: datetime | None = None,
) -> LedgerEntry:
    """A manual correction by a community admin: needs a reason, lands in the audit trail.

    Sent again with the same key (a double submit) it writes nothing, not even a second
    audit event. A deduction larger than the balance is refused at the amount field.
    """
    if actor_id == volunteer_id:
        raise ServiceError(
            _("You cannot adjust your own points: another admin of your community does that."),
            field="amount",
        )
    reason = required_text(reason, "reason", MAX_REASON, _l("Give a reason for the adjustment."))
    if amount == 0:
        raise ServiceError(_("The amount cannot be zero."), field="amount")
    try:
        posted = _post(
            volunteer_id,
            amount,
            EntryKind.adjust,
            key=key,
            ref=None,
            actor_id=actor_id,
            reason=reason,
            minutes=0,
            now=now,
        )
    except InsufficientPoints:
        raise InsufficientPoints(
            _(
                "The volunteer has only %(n)d points; a deduction cannot be larger "
                "than the balance.",
                n=account(volunteer_id).balance,
            ),
            field="amount",
        ) from None
    entry = posted.entry
    if posted.written:
        audit.record(
            actor_id,
            "points.adjusted",
            RefType.user,
            volunteer_id,
            reason=reason,
            at=now,
            amount=amount,
            entry_id=entry.id,
        )
    return entry


def earned_for(ref_type: RefType, ref_ids: list[int]) -> dict[int, int]:
    """The points earned for each of these references (e.g. attendances), in one query;
    a reference nothing was earned for is absent."""
    if not ref_ids:
        return {}
    rows = db.session.execute(
        select(LedgerEntry.ref_id, func.sum(LedgerEntry.amount))
        .where(
            LedgerEntry.kind == EntryKind.earn,
            LedgerEntry.ref_type == ref_type.value,
            LedgerEntry.ref_id.in_(set(ref_ids)),
        )
        .group_by(LedgerEntry.ref_id)
    )
    return {ref_id: int(amount) for ref_id, amount in rows if ref_id is not None}


def ledger_sum(volunteer_id: int) -> int:
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.volunteer_id == volunteer_id
            )
        )
        or 0
    )


@dataclass
class AuditResult:
    accounts_checked: int
    mismatches: list[dict]


def audit_ledger(*, now: datetime) -> LedgerAudit:
    """Compare every cached balance and minutes total with the sum of its entries; record
    the run and every mismatch (admins see them).

    The comparison is one statement in a read transaction: it sees one snapshot of the
    accounts and the ledger, and on SQLite it does not hold the write lock while it reads
    millions of entries, so check-ins and redemptions go on meanwhile. Only recording
    the run is a (short) write transaction.
    """
    end_read()  # a fresh snapshot, not a request's older one
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
    end_read()  # end the read before the write begins
    return _record_audit(now, len(rows), mismatches)


@transactional
def _record_audit(now: datetime, accounts_checked: int, mismatches: list[dict]) -> LedgerAudit:
    run = LedgerAudit(ran_at=now, accounts_checked=accounts_checked, mismatches=mismatches)
    db.session.add(run)
    if mismatches:
        current_app.logger.error(
            "Ledger audit found %d mismatches: %s", len(mismatches), mismatches
        )
    return run


def audit_runs(limit: int = 20) -> list[LedgerAudit]:
    """The latest runs of the ledger audit, newest first."""
    return list(
        db.session.scalars(
            select(LedgerAudit)
            .order_by(LedgerAudit.ran_at.desc(), LedgerAudit.id.desc())
            .limit(limit)
        )
    )


# --- Star level (星级志愿者) ----------------------------------------------------------


def _thresholds_minutes() -> list[int]:
    return [hours * 60 for hours in current_app.config["STAR_THRESHOLDS_HOURS"]]


def star_level(total_minutes: int) -> int:
    """Stars (0–5) for ``total_minutes`` of confirmed service: one per threshold reached."""
    return sum(1 for threshold in _thresholds_minutes() if total_minutes >= threshold)


def minutes_to_next_star(total_minutes: int) -> int | None:
    """Minutes of service still needed for the next star; None at the top level."""
    for threshold in _thresholds_minutes():
        if total_minutes < threshold:
            return threshold - total_minutes
    return None


def hours_to_next_star(total_minutes: int) -> float | None:
    """Hours still needed for the next star, rounded up to a tenth; None at the top."""
    minutes = minutes_to_next_star(total_minutes)
    return None if minutes is None else math.ceil(minutes / 6) / 10


def max_stars() -> int:
    return len(current_app.config["STAR_THRESHOLDS_HOURS"])


@dataclass
class Summary:
    balance: int
    total_minutes: int
    stars: int
    max_stars: int
    hours_to_next: float | None


def summary(volunteer_id: int) -> Summary:
    """Balance, confirmed service time and star level, from the cached account."""
    acct = account(volunteer_id)
    return Summary(
        balance=acct.balance,
        total_minutes=acct.total_minutes,
        stars=star_level(acct.total_minutes),
        max_stars=max_stars(),
        hours_to_next=hours_to_next_star(acct.total_minutes),
    )


# --- History -------------------------------------------------------------------------

HISTORY_PAGE_SIZE = 20


@dataclass
class HistoryRow:
    """A ledger entry with what it was for: the attendance (with its shift and need) or,
    for a person's decision, who decided."""

    entry: LedgerEntry
    attendance: Attendance | None = None
    actor_name: str | None = None
    # For redemptions and their refunds: what the voucher was for.
    voucher_title: str | None = None


@dataclass
class HistoryPage:
    rows: list[HistoryRow] = field(default_factory=list)
    # The id to continue below (?before=) when there are older entries.
    next_before: int | None = None


def history(
    volunteer_id: int, *, before: int | None = None, per_page: int = HISTORY_PAGE_SIZE
) -> HistoryPage:
    """The volunteer's ledger, newest first, ``per_page`` entries older than the entry
    ``before``. At most four queries whatever the page size: the entries, the attendances they
    refer to (with shift, need and community), the vouchers' titles, and the names of the
    people who acted."""
    query = select(LedgerEntry).where(LedgerEntry.volunteer_id == volunteer_id)
    cursor = Cursor((before,)) if before is not None else None
    page = keyset_page(
        query, [LedgerEntry.id], cursor, descending=True, limit=per_page, look_back=False
    )
    entries = page.items

    attendance_ids = {e.ref_id for e in entries if e.ref_type == "attendance" and e.ref_id}
    attendances: dict[int | None, Attendance] = {}
    if attendance_ids:
        attendances = {
            a.id: a
            for a in db.session.scalars(
                select(Attendance)
                .where(Attendance.id.in_(attendance_ids))
                .options(joinedload(Attendance.shift).joinedload(Shift.need))
            )
        }
    voucher_ids = {e.ref_id for e in entries if e.ref_type == "redemption" and e.ref_id}
    titles: dict[int | None, str] = {}
    if voucher_ids:
        for _receiver, found in ledger_ref_titles.send("redemption", ids=voucher_ids):
            titles.update(found)
    actor_ids = {e.actor_id for e in entries if e.actor_id}
    names: dict[int | None, str] = {}
    if actor_ids:
        names = dict(
            db.session.execute(select(User.id, User.name).where(User.id.in_(actor_ids))).all()
        )
    rows = [
        HistoryRow(
            entry,
            attendances.get(entry.ref_id) if entry.ref_type == "attendance" else None,
            names.get(entry.actor_id),
            titles.get(entry.ref_id) if entry.ref_type == "redemption" else None,
        )
        for entry in entries
    ]
    return HistoryPage(rows, int(page.older) if page.older else None)


# --- Finding a volunteer -------------------------------------------------------------

MAX_FOUND = 20


def find_volunteers(phone: str, scope_clause, *, limit: int = MAX_FOUND) -> list[User]:
    """Volunteers whose home community satisfies ``scope_clause`` (a condition on
    ``OrgUnit``, from ``permissions``) by their whole mobile number or a part of it (at
    least 4 digits)."""
    digits = normalize_phone(phone)
    if len(digits) < 4 or not digits.isdigit():
        return []
    query = (
        select(User)
        .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .join(OrgUnit, OrgUnit.id == VolunteerProfile.community_id)
        .where(scope_clause)
    )
    if len(digits) == 11:
        query = query.where(User.phone == digits)
    else:
        query = query.where(User.phone.contains(digits, autoescape=True))
    return list(db.session.scalars(query.order_by(User.name, User.id).limit(limit)))


def users_by_id(user_ids) -> dict[int, User]:
    """Users by id, in one query (with their profiles, for permission checks)."""
    if not user_ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(set(user_ids))))}
