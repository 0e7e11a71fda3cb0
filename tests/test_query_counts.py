"""Statements per page: the same for 3 and for 30 of what a page lists (no N+1), and at
most a budget. A page that starts issuing a query per row fails here; how fast a page
is, is measured by ``make bench``, never asserted.

Each test builds the small case, counts, adds 27 more of what the page lists, counts
again. Budgets are what the page issues today; raising one needs a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest

from govhub import tokens
from govhub.accounts.models import Role
from govhub.checkin import services as checkin
from govhub.checkin.models import Evidence
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import claims
from govhub.needs.models import Shift
from govhub.tokens import Purpose
from tests.factories import make_admin, make_need, make_tree, make_user
from tests.points.helpers import earn
from tests.query_counts import statements_of
from tests.rewards.helpers import make_reward, make_shop

SMALL, LARGE = 3, 30
HTMX = {"HX-Request": "true"}


def _live_shift(tree, admin, capacity=LARGE + 5):
    """A shift that started 10 minutes ago (check-in is open)."""
    now = utcnow()
    need = make_need(
        tree,
        admin=admin,
        now=now - timedelta(hours=1),
        title="楼道清洁",
        shifts=((0.01, 2, capacity),),
    )
    shift = need.shifts[0]
    db.session.execute(
        db.update(Shift)
        .where(Shift.id == shift.id)
        .values(starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(minutes=110))
    )
    db.session.commit()
    return db.session.get(Shift, shift.id)


def assert_flat(app, client, url, grow, budget, *, headers=None, **request):
    """``url`` costs the same after ``grow(SMALL)`` as after ``grow(LARGE - SMALL)`` more,
    and at most ``budget`` statements."""
    grow(SMALL)
    small = statements_of(app, client, "GET", url, headers=headers, **request)
    grow(LARGE - SMALL)
    large = statements_of(app, client, "GET", url, headers=headers, **request)
    assert large.count == small.count, f"{url}: {small.count} → {large.count}\n{large}"
    assert large.count <= budget, f"{url}: {large.count} > {budget}\n{large}"


def test_a_check_in_is_two_requests_and_thirteen_statements(app, client, auth):
    """The scanned address answers with the confirm page itself, then the htmx POST
    records: 28 statements in three requests before the per-request overhead was cut."""
    tree = make_tree()
    shift = _live_shift(tree, make_admin(tree))
    volunteer = make_user(tree, name="张晓明")
    claims.claim_shift(volunteer.id, shift.id, now=utcnow() - timedelta(minutes=30))
    auth.login(volunteer.phone)
    token = tokens.shift_token(shift.id, Purpose.check_in, utcnow())
    scan = statements_of(app, client, "GET", f"/s/{shift.id}/in/{token}")
    assert scan.response.status_code == 200  # the confirm page, no redirect
    record = statements_of(app, client, "POST", "/s/confirm", headers=HTMX)
    assert "签到成功" in record.response.get_data(as_text=True)
    assert checkin.attendance_of(shift.id, volunteer.id).checked_in_at is not None
    assert (scan.count, record.count) == (4, 9), f"{scan}\n--\n{record}"


def checked_in_volunteers(tree, shift):
    """``grow(n)``: n more volunteers who claimed ``shift`` and checked in by scan."""

    def grow(n):
        for _ in range(n):
            volunteer = make_user(tree)
            claims.claim_shift(volunteer.id, shift.id, now=utcnow() - timedelta(minutes=30))
            checkin.check_in(volunteer.id, shift.id, now=utcnow(), evidence=Evidence.code_scan)

    return grow


@pytest.mark.parametrize("part", ["code", "counter"])
def test_the_check_in_screen_refresh(app, client, auth, part):
    tree = make_tree()
    admin = make_admin(tree)
    shift = _live_shift(tree, admin)

    grow = checked_in_volunteers(tree, shift)
    auth.login(admin.phone)
    assert_flat(app, client, f"/manage/shifts/{shift.id}/checkin/{part}", grow, 6, headers=HTMX)


def test_an_attendance_page(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree)
    shift = _live_shift(tree, admin)

    grow = checked_in_volunteers(tree, shift)
    auth.login(admin.phone)
    assert_flat(app, client, f"/manage/shifts/{shift.id}/attendance", grow, 12)


def _ended_shift(tree, admin, capacity):
    past = utcnow() - timedelta(days=1)
    return make_need(tree, admin=admin, now=past, shifts=((0.5, 2, capacity),)).shifts[0]


@pytest.mark.parametrize("query", ["", "?status=confirmed&q=志愿者", "?status=present"])
def test_an_attendance_page_of_a_shift_larger_than_a_page(app, client, auth, query):
    """A page lists 50 people: the same statements for a shift of 60 and of 120, each
    checked in by hand (an audit event shown beside the hours), every other one
    confirmed (the points credited shown)."""
    tree = make_tree()
    admin = make_admin(tree)
    shift = _ended_shift(tree, admin, capacity=150)
    numbers = iter(range(1000))

    def grow(n):
        for _ in range(n):
            k = next(numbers)
            volunteer = make_user(tree, name=f"志愿者{k}")
            claims.claim_shift(volunteer.id, shift.id, now=utcnow() - timedelta(days=1))
            attendance = checkin.check_in(
                volunteer.id,
                shift.id,
                now=shift.starts_at + timedelta(minutes=1),
                evidence=Evidence.manual,
                actor_id=admin.id,
                reason="忘带手机",
            ).attendance
            if k % 2:
                ids = [attendance.id]
                checkin.confirm_shift(admin.id, shift.id, {}, now=utcnow(), attendance_ids=ids)

    auth.login(admin.phone)
    url = f"/manage/shifts/{shift.id}/attendance{query}"
    grow(60)
    small = statements_of(app, client, "GET", url)
    grow(60)
    large = statements_of(app, client, "GET", url)
    assert large.response.get_data(as_text=True).count('<tr id="volunteer-') == 50
    assert large.count == small.count, f"{url}: {small.count} → {large.count}\n{large}"
    assert large.count <= 15, f"{url}: {large.count}\n{large}"


def test_my_tasks(app, client, auth):
    """Upcoming shifts, a waiting-list place, past shifts (a page of them). Upcoming and
    past are the page's, so they are counted from the real clock, not the tests' NOW."""
    now = utcnow()
    tree = make_tree()
    admin = make_admin(tree)
    volunteer = make_user(tree)
    full = make_need(tree, admin=admin, now=now, shifts=((1.5, 1, 1),)).shifts[0]
    claims.claim_shift(make_user(tree).id, full.id, now=now)
    claims.claim_shift(volunteer.id, full.id, now=now, waitlist=True)
    days = iter(range(2, 1000))

    def grow(n):
        for _ in range(n):
            day = next(days)
            coming = make_need(tree, admin=admin, now=now, shifts=((day, 2, 5),))
            claims.claim_shift(volunteer.id, coming.shifts[0].id, now=now)
            posted = now - timedelta(days=day + 1)
            done = make_need(tree, admin=admin, now=posted, shifts=((1, 2, 5),))
            claims.claim_shift(volunteer.id, done.shifts[0].id, now=posted)

    auth.login(volunteer.phone)
    assert_flat(app, client, "/my/tasks", grow, 9)


def test_my_points(app, client, auth):
    tree = make_tree()
    volunteer = make_user(tree)
    auth.login(volunteer.phone)
    assert_flat(app, client, "/my/points", lambda n: [earn(volunteer.id, 5) for _ in range(n)], 7)


def test_the_needs_board_with_a_filter_and_the_recommendations(app, client, auth):
    from tests.factories import make_category

    tree = make_tree()
    admin = make_admin(tree)
    volunteer = make_user(tree)
    category = make_category()

    def grow(n):
        for _ in range(n):
            make_need(tree, admin=admin, shifts=((2, 2, 5), (3, 2, 5)))

    auth.login(volunteer.phone)
    assert_flat(app, client, f"/needs?category={category}", grow, 9)


@pytest.mark.parametrize("by", ["points", "hours"])
@pytest.mark.parametrize("scope", ["community", "street"])
def test_a_leaderboard(app, client, auth, scope, by):
    tree = make_tree()
    volunteer = make_user(tree)

    def grow(n):
        for _ in range(n):
            earn(make_user(tree).id, 10, minutes=60)

    auth.login(volunteer.phone)
    assert_flat(app, client, f"/leaderboard?scope={scope}&period=all&by={by}", grow, 4)


def test_the_points_supermarket_and_a_shops_home(app, client, auth):
    tree = make_tree()
    partner, owner = make_shop(tree)
    volunteer = make_user(tree)

    def grow(n):
        for k in range(n):
            make_reward(partner, owner, title=f"大米{k}")

    auth.login(volunteer.phone)
    assert_flat(app, client, "/rewards", grow, 7)
    auth.logout()
    auth.login(owner.phone)
    assert_flat(app, client, f"/shop/{partner.id}/", grow, 7)


@pytest.mark.parametrize("level", ["community_a", "street", "district", "city"])
def test_the_oversight_dashboard(app, client, auth, level):
    tree = make_tree()
    admin = make_admin(tree, scope="community_a")
    overseer = make_admin(tree, Role.oversight_admin, "city", name="市管理员")

    def grow(n):
        for _ in range(n):
            make_need(tree, admin=admin, shifts=((2, 2, 5),))
            earn(make_user(tree).id, 10, minutes=60)

    auth.login(overseer.phone)
    assert_flat(app, client, f"/oversight/units/{getattr(tree, level)}", grow, 41)


def test_recommended_for_me(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree)
    volunteer = make_user(tree)

    def grow(n):
        for _ in range(n):
            make_need(tree, admin=admin, now=utcnow(), shifts=((2, 2, 5), (3, 2, 5)))

    auth.login(volunteer.phone)
    assert_flat(app, client, "/matching/for-me", grow, 4)


def test_matching_candidates_for_a_need(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree)
    need = make_need(tree, admin=admin, now=utcnow(), shifts=((2, 2, 5),))

    def grow(n):
        for _ in range(n):
            make_user(tree)

    auth.login(admin.phone)
    assert_flat(app, client, f"/matching/needs/{need.id}", grow, 10)


@pytest.mark.parametrize("dataset", ["volunteers", "points", "needs"])
def test_a_city_wide_export(app, client, auth, dataset):
    from govhub.clock import local_today

    tree = make_tree()
    admin = make_admin(tree)
    overseer = make_admin(tree, Role.oversight_admin, "city", name="市管理员")
    today = local_today()

    def grow(n):
        for _ in range(n):
            earn(make_user(tree).id, 10, minutes=60)
            make_need(tree, admin=admin, now=utcnow(), shifts=((2, 2, 5),))

    period = f"period=dates&from={(today - timedelta(days=30)).isoformat()}&to={today.isoformat()}"
    auth.login(overseer.phone)
    assert_flat(
        app,
        client,
        f"/oversight/exports/{dataset}.csv?unit={tree.city}&{period}",
        grow,
        3,  # the user, the roles, one query streamed for every row
        buffered=True,
    )
