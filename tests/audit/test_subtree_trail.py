"""The audit trail of every subtree: each action below appears with who, when, what and
why, for the admins of that subtree only; nothing in it can be changed."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from govhub.accounts import services as accounts
from govhub.accounts.models import Role
from govhub.audit.models import AuditEvent
from govhub.checkin import services as checkin
from govhub.checkin.models import Evidence
from govhub.database import AppendOnly, utcnow
from govhub.extensions import db
from govhub.needs import claims
from govhub.needs.models import Shift
from govhub.partners import services as partners
from govhub.points import services as points
from govhub.rewards import vouchers
from tests.factories import (
    make_admin,
    make_need,
    make_partner,
    make_system_admin,
    make_tree,
    make_user,
)
from tests.rewards.helpers import redeem, shop_world

ROW = re.compile(r'<tr class="audit-event" data-action="([^"]+)">(.*?)</tr>', re.S)


def rows(client, query: str = "") -> list[tuple[str, str]]:
    """(action, the row's text) of each event the page lists."""
    response = client.get(f"/admin/audit{query}")
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    return [
        (action, html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))))
        for action, body in ROW.findall(page)
    ]


def actions(client, query: str = "") -> set[str]:
    return {action for action, _ in rows(client, query)}


@pytest.fixture
def world(app):
    """Community A (street S1) with every audited action, and one adjustment in community C
    (street S2)."""
    tree = make_tree()
    now = utcnow()
    admin = make_admin(tree, name="王书记")
    colleague = make_admin(tree, name="李委员")
    volunteer = make_user(tree, name="张大爷")
    need = make_need(tree, admin=admin, now=now - timedelta(hours=3), shifts=((0.01, 2, 5),))
    shift = need.shifts[0]
    claims.claim_shift(volunteer.id, shift.id, now=now - timedelta(hours=3))
    shift = db.session.get(Shift, shift.id)
    shift.starts_at, shift.ends_at = now - timedelta(hours=2), now - timedelta(minutes=1)
    db.session.commit()
    # A check-in entered by hand, then hours changed at confirmation.
    checkin.check_in(
        volunteer.id,
        shift.id,
        now=now,
        evidence=Evidence.manual,
        actor_id=admin.id,
        reason="老人没有手机",
        at=shift.starts_at,
    )
    attendance = checkin.attendance_of(shift.id, volunteer.id)
    checkin.confirm_shift(
        colleague.id,
        shift.id,
        {attendance.id: checkin.Decision(minutes=60, note="提前离开")},
        now=now,
    )
    # A points adjustment; a role given; a partner decided; a voucher refused; a home moved.
    points.adjust(admin.id, volunteer.id, 30, "补发上月积分", key="audit-subtree-1")
    system = make_system_admin(tree)
    helper = make_user(tree, name="网格员")
    accounts.assign_role(system.id, helper.id, Role.community_admin, org_unit_id=tree.community_a)
    applicant = make_partner(tree, name="爱心超市")
    partners.decide(admin.id, applicant.id, approve=False, reason="材料不全", now=now)
    shop = shop_world(tree)
    voucher = redeem(shop.volunteer, shop.reward)
    vouchers.reject(shop.owner.id, voucher.id, "货品已售完", now=now)
    mover = make_user(tree, name="搬家的人")
    accounts.update_profile(
        mover.id,
        name=mover.name,
        community_id=tree.community_a,
        grid_id=tree.grid_a2,
        skill_ids=[],
        is_party_member=False,
        employer_unit=None,
        availability=None,
        now=now,
    )
    # Community C, street S2.
    admin_c = make_admin(tree, scope="community_c", name="赵书记")
    volunteer_c = make_user(tree, community="community_c", grid=None)
    points.adjust(admin_c.id, volunteer_c.id, 20, "南街的调整", key="audit-subtree-2")
    street = make_admin(tree, role=Role.oversight_admin, scope="street", name="街道办")
    street2 = make_admin(tree, role=Role.oversight_admin, scope="street2", name="南街道办")
    return tree, admin, street, street2, admin_c, system


EXPECTED_A = {
    "attendance.manual_check_in": ("王书记", "老人没有手机"),
    "attendance.hours_changed": ("李委员", "提前离开"),
    "points.adjusted": ("王书记", "补发上月积分"),
    "role.assigned": ("Sysadmin", ""),
    "partner.rejected": ("王书记", "材料不全"),
    "voucher.rejected": ("Shop owner", "货品已售完"),
    "account.home_changed": ("搬家的人", ""),
}


def test_each_action_shows_who_when_what_and_why_to_the_community_and_the_street(
    world, client, auth
):
    tree, admin, street, street2, admin_c, system = world
    for reader in (admin, street):
        auth.login(reader.phone)
        listed = rows(client)
        for action, (who, why) in EXPECTED_A.items():
            texts = [text for a, text in listed if a == action and who in text and why in text]
            assert texts, (reader.name, action, [text for a, text in listed if a == action])
            assert re.search(r"\d{1,2}:\d{2}", texts[0]), ("when", texts[0])  # the time
        assert "南街的调整" not in " ".join(text for _, text in listed)
        auth.logout()


def test_the_other_street_and_community_see_none_of_it(world, client, auth):
    tree, admin, street, street2, admin_c, system = world
    for reader in (street2, admin_c):
        auth.login(reader.phone)
        seen = rows(client)
        only_a = set(EXPECTED_A) - {"points.adjusted", "role.assigned"}
        assert not {action for action, _ in seen} & only_a
        text = " ".join(text for _, text in seen)
        assert "南街的调整" in text
        assert not [why for _, why in EXPECTED_A.values() if why and why in text]
        assert "Alpha Community" not in text
        auth.logout()
    auth.login(system.phone)
    assert set(EXPECTED_A) <= actions(client)
    assert "南街的调整" in " ".join(text for _, text in rows(client))


def test_volunteers_and_outsiders_are_refused(world, client, auth):
    tree, *_ = world
    assert client.get("/admin/audit").status_code in (302, 401)
    auth.login(make_user(tree).phone)
    assert client.get("/admin/audit").status_code == 403


def test_the_trail_filters_by_group_unit_person_and_dates(world, client, auth):
    tree, admin, street, street2, admin_c, system = world
    auth.login(street.phone)
    assert actions(client, "?category=points") == {"points.adjusted"}
    assert actions(client, "?category=attendance") == {
        "attendance.manual_check_in",
        "attendance.hours_changed",
        "shift.confirmed",
    }
    assert actions(client, f"?actor={admin.phone}") >= {"points.adjusted", "partner.rejected"}
    assert "role.assigned" not in actions(client, f"?actor={admin.phone}")
    assert actions(client, f"?unit={tree.community_b}&category=points") == set()
    assert "points.adjusted" in actions(client, f"?unit={tree.community_a}")
    later = utcnow().date() + timedelta(days=2)
    assert actions(client, f"?from={later}&to={later + timedelta(days=1)}") == set()
    assert client.get(f"/admin/audit?unit={tree.community_c}").status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "?unit=99999999999999999999",
        "?unit=-1",
        "?category=%00",
        "?category=nonsense",
        "?actor=%E5%BC%A0",
        "?actor=1380000000%00",
        "?from=2026-13-45&to=x",
        "?from=0001-01-01&to=9999-12-31",
        "?action=" + "x" * 500,
        "?before=abc",
    ],
)
def test_hostile_filters_are_never_a_server_error(world, client, auth, query):
    tree, admin, *_ = world
    auth.login(admin.phone)
    assert client.get(f"/admin/audit{query}").status_code in (200, 400, 404)


def test_events_cannot_be_changed_or_deleted(world):
    event = db.session.scalars(select(AuditEvent)).first()
    event.reason = "rewritten"
    with pytest.raises(AppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalars(select(AuditEvent)).first())
    with pytest.raises(AppendOnly):
        db.session.flush()
    db.session.rollback()


def test_no_route_writes_to_the_trail(app, world, client, auth):
    tree, admin, *_ = world
    auth.login(make_system_admin(tree).phone)
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)("/admin/audit").status_code == 405


def test_each_event_names_the_unit_it_happened_in(world):
    tree, admin, street, street2, admin_c, system = world
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    by_action = {e.action: e.org_unit_id for e in events}
    assert by_action["attendance.manual_check_in"] == tree.community_a
    assert by_action["voucher.rejected"] == tree.community_a
    granted = [e for e in events if e.action == "role.assigned" and e.actor_id == system.id]
    assert [e.org_unit_id for e in granted] == [tree.community_a]
    street_role = [e for e in events if e.action == "role.assigned" and e.target_id == street2.id]
    assert [e.org_unit_id for e in street_role] == [tree.street2]
    assert by_action["account.home_changed"] == tree.community_a
    assert by_action["points.adjusted"] == tree.community_c  # the last one: community C's


# --- Exporting the trail -----------------------------------------------------------------


def test_the_trail_exports_as_csv_and_excel_for_the_readers_subtree_only(world, client, auth):
    from tests.exports.helpers import read_csv, read_xlsx

    tree, admin, street, street2, admin_c, system = world
    points.adjust(admin.id, make_user(tree).id, 5, '=HYPERLINK("http://x")', key="formula")
    auth.login(street.phone)
    tables = {}
    for fmt, read in (("csv", read_csv), ("xlsx", read_xlsx)):
        response = client.get(f"/admin/audit/export.{fmt}?category=points", buffered=True)
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        tables[fmt] = [[str(cell) for cell in row] for row in read(response)]
    # The same rows; a formula is text in both (quoted in CSV, a text cell in Excel).
    unquote = [[cell.removeprefix("'") for cell in row] for row in tables["csv"]]
    assert unquote == tables["xlsx"]
    header, *lines = tables["csv"]
    assert len(header) == 8
    body = "\n".join("\t".join(line) for line in lines)
    assert "补发上月积分" in body and "王书记" in body and "Alpha Community" in body
    assert "南街的调整" not in body
    assert "'=HYPERLINK" in body  # a formula is text, never run
    assert {line[3] for line in lines} == {"points.adjusted"}
    auth.logout()
    auth.login(street2.phone)
    other = read_csv(client.get("/admin/audit/export.csv", buffered=True))
    text = "\n".join("\t".join(row) for row in other)
    assert "南街的调整" in text and "补发上月积分" not in text


def test_an_unreadable_filter_is_said_not_exported(world, client, auth):
    tree, admin, *_ = world
    auth.login(admin.phone)
    response = client.get("/admin/audit/export.csv?from=2026-13-01&to=x")
    assert response.status_code == 303
    assert client.get(f"/admin/audit/export.csv?unit={tree.community_c}").status_code == 403
    assert client.get("/admin/audit/export.pdf").status_code == 404
