"""Forms anyone can send: throttled per client address and per phone, near-duplicates
refused at the field, and the review queues they fill paged 50 at a time."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from govhub import permissions
from govhub.accounts.models import User
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import resident_requests
from govhub.needs.models import RequestStatus, ResidentRequest, Urgency
from govhub.pagination import PAGE_SIZE, Cursor, parse_cursor
from govhub.partners import services as partners
from govhub.partners.models import Partner, PartnerKind
from tests.factories import (
    NOW,
    make_admin,
    make_need,
    make_tree,
    make_user,
    next_phone,
    registration_form,
)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def application(tree, **overrides) -> dict:
    return {
        "kind": "business",
        "name": f"爱心店{next_phone()}",
        "district_id": tree.district,
        "street_id": tree.street,
        "community_id": tree.community_a,
        "grid_id": "",
        "address": "幸福路 1 号",
        "contact_name": "刘老板",
        "contact_phone": next_phone(),
        "description": "",
        **overrides,
    }


def request_form(**overrides) -> dict:
    return {
        "what": "帮忙换灯泡",
        "details": "厨房的灯坏了",
        "when_text": "周末",
        "place": "3 号楼 201",
        "urgency": "normal",
        **overrides,
    }


def english(client) -> None:
    client.post("/preferences/language", data={"locale": "en", "next": "/"})


# --- Throttling ------------------------------------------------------------------------


@pytest.mark.app_config(SUBMIT_LIMIT_PER_ADDRESS="3 per hour")
def test_partner_applications_from_one_address_are_throttled(app, client):
    tree = make_tree()
    english(client)
    for _ in range(3):
        assert client.post("/partners/apply", data=application(tree)).status_code == 200
    response = client.post("/partners/apply", data=application(tree))
    assert response.status_code == 429
    assert re.search(r"Too many submissions\. Try again in (59|60) minutes\.", text_of(response))
    assert count(Partner) == 3


@pytest.mark.app_config(SUBMIT_LIMIT_PER_ADDRESS="2 per hour")
def test_refused_applications_do_not_count_towards_the_limit(app, client):
    tree = make_tree()
    for _ in range(4):
        assert client.post("/partners/apply", data=application(tree, name="")).status_code == 422
    assert client.post("/partners/apply", data=application(tree)).status_code == 200


@pytest.mark.app_config(SUBMIT_LIMIT_PER_PHONE="2 per hour", SUBMIT_LIMIT_PER_ADDRESS="50 per hour")
def test_partner_applications_are_throttled_per_contact_phone(app, client):
    tree = make_tree()
    phone = next_phone()
    assert (
        client.post("/partners/apply", data=application(tree, contact_phone=phone)).status_code
        == 200
    )
    # Rejected, so the same phone may apply again; the limit still counts both.
    for partner in db.session.scalars(select(Partner)):
        partners.decide(
            make_admin(tree).id, partner.id, approve=False, reason="资料不全", now=utcnow()
        )
    assert (
        client.post("/partners/apply", data=application(tree, contact_phone=phone)).status_code
        == 200
    )
    refused = client.post("/partners/apply", data=application(tree, contact_phone=phone))
    assert refused.status_code == 429 and "提交次数过多" in text_of(refused)
    # Another phone from the same address still gets through.
    assert client.post("/partners/apply", data=application(tree)).status_code == 200


@pytest.mark.app_config(SUBMIT_LIMIT_PER_ADDRESS="2 per hour")
def test_sign_ups_from_one_address_are_throttled(app, client):
    tree = make_tree()
    for _ in range(2):
        assert client.post("/register", data=registration_form(tree)).status_code == 303
        client.post("/logout")
    before = count(User)
    response = client.post("/register", data=registration_form(tree))
    assert response.status_code == 429
    assert count(User) == before


@pytest.mark.app_config(SUBMIT_LIMIT_PER_PHONE="2 per hour")
def test_resident_requests_are_throttled_per_resident(app, client, auth):
    tree = make_tree()
    resident = make_user(tree)
    auth.login(resident.phone)
    for n in range(2):
        assert client.post("/requests/new", data=request_form(what=f"求助{n}")).status_code == 303
    response = client.post("/requests/new", data=request_form(what="求助2"))
    assert response.status_code == 429 and "提交次数过多" in text_of(response)
    assert count(ResidentRequest) == 2


@pytest.mark.app_config(SUBMIT_LIMIT_PER_PHONE="1 per hour", SUBMIT_LIMIT_PER_ADDRESS="1 per hour")
def test_a_worker_recording_requests_for_residents_is_not_throttled(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree)
    auth.login(admin.phone)
    for n in range(3):
        response = client.post(
            "/requests/new?for=resident",
            data=request_form(
                community_id=tree.community_a,
                resident_name=f"李奶奶{n}",
                resident_building="5 号楼 102",
            ),
        )
        assert response.status_code == 303
    assert count(ResidentRequest) == 3


# --- Near-duplicates -------------------------------------------------------------------


def test_a_second_application_with_a_waiting_contact_phone_is_refused_at_the_field(app, client):
    tree = make_tree()
    english(client)
    phone = next_phone()
    client.post("/partners/apply", data=application(tree, name="爱心理发店", contact_phone=phone))
    response = client.post(
        "/partners/apply", data=application(tree, name="另一家店", contact_phone=phone)
    )
    assert response.status_code == 422
    page = text_of(response)
    assert "already waiting for review" in page and "爱心理发店" in page
    assert count(Partner) == 1


def test_the_same_request_sent_twice_is_refused_while_it_waits(app, client, auth):
    tree = make_tree()
    resident = make_user(tree)
    auth.login(resident.phone)
    english(client)
    assert client.post("/requests/new", data=request_form()).status_code == 303
    again = client.post("/requests/new", data=request_form(what=" 帮忙换灯泡 "))
    assert again.status_code == 422
    assert "The same request was sent less than 30 minutes ago" in text_of(again)
    assert count(ResidentRequest) == 1
    # Something else, or the same at another place, is a new request.
    assert client.post("/requests/new", data=request_form(place="5 号楼")).status_code == 303
    assert count(ResidentRequest) == 2


def test_the_same_request_may_be_sent_again_after_the_window(app):
    tree = make_tree()
    resident = make_user(tree)
    fields = {"what": "修水管", "details": "", "when_text": "", "place": "2 号楼"}
    first = resident_requests.submit(resident.id, urgency=Urgency.normal, **fields, now=utcnow())
    later = first.created_at + timedelta(minutes=31)
    second = resident_requests.submit(resident.id, urgency=Urgency.normal, now=later, **fields)
    assert second.id != first.id and second.status is RequestStatus.submitted


# --- Paged review queues ---------------------------------------------------------------


def test_partner_review_queue_is_paged_fifty_at_a_time(app, client, auth):
    tree = make_tree()
    for n in range(PAGE_SIZE + 2):
        partners.apply(
            kind=PartnerKind.business,
            name=f"店{n:03d}",
            community_id=tree.community_a,
            address="",
            contact_name="刘",
            contact_phone=next_phone(),
        )
    auth.login(make_admin(tree).phone)
    first = text_of(client.get("/partners/review"))
    assert first.count("店0") == PAGE_SIZE and "店000" in first and "店050" not in first
    following = re.search(r'href="(/partners/review\?[^"]*before=[^"]*)"', first).group(1)
    second = text_of(client.get(following.replace("&amp;", "&")))
    assert second.count("店0") == 2 and "店050" in second and "店051" in second
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_request_review_queue_pages_keep_the_most_urgent_first(app):
    tree = make_tree()
    admin = make_admin(tree)
    resident = make_user(tree)
    made = []
    for n, urgency in enumerate([Urgency.low, Urgency.urgent, Urgency.normal] * 3):
        made.append(
            resident_requests.submit(
                resident.id,
                what=f"求助{n}",
                details="",
                when_text="",
                place="楼",
                urgency=urgency,
                now=utcnow(),
            )
        )
    scope = permissions.community_admin_scope(admin)
    order = {Urgency.urgent: 0, Urgency.high: 1, Urgency.normal: 2, Urgency.low: 3}
    expected = [r.id for r in sorted(made, key=lambda r: (order[r.urgency], r.id))]
    seen, cursor = [], None
    while True:
        page = resident_requests.review_queue(scope, cursor, limit=4)
        seen += [r.id for r in page]
        if not page.older:
            break
        cursor = Cursor(parse_cursor(page.older, 2))
    assert seen == expected


def test_request_review_page_links_to_the_next_page(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree)
    for n in range(PAGE_SIZE + 1):
        resident_requests.submit(
            make_user(tree).id,
            what=f"求助{n:03d}",
            details="",
            when_text="",
            place="楼",
            urgency=Urgency.normal,
            now=utcnow(),
        )
    auth.login(admin.phone)
    first = text_of(client.get("/requests/review"))
    assert len(re.findall(r"求助\d{3}", first)) == PAGE_SIZE
    following = re.search(r'href="(/requests/review\?before=[0-9.]+)"', first).group(1)
    second = text_of(client.get(following))
    assert len(re.findall(r"求助\d{3}", second)) == 1 and f"求助{PAGE_SIZE:03d}" in second
    assert client.get("/requests/review?before=junk").status_code == 200


def test_managed_needs_list_is_paged_fifty_at_a_time(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree)
    for n in range(PAGE_SIZE + 1):
        make_need(tree, admin=admin, now=NOW, title=f"需求{n:03d}", publish=False)
    auth.login(admin.phone)
    first = text_of(client.get("/manage/needs"))
    assert len(re.findall(r"需求\d{3}", first)) == PAGE_SIZE and "需求000" not in first
    following = re.search(r'href="(/manage/needs\?before=\d+)"', first).group(1)
    second = text_of(client.get(following))
    assert re.findall(r"需求\d{3}", second) == ["需求000"]
