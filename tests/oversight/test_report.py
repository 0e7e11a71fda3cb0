"""The monthly report (月度报告, govhub/oversight/views.py ``report``): the figures, the
breakdown, the charts with their tables, the top projects and the best-rated services of
one month, for the admins of the unit's subtree; printable (A4 print CSS)."""

from __future__ import annotations

from datetime import datetime

import pytest

from govhub.accounts.models import Role
from govhub.clock import local_today, to_utc
from govhub.oversight.period import Period
from tests.factories import make_admin
from tests.oversight.test_dashboard_views import charts_of, figure, main_of, plain, served, text_of
from tests.public.helpers import make_project
from tests.reporting.rows import rate


@pytest.fixture
def tree(app):
    from tests.factories import make_tree

    return make_tree()


def last_month() -> Period:
    return Period.month(local_today()).shifted(-1)


def in_month(period: Period, day: int = 10) -> datetime:
    return to_utc(
        datetime.combine(period.first.replace(day=day), datetime.min.time()).replace(hour=9)
    )


@pytest.fixture
def month_of_service(tree):
    """Last month in street S1: 2 hours in community A, a project, a rated need."""
    admin = make_admin(tree, Role.community_admin, "community_a", name="Alpha Admin")
    month = last_month()
    served(tree, admin, start=in_month(month), minutes=120)
    make_project(
        tree.community_a,
        title="Riverside clean-up",
        completed_at=in_month(month, 20),
        people_served=35,
    )
    return month


def test_a_street_admin_prints_last_months_report(client, auth, tree, month_of_service):
    month = month_of_service
    street = make_admin(tree, Role.oversight_admin, "street", name="Street Admin")
    auth.login(street.phone)
    response = client.get(f"/oversight/units/{tree.street}/report")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    page = main_of(text_of(response))
    assert "North Street" in page and month.label in page
    assert figure(page, "hours") == "2.0小时"
    assert figure(page, "projects_completed") == "1个"
    # The breakdown: a row per community of the street.
    assert "Alpha Community" in page and "Beta Community" in page
    assert "Riverside clean-up" in plain(page) and "35" in plain(page)
    # The charts end with the report's month, and their tables hold their numbers.
    charts = charts_of(page)
    spec, rows = charts["hours"]
    assert spec["labels"][-1] == month.label and spec["series"][0]["values"][-1] == 2.0
    assert rows[-1] == [month.label, "2.0"]
    # Another month by its URL; the report of another street is not theirs.
    earlier = month.shifted(-1)
    other = client.get(f"/oversight/units/{tree.street}/report?month={earlier.args()['month']}")
    assert earlier.label in text_of(other) and figure(main_of(text_of(other)), "hours") == "0.0小时"
    assert client.get(f"/oversight/units/{tree.street2}/report").status_code == 403


def test_the_dashboard_links_its_months_report(client, auth, tree):
    street = make_admin(tree, Role.oversight_admin, "street", name="Street Admin")
    auth.login(street.phone)
    page = text_of(client.get(f"/oversight/units/{tree.street}?period=month&month=2026-03"))
    assert f'href="/oversight/units/{tree.street}/report?month=2026-03"' in page


def test_a_community_admin_gets_their_communitys_report_only(client, auth, tree):
    admin = make_admin(tree, Role.community_admin, "community_a", name="Alpha Admin")
    auth.login(admin.phone)
    page = text_of(client.get(f"/oversight/units/{tree.community_a}/report"))
    assert "Alpha Grid 1" in page and "Alpha Grid 2" in page
    assert client.get(f"/oversight/units/{tree.street}/report").status_code == 403
    assert client.get(f"/oversight/units/{tree.community_b}/report").status_code == 403


@pytest.mark.parametrize("month", ["2026-13", "x" * 5000, "１２３４-05", "1900-01"])
def test_a_bad_month_says_so_and_shows_last_month(client, auth, tree, month):
    street = make_admin(tree, Role.oversight_admin, "street", name="Street Admin")
    auth.login(street.phone)
    response = client.get(f"/oversight/units/{tree.street}/report", query_string={"month": month})
    assert response.status_code == 200
    page = text_of(response)
    assert 'role="alert"' in page and last_month().label in page


def test_a_visitor_and_a_volunteer_get_no_report(client, auth, tree):
    from tests.factories import make_user

    assert client.get(f"/oversight/units/{tree.street}/report").status_code == 302
    auth.login(make_user(tree).phone)
    assert client.get(f"/oversight/units/{tree.street}/report").status_code == 403
    assert client.get("/oversight/units/2147483647/report").status_code == 404


def test_it_prints_on_a4(client):
    css = client.get("/static/css/app.css").get_data(as_text=True)
    section = css[css.index("/* == monthly report == */") :]
    assert "@page { size: A4 portrait" in section
    assert "body:has(.monthly-report) .site-header" in section


def test_best_rated_services_are_listed(client, auth, tree):
    from tests.factories import make_user
    from tests.reporting.rows import shift_on

    month = last_month()
    shift = shift_on(tree.community_a, month.first.replace(day=5))
    rating = rate(shift.need_id, make_user(tree), 5)
    rating.created_at = in_month(month, 6)
    from govhub.extensions import db

    db.session.commit()
    street = make_admin(tree, Role.oversight_admin, "street", name="Street Admin")
    auth.login(street.phone)
    page = plain(main_of(text_of(client.get(f"/oversight/units/{tree.street}/report"))))
    assert "Clean the riverside" in page and "平均5.0星（1条评价）" in page
