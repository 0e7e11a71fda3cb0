"""一键认领: a unit holds places of a shift for its members, and they claim them.

The arithmetic every test checks (``assert_counters_agree``): ``Shift.claimed`` = public
confirmed claims + the holds' places, and each hold's ``used`` = its confirmed claims.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from govhub.audit.models import AuditEvent
from govhub.database import ServiceError
from govhub.extensions import db
from govhub.needs import claims as needs_claims
from govhub.needs import posting, unit_holds
from govhub.needs.claims import ClaimRefused
from govhub.needs.models import Category, Claim, ClaimStatus, NeedStatus, Shift, UnitHold
from govhub.notifications.models import Notification
from govhub.partners.models import PartnerKind
from govhub.reporting.models import UnitReport
from tests.factories import make_category, make_need, make_tree, make_user
from tests.needs.unit_hold_helpers import (
    assert_counters_agree,
    make_unit,
    report_member,
    report_unit,
    shift_and_hold,
    unit_world,
)


@pytest.fixture(autouse=True)
def english(app):
    """The services' refusals in English, so the tests can match them."""
    with force_locale("en"):
        yield


@pytest.fixture
def w(app):
    return unit_world(make_tree())


def hold(w, places, *, actor=None, now=None):
    actor = actor or w.liaison
    return unit_holds.hold_places(actor.id, w.shift.id, w.unit.id, places, now=now or w.now)


def take(w, member, hold_id, *, now=None):
    return unit_holds.claim_held_place(member.id, hold_id, now=now or w.now)


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count()).where(AuditEvent.action == action))


def offers(user) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(
                Notification.user_id == user.id, Notification.kind == "unit_hold_offered"
            )
        )
    )


# --- Who may hold ----------------------------------------------------------------------


def test_the_liaison_holds_places_that_the_public_sees_as_taken(w):
    held = hold(w, 2)
    shift, stored = shift_and_hold(w.shift.id, w.unit.id)
    assert (shift.claimed, stored.places, stored.used) == (2, 2, 0)
    assert stored.id == held.id and stored.created_by_id == w.liaison.id
    assert audit_count("unit_hold.placed") == 1
    for member in w.members:
        (note,) = offers(member)
        assert note.target_type == "need" and note.target_id == w.need.id
        assert note.params["partner"] == "Tax Office"
    assert offers(w.liaison) == []
    assert_counters_agree(w.shift.id)


def test_the_units_staff_may_hold_too(w):
    hold(w, 1, actor=w.staff)
    assert shift_and_hold(w.shift.id, w.unit.id)[1].places == 1


def test_a_business_cannot_hold_places(w):
    shop, owner = make_unit(w.tree, name="Kind Grocery", kind=PartnerKind.business)
    with pytest.raises(ServiceError, match="do not act for this unit"):
        unit_holds.hold_places(owner.id, w.shift.id, shop.id, 1, now=w.now)
    assert shift_and_hold(w.shift.id, shop.id) == (db.session.get(Shift, w.shift.id), None)


def test_someone_who_acts_for_another_unit_cannot_hold_for_this_one(w):
    _other, other_staff = make_unit(w.tree, name="Water Bureau")
    with pytest.raises(ServiceError, match="do not act for this unit"):
        hold(w, 1, actor=other_staff)
    with pytest.raises(ServiceError, match="do not act for this unit"):
        hold(w, 1, actor=w.members[0])


def test_a_unit_not_reported_to_the_needs_community_cannot_hold(w):
    elsewhere, staff = make_unit(w.tree, name="Water Bureau")
    report_unit(elsewhere, w.tree.community_b, staff)
    with pytest.raises(ServiceError, match="no confirmed report to Alpha Community") as refused:
        unit_holds.hold_places(staff.id, w.shift.id, elsewhere.id, 1, now=w.now)
    assert refused.value.field == "partner_id"
    assert db.session.get(Shift, w.shift.id).claimed == 0


def test_a_lapsed_report_does_not_count(app):
    tree = make_tree()
    w = unit_world(tree)
    late, staff = make_unit(tree, name="Water Bureau")
    report_unit(late, tree.community_a, staff, valid_until=w.now.date() - timedelta(days=2))
    with pytest.raises(ServiceError, match="no confirmed report"):
        unit_holds.hold_places(staff.id, w.shift.id, late.id, 1, now=w.now)


def test_a_report_that_lists_kinds_of_need_holds_only_those(app):
    tree = make_tree()
    other_kind = make_category("cleanup")
    w = unit_world(tree, categories=[other_kind])
    with pytest.raises(ServiceError, match="does not take on needs of the kind"):
        hold(w, 1)
    report = db.session.scalar(select(UnitReport).where(UnitReport.partner_id == w.unit.id))
    report.categories.append(db.session.get_one(Category, w.category_id))
    db.session.commit()
    assert hold(w, 1).places == 1


def test_a_need_that_is_not_open_or_a_started_shift_takes_no_hold(w):
    with pytest.raises(ServiceError, match="already started"):
        hold(w, 1, now=w.shift.starts_at)
    posting.close(w.admin.id, w.need.id)
    with pytest.raises(ServiceError, match="not open"):
        hold(w, 1)


@pytest.mark.parametrize("places", [0, -1, 6, None])
def test_places_outside_one_to_capacity_are_refused_at_the_field(w, places):
    with pytest.raises(ServiceError, match="from 1 to 5") as refused:
        hold(w, places)
    assert refused.value.field == "places"


def test_who_acts_for_the_unit_and_who_takes_its_places(w):
    from govhub import permissions
    from govhub.permissions import Action

    held = hold(w, 2)
    others_staff = make_unit(w.tree, name="Water Bureau")[1]
    expected = {
        "liaison": (True, True, False),
        "staff": (True, True, False),
        "member": (False, False, True),
        "other unit's staff": (False, False, False),
        "community admin": (False, False, False),
    }
    people = {
        "liaison": w.liaison,
        "staff": w.staff,
        "member": w.members[0],
        "other unit's staff": others_staff,
        "community admin": w.admin,
    }
    decided = {
        who: (
            permissions.can(user, Action.HOLD_FOR_UNIT, w.unit),
            permissions.can(user, Action.RELEASE_HOLD, held),
            permissions.can(user, Action.CLAIM_HELD_PLACE, held),
        )
        for who, user in people.items()
    }
    assert decided == expected


# --- Holding again, release ------------------------------------------------------------


def test_holding_the_same_total_again_changes_nothing(w):
    hold(w, 2)
    hold(w, 2)
    shift, stored = shift_and_hold(w.shift.id, w.unit.id)
    assert (shift.claimed, stored.places) == (2, 2)
    assert audit_count("unit_hold.placed") == 1
    assert [len(offers(m)) for m in w.members] == [1, 1]
    assert db.session.scalar(select(func.count()).select_from(UnitHold)) == 1


def test_holding_more_takes_only_the_places_left(w):
    needs_claims.claim_shift(make_user(w.tree).id, w.shift.id, now=w.now)
    hold(w, 3)
    with pytest.raises(ServiceError, match="Only 1 more places") as refused:
        hold(w, 5)
    assert refused.value.field == "places"
    hold(w, 4)
    shift, stored = shift_and_hold(w.shift.id, w.unit.id)
    assert (shift.claimed, shift.places_left, stored.places) == (5, 0, 4)
    with pytest.raises(ClaimRefused, match="full"):
        needs_claims.claim_shift(make_user(w.tree).id, w.shift.id, now=w.now)
    assert_counters_agree(w.shift.id)


def test_a_unit_cannot_hold_fewer_places_than_its_members_took(w):
    held = hold(w, 3)
    take(w, w.members[0], held.id)
    take(w, w.members[1], held.id)
    with pytest.raises(ServiceError, match="2 of your members") as refused:
        hold(w, 1)
    assert refused.value.field == "places"
    hold(w, 2)
    shift, stored = shift_and_hold(w.shift.id, w.unit.id)
    assert (shift.claimed, stored.places, stored.used) == (2, 2, 2)


def test_releasing_gives_the_unused_places_back_and_promotes_the_waiting_list(app):
    w = unit_world(make_tree(), capacity=4)
    held = hold(w, 3)
    take(w, w.members[0], held.id)
    public = make_user(w.tree, name="Public")
    needs_claims.claim_shift(public.id, w.shift.id, now=w.now)
    waiting = [make_user(w.tree, name=f"Waiting {n}") for n in range(3)]
    for person in waiting:
        needs_claims.claim_shift(person.id, w.shift.id, now=w.now, waitlist=True)

    unit_holds.release_hold(w.liaison.id, held.id, now=w.now)

    shift, stored = shift_and_hold(w.shift.id, w.unit.id)
    assert (stored.places, stored.used) == (1, 1)
    assert shift.claimed == 4  # public + 2 promoted + the member's held place
    statuses = [
        db.session.scalar(select(Claim.status).where(Claim.volunteer_id == p.id)) for p in waiting
    ]
    assert statuses == [ClaimStatus.confirmed, ClaimStatus.confirmed, ClaimStatus.waitlisted]
    assert_counters_agree(w.shift.id)
    unit_holds.release_hold(w.liaison.id, held.id, now=w.now)  # again: nothing changes
    assert audit_count("unit_hold.released") == 1
    assert shift_and_hold(w.shift.id, w.unit.id)[0].claimed == 4


def test_only_who_acts_for_the_unit_releases(w):
    held = hold(w, 2)
    with pytest.raises(ServiceError, match="do not act for this unit"):
        unit_holds.release_hold(w.members[0].id, held.id, now=w.now)
    assert shift_and_hold(w.shift.id, w.unit.id)[1].places == 2


# --- Members take held places ----------------------------------------------------------


def test_a_member_takes_a_held_place_without_moving_the_shifts_count(w):
    held = hold(w, 2)
    claim = take(w, w.members[0], held.id)
    shift, stored = shift_and_hold(w.shift.id, w.unit.id)
    assert (shift.claimed, stored.used) == (2, 1)
    claim = db.session.get(Claim, claim.id)
    assert claim.status is ClaimStatus.confirmed and claim.unit_hold_id == held.id
    assert db.session.scalar(
        select(func.count()).where(
            Notification.user_id == w.members[0].id, Notification.kind == "claim_confirmed"
        )
    )
    assert_counters_agree(w.shift.id)


def test_a_non_member_never_takes_a_held_place(w):
    held = hold(w, 2)
    stranger = make_user(w.tree, name="Stranger")
    other_unit, other_staff = make_unit(w.tree, name="Water Bureau")
    other_member = make_user(w.tree, name="Other member")
    report_member(other_member, other_unit, w.tree.community_a)
    unreported = make_user(w.tree, name="Lapsed member")
    report_member(unreported, w.unit, w.tree.community_a, valid_until=w.now.date() - timedelta(2))
    for person in (stranger, other_member, unreported, w.liaison):
        with pytest.raises(ClaimRefused, match="held for the members of Tax Office"):
            take(w, person, held.id)
    assert shift_and_hold(w.shift.id, w.unit.id)[1].used == 0


def test_when_the_hold_is_full_a_member_still_claims_a_public_place(app):
    w = unit_world(make_tree(), members=3, capacity=3)
    held = hold(w, 2)
    take(w, w.members[0], held.id)
    take(w, w.members[1], held.id)
    with pytest.raises(ClaimRefused, match="all taken"):
        take(w, w.members[2], held.id)
    public = needs_claims.claim_shift(w.members[2].id, w.shift.id, now=w.now)
    assert db.session.get(Claim, public.id).unit_hold_id is None
    shift, stored = shift_and_hold(w.shift.id, w.unit.id)
    assert (shift.claimed, stored.places, stored.used) == (3, 2, 2)
    assert_counters_agree(w.shift.id)


def _overlapping(w, member):
    other = make_need(w.tree, admin=w.admin, shifts=((1, 3, 5),), now=w.now, title="Other")
    needs_claims.claim_shift(member.id, other.shifts[0].id, now=w.now)


def _already(w, member):
    needs_claims.claim_shift(member.id, w.shift.id, now=w.now)


def _removed(w, member):
    claim = needs_claims.claim_shift(member.id, w.shift.id, now=w.now)
    needs_claims.remove_claimant(w.admin.id, claim.id, "Duplicate", now=w.now)


def _closed(w, member):
    posting.close(w.admin.id, w.need.id)


def _moved_away(w, member):
    from govhub.accounts.models import VolunteerProfile

    profile = db.session.get_one(VolunteerProfile, member.id)
    profile.community_id = w.tree.community_c
    profile.grid_id = None
    db.session.commit()


@pytest.mark.parametrize(
    ("arrange", "later", "message"),
    [
        (_overlapping, 0, "overlaps another shift"),
        (_already, 0, "already claimed"),
        (_removed, 0, "took you off"),
        (_closed, 0, "not open for claims"),
        (_moved_away, 0, "not open for claims"),  # the need is not shown to them
        (None, 24, "already started"),
    ],
)
def test_every_claim_rule_applies_to_held_places(w, arrange, later, message):
    held = hold(w, 2)
    member = w.members[0]
    if arrange:
        arrange(w, member)
    with pytest.raises(ClaimRefused, match=message):
        take(w, member, held.id, now=w.now + timedelta(hours=later))
    assert shift_and_hold(w.shift.id, w.unit.id)[1].used == 0
    assert_counters_agree(w.shift.id)


def test_a_full_shift_leaves_nothing_to_hold(app):
    w = unit_world(make_tree(), capacity=2)
    for _n in range(2):
        needs_claims.claim_shift(make_user(w.tree).id, w.shift.id, now=w.now)
    with pytest.raises(ServiceError, match="Only 0 more places"):
        hold(w, 1)
    assert shift_and_hold(w.shift.id, w.unit.id)[0].claimed == 2


def test_a_member_on_the_waiting_list_takes_a_held_place(app):
    w = unit_world(make_tree(), capacity=2)
    held = hold(w, 1)
    needs_claims.claim_shift(make_user(w.tree).id, w.shift.id, now=w.now)
    member = w.members[0]
    waiting = needs_claims.claim_shift(member.id, w.shift.id, now=w.now, waitlist=True)
    assert waiting.status is ClaimStatus.waitlisted
    claim = take(w, member, held.id)
    assert claim.id == waiting.id
    stored = db.session.get(Claim, claim.id)
    assert stored.status is ClaimStatus.confirmed and stored.unit_hold_id == held.id
    assert_counters_agree(w.shift.id)


# --- Cancelling, removal, the need cancelled -------------------------------------------


def test_a_cancelled_held_claim_gives_the_place_back_to_the_unit_not_the_public(app):
    w = unit_world(make_tree(), capacity=3)
    held = hold(w, 2)
    claim = take(w, w.members[0], held.id)
    needs_claims.claim_shift(make_user(w.tree).id, w.shift.id, now=w.now)
    waiting = make_user(w.tree, name="Waiting")
    needs_claims.claim_shift(waiting.id, w.shift.id, now=w.now, waitlist=True)

    needs_claims.cancel_claim(w.members[0].id, claim.id, now=w.now)

    shift, stored = shift_and_hold(w.shift.id, w.unit.id)
    assert (shift.claimed, stored.places, stored.used) == (3, 2, 0)
    assert db.session.get(Claim, claim.id).unit_hold_id is None
    assert (
        db.session.scalar(select(Claim.status).where(Claim.volunteer_id == waiting.id))
        is ClaimStatus.waitlisted
    )
    assert_counters_agree(w.shift.id)
    # The place is the unit's again: the member (or another) takes it.
    take(w, w.members[1], held.id)
    assert shift_and_hold(w.shift.id, w.unit.id)[1].used == 1


def test_removing_a_held_claimant_gives_the_place_back_to_the_unit(w):
    held = hold(w, 2)
    claim = take(w, w.members[0], held.id)
    needs_claims.remove_claimant(w.admin.id, claim.id, "Duplicate", now=w.now)
    shift, stored = shift_and_hold(w.shift.id, w.unit.id)
    assert (shift.claimed, stored.used) == (2, 0)
    assert_counters_agree(w.shift.id)


def test_holds_end_with_a_cancelled_need(w):
    held = hold(w, 3)
    claim = take(w, w.members[0], held.id)
    posting.cancel(w.admin.id, w.need.id, "Rain")
    shift, stored = shift_and_hold(w.shift.id, w.unit.id)
    assert (shift.claimed, stored.places, stored.used) == (0, 0, 0)
    stored_claim = db.session.get(Claim, claim.id)
    assert stored_claim.status is ClaimStatus.cancelled and stored_claim.unit_hold_id is None
    assert db.session.get(type(w.need), w.need.id).status is NeedStatus.cancelled
    assert unit_holds.holds_by_shift(w.need) == {}


def test_a_shift_with_held_places_cannot_be_dropped_from_the_need(w):
    from tests.needs.helpers import need_input, same

    two = make_need(w.tree, admin=w.admin, shifts=((1, 2, 5), (2, 2, 5)), now=w.now)
    kept, dropped = two.shifts
    unit_holds.hold_places(w.liaison.id, dropped.id, w.unit.id, 1, now=w.now)
    with pytest.raises(ServiceError, match="A unit holds places"):
        posting.save_need(
            w.admin.id,
            w.tree.community_a,
            need_input(w.category_id, title="Visit lonely elders"),
            [same(kept)],
            now=w.now,
            need_id=two.id,
        )
    assert len(db.session.get(type(two), two.id).shifts) == 2


# --- The pages -------------------------------------------------------------------------


def page_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def hold_data(w, places="2", partner_id=None) -> dict:
    prefix = f"hold-{w.shift.id}"
    return {f"{prefix}-partner_id": str(partner_id or w.unit.id), f"{prefix}-places": places}


def test_the_public_sees_held_places_as_taken_and_no_unit_buttons(w, client, auth):
    hold(w, 2)
    auth.login(make_user(w.tree, name="Neighbour").phone)
    page = page_of(client, f"/needs/{w.need.id}")
    assert "单位认领2个" in page
    assert "以单位名义认领" not in page and "为您保留的名额" not in page
    assert "认领名额" in page  # the public place, as before


def test_the_liaison_holds_places_from_the_need_page(w, client, auth):
    auth.login(w.liaison.phone)
    page = page_of(client, f"/needs/{w.need.id}")
    assert "以单位名义认领" in page and f"/unit-holds/shifts/{w.shift.id}/hold" in page
    assert "认领单位：Tax Office" in page and f"/unit-holds/units/{w.unit.id}" in page
    response = client.post(f"/unit-holds/shifts/{w.shift.id}/hold", data=hold_data(w, "2"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/needs/{w.need.id}#shift-{w.shift.id}")
    page = page_of(client, f"/needs/{w.need.id}")
    assert "Tax Office认领2个名额，成员已认领0个。" in page and "释放2个未使用的名额" in page
    shift, stored = shift_and_hold(w.shift.id, w.unit.id)
    assert (shift.claimed, stored.places) == (2, 2)


@pytest.mark.parametrize(
    "data",
    [
        {"places": ""},
        {"places": "１２"},
        {"places": "-1"},
        {"places": "0"},
        {"places": "501"},
        {"places": "99999999999999"},
        {"places": "2\x00"},
        {"places": "2e1"},
        {"partner_id": "99999999999"},
        {"partner_id": "abc"},
    ],
)
def test_hostile_hold_input_is_refused_beside_the_shift_and_holds_nothing(w, client, auth, data):
    auth.login(w.liaison.phone)
    fields = hold_data(w, data.get("places", "2"), data.get("partner_id"))
    response = client.post(f"/unit-holds/shifts/{w.shift.id}/hold", data=fields)
    assert response.status_code == 422
    assert f'id="shift-{w.shift.id}"' in response.get_data(as_text=True)
    assert shift_and_hold(w.shift.id, w.unit.id) == (db.session.get(Shift, w.shift.id), None)


def test_more_places_than_are_left_is_refused_at_the_field(w, client, auth):
    auth.login(w.liaison.phone)
    response = client.post(f"/unit-holds/shifts/{w.shift.id}/hold", data=hold_data(w, "5"))
    assert response.status_code == 303
    response = client.post(
        f"/unit-holds/shifts/{w.shift.id}/hold",
        data=hold_data(w, "6"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert text.lstrip().startswith("<li") and 'aria-invalid="true"' in text
    assert (
        "请填写1到5之间的名额数。"
        in text.split(f'id="hold-{w.shift.id}-places-field"')[1].split("</div>")[0]
    )


def test_a_unit_not_reported_there_sees_no_form_and_is_told_why(w, client, auth):
    elsewhere, staff = make_unit(w.tree, name="Water Bureau")
    report_unit(elsewhere, w.tree.community_b, staff)
    auth.login(staff.phone)
    assert "以单位名义认领" not in page_of(client, f"/needs/{w.need.id}")
    data = hold_data(w, "1", partner_id=elsewhere.id)
    response = client.post(f"/unit-holds/shifts/{w.shift.id}/hold", data=data)
    assert response.status_code == 422
    assert "Water Bureau没有向Alpha Community报到" in response.get_data(as_text=True)
    assert shift_and_hold(w.shift.id, elsewhere.id)[1] is None


def test_someone_who_acts_for_no_unit_may_not_post_a_hold(w, client, auth):
    auth.login(w.members[0].phone)
    response = client.post(f"/unit-holds/shifts/{w.shift.id}/hold", data=hold_data(w, "1"))
    assert response.status_code == 403


def test_a_member_takes_a_held_place_with_one_tap(w, client, auth):
    held = hold(w, 2)
    member = w.members[0]
    auth.login(member.phone)
    page = page_of(client, f"/needs/{w.need.id}")
    assert "Tax Office为您保留的名额：2" in page and f"/unit-holds/{held.id}/claim" in page
    response = client.post(f"/unit-holds/{held.id}/claim")
    assert response.status_code == 303
    page = page_of(client, f"/needs/{w.need.id}")
    assert "单位保留名额" in page and "为您保留的名额" not in page
    assert shift_and_hold(w.shift.id, w.unit.id)[1].used == 1
    # A second tap is refused beside the shift, not written twice.
    response = client.post(f"/unit-holds/{held.id}/claim", headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert shift_and_hold(w.shift.id, w.unit.id)[1].used == 1


def test_a_non_member_may_not_post_to_take_a_held_place(w, client, auth):
    held = hold(w, 2)
    auth.login(make_user(w.tree, name="Neighbour").phone)
    assert client.post(f"/unit-holds/{held.id}/claim").status_code == 403
    assert client.post("/unit-holds/99999999999/claim").status_code == 404
    assert client.post("/unit-holds/2147483647/claim").status_code == 404
    assert shift_and_hold(w.shift.id, w.unit.id)[1].used == 0


def test_the_units_page_lists_its_holds_with_members_names_only(w, client, auth):
    held = hold(w, 2)
    take(w, w.members[0], held.id)
    auth.login(w.liaison.phone)
    page = page_of(client, f"/unit-holds/units/{w.unit.id}")
    assert w.need.title in page and "认领2个名额，已用1个" in page
    assert "Member 1" in page and w.members[0].phone not in page
    response = client.post(f"/unit-holds/{held.id}/release", data={"from": "unit"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/unit-holds/units/{w.unit.id}")
    assert shift_and_hold(w.shift.id, w.unit.id)[1].places == 1


def test_only_who_acts_for_the_unit_opens_its_page_or_releases(w, client, auth):
    held = hold(w, 2)
    auth.login(w.members[0].phone)
    assert client.get(f"/unit-holds/units/{w.unit.id}").status_code == 403
    assert client.post(f"/unit-holds/{held.id}/release").status_code == 404
    assert shift_and_hold(w.shift.id, w.unit.id)[1].places == 2


def test_the_needs_manage_page_shows_each_shifts_holds(w, client, auth):
    held = hold(w, 2)
    take(w, w.members[0], held.id)
    auth.login(w.admin.phone)
    page = page_of(client, f"/manage/needs/{w.need.id}")
    assert "Tax Office认领2个名额，成员已认领1个。" in page and "单位名额" in page


def test_the_units_workbench_links_the_places_it_holds(w, client, auth):
    auth.login(w.staff.phone)
    page = page_of(client, f"/workbench/shop/{w.unit.id}")
    assert f"/unit-holds/units/{w.unit.id}" in page and "单位认领的名额" in page


def test_a_liaison_living_elsewhere_finds_and_holds_the_communitys_needs(app, client, auth):
    tree = make_tree()
    w = unit_world(tree)
    far = make_user(tree, community="community_c", grid=None, name="Far liaison")
    other, _staff = make_unit(tree, name="Water Bureau")
    report_unit(other, tree.community_a, far)
    elsewhere = make_need(tree, community="community_b", title="Beta need", now=w.now)
    auth.login(far.phone)
    page = page_of(client, f"/unit-holds/units/{other.id}")
    claimable = page.split('id="claimable"')[1]
    assert w.need.title in claimable and elsewhere.title not in claimable
    assert "以单位名义认领" in page_of(client, f"/needs/{w.need.id}")
    assert client.get(f"/needs/{elsewhere.id}").status_code == 403
    data = {f"hold-{w.shift.id}-partner_id": str(other.id), f"hold-{w.shift.id}-places": "1"}
    assert client.post(f"/unit-holds/shifts/{w.shift.id}/hold", data=data).status_code == 303
    assert shift_and_hold(w.shift.id, other.id)[1].places == 1
