"""The oversight figures (govhub/oversight/figures.py, whose docstring defines each one):
known activity in two streets gives exactly the expected figures at every level of the
tree, the rows one level down sum to their parent, and a street holds nothing of another.

The rows are written as the models define them (as tests/reporting/rows.py does), so the
expected numbers can be read off the fixture."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from govhub.accounts.models import User
from govhub.checkin.models import Attendance, AttendanceStatus, Evidence
from govhub.extensions import db
from govhub.needs.models import (
    Need,
    NeedStatus,
    RequestStatus,
    ResidentRequest,
    Shift,
    Urgency,
)
from govhub.orgs.models import OrgUnit
from govhub.oversight import figures
from govhub.oversight.period import Period
from govhub.partners.models import Partner, PartnerStatus
from govhub.points.models import EntryKind, LedgerEntry, PointsAccount
from govhub.rewards.models import Redemption, Reward, RewardArea, VoucherStatus
from tests.factories import make_category, make_partner, make_tree, make_user
from tests.public.helpers import make_project
from tests.reporting.rows import at, make_unit, member_report, rate, unit_report

NOVEMBER = Period.month(date(2026, 11, 1))
TODAY = date(2026, 12, 2)
pytestmark = pytest.mark.app_config(MEMBER_YEARLY_TARGET_HOURS=3)


def volunteer(tree, name, community, grid, created: date) -> User:
    """A volunteer registered on ``created``; ``grid`` None: placed in no grid (as people
    registered before their community had grids are)."""
    placed = grid or ("grid_a1" if community == "community_a" else None)
    user = make_user(tree, name=name, community=community, grid=placed)
    user.created_at = at(created)
    if grid is None:
        user.profile.grid_id = None
    db.session.commit()
    return user


def need(community_id, created: date, status: NeedStatus, *, grid_id=None, shifts=()) -> Need:
    """A need created on ``created`` with shifts of (local start day, hour, minute,
    capacity, claimed)."""
    item = Need(
        community_id=community_id,
        grid_id=grid_id,
        title="Help",
        category_id=make_category(),
        place="Hall",
        contact_name="Organizer",
        contact_phone="13812345678",
        status=status,
        created_at=at(created),
    )
    db.session.add(item)
    for day, hour, minute, capacity, claimed in shifts:
        starts = at(day, hour, minute)
        db.session.add(
            Shift(
                need=item,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                capacity=capacity,
                claimed=claimed,
            )
        )
    db.session.commit()
    return item


def attended(
    user, item: Need, minutes, evidence_in, evidence_out, status=AttendanceStatus.confirmed
):
    shift = item.shifts[0]
    db.session.add(
        Attendance(
            shift_id=shift.id,
            volunteer_id=user.id,
            checked_in_at=shift.starts_at,
            checked_out_at=shift.starts_at + timedelta(minutes=minutes),
            check_in_evidence=evidence_in,
            check_out_evidence=evidence_out,
            status=status,
            minutes=minutes if status is AttendanceStatus.confirmed else None,
            confirmed_at=shift.ends_at,
        )
    )
    db.session.commit()


def entry(user, kind: EntryKind, amount: int, day: date, n: list[int] = [0]) -> None:  # noqa: B006
    """A ledger entry made on ``day``, with the cached balance kept equal to the ledger."""
    n[0] += 1
    account = db.session.get(PointsAccount, user.id)
    if account is None:
        account = PointsAccount(volunteer_id=user.id, balance=0)
        db.session.add(account)
    account.balance += amount
    db.session.add(
        LedgerEntry(
            volunteer_id=user.id,
            amount=amount,
            kind=kind,
            created_at=at(day),
            idempotency_key=f"oversight-test-{n[0]}",
        )
    )
    db.session.commit()


def request(
    community_id, created, *, decided=None, status=RequestStatus.submitted, need_id=None, requester
):
    item = ResidentRequest(
        community_id=community_id,
        requester_id=requester.id,
        what="Help",
        place="Home",
        urgency=Urgency.normal,
        status=status,
        decided_at=decided,
        need_id=need_id,
        created_at=created,
    )
    db.session.add(item)
    db.session.commit()
    return item


def partner(tree, community, name, status, created: date) -> Partner:
    item = db.session.get(Partner, make_partner(tree, community=community, name=name).id)
    item.status, item.created_at = status, at(created)
    db.session.commit()
    return item


def fulfilled_voucher(shop: Partner, user: User, day: date, code: str) -> None:
    reward = Reward(
        partner_id=shop.id,
        title="Soap",
        price=10,
        stock=5,
        area=RewardArea.community,
        area_unit_id=shop.community_id,
    )
    db.session.add(reward)
    db.session.flush()
    db.session.add(
        Redemption(
            reward_id=reward.id,
            partner_id=shop.id,
            volunteer_id=user.id,
            title="Soap",
            price=10,
            code=code,
            request_key=f"voucher-{code}",
            status=VoucherStatus.fulfilled,
            issued_at=at(day),
            expires_at=at(day + timedelta(days=30)),
            fulfilled_at=at(day, 15),
        )
    )
    db.session.commit()


@dataclass
class World:
    tree: object

    def unit(self, name) -> OrgUnit:
        return db.session.get(OrgUnit, getattr(self.tree, name))


@pytest.fixture
def world(app) -> World:
    tree = make_tree()
    a, b, c = tree.community_a, tree.community_b, tree.community_c
    alice = volunteer(tree, "Alice", "community_a", "grid_a1", date(2026, 10, 1))
    ann = volunteer(tree, "Ann", "community_a", "grid_a2", date(2026, 11, 10))
    andy = volunteer(tree, "Andy", "community_a", None, date(2026, 11, 20))
    bob = volunteer(tree, "Bob", "community_b", "grid_b1", date(2026, 9, 1))
    carl = volunteer(tree, "Carl", "community_c", None, date(2026, 11, 5))
    volunteer(tree, "Later", "community_c", None, date(2026, 12, 1))  # after November

    n1 = need(
        a,
        date(2026, 11, 2),
        NeedStatus.completed,
        grid_id=tree.grid_a1,
        shifts=[(date(2026, 11, 3), 9, 0, 2, 2)],
    )
    attended(alice, n1, 90, Evidence.code_scan, Evidence.code_scan)
    attended(ann, n1, 60, Evidence.manual, Evidence.code_scan)
    # Starts 23:30 local on 30 November: November's.
    n2 = need(a, date(2026, 11, 5), NeedStatus.open, shifts=[(date(2026, 11, 30), 23, 30, 4, 1)])
    attended(andy, n2, 30, Evidence.code_scan, Evidence.auto)
    # Posted in October, its shift starts 00:30 local on 1 December: neither is November's.
    n3 = need(
        a,
        date(2026, 10, 20),
        NeedStatus.open,
        grid_id=tree.grid_a2,
        shifts=[(date(2026, 12, 1), 0, 30, 3, 0)],
    )
    attended(alice, n3, 45, Evidence.card_scan, Evidence.card_scan)
    need(a, date(2026, 11, 6), NeedStatus.draft, shifts=[(date(2026, 11, 7), 9, 0, 9, 0)])
    need(
        b,
        date(2026, 11, 8),
        NeedStatus.cancelled,
        grid_id=tree.grid_b1,
        shifts=[(date(2026, 11, 9), 9, 0, 5, 0)],
    )
    n5 = need(
        b,
        date(2026, 11, 10),
        NeedStatus.completed,
        grid_id=tree.grid_b1,
        shifts=[(date(2026, 11, 11), 9, 0, 3, 3)],
    )
    attended(bob, n5, 120, Evidence.card_scan, Evidence.code_scan)
    attended(alice, n5, 60, Evidence.code_scan, Evidence.code_scan)  # Alice serves in B
    attended(ann, n5, 0, Evidence.code_scan, None, status=AttendanceStatus.no_show)
    n6 = need(
        c, date(2026, 11, 12), NeedStatus.completed, shifts=[(date(2026, 11, 13), 9, 0, 10, 4)]
    )
    attended(carl, n6, 240, Evidence.code_scan, Evidence.code_scan)

    entry(alice, EntryKind.earn, 100, date(2026, 10, 15))  # October
    entry(alice, EntryKind.earn, 25, date(2026, 11, 4))
    entry(alice, EntryKind.redeem, -10, date(2026, 11, 6))
    entry(alice, EntryKind.refund, 4, date(2026, 11, 7))
    entry(alice, EntryKind.expire, -3, date(2026, 11, 8))
    entry(alice, EntryKind.adjust, 50, date(2026, 11, 9))  # in no column but the balance
    entry(bob, EntryKind.earn, 20, date(2026, 11, 12))
    entry(carl, EntryKind.earn, 40, date(2026, 11, 14))
    entry(carl, EntryKind.earn, 7, date(2026, 12, 1))  # December

    shop_a = partner(tree, "community_a", "Shop A", PartnerStatus.approved, date(2026, 10, 1))
    partner(tree, "community_b", "Shop B", PartnerStatus.applied, date(2026, 10, 1))
    partner(tree, "community_c", "Shop C", PartnerStatus.approved, date(2026, 10, 1))
    fulfilled_voucher(shop_a, alice, date(2026, 11, 6), "AAAA1111")
    fulfilled_voucher(shop_a, bob, date(2026, 11, 16), "AAAA2222")

    staff = make_user(tree, name="Staff")
    r1 = request(
        a,
        at(date(2026, 11, 3), 10),
        decided=at(date(2026, 11, 3), 16),
        status=RequestStatus.accepted,
        need_id=n1.id,
        requester=alice,
    )
    request(
        a,
        at(date(2026, 11, 10), 10),
        decided=at(date(2026, 11, 12), 10),
        status=RequestStatus.declined,
        requester=alice,
    )
    request(a, at(date(2026, 11, 20), 10), requester=andy)  # waiting: overdue
    request(
        c,
        at(date(2026, 11, 15), 10),
        decided=at(date(2026, 11, 15), 12),
        status=RequestStatus.accepted,
        need_id=n6.id,
        requester=carl,
    )
    assert r1.id

    rating = rate(n1.id, alice, 5)
    rating.created_at = at(date(2026, 11, 4))
    rating = rate(n1.id, staff, 3, role="volunteer")
    rating.created_at = at(date(2026, 11, 4))
    rating = rate(n6.id, carl, 4)
    rating.created_at = at(date(2026, 11, 14))
    db.session.commit()

    make_project(a, completed_at=at(date(2026, 11, 20)), people_served=30)
    make_project(a, completed_at=at(date(2026, 10, 20)), people_served=99)
    make_project(c, completed_at=at(date(2026, 11, 21)), people_served=12, published=False)

    tax = make_unit(tree, "Tax Bureau", "community_a")
    unit_report(tax, a, staff, confirmed_on=date(2026, 6, 1))
    unit_report(tax, b, staff, confirmed_on=date(2026, 6, 1))
    member_report(alice, a, tax, confirmed_on=date(2026, 3, 1), grid_id=tree.grid_a1)
    member_report(bob, b, tax, confirmed_on=date(2026, 3, 1), grid_id=tree.grid_b1)
    return World(tree)


def of(world, name, period=NOVEMBER) -> figures.Figures:
    return figures.figures(world.unit(name), period, today=TODAY)


def test_a_community(world):
    a = of(world, "community_a")
    assert (
        a.needs_posted,
        a.needs_open,
        a.needs_fulfilled,
        a.needs_completed,
        a.needs_cancelled,
    ) == (2, 1, 1, 1, 0)
    assert (a.places_offered, a.places_filled, a.fill_rate) == (6, 3, 0.5)
    assert (a.volunteers_registered, a.volunteers_new, a.volunteers_active) == (3, 2, 3)
    assert a.minutes_by_evidence == {"code_scan": 90, "card_scan": 0, "manual": 60, "auto": 30}
    assert a.hours == 3.0
    assert (a.points_issued, a.points_redeemed, a.points_refunded, a.points_expired) == (
        25,
        10,
        4,
        3,
    )
    assert a.points_outstanding == 100 + 25 - 10 + 4 - 3 + 50
    assert (a.partners_approved, a.partners_active) == (1, 1)
    assert (a.units_reported, a.members_reported, a.members_on_target) == (1, 1, 1)
    assert (a.projects_completed, a.people_served) == (1, 30)
    assert (a.requests_received, a.requests_answered, a.requests_overdue) == (3, 2, 1)
    assert a.median_answer_hours == 27.0  # 6 and 48 hours
    assert a.completion_rate == pytest.approx(2 / 3)
    assert a.satisfaction_rate == 0.5


def test_the_other_communities(world):
    b, c = of(world, "community_b"), of(world, "community_c")
    assert (
        b.needs_posted,
        b.needs_cancelled,
        b.needs_fulfilled,
        b.places_offered,
        b.places_filled,
    ) == (2, 1, 1, 3, 3)
    assert b.minutes_by_evidence == {"code_scan": 60, "card_scan": 120, "manual": 0, "auto": 0}
    assert (b.volunteers_active, b.points_issued, b.partners_approved, b.partners_active) == (
        1,
        20,
        0,
        0,
    )
    assert (b.units_reported, b.members_reported, b.members_on_target) == (1, 1, 0)
    assert (
        b.requests_received == 0 and b.median_answer_hours is None and b.satisfaction_rate is None
    )
    assert (c.needs_posted, c.places_offered, c.places_filled, c.minutes) == (1, 10, 4, 240)
    assert (c.volunteers_registered, c.volunteers_new, c.points_issued, c.points_outstanding) == (
        1,
        1,
        40,
        40,
    )
    assert (c.projects_completed, c.people_served, c.partners_approved) == (1, 12, 1)
    assert (c.requests_received, c.requests_answered, c.median_answer_hours, c.completion_rate) == (
        1,
        1,
        2.0,
        1.0,
    )
    assert c.satisfaction_rate == 1.0


def test_the_street_district_and_city(world):
    s1, s2 = of(world, "street"), of(world, "street2")
    assert (s1.needs_posted, s1.places_offered, s1.places_filled, s1.minutes) == (4, 9, 6, 360)
    assert (s1.volunteers_registered, s1.volunteers_active, s1.points_issued) == (4, 4, 45)
    # One unit and two members reported to two communities: the unit once.
    assert (s1.units_reported, s1.members_reported, s1.members_on_target) == (1, 2, 1)
    assert s1.median_answer_hours == 27.0
    # The other street holds nothing of this one.
    assert (s2.needs_posted, s2.minutes, s2.points_issued, s2.requests_received) == (1, 240, 40, 1)
    assert (s2.units_reported, s2.members_reported, s2.partners_active) == (0, 0, 0)
    city = of(world, "city")
    assert of(world, "district") == city
    assert (city.needs_posted, city.minutes, city.points_issued, city.requests_received) == (
        5,
        600,
        85,
        4,
    )
    assert city.median_answer_hours == 6.0  # 2, 6 and 48 hours
    assert city.satisfaction_rate == pytest.approx(2 / 3)


def test_grids(world):
    a1, a2, b1 = of(world, "grid_a1"), of(world, "grid_a2"), of(world, "grid_b1")
    assert (a1.needs_posted, a1.places_offered, a1.minutes, a1.volunteers_registered) == (
        1,
        2,
        150,
        1,
    )
    assert (a1.points_issued, a1.members_reported, a1.ratings, a1.requests_received) == (
        25,
        1,
        2,
        0,
    )
    assert (a2.needs_posted, a2.volunteers_registered, a2.volunteers_new, a2.minutes) == (
        0,
        1,
        1,
        0,
    )
    assert (b1.needs_posted, b1.needs_cancelled, b1.minutes) == (2, 1, 180)


def test_the_rows_one_level_down_sum_to_their_parent(world):
    for name in ("city", "district", "street", "street2", "community_a", "community_b"):
        unit = world.unit(name)
        parent = figures.figures(unit, NOVEMBER, today=TODAY)
        rows = figures.breakdown(unit, NOVEMBER, today=TODAY)
        for field in figures.additive_fields():
            assert sum(getattr(r.figures, field) for r in rows) == getattr(parent, field), (
                name,
                field,
            )
        for kind in figures.EVIDENCE:
            assert (
                sum(r.figures.minutes_by_evidence[kind] for r in rows)
                == parent.minutes_by_evidence[kind]
            )


def test_the_breakdown_names_each_child(world):
    rows = figures.breakdown(world.unit("street"), NOVEMBER, today=TODAY)
    assert [r.unit.name for r in rows] == ["Alpha Community", "Beta Community"]
    assert rows[0].figures == of(world, "community_a")
    rows = figures.breakdown(world.unit("community_a"), NOVEMBER, today=TODAY)
    assert [r.unit.name if r.unit else None for r in rows] == ["Alpha Grid 1", "Alpha Grid 2", None]
    no_grid = rows[2].figures
    assert (no_grid.needs_posted, no_grid.minutes, no_grid.volunteers_registered) == (1, 30, 1)
    assert (no_grid.requests_received, no_grid.partners_approved, no_grid.projects_completed) == (
        3,
        1,
        1,
    )
    assert figures.breakdown(world.unit("grid_a1"), NOVEMBER, today=TODAY) == []


def test_other_periods(world):
    december = of(world, "community_a", Period.month(date(2026, 12, 1)))
    assert (december.needs_posted, december.minutes, december.places_offered) == (0, 45, 3)
    assert december.minutes_by_evidence["card_scan"] == 45
    october = of(world, "community_a", Period.month(date(2026, 10, 1)))
    assert (october.needs_posted, october.points_issued, october.projects_completed) == (1, 100, 1)
    empty = of(world, "city", Period.year(2031))
    assert (empty.needs_posted, empty.minutes, empty.fill_rate, empty.completion_rate) == (
        0,
        0,
        None,
        None,
    )
    assert of(world, "city", Period.year(2026)).minutes == 645
    # Balances at the period's end: Carl's December points are not November's.
    assert of(world, "city").points_outstanding == 166 + 20 + 40
    assert of(world, "city", Period.year(2026)).points_outstanding == 166 + 20 + 47


def test_the_charts_series(world):
    months = [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    lines = figures.monthly(world.unit("street"), months)
    assert [m.minutes for m in lines] == [0, 360, 45]
    assert lines[1].minutes_by_evidence == {
        "code_scan": 150,
        "card_scan": 120,
        "manual": 60,
        "auto": 30,
    }
    assert [(m.points_issued, m.points_redeemed) for m in lines] == [(100, 0), (45, 10), (0, 0)]
    assert [m.minutes for m in figures.monthly(world.unit("street2"), months)] == [0, 240, 0]
    # One category in the fixture: the five needs posted in November (not the draft).
    assert [n for _name, n in figures.needs_by_category(world.unit("city"), NOVEMBER)] == [5]
    assert figures.needs_by_category(world.unit("street2"), NOVEMBER)[0][1] == 1
    projects = figures.top_projects(world.unit("city"), NOVEMBER)
    assert [p.people_served for p in projects] == [30, 12]
    rated = figures.best_rated(world.unit("city"), NOVEMBER)
    assert [(r.ratings, r.average) for r in rated] == [(2, 4.0), (1, 4.0)]  # ties: more first


def test_a_bounded_number_of_statements(world):
    """The statements do not grow with the number of communities."""

    def statements(unit) -> int:
        seen: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            figures.figures(unit, NOVEMBER, today=TODAY)
            figures.breakdown(unit, NOVEMBER, today=TODAY)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    before = statements(world.unit("city"))
    from govhub.orgs import services as orgs

    street = orgs.create_unit(None, world.tree.district, "S9", "Extra Street")
    for n in range(5):
        orgs.create_unit(None, street.id, f"X{n}", f"Extra {n}")
    assert statements(world.unit("city")) == before
    assert before < 50


def test_collect_gives_the_figures_and_the_breakdown(world):
    """The dashboard's one pass (``collect``): its total is ``figures`` (the distinct counts
    and the median counted for the whole subtree, the rest summed from the rows) and its
    rows are ``breakdown``, at every level."""
    for name in ("city", "district", "street", "street2", "community_a", "grid_a1"):
        unit = world.unit(name)
        for period in (NOVEMBER, Period.year(2026)):
            found = figures.collect(unit, period, today=TODAY)
            assert found.total == figures.figures(unit, period, today=TODAY), name
            assert found.rows == figures.breakdown(unit, period, today=TODAY), name
    # The city's total holds what no sum would: the unit reported to two communities once.
    city = figures.collect(world.unit("city"), NOVEMBER, today=TODAY).total
    assert (city.units_reported, city.members_reported) == (1, 2)
