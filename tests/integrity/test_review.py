"""The integrity review (防代刷时长): each signal fires on a fixture built to trigger it and
stays quiet on a clean one; nobody decides what they had a hand in; a rejection reverses
exactly its points, through the ledger."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from govhub.accounts.models import Role
from govhub.checkin import services as checkin
from govhub.checkin.models import Attendance, AttendanceStatus, VoidReason
from govhub.database import ServiceError, utcnow
from govhub.extensions import db
from govhub.integrity import services as integrity
from govhub.integrity.models import ReviewItem, ReviewStatus
from govhub.needs import claims, posting
from govhub.needs.models import Shift
from govhub.points import services as points
from govhub.points.models import EntryKind, LedgerEntry
from govhub.references import RefType
from tests.factories import make_admin, make_tree, make_user
from tests.integrity.helpers import HOUR, by_hand, confirm, past_shift, scanned


@pytest.fixture
def tree(app):
    return make_tree()


@pytest.fixture
def admin(tree):
    return make_admin(tree, name="王书记")


@pytest.fixture
def colleague(tree):
    return make_admin(tree, name="李委员")


def scan():
    return integrity.scan(now=utcnow())


def items() -> list[ReviewItem]:
    db.session.expire_all()
    return list(db.session.scalars(select(ReviewItem).order_by(ReviewItem.id)))


def codes_of(attendance_ids=None) -> dict[int | None, set[str]]:
    return {
        item.attendance_id: item.codes
        for item in items()
        if attendance_ids is None or item.attendance_id in attendance_ids
    }


def attendance_of(activity, person) -> Attendance:
    found = checkin.attendance_of(activity.shift.id, person.id)
    assert found is not None
    return found


# --- Quiet on a clean activity ---------------------------------------------------------


def test_a_clean_activity_raises_nothing(tree, admin):
    activity = past_shift(tree, admin, people=4)
    for person in activity.people:
        scanned(activity, person)
    confirm(activity, admin)
    posting.complete(admin.id, activity.need.id, now=utcnow())
    assert scan() == 0
    assert items() == []


# --- Each signal -----------------------------------------------------------------------


def test_a_check_in_entered_by_hand_is_flagged_with_who_and_why(tree, admin):
    activity = past_shift(tree, admin, people=3)
    scanned(activity, activity.people[0])
    scanned(activity, activity.people[1])
    by_hand(activity, activity.people[2], admin, reason="老人没有手机")
    assert scan() == 1
    (item,) = items()
    assert item.attendance_id == attendance_of(activity, activity.people[2]).id
    assert item.codes == {"manual"}
    (facts,) = item.signals
    assert (facts["actor_id"], facts["reason"], facts["side"]) == (admin.id, "老人没有手机", "in")
    assert item.community_id == tree.community_a and item.status is ReviewStatus.pending


def test_an_entry_made_days_after_the_shift_is_back_dated(tree, admin):
    activity = past_shift(tree, admin, starts_ago=timedelta(days=3), people=3)
    for person in activity.people[:2]:
        scanned(activity, person)
    by_hand(activity, activity.people[2], admin)
    scan()
    assert codes_of() == {attendance_of(activity, activity.people[2]).id: {"manual", "back_dated"}}


def test_hours_changed_at_confirmation_are_flagged(tree, admin, colleague):
    activity = past_shift(tree, admin, people=3)
    for person in activity.people:
        scanned(activity, person)
    changed = attendance_of(activity, activity.people[0])
    confirm(activity, colleague, {changed.id: checkin.Decision(minutes=60, note="提前离开")})
    scan()
    (item,) = items()
    assert item.attendance_id == changed.id and item.codes == {"hours_changed"}
    assert (item.signals[0]["recorded"], item.signals[0]["minutes"]) == (120, 60)


def test_more_hours_than_the_shift_is_flagged(tree, admin):
    activity = past_shift(tree, admin, people=3)
    for person in activity.people:
        scanned(activity, person)
    confirm(activity, admin)
    shift = db.session.get(Shift, activity.shift.id)
    shift.ends_at = shift.starts_at + HOUR  # shortened after the hours were confirmed
    db.session.commit()
    scan()
    assert {item.codes == {"over_length"} for item in items()} == {True}
    assert len(items()) == 3


def test_one_admin_entering_many_attendances_at_once_is_a_burst(tree, admin):
    activity = past_shift(tree, admin, people=10)
    for person in activity.people:
        by_hand(activity, person, admin)
    scan()
    found = items()
    assert len(found) == 10
    assert all("burst" in item.codes for item in found)
    burst = next(s for s in found[0].signals if s["code"] == "burst")
    assert (burst["actor_id"], burst["count"]) == (admin.id, 10)


def test_nine_entries_are_not_yet_a_burst(tree, admin):
    activity = past_shift(tree, admin, people=9)
    for person in activity.people:
        by_hand(activity, person, admin)
    scan()
    assert all("burst" not in item.codes for item in items())


def test_an_activity_mostly_entered_by_hand_is_flagged(tree, admin):
    mostly = past_shift(tree, admin, people=3, title="多数手工")
    scanned(mostly, mostly.people[0])
    by_hand(mostly, mostly.people[1], admin)
    by_hand(mostly, mostly.people[2], admin)
    balanced = past_shift(tree, admin, people=3, title="少数手工")
    scanned(balanced, balanced.people[0])
    scanned(balanced, balanced.people[1])
    by_hand(balanced, balanced.people[2], admin)
    scan()
    codes = codes_of()
    assert codes[attendance_of(mostly, mostly.people[1]).id] == {"manual", "mostly_manual"}
    assert codes[attendance_of(mostly, mostly.people[2]).id] == {"manual", "mostly_manual"}
    assert codes[attendance_of(balanced, balanced.people[2]).id] == {"manual"}
    assert attendance_of(mostly, mostly.people[0]).id not in codes


def test_a_volunteer_in_two_activities_at_once_is_flagged_on_both(tree, admin):
    first = past_shift(tree, admin, starts_ago=timedelta(hours=6), people=1, title="上午")
    second = past_shift(tree, admin, starts_ago=timedelta(hours=3), people=0, title="下午")
    person = first.people[0]
    claims.claim_shift(person.id, second.shift.id, now=utcnow() - timedelta(hours=4))
    # The second activity is moved to overlap the first (one code shared remotely, say).
    shift = db.session.get(Shift, second.shift.id)
    shift.starts_at = first.shift.starts_at + HOUR
    shift.ends_at = shift.starts_at + 2 * HOUR
    db.session.commit()
    second.shift = shift
    scanned(first, person)
    scanned(second, person)
    scan()
    one, other = attendance_of(first, person).id, attendance_of(second, person).id
    assert codes_of() == {one: {"overlap"}, other: {"overlap"}}
    facts = next(i for i in items() if i.attendance_id == one).signals[0]
    assert facts["other_attendance_id"] == other and facts["other_need_id"] == second.need.id


def test_back_to_back_activities_do_not_overlap(tree, admin):
    first = past_shift(tree, admin, starts_ago=timedelta(hours=5), people=1, title="上午")
    second = past_shift(tree, admin, starts_ago=timedelta(hours=3), people=0, title="下午")
    person = first.people[0]
    claims.claim_shift(person.id, second.shift.id, now=utcnow() - timedelta(hours=6))
    scanned(first, person)
    scanned(second, person)
    scan()
    assert items() == []


def test_a_need_created_and_completed_the_same_day_without_scans(tree, admin):
    activity = past_shift(tree, admin, people=2)
    for person in activity.people:
        by_hand(activity, person, admin)
    posting.complete(admin.id, activity.need.id, now=utcnow())
    with_scans = past_shift(tree, admin, people=2, title="有扫码")
    scanned(with_scans, with_scans.people[0])
    by_hand(with_scans, with_scans.people[1], admin)
    posting.complete(admin.id, with_scans.need.id, now=utcnow())
    scan()
    codes = codes_of()
    for person in activity.people:
        assert codes[attendance_of(activity, person).id] == {"manual", "same_day_no_scans"}
    assert codes[attendance_of(with_scans, with_scans.people[1]).id] == {"manual"}


def test_a_points_adjustment_by_hand_is_flagged(tree, admin):
    volunteer = make_user(tree, name="张大爷")
    entry = points.adjust(admin.id, volunteer.id, 50, "补发积分", key="review-adjust")
    scan()
    (item,) = items()
    assert (item.entry_id, item.attendance_id, item.volunteer_id) == (entry.id, None, volunteer.id)
    assert item.codes == {"adjustment"} and item.signals[0]["amount"] == 50
    assert item.community_id == tree.community_a


# --- The scan --------------------------------------------------------------------------


def test_scanning_again_adds_nothing_and_never_reopens_a_decision(tree, admin, colleague):
    activity = past_shift(tree, admin, people=3)
    for person in activity.people:
        by_hand(activity, person, admin)
    assert scan() == 3
    assert scan() == 0
    first = items()[0]
    integrity.decide(colleague.id, first.id, reject=False, reason=None, now=utcnow())
    assert scan() == 0
    assert items()[0].status is ReviewStatus.cleared


def test_a_new_signal_joins_a_waiting_item(tree, admin, colleague):
    activity = past_shift(tree, admin, people=3)
    scanned(activity, activity.people[0])
    scanned(activity, activity.people[1])
    by_hand(activity, activity.people[2], admin)
    scan()
    target = attendance_of(activity, activity.people[2])
    confirm(activity, colleague, {target.id: checkin.Decision(minutes=30, note="只来了半小时")})
    scan()
    (item,) = items()
    assert item.codes == {"manual", "hours_changed"}


# --- Separation of duties --------------------------------------------------------------


def test_who_entered_it_confirmed_it_or_earned_it_cannot_decide_it(tree, admin, colleague):
    activity = past_shift(tree, admin, people=3)
    scanned(activity, activity.people[0])
    scanned(activity, activity.people[1])
    by_hand(activity, activity.people[2], admin)
    confirm(activity, colleague)
    scan()
    (item,) = items()
    for person in (admin, colleague):  # entered it; confirmed its hours
        with pytest.raises(ServiceError, match=re.escape(integrity.hands_on_message())):
            integrity.decide(person.id, item.id, reject=False, reason=None, now=utcnow())
    street = make_admin(tree, role=Role.oversight_admin, scope="street", name="街道办")
    integrity.decide(street.id, item.id, reject=False, reason="核实无误", now=utcnow())
    assert items()[0].status is ReviewStatus.cleared


def test_the_volunteer_cannot_decide_their_own_adjustment(tree, admin):
    other_admin = make_admin(tree, name="赵书记")
    entry = points.adjust(admin.id, other_admin.id, 40, "补发", key="review-own")
    scan()
    item = next(i for i in items() if i.entry_id == entry.id)
    with pytest.raises(ServiceError, match=re.escape(integrity.hands_on_message())):
        integrity.decide(other_admin.id, item.id, reject=False, reason=None, now=utcnow())


def test_an_item_is_decided_once(tree, admin, colleague):
    activity = past_shift(tree, admin, people=3)
    by_hand(activity, activity.people[0], admin)
    scan()
    (item,) = items()
    integrity.decide(colleague.id, item.id, reject=False, reason=None, now=utcnow())
    with pytest.raises(integrity.AlreadyDecided):
        integrity.decide(colleague.id, item.id, reject=True, reason="再看", now=utcnow())


def test_a_rejection_needs_a_reason(tree, admin, colleague):
    activity = past_shift(tree, admin, people=3)
    by_hand(activity, activity.people[0], admin)
    scan()
    (item,) = items()
    with pytest.raises(ServiceError) as refused:
        integrity.decide(colleague.id, item.id, reject=True, reason="  ", now=utcnow())
    assert refused.value.field == "reason"
    assert items()[0].status is ReviewStatus.pending


# --- A rejection reverses exactly its points -------------------------------------------


def ledger_sum(volunteer_id: int) -> tuple[int, int]:
    return db.session.execute(
        select(func.sum(LedgerEntry.amount), func.sum(LedgerEntry.minutes)).where(
            LedgerEntry.volunteer_id == volunteer_id
        )
    ).one()


def test_rejecting_a_confirmed_attendance_reverses_exactly_its_points(tree, admin, colleague):
    activity = past_shift(tree, admin, people=3)
    scanned(activity, activity.people[0])
    scanned(activity, activity.people[1])
    person = activity.people[2]
    by_hand(activity, person, admin)
    confirm(activity, colleague)
    points.adjust(colleague.id, person.id, 7, "另一项", key="other-credit")
    earned = points.earned_for(RefType.attendance, [attendance_of(activity, person).id])
    (amount,) = earned.values()
    assert amount == 20  # 2 hours × 10 points
    before = points.account(person.id)
    balance, minutes = before.balance, before.total_minutes
    scan()
    item = next(i for i in items() if i.attendance_id == attendance_of(activity, person).id)
    street = make_admin(tree, role=Role.oversight_admin, scope="street")
    integrity.decide(street.id, item.id, reject=True, reason="当天不在场", now=utcnow())

    db.session.expire_all()
    after = points.account(person.id)
    assert (after.balance, after.total_minutes) == (balance - 20, minutes - 120)
    assert ledger_sum(person.id) == (after.balance, after.total_minutes)
    reversal = db.session.get(LedgerEntry, items()[0].reversal_entry_id or -1) or next(
        e for e in db.session.scalars(select(LedgerEntry)) if e.amount == -20
    )
    assert (reversal.amount, reversal.minutes, reversal.kind) == (-20, -120, EntryKind.adjust)
    assert (reversal.ref_type, reversal.actor_id) == ("attendance", street.id)
    # The earn entry is still there: nothing was deleted.
    assert points.earned_for(RefType.attendance, [attendance_of(activity, person).id]) == earned
    attendance = attendance_of(activity, person)
    assert (attendance.status, attendance.void_reason) == (
        AttendanceStatus.void,
        VoidReason.rejected,
    )
    # The other attendances keep their points.
    for other in activity.people[:2]:
        assert points.account(other.id).balance == 20


def test_rejecting_spent_points_takes_back_what_is_left(tree, admin, colleague):
    activity = past_shift(tree, admin, people=3)
    person = activity.people[0]
    by_hand(activity, person, admin)
    confirm(activity, colleague)
    points.post_entry(person.id, -15, EntryKind.redeem, key="spent-15")  # 5 left of 20
    scan()
    item = next(i for i in items() if i.attendance_id == attendance_of(activity, person).id)
    street = make_admin(tree, role=Role.oversight_admin, scope="street")
    integrity.decide(street.id, item.id, reject=True, reason="代刷", now=utcnow())
    db.session.expire_all()
    assert points.account(person.id).balance == 0
    assert items()[0].unrecovered == 15
    assert ledger_sum(person.id)[0] == 0


def test_rejecting_an_unconfirmed_attendance_settles_it_without_points(tree, admin, colleague):
    activity = past_shift(tree, admin, people=3)
    person = activity.people[0]
    by_hand(activity, person, admin)
    scan()
    (item,) = items()
    integrity.decide(colleague.id, item.id, reject=True, reason="不在场", now=utcnow())
    confirm(activity, colleague)  # confirmation passes it by
    assert points.account(person.id).balance == 0
    assert attendance_of(activity, person).void_reason is VoidReason.rejected


def test_rejecting_an_adjustment_undoes_it(tree, admin, colleague):
    volunteer = make_user(tree)
    points.adjust(admin.id, volunteer.id, 50, "补发", key="adjust-50")
    points.adjust(admin.id, volunteer.id, -10, "扣除", key="adjust-minus-10")
    scan()
    for item in reversed(items()):  # the deduction first: it gives the 10 points back
        integrity.decide(colleague.id, item.id, reject=True, reason="无依据", now=utcnow())
    db.session.expire_all()
    assert points.account(volunteer.id).balance == 0
    assert [item.unrecovered for item in items()] == [0, 0]
    assert ledger_sum(volunteer.id)[0] == 0


def test_the_counts_of_a_subtree(tree, admin, colleague):
    activity = past_shift(tree, admin, people=3)
    for person in activity.people:
        by_hand(activity, person, admin)
    confirm(activity, colleague)
    scan()
    first, second, _third = items()
    integrity.decide(
        make_admin(tree, role=Role.oversight_admin, scope="street").id,
        first.id,
        reject=True,
        reason="代刷",
        now=utcnow(),
    )
    integrity.decide(
        make_admin(tree, name="第三人").id, second.id, reject=False, reason=None, now=utcnow()
    )
    from govhub.orgs.models import OrgUnit

    for unit_id in (tree.community_a, tree.street, tree.city):
        counts = integrity.counts(db.session.get(OrgUnit, unit_id))
        assert (counts.waiting, counts.cleared, counts.rejected) == (1, 1, 1)
        assert counts.rejected_minutes == 120
    assert integrity.counts(db.session.get(OrgUnit, tree.street2)).waiting == 0
    by_child = {
        child.id: (c.waiting, c.cleared, c.rejected)
        for child, c in integrity.counts_by_child(db.session.get(OrgUnit, tree.street))
    }
    assert by_child == {tree.community_a: (1, 1, 1), tree.community_b: (0, 0, 0)}
    by_district = integrity.counts_by_child(db.session.get(OrgUnit, tree.district))
    assert {child.id: c.waiting for child, c in by_district} == {tree.street: 1, tree.street2: 0}
