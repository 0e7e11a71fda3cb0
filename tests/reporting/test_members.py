"""在职党员报到: a party member reports to their home community, which confirms it and
places them in a grid; a unit's liaison claims a typed employer."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from govhub.accounts.models import User
from govhub.audit.models import AuditEvent
from govhub.clock import local_date
from govhub.database import ServiceError, utcnow
from govhub.extensions import db
from govhub.notifications.models import Notification
from govhub.reporting import members
from govhub.reporting.models import MemberReport, ReportChannel, ReportStatus
from govhub.tokens import community_report_token
from tests.concurrency import run_at_once
from tests.factories import PASSWORD, make_admin, make_tree
from tests.reporting.member_helpers import (
    make_member,
    make_reported_unit,
    reload,
    report,
)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def login(app, user):
    client = app.test_client()
    response = client.post("/login", data={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 303
    return client


@pytest.fixture
def world(app):
    tree = make_tree()
    unit, liaison = make_reported_unit(tree)
    admin = make_admin(tree, scope="community_a", name="Alpha admin")
    member = make_member(tree, name="张小明")
    return tree, unit, liaison, admin, member


# --- Submitting ----------------------------------------------------------------------


def test_a_member_reports_with_an_employer_from_the_list_and_is_marked_a_party_member(
    world, client, auth
):
    tree, unit, _liaison, _admin, member = world
    auth.login(member.phone)
    page = client.get("/reporting/members/new").get_data(as_text=True)
    assert "报到" in page and unit.name in page
    response = client.post("/reporting/members/new", data={"partner_id": unit.id})
    assert response.status_code == 303 and response.headers["Location"] == "/reporting/members/"
    found = db.session.scalars(select(MemberReport)).one()
    assert (found.user_id, found.community_id, found.partner_id, found.employer_name) == (
        member.id,
        tree.community_a,
        unit.id,
        "",
    )
    assert found.status is ReportStatus.pending and found.channel is ReportChannel.profile
    profile = db.session.get(User, member.id).profile
    assert profile.is_party_member and profile.employer_unit == unit.name
    mine = client.get("/reporting/members/").get_data(as_text=True)
    assert "待确认" in mine and unit.name in mine


def test_a_member_types_an_employer_that_is_not_on_govhub(world, client, auth):
    _tree, _unit, _liaison, _admin, member = world
    auth.login(member.phone)
    response = client.post(
        "/reporting/members/new", data={"partner_id": "0", "employer_name": " 市第一中学 "}
    )
    assert response.status_code == 303
    found = db.session.scalars(select(MemberReport)).one()
    assert (found.partner_id, found.employer_name) == (None, "市第一中学")


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({}, "请输入工作单位的名称"),  # nothing chosen, nothing typed
        ({"partner_id": "0", "employer_name": ""}, "请输入工作单位的名称"),
        ({"partner_id": "99999999"}, "请从列表中选择"),  # not a reported unit
        ({"partner_id": "2147483648"}, "请输入工作单位的名称"),  # beyond an id: no choice
        ({"partner_id": "１"}, "请输入工作单位的名称"),  # full-width digit: no choice
        ({"partner_id": "0", "employer_name": "x" * 81}, "80"),
        ({"partner_id": "0", "employer_name": "a\x00b"}, "NUL"),
        ({"q": "y" * 41, "partner_id": "0", "employer_name": "ok"}, "40"),
    ],
)
def test_hostile_or_missing_input_is_refused_at_the_field_never_a_500(
    world, client, auth, data, field_error
):
    _tree, _unit, _liaison, _admin, member = world
    auth.login(member.phone)
    response = client.post("/reporting/members/new", data=data)
    assert response.status_code == 422
    assert field_error in response.get_data(as_text=True)
    assert count(MemberReport) == 0


def test_a_member_has_one_report_in_hand_and_the_refusal_links_to_it(world, client, auth):
    _tree, unit, _liaison, _admin, member = world
    first = report(member, partner=unit)
    auth.login(member.phone)
    response = client.post("/reporting/members/new", data={"partner_id": unit.id})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "正在等待确认" in page
    assert f'href="/reporting/members/#member-report-{first.id}"' in page
    assert count(MemberReport) == 1


def test_a_confirmed_report_blocks_a_new_one_until_the_renewal_window(world):
    _tree, unit, _liaison, admin, member = world
    now = utcnow()
    first = report(member, partner=unit, now=now)
    members.confirm(admin.id, first.id, grid_id=first.community.children[0].id, now=now)
    with pytest.raises(members.AlreadyReported):
        report(member, partner=unit, now=now + timedelta(days=1))
    ends = reload(first.id).valid_until
    window = datetime.combine(ends - timedelta(days=29), datetime.min.time()) + timedelta(hours=4)
    with pytest.raises(members.AlreadyReported):
        report(member, partner=unit, now=window - timedelta(days=1))
    renewal = report(member, partner=unit, now=window)
    assert renewal.renewal_of_id == first.id


@pytest.mark.app_config(DATABASE_POOL_SIZE=20)
def test_concurrent_submits_give_one_report(app):
    tree = make_tree()
    unit, _liaison = make_reported_unit(tree)
    member = make_member(tree)
    clients = [login(app, member) for _ in range(6)]
    url, data = "/reporting/members/new", {"partner_id": unit.id}
    results = run_at_once([lambda c=c: c.post(url, data=data) for c in clients])
    statuses = sorted(r.status_code for r in results)
    assert statuses == [303, 422, 422, 422, 422, 422], statuses
    db.session.rollback()
    assert count(MemberReport, MemberReport.user_id == member.id) == 1


def test_a_member_withdraws_a_pending_report_and_can_report_again(world, client, auth):
    _tree, unit, _liaison, _admin, member = world
    first = report(member, partner=unit)
    auth.login(member.phone)
    assert client.post(f"/reporting/members/{first.id}/withdraw").status_code == 303
    assert reload(first.id).status is ReportStatus.withdrawn
    assert client.post("/reporting/members/new", data={"partner_id": unit.id}).status_code == 303
    assert count(MemberReport) == 2


def test_someone_else_cannot_withdraw_a_members_report(world, client, auth):
    tree, unit, _liaison, _admin, member = world
    first = report(member, partner=unit)
    other = make_member(tree, name="李四")
    auth.login(other.phone)
    assert client.post(f"/reporting/members/{first.id}/withdraw").status_code == 404
    assert reload(first.id).status is ReportStatus.pending


# --- The community's decision --------------------------------------------------------


def test_the_admin_confirms_and_places_the_member_in_a_grid_of_the_community(world, client, auth):
    tree, unit, _liaison, admin, member = world
    pending = report(member, partner=unit)
    auth.login(admin.phone)
    queue = client.get("/reporting/members/review").get_data(as_text=True)
    assert "张小明" in queue
    detail = client.get(f"/reporting/members/review/{pending.id}").get_data(as_text=True)
    assert "Alpha Grid 1" in detail and "Beta Grid 1" not in detail
    response = client.post(
        f"/reporting/members/review/{pending.id}/confirm", data={"grid_id": tree.grid_a2}
    )
    assert response.status_code == 303
    done = reload(pending.id)
    today = local_date(utcnow())
    assert done.status is ReportStatus.confirmed and done.grid_id == tree.grid_a2
    assert done.valid_until == date(today.year + 1, today.month, today.day) - timedelta(days=1)
    assert done.decided_by_id == admin.id
    note = db.session.scalars(select(Notification).where(Notification.user_id == member.id)).one()
    assert note.kind == "member_report_confirmed"
    assert count(AuditEvent, AuditEvent.action == "member_report.confirmed") == 1
    auth.login(member.phone)
    mine = client.get("/reporting/members/").get_data(as_text=True)
    assert "已报到" in mine and "Alpha Grid 2" in mine


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ("grid_b1", "请选择"),  # a grid of another community
        ("community_a", "请选择"),  # the community itself is not a grid
        (None, "请选择"),
    ],
)
def test_the_grid_must_be_one_of_the_communitys(world, client, auth, grid, message):
    tree, unit, _liaison, admin, member = world
    pending = report(member, partner=unit)
    auth.login(admin.phone)
    data = {"grid_id": getattr(tree, grid)} if grid else {"grid_id": ""}
    response = client.post(f"/reporting/members/review/{pending.id}/confirm", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert reload(pending.id).status is ReportStatus.pending


def test_a_community_admin_decides_only_reports_to_their_community(world, client, auth):
    tree, unit, _liaison, _admin, _member = world
    beta_member = make_member(tree, "community_b", name="王五")
    pending = report(beta_member, partner=unit)
    alpha_admin = make_admin(tree, scope="community_a", name="Another alpha admin")
    auth.login(alpha_admin.phone)
    assert "王五" not in client.get("/reporting/members/review").get_data(as_text=True)
    assert client.get(f"/reporting/members/review/{pending.id}").status_code == 403
    response = client.post(
        f"/reporting/members/review/{pending.id}/confirm", data={"grid_id": tree.grid_b1}
    )
    assert response.status_code == 403
    assert reload(pending.id).status is ReportStatus.pending


def test_an_admin_never_confirms_their_own_report(world, client, auth):
    tree, unit, _liaison, admin, _member = world
    own = report(admin, partner=unit)
    auth.login(admin.phone)
    detail = client.get(f"/reporting/members/review/{own.id}").get_data(as_text=True)
    assert "另一位管理员" in detail and "确认报到" not in detail
    response = client.post(
        f"/reporting/members/review/{own.id}/confirm", data={"grid_id": tree.grid_a1}
    )
    assert response.status_code == 403
    with pytest.raises(ServiceError):
        members.confirm(admin.id, own.id, grid_id=tree.grid_a1, now=utcnow())
    assert reload(own.id).status is ReportStatus.pending


def test_a_returned_report_shows_the_reason_and_the_member_reports_again(world, client, auth):
    _tree, unit, _liaison, admin, member = world
    pending = report(member, employer_name="市第一中学")
    auth.login(admin.phone)
    empty = client.post(f"/reporting/members/review/{pending.id}/return", data={"reason": " "})
    assert empty.status_code == 422
    response = client.post(
        f"/reporting/members/review/{pending.id}/return", data={"reason": "单位名称不完整"}
    )
    assert response.status_code == 303 and reload(pending.id).status is ReportStatus.returned
    auth.login(member.phone)
    mine = client.get("/reporting/members/").get_data(as_text=True)
    assert "单位名称不完整" in mine and "重新报到" in mine
    form = client.get("/reporting/members/new").get_data(as_text=True)
    assert 'value="市第一中学"' in form  # starts from the returned report
    assert client.post("/reporting/members/new", data={"partner_id": unit.id}).status_code == 303


def test_a_decision_lands_once_when_it_races_a_withdrawal(world):
    tree, unit, _liaison, admin, member = world
    pending = report(member, partner=unit)
    members.withdraw(member.id, pending.id, now=utcnow())
    with pytest.raises(ServiceError, match="no longer waiting|不再等待|已"):
        members.confirm(admin.id, pending.id, grid_id=tree.grid_a1, now=utcnow())
    assert reload(pending.id).status is ReportStatus.withdrawn


def test_a_renewal_confirmed_before_the_old_term_ends_starts_the_day_after(world):
    tree, unit, _liaison, admin, member = world
    now = datetime(2026, 3, 10, 4)
    first = report(member, partner=unit, now=now)
    members.confirm(admin.id, first.id, grid_id=tree.grid_a1, now=now)
    assert reload(first.id).valid_until == date(2027, 3, 9)
    later = datetime(2027, 2, 20, 4)
    renewal = report(member, partner=unit, now=later)
    members.confirm(admin.id, renewal.id, grid_id=tree.grid_a1, now=later)
    assert reload(renewal.id).valid_until == date(2028, 3, 9)


# --- The community's reporting QR -----------------------------------------------------


def test_the_admin_prints_the_reporting_qr_of_their_community_only(world, client, auth):
    tree, _unit, _liaison, admin, _member = world
    auth.login(admin.phone)
    page = client.get(f"/reporting/members/qr/{tree.community_a}").get_data(as_text=True)
    assert "Alpha Community" in page and "/reporting/members/join/" in page
    assert client.get(f"/reporting/members/qr/{tree.community_a}/qr.png").mimetype == "image/png"
    assert client.get(f"/reporting/members/qr/{tree.community_b}").status_code == 403
    bench = client.get(f"/workbench/community/{tree.community_a}").get_data(as_text=True)
    assert f"/reporting/members/qr/{tree.community_a}" in bench


def test_scanning_the_qr_logged_out_asks_to_log_in_then_opens_the_form(world, client, auth):
    tree, unit, _liaison, _admin, member = world
    url = f"/reporting/members/join/{community_report_token(tree.community_a)}"
    response = client.get(url)
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    login = client.post(
        response.headers["Location"], data={"phone": member.phone, "password": PASSWORD}
    )
    assert login.headers["Location"] == url
    assert "报到" in client.get(url).get_data(as_text=True)
    assert client.post(url, data={"partner_id": unit.id}).status_code == 303
    assert db.session.scalars(select(MemberReport)).one().channel is ReportChannel.qr


@pytest.mark.parametrize(
    "token",
    ["forged", "MQ.abcdef", community_report_token.__name__, "x" * 5000, "%00"],
)
def test_a_forged_reporting_code_gets_an_explanatory_page(world, client, token):
    response = client.get(f"/reporting/members/join/{token}")
    assert response.status_code == 404
    assert "报到码无效" in response.get_data(as_text=True)


def test_a_code_of_another_community_says_so_and_offers_the_members_home(world, client, auth):
    tree, unit, _liaison, _admin, member = world
    url = f"/reporting/members/join/{community_report_token(tree.community_b)}"
    auth.login(member.phone)
    page = client.get(url).get_data(as_text=True)
    assert "Beta Community" in page and "Alpha Community" in page
    assert "/reporting/members/new" in page and "/account/profile" in page
    assert client.post(url, data={"partner_id": unit.id}).status_code == 200
    assert count(MemberReport) == 0
    with pytest.raises(ServiceError):
        members.submit(member.id, community_id=tree.community_b, partner_id=unit.id, now=utcnow())


def test_the_workbench_counts_members_reports_waiting(world, client, auth):
    tree, unit, _liaison, admin, member = world
    report(member, partner=unit)
    auth.login(admin.phone)
    bench = client.get(f"/workbench/community/{tree.community_a}").get_data(as_text=True)
    item = re.search(r'id="waiting-member-reports"[^>]*>(.*?)</a>', bench, re.S).group(1)
    assert "1" in item and "/reporting/members/review" in bench


# --- A unit's liaison claims a typed employer -----------------------------------------


@pytest.mark.parametrize(
    ("unit_name", "typed", "matches"),
    [
        ("咸安区税务局", "咸安区税务局", True),
        ("咸安区税务局", "咸安区 税务局", True),  # spaces
        ("咸安区税务局", "咸安区\u3000税务局", True),  # the ideographic space
        ("ABC公司", "ＡＢＣ公司", True),  # full-width letters
        ("咸安区税务局", "区税务局", True),  # contained, 4 characters
        ("税务局", "咸安区税务局第一分局", True),  # the unit's name contained
        ("咸安区税务局", "税务", False),  # too short to match by containment
        ("咸安区税务局", "咸宁市第一中学", False),
        ("咸安区税务局", "", False),
    ],
)
def test_the_employer_match_rule(unit_name, typed, matches):
    assert members.names_match(unit_name, typed) is matches


@pytest.mark.parametrize(
    ("name", "short"), [("张小明", "张*明"), ("李四", "李*"), ("欧阳小华", "欧**华"), ("王", "王")]
)
def test_shortened_names(name, short):
    assert members.short_name(name) == short


def test_the_liaison_sees_only_shortened_names_then_claims_and_the_member_can_undo(
    world, client, auth
):
    tree, unit, liaison, _admin, member = world
    typed = report(member, employer_name="咸安区 税务局")
    stranger = make_member(tree, name="赵六")
    report(stranger, employer_name="市第一中学")
    auth.login(liaison.phone)
    page = client.get(f"/reporting/members/claims/{unit.id}").get_data(as_text=True)
    assert "张*明" in page and "Alpha Community" in page
    assert "张小明" not in page and member.phone not in page and "赵" not in page
    assert client.post(f"/reporting/members/claims/{unit.id}/{typed.id}").status_code == 303
    claimed = reload(typed.id)
    assert claimed.partner_id == unit.id and claimed.employer_name == "咸安区 税务局"
    note = db.session.scalars(select(Notification).where(Notification.user_id == member.id)).one()
    assert note.kind == "member_report_claimed"

    auth.login(member.phone)
    mine = client.get("/reporting/members/").get_data(as_text=True)
    assert "不是我的工作单位" in mine
    assert client.post(f"/reporting/members/{typed.id}/not-my-employer").status_code == 303
    assert reload(typed.id).partner_id is None
    # The unit is not offered the report again.
    auth.login(liaison.phone)
    again = client.get(f"/reporting/members/claims/{unit.id}").get_data(as_text=True)
    assert "张*明" not in again
    with pytest.raises(ServiceError):
        members.claim_for_unit(liaison.id, unit.id, typed.id, now=utcnow())


def test_only_the_units_liaison_claims_for_it(world, client, auth):
    tree, unit, _liaison, admin, member = world
    typed = report(member, employer_name="咸安区税务局")
    auth.login(admin.phone)
    assert client.get(f"/reporting/members/claims/{unit.id}").status_code == 403
    assert client.post(f"/reporting/members/claims/{unit.id}/{typed.id}").status_code == 403
    with pytest.raises(ServiceError):
        members.claim_for_unit(admin.id, unit.id, typed.id, now=utcnow())
    assert reload(typed.id).partner_id is None


def test_a_report_chosen_from_the_list_cannot_be_claimed_or_undone(world, client, auth):
    _tree, unit, liaison, _admin, member = world
    chosen = report(member, partner=unit)
    with pytest.raises(ServiceError):
        members.refuse_claim(member.id, chosen.id, now=utcnow())
    assert reload(chosen.id).partner_id == unit.id
    assert members.claim_candidates(unit.id, local_date(utcnow())) == []


# --- Finding the employer, 我的, notifications -----------------------------------------


def test_the_live_search_answers_htmx_with_the_list_only(world, client, auth):
    tree, unit, _liaison, _admin, member = world
    make_reported_unit(tree, name="国网咸宁供电公司")
    auth.login(member.phone)
    response = client.get("/reporting/members/new?q=税务", headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert "<html" not in fragment and 'id="employer-choices"' in fragment
    assert unit.name in fragment and "国网咸宁供电公司" not in fragment
    assert "列表中没有我的工作单位" in fragment
    nothing = client.get("/reporting/members/new?q=不存在", headers={"HX-Request": "true"})
    assert unit.name not in nothing.get_data(as_text=True)


def test_the_search_works_without_javascript_and_reports_nothing(world, client, auth):
    tree, unit, _liaison, _admin, member = world
    make_reported_unit(tree, name="国网咸宁供电公司")
    auth.login(member.phone)
    response = client.post("/reporting/members/new", data={"q": "供电", "search": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in page
    assert "国网咸宁供电公司" in page and unit.name not in page
    assert count(MemberReport) == 0


def test_a_unit_that_is_not_reported_is_not_offered(world, client, auth):
    tree, _unit, _liaison, _admin, member = world
    from govhub.partners.models import PartnerKind
    from tests.factories import make_partner

    make_partner(tree, name="未审核单位", kind=PartnerKind.unit)
    auth.login(member.phone)
    assert "未审核单位" not in client.get("/reporting/members/new").get_data(as_text=True)


def test_the_profile_shows_my_report_and_the_liaisons_claims_link(world, client, auth):
    _tree, unit, liaison, _admin, member = world
    auth.login(member.phone)
    profile = client.get("/account/profile").get_data(as_text=True)
    assert "在职党员报到" in profile and 'href="/reporting/members/new"' in profile
    report(member, partner=unit)
    profile = client.get("/account/profile").get_data(as_text=True)
    assert "待确认" in profile and 'href="/reporting/members/"' in profile
    auth.login(liaison.phone)
    profile = client.get("/account/profile").get_data(as_text=True)
    assert f'href="/reporting/members/claims/{unit.id}"' in profile


def test_the_decision_notification_opens_the_members_page(world, client, auth):
    tree, unit, _liaison, admin, member = world
    pending = report(member, partner=unit)
    members.return_report(admin.id, pending.id, reason="请补充单位全称", now=utcnow())
    auth.login(member.phone)
    listing = client.get("/notifications/").get_data(as_text=True)
    assert "Alpha Community退回了您的报到。原因：请补充单位全称" in listing
    note = db.session.scalars(select(Notification)).one()
    opened = client.post(f"/notifications/{note.id}/open")
    assert opened.status_code == 303 and opened.headers["Location"] == "/reporting/members/"


@pytest.mark.parametrize("grid_id", ["１", "2147483648", "x", "-1", "1e3", "\x00"])
def test_hostile_grid_ids_are_refused_at_the_field(world, client, auth, grid_id):
    _tree, unit, _liaison, admin, member = world
    pending = report(member, partner=unit)
    auth.login(admin.phone)
    response = client.post(
        f"/reporting/members/review/{pending.id}/confirm", data={"grid_id": grid_id}
    )
    assert response.status_code == 422
    assert reload(pending.id).status is ReportStatus.pending


@pytest.mark.parametrize(
    "path",
    [
        "/reporting/members/99999999/withdraw",
        "/reporting/members/99999999/not-my-employer",
        "/reporting/members/review/99999999/confirm",
        "/reporting/members/claims/99999999/1",
    ],
)
def test_unknown_ids_are_404(world, client, auth, path):
    _tree, _unit, _liaison, admin, _member = world
    auth.login(admin.phone)
    assert client.post(path).status_code == 404


def test_a_visitor_who_registers_from_the_qr_comes_back_to_the_form(world, client):
    from tests.factories import registration_form

    tree, unit, _liaison, _admin, _member = world
    url = f"/reporting/members/join/{community_report_token(tree.community_a)}"
    login_page = client.get(client.get(url).headers["Location"]).get_data(as_text=True)
    register_link = f"/register?next={url}"
    assert f'href="{register_link}"' in login_page
    registered = client.post(register_link, data=registration_form(tree))
    assert registered.status_code == 303 and registered.headers["Location"] == url
    assert client.post(url, data={"partner_id": unit.id}).status_code == 303
    assert db.session.scalars(select(MemberReport)).one().channel is ReportChannel.qr


def test_registering_with_an_unsafe_next_goes_home(world, client):
    from tests.factories import registration_form

    tree = world[0]
    response = client.post("/register?next=https://evil.example/", data=registration_form(tree))
    assert response.status_code == 303 and response.headers["Location"] == "/"


@pytest.mark.app_config(DATABASE_POOL_SIZE=20)
def test_two_admins_deciding_at_once_leave_one_decision(app):
    tree = make_tree()
    unit, _liaison = make_reported_unit(tree)
    member = make_member(tree)
    pending = report(member, partner=unit)
    admins = [make_admin(tree, scope="community_a", name=f"Admin {n}") for n in range(4)]
    clients = [login(app, admin) for admin in admins]
    confirm_url = f"/reporting/members/review/{pending.id}/confirm"
    return_url = f"/reporting/members/review/{pending.id}/return"
    jobs = [
        lambda c=clients[0]: c.post(confirm_url, data={"grid_id": tree.grid_a1}),
        lambda c=clients[1]: c.post(return_url, data={"reason": "信息不全"}),
        lambda c=clients[2]: c.post(confirm_url, data={"grid_id": tree.grid_a2}),
        lambda c=clients[3]: c.post(return_url, data={"reason": "请重新填写"}),
    ]
    statuses = sorted(response.status_code for response in run_at_once(jobs))
    assert statuses == [303, 422, 422, 422], statuses
    db.session.rollback()
    decided = db.session.get(MemberReport, pending.id)
    assert decided.status in (ReportStatus.confirmed, ReportStatus.returned)
    decisions = count(
        AuditEvent,
        AuditEvent.action.in_(["member_report.confirmed", "member_report.returned"]),
    )
    assert decisions == 1
    assert count(Notification, Notification.user_id == member.id) == 1


def test_in_the_last_days_of_the_term_the_member_renews_from_their_page(world, client, auth):
    tree, unit, _liaison, admin, member = world
    long_ago = utcnow() - timedelta(days=350)
    first = report(member, partner=unit, now=long_ago)
    members.confirm(admin.id, first.id, grid_id=tree.grid_a1, now=long_ago)
    auth.login(member.phone)
    mine = client.get("/reporting/members/").get_data(as_text=True)
    assert 'id="member-report-renew"' in mine and "新的有效期从到期次日开始" in mine
    form = client.get("/reporting/members/new").get_data(as_text=True)
    assert "续报" in form
    chosen = re.search(
        r'<input checked id="partner_id-0" name="partner_id" type="radio" value="(\d+)">', form
    )
    assert chosen and int(chosen.group(1)) == unit.id  # starts from the report it renews
    assert client.post("/reporting/members/new", data={"partner_id": unit.id}).status_code == 303
    renewal = db.session.scalars(select(MemberReport).order_by(MemberReport.id.desc())).first()
    assert renewal.renewal_of_id == first.id and renewal.status is ReportStatus.pending
