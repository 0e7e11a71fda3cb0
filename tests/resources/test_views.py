"""The resources list's pages: offering with weekly windows, on behalf, committing,
releasing, withdrawing, what each person sees, the links that reach them, and hostile
input (each a 422 at the field, or a 404)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from govhub.accounts.models import Role
from govhub.extensions import db
from govhub.resources.models import Resource, ResourceCommitment, ResourceStatus
from tests.factories import make_admin, make_need, make_tree, make_user
from tests.resources.helpers import commit, make_liaison, make_unit, offer


@pytest.fixture
def tree(app):
    return make_tree()


@pytest.fixture
def auth(auth, client):
    """Signed in with the pages in English (the language is kept across logins)."""
    client.post("/preferences/language", data={"locale": "en"})
    return auth


@pytest.fixture
def unit(tree):
    return make_unit(tree)


def form_data(tree, **overrides) -> dict:
    data = {
        "kind": "venue",
        "title": "Meeting room",
        "description": "Thirty seats.",
        "quantity": "12",
        "unit_label": "hours",
        "available_from": "",
        "available_until": "",
        "windows-0-weekday": "2",
        "windows-0-starts": "14:00",
        "windows-0-ends": "17:00",
        "windows-1-weekday": "",
        "windows-1-starts": "",
        "windows-1-ends": "",
        "area_id": str(tree.community_a),
        "contact_name": "Ms Li",
        "contact_phone": "13812345678",
    }
    data.update(overrides)
    return data


def error_at(response, field_id: str) -> str:
    match = re.search(
        rf'<p class="error" id="{re.escape(field_id)}-error"[^>]*>([^<]*)</p>', response.text
    )
    assert match, f"no error at {field_id}"
    return match.group(1).strip()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_list_needs_a_login(client, tree):
    response = client.get("/resources/")
    assert response.status_code in (302, 303, 401)
    assert "/login" in response.headers.get("Location", "/login")


def test_a_units_staff_offer_a_resource_with_a_weekly_window(client, auth, tree, unit):
    partner, staff = unit
    auth.login(staff.phone)
    page = client.get(f"/resources/new?partner={partner.id}")
    assert page.status_code == 200 and "Tax Bureau" in page.text

    response = client.post(f"/resources/new?partner={partner.id}", data=form_data(tree))
    assert response.status_code == 303
    resource = db.session.scalars(select(Resource)).one()
    assert resource.partner_id == partner.id
    assert [(w.weekday, str(w.starts), str(w.ends)) for w in resource.windows] == [
        (2, "14:00:00", "17:00:00")
    ]
    detail = client.get(response.headers["Location"])
    assert "12 of 12 hours left" in detail.text
    assert "Wed" in detail.text and "14:00–17:00" in detail.text
    assert "13812345678" in detail.text  # the provider sees the contact


def test_someone_elses_partner_cannot_offer_for_it(client, auth, tree, unit):
    partner, _staff = unit
    auth.login(make_user(tree, name="Outsider").phone)
    assert client.get(f"/resources/new?partner={partner.id}").status_code == 403
    assert client.post(
        f"/resources/new?partner={partner.id}", data=form_data(tree)
    ).status_code == (403)
    assert count(Resource) == 0


def test_an_admin_records_a_resource_for_a_unit_without_an_account(client, auth, tree):
    admin = make_admin(tree)
    auth.login(admin.phone)
    data = form_data(tree, provider_name="Old Street Clinic", area_id=str(tree.street))
    response = client.post("/resources/new?behalf=1", data=data)
    assert response.status_code == 303
    detail = client.get(response.headers["Location"])
    assert "Old Street Clinic" in detail.text and "(recorded by the community)" in detail.text


def test_a_volunteer_cannot_record_on_behalf(client, auth, tree):
    auth.login(make_user(tree).phone)
    assert client.get("/resources/new?behalf=1").status_code == 403


HOSTILE = [
    ({"quantity": "0"}, "quantity"),
    ({"quantity": "-5"}, "quantity"),
    ({"quantity": "1000000001"}, "quantity"),
    ({"quantity": "１２"}, "quantity"),
    ({"quantity": "1e3"}, "quantity"),
    ({"quantity": "9" * 40}, "quantity"),
    ({"title": "x" * 81}, "title"),
    ({"title": "Room\x00"}, "title"),
    ({"description": "y" * 2001}, "description"),
    ({"unit_label": "z" * 17}, "unit_label"),
    ({"windows-0-weekday": "7"}, "windows-0-weekday"),
    ({"windows-0-weekday": "-1"}, "windows-0-weekday"),
    ({"windows-0-weekday": "mon"}, "windows-0-weekday"),
    ({"windows-0-ends": "13:00"}, "windows-0-ends"),
    ({"windows-0-starts": "25:99"}, "windows-0-starts"),
    ({"available_from": "2027-03-01", "available_until": "2027-02-01"}, "available_until"),
    ({"available_from": "1999-12-31"}, "available_from"),
    ({"available_until": "2100-01-01"}, "available_until"),
    ({"area_id": "2147483648"}, "area_id"),
    ({"area_id": "99999"}, "area_id"),
    ({"kind": "spaceship"}, "kind"),
    ({"contact_phone": "123"}, "contact_phone"),
]


@pytest.mark.parametrize(("overrides", "field_id"), HOSTILE)
def test_a_bad_offer_is_a_422_at_its_field_and_keeps_the_input(
    client, auth, tree, unit, overrides, field_id
):
    partner, staff = unit
    auth.login(staff.phone)
    data = form_data(tree, **overrides)
    response = client.post(f"/resources/new?partner={partner.id}", data=data)
    assert response.status_code == 422
    assert error_at(response, field_id)
    kept = "Thirty seats." if "title" in overrides else 'value="Meeting room"'
    assert kept in response.text
    assert count(Resource) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/resources/2147483648",
        "/resources/99999999999999999999",
        "/resources/12345",
        "/resources/12345/edit",
        "/resources/12345/commit",
        "/resources/new?partner=12345",
    ],
)
def test_a_resource_that_is_not_there_is_a_404(client, auth, tree, path):
    auth.login(make_user(tree).phone)
    assert client.get(path).status_code == 404


def test_huge_or_odd_filter_values_are_ignored(client, auth, tree, unit):
    partner, staff = unit
    offer(staff, tree, partner=partner, title="Room")
    auth.login(staff.phone)
    for query in ("community=99999999999", "community=１２", "kind=spaceship", "kind=x" * 3):
        response = client.get(f"/resources/?{query}")
        assert response.status_code == 200 and "Room" in response.text
    # NUL in a query string is turned away before any view (the app's rule).
    assert client.get("/resources/?kind=%00").status_code == 400


def test_committing_shows_what_is_left_and_refuses_more(client, auth, tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner, quantity=10)
    need = make_need(tree, title="Winter fair")
    auth.login(staff.phone)
    page = client.get(f"/resources/{resource.id}/commit")
    assert "Winter fair" in page.text
    key = re.search(r'name="key" type="hidden" value="([0-9a-f]{32})"', page.text).group(1)
    data = {"quantity": "7", "need_id": str(need.id), "purpose": "", "key": key}

    response = client.post(f"/resources/{resource.id}/commit", data=data)
    assert response.status_code == 303
    again = client.post(f"/resources/{resource.id}/commit", data=data)  # a double tap
    assert again.status_code == 303
    assert count(ResourceCommitment) == 1
    detail = client.get(f"/resources/{resource.id}")
    assert "3 of 10 hours left" in detail.text and "Winter fair" in detail.text

    more = client.post(
        f"/resources/{resource.id}/commit",
        data={"quantity": "4", "need_id": str(need.id), "key": "b" * 32},
    )
    assert more.status_code == 422
    assert "Only 3 hours are left." in error_at(more, "quantity")

    need_page = client.get(f"/needs/{need.id}")
    assert 'id="need-resources"' in need_page.text and "Meeting room" in need_page.text


@pytest.mark.parametrize(
    ("quantity", "need_id"),
    [("0", ""), ("-1", ""), ("１", ""), ("1000000001", ""), ("3", "2147483648"), ("3", "9999")],
)
def test_a_bad_commitment_is_a_422(client, auth, tree, unit, quantity, need_id):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner, quantity=10)
    auth.login(staff.phone)
    response = client.post(
        f"/resources/{resource.id}/commit",
        data={"quantity": quantity, "need_id": need_id, "purpose": "", "key": "c" * 32},
    )
    assert response.status_code == 422
    assert count(ResourceCommitment) == 0


def test_a_stranger_cannot_commit_edit_or_withdraw(client, auth, tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner)
    auth.login(make_user(tree, name="Stranger").phone)
    detail = client.get(f"/resources/{resource.id}")
    assert detail.status_code == 200 and "13812345678" not in detail.text
    assert "Commit part of it" not in detail.text
    assert client.get(f"/resources/{resource.id}/commit").status_code == 403
    assert client.get(f"/resources/{resource.id}/edit").status_code == 403
    assert client.post(f"/resources/{resource.id}/withdraw").status_code == 403


def test_the_units_liaison_commits_its_resource(client, auth, tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner)
    liaison = make_liaison(tree, partner)
    auth.login(liaison.phone)
    assert client.get(f"/resources/{resource.id}/commit").status_code == 200


def test_the_areas_admin_sees_the_contact_phone(client, auth, tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner)
    auth.login(make_admin(tree).phone)
    assert "13812345678" in client.get(f"/resources/{resource.id}").text


def test_release_and_withdraw_from_the_resource_page(client, auth, tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner, quantity=5)
    commitment = commit(staff, resource, 2)
    auth.login(staff.phone)
    empty = client.post(
        f"/resources/commitments/{commitment.id}/release",
        data={f"release-{commitment.id}-reason": ""},
    )
    assert empty.status_code == 422
    assert error_at(empty, f"release-{commitment.id}-reason")
    done = client.post(
        f"/resources/commitments/{commitment.id}/release",
        data={f"release-{commitment.id}-reason": "Cancelled"},
    )
    assert done.status_code == 303
    assert client.post(f"/resources/{resource.id}/withdraw", data={}).status_code == 303
    db.session.rollback()
    resource = db.session.get(Resource, resource.id)
    assert (resource.remaining, resource.status) == (5, ResourceStatus.withdrawn)
    page = client.get(f"/resources/{resource.id}")
    assert "Withdrawn" in page.text and "Commit part of it" not in page.text


def test_editing_below_what_is_committed_is_refused_at_the_quantity(client, auth, tree, unit):
    partner, staff = unit
    resource = offer(staff, tree, partner=partner, quantity=10)
    commit(staff, resource, 6)
    auth.login(staff.phone)
    form = client.get(f"/resources/{resource.id}/edit")
    assert 'value="10"' in form.text
    response = client.post(f"/resources/{resource.id}/edit", data=form_data(tree, quantity="5"))
    assert response.status_code == 422
    assert "6 hours are already committed" in error_at(response, "quantity")


def test_the_lists_a_volunteer_and_an_admin_see(client, auth, tree, unit):
    partner, staff = unit
    offer(staff, tree, partner=partner, title="Hall of A", area_id=tree.community_a)
    admin_b = make_admin(tree, scope="community_b")
    offer(admin_b, tree, on_behalf=True, title="Van of B", area_id=tree.community_b)
    auth.login(make_user(tree, name="Resident of A").phone)
    listing = client.get("/resources/")
    assert "Hall of A" in listing.text and "Van of B" not in listing.text
    assert client.get("/resources/area").status_code == 403
    auth.logout()
    auth.login(admin_b.phone)
    area = client.get("/resources/area")
    assert "Van of B" in area.text and "Hall of A" not in area.text
    overseer = make_admin(tree, role=Role.oversight_admin, scope="street", name="Overseer")
    auth.logout()
    auth.login(overseer.phone)
    assert {"Van of B", "Hall of A"} <= set(
        re.findall(r"<strong>([^<]+)</strong>", client.get("/resources/area").text)
    )


def test_the_workbenches_and_my_profile_lead_to_the_resources(client, auth, tree, unit):
    partner, staff = unit
    auth.login(staff.phone)
    shop = client.get(f"/workbench/shop/{partner.id}")
    assert f"/resources/new?partner={partner.id}" in shop.text and "/resources/mine" in shop.text
    assert "/resources/mine" in client.get("/account/profile").text
    auth.logout()
    auth.login(make_admin(tree).phone)
    bench = client.get(f"/workbench/community/{tree.community_a}")
    assert "/resources/area" in bench.text and "/resources/new?behalf=1" in bench.text
