"""The oversight dashboard's pages (监测调度): who may open which unit's dashboard, the
period in the URL, the htmx fragment, the breakdown's sort links, and the charts whose
JSON and tables hold the same numbers. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import json
import re
from datetime import date, timedelta

import pytest

from govhub.accounts.models import Role
from govhub.checkin import services as checkin
from govhub.checkin.models import Evidence
from govhub.clock import local_today
from govhub.needs import claims
from govhub.oversight.period import Period, add_months
from tests.factories import make_admin, make_need, make_tree, make_user


def text_of(response) -> str:
    return response.get_data(as_text=True)


def main_of(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


def plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def figure(page: str, key: str) -> str:
    """The text of the figure ``key`` (its value and unit) on the page."""
    match = re.search(rf'<div id="figure-{key}"><dt>.*?</dt><dd>(.*?)</dd>', page, re.S)
    assert match, f"no figure {key}"
    return plain(match.group(1)).replace(" ", "")


def charts_of(page: str) -> dict[str, tuple[dict, list[list[str]]]]:
    """Each chart of the page: its data-chart JSON and its table's rows (label, values)."""
    found = {}
    for key, body in re.findall(
        r'<figure class="chart card" id="chart-([a-z]+)">(.*?)</figure>', page, re.S
    ):
        spec = re.search(r'data-chart="([^"]*)"', body)
        if spec is None:
            continue
        rows = [
            [plain(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>")[1], re.S)
        ]
        found[key] = (json.loads(html.unescape(spec.group(1))), rows)
    return found


@pytest.fixture
def tree(app):
    return make_tree()


@pytest.fixture
def street_admin(tree):
    return make_admin(tree, Role.oversight_admin, "street", name="Street Admin")


@pytest.fixture
def community_admin(tree):
    return make_admin(tree, Role.community_admin, "community_a", name="Alpha Admin")


def served(tree, admin, *, start, grid="grid_a1", minutes=120):
    """A volunteer of community A who served ``minutes`` (scanned in and out) at a shift
    of ``grid`` starting at ``start`` (naive UTC), confirmed by ``admin``."""
    volunteer = make_user(tree, grid=grid)
    need = make_need(
        tree,
        admin=admin,
        shifts=((1, minutes / 60, 5),),
        now=start - timedelta(days=1),
        grid_id=getattr(tree, grid),
    )
    shift = need.shifts[0]
    claims.claim_shift(volunteer.id, shift.id, now=start - timedelta(hours=2))
    checkin.check_in(volunteer.id, shift.id, now=start, evidence=Evidence.code_scan)
    end = start + timedelta(minutes=minutes)
    checkin.check_out(volunteer.id, shift.id, now=end, evidence=Evidence.code_scan)
    checkin.confirm_shift(admin.id, shift.id, {}, now=end + timedelta(minutes=10))
    return volunteer


# -- who sees which dashboard -----------------------------------------------------------


def test_street_admin_gets_the_street_dashboard_and_not_the_other_street(
    client, auth, tree, street_admin
):
    auth.login(street_admin.phone)
    index = client.get("/oversight/")
    assert index.status_code == 302
    assert index.headers["Location"].endswith(f"/oversight/units/{tree.street}")
    page = client.get(f"/oversight/units/{tree.street}")
    assert page.status_code == 200
    assert "North Street" in text_of(page)
    assert page.headers["Cache-Control"] == "private, no-store"
    # One level down: a row per community, each linking to its dashboard.
    body = text_of(page)
    assert f'href="/oversight/units/{tree.community_a}?period=month' in body
    assert f'href="/oversight/units/{tree.community_b}?period=month' in body
    assert client.get(f"/oversight/units/{tree.street2}").status_code == 403
    assert client.get(f"/oversight/units/{tree.community_c}").status_code == 403
    # A community of the street opens too.
    assert client.get(f"/oversight/units/{tree.community_a}").status_code == 200


def test_community_admin_gets_their_community_and_its_grids_not_the_street(
    client, auth, tree, community_admin
):
    auth.login(community_admin.phone)
    assert (
        client.get("/oversight/")
        .headers["Location"]
        .endswith(f"/oversight/units/{tree.community_a}")
    )
    page = text_of(client.get(f"/oversight/units/{tree.community_a}"))
    assert "Alpha Grid 1" in page and "Alpha Grid 2" in page
    # The community's lists, for the admin to act on what lags.
    assert f'href="/manage/needs?community={tree.community_a}"' in page
    assert f'href="/requests/review?community={tree.community_a}"' in page
    assert f'href="/projects/communities/{tree.community_a}"' in page
    grid = client.get(f"/oversight/units/{tree.grid_a1}")
    assert grid.status_code == 200
    # A grid has no breakdown; its breadcrumb leads back to the community only.
    assert 'id="breakdown"' not in text_of(grid)
    assert f'href="/oversight/units/{tree.community_a}?period=month' in text_of(grid)
    assert f"/oversight/units/{tree.street}?" not in text_of(grid)
    assert client.get(f"/oversight/units/{tree.street}").status_code == 403
    assert client.get(f"/oversight/units/{tree.community_b}").status_code == 403


def test_a_volunteer_has_no_dashboard(client, auth, tree):
    auth.login(make_user(tree).phone)
    assert client.get("/oversight/").status_code == 403
    assert client.get(f"/oversight/units/{tree.community_a}").status_code == 403


def test_a_visitor_is_sent_to_log_in(client, tree):
    response = client.get(f"/oversight/units/{tree.street}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_admin_of_two_streets_chooses_one(client, auth, tree):
    from govhub.accounts import services as accounts

    admin = make_admin(tree, Role.oversight_admin, "street")
    accounts.assign_role(None, admin.id, Role.oversight_admin, org_unit_id=tree.street2)
    auth.login(admin.phone)
    page = client.get("/oversight/")
    assert page.status_code == 200
    assert f'href="/oversight/units/{tree.street}"' in text_of(page)
    assert f'href="/oversight/units/{tree.street2}"' in text_of(page)


# -- the period ---------------------------------------------------------------------------


def test_the_period_in_the_url_changes_the_figures_shown(client, auth, tree, community_admin):
    today = local_today()
    last_month = add_months(today.replace(day=1), -1)
    start = Period.month(last_month).bounds[0] + timedelta(days=3, hours=2)
    served(tree, community_admin, start=start, minutes=180)
    auth.login(community_admin.phone)
    month_arg = f"{last_month:%Y-%m}"
    then = text_of(
        client.get(f"/oversight/units/{tree.community_a}?period=month&month={month_arg}")
    )
    now = text_of(client.get(f"/oversight/units/{tree.community_a}"))
    assert figure(then, "hours") == "3.0小时"
    assert figure(now, "hours") == "0.0小时"
    assert figure(then, "volunteers_active") == "1人"
    assert figure(now, "volunteers_active") == "0人"
    # The period's label and the neighbours keep the period kind.
    assert Period.month(last_month).label in then
    assert f"month={month_arg}" not in re.search(r'rel="next" href="([^"]+)"', then).group(1)


@pytest.mark.parametrize(
    "query",
    [
        "period=month&month=2026-13",
        "period=quarter&quarter=2026-9",
        "period=year&year=99999",
        "period=dates&from=2026-11-30&to=2026-11-01",
        "period=junk",
        "period=month&month=２０２６-11",
        "period=dates&from=0001-01-01&to=9999-12-31",
    ],
)
def test_a_bad_period_shows_the_error_and_this_month(client, auth, tree, street_admin, query):
    auth.login(street_admin.phone)
    response = client.get(f"/oversight/units/{tree.street}?{query}")
    assert response.status_code == 200
    page = text_of(response)
    assert 'id="period-error"' in page
    assert Period.month(local_today()).label in page


def test_hostile_ids_and_sorts_are_a_page_or_404(client, auth, tree, street_admin):
    auth.login(street_admin.phone)
    assert client.get("/oversight/units/99999999999999999999").status_code == 404
    assert client.get("/oversight/units/2147483647").status_code == 404
    for sort in ("junk", "hours&dir=sideways", "name&dir=desc", "x" * 5000):
        assert client.get(f"/oversight/units/{tree.street}?sort={sort}").status_code == 200
    # A NUL anywhere in the query is refused app-wide (govhub/errors.py), as a page.
    assert client.get(f"/oversight/units/{tree.street}?sort=%00").status_code == 400


def test_htmx_gets_the_dashboard_fragment_only(client, auth, tree, street_admin):
    auth.login(street_admin.phone)
    response = client.get(
        f"/oversight/units/{tree.street}?period=year&year=2026", headers={"HX-Request": "true"}
    )
    page = text_of(response)
    assert "<html" not in page and 'id="period-form"' in page
    assert "HX-Request" in response.headers["Vary"]
    assert 'data-hx-push-url="true"' in page


# -- the breakdown ------------------------------------------------------------------------


def test_sort_links_sort_the_breakdown(client, auth, tree, community_admin):
    today = local_today()
    start = Period.month(today).bounds[0] + timedelta(hours=1)
    served(tree, community_admin, start=start, grid="grid_a2", minutes=120)
    auth.login(community_admin.phone)
    base = f"/oversight/units/{tree.community_a}"

    def order(query: str) -> list[str]:
        page = text_of(client.get(f"{base}?{query}"))
        table = page[page.index('id="breakdown"') :]
        return re.findall(r'<tr class="[^"]*" id="row-([0-9a-z]+)">', table)

    by_name = order("")
    assert by_name[:2] == [str(tree.grid_a1), str(tree.grid_a2)]
    assert order("sort=hours&dir=desc")[:2] == [str(tree.grid_a2), str(tree.grid_a1)]
    assert order("sort=hours&dir=asc")[-1] == str(tree.grid_a2)
    assert order("sort=name&dir=desc")[0] in (str(tree.grid_a2), "none")
    # The header links keep the period, and the sorted column says which way it goes.
    page = text_of(client.get(f"{base}?period=year&year={today.year}&sort=hours&dir=desc"))
    assert 'aria-sort="descending"' in page
    link = html.unescape(re.search(r'<a href="([^"]*sort=hours[^"]*)">', page).group(1))
    assert f"year={today.year}" in link and "dir=asc" in link


# -- the charts ---------------------------------------------------------------------------


def test_each_chart_and_its_table_hold_the_same_numbers(client, auth, tree, street_admin):
    admin = make_admin(tree, Role.community_admin, "community_a")
    today = local_today()
    start = Period.month(today).bounds[0] + timedelta(hours=1)
    served(tree, admin, start=start, minutes=120)
    served(tree, admin, start=start, minutes=60, grid="grid_a2")
    auth.login(street_admin.phone)
    page = text_of(client.get(f"/oversight/units/{tree.street}"))
    charts = charts_of(page)
    assert {"hours", "evidence", "points"} <= set(charts)
    for key, (spec, rows) in charts.items():
        assert [row[0] for row in rows] == spec["labels"], key
        for i, row in enumerate(rows):
            assert row[1:] == [str(s["values"][i]) for s in spec["series"]], key
    hours = charts["hours"][0]
    assert len(hours["labels"]) == 12
    assert hours["series"][0]["values"][-1] == 3.0
    ranking = charts["ranking"][0]
    assert ranking["labels"][0] == "Alpha Community"


def test_the_page_has_no_inline_script_or_style(client, auth, tree, street_admin):
    auth.login(street_admin.phone)
    page = text_of(client.get(f"/oversight/units/{tree.street}"))
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert "echarts-6.1.0.common.min.js" in page and "js/charts.js" in page
    assert " style=" not in page and "<style" not in page
    assert not re.search(r"\son[a-z]+=", page)


def test_the_charting_library_is_loaded_only_where_there_are_charts(client, auth, tree):
    auth.login(make_user(tree).phone)
    assert "echarts" not in text_of(client.get("/needs"))


def test_dashboard_is_the_first_tool_of_the_workbenches(client, auth, tree, street_admin):
    auth.login(street_admin.phone)
    tools = main_of(text_of(client.get("/workbench/oversight")))
    assert tools.index('href="/oversight/"') < tools.index('href="/needs"')
    admin = make_admin(tree, Role.community_admin, "community_a")
    auth.login(admin.phone)
    tools = main_of(text_of(client.get(f"/workbench/community/{tree.community_a}")))
    assert tools.index(f'href="/oversight/units/{tree.community_a}"') < tools.index(
        'href="/manage/needs/new"'
    )


def test_date_range_of_days(client, auth, tree, street_admin):
    auth.login(street_admin.phone)
    today = local_today()
    first = date(today.year, 1, 1)
    response = client.get(f"/oversight/units/{tree.street}?period=dates&from={first}&to={today}")
    assert response.status_code == 200
    assert 'id="period-error"' not in text_of(response)


def test_the_way_in_keeps_the_period_and_nothing_else(client, auth, tree, street_admin):
    auth.login(street_admin.phone)
    response = client.get("/oversight/?period=year&year=2025&_external=1&unit_id=7&x=1")
    location = response.headers["Location"]
    assert location.startswith(f"/oversight/units/{tree.street}?")
    assert "year=2025" in location and "period=year" in location
    assert "_external" not in location and "unit_id" not in location and "x=1" not in location
