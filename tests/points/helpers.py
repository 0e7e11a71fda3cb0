"""Data for the points tests: confirmed service through the real services, reads."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import func, select

from govhub.accounts import services as accounts
from govhub.checkin import services as checkin
from govhub.checkin.models import Evidence
from govhub.extensions import db
from govhub.needs import claims
from govhub.points import services as points
from govhub.points.models import EntryKind, LedgerEntry, PointsAccount
from tests.factories import NOW, make_need

_keys = itertools.count(1)


def serve(
    tree,
    volunteer,
    admin,
    *,
    at: datetime = NOW - timedelta(days=3),
    hours: int = 2,
    title: str = "Visit lonely elders",
    community: str = "community_a",
):
    """A shift of ``hours`` starting ``at`` that ``volunteer`` claimed, scanned in and out
    of, and ``admin`` confirmed: the real way hours and points are earned. Returns the
    attendance."""
    posted = at - timedelta(days=1)
    need = make_need(
        tree,
        admin=admin,
        community=community,
        title=title,
        shifts=((1, hours, 5),),
        now=posted,
    )
    shift = need.shifts[0]
    claims.claim_shift(volunteer.id, shift.id, now=posted)
    checkin.check_in(volunteer.id, shift.id, now=shift.starts_at, evidence=Evidence.code_scan)
    checkin.check_out(volunteer.id, shift.id, now=shift.ends_at, evidence=Evidence.code_scan)
    checkin.confirm_shift(admin.id, shift.id, {}, now=shift.ends_at + timedelta(minutes=1))
    return checkin.attendance_of(shift.id, volunteer.id)


def earn(volunteer_id: int, amount: int, *, minutes: int = 0, now: datetime | None = None):
    return points.post_entry(
        volunteer_id,
        amount,
        EntryKind.earn,
        key=f"test-earn:{next(_keys)}",
        minutes=minutes,
        now=now,
    )


def redeem(volunteer_id: int, amount: int, *, now: datetime | None = None):
    return points.post_entry(
        volunteer_id, -amount, EntryKind.redeem, key=f"test-redeem:{next(_keys)}", now=now
    )


def english(user) -> None:
    """Show this user's pages in English, whatever the catalog holds."""
    accounts.set_preferences(user.id, locale="en")


def balance(volunteer_id: int) -> int:
    db.session.expire_all()
    account = db.session.get(PointsAccount, volunteer_id)
    return account.balance if account else 0


def entry_count(volunteer_id: int | None = None) -> int:
    query = select(func.count()).select_from(LedgerEntry)
    if volunteer_id is not None:
        query = query.where(LedgerEntry.volunteer_id == volunteer_id)
    return db.session.scalar(query)
