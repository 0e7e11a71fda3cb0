"""Optional points expiry (off by default): points expire N months after they were credited.

Every credit (an earn entry, a refund, a positive adjustment) is a *batch*. Replaying a
volunteer's ledger in order, every debit (a redemption, a deduction) uses the oldest
batches first, and an ``expire`` entry takes exactly what was left of the one batch it
names. What remains of a batch is therefore what the volunteer still holds of it, and
only that can expire: points already spent never expire again. (Systems that compute
"earned more than N months ago minus everything spent" wipe valid balances.)

Two scheduler jobs:

- ``send_notices`` (daily) tells each volunteer, once per batch, what will expire within
  the notice period (30 days by default), in one notification per volunteer and day;
- ``expire_points`` (monthly) writes one ``expire`` entry per batch that has expired and
  whose notice went out at least the notice period ago. A batch noticed late (expiry was
  just switched on, the job was down) waits for a later run: no points expire unnoticed.

Both are idempotent: notices have a dedupe key, expire entries the key
``expire:<batch entry id>``.
"""

from __future__ import annotations

import calendar
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from govhub.clock import to_local, to_utc
from govhub.database import transactional
from govhub.extensions import db
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.models import Notification
from govhub.notifications.services import notify_once
from govhub.points import services as points
from govhub.points.models import EntryKind, LedgerEntry, PointsAccount
from govhub.references import RefType

NOTICE_KIND = NotificationKind.points_expiring


def expiry_months() -> int:
    return int(current_app.config["POINTS_EXPIRY_MONTHS"] or 0)


def notice_period() -> timedelta:
    return timedelta(days=int(current_app.config["POINTS_EXPIRY_NOTICE_DAYS"]))


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` (naive UTC) plus whole calendar months in local time; 31 January plus
    one month is the last day of February."""
    local = to_local(moment)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return to_utc(local.replace(year=year, month=month, day=day))


@dataclass
class Batch:
    entry_id: int
    credited_at: datetime
    amount: int
    left: int
    expires_at: datetime | None = None


def batches(volunteer_id: int, months: int | None = None) -> list[Batch]:
    """The volunteer's credits with what is left of each, replaying the ledger in order:
    debits use the oldest batches first; an expire entry takes its own batch."""
    months = expiry_months() if months is None else months
    entries = db.session.execute(
        select(
            LedgerEntry.id,
            LedgerEntry.amount,
            LedgerEntry.kind,
            LedgerEntry.ref_type,
            LedgerEntry.ref_id,
            LedgerEntry.created_at,
        )
        .where(LedgerEntry.volunteer_id == volunteer_id, LedgerEntry.amount != 0)
        .order_by(LedgerEntry.created_at, LedgerEntry.id)
    ).all()
    all_batches: list[Batch] = []
    by_id: dict[int, Batch] = {}
    open_batches: deque[Batch] = deque()
    for entry_id, amount, kind, ref_type, ref_id, created_at in entries:
        if amount > 0:
            batch = Batch(entry_id, created_at, amount, amount)
            if months:
                batch.expires_at = add_months(created_at, months)
            all_batches.append(batch)
            by_id[entry_id] = batch
            open_batches.append(batch)
            continue
        owed = -amount
        if kind == EntryKind.expire and ref_type == "ledger_entry" and ref_id in by_id:
            target = by_id[ref_id]
            taken = min(target.left, owed)
            target.left -= taken
            owed -= taken
        while owed and open_batches:
            oldest = open_batches[0]
            taken = min(oldest.left, owed)
            oldest.left -= taken
            owed -= taken
            if oldest.left == 0:
                open_batches.popleft()
        while open_batches and open_batches[0].left == 0:
            open_batches.popleft()
    return all_batches


def _noticed_at(volunteer_id: int) -> dict[int, datetime]:
    """When each batch was first named in an expiry notice to the volunteer."""
    rows = db.session.execute(
        select(Notification.params, Notification.created_at)
        .where(Notification.user_id == volunteer_id, Notification.kind == NOTICE_KIND)
        .order_by(Notification.created_at)
    ).all()
    noticed: dict[int, datetime] = {}
    for params, created_at in rows:
        for batch_id in (params or {}).get("batches", []):
            noticed.setdefault(int(batch_id), created_at)
    return noticed


# Calendar months differ in length (29 February plus a year is 28 February): look a few
# days further back than N months; ``batches`` then decides each batch exactly.
MONTH_END_MARGIN = timedelta(days=4)


def _volunteers_with_credits_before(moment: datetime) -> list[int]:
    """Volunteers holding points who were credited before ``moment`` (plus a margin)."""
    moment += MONTH_END_MARGIN
    return list(
        db.session.scalars(
            select(LedgerEntry.volunteer_id)
            .join(PointsAccount, PointsAccount.volunteer_id == LedgerEntry.volunteer_id)
            .where(
                LedgerEntry.amount > 0,
                LedgerEntry.created_at <= moment,
                PointsAccount.balance > 0,
            )
            .distinct()
            .order_by(LedgerEntry.volunteer_id)
        )
    )


@dataclass
class Upcoming:
    points: int
    date: datetime  # naive UTC: the earliest the points may expire


def upcoming(volunteer_id: int, *, now: datetime) -> Upcoming | None:
    """What the volunteer will lose within the notice period, for their points page."""
    if not expiry_months():
        return None
    soon = [
        b
        for b in batches(volunteer_id)
        if b.left and b.expires_at is not None and b.expires_at <= now + notice_period()
    ]
    if not soon:
        return None
    earliest = min(b.expires_at for b in soon if b.expires_at is not None)
    return Upcoming(sum(b.left for b in soon), max(earliest, now))


@transactional
def _notify(volunteer_id: int, *, now: datetime) -> bool:
    noticed = _noticed_at(volunteer_id)
    due = [
        b
        for b in batches(volunteer_id)
        if b.left
        and b.expires_at is not None
        and b.expires_at <= now + notice_period()
        and b.entry_id not in noticed
    ]
    if not due:
        return False
    # The earliest the monthly job may take them: at expiry, and a notice period from now.
    expires = max(min(b.expires_at for b in due if b.expires_at), now + notice_period())
    return notify_once(
        f"points-expiry:{volunteer_id}:{to_local(now).date().isoformat()}",
        volunteer_id,
        NOTICE_KIND,
        RefType.points,
        volunteer_id,
        now=now,
        points=sum(b.left for b in due),
        date=to_local(expires).date().isoformat(),
        batches=[b.entry_id for b in due],
    )


def send_notices(*, now: datetime) -> int:
    """Daily: tell volunteers which points will expire within the notice period."""
    months = expiry_months()
    if not months:
        return 0
    horizon = add_months(now + notice_period(), -months)
    return sum(_notify(vid, now=now) for vid in _volunteers_with_credits_before(horizon))


@transactional
def _expire(volunteer_id: int, *, now: datetime) -> int:
    points.lock_account(volunteer_id)
    noticed = _noticed_at(volunteer_id)
    written = 0
    for batch in batches(volunteer_id):
        notice = noticed.get(batch.entry_id)
        if (
            batch.left
            and batch.expires_at is not None
            and batch.expires_at <= now
            and notice is not None
            and notice <= now - notice_period()
        ):
            points.post_entry(
                volunteer_id,
                -batch.left,
                EntryKind.expire,
                key=f"expire:{batch.entry_id}",
                ref=(RefType.ledger_entry, batch.entry_id),
                now=now,
            )
            written += 1
    return written


def expire_points(*, now: datetime) -> int:
    """Monthly: write the expire entries that are due; returns how many were written."""
    months = expiry_months()
    if not months:
        return 0
    horizon = add_months(now, -months)
    return sum(_expire(vid, now=now) for vid in _volunteers_with_credits_before(horizon))
