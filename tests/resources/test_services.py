"""The resources list's services: offering, areas, committing, releasing, withdrawing,
editing, what each community sees, and who may do what."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from govhub import permissions
from govhub.accounts.models import Role
from govhub.audit.models import AuditEvent
from govhub.database import ServiceError
from govhub.extensions import db
from govhub.orgs.models import OrgUnit
from govhub.permissions import Action
from govhub.resources import services
from govhub.resources.models import CommitmentStatus, Resource, ResourceStatus
from tests.factories import NOW, make_admin, make_need, make_tree, make_user
from tests.resources.helpers import commit, make_liaison, make_unit, offer, resource_input


@pytest.fixture
def tree(app):
    return make_tree()


@pytest.fixture
def unit(tree):
    return make_unit(tree)


def refused(call) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        call()
    return raised.value


# --- Offering ------------------------------------------------------------------------


def test_a_units_staff_offer_a_resource_with_a_weekly_window(tree, unit):
    partner, staff = unit
    window = services.WindowInput(2, time(14, 0), time(17, 0))
    resource = offer(staff, tree, partner=partner, quantity=6, windows=[window])

    assert resource.partner_id == partner.id and resource.volunteer_id is None
    assert resource.provider == "Tax Bureau"
    assert (resource.quantity, resource.remaining, resource.status) == (
        6,
        6,
        ResourceStatus.offered,
    )
    assert [(w.weekday, w.starts, w.ends) for w in resource.windows] == [
        (2, time(14, 0), time(17, 0))
    ]
    offered = select(AuditEvent).where(AuditEvent.action == "resource.offered")
    event = db.session.scalars(offered).one()
    assert (event.actor_id, event.target_id) == (staff.id, resource.id)


def test_a_volunteer_offers_a_resource_as_themself(tree):
    volunteer = make_user(tree, name="Handy Wang")
    resource = offer(volunteer, tree, title="Bike repair", area_id=tree.grid_a1)
    assert resource.volunteer_id == volunteer.id and resource.provider == "Handy Wang"


def test_an_admin_records_a_resource_for_a_unit_without_an_account(tree):
    admin = make_admin(tree)
    resource = offer(admin, tree, on_behalf=True, provider_name="Old Street Clinic")
    assert resource.partner_id is None and resource.volunteer_id is None
    assert resource.provider == "Old Street Clinic"
    assert resource.created_by_id == admin.id


def test_a_resource_on_behalf_needs_the_units_name(tree):
    admin = make_admin(tree)
    error = refused(lambda: offer(admin, tree, on_behalf=True, provider_name="  "))
    assert error.field == "provider_name"


@pytest.mark.parametrize(
    ("area", "allowed"),
    [
        ("grid_a1", True),
        ("community_a", True),
        ("street", True),
        ("district", True),
        ("community_b", False),  # a neighbour community: not the admin's
        ("grid_b1", False),
        ("community_c", False),
        ("city", False),  # above the district: not an area a resource serves
    ],
)
def test_the_area_of_a_resource_on_behalf_is_the_admins_or_above_it(tree, area, allowed):
    admin = make_admin(tree)
    call = lambda: offer(admin, tree, on_behalf=True, area_id=getattr(tree, area))  # noqa: E731
    if allowed:
        assert call().area_id == getattr(tree, area)
    else:
        assert refused(call).field == "area_id"


def test_a_partner_offers_only_around_its_own_community(tree, unit):
    partner, staff = unit
    assert refused(lambda: offer(staff, tree, partner=partner, area_id=tree.community_c)).field == (
        "area_id"
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 81}, "title"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"quantity": Resource.MAX_QUANTITY + 1}, "quantity"),
        ({"unit_label": ""}, "unit_label"),
        (
            {"available_from": date(2027, 2, 1), "available_until": date(2027, 1, 1)},
            "available_until",
        ),
        ({"contact_phone": "12345"}, "contact_phone"),
        (
            {"windows": [services.WindowInput(7, time(9), time(10), "windows-0")]},
            "windows-0-weekday",
        ),
        ({"windows": [services.WindowInput(1, time(10), time(9), "windows-1")]}, "windows-1-ends"),
        ({"windows": [services.WindowInput(1, None, time(9), "windows-0")]}, "windows-0-starts"),
    ],
)
def test_an_offer_with_a_bad_value_is_refused_at_its_field(tree, unit, overrides, field):
    partner, staff = unit
    assert refused(lambda: offer(staff, tree, partner=partner, **overrides)).field == field
    assert db.session.scalar(select(Resource.id)) is None


def test_empty_window_rows_are_ignored(tree, unit):
    partner, staff = unit
    blank = services.WindowInput(None, None, None, "windows-2")
    assert offer(staff, tree, partner=partner, windows=[blank]).windows == []


# --- Committing and releasing -------------------------------------------------------------


def test_committing_takes_from_what_is_left_until_nothing_is(tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner, quantity=10)

    commit(staff, resource, 4)
    assert (resource.remaining, resource.status) == (6, ResourceStatus.committed)
    commit(staff, resource, 6)
    assert (resource.remaining, resource.status) == (0, ResourceStatus.exhausted)
    assert services.committed_total(resource.id) == 10


def test_committing_more_than_is_left_says_how_much_is_left(tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner, quantity=10)
    commit(staff, resource, 7)

    error = refused(lambda: commit(staff, resource, 4))
    assert error.field == "quantity"
    assert "3" in error.message
    db.session.rollback()
    assert db.session.get(Resource, resource.id).remaining == 3


@pytest.mark.parametrize("quantity", [0, -1, None, Resource.MAX_QUANTITY + 1])
def test_a_commitment_of_a_quantity_out_of_range_is_refused(tree, unit, quantity):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner)
    assert refused(lambda: commit(staff, resource, quantity)).field == "quantity"


def test_a_retried_commit_with_the_same_key_commits_once(tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner, quantity=10)
    first = commit(staff, resource, 3, key="same-key")
    again = commit(staff, resource, 3, key="same-key")
    assert first.id == again.id
    assert db.session.get(Resource, resource.id).remaining == 7


def test_a_key_used_for_another_resource_is_refused(tree, unit):
    partner, staff = unit
    one = offer(staff, tree, partner=partner)
    other = offer(staff, tree, partner=partner, title="Projector")
    commit(staff, one, 1, key="k1")
    assert isinstance(refused(lambda: commit(staff, other, 1, key="k1")), services.KeyReused)


def test_a_commitment_needs_a_need_or_a_purpose(tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner)
    assert refused(lambda: commit(staff, resource, 1, purpose="")).field == "need_id"


def test_a_resource_is_committed_to_a_need_of_a_community_it_serves(tree, unit):
    partner, staff = unit
    street_wide = offer(staff, tree, partner=partner, area_id=tree.street)
    need_b = make_need(tree, community="community_b")
    commitment = commit(staff, street_wide, 2, need_id=need_b.id, purpose="")
    assert commitment.need_id == need_b.id
    assert [c.id for c in services.committed_to_need(need_b.id)] == [commitment.id]


def test_a_resource_is_not_committed_to_a_need_it_does_not_serve(tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner, area_id=tree.community_a)
    need_c = make_need(tree, community="community_c")
    assert refused(lambda: commit(staff, resource, 1, need_id=need_c.id)).field == "need_id"


def test_the_commit_page_offers_the_open_needs_the_resource_serves(tree, unit):
    partner, staff = unit
    need_a = make_need(tree, community="community_a", title="A need")
    make_need(tree, community="community_b", title="B need")
    make_need(tree, community="community_a", title="Draft need", publish=False)
    from_grid = offer(staff, tree, partner=partner, area_id=tree.grid_a1)
    assert [n.id for n in services.needs_to_commit(from_grid)] == [need_a.id]


def test_releasing_gives_the_quantity_back_once(tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner, quantity=5)
    commitment = commit(staff, resource, 5)

    services.release(staff.id, commitment.id, "The event was cancelled", now=NOW)
    resource = db.session.get(Resource, resource.id)
    assert (resource.remaining, resource.status) == (5, ResourceStatus.offered)
    assert commitment.status is CommitmentStatus.released
    again = refused(lambda: services.release(staff.id, commitment.id, "again", now=NOW))
    assert again.message == "这条对接已经退回过了。"
    assert db.session.get(Resource, resource.id).remaining == 5


def test_a_release_needs_a_reason(tree, unit):
    partner, staff = unit
    commitment = commit(staff, offer(staff, tree, partner=partner), 1)
    error = refused(lambda: services.release(staff.id, commitment.id, " ", now=NOW))
    assert error.field == "reason"


def test_a_withdrawn_resource_cannot_be_committed_and_its_commitments_stand(tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner, quantity=10)
    kept = commit(staff, resource, 4)
    services.withdraw(staff.id, resource.id, "Room under repair", now=NOW)

    error = refused(lambda: commit(staff, resource, 1))
    assert error.field == "quantity" and "已撤回" in error.message
    assert db.session.get(Resource, resource.id).remaining == 6
    services.release(staff.id, kept.id, "No longer needed", now=NOW)
    resource = db.session.get(Resource, resource.id)
    assert (resource.remaining, resource.status) == (10, ResourceStatus.withdrawn)
    assert refused(lambda: services.withdraw(staff.id, resource.id, now=NOW))


# --- Editing -------------------------------------------------------------------------


def test_editing_the_quantity_keeps_what_is_committed(tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner, quantity=10)
    commit(staff, resource, 4)

    services.edit(staff.id, resource.id, resource_input(tree, quantity=8), now=NOW)
    resource = db.session.get(Resource, resource.id)
    assert (resource.quantity, resource.remaining, resource.status) == (
        8,
        4,
        ResourceStatus.committed,
    )
    error = refused(
        lambda: services.edit(staff.id, resource.id, resource_input(tree, quantity=3), now=NOW)
    )
    assert error.field == "quantity" and "4" in error.message


def test_shrinking_to_what_is_committed_exhausts_it(tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner, quantity=10)
    commit(staff, resource, 4)
    services.edit(staff.id, resource.id, resource_input(tree, quantity=4), now=NOW)
    assert db.session.get(Resource, resource.id).status is ResourceStatus.exhausted


def test_a_withdrawn_resource_is_not_edited(tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner)
    services.withdraw(staff.id, resource.id, now=NOW)
    assert refused(
        lambda: services.edit(staff.id, resource.id, resource_input(tree, title="New"), now=NOW)
    )


# --- Browsing ------------------------------------------------------------------------


def test_a_community_sees_its_own_its_grids_and_its_streets_resources(tree, unit):
    partner, staff = unit
    own = offer(staff, tree, partner=partner, title="Own", area_id=tree.community_a)
    grid = offer(staff, tree, partner=partner, title="Grid", area_id=tree.grid_a2)
    street = offer(staff, tree, partner=partner, title="Street", area_id=tree.street)
    district = offer(staff, tree, partner=partner, title="District", area_id=tree.district)
    admin_b = make_admin(tree, scope="community_b")
    neighbour = offer(admin_b, tree, on_behalf=True, title="B only", area_id=tree.community_b)
    gone = offer(staff, tree, partner=partner, title="Gone")
    services.withdraw(staff.id, gone.id, now=NOW)
    used_up = offer(staff, tree, partner=partner, title="Used up", quantity=1)
    commit(staff, used_up, 1)

    community_a = db.session.get(OrgUnit, tree.community_a)
    community_b = db.session.get(OrgUnit, tree.community_b)
    assert {r.title for r in services.serving(community_a)} == {"Own", "Grid", "Street", "District"}
    assert {r.id for r in services.serving(community_b)} == {street.id, district.id, neighbour.id}
    assert {r.id for r in services.serving(community_a, own.kind)} >= {own.id, grid.id}


def test_an_admin_sees_the_resources_of_their_subtree_in_every_status(tree, unit):
    partner, staff = unit
    in_a = offer(staff, tree, partner=partner, area_id=tree.grid_a1)
    services.withdraw(staff.id, in_a.id, now=NOW)
    offer(staff, tree, partner=partner, area_id=tree.street)
    admin = make_admin(tree)
    overseer = make_admin(tree, role=Role.oversight_admin, scope="street")
    assert [r.id for r in services.in_scope(permissions.resource_scope(admin))] == [in_a.id]
    assert len(services.in_scope(permissions.resource_scope(overseer))) == 2


def test_my_resources_are_mine_my_partners_and_those_i_recorded(tree, unit):
    partner, staff = unit
    volunteer = staff  # the unit's staff member also offers something of their own
    of_unit = offer(staff, tree, partner=partner, title="Unit's")
    own = offer(volunteer, tree, title="Own")
    admin = make_admin(tree)
    recorded = offer(admin, tree, on_behalf=True, title="Recorded")
    assert {r.id for r in services.of_provider(staff, date.today())} == {of_unit.id, own.id}
    assert {r.id for r in services.of_provider(admin, date.today())} == {recorded.id}


# --- Who may do what -------------------------------------------------------------------


def test_who_may_commit_edit_and_see_the_contact_of_a_units_resource(tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner, area_id=tree.community_a)
    liaison = make_liaison(tree, partner)
    admin_a = make_admin(tree, name="Admin A")
    admin_b = make_admin(tree, scope="community_b", name="Admin B")
    overseer = make_admin(tree, role=Role.oversight_admin, scope="street")
    stranger = make_user(tree, name="Stranger")
    table = {
        staff: (True, True, True),
        liaison: (True, False, True),
        admin_a: (False, False, True),
        overseer: (False, False, True),
        admin_b: (False, False, False),
        stranger: (False, False, False),
    }
    for user, (may_commit, may_edit, sees_contact) in table.items():
        assert permissions.can(user, Action.COMMIT_RESOURCE, resource) is may_commit, user.name
        assert permissions.can(user, Action.EDIT_RESOURCE, resource) is may_edit, user.name
        assert permissions.can(user, Action.SEE_RESOURCE_CONTACT, resource) is sees_contact
        assert permissions.can(user, Action.VIEW_RESOURCE, resource)


def test_the_areas_admins_commit_a_resource_recorded_on_behalf(tree):
    admin_a = make_admin(tree, name="Admin A")
    other_admin_a = make_admin(tree, name="Admin A2")
    admin_b = make_admin(tree, scope="community_b", name="Admin B")
    resource = offer(admin_a, tree, on_behalf=True, area_id=tree.grid_a1)
    assert permissions.can(other_admin_a, Action.COMMIT_RESOURCE, resource)
    assert not permissions.can(admin_b, Action.COMMIT_RESOURCE, resource)
    volunteer = make_user(tree)
    assert not permissions.can(volunteer, Action.COMMIT_RESOURCE, resource)
    assert not permissions.can(volunteer, Action.RECORD_RESOURCE_ON_BEHALF)
    assert permissions.can(admin_a, Action.RECORD_RESOURCE_ON_BEHALF)


def test_only_the_volunteer_commits_their_own_resource(tree):
    owner = make_user(tree, name="Owner")
    resource = offer(owner, tree)
    assert permissions.can(owner, Action.COMMIT_RESOURCE, resource)
    assert not permissions.can(make_admin(tree), Action.COMMIT_RESOURCE, resource)
    assert not permissions.can(make_user(tree, name="Other"), Action.EDIT_RESOURCE, resource)
