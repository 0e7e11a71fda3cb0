from datetime import timedelta

import pytest

from govhub import permissions
from govhub.database import NotFound, ServiceError, utcnow
from govhub.needs import claims, posting, resident_requests
from govhub.needs.models import (
    Claim,
    ClaimStatus,
    Need,
    Rating,
    RequestStatus,
    ResidentRequest,
    Urgency,
)
from tests.factories import make_admin, make_user
from tests.needs.helpers import NOW, at, count, fresh, need_input, notices, post_need, world

HOUR = timedelta(hours=1)


def submit(user, **overrides) -> ResidentRequest:
    fields = {
        "what": "帮忙换灯泡",
        "details": "厨房的灯坏了。",
        "when_text": "本周末",
        "place": "幸福里3号楼201",
        "urgency": Urgency.normal,
        "now": utcnow(),
        **overrides,
    }
    return resident_requests.submit(user.id, **fields)


def on_behalf(w, **overrides) -> ResidentRequest:
    fields = {
        "community_id": w.tree.community_a,
        "resident_name": "李奶奶",
        "resident_building": "5号楼102",
        **overrides,
    }
    return submit(w.admin, **fields)


def accept(w, request, community: str = "community_a", shifts=None) -> Need:
    """Post a need from ``request`` (a draft), as the review page does."""
    return posting.save_need(
        w.admin.id,
        getattr(w.tree, community),
        need_input(w.category.id, title=request.what, place=request.place),
        shifts or [at(24)],
        now=NOW,
        request_id=request.id,
    )


# --- Submitting ------------------------------------------------------------------------


def test_resident_submits_a_request_to_their_home_community(app):
    w = world()
    resident = make_user(w.tree, community="community_b", grid="grid_b1", name="张大爷")

    made = submit(resident, what="  帮忙换灯泡  ", urgency=Urgency.high)

    stored = fresh(ResidentRequest, made.id)
    assert stored.community_id == w.tree.community_b
    assert stored.requester_id == resident.id
    assert stored.what == "帮忙换灯泡"
    assert stored.urgency is Urgency.high
    assert stored.status is RequestStatus.submitted
    assert stored.on_behalf is False
    assert stored.resident_display == "张大爷"
    assert [r.id for r in resident_requests.mine(resident.id)] == [made.id]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"what": ""}, "what"),
        ({"what": "   "}, "what"),
        ({"what": "长" * 81}, "what"),
        ({"details": "长" * 2001}, "details"),
        ({"place": " "}, "place"),
    ],
)
def test_submit_refuses_bad_input_and_writes_nothing(app, fields, field):
    w = world()
    with pytest.raises(ServiceError) as refused:
        submit(make_user(w.tree), **fields)
    assert refused.value.field == field
    assert count(ResidentRequest) == 0


def test_submit_on_behalf_records_the_resident_in_the_chosen_community(app):
    w = world()
    made = on_behalf(w, resident_name=" 李奶奶 ", resident_building=" 5号楼102 ")
    stored = fresh(ResidentRequest, made.id)
    assert stored.on_behalf is True
    assert stored.requester_id == w.admin.id
    assert stored.community_id == w.tree.community_a
    assert (stored.resident_name, stored.resident_building) == ("李奶奶", "5号楼102")
    assert stored.resident_display == "李奶奶"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"resident_name": "  "}, "resident_name"),
        ({"resident_building": None}, "resident_building"),
        ({"resident_building": "  "}, "resident_building"),
    ],
)
def test_submit_on_behalf_needs_the_residents_name_and_building(app, fields, field):
    w = world()
    with pytest.raises(ServiceError) as refused:
        on_behalf(w, **fields)
    assert refused.value.field == field
    assert count(ResidentRequest) == 0


def test_submit_on_behalf_needs_a_community(app):
    w = world()
    with pytest.raises(ServiceError):
        on_behalf(w, community_id=w.tree.street)
    assert count(ResidentRequest) == 0


# --- Deciding --------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "长" * 501])
def test_decline_needs_a_reason(app, reason):
    w = world()
    resident = make_user(w.tree)
    made = submit(resident)
    with pytest.raises(ServiceError) as refused:
        resident_requests.decline(w.admin.id, made.id, reason, now=utcnow())
    assert refused.value.field == "reason"
    assert fresh(ResidentRequest, made.id).status is RequestStatus.submitted
    assert notices(resident) == []


def test_decline_tells_the_resident_why(app):
    w = world()
    resident = make_user(w.tree)
    made = submit(resident)

    resident_requests.decline(w.admin.id, made.id, " 请联系物业处理 ", now=utcnow())

    stored = fresh(ResidentRequest, made.id)
    assert stored.status is RequestStatus.declined
    assert stored.decline_reason == "请联系物业处理"
    assert stored.decided_by_id == w.admin.id
    assert stored.decided_at is not None
    [notice] = notices(resident)
    assert notice.kind == "request_declined"
    assert (notice.target_type, notice.target_id) == ("resident_request", made.id)
    assert notice.params["reason"] == "请联系物业处理"


def test_posting_a_need_from_a_request_accepts_it_and_tells_the_resident(app):
    w = world()
    resident = make_user(w.tree)
    made = submit(resident)

    need = accept(w, made)

    stored = fresh(ResidentRequest, made.id)
    assert stored.status is RequestStatus.accepted
    assert stored.need_id == need.id
    assert stored.decided_by_id == w.admin.id
    assert fresh(Need, need.id).request.id == made.id
    [notice] = notices(resident)
    assert notice.kind == "request_accepted"
    assert (notice.target_type, notice.target_id) == ("resident_request", made.id)


def test_a_request_is_accepted_only_into_a_need_of_its_community(app):
    w = world()
    resident = make_user(w.tree)
    made = submit(resident)
    with pytest.raises(ServiceError):
        accept(w, made, community="community_b")
    assert fresh(ResidentRequest, made.id).status is RequestStatus.submitted
    assert count(Need) == 0
    assert notices(resident) == []


def test_an_accepted_request_cannot_be_decided_again(app):
    w = world()
    made = submit(make_user(w.tree))
    need = accept(w, made)

    with pytest.raises(ServiceError):
        resident_requests.decline(w.admin.id, made.id, "改主意了", now=utcnow())
    with pytest.raises(ServiceError):
        accept(w, made)

    stored = fresh(ResidentRequest, made.id)
    assert stored.status is RequestStatus.accepted
    assert stored.decline_reason is None
    assert stored.need_id == need.id
    assert count(Need) == 1


def test_a_declined_request_cannot_be_decided_again(app):
    w = world()
    resident = make_user(w.tree)
    made = submit(resident)
    resident_requests.decline(w.admin.id, made.id, "不在服务范围", now=utcnow())

    with pytest.raises(ServiceError):
        resident_requests.decline(w.admin.id, made.id, "再说一次", now=utcnow())
    with pytest.raises(ServiceError):
        accept(w, made)

    stored = fresh(ResidentRequest, made.id)
    assert stored.status is RequestStatus.declined
    assert stored.decline_reason == "不在服务范围"
    assert count(Need) == 0
    assert [n.kind for n in notices(resident)] == ["request_declined"]


def test_deciding_an_unknown_request_is_not_found(app):
    w = world()
    with pytest.raises(NotFound):
        resident_requests.decline(w.admin.id, 9999, "没有这个诉求", now=utcnow())


def test_review_queue_holds_the_admins_waiting_requests_most_urgent_first(app):
    w = world()
    resident = make_user(w.tree)
    low = submit(resident, what="低", urgency=Urgency.low)
    urgent = submit(resident, what="急1", urgency=Urgency.urgent)
    normal = submit(resident, what="中", urgency=Urgency.normal)
    high = submit(resident, what="高", urgency=Urgency.high)
    urgent_later = submit(resident, what="急2", urgency=Urgency.urgent)
    resident_requests.decline(
        w.admin.id, submit(resident, what="已拒", urgency=Urgency.urgent).id, "重复", now=utcnow()
    )
    submit(make_user(w.tree, community="community_b", grid="grid_b1"), urgency=Urgency.urgent)

    queue = resident_requests.review_queue(permissions.community_admin_scope(w.admin))

    assert [r.id for r in queue] == [urgent.id, urgent_later.id, high.id, normal.id, low.id]


def test_review_queue_of_another_community_is_separate(app):
    w = world()
    submit(make_user(w.tree))
    neighbour = make_user(w.tree, community="community_b", grid="grid_b1")
    theirs = submit(neighbour)
    admin_b = make_admin(w.tree, scope="community_b")
    queue = resident_requests.review_queue(permissions.community_admin_scope(admin_b))
    assert [r.id for r in queue] == [theirs.id]


# --- Ratings ---------------------------------------------------------------------------

SHIFT_ENDS = NOW + 3 * HOUR  # the shift at(1) runs from NOW + 1h to NOW + 3h


def served_need(w, *, request=None):
    """An open need with one shift starting in an hour, claimed by a volunteer."""
    if request is None:
        need = post_need(w, [at(1)])
    else:
        need = accept(w, request, shifts=[at(1)])
        posting.publish(w.admin.id, need.id, now=NOW)
    volunteer = make_user(w.tree, name="志愿者")
    claims.claim_shift(volunteer.id, need.shifts[0].id, now=NOW)
    return need, volunteer


def complete(w, need, now=SHIFT_ENDS):
    posting.complete(w.admin.id, need.id, now=now)


def test_the_resident_who_asked_can_rate_the_completed_need(app):
    w = world()
    resident = make_user(w.tree)
    need, _ = served_need(w, request=submit(resident))
    complete(w, need)

    rating = resident_requests.rate(resident.id, need.id, 5, " 非常及时，谢谢！ ", now=SHIFT_ENDS)

    stored = fresh(Rating, rating.id)
    assert (stored.user_id, stored.role, stored.stars) == (resident.id, "resident", 5)
    assert stored.comment == "非常及时，谢谢！"
    assert [r.id for r in resident_requests.ratings_for(need.id)] == [rating.id]


def test_a_volunteer_who_served_can_rate_once_the_shift_ended(app):
    w = world()
    need, volunteer = served_need(w)
    complete(w, need, now=NOW + 2 * HOUR)

    with pytest.raises(ServiceError):
        resident_requests.rate(volunteer.id, need.id, 4, "", now=SHIFT_ENDS - HOUR)
    rating = resident_requests.rate(volunteer.id, need.id, 4, "", now=SHIFT_ENDS)

    assert fresh(Rating, rating.id).role == "volunteer"
    assert count(Rating) == 1


def test_rating_refused_before_the_need_is_completed(app):
    w = world()
    resident = make_user(w.tree)
    need, volunteer = served_need(w, request=submit(resident))
    for user in (resident, volunteer):
        with pytest.raises(ServiceError):
            resident_requests.rate(user.id, need.id, 5, "", now=SHIFT_ENDS)
    assert count(Rating) == 0


def test_rating_refused_to_people_who_neither_asked_nor_served(app):
    w = world()
    made = on_behalf(w)
    need, _ = served_need(w, request=made)
    stranger = make_user(w.tree)
    quitter = make_user(w.tree)
    early = NOW - 2 * HOUR  # before the two-hour cut-off
    claim = claims.claim_shift(quitter.id, need.shifts[0].id, now=early)
    claims.cancel_claim(quitter.id, claim.id, now=early)
    assert fresh(Claim, claim.id).status is ClaimStatus.cancelled
    complete(w, need)

    # The admin submitted the request on a resident's behalf: they are not the resident.
    for user in (stranger, quitter, w.admin):
        with pytest.raises(ServiceError):
            resident_requests.rate(user.id, need.id, 5, "", now=SHIFT_ENDS)
    assert count(Rating) == 0


def test_one_rating_per_person_per_need(app):
    w = world()
    need, volunteer = served_need(w)
    complete(w, need)
    resident_requests.rate(volunteer.id, need.id, 5, "很好", now=SHIFT_ENDS)
    with pytest.raises(ServiceError):
        resident_requests.rate(volunteer.id, need.id, 1, "改评", now=SHIFT_ENDS)
    [rating] = resident_requests.ratings_for(need.id)
    assert (rating.stars, rating.comment) == (5, "很好")


@pytest.mark.parametrize("stars", [0, 6, -1])
def test_stars_must_be_between_one_and_five(app, stars):
    w = world()
    need, volunteer = served_need(w)
    complete(w, need)
    with pytest.raises(ServiceError) as refused:
        resident_requests.rate(volunteer.id, need.id, stars, "", now=SHIFT_ENDS)
    assert refused.value.field == "stars"
    assert count(Rating) == 0


def test_a_rating_comment_is_at_most_500_characters(app):
    w = world()
    need, volunteer = served_need(w)
    complete(w, need)
    with pytest.raises(ServiceError) as refused:
        resident_requests.rate(volunteer.id, need.id, 5, "长" * 501, now=SHIFT_ENDS)
    assert refused.value.field == "comment"
    assert count(Rating) == 0


def test_deciding_a_request_records_the_moment_the_caller_passes(app):
    w = world()
    resident = make_user(w.tree)
    declined, accepted = submit(resident, what="甲"), submit(resident, what="乙")
    decided = NOW + timedelta(hours=5)
    resident_requests.decline(w.admin.id, declined.id, "不在服务范围", now=decided)
    accept(w, accepted)  # save_need passes its own ``now`` (NOW) on
    assert fresh(ResidentRequest, declined.id).decided_at == decided
    assert fresh(ResidentRequest, accepted.id).decided_at == NOW
