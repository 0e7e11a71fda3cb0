"""The integrity review (防代刷时长): the scan that fills the queue, the queue of a
subtree, and the decision of a reviewer who had no hand in what they review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, case, func, select, update
from sqlalchemy.orm import joinedload

from govhub.audit import services as audit
from govhub.audit.models import AuditEvent
from govhub.checkin.models import Attendance, AttendanceStatus, VoidReason
from govhub.database import (
    ServiceError,
    end_read,
    get_or_raise,
    in_batches,
    insert_many_ignoring_conflict,
    required_text,
    transactional,
)
from govhub.extensions import db
from govhub.integrity import signals
from govhub.integrity.models import ReviewItem, ReviewStatus
from govhub.needs.models import Need, Shift
from govhub.orgs.models import OrgUnit
from govhub.pagination import PAGE_SIZE, Cursor, KeysetPage, keyset_page
from govhub.points import services as points
from govhub.points.models import EntryKind, LedgerEntry
from govhub.references import RefType

MAX_REASON = 500
# The audit actions of an attendance whose actors had a hand in its hours.
HANDS_ON = (*signals.MANUAL_ACTIONS, "attendance.hours_changed")


class AlreadyDecided(ServiceError):
    pass


# --- The scan --------------------------------------------------------------------------


def _merge(existing: list, new: list[dict]) -> list:
    """The item's signals with ``new`` ones added: one entry per code and subject (the
    latest facts win), in a stable order."""
    merged = {(s["code"], s.get("side"), s.get("other_attendance_id")): s for s in existing}
    for facts in new:
        merged[(facts["code"], facts.get("side"), facts.get("other_attendance_id"))] = facts
    return sorted(merged.values(), key=lambda s: (str(s["code"]), str(s.get("side") or "")))


# Findings queued per write transaction (``database.in_batches``).
QUEUE_BATCH = 250


def scan(*, now: datetime) -> int:
    """Put on the queue whatever the detectors find in the recent window, and add new
    signals to waiting items; a decided item is never reopened. Returns how many items
    were added. Running it again adds nothing twice.

    The detectors' aggregate queries run in a read transaction, so on SQLite they do
    not hold the write lock (check-ins go on meanwhile); only queueing what they found
    is a write transaction, ``QUEUE_BATCH`` items at a time (the first scan of a city
    finds a year's worth). What is written after the read is found by the next scan.
    """
    end_read()  # a fresh snapshot
    found = signals.detect(now=now)
    end_read()  # end the read before the write begins
    return in_batches(
        sorted(found), QUEUE_BATCH, lambda keys: _queue({k: found[k] for k in keys}, now=now)
    )


@transactional
def _queue(found: dict[tuple[str, int], list[signals.Finding]], *, now: datetime) -> int:
    attendance_ids = sorted(i for kind, i in found if kind == "attendance")
    owners = {
        attendance_id: (community_id, volunteer_id)
        for attendance_id, community_id, volunteer_id in db.session.execute(
            select(Attendance.id, Need.community_id, Attendance.volunteer_id)
            .join(Shift, Shift.id == Attendance.shift_id)
            .join(Need, Need.id == Shift.need_id)
            .where(Attendance.id.in_(attendance_ids or [-1]))
        )
    }
    existing = {
        ("attendance", item.attendance_id)
        if item.attendance_id is not None
        else ("entry", item.entry_id): item
        for item in db.session.scalars(
            select(ReviewItem).where(
                ReviewItem.attendance_id.in_(attendance_ids or [-1])
                | ReviewItem.entry_id.in_(sorted(i for k, i in found if k == "entry") or [-1])
            )
        )
    }
    new: dict[str, list[dict]] = {"attendance_id": [], "entry_id": []}
    for key, findings in found.items():
        facts = [{**f.facts, "code": str(f.facts["code"])} for f in findings]
        item = existing.get(key)
        if item is not None:
            if item.status is ReviewStatus.pending:
                merged = _merge(item.signals, facts)
                if merged != item.signals:
                    item.signals = merged
            continue
        kind, ident = key
        if kind == "attendance":
            if ident not in owners:
                continue
            community_id, volunteer_id = owners[ident]
        else:
            if findings[0].community_id is None or findings[0].volunteer_id is None:
                continue
            community_id, volunteer_id = findings[0].community_id, findings[0].volunteer_id
        column = "attendance_id" if kind == "attendance" else "entry_id"
        new[column].append(
            {
                column: ident,
                "community_id": community_id,
                "volunteer_id": volunteer_id,
                "signals": _merge([], facts),
                "status": ReviewStatus.pending.value,
                "found_at": now,
                "unrecovered": 0,
            }
        )
    return sum(
        insert_many_ignoring_conflict(ReviewItem, rows, column) for column, rows in new.items()
    )


# --- Who had a hand in it --------------------------------------------------------------


def involved(item: ReviewItem) -> set[int]:
    """The people who may not decide ``item``: the volunteer, whoever entered or changed
    the attendance by hand or confirmed its hours, whoever made the adjustment."""
    people = {item.volunteer_id}
    if item.attendance_id is not None:
        people.update(
            actor
            for actor in db.session.scalars(
                select(AuditEvent.actor_id).where(
                    AuditEvent.target_type == RefType.attendance.value,
                    AuditEvent.target_id == item.attendance_id,
                    AuditEvent.action.in_(HANDS_ON),
                )
            )
            if actor is not None
        )
        attendance = db.session.get(Attendance, item.attendance_id)
        if attendance is not None and attendance.confirmed_by_id is not None:
            people.add(attendance.confirmed_by_id)
    if item.entry_id is not None:
        entry = db.session.get(LedgerEntry, item.entry_id)
        if entry is not None and entry.actor_id is not None:
            people.add(entry.actor_id)
    return people


# --- The decision ----------------------------------------------------------------------


def hands_on_message() -> str:
    return _(
        "You had a hand in this (you entered, changed or confirmed it, or it is yours): "
        "another admin of the community, or the street, decides it."
    )


def _reverse(item: ReviewItem, actor_id: int, reason: str, *, now: datetime) -> None:
    """Take back, by one ledger entry, what ``item`` earned or moved — as much as the
    balance allows (it never goes negative); the rest is kept as ``unrecovered``."""
    if item.attendance_id is not None:
        ref, key = (RefType.attendance, item.attendance_id), f"attendance:{item.attendance_id}"
        amount, minutes = db.session.execute(
            select(
                func.coalesce(func.sum(LedgerEntry.amount), 0),
                func.coalesce(func.sum(LedgerEntry.minutes), 0),
            ).where(
                LedgerEntry.ref_type == RefType.attendance.value,
                LedgerEntry.ref_id == item.attendance_id,
            )
        ).one()
    else:
        assert item.entry_id is not None
        ref, key = (RefType.ledger_entry, item.entry_id), f"ledger_entry:{item.entry_id}"
        entry = db.session.get_one(LedgerEntry, item.entry_id)
        amount, minutes = entry.amount, entry.minutes
    if amount == 0 and minutes == 0:
        return
    account = points.lock_account(item.volunteer_id)
    taken = min(amount, account.balance) if amount > 0 else amount
    minutes_back = min(minutes, account.total_minutes) if minutes > 0 else minutes
    item.unrecovered = amount - taken if amount > 0 else 0
    if taken == 0 and minutes_back == 0:
        return
    entry = points.post_entry(
        item.volunteer_id,
        -taken,
        EntryKind.adjust,
        key=f"{key}:rejected",
        ref=ref,
        actor_id=actor_id,
        reason=_("Rejected in the integrity review: %(why)s", why=reason)[:MAX_REASON],
        minutes=-minutes_back,
        now=now,
    )
    item.reversal_entry_id = entry.id


@transactional
def decide(
    actor_id: int, item_id: int, *, reject: bool, reason: str | None, now: datetime
) -> ReviewItem:
    """Clear or reject a waiting item. A rejection needs a reason: the attendance then
    earns nothing (its points and minutes are reversed through the ledger, never
    deleted) or the adjustment is undone. Nobody decides what they had a hand in, and an
    item is decided once (a second, concurrent decision is refused)."""
    item = get_or_raise(ReviewItem, item_id, _l("No such review item."))
    if actor_id in involved(item):
        raise ServiceError(hands_on_message())
    if reject:
        reason = required_text(reason, "reason", MAX_REASON, _l("Say why it is rejected."))
    else:
        reason = (reason or "").strip() or None
        if reason is not None:
            reason = required_text(reason, "reason", MAX_REASON, _l("Say why it is rejected."))
    status = ReviewStatus.rejected if reject else ReviewStatus.cleared
    moved = cast(
        CursorResult[Any],
        db.session.execute(
            update(ReviewItem)
            .where(ReviewItem.id == item.id, ReviewItem.status == ReviewStatus.pending)
            .values(status=status, decided_at=now, decided_by_id=actor_id, reason=reason)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if moved != 1:
        raise AlreadyDecided(_("This item was already decided."))
    db.session.refresh(item)
    if item.attendance_id is not None:
        attendance = db.session.get_one(Attendance, item.attendance_id)
        attendance.needs_review = False
        if reject:
            assert reason is not None
            _reverse(item, actor_id, reason, now=now)
            attendance.status = AttendanceStatus.void
            attendance.void_reason = VoidReason.rejected
            attendance.note = reason
    elif reject:
        assert reason is not None
        _reverse(item, actor_id, reason, now=now)
    target = (
        (RefType.attendance, item.attendance_id)
        if item.attendance_id is not None
        else (RefType.ledger_entry, item.entry_id)
    )
    audit.record(
        actor_id,
        "integrity.rejected" if reject else "integrity.cleared",
        target[0],
        target[1],
        reason=reason,
        unit_id=item.community_id,
        item_id=item.id,
        volunteer_id=item.volunteer_id,
        unrecovered=item.unrecovered,
    )
    return item


# --- Reading the queue -----------------------------------------------------------------


def queue(
    scope,
    *,
    status: ReviewStatus = ReviewStatus.pending,
    unit: OrgUnit | None = None,
    cursor: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> KeysetPage[ReviewItem]:
    """A page of the items of ``status`` in the subtree ``scope`` (an SQL condition on
    ``OrgUnit``; None: everywhere), narrowed to ``unit``'s subtree; newest first."""
    query = (
        select(ReviewItem)
        .join(OrgUnit, OrgUnit.id == ReviewItem.community_id)
        .where(ReviewItem.status == status)
        .options(joinedload(ReviewItem.volunteer))
    )
    if scope is not None:
        query = query.where(scope)
    if unit is not None:
        query = query.where(OrgUnit.subtree_clause(unit.path))
    return keyset_page(query, [ReviewItem.id], cursor, descending=True, limit=limit)


@dataclass(frozen=True)
class Counts:
    waiting: int = 0
    cleared: int = 0
    rejected: int = 0
    rejected_minutes: int = 0


def _grouped_counts(unit: OrgUnit, start: datetime | None, end: datetime | None):
    """(community path, waiting, cleared, rejected, minutes rejected) per community of
    ``unit``'s subtree that has items: one statement."""
    decided = ReviewItem.status != ReviewStatus.pending
    if start is not None:
        decided = decided & (ReviewItem.decided_at >= start)
    if end is not None:
        decided = decided & (ReviewItem.decided_at < end)
    rejected = decided & (ReviewItem.status == ReviewStatus.rejected)
    return db.session.execute(
        select(
            OrgUnit.path,
            func.count().filter(ReviewItem.status == ReviewStatus.pending),
            func.count().filter(decided & (ReviewItem.status == ReviewStatus.cleared)),
            func.count().filter(rejected),
            func.coalesce(func.sum(case((rejected, Attendance.minutes), else_=0)), 0),
        )
        .select_from(ReviewItem)
        .join(OrgUnit, OrgUnit.id == ReviewItem.community_id)
        .outerjoin(Attendance, Attendance.id == ReviewItem.attendance_id)
        .where(OrgUnit.subtree_clause(unit.path))
        .group_by(OrgUnit.path)
    ).all()


def _add(total: Counts, row) -> Counts:
    """``total`` with one row of ``_grouped_counts`` added."""
    waiting, cleared, rejected, minutes = (int(value or 0) for value in row[1:])
    return Counts(
        total.waiting + waiting,
        total.cleared + cleared,
        total.rejected + rejected,
        total.rejected_minutes + minutes,
    )


def counts(unit: OrgUnit, start: datetime | None = None, end: datetime | None = None) -> Counts:
    """How many items of ``unit``'s subtree wait now, and were cleared and rejected (with
    the minutes the rejected attendance had claimed) — decided in [``start``, ``end``)
    when given."""
    total = Counts()
    for row in _grouped_counts(unit, start, end):
        total = _add(total, row)
    return total


def counts_by_child(unit: OrgUnit) -> list[tuple[OrgUnit, Counts]]:
    """``counts`` of each child of ``unit``, in one statement whatever their number."""
    children = list(unit.children)
    found = {child.path: Counts() for child in children}
    parts = unit.path.count("/")  # "/1/3/" has 3; a child's "/1/3/4/" one part more
    for row in _grouped_counts(unit, None, None):
        child_path = "/".join(row[0].split("/")[: parts + 1]) + "/"
        if child_path in found:
            found[child_path] = _add(found[child_path], row)
    return [(child, found[child.path]) for child in children]
