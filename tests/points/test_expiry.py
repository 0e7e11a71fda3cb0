"""Optional points expiry: what is left of each credit expires N months after it was
credited, after a notice, and points already spent never expire again."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from govhub.extensions import db
from govhub.notifications.models import Notification
from govhub.points import expiry
from govhub.points import services as points
from govhub.points.models import EntryKind, LedgerEntry
from govhub.rewards import vouchers
from tests.factories import make_tree, make_user
from tests.rewards.helpers import shop_world

# 10:00 on 15 January 2027 in Shanghai (naive UTC, like every stored time).
T0 = datetime(2027, 1, 15, 2, 0)
# When a credit at T0 expires with POINTS_EXPIRY_MONTHS=12.
E1 = datetime(2028, 1, 15, 2, 0)
NOTICE = timedelta(days=30)
SECOND = timedelta(seconds=1)

expiry_on = pytest.mark.app_config(POINTS_EXPIRY_MONTHS=12)
_keys = itertools.count(1)


def months(n: int, start: datetime = T0) -> datetime:
    return expiry.add_months(start, n)


def credit(volunteer_id: int, amount: int, at: datetime, kind=EntryKind.earn) -> LedgerEntry:
    return points.post_entry(volunteer_id, amount, kind, key=f"credit:{next(_keys)}", now=at)


def debit(volunteer_id: int, amount: int, at: datetime, kind=EntryKind.redeem) -> LedgerEntry:
    return points.post_entry(volunteer_id, -amount, kind, key=f"debit:{next(_keys)}", now=at)


def balance(volunteer_id: int) -> int:
    db.session.expire_all()
    return points.account(volunteer_id).balance


def consistent(volunteer_id: int) -> bool:
    """The cached balance equals the ledger and is not negative."""
    return balance(volunteer_id) == points.ledger_sum(volunteer_id) >= 0


def expire_entries(volunteer_id: int | None = None) -> list[LedgerEntry]:
    query = select(LedgerEntry).where(LedgerEntry.kind == EntryKind.expire)
    if volunteer_id is not None:
        query = query.where(LedgerEntry.volunteer_id == volunteer_id)
    return list(db.session.scalars(query.order_by(LedgerEntry.id)))


def notices(volunteer_id: int | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.kind == "points_expiring")
    if volunteer_id is not None:
        query = query.where(Notification.user_id == volunteer_id)
    return list(db.session.scalars(query.order_by(Notification.id)))


def left(volunteer_id: int) -> list[tuple[int, int, int]]:
    """(entry id, amount, left) of each of the volunteer's batches, oldest first."""
    return [(b.entry_id, b.amount, b.left) for b in expiry.batches(volunteer_id)]


@pytest.fixture
def volunteer(app):
    return make_user(make_tree(), name="张晓明")


# --- Off by default ------------------------------------------------------------------


def test_expiry_is_off_by_default(volunteer):
    credit(volunteer.id, 100, T0)
    entries = db.session.scalar(select(func.count()).select_from(LedgerEntry))

    assert expiry.send_notices(now=E1 - NOTICE) == 0
    assert expiry.send_notices(now=E1 + timedelta(days=400)) == 0
    assert expiry.expire_points(now=E1 + timedelta(days=60)) == 0
    assert expiry.expire_points(now=E1 + timedelta(days=800)) == 0

    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == entries
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    assert balance(volunteer.id) == 100
    assert expiry.upcoming(volunteer.id, now=E1) is None
    assert [b.expires_at for b in expiry.batches(volunteer.id)] == [None]


@pytest.mark.app_config(POINTS_EXPIRY_MONTHS=0)
def test_zero_months_keeps_points_forever(volunteer):
    credit(volunteer.id, 100, T0)
    assert expiry.send_notices(now=E1) == 0
    assert expiry.expire_points(now=E1 + timedelta(days=400)) == 0
    assert expire_entries() == [] and notices() == []


# --- What expires: only what is left of each batch ------------------------------------


@expiry_on
def test_only_what_is_left_of_the_first_batch_expires(volunteer):
    """Earn 100, spend 80 a month later, earn 50 two months after the start: a year on,
    20 expire (what is left of the first 100), never the 50 earned later."""
    first = credit(volunteer.id, 100, T0)
    debit(volunteer.id, 80, months(1))
    second = credit(volunteer.id, 50, months(2))
    assert left(volunteer.id) == [(first.id, 100, 20), (second.id, 50, 50)]
    assert [b.expires_at for b in expiry.batches(volunteer.id)] == [E1, months(14)]

    assert expiry.send_notices(now=E1 - NOTICE) == 1
    [notice] = notices(volunteer.id)
    assert notice.params["points"] == 20
    assert notice.params["batches"] == [first.id]
    assert notice.params["date"] == "2028-01-15"  # the local date

    assert expiry.expire_points(now=E1) == 1

    [expired] = expire_entries(volunteer.id)
    assert expired.amount == -20
    assert (expired.ref_type, expired.ref_id) == ("ledger_entry", first.id)
    assert expired.idempotency_key == f"expire:{first.id}"
    assert expired.created_at == E1
    assert balance(volunteer.id) == 50
    assert consistent(volunteer.id)
    assert left(volunteer.id) == [(first.id, 100, 0), (second.id, 50, 50)]

    # The 50 earned later never expire early: not a month later, not the day before.
    assert expiry.expire_points(now=E1 + timedelta(days=31)) == 0
    assert expiry.send_notices(now=months(14) - NOTICE - timedelta(days=1)) == 0
    assert expiry.send_notices(now=months(14) - NOTICE) == 1
    assert notices(volunteer.id)[-1].params["points"] == 50
    assert expiry.expire_points(now=months(14) - SECOND) == 0
    assert balance(volunteer.id) == 50
    assert consistent(volunteer.id)

    # …and at their own time.
    assert expiry.expire_points(now=months(14)) == 1
    assert [e.amount for e in expire_entries(volunteer.id)] == [-20, -50]
    assert balance(volunteer.id) == 0
    assert consistent(volunteer.id)


@expiry_on
def test_points_all_spent_never_expire(volunteer):
    credit(volunteer.id, 100, T0)
    debit(volunteer.id, 100, months(1))
    later = credit(volunteer.id, 30, months(3))

    assert expiry.send_notices(now=E1 - NOTICE) == 0
    assert expiry.send_notices(now=E1) == 0
    assert expiry.expire_points(now=E1 + timedelta(days=45)) == 0

    assert expire_entries() == []
    assert notices() == []
    assert balance(volunteer.id) == 30
    assert left(volunteer.id)[-1] == (later.id, 30, 30)


@expiry_on
def test_a_volunteer_with_nothing_left_is_left_alone(volunteer):
    credit(volunteer.id, 100, T0)
    debit(volunteer.id, 100, months(1))

    assert expiry.send_notices(now=E1 - NOTICE) == 0
    assert expiry.expire_points(now=E1 + timedelta(days=60)) == 0
    assert balance(volunteer.id) == 0
    assert consistent(volunteer.id)


@expiry_on
def test_spending_uses_the_oldest_batches_first(volunteer):
    b1 = credit(volunteer.id, 40, T0)
    b2 = credit(volunteer.id, 30, months(1))
    b3 = credit(volunteer.id, 50, months(2))
    debit(volunteer.id, 60, months(3))

    assert left(volunteer.id) == [(b1.id, 40, 0), (b2.id, 30, 10), (b3.id, 50, 50)]

    # The first batch is all spent: at its expiry nothing is noticed or expired.
    assert expiry.send_notices(now=E1 - NOTICE) == 0
    assert expiry.expire_points(now=E1 + timedelta(days=1)) == 0
    # The second has 10 left.
    assert expiry.send_notices(now=months(13) - NOTICE) == 1
    assert notices(volunteer.id)[-1].params["batches"] == [b2.id]
    assert notices(volunteer.id)[-1].params["points"] == 10
    assert expiry.expire_points(now=months(13)) == 1
    [expired] = expire_entries(volunteer.id)
    assert (expired.amount, expired.ref_id) == (-10, b2.id)
    assert balance(volunteer.id) == 50
    # A later debit takes from the third batch only.
    debit(volunteer.id, 20, months(13) + timedelta(days=1))
    assert left(volunteer.id) == [(b1.id, 40, 0), (b2.id, 30, 0), (b3.id, 50, 30)]
    assert consistent(volunteer.id)


@expiry_on
def test_a_debit_spanning_batches_and_an_adjustment_deduction_are_first_in_first_out(volunteer):
    b1 = credit(volunteer.id, 10, T0)
    b2 = credit(volunteer.id, 10, T0 + timedelta(days=1))
    b3 = credit(volunteer.id, 10, T0 + timedelta(days=2))
    debit(volunteer.id, 15, T0 + timedelta(days=3))
    assert left(volunteer.id) == [(b1.id, 10, 0), (b2.id, 10, 5), (b3.id, 10, 10)]
    debit(volunteer.id, 7, T0 + timedelta(days=4), kind=EntryKind.adjust)
    assert left(volunteer.id) == [(b1.id, 10, 0), (b2.id, 10, 0), (b3.id, 10, 8)]


@expiry_on
def test_points_spent_after_the_notice_do_not_expire(volunteer):
    first = credit(volunteer.id, 100, T0)
    debit(volunteer.id, 80, months(1))
    second = credit(volunteer.id, 50, months(2))
    assert expiry.send_notices(now=E1 - NOTICE) == 1

    # The volunteer takes the hint and spends 30: the 20 noticed go first.
    debit(volunteer.id, 30, E1 - timedelta(days=10))

    assert expiry.expire_points(now=E1) == 0
    assert expire_entries() == []
    assert balance(volunteer.id) == 40
    assert left(volunteer.id) == [(first.id, 100, 0), (second.id, 50, 40)]
    assert consistent(volunteer.id)


@expiry_on
def test_a_partly_spent_batch_expires_only_its_rest(volunteer):
    first = credit(volunteer.id, 100, T0)
    credit(volunteer.id, 50, months(2))
    assert expiry.send_notices(now=E1 - NOTICE) == 1
    assert notices(volunteer.id)[0].params["points"] == 100
    debit(volunteer.id, 60, E1 - timedelta(days=5))

    assert expiry.expire_points(now=E1) == 1

    [expired] = expire_entries(volunteer.id)
    assert (expired.amount, expired.ref_id) == (-40, first.id)
    assert balance(volunteer.id) == 50
    assert consistent(volunteer.id)


# --- Notices -------------------------------------------------------------------------


@expiry_on
def test_one_notice_per_volunteer_naming_their_points(app):
    tree = make_tree()
    alice = make_user(tree, name="Alice")
    bob = make_user(tree, name="Bob")
    carol = make_user(tree, name="Carol")
    a1 = credit(alice.id, 100, T0)
    a2 = credit(alice.id, 20, T0 + timedelta(days=10))
    b1 = credit(bob.id, 70, T0)
    credit(carol.id, 90, months(3))  # not due yet
    day = E1 - NOTICE + timedelta(days=10)  # both of Alice's batches are due

    assert expiry.send_notices(now=day) == 2

    [to_alice] = notices(alice.id)
    assert to_alice.params["points"] == 120
    assert sorted(to_alice.params["batches"]) == sorted([a1.id, a2.id])
    assert to_alice.params["date"] == "2028-01-25"
    assert (to_alice.target_type, to_alice.target_id) == ("points", alice.id)
    [to_bob] = notices(bob.id)
    assert (to_bob.params["points"], to_bob.params["batches"]) == (70, [b1.id])
    assert notices(carol.id) == []


@expiry_on
def test_a_notice_is_sent_once(volunteer):
    credit(volunteer.id, 100, T0)
    day = E1 - NOTICE  # 10:00 in Shanghai

    assert expiry.send_notices(now=day) == 1
    assert expiry.send_notices(now=day + timedelta(hours=5)) == 0  # the same local day
    assert expiry.send_notices(now=day + timedelta(days=1)) == 0  # the batch was noticed
    assert expiry.send_notices(now=E1 + timedelta(days=3)) == 0

    assert len(notices(volunteer.id)) == 1


@expiry_on
def test_each_batch_is_noticed_once_when_it_comes_due(volunteer):
    b1 = credit(volunteer.id, 100, T0)
    b2 = credit(volunteer.id, 25, T0 + timedelta(days=5))

    assert expiry.send_notices(now=E1 - NOTICE) == 1
    assert expiry.send_notices(now=E1 - NOTICE + timedelta(days=2)) == 0
    assert expiry.send_notices(now=E1 - NOTICE + timedelta(days=5)) == 1

    assert [(n.params["batches"], n.params["points"]) for n in notices(volunteer.id)] == [
        ([b1.id], 100),
        ([b2.id], 25),
    ]


@expiry_on
def test_nothing_is_noticed_before_the_notice_period(volunteer):
    credit(volunteer.id, 100, T0)
    assert expiry.send_notices(now=E1 - NOTICE - SECOND) == 0
    assert expiry.upcoming(volunteer.id, now=E1 - NOTICE - SECOND) is None
    upcoming = expiry.upcoming(volunteer.id, now=E1 - NOTICE)
    assert (upcoming.points, upcoming.date) == (100, E1)


@expiry_on
def test_nothing_expires_without_a_notice(volunteer):
    credit(volunteer.id, 100, T0)

    assert expiry.expire_points(now=E1 + timedelta(days=90)) == 0

    assert expire_entries() == []
    assert balance(volunteer.id) == 100


@expiry_on
def test_points_noticed_late_expire_only_a_notice_period_after_the_notice(volunteer):
    """Expiry switched on (or the job down) after the points were due: they expire a
    full notice period after the volunteer was told, not at once."""
    credit(volunteer.id, 100, T0)
    late = E1 + timedelta(days=10)

    assert expiry.send_notices(now=late) == 1
    [notice] = notices(volunteer.id)
    assert notice.params["date"] == "2028-02-24"  # the notice promises 30 more days

    assert expiry.expire_points(now=late) == 0
    assert expiry.expire_points(now=late + NOTICE - timedelta(days=1)) == 0
    assert expire_entries() == []
    assert balance(volunteer.id) == 100

    assert expiry.expire_points(now=late + NOTICE) == 1
    assert balance(volunteer.id) == 0
    assert consistent(volunteer.id)


@pytest.mark.app_config(POINTS_EXPIRY_MONTHS=12, POINTS_EXPIRY_NOTICE_DAYS=7)
def test_the_notice_period_comes_from_the_configuration(volunteer):
    credit(volunteer.id, 100, T0)
    assert expiry.send_notices(now=E1 - timedelta(days=8)) == 0
    assert expiry.send_notices(now=E1 - timedelta(days=7)) == 1
    assert expiry.expire_points(now=E1) == 1
    assert balance(volunteer.id) == 0


# --- Idempotency and the ledger ------------------------------------------------------


@expiry_on
def test_expiring_twice_writes_once(volunteer):
    first = credit(volunteer.id, 100, T0)
    credit(volunteer.id, 40, months(6))
    expiry.send_notices(now=E1 - NOTICE)

    assert expiry.expire_points(now=E1) == 1
    assert expiry.expire_points(now=E1) == 0
    assert expiry.expire_points(now=E1 + timedelta(days=1)) == 0

    [expired] = expire_entries()
    assert (expired.amount, expired.ref_id) == (-100, first.id)
    assert balance(volunteer.id) == 40
    assert consistent(volunteer.id)


@expiry_on
def test_refunds_and_added_points_are_batches_of_their_own(app):
    """A refund (a cancelled voucher) and a positive adjustment are credits: each is a
    batch dated when it was credited, so refunded points get a fresh 12 months. A
    deduction (a negative adjustment) is a debit like a redemption."""
    w = shop_world(make_tree(), price=100, balance=0)
    volunteer = w.volunteer
    earned = credit(volunteer.id, 100, T0)
    refunded_at = months(1) + timedelta(days=10)
    voucher = vouchers.redeem(volunteer.id, w.reward.id, key="r1", now=months(1))
    vouchers.cancel(volunteer.id, voucher.id, now=refunded_at)
    added = credit(volunteer.id, 30, months(3), kind=EntryKind.adjust)
    debit(volunteer.id, 10, months(4), kind=EntryKind.adjust)

    [refund] = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.kind == EntryKind.refund)
    ).all()
    assert left(volunteer.id) == [
        (earned.id, 100, 0),
        (refund.id, 100, 90),
        (added.id, 30, 30),
    ]
    # At the earn's expiry nothing goes: it was spent on the voucher.
    assert expiry.send_notices(now=E1 - NOTICE) == 0
    assert expiry.expire_points(now=E1 + timedelta(days=1)) == 0
    # The refund expires a year after the refund.
    assert expiry.send_notices(now=months(12, refunded_at) - NOTICE) == 1
    assert expiry.expire_points(now=months(12, refunded_at) - SECOND) == 0
    assert expiry.expire_points(now=months(12, refunded_at)) == 1
    # The added points a year after they were added.
    assert expiry.send_notices(now=months(15) - NOTICE) == 1
    assert expiry.expire_points(now=months(15)) == 1

    assert [(e.amount, e.ref_id) for e in expire_entries(volunteer.id)] == [
        (-90, refund.id),
        (-30, added.id),
    ]
    assert balance(volunteer.id) == 0
    assert consistent(volunteer.id)


@expiry_on
def test_the_balance_always_matches_the_ledger(app):
    tree = make_tree()
    people = [make_user(tree, name=f"Volunteer {n}") for n in range(3)]
    for n, person in enumerate(people):
        for month in range(6):
            credit(person.id, 10 * (n + 1) + month, months(month))
            if month % 2:
                debit(person.id, 5 * (n + 1), months(month) + timedelta(days=3))

    moment = E1 - NOTICE
    while moment < months(20):
        expiry.send_notices(now=moment)
        expiry.expire_points(now=moment)
        for person in people:
            assert consistent(person.id), (person.id, moment)
            assert all(b.left >= 0 for b in expiry.batches(person.id))
        moment += timedelta(days=7)

    # Everything credited more than a year and a notice period ago is gone.
    for person in people:
        assert balance(person.id) == 0
        assert sum(b.left for b in expiry.batches(person.id)) == 0
    assert len(expire_entries()) == len({e.ref_id for e in expire_entries()})


# --- Calendar months in local time -----------------------------------------------------


def test_months_are_added_in_local_time(app):
    # 01:00 on 31 January in Shanghai, still 30 January in UTC: plus one month is
    # 01:00 on 28 February in Shanghai.
    assert expiry.add_months(datetime(2027, 1, 30, 17, 0), 1) == datetime(2027, 2, 27, 17, 0)
    # A leap day plus a year is the last day of February.
    assert expiry.add_months(datetime(2028, 2, 29, 2, 0), 12) == datetime(2029, 2, 28, 2, 0)
    assert expiry.add_months(T0, 12) == E1
    assert expiry.add_months(E1, -12) == T0
