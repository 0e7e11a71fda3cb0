"""The liaison's page (govhub/reporting/liaison.py): a unit sees its reported members'
service in every community, and nothing else about them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event

from govhub.accounts.models import Role
from govhub.clock import local_date
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs.models import NeedStatus, UnitHold
from govhub.partners.models import Partner
from govhub.permissions import Action, can
from govhub.reporting import liaison
from govhub.resources.models import Resource, ResourceCommitment, ResourceKind
from tests.factories import make_admin, make_tree, make_user
from tests.reporting.rows import make_unit, member_report, rate, served, shift_on, unit_report


def _today() -> date:
    return local_date(utcnow())


@pytest.fixture
def world(app):
    """Tax Bureau (liaison Ms Zhao) with members Wang (community A, grid A1) and Li
    (community B); the School's member Sun; the School's liaison."""
    tree = make_tree()
    today = _today()
    start = today - timedelta(days=30)
    zhao = make_user(tree, name="Zhao Liaison")
    tax = make_unit(tree, "Tax Bureau")
    unit_report(tax, tree.community_a, zhao, party_members=5, confirmed_on=start)
    school_liaison = make_user(tree, name="School Liaison")
    school = make_unit(tree, "No. 3 School")
    unit_report(school, tree.community_a, school_liaison, confirmed_on=start)

    wang = make_user(tree, name="Wang Member", phone="13700000001")
    li = make_user(tree, community="community_b", grid="grid_b1", name="Li Member")
    sun = make_user(tree, name="Sun Other")
    member_report(wang, tree.community_a, tax, confirmed_on=start, grid_id=tree.grid_a1)
    member_report(li, tree.community_b, tax, confirmed_on=start, grid_id=tree.grid_b1)
    member_report(sun, tree.community_a, school, confirmed_on=start)

    # Today's shift: always in this quarter and this year.
    river = shift_on(tree.community_a, today, title="Clean the riverside")
    served(wang, river, 90)
    rate(river.need_id, make_user(tree, name="Resident"), 5, "Very helpful")
    rate(river.need_id, wang, 1, "my own rating")  # their own rating is not "of their service"
    served(li, shift_on(tree.community_b, today, title="Beta library"), 60)
    served(sun, shift_on(tree.community_a, today, title="School secret work"), 600)
    return (
        tree,
        {"zhao": zhao, "school_liaison": school_liaison},
        {"tax": tax, "school": school},
        {
            "wang": wang,
            "li": li,
            "sun": sun,
        },
    )


def test_the_liaison_sees_the_units_members_in_every_community(world):
    _tree, _liaisons, units, _members = world
    lines = liaison.members(units["tax"].id, today=_today())
    got = [
        (m.name, m.community, m.grid, m.quarter_minutes, m.year_minutes, m.claims) for m in lines
    ]
    assert got == [
        ("Li Member", "Beta Community", "Beta Grid 1", 60, 60, 1),
        ("Wang Member", "Alpha Community", "Alpha Grid 1", 90, 90, 1),
    ]
    wang = lines[1]
    assert [(c.title, c.status.value) for c in wang.claim_lines] == [
        ("Clean the riverside", "confirmed")
    ]
    assert [(r.title, r.stars, r.comment) for r in wang.ratings] == [
        ("Clean the riverside", 5, "Very helpful")
    ]


def test_the_page_shows_service_and_not_the_phone_points_or_other_units(world, client, auth):
    _tree, liaisons, units, members = world
    auth.login(liaisons["zhao"].phone)
    response = client.get(f"/liaison/units/{units['tax'].id}")
    assert response.status_code == 200
    page = response.text
    assert "Wang Member" in page and "Li Member" in page
    assert "Beta Grid 1" in page and "Very helpful" in page
    assert "1.5" in page  # Wang's hours
    assert members["wang"].phone not in page and "1370" not in page
    assert "Points" not in page and "积分" not in page.split("</nav>", 2)[-1]
    assert "Sun Other" not in page and "School secret work" not in page
    assert "my own rating" not in page
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("who", "unit", "status"),
    [
        ("zhao", "tax", 200),
        ("zhao", "school", 403),
        ("school_liaison", "tax", 403),
        ("wang", "tax", 403),  # a member is not the liaison
        ("admin", "tax", 403),  # nor is the community's admin
    ],
)
def test_only_the_units_liaison_opens_its_page(world, client, auth, who, unit, status):
    tree, liaisons, units, members = world
    people = {**liaisons, **members}
    user = make_admin(tree) if who == "admin" else people[who]
    auth.login(user.phone)
    assert client.get(f"/liaison/units/{units[unit].id}").status_code == status


def test_a_liaison_whose_unit_report_lapsed_is_no_longer_its_liaison(app):
    tree = make_tree()
    zhao = make_user(tree, name="Zhao")
    tax = make_unit(tree)
    today = _today()
    unit_report(
        tax,
        tree.community_a,
        zhao,
        confirmed_on=today - timedelta(days=400),
        valid_until=today - timedelta(days=1),
    )
    assert not can(zhao, Action.VIEW_UNIT_SERVICE, db.session.get(Partner, tax.id))


def test_the_index_leads_a_liaison_of_one_unit_to_it(world, client, auth):
    _tree, liaisons, units, _members = world
    auth.login(liaisons["zhao"].phone)
    response = client.get("/liaison/")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/liaison/units/{units['tax'].id}")


def test_the_index_tells_someone_who_is_no_liaison(world, client, auth):
    _tree, _liaisons, _units, members = world
    auth.login(members["wang"].phone)
    response = client.get("/liaison/")
    assert response.status_code == 200
    assert "您目前不是" in response.text


def test_the_units_commitments_and_held_places_show_what_they_became(world, client, auth):
    tree, liaisons, units, _members = world
    shift = shift_on(
        tree.community_a, _today() + timedelta(days=3), title="Autumn fair", status=NeedStatus.open
    )
    resource = Resource(
        kind=ResourceKind.venue,
        title="Meeting room",
        quantity=10,
        remaining=8,
        unit_label="hours",
        area_id=tree.community_a,
        partner_id=units["tax"].id,
    )
    db.session.add(resource)
    db.session.flush()
    db.session.add(ResourceCommitment(resource_id=resource.id, quantity=2, need_id=shift.need_id))
    db.session.add(UnitHold(shift_id=shift.id, partner_id=units["tax"].id, places=4, used=1))
    db.session.commit()
    [commitment] = liaison.commitments(units["tax"].id)
    assert (commitment.resource_title, commitment.quantity, commitment.need_title) == (
        "Meeting room",
        2,
        "Autumn fair",
    )
    assert commitment.need_status is NeedStatus.open
    [hold] = liaison.holds(units["tax"].id)
    assert (hold.need_title, hold.places, hold.used) == ("Autumn fair", 4, 1)
    assert liaison.commitments(units["school"].id) == []

    auth.login(liaisons["zhao"].phone)
    page = client.get(f"/liaison/units/{units['tax'].id}").text
    assert "Meeting room" in page and "Autumn fair" in page


def test_each_list_is_one_query(world):
    _tree, _liaisons, units, _members = world
    statements = []
    unit_id = units["tax"].id

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        db.session.expire_all()
        liaison.unit_service(unit_id, today=_today())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # members, their claims, their ratings, commitments, holds, cards waiting.
    assert len(statements) == 6, statements


def test_a_huge_unit_id_is_not_found(world, client, auth):
    _tree, liaisons, _units, _members = world
    auth.login(liaisons["zhao"].phone)
    assert client.get("/liaison/units/99999999999999").status_code == 404
    assert client.get("/liaison/units/2147483647").status_code == 404


def test_an_oversight_admin_is_not_a_liaison(world, client, auth):
    tree, _liaisons, units, _members = world
    auth.login(make_admin(tree, role=Role.oversight_admin, scope="street").phone)
    assert client.get(f"/liaison/units/{units['tax'].id}").status_code == 403


# --- Workbenches ---------------------------------------------------------------------


def test_the_liaison_has_a_workbench_with_the_cards_to_receive(world, client, auth):
    tree, liaisons, units, _members = world
    from govhub.reporting import cards

    today = _today()
    zhou = make_user(tree, name="Zhou Member")
    member_report(zhou, tree.community_a, units["tax"], confirmed_on=today - timedelta(days=200))
    admin = make_admin(tree, name="Card Admin")
    year, quarter = cards.last_ended_quarter(today)
    assert cards.issue_quarter(admin.id, tree.community_a, year, quarter, now=utcnow()).issued
    auth.login(liaisons["zhao"].phone)
    for url in ("/", "/account/profile"):
        page = client.get(url).text
        assert "联络员 · Tax Bureau" in page, url
        assert "待签收的服务登记卡" in page, url
        assert f"/liaison/units/{units['tax'].id}/cards" in page, url


def test_the_community_workbench_links_to_the_cards_and_the_figures(world, client, auth):
    tree, _liaisons, _units, _members = world
    auth.login(make_admin(tree).phone)
    page = client.get(f"/workbench/community/{tree.community_a}").text
    assert f"/liaison/communities/{tree.community_a}/cards" in page
    assert f"/liaison/figures/{tree.community_a}" in page


def test_the_oversight_workbench_links_to_the_figures(world, client, auth):
    tree, _liaisons, _units, _members = world
    auth.login(make_admin(tree, role=Role.oversight_admin, scope="street").phone)
    page = client.get("/workbench/oversight").text
    assert f"/liaison/figures/{tree.street}" in page


@pytest.mark.parametrize(
    ("who", "action", "target", "allowed"),
    [
        ("zhao", Action.VIEW_UNIT_SERVICE, "tax", True),
        ("zhao", Action.VIEW_UNIT_SERVICE, "school", False),
        ("school_liaison", Action.VIEW_UNIT_SERVICE, "tax", False),
        ("wang", Action.VIEW_UNIT_SERVICE, "tax", False),
        ("admin_a", Action.VIEW_UNIT_SERVICE, "tax", False),
        ("sysadmin", Action.VIEW_UNIT_SERVICE, "tax", False),  # only the unit's liaison
        ("admin_a", Action.ISSUE_SERVICE_CARDS, "community_a", True),
        ("admin_a", Action.ISSUE_SERVICE_CARDS, "community_b", False),
        ("street", Action.ISSUE_SERVICE_CARDS, "community_a", False),
        ("admin_a", Action.VIEW_REPORTING_FIGURES, "community_a", True),
        ("street", Action.VIEW_REPORTING_FIGURES, "community_a", True),
        ("street", Action.VIEW_REPORTING_FIGURES, "street", True),
        ("zhao", Action.VIEW_REPORTING_FIGURES, "community_a", False),
        ("wang", Action.VIEW_REPORTING_FIGURES, "community_a", False),
    ],
)
def test_who_may_do_what_in_the_liaisons_area(world, who, action, target, allowed):
    from govhub.orgs.models import OrgUnit

    tree, liaisons, units, members = world
    people = {
        **liaisons,
        **members,
        "admin_a": make_admin(tree),
        "street": make_admin(tree, role=Role.oversight_admin, scope="street"),
        "sysadmin": make_user(tree, roles=[(Role.system_admin, "city")], name="Sysadmin"),
    }
    objects = {
        "tax": units["tax"],
        "school": units["school"],
        **{
            name: db.session.get(OrgUnit, getattr(tree, name))
            for name in ("community_a", "community_b", "street")
        },
    }
    assert can(people[who], action, objects[target]) is allowed


def test_the_liaison_page_leads_to_the_units_held_places(world, client, auth):
    """From the list of places the unit holds, the liaison reaches the page where the unit
    holds more (一键认领), which a liaison without staff rights may open."""
    _tree, liaisons, units, _members = world
    auth.login(liaisons["zhao"].phone)
    page = client.get(f"/liaison/units/{units['tax'].id}").text
    holds_page = f"/unit-holds/units/{units['tax'].id}"
    assert f'href="{holds_page}"' in page
    assert client.get(holds_page).status_code == 200
