"""驻区单位到社区报到: a unit's staff report to a community, the community confirms or
returns it, the receipt verifies, and renewal continues the term without a gap."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from govhub.accounts.models import Role
from govhub.accounts.services import assign_role
from govhub.audit.models import AuditEvent
from govhub.clock import local_date
from govhub.database import ServiceError, utcnow
from govhub.extensions import db
from govhub.notifications.models import Notification
from govhub.reporting import terms, units
from govhub.reporting.models import ReportStatus, UnitReport
from govhub.tokens import unit_report_token
from tests.concurrency import run_at_once
from tests.factories import NOW, PASSWORD, make_category, make_user
from tests.reporting.unit_helpers import make_unit, report_world, submit


@pytest.fixture
def w(app):
    return report_world(app)


def form_data(w, **overrides) -> dict:
    data = {
        "district_id": w.tree.district,
        "street_id": w.tree.street,
        "community_id": w.tree.community_a,
        "liaison_phone": w.owner.phone,
        "party_members": "12",
        "resource_ids": [str(w.resource.id)],
        "category_ids": [str(make_category())],
        "note": "每月第一个周六开放会议室",
    }
    data.update(overrides)
    return data


def reports() -> list[UnitReport]:
    db.session.rollback()  # read what the requests committed
    return list(db.session.scalars(select(UnitReport).order_by(UnitReport.id)))


def actions(report_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target_type == "unit_report", AuditEvent.target_id == report_id)
            .order_by(AuditEvent.id)
        )
    )


def at(day: date, hour: int = 2) -> datetime:
    """A stored (UTC) moment on the local ``day`` (10:00 in Shanghai)."""
    return datetime(day.year, day.month, day.day, hour)


# --- Submitting ------------------------------------------------------------------------


def test_unit_staff_report_to_a_community_with_a_resource_and_kinds_of_need(w, client, auth):
    auth.login(w.owner.phone)
    page = client.get(f"/reporting/units/partner/{w.unit.id}/new").get_data(as_text=True)
    assert "Meeting room（2间）" in page
    assert "/resources/new" in page  # where the unit offers more

    response = client.post(f"/reporting/units/partner/{w.unit.id}/new", data=form_data(w))

    [report] = reports()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/reporting/units/{report.id}"
    assert (report.status, report.community_id, report.liaison_id, report.party_members) == (
        ReportStatus.pending,
        w.tree.community_a,
        w.owner.id,
        12,
    )
    assert [r.id for r in report.resources] == [w.resource.id]
    assert [c.code for c in report.categories] == ["elderly"]
    assert actions(report.id) == ["unit_report.submitted"]
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "待确认" in shown and "Meeting room" in shown and "助老服务" in shown


def test_the_liaison_is_confirmed_by_a_masked_name_and_phone(w, client, auth):
    liaison = make_user(w.tree, name="陈丽华")
    auth.login(w.second.phone)
    url = f"/reporting/units/partner/{w.unit.id}/liaison"
    htmx = {"HX-Request": "true"}
    found = client.get(url, query_string={"liaison_phone": liaison.phone}, headers=htmx)
    assert "HX-Request" in found.headers["Vary"]
    found = found.get_data(as_text=True)
    assert found.strip().startswith('<p class="liaison-found"')  # the fragment alone
    assert "陈*华" in found and liaison.masked_phone in found
    assert "陈丽华" not in found and liaison.phone not in found
    missing = client.get(url, query_string={"liaison_phone": "13011112222"}).get_data(as_text=True)
    assert "尚未注册" in missing
    # Without JavaScript, the "Look up" button shows the same on the form.
    page = client.post(
        f"/reporting/units/partner/{w.unit.id}/new",
        data=form_data(w, liaison_phone=liaison.phone, lookup="1"),
    )
    assert page.status_code == 200 and "陈*华" in page.get_data(as_text=True)
    assert reports() == []


@pytest.mark.parametrize(
    ("name", "masked"), [("陈丽华", "陈*华"), ("李四", "李*"), ("欧阳娜娜", "欧**娜"), ("A", "A")]
)
def test_masked_names(name, masked):
    from types import SimpleNamespace

    assert units.masked_name(SimpleNamespace(name=name)) == masked


def test_only_the_units_staff_may_report_for_it_or_look_up_phones(w, client, auth):
    outsider = make_user(w.tree, name="路人")
    auth.login(outsider.phone)
    assert client.get(f"/reporting/units/partner/{w.unit.id}/new").status_code == 403
    assert (
        client.post(f"/reporting/units/partner/{w.unit.id}/new", data=form_data(w)).status_code
        == 403
    )
    assert (
        client.get(f"/reporting/units/partner/{w.unit.id}/liaison?liaison_phone=1").status_code
        == 403
    )
    assert reports() == []


def test_a_business_does_not_report(w, client, auth):
    from tests.rewards.helpers import make_shop

    shop, owner = make_shop(w.tree, name="爱心超市")
    auth.login(owner.phone)
    assert client.get(f"/reporting/units/partner/{shop.id}/new").status_code == 403
    with pytest.raises(ServiceError):
        units.submit(
            owner.id, shop.id, units.ReportInput(w.tree.community_a, owner.phone, 1), now=NOW
        )


def test_a_second_report_to_the_same_community_is_refused_with_a_link(w, client, auth):
    first = submit(w)
    auth.login(w.second.phone)
    response = client.post(f"/reporting/units/partner/{w.unit.id}/new", data=form_data(w))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="community_id-error"[^>]*>[^<]*已有一份到', page)
    assert f'href="/reporting/units/{first.id}"' in page
    assert 'value="每月第一个周六开放会议室"' in page or "每月第一个周六开放会议室" in page
    # Another community is fine: a unit may report to several.
    other = client.post(
        f"/reporting/units/partner/{w.unit.id}/new",
        data=form_data(w, community_id=w.tree.community_b),
    )
    assert other.status_code == 303
    assert [r.community_id for r in reports()] == [w.tree.community_a, w.tree.community_b]


@pytest.mark.parametrize("state", ["confirmed", "returned", "withdrawn", "lapsed"])
def test_what_blocks_a_new_report_to_the_community(w, state):
    report = submit(w, now=NOW - timedelta(days=400) if state == "lapsed" else NOW)
    if state in ("confirmed", "lapsed"):
        units.confirm(
            w.admin_a.id, report.id, now=NOW - timedelta(days=400) if state == "lapsed" else NOW
        )
    elif state == "returned":
        units.return_report(w.admin_a.id, report.id, "请补充联络员", now=NOW)
    else:
        units.withdraw(w.owner.id, report.id, now=NOW)
    if state == "confirmed":
        with pytest.raises(units.DuplicateReport) as refused:
            submit(w)
        assert refused.value.report_id == report.id and refused.value.field == "community_id"
    else:
        assert submit(w).status is ReportStatus.pending


def test_two_staff_submitting_at_the_same_moment_make_one_report(app, w):
    clients = []
    for person in (w.owner, w.second, w.owner, w.second):
        c = app.test_client()
        assert (
            c.post("/login", data={"phone": person.phone, "password": PASSWORD}).status_code == 303
        )
        clients.append(c)
    url = f"/reporting/units/partner/{w.unit.id}/new"
    data = form_data(w)
    results = run_at_once([lambda c=c: c.post(url, data=data).status_code for c in clients])
    assert sorted(results) == [303, 422, 422, 422]
    assert len(reports()) == 1


# --- Deciding ---------------------------------------------------------------------------


def test_the_community_admin_confirms_and_the_unit_hears_of_it(w, client, auth):
    report = submit(w, liaison=make_user(w.tree, name="刘联络"))
    auth.login(w.admin_a.phone)
    queue = client.get("/reporting/units/review").get_data(as_text=True)
    assert w.unit.name in queue
    response = client.post(f"/reporting/units/{report.id}/confirm")
    assert response.status_code == 303
    [report] = reports()
    today = local_date(utcnow())
    assert report.status is ReportStatus.confirmed
    assert report.valid_until == terms.term_end(today)
    assert report.decided_by_id == w.admin_a.id
    assert actions(report.id) == ["unit_report.submitted", "unit_report.confirmed"]
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "unit_report_confirmed")
    ).all()
    assert sorted(told) == sorted({w.owner.id, w.second.id, report.liaison_id})
    assert "没有待确认的单位报到" in client.get("/reporting/units/review").get_data(as_text=True)


@pytest.mark.parametrize("admin", ["admin_b", "admin_c"])
def test_another_communitys_admin_cannot_see_or_decide_it(w, client, auth, admin):
    report = submit(w)
    auth.login(getattr(w, admin).phone)
    assert "没有待确认的单位报到" in client.get("/reporting/units/review").get_data(as_text=True)
    assert client.get(f"/reporting/units/{report.id}").status_code == 403
    assert client.post(f"/reporting/units/{report.id}/confirm").status_code == 403
    data = {"reason": "不在本社区"}
    assert client.post(f"/reporting/units/{report.id}/return", data=data).status_code == 403
    assert reports()[0].status is ReportStatus.pending


@pytest.mark.parametrize("role", ["submitter", "liaison"])
def test_an_admin_never_confirms_a_report_they_submitted_or_are_liaison_of(w, client, auth, role):
    if role == "submitter":
        # The community's admin also works at the unit and files its report.
        assign_role(None, w.admin_a.id, Role.partner_staff, partner_id=w.unit.id)
        report = submit(w, by=w.admin_a)
    else:
        report = submit(w, liaison=w.admin_a)
    auth.login(w.admin_a.phone)
    page = client.get(f"/reporting/units/{report.id}").get_data(as_text=True)
    assert 'id="not-yours"' in page or role == "submitter"
    assert "确认报到" not in page
    assert client.post(f"/reporting/units/{report.id}/confirm").status_code == 403
    with pytest.raises(ServiceError):
        units.confirm(w.admin_a.id, report.id, now=NOW)
    # Another admin of the community does.
    units.confirm(w.admin_a2.id, report.id, now=NOW)
    assert reports()[0].status is ReportStatus.confirmed


def test_returning_needs_a_reason_and_the_unit_corrects_and_sends_it_again(w, client, auth):
    report = submit(w)
    auth.login(w.admin_a.phone)
    refused = client.post(f"/reporting/units/{report.id}/return", data={"reason": "  "})
    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.get_data(as_text=True)
    assert reports()[0].status is ReportStatus.pending

    returned = client.post(f"/reporting/units/{report.id}/return", data={"reason": "党员人数有误"})
    assert returned.status_code == 303
    [report] = reports()
    assert (report.status, report.reason) == (ReportStatus.returned, "党员人数有误")
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == "unit_report_returned", Notification.user_id == w.owner.id)
        )
        == 1
    )
    auth.logout()

    auth.login(w.owner.phone)
    form = client.get(f"/reporting/units/{report.id}/correct").get_data(as_text=True)
    assert "党员人数有误" in form and 'value="12"' in form
    sent = client.post(
        f"/reporting/units/{report.id}/correct", data=form_data(w, party_members="15")
    )
    assert sent.status_code == 303
    [report] = reports()
    assert (report.status, report.party_members, report.decided_by_id) == (
        ReportStatus.pending,
        15,
        None,
    )
    assert actions(report.id)[-2:] == ["unit_report.returned", "unit_report.resubmitted"]


def test_two_admins_deciding_at_once_leave_one_decision(app, w):
    report = submit(w)
    clients = []
    for admin in (w.admin_a, w.admin_a2):
        c = app.test_client()
        assert (
            c.post("/login", data={"phone": admin.phone, "password": PASSWORD}).status_code == 303
        )
        clients.append(c)
    confirm_url = f"/reporting/units/{report.id}/confirm"
    return_url = f"/reporting/units/{report.id}/return"
    run_at_once(
        [
            lambda: clients[0].post(confirm_url).status_code,
            lambda: clients[1].post(return_url, data={"reason": "材料不全"}).status_code,
        ]
    )
    [report] = reports()
    decided = [a for a in actions(report.id) if a != "unit_report.submitted"]
    assert len(decided) == 1
    assert (
        report.status
        is {
            "unit_report.confirmed": ReportStatus.confirmed,
            "unit_report.returned": ReportStatus.returned,
        }[decided[0]]
    )
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == w.owner.id))
    assert len([k for k in kinds if k.startswith("unit_report_")]) == 1


def test_a_decided_report_cannot_be_decided_again(w):
    report = submit(w)
    units.confirm(w.admin_a.id, report.id, now=NOW)
    with pytest.raises(ServiceError, match="已处理|already been handled"):
        units.return_report(w.admin_a2.id, report.id, "晚了", now=NOW)


def test_the_unit_withdraws_a_pending_report(w, client, auth):
    report = submit(w)
    auth.login(w.second.phone)
    assert client.post(f"/reporting/units/{report.id}/withdraw").status_code == 303
    assert reports()[0].status is ReportStatus.withdrawn
    assert actions(report.id)[-1] == "unit_report.withdrawn"
    with pytest.raises(ServiceError):
        units.confirm(w.admin_a.id, report.id, now=NOW)


def test_the_units_page_lists_every_community_with_status_term_and_receipt(w, client, auth):
    confirmed = submit(w)
    units.confirm(w.admin_a.id, confirmed.id, now=NOW)
    submit(w, community_id=w.tree.community_c)
    auth.login(w.owner.phone)
    page = client.get(f"/reporting/units/partner/{w.unit.id}").get_data(as_text=True)
    assert "Alpha Community" in page and "Gamma Community" in page
    assert "已确认" in page and "待确认" in page
    assert f"/reporting/units/{confirmed.id}/receipt" in page
    workbench = client.get(f"/workbench/shop/{w.unit.id}").get_data(as_text=True)
    assert f'href="/reporting/units/partner/{w.unit.id}"' in workbench


def test_the_community_workbench_counts_unit_reports_waiting(w, client, auth):
    submit(w)
    auth.login(w.admin_a.phone)
    page = client.get(f"/workbench/community/{w.tree.community_a}").get_data(as_text=True)
    item = re.search(r'id="waiting-unit-reports"[^>]*>(.*?)</a>', page, re.S)
    assert item and "待确认的单位报到" in item.group(1) and "1份" in item.group(1)


# --- The receipt and its verification --------------------------------------------------


def test_the_receipt_shows_the_report_and_a_qr_code_to_verify_it(w, client, auth):
    report = submit(w, resource_ids=[w.resource.id])
    units.confirm(w.admin_a.id, report.id, now=NOW)
    auth.login(w.owner.phone)
    page = client.get(f"/reporting/units/{report.id}/receipt").get_data(as_text=True)
    for shown in ("报到回执", w.unit.name, "Alpha Community", "王小明", "Meeting room", "助老服务"):
        assert shown in page
    assert "张书记" in page  # confirmed by
    assert f"/reporting/units/{report.id}/receipt/qr.png" in page
    qr = client.get(f"/reporting/units/{report.id}/receipt/qr.png")
    assert qr.status_code == 200 and qr.content_type == "image/png"
    token = re.search(r"/reporting/units/verify/([A-Za-z0-9_.\-]+)", page).group(1)
    auth.logout()
    verified = client.get(f"/reporting/units/verify/{token}").get_data(as_text=True)
    assert "该报到今日有效" in verified and w.unit.name in verified
    assert "王小明" not in verified  # no one's name on the public page


def test_a_pending_report_has_no_receipt(w, client, auth):
    report = submit(w)
    auth.login(w.owner.phone)
    assert client.get(f"/reporting/units/{report.id}/receipt").status_code == 404


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # altered
        lambda token: "2" + token[1:],  # another id, the old signature
        lambda token: "forged.not-signed",
        lambda token: "x" * 3000,
        lambda token: token + "%00",
    ],
)
def test_a_forged_or_tampered_receipt_code_gets_an_explanation(w, client, tamper):
    report = submit(w)
    units.confirm(w.admin_a.id, report.id, now=NOW)
    response = client.get(f"/reporting/units/verify/{tamper(unit_report_token(report.id))}")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "无法核验此报到回执" in page and "该报到今日有效" not in page


def test_a_code_naming_a_report_never_confirmed_is_not_verified(w, client):
    report = submit(w)
    response = client.get(f"/reporting/units/verify/{unit_report_token(report.id)}")
    assert response.status_code == 404
    assert client.get(f"/reporting/units/verify/{unit_report_token(2**40)}").status_code == 404


def test_a_lapsed_or_withdrawn_report_verifies_as_such(w, client):
    long_ago = NOW - timedelta(days=800)
    lapsed = submit(w, now=long_ago)
    units.confirm(w.admin_a.id, lapsed.id, now=long_ago)
    withdrawn = submit(w, community_id=w.tree.community_b)
    units.confirm(w.admin_b.id, withdrawn.id, now=NOW)
    units.withdraw(w.owner.id, withdrawn.id, now=NOW)
    page = client.get(f"/reporting/units/verify/{unit_report_token(lapsed.id)}")
    assert "该报到已过期" in page.get_data(as_text=True)
    page = client.get(f"/reporting/units/verify/{unit_report_token(withdrawn.id)}")
    assert "该报到已撤回" in page.get_data(as_text=True)


# --- Renewal: the term continues without a gap or an overlap ---------------------------


@pytest.mark.parametrize(
    ("confirmed_on", "ends"),
    [
        (date(2026, 12, 1), date(2027, 11, 30)),
        (date(2027, 1, 31), date(2028, 1, 30)),
        (date(2027, 3, 1), date(2028, 2, 29)),  # ends on a leap day
        (date(2028, 2, 29), date(2029, 2, 27)),  # from a leap day: 28 Feb is the anniversary
    ],
)
def test_a_report_counts_for_twelve_months_from_its_confirmation(w, confirmed_on, ends):
    report = submit(w, now=at(confirmed_on))
    units.confirm(w.admin_a.id, report.id, now=at(confirmed_on))
    report = reports()[0]
    assert report.valid_until == ends
    assert terms.counts(report, ends) and not terms.counts(report, ends + timedelta(days=1))


@pytest.mark.parametrize(
    ("first_confirmed", "renewal_confirmed", "starts", "ends"),
    [
        # Confirmed before the old term ends: it starts the day after, whatever the day.
        (date(2026, 12, 1), date(2027, 11, 10), date(2027, 12, 1), date(2028, 11, 30)),
        (date(2026, 12, 1), date(2027, 11, 30), date(2027, 12, 1), date(2028, 11, 30)),
        # Old term ends on 29 Feb 2028: the new one starts 1 March.
        (date(2027, 3, 1), date(2028, 2, 20), date(2028, 3, 1), date(2029, 2, 28)),
        # Old term ends on 28 Feb 2027: the new one starts 1 March and ends on a leap day.
        (date(2026, 3, 1), date(2027, 2, 28), date(2027, 3, 1), date(2028, 2, 29)),
        # Confirmed after the old one lapsed: it starts the day it is confirmed.
        (date(2026, 12, 1), date(2027, 12, 5), date(2027, 12, 5), date(2028, 12, 4)),
    ],
)
def test_a_renewal_continues_the_term(w, first_confirmed, renewal_confirmed, starts, ends):
    old = submit(w, now=at(first_confirmed))
    units.confirm(w.admin_a.id, old.id, now=at(first_confirmed))
    old = reports()[0]
    filed = min(renewal_confirmed, old.valid_until)
    renewal = units.submit(
        w.owner.id,
        w.unit.id,
        units.ReportInput(w.tree.community_a, w.owner.phone, 12),
        now=at(filed),
        renewal_of_id=old.id,
    )
    units.confirm(w.admin_a.id, renewal.id, now=at(renewal_confirmed))
    renewal = db.session.get(UnitReport, renewal.id)
    assert (units.term_start(renewal), renewal.valid_until) == (starts, ends)
    if renewal_confirmed <= old.valid_until:
        assert units.term_start(renewal) == old.valid_until + timedelta(days=1)  # no gap


def test_renewal_opens_thirty_days_before_the_term_ends_and_only_once(w, client, auth):
    old = submit(w)
    units.confirm(w.admin_a.id, old.id, now=NOW)
    old = reports()[0]
    opens = old.valid_until - timedelta(days=30)
    data = units.ReportInput(w.tree.community_a, w.owner.phone, 12)
    with pytest.raises(ServiceError):
        units.submit(
            w.owner.id, w.unit.id, data, now=at(opens - timedelta(days=1)), renewal_of_id=old.id
        )
    with pytest.raises(units.DuplicateReport):  # a plain second report is still refused
        units.submit(w.owner.id, w.unit.id, data, now=at(opens))
    renewal = units.submit(w.owner.id, w.unit.id, data, now=at(opens), renewal_of_id=old.id)
    assert renewal.renewal_of_id == old.id and renewal.status is ReportStatus.pending
    with pytest.raises(ServiceError):
        units.submit(w.owner.id, w.unit.id, data, now=at(opens), renewal_of_id=old.id)
    with pytest.raises(ServiceError):  # to the same community only
        units.submit(
            w.owner.id,
            w.unit.id,
            units.ReportInput(w.tree.community_b, w.owner.phone, 1),
            now=at(opens),
            renewal_of_id=db.session.get(UnitReport, old.id).id,
        )
    assert actions(renewal.id) == ["unit_report.renewed"]


def test_the_renewal_form_is_prefilled_from_the_report(w, client, auth):
    old = submit(w, resource_ids=[w.resource.id], note="每月开放")
    long_ago = utcnow() - timedelta(days=350)
    units.confirm(w.admin_a.id, old.id, now=long_ago)
    auth.login(w.owner.phone)
    page = client.get(f"/reporting/units/{old.id}/renew").get_data(as_text=True)
    assert "每月开放" in page and 'value="12"' in page
    assert re.search(rf'value="{w.resource.id}"\s+checked|value="{w.resource.id}" checked', page)
    response = client.post(
        f"/reporting/units/{old.id}/renew",
        data=form_data(w, community_id=w.tree.community_b),  # the community cannot change
    )
    assert response.status_code == 303
    renewal = reports()[-1]
    assert (renewal.renewal_of_id, renewal.community_id) == (old.id, w.tree.community_a)


# --- Hostile input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("party_members", "１２"),
        ("party_members", "-1"),
        ("party_members", "100001"),
        ("party_members", "99999999999999999999"),
        ("party_members", "1e3"),
        ("community_id", "99999999999999999999"),
        ("community_id", "２"),
        ("district_id", "\x00"),
        ("resource_ids", "99999999999"),
        ("resource_ids", "abc"),
        ("category_ids", "2147483647"),
        ("liaison_phone", "1380000\x000000"),
        ("liaison_phone", "١٣٨٠٠٠٠٠٠٠٠"),
        ("note", "x" * 501),
        ("note", "bad\x00note"),
        ("note", "\u202egnp.exe"),
    ],
)
def test_hostile_input_is_refused_at_the_form_never_a_500(w, client, auth, field, value):
    auth.login(w.owner.phone)
    response = client.post(
        f"/reporting/units/partner/{w.unit.id}/new", data=form_data(w, **{field: value})
    )
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    assert reports() == []


def test_a_resource_of_another_unit_cannot_be_named(w, client, auth):
    from tests.reporting.unit_helpers import make_resource

    other, _owner = make_unit(w.tree, name="Power Company")
    theirs = make_resource(w.tree, other, title="Truck")
    auth.login(w.owner.phone)
    response = client.post(
        f"/reporting/units/partner/{w.unit.id}/new",
        data=form_data(w, resource_ids=[str(theirs.id)]),
    )
    assert response.status_code == 422
    assert 'id="resource_ids-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/reporting/units/2147483648",
        "/reporting/units/99999999999999999999/receipt",
        "/reporting/units/0",
        "/reporting/units/partner/99999/new",
    ],
)
def test_ids_that_do_not_exist_are_404(w, client, auth, path):
    auth.login(w.owner.phone)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("query", "status"),
    [
        # NUL anywhere in a request is turned away by the app as a bad request.
        ("/reporting/units/places?district_id=%00&street_id=abc&community_id=99999999999", 400),
        ("/reporting/units/places?district_id=abc&street_id=-1&community_id=99999999999", 200),
        ("/reporting/units/places?district_id=%EF%BC%91", 200),
        ("/reporting/units/partner/{unit}/liaison?liaison_phone=%00", 400),
        ("/reporting/units/partner/{unit}/liaison?liaison_phone=" + "9" * 5000, 200),
        ("/reporting/units/review?before=abc&after=-1", 200),
    ],
)
def test_hostile_queries_of_the_helpers_and_lists_are_answered(w, client, auth, query, status):
    assign_role(None, w.owner.id, Role.community_admin, org_unit_id=w.tree.community_a)
    auth.login(w.owner.phone)
    assert client.get(query.format(unit=w.unit.id)).status_code == status
