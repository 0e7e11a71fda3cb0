"""The workbenches (工作台), 首页's and 我的's cards, and an oversight admin's board and
leaderboard without a home community. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from govhub.accounts import services as accounts
from govhub.accounts.models import Role, User
from govhub.checkin import services as checkin
from govhub.checkin.models import Evidence
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import claims, resident_requests
from govhub.needs.models import Urgency
from govhub.orgs.models import OrgUnit
from govhub.partners import services as partners
from govhub.rewards import vouchers
from tests.factories import (
    PASSWORD,
    make_admin,
    make_need,
    make_partner,
    make_system_admin,
    make_tree,
    make_user,
    next_phone,
)
from tests.points.helpers import earn
from tests.rewards.helpers import give_points, make_reward, make_shop, redeem


def text_of(response) -> str:
    return response.get_data(as_text=True)


def waiting(page: str, key: str) -> str:
    """The visible text of the waiting item ``key`` (its label and count), in one line."""
    match = re.search(rf'<a id="{key}" href="[^"]*"[^>]*>(.*?)</a>', page, re.S)
    assert match, f"no waiting item {key}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def hrefs(page: str) -> set[str]:
    return {html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)}


def main_of(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


def ended_shift_with_attendance(tree, admin, people):
    """A need of community A whose one shift ended an hour ago, ``people`` checked in."""
    start = utcnow() - timedelta(hours=3)
    need = make_need(tree, admin=admin, shifts=((1, 2, 10),), now=start - timedelta(days=1))
    shift = need.shifts[0]
    for person in people:
        claims.claim_shift(person.id, shift.id, now=start - timedelta(hours=5))
        checkin.check_in(person.id, shift.id, now=start, evidence=Evidence.code_scan)
    return shift


def ask(volunteer, what="帮忙买菜"):
    return resident_requests.submit(
        volunteer.id,
        what=what,
        details="",
        when_text="明天上午",
        place="3栋",
        urgency=Urgency.normal,
        now=utcnow(),
    )


# --- The community workbench ---------------------------------------------------------


def test_the_community_workbench_counts_what_waits_and_follows_the_work(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree, name="王书记")
    people = [make_user(tree, name=f"志愿者{n}") for n in range(2)]
    shift = ended_shift_with_attendance(tree, admin, people)
    request = ask(people[0])
    partner = make_partner(tree, community="community_a", name="One")
    make_partner(tree, community="community_b", name="Not ours")
    soon = make_need(tree, admin=admin, title="Soon", shifts=((1, 2, 2), (5, 2, 2)), now=utcnow())
    page_url = f"/workbench/community/{tree.community_a}"
    auth.login(admin.phone)

    page = text_of(client.get(page_url))
    assert waiting(page, "waiting-to-confirm") == "待确认的服务时长 2人次"
    assert waiting(page, "waiting-requests") == "待审核的居民诉求 1条"
    assert waiting(page, "waiting-applications") == "共建单位申请 1份"
    # The shift in 5 days is not "soon"; the one tomorrow has 2 places left.
    assert waiting(page, "waiting-short") == "3天内开始、仍缺人手的时段 1个时段"

    # Each count links to where the work is done; the two lists name the shifts.
    links = hrefs(page)
    assert {f"{page_url}/to-confirm", "/requests/review", "/partners/review"} <= links
    to_confirm = text_of(client.get(f"{page_url}/to-confirm"))
    assert f'href="/manage/shifts/{shift.id}/attendance"' in to_confirm
    assert "确认2人次" in to_confirm
    short = text_of(client.get(f"{page_url}/short"))
    assert f'href="/manage/needs/{soon.id}"' in short
    assert "Soon" in short

    # The work is done: every count falls to a calm "nothing waiting".
    checkin.confirm_shift(admin.id, shift.id, {}, now=utcnow())
    resident_requests.decline(admin.id, request.id, "已由物业处理", now=utcnow())
    partners.decide(admin.id, partner.id, approve=True, now=utcnow())
    for _ in range(2):
        claims.claim_shift(make_user(tree).id, soon.shifts[0].id, now=utcnow())
    page = text_of(client.get(page_url))
    for key, label in [
        ("waiting-to-confirm", "待确认的服务时长"),
        ("waiting-requests", "待审核的居民诉求"),
        ("waiting-applications", "共建单位申请"),
        ("waiting-short", "3天内开始、仍缺人手的时段"),
    ]:
        assert waiting(page, key) == f"{label} 暂无待办"
    assert "暂无待办：" in text_of(client.get(f"{page_url}/to-confirm"))
    assert "暂无待办：" in text_of(client.get(f"{page_url}/short"))


def test_the_home_page_leads_an_admin_to_the_workbench_with_its_count(app, client, auth):
    tree = make_tree()
    make_partner(tree, community="community_a", name="One")
    make_partner(tree, community="community_a", name="Two")
    make_partner(tree, community="community_b", name="Not mine")
    admin = make_admin(tree)
    auth.login(admin.phone)
    home = text_of(client.get("/"))
    card = home[home.index('id="card-community-') : home.index("</section>", home.index("card-"))]
    assert "社区工作台 · Alpha Community" in card
    assert "共建单位申请" in card and "2份" in card
    assert f'href="/workbench/community/{tree.community_a}"' in card
    # 我的 shows the same card.
    profile = text_of(client.get("/account/profile"))
    assert f'id="card-community-{tree.community_a}"' in profile
    assert "2份" in profile


def test_the_home_page_shows_upcoming_tasks_and_no_cards_to_a_volunteer(app, client, auth):
    tree = make_tree()
    volunteer = make_user(tree, name="张晓明")
    need = make_need(tree, title="Read to children", now=utcnow())
    claims.claim_shift(volunteer.id, need.shifts[0].id, now=utcnow())
    auth.login(volunteer.phone)
    home = text_of(client.get("/"))
    tasks = home[home.index('id="upcoming-tasks"') :]
    assert "Read to children" in tasks
    assert f'href="/needs/{need.id}"' in tasks
    assert "workbench-card" not in home
    assert "/workbench" not in main_of(home)


def test_an_admin_of_two_communities_switches_between_them(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree)
    accounts.assign_role(None, admin.id, Role.community_admin, org_unit_id=tree.community_b)
    make_partner(tree, community="community_b", name="Beta Shop")
    auth.login(admin.phone)
    index = client.get("/workbench/")
    assert index.status_code == 200  # two workbenches: the list, no redirect
    page = text_of(client.get(f"/workbench/community/{tree.community_b}"))
    switcher = page[page.index("workbench-switcher") : page.index("</nav>", page.index("switcher"))]
    assert f'href="/workbench/community/{tree.community_a}"' in switcher
    assert f'href="/workbench/community/{tree.community_b}" aria-current="page"' in switcher
    assert waiting(page, "waiting-applications") == "共建单位申请 1份"
    page_a = text_of(client.get(f"/workbench/community/{tree.community_a}"))
    assert waiting(page_a, "waiting-applications") == "共建单位申请 暂无待办"
    # Without a community in the address: the first one.
    response = client.get("/workbench/community")
    assert response.headers["Location"] == f"/workbench/community/{tree.community_a}"


# --- The shop workbench --------------------------------------------------------------


@pytest.mark.app_config(REWARD_AREA_SETTLED_DAYS=0)
def test_the_shop_workbench_leads_with_verifying_and_counts_vouchers(app, client, auth):
    tree = make_tree()
    partner, owner = make_shop(tree)
    reward = make_reward(partner, owner, price=10, stock=10)
    volunteer = make_user(tree, name="张晓明")
    give_points(volunteer.id, 100)
    now = utcnow()
    first = redeem(volunteer, reward, now=now)
    redeem(volunteer, reward, now=now)
    url = f"/workbench/shop/{partner.id}"
    auth.login(owner.phone)

    page = text_of(client.get(url))
    main = main_of(page)
    verify = f'href="/shop/{partner.id}/verify"'
    assert main.index(verify) < main.index('id="waiting-unused"')  # verify comes first
    assert waiting(page, "waiting-unused") == "未使用的兑换券 2张"
    assert waiting(page, "waiting-verified-today") == "今日核销 今天还没有"

    vouchers.fulfil(owner.id, first.id, now=utcnow())
    page = text_of(client.get(url))
    assert waiting(page, "waiting-unused") == "未使用的兑换券 1张"
    assert waiting(page, "waiting-verified-today") == "今日核销 1张"
    # The shop's card on 首页 has the verify button too.
    home = text_of(client.get("/"))
    assert f'id="card-shop-{partner.id}"' in home and verify in home


def test_a_community_admin_who_staffs_a_shop_reaches_both_workbenches(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree, name="王书记")
    partner, _owner = make_shop(tree, owner=admin)
    auth.login(admin.phone)
    index = text_of(client.get("/workbench/"))
    community_url = f"/workbench/community/{tree.community_a}"
    shop_url = f"/workbench/shop/{partner.id}"
    assert {community_url, shop_url} <= hrefs(index)
    for url in (community_url, shop_url):
        response = client.get(url)
        assert response.status_code == 200
        page = text_of(response)
        switcher = page[page.index("workbench-switcher") :]
        switcher = switcher[: switcher.index("</nav>")]
        assert f'href="{community_url}"' in switcher
        assert f'href="{shop_url}"' in switcher
        assert f'href="{url}" aria-current="page"' in switcher


# --- Who may open which workbench ----------------------------------------------------


def test_a_volunteer_has_no_workbench(app, client, auth):
    tree = make_tree()
    partner, _owner = make_shop(tree)
    volunteer = make_user(tree)
    auth.login(volunteer.phone)
    for url in [
        f"/workbench/community/{tree.community_a}",
        f"/workbench/community/{tree.community_a}/to-confirm",
        f"/workbench/community/{tree.community_a}/short",
        "/workbench/community",
        f"/workbench/shop/{partner.id}",
        "/workbench/oversight",
        "/workbench/system",
    ]:
        assert client.get(url).status_code == 403, url
    page = text_of(client.get("/workbench/"))
    assert "您目前没有工作台" in page


def test_an_admin_cannot_open_another_communitys_workbench(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree)
    other_shop, _owner = make_shop(tree, community="community_b", name="Beta Shop")
    auth.login(admin.phone)
    assert client.get(f"/workbench/community/{tree.community_b}").status_code == 403
    assert client.get(f"/workbench/shop/{other_shop.id}").status_code == 403
    assert client.get("/workbench/oversight").status_code == 403


def test_workbenches_need_a_login(app, client):
    response = client.get("/workbench/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- Every tool the old header had is on a workbench ---------------------------------


def _tools_open(client, page: str, expected: set[str]) -> None:
    """Each expected path is linked from the workbench's main, and opens."""
    linked = {href.split("#")[0] for href in hrefs(main_of(page))}
    paths = {href.split("?")[0] for href in linked}
    missing = expected - paths
    assert not missing, f"not linked: {missing}"
    for href in sorted(linked):
        if href.split("?")[0] in expected:
            assert client.get(href).status_code == 200, href


def test_every_header_tool_of_a_community_admin_is_on_their_workbench(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree)
    auth.login(admin.phone)
    page = text_of(client.get(f"/workbench/community/{tree.community_a}"))
    _tools_open(
        client,
        page,
        {
            "/manage/needs",
            "/manage/needs/new",
            "/manage/volunteers",
            "/manage/economy",
            "/manage/ledger-audit",
            "/manage/settings",
            "/requests/review",
            "/requests/new",
            "/partners/review",
            "/roster/import",
        },
    )


def test_every_header_tool_of_shop_staff_is_on_their_workbench(app, client, auth):
    tree = make_tree()
    partner, owner = make_shop(tree)
    auth.login(owner.phone)
    page = text_of(client.get(f"/workbench/shop/{partner.id}"))
    shop = f"/shop/{partner.id}"
    _tools_open(
        client,
        page,
        {f"{shop}/", f"{shop}/verify", f"{shop}/rewards/new", f"/partners/{partner.id}/staff"},
    )


def test_every_header_tool_of_an_oversight_admin_is_on_their_workbench(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree, role=Role.oversight_admin, scope="street")
    make_partner(tree, community="community_b", name="Beta Shop")
    make_partner(tree, community="community_c", name="Elsewhere")
    auth.login(admin.phone)
    page = text_of(client.get("/workbench/oversight"))
    assert waiting(page, "waiting-applications") == "共建单位申请 1份"
    _tools_open(
        client,
        page,
        {
            "/partners/review",
            "/manage/economy",
            "/manage/ledger-audit",
            "/needs",
            "/leaderboard",
            "/manage/needs",
            "/requests/review",
            "/reporting/units/review",
            "/reporting/members/review",
        },
    )


def test_every_system_tool_is_on_the_system_workbench(app, client, auth):
    tree = make_tree()
    sysadmin = make_system_admin(tree)
    make_partner(tree, community="community_c", name="Anywhere")
    auth.login(sysadmin.phone)
    response = client.get("/workbench/")
    assert response.headers["Location"] == "/workbench/system"  # the only one: straight there
    page = text_of(client.get("/workbench/system"))
    assert waiting(page, "waiting-applications") == "共建单位申请 1份"
    _tools_open(
        client,
        page,
        {
            "/admin/orgs",
            "/admin/orgs/import",
            "/admin/users",
            "/admin/skills",
            "/admin/audit",
            "/partners/review",
            "/requests/review",
            "/manage/needs",
            "/manage/settings",
            "/manage/volunteers",
            "/manage/economy",
            "/manage/ledger-audit",
            "/roster/import",
        },
    )


# --- An oversight admin without a home community -------------------------------------


def _overseer_without_home(tree) -> User:
    user = User(phone=next_phone(), name="赵科长", password_hash=accounts.hash_password(PASSWORD))
    db.session.add(user)
    db.session.commit()
    accounts.assign_role(None, user.id, Role.oversight_admin, org_unit_id=tree.street)
    return db.session.get_one(User, user.id)


def test_an_overseer_without_a_home_sees_the_needs_of_their_subtree(app, client, auth):
    tree = make_tree()
    overseer = _overseer_without_home(tree)
    ours_a = make_need(tree, community="community_a", title="Alpha need", now=utcnow())
    ours_b = make_need(tree, community="community_b", title="Beta need", now=utcnow())
    make_need(tree, community="community_c", title="Gamma need", now=utcnow())
    make_need(tree, community="community_b", title="Beta draft", publish=False, now=utcnow())
    auth.login(overseer.phone)
    board = text_of(client.get("/needs"))
    assert "在个人资料中设置您所在的社区" not in board
    assert 'id="oversight-board"' in board
    assert "Alpha need" in board and "Beta need" in board
    assert "Gamma need" not in board and "Beta draft" not in board
    # The cards open.
    assert client.get(f"/needs/{ours_b.id}").status_code == 200
    assert client.get(f"/needs/{ours_a.id}").status_code == 200


def test_an_overseer_without_a_home_opens_the_leaderboards_of_their_subtree(app, client, auth):
    tree = make_tree()
    overseer = _overseer_without_home(tree)
    alpha = make_user(tree, name="Alpha one")
    beta = make_user(tree, community="community_b", grid="grid_b1", name="Beta one")
    gamma = make_user(tree, community="community_c", grid=None, name="Gamma one")
    for person in (alpha, beta, gamma):
        earn(person.id, 20, minutes=120, now=utcnow())
    auth.login(overseer.phone)

    page = text_of(client.get("/leaderboard"))
    options = re.findall(r'<option value="(\d+)"', page)
    assert options == [str(tree.street), str(tree.community_a), str(tree.community_b)]
    assert "请先在个人资料中设置所在社区" not in page and 'id="my-rank"' not in page
    # The street first: both its communities' volunteers, nobody from the other street.
    assert "Alpha one" in page and "Beta one" in page and "Gamma one" not in page

    page = text_of(client.get(f"/leaderboard?unit={tree.community_b}&period=all&by=points"))
    street_name = db.session.get_one(OrgUnit, tree.community_b).name
    assert f"<h2>{street_name} ·" in page
    assert "Beta one" in page and "Alpha one" not in page
    # A unit outside the subtree is not offered: the first of theirs is shown instead.
    page = text_of(client.get(f"/leaderboard?unit={tree.community_c}"))
    assert "Gamma one" not in page and "Alpha one" in page


def test_a_stationed_units_workbench_leads_with_reporting_not_a_counter(app, client, auth):
    """A unit has no points-supermarket counter: its workbench reports to communities,
    offers resources and holds places, with no voucher, reward or settlement tool."""
    from tests.reporting.unit_helpers import make_unit

    tree = make_tree()
    unit, owner = make_unit(tree)
    auth.login(owner.phone)
    page = text_of(client.get(f"/workbench/shop/{unit.id}"))
    main = main_of(page)
    assert f"单位工作台 · {unit.name}" in page
    assert f'href="/reporting/units/partner/{unit.id}"' in main
    assert f'href="/resources/new?partner={unit.id}"' in main
    for shop_only in ("/verify", "waiting-unused", "#rewards", "#export", "/rewards/new"):
        assert shop_only not in main
