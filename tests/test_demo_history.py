"""The demo's year of history (issue 14): a district admin drills down over two streets,
every month of the last year has hours, one community clearly lags, and every invariant
holds (balances equal the ledger)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from govhub import demo
from govhub.checkin.models import Attendance, AttendanceStatus
from govhub.clock import local_date
from govhub.database import utcnow
from govhub.extensions import db
from govhub.orgs.models import OrgUnit
from govhub.oversight.figures import figures, monthly
from govhub.oversight.period import Kind, Period
from govhub.points.models import LedgerEntry, PointsAccount
from tests.test_cli import snapshot


@pytest.fixture
def seeded(app):
    demo.seed()
    return app


def _unit(name: str) -> OrgUnit:
    return db.session.scalars(select(OrgUnit).where(OrgUnit.name == name)).one()


def _last_year() -> Period:
    today = local_date(utcnow())
    first = today.replace(year=today.year - 1, day=1)
    return Period(Kind.dates, first, today)


def test_seeding_again_adds_nothing(seeded):
    first = snapshot()
    assert demo.seed() == {}
    db.session.rollback()
    assert snapshot() == first


def test_every_month_of_the_last_year_has_confirmed_hours_in_the_street(seeded):
    this_month = local_date(utcnow()).replace(day=1)
    months = []
    for back in range(12, 0, -1):
        index = this_month.year * 12 + this_month.month - 1 - back
        months.append(this_month.replace(year=index // 12, month=index % 12 + 1))
    rows = monthly(_unit("永安街道"), months)
    assert [row.month for row in rows] == months
    assert all(row.minutes > 0 for row in rows), [row.hours for row in rows]
    # The street grows over the year: the last quarter has more hours than the first.
    assert sum(r.minutes for r in rows[-3:]) > sum(r.minutes for r in rows[:3])


def test_every_kind_of_evidence_occurs_and_some_did_not_turn_up(seeded):
    seen = set(db.session.scalars(select(Attendance.check_in_evidence).distinct()))
    seen |= set(db.session.scalars(select(Attendance.check_out_evidence).distinct()))
    assert {e.value for e in seen if e is not None} == {"code_scan", "card_scan", "manual", "auto"}
    no_shows = db.session.scalar(
        select(func.count()).where(Attendance.status == AttendanceStatus.no_show)
    )
    assert no_shows and no_shows > 0
    year = figures(_unit("咸安区"), _last_year())
    assert all(minutes > 0 for minutes in year.minutes_by_evidence.values())


def test_balances_equal_the_ledger(seeded):
    sums = dict(
        db.session.execute(
            select(LedgerEntry.volunteer_id, func.sum(LedgerEntry.amount)).group_by(
                LedgerEntry.volunteer_id
            )
        ).all()
    )
    accounts = db.session.scalars(select(PointsAccount)).all()
    assert len(accounts) > 30
    balances = {a.volunteer_id: a.balance for a in accounts}
    assert all(balances.get(volunteer, 0) == total for volunteer, total in sums.items())
    assert all(sums.get(volunteer, 0) == balance for volunteer, balance in balances.items())


def test_nanchang_road_lags_behind_jinye(seeded):
    period = _last_year()
    jinye, nanchang = figures(_unit("金叶社区"), period), figures(_unit("南昌路社区"), period)
    assert jinye.fill_rate is not None and nanchang.fill_rate is not None
    assert nanchang.fill_rate < jinye.fill_rate
    assert nanchang.minutes < jinye.minutes
    street = figures(_unit("永安街道"), period)
    assert street.points_redeemed > 0 and street.points_refunded > 0
    assert street.requests_received > street.requests_answered > 0
    assert street.ratings > 0 and street.projects_completed > 0


def test_the_district_admin_sees_both_streets(seeded, client, auth):
    response = auth.login("13800000006", "demo-xianan-2026")
    assert response.status_code == 303
    page = client.get("/oversight/", follow_redirects=True).get_data(as_text=True)
    assert "永安街道" in page and "温泉街道" in page
    assert "13800000006" in demo.logins_table()
