"""The reporting figures: the yearly target and the 95 % completion line
(govhub/reporting/figures.py, whose docstring defines every figure)."""

from __future__ import annotations

from datetime import date

import pytest

from govhub.accounts.models import Role
from govhub.checkin.models import AttendanceStatus
from govhub.clock import local_date
from govhub.database import utcnow
from govhub.extensions import db
from govhub.orgs.models import OrgUnit
from govhub.reporting import figures
from govhub.reporting.figures import UnitLine
from govhub.reporting.models import ReportStatus
from tests.factories import make_admin, make_tree, make_user
from tests.reporting.rows import make_unit, member_report, served, shift_on, unit_report

TODAY = date(2026, 12, 2)
SPRING = date(2026, 3, 1)


@pytest.fixture
def world(app):
    """Units and members above and below the 50-hour target in communities A and B."""
    tree = make_tree()
    liaison = make_user(tree, name="Liaison")
    tax = make_unit(tree, "Tax Bureau")
    school = make_unit(tree, "No. 3 School")
    zero = make_unit(tree, "Post Office", community="community_b")
    unit_report(tax, tree.community_a, liaison, party_members=18, confirmed_on=SPRING)
    # The latest counting report declares the unit's members: 20.
    unit_report(tax, tree.community_b, liaison, party_members=20, confirmed_on=SPRING)
    unit_report(school, tree.community_a, liaison, party_members=1, confirmed_on=SPRING)
    unit_report(zero, tree.community_b, liaison, party_members=0, confirmed_on=SPRING)

    people = {}
    for name in ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"]:
        people[name] = make_user(tree, name=name)
    a, b = tree.community_a, tree.community_b
    member_report(people["m1"], a, tax, confirmed_on=SPRING)
    member_report(people["m2"], a, tax, confirmed_on=SPRING)
    member_report(people["m3"], a, tax, confirmed_on=SPRING)
    member_report(people["m3"], b, tax, confirmed_on=SPRING)  # in two communities
    member_report(people["m4"], a, school, confirmed_on=SPRING)
    # Lapsed on 30 November: counted for 2025, not for 2026.
    member_report(
        people["m5"], a, school, confirmed_on=date(2025, 12, 1), valid_until=date(2026, 11, 30)
    )
    member_report(people["m6"], b, tax, confirmed_on=SPRING)
    member_report(people["m7"], a, None, employer_name="Private Co", confirmed_on=SPRING)
    member_report(people["m8"], a, tax, confirmed_on=SPRING, status=ReportStatus.pending)
    # A renewal overlapping the report it renews: one person.
    member_report(people["m9"], a, tax, confirmed_on=date(2026, 1, 5))
    member_report(people["m9"], a, tax, confirmed_on=date(2026, 11, 20))

    day = date(2026, 6, 1)
    for name, minutes in [("m1", 3000), ("m2", 2999), ("m7", 4000), ("m9", 3000), ("m6", 100)]:
        served(people[name], shift_on(a, day, title=f"Work of {name}"), minutes)
    # m3 serves in both communities: 3600 minutes in all.
    served(people["m3"], shift_on(a, day), 1800)
    served(people["m3"], shift_on(b, day), 1800)
    # Not counted: hours not confirmed yet, and last year's hours.
    served(people["m2"], shift_on(a, date(2026, 7, 1)), 120, status=AttendanceStatus.present)
    served(people["m2"], shift_on(a, date(2025, 6, 1)), 600)
    served(people["m5"], shift_on(a, date(2025, 12, 20)), 60)
    return tree, people, {"tax": tax, "school": school, "zero": zero}


def _figures(unit_id: int, year: int = 2026):
    return figures.figures(db.session.get(OrgUnit, unit_id), year, today=TODAY)


@pytest.mark.parametrize(
    ("community", "reported", "on_target", "below"),
    [
        ("community_a", 6, 4, [("m4", 0), ("m2", 2999)]),
        ("community_b", 2, 1, [("m6", 100)]),
        ("community_c", 0, 0, []),
    ],
)
def test_a_community_counts_its_members_against_the_yearly_target(
    world, community, reported, on_target, below
):
    tree, _people, _units = world
    result = _figures(getattr(tree, community))
    [mine] = result.communities
    assert (mine.reported, mine.on_target, mine.below_target) == (
        reported,
        on_target,
        reported - on_target,
    )
    assert [(m.name, m.minutes) for m in mine.below] == below


def test_members_below_the_target_are_listed_with_their_unit(world):
    tree, _people, _units = world
    [mine] = _figures(tree.community_a).communities
    assert [(m.name, m.employer) for m in mine.below] == [
        ("m4", "No. 3 School"),
        ("m2", "Tax Bureau"),
    ]


@pytest.mark.parametrize(
    ("community", "units"),
    [
        # (unit, declared, reported, completion, meets the line)
        (
            "community_a",
            [("No. 3 School", 1, 1, "100.0%", True), ("Tax Bureau", 20, 5, "25.0%", False)],
        ),
        (
            "community_b",
            [("Post Office", 0, 0, "—", True), ("Tax Bureau", 20, 5, "25.0%", False)],
        ),
    ],
)
def test_each_unit_has_its_completion_against_the_line(world, community, units):
    tree, _people, _units = world
    [mine] = _figures(getattr(tree, community)).communities
    got = [(u.name, u.declared, u.reported, u.completion_text, u.meets_line) for u in mine.units]
    assert got == units
    assert [u.name for u in mine.units_below_line] == ["Tax Bureau"]


def test_a_street_is_broken_down_by_community_and_counts_each_person_once(world):
    tree, _people, _units = world
    result = _figures(tree.street)
    assert [c.community.name for c in result.communities] == ["Alpha Community", "Beta Community"]
    # m3 is reported to both communities: once in the street's total.
    assert (result.reported, result.on_target, result.below_target) == (7, 4, 3)
    assert sorted(m.name for m in result.below) == ["m2", "m4", "m6"]
    # The Tax Bureau reported to both communities: below the line once.
    assert [u.name for u in result.units_below_line] == ["Tax Bureau"]


def test_a_past_year_is_taken_on_its_last_day(world):
    tree, _people, _units = world
    result = _figures(tree.community_a, 2025)
    [mine] = result.communities
    assert result.day == date(2025, 12, 31)
    # Only m5's report counted then; the units had not reported yet.
    assert (mine.reported, mine.on_target, [(m.name, m.minutes) for m in mine.below]) == (
        1,
        0,
        [("m5", 60)],
    )
    assert mine.units == []


@pytest.mark.parametrize(
    ("declared", "reported", "text", "meets"),
    [
        (20, 19, "95.0%", True),
        (20, 18, "90.0%", False),
        (19, 18, "94.7%", False),  # shown rounded down, never as 95 %
        (200, 190, "95.0%", True),
        (3, 3, "100.0%", True),
        (2, 3, "150.0%", True),
        (0, 0, "—", True),
        (0, 2, "—", True),
        (7, 0, "0.0%", False),
    ],
)
def test_the_completion_line_is_exact(declared, reported, text, meets):
    line = UnitLine(1, 1, "Unit", declared, reported, 95)
    assert (line.completion_text, line.meets_line) == (text, meets)


@pytest.mark.app_config(MEMBER_YEARLY_TARGET_HOURS=60, REPORTING_COMPLETION_LINE=20)
def test_the_target_and_the_line_are_settings(world):
    tree, _people, _units = world
    [mine] = _figures(tree.community_a).communities
    assert (mine.reported, mine.on_target) == (6, 2)  # m3 (60 h) and m7 (66.7 h)
    assert [u.meets_line for u in mine.units] == [True, True]


@pytest.mark.parametrize(
    ("who", "unit", "status"),
    [
        ("admin_a", "community_a", 200),
        ("admin_a", "community_b", 403),
        ("admin_a", "street", 403),
        ("street_admin", "street", 200),
        ("street_admin", "community_b", 200),
        ("street_admin", "community_c", 403),
        ("volunteer", "community_a", 403),
        ("liaison", "community_a", 403),
    ],
)
def test_figures_are_for_the_admins_of_their_area(world, client, auth, who, unit, status):
    tree, people, _units = world
    users = {
        "admin_a": lambda: make_admin(tree),
        "street_admin": lambda: make_admin(tree, role=Role.oversight_admin, scope="street"),
        "volunteer": lambda: people["m1"],
        "liaison": lambda: make_user(tree, name="Liaison 2"),
    }
    auth.login(users[who]().phone)
    response = client.get(f"/liaison/figures/{getattr(tree, unit)}")
    assert response.status_code == status


def test_the_figures_page_shows_the_units_below_the_line_and_the_members_below_target(
    world, client, auth
):
    tree, _people, _units = world
    auth.login(make_admin(tree, role=Role.oversight_admin, scope="street").phone)
    page = client.get(f"/liaison/figures/{tree.street}?year=2026").text
    assert 'id="figure-reported">7人<' in page
    assert "Tax Bureau" in page and "below-line" in page
    assert "m2" in page and "m6" in page


@pytest.mark.parametrize("year", ["99999", "1999", "-1", "２０２６", "abc", "2026.0"])
def test_a_hostile_year_shows_the_current_year(world, client, auth, year):
    tree, _people, _units = world
    auth.login(make_admin(tree).phone)
    response = client.get(f"/liaison/figures/{tree.community_a}", query_string={"year": year})
    assert response.status_code == 200
    this_year = local_date(utcnow()).year
    assert f'<option selected value="{this_year}">' in response.text


def test_a_nul_in_the_year_is_a_bad_request_not_an_error(world, client, auth):
    tree, _people, _units = world
    auth.login(make_admin(tree).phone)
    response = client.get(f"/liaison/figures/{tree.community_a}?year=2026%00")
    assert response.status_code == 400


def test_a_huge_unit_id_is_not_found(world, client, auth):
    tree, _people, _units = world
    auth.login(make_admin(tree).phone)
    assert client.get("/liaison/figures/99999999999999").status_code == 404
