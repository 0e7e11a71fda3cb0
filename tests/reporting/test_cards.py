"""The quarterly service cards (govhub/reporting/cards.py): issued by the community once
per member and quarter, received by the unit once, verifiable by their QR."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from govhub.accounts.models import Role
from govhub.audit.models import AuditEvent
from govhub.clock import local_date
from govhub.database import ServiceError, utcnow
from govhub.extensions import db
from govhub.reporting import cards, figures
from govhub.reporting.models import ReportStatus, ServiceCard
from govhub.tokens import service_card_token
from tests.concurrency import run_at_once
from tests.factories import PASSWORD, make_admin, make_tree, make_user
from tests.reporting.rows import at, make_unit, member_report, served, shift_on, unit_report

NOW = datetime(2026, 12, 2, 2, 0)  # 10:00 in Shanghai: Q3 2026 has ended, Q4 has not


def _count(*conditions) -> int:
    return int(db.session.scalar(select(func.count()).select_from(ServiceCard).where(*conditions)))


@pytest.fixture
def world(app):
    tree = make_tree()
    zhao = make_user(tree, name="Zhao Liaison")
    tax = make_unit(tree, "Tax Bureau")
    unit_report(tax, tree.community_a, zhao, confirmed_on=date(2026, 1, 10))
    admin = make_admin(tree, name="Admin A")
    other_admin = make_admin(tree, name="Admin A2")
    wang = make_user(tree, name="Wang Member")
    qian = make_user(tree, name="Qian Member")
    member_report(wang, tree.community_a, tax, confirmed_on=date(2026, 2, 1), grid_id=tree.grid_a1)
    member_report(qian, tree.community_a, tax, confirmed_on=date(2026, 8, 15))
    # The admin is a party member of the unit too: their card is someone else's call.
    member_report(admin, tree.community_a, tax, confirmed_on=date(2026, 2, 1))
    # Not counted in Q3: lapsed in June, confirmed after the quarter, still pending.
    gone = make_user(tree, name="Gone")
    member_report(
        gone, tree.community_a, tax, confirmed_on=date(2025, 6, 1), valid_until=date(2026, 6, 30)
    )
    late = make_user(tree, name="Late")
    member_report(late, tree.community_a, tax, confirmed_on=date(2026, 10, 2))
    waiting = make_user(tree, name="Waiting")
    member_report(
        waiting, tree.community_a, tax, confirmed_on=date(2026, 8, 1), status=ReportStatus.pending
    )
    # Another community's member.
    beta = make_user(tree, community="community_b", grid="grid_b1", name="Beta Member")
    member_report(beta, tree.community_b, tax, confirmed_on=date(2026, 2, 1))

    served(wang, shift_on(tree.community_a, date(2026, 4, 10)), 600)  # Q2
    served(wang, shift_on(tree.community_b, date(2026, 9, 30)), 120)  # Q3, another community
    served(wang, shift_on(tree.community_a, date(2026, 10, 1)), 60)  # Q4: not on the Q3 card
    return (
        tree,
        {"zhao": zhao, "admin": admin, "other_admin": other_admin},
        tax,
        {
            "wang": wang,
            "qian": qian,
            "beta": beta,
        },
    )


def test_a_quarter_issues_one_card_per_member_whose_report_counted(world):
    tree, people, _tax, members = world
    issued = cards.issue_quarter(people["other_admin"].id, tree.community_a, 2026, 3, now=NOW)
    assert (issued.issued, issued.members, issued.own_left) == (3, 3, False)
    names = {c.user.name: c for c in cards.community_cards(tree.community_a, 2026, 3)}
    assert sorted(names) == ["Admin A", "Qian Member", "Wang Member"]
    wang = names["Wang Member"]
    assert (wang.quarter_minutes, wang.year_minutes, wang.target_minutes, wang.claims) == (
        120,
        720,
        50 * 60,
        1,
    )
    assert not wang.on_target and wang.partner_id is not None
    assert (wang.issued_by_id, wang.issued_at) == (people["other_admin"].id, NOW)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "service_cards.issued")
    ).one()
    assert event.data["issued"] == 3


def test_issuing_again_creates_nothing_twice(world):
    tree, people, _tax, _members = world
    cards.issue_quarter(people["other_admin"].id, tree.community_a, 2026, 3, now=NOW)
    again = cards.issue_quarter(people["other_admin"].id, tree.community_a, 2026, 3, now=NOW)
    assert again.issued == 0
    assert _count(ServiceCard.community_id == tree.community_a) == 3


def test_an_admin_does_not_issue_their_own_card(world):
    tree, people, _tax, _members = world
    first = cards.issue_quarter(people["admin"].id, tree.community_a, 2026, 3, now=NOW)
    assert (first.issued, first.own_left) == (2, True)
    assert _count(ServiceCard.user_id == people["admin"].id) == 0
    second = cards.issue_quarter(people["other_admin"].id, tree.community_a, 2026, 3, now=NOW)
    assert second.issued == 1
    assert _count(ServiceCard.user_id == people["admin"].id) == 1


@pytest.mark.parametrize(
    ("year", "quarter", "field"),
    [
        (2026, 4, "quarter"),  # has not ended
        (2027, 1, "year"),  # the future
        (2026, 5, "quarter"),
        (2026, 0, "quarter"),
        (99999, 1, "year"),
        (1999, 4, "year"),
    ],
)
def test_a_quarter_that_has_not_ended_or_does_not_exist_is_refused(world, year, quarter, field):
    tree, people, _tax, _members = world
    with pytest.raises(ServiceError) as refused:
        cards.issue_quarter(people["other_admin"].id, tree.community_a, year, quarter, now=NOW)
    assert refused.value.field == field
    assert _count() == 0


def test_the_last_day_of_a_quarter_is_still_inside_it(world):
    tree, people, _tax, _members = world
    with pytest.raises(ServiceError):
        cards.issue_quarter(
            people["other_admin"].id, tree.community_a, 2026, 3, now=at(date(2026, 9, 30), 23)
        )
    assert (
        cards.issue_quarter(
            people["other_admin"].id, tree.community_a, 2026, 3, now=at(date(2026, 10, 1), 0, 5)
        ).issued
        == 3
    )


def test_the_liaison_receives_a_card_once(world):
    tree, people, _tax, members = world
    cards.issue_quarter(people["other_admin"].id, tree.community_a, 2026, 3, now=NOW)
    card = db.session.scalars(
        select(ServiceCard).where(ServiceCard.user_id == members["wang"].id)
    ).one()
    later = NOW + timedelta(hours=3)
    assert cards.receive(people["zhao"].id, card.id, now=later) is True
    assert cards.receive(people["zhao"].id, card.id, now=later + timedelta(hours=1)) is False
    db.session.expire_all()
    assert (card.received_at, card.received_by_id) == (later, people["zhao"].id)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "service_card.received")
    ).all()
    assert len(events) == 1


def test_nobody_receives_their_own_card(world):
    tree, people, _tax, _members = world
    cards.issue_quarter(people["other_admin"].id, tree.community_a, 2026, 3, now=NOW)
    own = db.session.scalars(
        select(ServiceCard).where(ServiceCard.user_id == people["admin"].id)
    ).one()
    with pytest.raises(ServiceError):
        cards.receive(people["admin"].id, own.id, now=NOW)


def _issue_form(year="2026", quarter="3"):
    return {"year": year, "quarter": quarter}


def test_the_community_admin_issues_the_quarter_from_the_page(world, client, auth):
    tree, people, _tax, _members = world
    auth.login(people["other_admin"].phone)
    url = f"/liaison/communities/{tree.community_a}/cards"
    assert client.get(url).status_code == 200
    response = client.post(url, data=_issue_form())
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "Wang Member" in page and "Qian Member" in page


@pytest.mark.parametrize(
    ("form", "status"),
    [
        (_issue_form(quarter="4"), 422),  # not ended (today is in Q4 2026 or later)
        (_issue_form(quarter="5"), 422),
        (_issue_form(year="99999"), 422),
        (_issue_form(year="２０２６"), 422),
        (_issue_form(year=""), 422),
    ],
)
def test_a_refused_issue_keeps_the_form_with_the_error(world, client, auth, form, status):
    tree, people, _tax, _members = world
    this = local_date(utcnow())
    if form["quarter"] == "4":
        form = {"year": str(this.year), "quarter": str(figures.quarter_of(this))}
    auth.login(people["other_admin"].phone)
    response = client.post(f"/liaison/communities/{tree.community_a}/cards", data=form)
    assert response.status_code == status
    assert _count() == 0


@pytest.mark.parametrize(
    ("who", "community", "status"),
    [
        ("other_admin", "community_a", 200),
        ("other_admin", "community_b", 403),
        ("zhao", "community_a", 403),
        ("street", "community_a", 403),  # oversight reads figures; the community issues cards
        ("other_admin", "grid_a1", 403),
    ],
)
def test_only_the_communitys_admins_issue_its_cards(world, client, auth, who, community, status):
    tree, people, _tax, _members = world
    user = (
        make_admin(tree, role=Role.oversight_admin, scope="street")
        if who == "street"
        else people[who]
    )
    auth.login(user.phone)
    assert (
        client.get(f"/liaison/communities/{getattr(tree, community)}/cards").status_code == status
    )


def test_the_liaison_lists_and_receives_the_cards_and_prints_one(world, client, auth):
    tree, people, tax, members = world
    cards.issue_quarter(people["other_admin"].id, tree.community_a, 2026, 3, now=NOW)
    card = db.session.scalars(
        select(ServiceCard).where(ServiceCard.user_id == members["wang"].id)
    ).one()
    auth.login(people["zhao"].phone)
    listing = client.get(f"/liaison/units/{tax.id}/cards").text
    assert "Wang Member" in listing and "Qian Member" in listing
    shown = client.get(f"/liaison/cards/{card.id}").text
    for text in [
        "Wang Member",
        "Tax Bureau",
        "Alpha Community",
        "Alpha Grid 1",
        "2小时",
        "12小时 / 50小时",
        "Admin A2",
    ]:
        assert text in shown, text
    assert "未达标" in shown
    assert client.get(f"/liaison/cards/{card.id}/qr.png").headers["Content-Type"] == "image/png"
    response = client.post(f"/liaison/cards/{card.id}/receive")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(ServiceCard, card.id).received_by_id == people["zhao"].id


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("zhao", 200),
        ("other_admin", 200),
        ("wang", 200),
        ("qian", 403),
        ("beta_admin", 403),
        ("anon", 302),
    ],
)
def test_a_card_is_seen_by_the_unit_the_issuing_community_and_the_member(
    world, client, auth, who, status
):
    tree, people, _tax, members = world
    cards.issue_quarter(people["other_admin"].id, tree.community_a, 2026, 3, now=NOW)
    card = db.session.scalars(
        select(ServiceCard).where(ServiceCard.user_id == members["wang"].id)
    ).one()
    everyone = {**people, **members}
    if who == "beta_admin":
        auth.login(make_admin(tree, scope="community_b").phone)
    elif who != "anon":
        auth.login(everyone[who].phone)
    assert client.get(f"/liaison/cards/{card.id}").status_code == status


def test_another_units_liaison_cannot_receive_a_card(world, client, auth):
    tree, people, _tax, members = world
    cards.issue_quarter(people["other_admin"].id, tree.community_a, 2026, 3, now=NOW)
    card = db.session.scalars(
        select(ServiceCard).where(ServiceCard.user_id == members["wang"].id)
    ).one()
    school_liaison = make_user(tree, name="School Liaison")
    unit_report(
        make_unit(tree, "School"), tree.community_a, school_liaison, confirmed_on=date(2026, 1, 1)
    )
    auth.login(school_liaison.phone)
    assert client.post(f"/liaison/cards/{card.id}/receive").status_code == 403
    assert client.get(f"/liaison/cards/{card.id}").status_code == 403


def test_the_cards_qr_opens_a_public_page_confirming_it(world, client):
    tree, people, _tax, members = world
    cards.issue_quarter(people["other_admin"].id, tree.community_a, 2026, 3, now=NOW)
    card = db.session.scalars(
        select(ServiceCard).where(ServiceCard.user_id == members["wang"].id)
    ).one()
    response = client.get(f"/liaison/cards/verify/{service_card_token(card.id)}")
    assert response.status_code == 200
    assert "此服务登记卡真实有效" in response.text and "Wang Member" in response.text


@pytest.mark.parametrize(
    "token",
    ["forged", "MTIz.abc", "", "x" * 500, "WzFd.bad-signature"],
)
def test_a_forged_card_token_explains_itself(world, client, token):
    response = client.get(
        f"/liaison/cards/verify/{token}" if token else "/liaison/cards/verify/%20"
    )
    assert response.status_code == 404
    assert "无法确认这张服务登记卡" in response.text


def test_a_token_of_a_card_that_does_not_exist_explains_itself(world, client):
    response = client.get(f"/liaison/cards/verify/{service_card_token(2147483647)}")
    assert response.status_code == 404
    assert "没有与此码对应的服务登记卡" in response.text


def test_admins_issuing_at_once_create_each_card_once(world, app):
    """Four admins of the community press "issue" at the same moment, each in their own
    logged-in session: every card exists once and nothing fails."""
    tree, _people, _tax, _members = world
    clients = []
    for n in range(4):
        client = app.test_client()
        admin = make_admin(tree, name=f"Racer {n}")
        assert (
            client.post("/login", data={"phone": admin.phone, "password": PASSWORD}).status_code
            == 303
        )
        clients.append(client)
    url = f"/liaison/communities/{tree.community_a}/cards"
    this = local_date(utcnow())
    year, quarter = cards.last_ended_quarter(this)
    # The members' reports count in every quarter of this year and the last.
    responses = run_at_once(
        [
            lambda c=c: c.post(url, data={"year": str(year), "quarter": str(quarter)})
            for c in clients
        ]
    )
    assert [r.status_code for r in responses] == [303] * 4
    db.session.rollback()
    per_member = db.session.execute(
        select(ServiceCard.user_id, func.count()).group_by(ServiceCard.user_id)
    ).all()
    assert per_member and all(n == 1 for _user, n in per_member)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/liaison/cards/2147483647"),
        ("get", "/liaison/cards/99999999999999999999"),
        ("get", "/liaison/cards/2147483647/qr.png"),
        ("post", "/liaison/cards/2147483647/receive"),
        ("get", "/liaison/communities/2147483647/cards"),
        ("get", "/liaison/units/2147483647/cards"),
    ],
)
def test_huge_ids_are_not_found(world, client, auth, method, url):
    _tree, people, _tax, _members = world
    auth.login(people["zhao"].phone)
    assert getattr(client, method)(url).status_code == 404


@pytest.mark.parametrize(
    "query",
    [{"year": "99999", "quarter": "5"}, {"year": "２０２６", "quarter": "1"}, {"quarter": "-1"}],
)
def test_a_hostile_quarter_in_the_list_shows_the_default_quarter(world, client, auth, query):
    tree, people, tax, _members = world
    auth.login(people["zhao"].phone)
    assert client.get(f"/liaison/units/{tax.id}/cards", query_string=query).status_code == 200
    auth.logout()
    auth.login(people["other_admin"].phone)
    url = f"/liaison/communities/{tree.community_a}/cards"
    assert client.get(url, query_string=query).status_code == 200
