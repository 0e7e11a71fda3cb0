from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar

from govhub.accounts import services as accounts
from govhub.accounts.models import User
from govhub.checkin import services as checkin
from govhub.checkin.models import Attendance, AttendanceStatus, Evidence, VoidReason
from govhub.database import NotFound, ServiceError
from govhub.extensions import db
from govhub.needs import board as needs_board
from govhub.needs import calendar, posting
from govhub.needs import claims as needs_claims
from govhub.needs.board import BoardFilters
from govhub.needs.claims import ClaimRefused
from govhub.needs.models import (
    Claim,
    ClaimStatus,
    Need,
    NeedStatus,
    PointsMode,
    Shift,
    Visibility,
)
from govhub.orgs import settings as org_settings
from govhub.orgs.models import CommunitySettings
from tests.factories import PASSWORD, make_user, next_phone
from tests.needs.helpers import (
    NOW,
    at,
    claim_of,
    count,
    first_shift,
    fresh,
    make_category,
    need_input,
    notices,
    post_need,
    same,
    world,
)

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def claim(volunteer, shift, now=NOW, **kwargs) -> Claim:
    return needs_claims.claim_shift(volunteer.id, shift.id, now=now, **kwargs)


def status_of(claim_row: Claim) -> ClaimStatus:
    return fresh(Claim, claim_row.id).status


def claimed(shift: Shift) -> int:
    return fresh(Shift, shift.id).claimed


def edit(w, need, shifts, *, now=NOW, **changes) -> Need:
    """Save ``need`` again as the editor would, with ``changes`` to its fields."""
    need = db.session.get(Need, need.id)
    data = posting.NeedInput(
        **{
            "title": need.title,
            "description": need.description,
            "category_id": need.category_id,
            "place": need.place,
            "contact_name": need.contact_name,
            "contact_phone": need.contact_phone,
            "skill_ids": [skill.id for skill in need.skills],
            "points_mode": need.points_mode,
            "points_per_hour": need.points_per_hour,
            "fixed_points": need.fixed_points,
            "max_minutes_per_shift": need.max_minutes_per_shift,
            "visibility": need.visibility,
            **changes,
        }
    )
    return posting.save_need(w.admin.id, need.community_id, data, shifts, now=now, need_id=need.id)


# --- Lifecycle -------------------------------------------------------------------------


def test_a_new_need_is_a_draft_until_published(app):
    w = world()
    need = post_need(w, publish=False)
    assert fresh(Need, need.id).status is NeedStatus.draft
    posting.publish(w.admin.id, need.id, now=NOW)
    assert fresh(Need, need.id).status is NeedStatus.open


def test_publish_refused_without_a_future_shift(app):
    w = world()
    need = post_need(w, [at(1)], publish=False)
    with pytest.raises(ServiceError):
        posting.publish(w.admin.id, need.id, now=NOW + HOUR)
    assert fresh(Need, need.id).status is NeedStatus.draft


def test_a_need_can_be_closed_and_reopened(app):
    w = world()
    need = post_need(w)
    posting.close(w.admin.id, need.id)
    assert fresh(Need, need.id).status is NeedStatus.closed
    posting.publish(w.admin.id, need.id, now=NOW)
    assert fresh(Need, need.id).status is NeedStatus.open


def test_complete_refused_before_the_first_shift_starts(app):
    w = world()
    need = post_need(w, [at(2), at(48)])
    with pytest.raises(ServiceError):
        posting.complete(w.admin.id, need.id, now=NOW + 2 * HOUR - MINUTE)
    assert fresh(Need, need.id).status is NeedStatus.open
    posting.complete(w.admin.id, need.id, now=NOW + 2 * HOUR)
    assert fresh(Need, need.id).status is NeedStatus.completed


def test_a_closed_need_can_be_completed(app):
    w = world()
    need = post_need(w, [at(1)])
    posting.close(w.admin.id, need.id)
    posting.complete(w.admin.id, need.id, now=NOW + 3 * HOUR)
    assert fresh(Need, need.id).status is NeedStatus.completed


@pytest.mark.parametrize("reason", ["", "   ", "长" * 501])
def test_cancel_needs_a_reason_of_at_most_500_characters(app, reason):
    w = world()
    need = post_need(w)
    with pytest.raises(ServiceError) as refused:
        posting.cancel(w.admin.id, need.id, reason)
    assert refused.value.field == "reason"
    stored = fresh(Need, need.id)
    assert stored.status is NeedStatus.open
    assert stored.cancel_reason is None


def test_cancel_ends_every_claim_and_tells_each_claimant(app):
    w = world()
    need = post_need(w, [at(24, capacity=1), at(48, capacity=2)])
    first, second = need.shifts
    confirmed, waiting, other = (make_user(w.tree) for _ in range(3))
    claims = [
        claim(confirmed, first),
        claim(waiting, first, waitlist=True),
        claim(other, second),
    ]
    bystander = make_user(w.tree)

    posting.cancel(w.admin.id, need.id, "  暴雨预警，活动取消  ")

    stored = fresh(Need, need.id)
    assert stored.status is NeedStatus.cancelled
    assert stored.cancel_reason == "暴雨预警，活动取消"
    assert [status_of(c) for c in claims] == [ClaimStatus.cancelled] * 3
    assert [fresh(Claim, c.id).reason for c in claims] == ["暴雨预警，活动取消"] * 3
    assert [claimed(first), claimed(second)] == [0, 0]
    for volunteer in (confirmed, waiting, other):
        [notice] = notices(volunteer, "need_cancelled")
        assert notice.target_type == "need"
        assert notice.target_id == need.id
        assert notice.params["reason"] == "暴雨预警，活动取消"
    assert notices(bystander) == []


def _need_in(w, status: NeedStatus) -> Need:
    """A need in ``status``, with a started shift and an upcoming one."""
    need = post_need(w, [at(1), at(48)], publish=status is not NeedStatus.draft)
    if status is NeedStatus.completed:
        posting.complete(w.admin.id, need.id, now=NOW + HOUR)
    elif status is NeedStatus.cancelled:
        posting.cancel(w.admin.id, need.id, "场地不可用")
    return need


TRANSITION_CALLS = {
    "publish": lambda w, need: posting.publish(w.admin.id, need.id, now=NOW + HOUR),
    "close": lambda w, need: posting.close(w.admin.id, need.id),
    "complete": lambda w, need: posting.complete(w.admin.id, need.id, now=NOW + HOUR),
    "cancel": lambda w, need: posting.cancel(w.admin.id, need.id, "再取消一次"),
}


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (NeedStatus.completed, "publish"),
        (NeedStatus.completed, "close"),
        (NeedStatus.completed, "cancel"),
        (NeedStatus.cancelled, "publish"),
        (NeedStatus.cancelled, "close"),
        (NeedStatus.cancelled, "complete"),
        (NeedStatus.draft, "close"),
        (NeedStatus.draft, "complete"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(app, status, action):
    w = world()
    need = _need_in(w, status)
    before = fresh(Need, need.id).cancel_reason
    with pytest.raises(ServiceError):
        TRANSITION_CALLS[action](w, need)
    stored = fresh(Need, need.id)
    assert stored.status is status
    assert stored.cancel_reason == before


# --- Saving a need ---------------------------------------------------------------------


def test_save_need_stores_the_need_and_its_shifts(app):
    w = world()
    need = post_need(
        w,
        [at(48, capacity=5), at(24, capacity=3, walk_ins=True)],
        title="  陪伴独居老人  ",
        contact_phone="138-1234-5678",
        publish=False,
    )
    stored = fresh(Need, need.id)
    assert stored.title == "陪伴独居老人"
    assert stored.contact_phone == "13812345678"
    assert stored.community_id == w.tree.community_a
    assert stored.created_by_id == w.admin.id
    assert [(s.starts_at, s.capacity, s.walk_ins, s.claimed) for s in stored.shifts] == [
        (NOW + 24 * HOUR, 3, True, 0),
        (NOW + 48 * HOUR, 5, False, 0),
    ]


def test_save_need_accepts_the_limits(app):
    w = world()
    need = post_need(w, [at(24, capacity=500), at(48, capacity=1)], title="长" * 80)
    assert [s.capacity for s in fresh(Need, need.id).shifts] == [500, 1]


@pytest.mark.parametrize(
    ("fields", "shift", "field"),
    [
        ({"title": ""}, {}, "title"),
        ({"title": "   "}, {}, "title"),
        ({"title": "长" * 81}, {}, "title"),
        ({"category_id": None}, {}, "category_id"),
        ({"category_id": 9999}, {}, "category_id"),
        ({"place": ""}, {}, "place"),
        ({"contact_phone": "1381234567"}, {}, "contact_phone"),
        ({"contact_phone": "23812345678"}, {}, "contact_phone"),
        ({}, {"length": -1}, "shifts-0-ends_at"),
        ({}, {"length": 0}, "shifts-0-ends_at"),
        ({}, {"length": 25}, "shifts-0-ends_at"),
        ({}, {"hours": -1}, "shifts-0-starts_at"),
        ({}, {"hours": 0}, "shifts-0-starts_at"),
        ({}, {"capacity": 0}, "shifts-0-capacity"),
        ({}, {"capacity": 501}, "shifts-0-capacity"),
    ],
)
def test_save_need_refuses_bad_input_with_its_field_and_writes_nothing(app, fields, shift, field):
    w = world()
    data = need_input(**{"category_id": w.category.id, **fields})
    entry = at(**{"hours": 24, **shift}, field="shifts-0")
    with pytest.raises(ServiceError) as refused:
        posting.save_need(w.admin.id, w.tree.community_a, data, [entry], now=NOW)
    assert refused.value.field == field
    assert count(Need) == 0
    assert count(Shift) == 0


def test_malformed_contact_phone_message_is_in_chinese(app):
    w = world()
    data = need_input(w.category.id, contact_phone="12345")
    with pytest.raises(ServiceError) as refused:
        posting.save_need(w.admin.id, w.tree.community_a, data, [at(24)], now=NOW)
    assert "11位手机号" in refused.value.message


def test_save_need_refuses_a_need_without_shifts(app):
    w = world()
    with pytest.raises(ServiceError) as refused:
        posting.save_need(w.admin.id, w.tree.community_a, need_input(w.category.id), [], now=NOW)
    assert refused.value.field == "shifts"
    assert count(Need) == 0


def test_save_need_refuses_a_street_as_community(app):
    w = world()
    with pytest.raises(ServiceError):
        posting.save_need(w.admin.id, w.tree.street, need_input(w.category.id), [at(24)], now=NOW)
    assert count(Need) == 0


def test_points_per_hour_default_to_the_community_rate_times_the_category_coefficient(app):
    w = world()
    org_settings.save_settings(
        w.admin.id,
        w.tree.community_a,
        points_per_hour=20,
        cancel_cutoff_minutes=120,
        percents={w.category.id: 150},
    )
    need = post_need(w, [at(24, length=2)])
    assert fresh(Need, need.id).points_per_hour == 30
    assert first_shift(need).points == 60


def test_points_per_hour_default_to_ten_without_settings(app):
    w = world()
    other = make_category("repair", "维修", "Repairs")
    # Another community's settings do not apply.
    org_settings.save_settings(
        w.admin.id,
        w.tree.community_b,
        points_per_hour=40,
        cancel_cutoff_minutes=120,
        percents={other.id: 200},
    )
    need = post_need(w, category_id=other.id)
    assert fresh(Need, need.id).points_per_hour == 10


def test_an_entered_points_per_hour_replaces_the_default(app):
    w = world()
    need = post_need(w, points_per_hour=15)
    assert fresh(Need, need.id).points_per_hour == 15


def test_points_per_shift_are_capped_by_the_maximum_hours(app):
    w = world()
    need = post_need(w, [at(24, length=3)], max_minutes_per_shift=60)
    assert first_shift(need).points == 10


def test_fixed_points_are_the_same_for_any_shift_length(app):
    w = world()
    need = post_need(
        w,
        [at(24, length=1), at(48, length=5)],
        points_mode=PointsMode.fixed,
        fixed_points=50,
    )
    stored = fresh(Need, need.id)
    assert stored.points_mode is PointsMode.fixed
    assert [s.points for s in stored.shifts] == [50, 50]


@pytest.mark.parametrize("fixed_points", [None, -1, 100_001])
def test_fixed_points_mode_needs_points_in_range(app, fixed_points):
    w = world()
    data = need_input(w.category.id, points_mode=PointsMode.fixed, fixed_points=fixed_points)
    with pytest.raises(ServiceError) as refused:
        posting.save_need(w.admin.id, w.tree.community_a, data, [at(24)], now=NOW)
    assert refused.value.field == "fixed_points"
    assert count(Need) == 0


def test_removing_a_shift_with_claimants_is_refused(app):
    w = world()
    need = post_need(w, [at(24), at(48)])
    first, second = need.shifts
    claim(make_user(w.tree), first)
    with pytest.raises(ServiceError) as refused:
        edit(w, need, [same(second)])
    assert refused.value.field == "shifts"
    assert [s.id for s in fresh(Need, need.id).shifts] == [first.id, second.id]


def test_removing_a_shift_whose_claims_were_cancelled_deletes_it(app):
    w = world()
    need = post_need(w, [at(24), at(48)])
    first, second = need.shifts
    volunteer = make_user(w.tree)
    needs_claims.cancel_claim(volunteer.id, claim(volunteer, first).id, now=NOW)
    edit(w, need, [same(second)])
    assert [s.id for s in fresh(Need, need.id).shifts] == [second.id]
    assert fresh(Shift, first.id) is None
    assert count(Claim) == 0


def test_capacity_cannot_be_lowered_below_the_claimed_places(app):
    w = world()
    need = post_need(w, [at(24, capacity=3)])
    shift = need.shifts[0]
    claim(make_user(w.tree), shift)
    claim(make_user(w.tree), shift)
    with pytest.raises(ServiceError) as refused:
        edit(w, need, [same(shift, capacity=1, field="shifts-0")])
    assert refused.value.field == "shifts-0-capacity"
    assert fresh(Shift, shift.id).capacity == 3
    edit(w, need, [same(shift, capacity=2)])
    assert fresh(Shift, shift.id).capacity == 2


def test_raising_capacity_promotes_the_waiting_list_in_order(app):
    w = world()
    need = post_need(w, [at(24, capacity=1)])
    shift = need.shifts[0]
    claim(make_user(w.tree), shift)
    second, third, fourth = (make_user(w.tree) for _ in range(3))
    waiting = [
        claim(second, shift, now=NOW + MINUTE, waitlist=True),
        claim(third, shift, now=NOW + 2 * MINUTE, waitlist=True),
        claim(fourth, shift, now=NOW + 3 * MINUTE, waitlist=True),
    ]

    edit(w, need, [same(shift, capacity=3)], now=NOW + HOUR)

    assert [status_of(c) for c in waiting] == [
        ClaimStatus.confirmed,
        ClaimStatus.confirmed,
        ClaimStatus.waitlisted,
    ]
    assert claimed(shift) == 3
    assert [len(notices(v, "waitlist_promoted")) for v in (second, third, fourth)] == [1, 1, 0]


def test_moving_a_claimed_shift_tells_its_claimants(app):
    w = world()
    need = post_need(w, [at(24, capacity=1), at(48)])
    moved, kept = need.shifts
    on_moved, waiting, on_kept = (make_user(w.tree) for _ in range(3))
    claim(on_moved, moved)
    claim(waiting, moved, waitlist=True)
    claim(on_kept, kept)

    edit(w, need, [same(moved, starts_at=moved.starts_at + HOUR), same(kept)])

    assert fresh(Shift, moved.id).starts_at == NOW + 25 * HOUR
    assert len(notices(on_moved, "need_changed")) == 1
    assert len(notices(waiting, "need_changed")) == 1
    assert notices(on_kept, "need_changed") == []


def test_changing_the_place_tells_every_claimant(app):
    w = world()
    need = post_need(w, [at(24), at(48)])
    first, second = need.shifts
    volunteers = [make_user(w.tree), make_user(w.tree)]
    claim(volunteers[0], first)
    claim(volunteers[1], second)

    edit(w, need, [same(first), same(second)], place="幸福里活动室")

    assert fresh(Need, need.id).place == "幸福里活动室"
    for volunteer in volunteers:
        [notice] = notices(volunteer, "need_changed")
        assert notice.target_id == need.id


def test_changing_only_the_title_tells_nobody(app):
    w = world()
    need = post_need(w)
    volunteer = make_user(w.tree)
    claim(volunteer, need.shifts[0])
    edit(w, need, [same(need.shifts[0])], title="新标题")
    assert fresh(Need, need.id).title == "新标题"
    assert notices(volunteer, "need_changed") == []


def test_a_started_shift_can_be_kept_unchanged_when_editing(app):
    w = world()
    need = post_need(w, [at(1), at(48)])
    edit(w, need, [same(s) for s in need.shifts], title="改个标题", now=NOW + 2 * HOUR)
    assert fresh(Need, need.id).title == "改个标题"


def test_moving_a_shift_into_the_past_is_refused(app):
    w = world()
    need = post_need(w, [at(24)])
    shift = need.shifts[0]
    with pytest.raises(ServiceError) as refused:
        edit(w, need, [same(shift, starts_at=NOW - HOUR, field="shifts-0")])
    assert refused.value.field == "shifts-0-starts_at"
    assert fresh(Shift, shift.id).starts_at == NOW + 24 * HOUR


@pytest.mark.parametrize("status", [NeedStatus.completed, NeedStatus.cancelled])
def test_a_completed_or_cancelled_need_cannot_be_edited(app, status):
    w = world()
    need = _need_in(w, status)
    with pytest.raises(ServiceError):
        edit(w, need, [same(s) for s in need.shifts], title="改个标题", now=NOW + HOUR)
    assert fresh(Need, need.id).title == "陪伴独居老人"


def test_save_settings_refuses_values_out_of_range_and_saves_nothing(app):
    w = world()
    for kwargs, field in [
        ({"points_per_hour": 1001}, "points_per_hour"),
        ({"cancel_cutoff_minutes": 7 * 24 * 60 + 1}, "cancel_cutoff_minutes"),
        ({"percents": {w.category.id: 9}}, f"rate_{w.category.id}"),
        ({"percents": {w.category.id: 1001}}, f"rate_{w.category.id}"),
    ]:
        values = {"points_per_hour": 25, "cancel_cutoff_minutes": 60, "percents": {}, **kwargs}
        with pytest.raises(ServiceError) as refused:
            org_settings.save_settings(w.admin.id, w.tree.community_a, **values)
        assert refused.value.field == field
    assert fresh(CommunitySettings, w.tree.community_a) is None
    assert org_settings.category_percents(w.tree.community_a) == {}


# --- Claiming --------------------------------------------------------------------------


def test_claim_confirms_a_place_and_tells_the_volunteer(app):
    w = world()
    need = post_need(w, [at(24, capacity=2)])
    shift = need.shifts[0]
    volunteer = make_user(w.tree)

    made = claim(volunteer, shift)

    assert status_of(made) is ClaimStatus.confirmed
    assert claimed(shift) == 1
    [notice] = notices(volunteer)
    assert notice.kind == "claim_confirmed"
    assert notice.target_id == need.id
    assert notice.params["starts_at"] == shift.starts_at.isoformat()


def test_claim_refused_when_shift_full_then_waitlist_allowed(app):
    w = world()
    shift = post_need(w, [at(24, capacity=1)]).shifts[0]
    claim(make_user(w.tree), shift)
    late = make_user(w.tree)

    with pytest.raises(ClaimRefused) as refused:
        claim(late, shift)
    assert refused.value.can_waitlist is True
    assert claim_of(late, shift) is None

    waiting = claim(late, shift, waitlist=True)
    assert status_of(waiting) is ClaimStatus.waitlisted
    assert claimed(shift) == 1
    assert notices(late) == []


def test_asking_for_the_waiting_list_takes_a_free_place_when_there_is_one(app):
    w = world()
    shift = post_need(w, [at(24, capacity=1)]).shifts[0]
    made = claim(make_user(w.tree), shift, waitlist=True)
    assert status_of(made) is ClaimStatus.confirmed
    assert claimed(shift) == 1


def test_claim_refused_when_already_claimed(app):
    w = world()
    shift = post_need(w, [at(24, capacity=3)]).shifts[0]
    volunteer = make_user(w.tree)
    claim(volunteer, shift)
    with pytest.raises(ClaimRefused) as refused:
        claim(volunteer, shift)
    assert refused.value.can_waitlist is False
    assert claimed(shift) == 1
    assert count(Claim) == 1


def test_claim_refused_when_already_on_the_waiting_list(app):
    w = world()
    shift = post_need(w, [at(24, capacity=1)]).shifts[0]
    claim(make_user(w.tree), shift)
    volunteer = make_user(w.tree)
    claim(volunteer, shift, waitlist=True)
    with pytest.raises(ClaimRefused) as refused:
        claim(volunteer, shift, waitlist=True)
    assert refused.value.can_waitlist is False
    assert status_of(claim_of(volunteer, shift)) is ClaimStatus.waitlisted
    assert count(Claim) == 2


def test_claim_refused_when_it_overlaps_another_claimed_shift(app):
    w = world()
    first = post_need(w, [at(24, length=2)]).shifts[0]
    overlapping = post_need(w, [at(25, length=2)], title="另一项").shifts[0]
    volunteer = make_user(w.tree)
    claim(volunteer, first)
    with pytest.raises(ClaimRefused) as refused:
        claim(volunteer, overlapping)
    assert refused.value.can_waitlist is False
    assert claim_of(volunteer, overlapping) is None
    assert claimed(overlapping) == 0


def test_shifts_that_only_touch_do_not_overlap(app):
    w = world()
    need = post_need(w, [at(24, length=2), at(26, length=2), at(22, length=2)])
    volunteer = make_user(w.tree)
    made = [claim(volunteer, shift) for shift in need.shifts]
    assert [status_of(c) for c in made] == [ClaimStatus.confirmed] * 3


def test_a_place_on_a_waiting_list_does_not_block_an_overlapping_claim(app):
    w = world()
    full = post_need(w, [at(24, capacity=1)]).shifts[0]
    claim(make_user(w.tree), full)
    other = post_need(w, [at(24)], title="另一项").shifts[0]
    volunteer = make_user(w.tree)
    claim(volunteer, full, waitlist=True)
    assert status_of(claim(volunteer, other)) is ClaimStatus.confirmed


def test_claim_refused_once_the_shift_has_started(app):
    w = world()
    shift = post_need(w, [at(3)]).shifts[0]
    in_time, too_late = make_user(w.tree), make_user(w.tree)
    claim(in_time, shift, now=shift.starts_at - MINUTE)
    with pytest.raises(ClaimRefused):
        claim(too_late, shift, now=shift.starts_at)
    assert claim_of(too_late, shift) is None
    assert claimed(shift) == 1


@pytest.mark.parametrize("status", [NeedStatus.draft, NeedStatus.closed])
def test_claim_refused_unless_the_need_is_open(app, status):
    w = world()
    need = post_need(w, publish=status is not NeedStatus.draft)
    if status is NeedStatus.closed:
        posting.close(w.admin.id, need.id)
    volunteer = make_user(w.tree)
    with pytest.raises(ClaimRefused) as refused:
        claim(volunteer, need.shifts[0])
    assert refused.value.can_waitlist is False
    assert count(Claim) == 0
    assert claimed(need.shifts[0]) == 0


def test_claim_refused_for_an_account_without_a_profile(app):
    w = world()
    shift = post_need(w).shifts[0]
    no_profile = accounts.create_admin(next_phone(), "系统管理员", PASSWORD)
    with pytest.raises(ClaimRefused):
        claim(no_profile, shift)
    assert count(Claim) == 0


def test_community_need_cannot_be_claimed_from_another_community(app):
    w = world()
    shift = post_need(w, visibility=Visibility.community).shifts[0]
    neighbour = make_user(w.tree, community="community_b", grid="grid_b1")
    with pytest.raises(ClaimRefused):
        claim(neighbour, shift)
    assert count(Claim) == 0
    assert claimed(shift) == 0


def test_street_need_can_be_claimed_from_the_same_street_only(app):
    w = world()
    shift = post_need(w, visibility=Visibility.street).shifts[0]
    same_street = make_user(w.tree, community="community_b", grid="grid_b1")
    other_street = make_user(w.tree, community="community_c", grid=None)

    assert status_of(claim(same_street, shift)) is ClaimStatus.confirmed
    with pytest.raises(ClaimRefused):
        claim(other_street, shift)
    assert claim_of(other_street, shift) is None
    assert claimed(shift) == 1


# --- Cancelling and the waiting list ---------------------------------------------------


def test_cancel_before_the_cutoff_frees_the_place_and_promotes_the_first_in_the_queue(app):
    w = world()
    shift = post_need(w, [at(24, capacity=1)]).shifts[0]
    holder = make_user(w.tree)
    holding = claim(holder, shift)
    later, earlier = make_user(w.tree), make_user(w.tree)
    # The queue is ordered by when people joined, not by row id.
    later_claim = claim(later, shift, now=NOW + 2 * MINUTE, waitlist=True)
    earlier_claim = claim(earlier, shift, now=NOW + MINUTE, waitlist=True)

    needs_claims.cancel_claim(holder.id, holding.id, now=NOW + HOUR)

    assert status_of(holding) is ClaimStatus.cancelled
    assert status_of(earlier_claim) is ClaimStatus.confirmed
    assert status_of(later_claim) is ClaimStatus.waitlisted
    assert claimed(shift) == 1
    [notice] = notices(earlier, "waitlist_promoted")
    assert notice.params["starts_at"] == shift.starts_at.isoformat()
    assert notices(later, "waitlist_promoted") == []


def test_cancel_without_a_waiting_list_frees_the_place(app):
    w = world()
    shift = post_need(w, [at(24, capacity=2)]).shifts[0]
    volunteer = make_user(w.tree)
    needs_claims.cancel_claim(volunteer.id, claim(volunteer, shift).id, now=NOW)
    assert claimed(shift) == 0


def test_cancel_refused_from_the_default_cutoff_of_two_hours(app):
    w = world()
    shift = post_need(w, [at(24, capacity=2)]).shifts[0]
    in_time, too_late = make_user(w.tree), make_user(w.tree)
    early_claim, late_claim = claim(in_time, shift), claim(too_late, shift)

    needs_claims.cancel_claim(in_time.id, early_claim.id, now=shift.starts_at - 121 * MINUTE)
    with pytest.raises(ClaimRefused):
        needs_claims.cancel_claim(too_late.id, late_claim.id, now=shift.starts_at - 120 * MINUTE)

    assert status_of(early_claim) is ClaimStatus.cancelled
    assert status_of(late_claim) is ClaimStatus.confirmed
    assert claimed(shift) == 1


def test_cancel_follows_the_community_cutoff(app):
    w = world()
    org_settings.save_settings(
        w.admin.id, w.tree.community_a, points_per_hour=10, cancel_cutoff_minutes=30, percents={}
    )
    shift = post_need(w, [at(24, capacity=2)]).shifts[0]
    in_time, too_late = make_user(w.tree), make_user(w.tree)
    early_claim, late_claim = claim(in_time, shift), claim(too_late, shift)

    needs_claims.cancel_claim(in_time.id, early_claim.id, now=shift.starts_at - 60 * MINUTE)
    with pytest.raises(ClaimRefused):
        needs_claims.cancel_claim(too_late.id, late_claim.id, now=shift.starts_at - 30 * MINUTE)

    assert status_of(early_claim) is ClaimStatus.cancelled
    assert status_of(late_claim) is ClaimStatus.confirmed
    assert claimed(shift) == 1


def test_leaving_the_waiting_list_is_allowed_after_the_cutoff(app):
    w = world()
    shift = post_need(w, [at(24, capacity=1)]).shifts[0]
    claim(make_user(w.tree), shift)
    volunteer = make_user(w.tree)
    waiting = claim(volunteer, shift, waitlist=True)
    needs_claims.cancel_claim(volunteer.id, waiting.id, now=shift.starts_at - 10 * MINUTE)
    assert status_of(waiting) is ClaimStatus.cancelled
    assert claimed(shift) == 1


def test_cancel_refused_for_someone_elses_claim(app):
    w = world()
    shift = post_need(w).shifts[0]
    holding = claim(make_user(w.tree), shift)
    with pytest.raises(NotFound):
        needs_claims.cancel_claim(make_user(w.tree).id, holding.id, now=NOW)
    assert status_of(holding) is ClaimStatus.confirmed


def test_claiming_again_after_cancelling_reuses_the_row(app):
    w = world()
    shift = post_need(w).shifts[0]
    volunteer = make_user(w.tree)
    first = claim(volunteer, shift)
    needs_claims.cancel_claim(volunteer.id, first.id, now=NOW + MINUTE)

    again = claim(volunteer, shift, now=NOW + HOUR)

    assert again.id == first.id
    stored = fresh(Claim, first.id)
    assert stored.status is ClaimStatus.confirmed
    assert stored.queued_at == NOW + HOUR
    assert count(Claim) == 1
    assert claimed(shift) == 1


def test_promotion_skips_someone_whose_other_claim_overlaps_and_keeps_their_place(app):
    w = world()
    shift = post_need(w, [at(24, capacity=1)]).shifts[0]
    holder = make_user(w.tree)
    holding = claim(holder, shift)
    busy, free = make_user(w.tree), make_user(w.tree)
    busy_claim = claim(busy, shift, now=NOW + MINUTE, waitlist=True)
    free_claim = claim(free, shift, now=NOW + 2 * MINUTE, waitlist=True)
    elsewhere = post_need(w, [at(25)], title="同一时间的另一项").shifts[0]
    claim(busy, elsewhere, now=NOW + 3 * MINUTE)

    needs_claims.cancel_claim(holder.id, holding.id, now=NOW + HOUR)

    assert status_of(busy_claim) is ClaimStatus.waitlisted
    assert status_of(free_claim) is ClaimStatus.confirmed
    assert notices(busy, "waitlist_promoted") == []
    tasks = needs_board.my_tasks(busy.id, now=NOW + HOUR)
    assert [(c.id, position) for c, position in tasks.waitlisted] == [(busy_claim.id, 1)]


def test_reopening_a_need_gives_places_freed_while_closed_to_the_waiting_list(app):
    w = world()
    need = post_need(w, [at(24, capacity=1)])
    shift = need.shifts[0]
    holder, waiting, newcomer = (make_user(w.tree) for _ in range(3))
    holding = claim(holder, shift)
    queued = claim(waiting, shift, now=NOW + MINUTE, waitlist=True)
    posting.close(w.admin.id, need.id)
    needs_claims.cancel_claim(holder.id, holding.id, now=NOW + HOUR)

    posting.publish(w.admin.id, need.id, now=NOW + 2 * HOUR)

    assert status_of(queued) is ClaimStatus.confirmed
    with pytest.raises(ClaimRefused) as refused:
        claim(newcomer, shift, now=NOW + 3 * HOUR)
    assert refused.value.can_waitlist is True


def test_a_skipped_volunteer_is_promoted_when_they_cancel_the_overlapping_claim(app):
    w = world()
    shift = post_need(w, [at(24, capacity=1)]).shifts[0]
    holder, busy = make_user(w.tree), make_user(w.tree)
    holding = claim(holder, shift)
    queued = claim(busy, shift, now=NOW + MINUTE, waitlist=True)
    elsewhere = post_need(w, [at(25)], title="同一时间的另一项").shifts[0]
    other = claim(busy, elsewhere, now=NOW + 2 * MINUTE)
    needs_claims.cancel_claim(holder.id, holding.id, now=NOW + HOUR)
    assert claimed(shift) == 0

    needs_claims.cancel_claim(busy.id, other.id, now=NOW + 2 * HOUR)

    assert status_of(queued) is ClaimStatus.confirmed
    assert claimed(shift) == 1
    assert len(notices(busy, "waitlist_promoted")) == 1


def test_a_skipped_volunteer_can_claim_the_free_place_once_their_overlap_is_gone(app):
    """The overlap ended another way (the organizer removed them): claiming takes the place."""
    w = world()
    shift = post_need(w, [at(24, capacity=1)]).shifts[0]
    holder, busy = make_user(w.tree), make_user(w.tree)
    holding = claim(holder, shift)
    queued = claim(busy, shift, now=NOW + MINUTE, waitlist=True)
    elsewhere = post_need(w, [at(25)], title="同一时间的另一项").shifts[0]
    other = claim(busy, elsewhere, now=NOW + 2 * MINUTE)
    needs_claims.cancel_claim(holder.id, holding.id, now=NOW + HOUR)
    needs_claims.remove_claimant(w.admin.id, other.id, "人数调整", now=NOW + 2 * HOUR)
    assert status_of(queued) is ClaimStatus.waitlisted

    claim(busy, shift, now=NOW + 3 * HOUR)

    assert status_of(queued) is ClaimStatus.confirmed
    assert claimed(shift) == 1


def test_a_removed_volunteer_cannot_claim_the_shift_again(app):
    w = world()
    shift = post_need(w).shifts[0]
    volunteer = make_user(w.tree)
    holding = claim(volunteer, shift)
    needs_claims.remove_claimant(w.admin.id, holding.id, "重复报名", now=NOW)
    with pytest.raises(ClaimRefused):
        claim(volunteer, shift, now=NOW + MINUTE)
    assert status_of(holding) is ClaimStatus.removed
    assert claimed(shift) == 0


@pytest.mark.parametrize("reason", ["", "  ", "长" * 501])
def test_removing_a_claimant_needs_a_reason(app, reason):
    w = world()
    shift = post_need(w).shifts[0]
    volunteer = make_user(w.tree)
    holding = claim(volunteer, shift)
    with pytest.raises(ServiceError) as refused:
        needs_claims.remove_claimant(w.admin.id, holding.id, reason, now=NOW)
    assert refused.value.field == "reason"
    assert status_of(holding) is ClaimStatus.confirmed
    assert notices(volunteer, "claim_removed") == []


def test_removing_a_claimant_tells_them_frees_the_place_and_promotes(app):
    w = world()
    shift = post_need(w, [at(24, capacity=1)]).shifts[0]
    volunteer, waiting = make_user(w.tree), make_user(w.tree)
    holding = claim(volunteer, shift)
    queued = claim(waiting, shift, waitlist=True)

    needs_claims.remove_claimant(w.admin.id, holding.id, " 未按要求签到 ", now=NOW + HOUR)

    stored = fresh(Claim, holding.id)
    assert stored.status is ClaimStatus.removed
    assert stored.reason == "未按要求签到"
    assert stored.removed_by_id == w.admin.id
    [notice] = notices(volunteer, "claim_removed")
    assert notice.params["reason"] == "未按要求签到"
    assert status_of(queued) is ClaimStatus.confirmed
    assert len(notices(waiting, "waitlist_promoted")) == 1
    assert claimed(shift) == 1


def test_removing_someone_from_the_waiting_list_keeps_the_places(app):
    w = world()
    shift = post_need(w, [at(24, capacity=1)]).shifts[0]
    claim(make_user(w.tree), shift)
    waiting = make_user(w.tree)
    queued = claim(waiting, shift, waitlist=True)
    needs_claims.remove_claimant(w.admin.id, queued.id, "重复报名", now=NOW)
    assert status_of(queued) is ClaimStatus.removed
    assert claimed(shift) == 1
    assert len(notices(waiting, "claim_removed")) == 1


def test_my_tasks_shows_upcoming_past_and_waitlist_positions(app):
    w = world()
    need = post_need(w, [at(1, capacity=1), at(24, capacity=1), at(48, capacity=1)])
    past, full, upcoming = need.shifts
    volunteer = make_user(w.tree)
    others = [make_user(w.tree) for _ in range(3)]
    done = claim(volunteer, past)
    claim(others[0], full)
    claim(others[1], full, now=NOW + MINUTE, waitlist=True)
    leaving = claim(others[2], full, now=NOW + 2 * MINUTE, waitlist=True)
    waiting = claim(volunteer, full, now=NOW + 3 * MINUTE, waitlist=True)
    coming = claim(volunteer, upcoming)

    later = NOW + 4 * HOUR
    tasks = needs_board.my_tasks(volunteer.id, now=later)
    assert [c.id for c in tasks.upcoming] == [coming.id]
    assert [c.id for c in tasks.past] == [done.id]
    assert [(c.id, n) for c, n in tasks.waitlisted] == [(waiting.id, 3)]

    needs_claims.cancel_claim(others[2].id, leaving.id, now=later)
    tasks = needs_board.my_tasks(volunteer.id, now=later)
    assert [(c.id, n) for c, n in tasks.waitlisted] == [(waiting.id, 2)]


def test_roster_lists_each_shift_with_claimants_and_waiting_list(app):
    w = world()
    need = post_need(w, [at(24, capacity=1), at(48)])
    first, second = need.shifts
    a, b = make_user(w.tree, name="甲"), make_user(w.tree, name="乙")
    claim(a, first)
    claim(b, first, waitlist=True)
    rows = needs_board.roster(db.session.get(Need, need.id))
    assert [(r.shift.id, [c.volunteer.name for c in r.confirmed]) for r in rows] == [
        (first.id, ["甲"]),
        (second.id, []),
    ]
    assert [c.volunteer.name for c in rows[0].waitlisted] == ["乙"]


# --- Recurring shifts ------------------------------------------------------------------

TUESDAY, THURSDAY = 1, 3
EVERY_DAY = set(range(7))


def starts(slots) -> list[datetime]:
    return [start for start, _ in slots]


def test_recurring_slots_every_tuesday_and_thursday_evening_for_eight_weeks(app):
    slots = posting.recurring_slots({TUESDAY, THURSDAY}, time(19), time(21), date(2026, 12, 1), 8)
    assert len(slots) == 16
    assert slots[0] == (datetime(2026, 12, 1, 19), datetime(2026, 12, 1, 21))
    assert starts(slots)[:4] == [
        datetime(2026, 12, 1, 19),
        datetime(2026, 12, 3, 19),
        datetime(2026, 12, 8, 19),
        datetime(2026, 12, 10, 19),
    ]
    assert slots[-1] == (datetime(2027, 1, 21, 19), datetime(2027, 1, 21, 21))
    assert {start.weekday() for start in starts(slots)} == {TUESDAY, THURSDAY}


def test_recurring_slots_cross_a_month_end(app):
    slots = posting.recurring_slots({TUESDAY, THURSDAY}, time(9), time(11), date(2027, 1, 28), 2)
    assert [s.date() for s in starts(slots)] == [
        date(2027, 1, 28),
        date(2027, 2, 2),
        date(2027, 2, 4),
        date(2027, 2, 9),
    ]


def test_recurring_slots_cross_a_year_end(app):
    slots = posting.recurring_slots({TUESDAY, THURSDAY}, time(9), time(11), date(2026, 12, 28), 2)
    assert [s.date() for s in starts(slots)] == [
        date(2026, 12, 29),
        date(2026, 12, 31),
        date(2027, 1, 5),
        date(2027, 1, 7),
    ]


@pytest.mark.parametrize(
    ("first_day", "second_day"),
    [(date(2028, 2, 28), date(2028, 2, 29)), (date(2027, 2, 28), date(2027, 3, 1))],
)
def test_recurring_slots_know_leap_years(app, first_day, second_day):
    slots = posting.recurring_slots(EVERY_DAY, time(9), time(10), first_day, 1)
    days = [s.date() for s in starts(slots)]
    assert len(days) == 7
    assert days[:2] == [first_day, second_day]


@pytest.mark.parametrize(
    ("weekdays", "start", "end", "weeks", "field"),
    [
        ({TUESDAY}, time(21), time(19), 8, "end_time"),
        ({TUESDAY}, time(19), time(19), 8, "end_time"),
        (set(), time(19), time(21), 8, "weekdays"),
        ({TUESDAY}, time(19), time(21), 0, "weeks"),
        ({TUESDAY}, time(19), time(21), 53, "weeks"),
    ],
)
def test_recurring_slots_refuse_bad_patterns(app, weekdays, start, end, weeks, field):
    with pytest.raises(ServiceError) as refused:
        posting.recurring_slots(weekdays, start, end, date(2026, 12, 1), weeks)
    assert refused.value.field == field


def test_recurring_slots_accept_one_to_52_weeks(app):
    assert len(posting.recurring_slots({TUESDAY}, time(19), time(21), date(2026, 12, 1), 1)) == 1
    assert len(posting.recurring_slots({TUESDAY}, time(19), time(21), date(2026, 12, 1), 52)) == 52


def test_recurring_shifts_are_stored_in_utc(app):
    entries = posting.recurring_shifts(
        {TUESDAY, THURSDAY}, time(19), time(21), date(2026, 12, 1), 8, 6, now=NOW
    )
    assert len(entries) == 16
    assert (entries[0].starts_at, entries[0].ends_at) == (
        datetime(2026, 12, 1, 11),
        datetime(2026, 12, 1, 13),
    )
    assert {e.capacity for e in entries} == {6}
    # Early morning in Shanghai is the evening before in UTC.
    [early] = posting.recurring_shifts(
        {THURSDAY}, time(7), time(8), date(2026, 12, 3), 1, 2, now=NOW
    )
    assert early.starts_at == datetime(2026, 12, 2, 23)


def test_recurring_shifts_can_be_saved_as_a_need(app):
    w = world()
    entries = posting.recurring_shifts(
        {TUESDAY, THURSDAY}, time(19), time(21), date(2026, 12, 1), 8, 6, now=NOW
    )
    need = post_need(w, entries)
    assert len(fresh(Need, need.id).shifts) == 16


@pytest.mark.parametrize(
    ("first_day", "capacity", "field"),
    [(date(2026, 11, 30), 5, "first_day"), (date(2026, 12, 1), 0, "capacity")],
)
def test_recurring_shifts_refuse_past_days_and_bad_capacity(app, first_day, capacity, field):
    with pytest.raises(ServiceError) as refused:
        posting.recurring_shifts({0, 1, 2}, time(19), time(21), first_day, 1, capacity, now=NOW)
    assert refused.value.field == field


# --- The board -------------------------------------------------------------------------


def board(volunteer, now=NOW, per_page=needs_board.BOARD_PAGE_SIZE, **filters):
    return needs_board.board(volunteer, BoardFilters(**filters), now=now, per_page=per_page)


def titles(volunteer, now=NOW, **filters) -> list[str]:
    return [card.need.title for card in board(volunteer, now, **filters).cards]


def test_board_shows_open_needs_with_an_upcoming_shift_only(app):
    w = world()
    post_need(w, [at(24)], title="开放")
    post_need(w, [at(24)], title="草稿", publish=False)
    closed = post_need(w, [at(24)], title="已关闭")
    posting.close(w.admin.id, closed.id)
    cancelled = post_need(w, [at(24)], title="已取消")
    posting.cancel(w.admin.id, cancelled.id, "下雨")
    completed = post_need(w, [at(1), at(24)], title="已完成")
    posting.complete(w.admin.id, completed.id, now=NOW + HOUR)
    post_need(w, [at(1)], title="已开始")

    assert titles(make_user(w.tree), now=NOW + HOUR) == ["开放"]


def test_board_shows_what_the_volunteer_may_see(app):
    w = world()
    post_need(w, [at(24)], title="A社区")
    post_need(w, [at(25)], title="B社区", community="community_b")
    post_need(w, [at(26)], title="B街道", community="community_b", visibility=Visibility.street)
    post_need(w, [at(27)], title="C街道", community="community_c", visibility=Visibility.street)

    assert titles(make_user(w.tree)) == ["A社区", "B街道"]
    assert titles(make_user(w.tree, community="community_b", grid="grid_b1")) == [
        "B社区",
        "B街道",
    ]
    assert titles(make_user(w.tree, community="community_c", grid=None)) == ["C街道"]


def test_board_is_empty_for_an_account_without_a_profile(app):
    w = world()
    post_need(w)
    no_profile = accounts.create_admin(next_phone(), "系统管理员", PASSWORD)
    page = board(no_profile)
    assert page.cards == []
    assert page.has_more is False


def test_board_orders_needs_by_their_next_upcoming_shift(app):
    w = world()
    post_need(w, [at(1), at(72)], title="三天后")
    post_need(w, [at(48)], title="两天后")
    post_need(w, [at(24)], title="明天")
    assert titles(make_user(w.tree), now=NOW + 2 * HOUR) == ["明天", "两天后", "三天后"]


def test_board_cards_carry_the_next_shift_and_the_places_left(app):
    w = world()
    need = post_need(w, [at(48, capacity=2), at(24, capacity=3)])
    soon = need.shifts[0]
    claim(make_user(w.tree), soon)
    [card] = board(make_user(w.tree)).cards
    assert card.need.id == need.id
    assert card.next_shift.id == soon.id
    assert card.places_left == 2
    assert card.upcoming == 2


def test_board_filters_by_category(app):
    w = world()
    repair = make_category("repair", "维修", "Repairs")
    post_need(w, title="助老")
    post_need(w, title="修水管", category_id=repair.id)
    assert titles(make_user(w.tree), category_id=repair.id) == ["修水管"]


def test_board_filters_by_skill_and_by_my_skills(app):
    w = world()
    first_aid = accounts.add_skill(None, "急救")
    driving = accounts.add_skill(None, "驾驶")
    post_need(w, [at(24)], title="急救培训", skill_ids=[first_aid.id])
    post_need(w, [at(25)], title="接送老人", skill_ids=[driving.id])
    post_need(w, [at(26)], title="无需技能")
    volunteer = make_user(w.tree)
    accounts.update_profile(
        volunteer.id,
        name=volunteer.name,
        community_id=w.tree.community_a,
        grid_id=w.tree.grid_a1,
        skill_ids=[driving.id],
        is_party_member=False,
        employer_unit=None,
        availability=None,
    )
    volunteer = db.session.get(User, volunteer.id)
    no_skills = make_user(w.tree)

    assert titles(volunteer, skill_id=first_aid.id) == ["急救培训"]
    assert titles(volunteer, my_skills=True) == ["接送老人"]
    assert titles(no_skills, my_skills=True) == []


def test_board_filters_by_places_left(app):
    w = world()
    need = post_need(w, [at(24, capacity=1), at(48, capacity=1)], title="先满后空")
    full, free = need.shifts
    claim(make_user(w.tree), full)
    other = post_need(w, [at(30, capacity=1)], title="已满")
    claim(make_user(w.tree), other.shifts[0])
    volunteer = make_user(w.tree)

    assert titles(volunteer) == ["先满后空", "已满"]
    [card] = board(volunteer, has_places=True).cards
    assert card.need.id == need.id
    assert card.next_shift.id == free.id
    assert card.places_left == 1


def test_board_filters_by_local_dates(app):
    w = world()
    # 07:00 on 5 December in Shanghai is 23:00 on 4 December in UTC.
    post_need(
        w,
        [posting.ShiftInput(datetime(2026, 12, 4, 23), datetime(2026, 12, 5, 1), 2)],
        title="5日早上",
    )
    # 23:00 on 4 December in Shanghai.
    post_need(
        w,
        [posting.ShiftInput(datetime(2026, 12, 4, 15), datetime(2026, 12, 4, 16), 2)],
        title="4日深夜",
    )
    volunteer = make_user(w.tree)
    day = date(2026, 12, 5)

    assert titles(volunteer, date_from=day, date_to=day) == ["5日早上"]
    assert titles(volunteer, date_to=date(2026, 12, 4)) == ["4日深夜"]
    assert titles(volunteer, date_from=date(2026, 12, 6)) == []


def test_board_text_search_looks_in_title_and_description(app):
    w = world()
    post_need(w, [at(24)], title="陪老人散步", description="")
    post_need(w, [at(25)], title="修理", description="帮老人换灯泡")
    post_need(w, [at(26)], title="打扫楼道", description="")
    volunteer = make_user(w.tree)
    assert titles(volunteer, q=" 老人 ") == ["陪老人散步", "修理"]
    assert titles(volunteer, q="灯泡") == ["修理"]


def test_board_text_search_treats_percent_and_underscore_literally(app):
    w = world()
    post_need(w, [at(24)], title="满100%参与", description="")
    post_need(w, [at(25)], title="满100人参与", description="")
    post_need(w, [at(26)], title="a_b", description="")
    post_need(w, [at(27)], title="axb", description="")
    volunteer = make_user(w.tree)
    assert titles(volunteer, q="100%") == ["满100%参与"]
    assert titles(volunteer, q="%") == ["满100%参与"]
    assert titles(volunteer, q="a_b") == ["a_b"]
    assert titles(volunteer, q="_") == ["a_b"]


def test_board_text_search_ignores_case(app):
    w = world()
    post_need(w, [at(24)], title="Walk the dog", description="")
    assert titles(make_user(w.tree), q="walk") == ["Walk the dog"]


def test_board_pages(app):
    w = world()
    for n in range(5):
        post_need(w, [at(24 + n)], title=f"需求{n}")
    volunteer = make_user(w.tree)
    pages = [board(volunteer, per_page=2, page=n) for n in (1, 2, 3)]
    assert [[c.need.title for c in p.cards] for p in pages] == [
        ["需求0", "需求1"],
        ["需求2", "需求3"],
        ["需求4"],
    ]
    assert [p.has_more for p in pages] == [True, True, False]
    assert [p.page for p in pages] == [1, 2, 3]


# --- Calendar --------------------------------------------------------------------------


def test_shift_calendar_is_an_icalendar_event_in_utc(app):
    w = world()
    need = post_need(w, [at(24)], title="陪伴独居老人", place="幸福里3号楼")
    ics = calendar.shift_calendar(first_shift(need))

    [event] = Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["summary"]) == "陪伴独居老人"
    assert str(event["location"]) == "幸福里3号楼"
    assert event.decoded("dtstart") == datetime(2026, 12, 2, 2, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 12, 2, 4, tzinfo=UTC)
    assert b"DTSTART:20261202T020000Z" in ics
    assert b"13812345678" in ics


# --- Cancelled and removed work earns nothing (issue 10) -----------------------------


def _checked_in(w, shift, volunteer):
    checkin.check_in(volunteer.id, shift.id, now=shift.starts_at, evidence=Evidence.code_scan)
    return checkin.attendance_of(shift.id, volunteer.id).id


def test_cancelling_a_need_settles_its_attendance_in_the_same_transaction(app):
    w = world()
    need = post_need(w, [at(24), at(48)])
    volunteer = make_user(w.tree)
    claim(volunteer, need.shifts[0])
    attendance_id = _checked_in(w, need.shifts[0], volunteer)
    with pytest.raises(ServiceError):  # refused: nothing half-written
        posting.cancel(w.admin.id, need.id, " ")
    assert fresh(Attendance, attendance_id).status is AttendanceStatus.present
    posting.cancel(w.admin.id, need.id, "暴雨预警")
    stored = fresh(Attendance, attendance_id)
    assert (stored.status, stored.void_reason, stored.note, stored.minutes) == (
        AttendanceStatus.void,
        VoidReason.need_cancelled,
        "暴雨预警",
        0,
    )


def test_removing_a_claimant_settles_only_their_attendance(app):
    w = world()
    need = post_need(w, [at(24, capacity=3)])
    shift = need.shifts[0]
    removed, stays = make_user(w.tree), make_user(w.tree)
    removed_claim = claim(removed, shift)
    claim(stays, shift)
    removed_id = _checked_in(w, shift, removed)
    stays_id = _checked_in(w, shift, stays)
    needs_claims.remove_claimant(w.admin.id, removed_claim.id, "扫码后离开", now=shift.starts_at)
    stored = fresh(Attendance, removed_id)
    assert (stored.status, stored.void_reason) == (AttendanceStatus.void, VoidReason.removed)
    assert fresh(Attendance, stays_id).status is AttendanceStatus.present
