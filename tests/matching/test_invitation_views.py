"""The invitation and resource-request pages: the admin's two POST endpoints (posted from
the matching page), the invitee's one-tap answer, the provider side's decision."""

from __future__ import annotations

from sqlalchemy import select

from govhub.database import utcnow
from govhub.extensions import db
from govhub.matching import invitations, resource_requests
from govhub.matching.models import (
    Invitation,
    InvitationStatus,
    ResourceRequest,
    ResourceRequestStatus,
)
from govhub.needs.models import ClaimStatus
from govhub.resources.models import Resource
from tests.factories import make_admin, make_need, make_tree, make_user
from tests.resources.helpers import make_unit, offer

KEY = "0123456789abcdef0123456789abcdef"


def text(response) -> str:
    return response.get_data(as_text=True)


def setup(places=5):
    tree = make_tree()
    admin = make_admin(tree)
    need = make_need(tree, admin=admin, now=utcnow(), shifts=((1, 2, places),))
    return tree, admin, need


def test_invite_posts_and_redirects_to_next_with_a_count(app, client, auth):
    tree, admin, need = setup()
    a, b = make_user(tree, name="A"), make_user(tree, name="B")
    auth.login(admin.phone)
    shift = need.shifts[0]
    data = {"volunteer": [a.id, b.id], "message": "Hi", "key": KEY, "next": "/matching/x"}
    response = client.post(f"/matching/shifts/{shift.id}/invite", data=data)
    assert response.status_code == 303 and response.location.endswith("/matching/x")
    assert db.session.scalar(select(Invitation).where(Invitation.volunteer_id == a.id))
    page = text(client.get(f"/needs/{need.id}"))
    assert page  # the flash is shown on the next page
    again = client.post(
        f"/matching/shifts/{shift.id}/invite", data={**data, "next": "https://evil.example/"}
    )
    assert again.status_code == 303 and "evil" not in again.location
    assert "/manage/" in again.location or str(need.id) in again.location


def test_invite_is_refused_to_a_volunteer_and_for_huge_ids(app, client, auth):
    tree, admin, need = setup()
    a = make_user(tree)
    auth.login(a.phone)
    shift = need.shifts[0]
    data = {"volunteer": [a.id], "key": KEY}
    assert client.post(f"/matching/shifts/{shift.id}/invite", data=data).status_code == 403
    assert client.post("/matching/shifts/99999999999999/invite", data=data).status_code == 404


def test_the_invitee_accepts_in_one_tap_and_a_full_shift_offers_the_list(app, client, auth):
    tree, admin, need = setup(places=1)
    shift = need.shifts[0]
    a, b = make_user(tree), make_user(tree)
    invitations.invite(admin.id, shift.id, [a.id, b.id], key="v", now=utcnow())
    inv_a, inv_b = (
        db.session.scalar(select(Invitation).where(Invitation.volunteer_id == v.id)) for v in (a, b)
    )
    auth.login(a.phone)
    page = text(client.get(f"/matching/invitations/{inv_a.id}"))
    assert 'value="accept"' in page and need.title in page
    assert (
        client.post(f"/matching/invitations/{inv_a.id}", data={"answer": "accept"}).status_code
        == 303
    )
    db.session.refresh(inv_a)
    assert inv_a.status is InvitationStatus.accepted and inv_a.claim.status is ClaimStatus.confirmed
    assert client.get(f"/matching/invitations/{inv_b.id}").status_code == 404  # not hers
    auth.logout()
    auth.login(b.phone)
    full = client.post(f"/matching/invitations/{inv_b.id}", data={"answer": "accept"})
    assert full.status_code == 422 and 'value="waitlist"' in text(full)
    joined = client.post(f"/matching/invitations/{inv_b.id}", data={"answer": "waitlist"})
    assert joined.status_code == 303
    db.session.refresh(inv_b)
    assert inv_b.claim.status is ClaimStatus.waitlisted
    mine = text(client.get("/matching/invitations"))
    assert need.title in mine


def test_the_invitee_declines_with_a_reason(app, client, auth):
    tree, admin, need = setup()
    a = make_user(tree)
    invitations.invite(admin.id, need.shifts[0].id, [a.id], key="d", now=utcnow())
    inv = db.session.scalar(select(Invitation))
    auth.login(a.phone)
    too_long = client.post(
        f"/matching/invitations/{inv.id}", data={"answer": "decline", "reason": "x" * 501}
    )
    assert too_long.status_code == 422
    response = client.post(
        f"/matching/invitations/{inv.id}", data={"answer": "decline", "reason": "Ill"}
    )
    assert response.status_code == 303
    db.session.refresh(inv)
    assert inv.status is InvitationStatus.declined and inv.reason == "Ill"


def test_request_resource_then_the_provider_accepts_and_the_requester_cannot(app, client, auth):
    tree, admin, need = setup()
    partner, staff = make_unit(tree)
    resource = offer(staff, tree, partner=partner, quantity=5)
    auth.login(admin.phone)
    data = {"resource_id": resource.id, "quantity": 2, "note": "Party", "key": KEY, "next": "/x"}
    response = client.post(f"/matching/needs/{need.id}/request-resource", data=data)
    assert response.status_code == 303
    item = db.session.scalar(select(ResourceRequest))
    assert item.quantity == 2
    page = client.get(f"/matching/resource-requests/{item.id}")
    assert page.status_code == 200 and 'value="accept"' not in text(page)  # the requester
    assert (
        client.post(f"/matching/resource-requests/{item.id}", data={"answer": "accept"}).status_code
        == 403
    )
    auth.logout()
    auth.login(staff.phone)
    assert resource.title in text(client.get("/matching/resource-requests"))
    no_reason = client.post(f"/matching/resource-requests/{item.id}", data={"answer": "decline"})
    assert no_reason.status_code == 422
    done = client.post(f"/matching/resource-requests/{item.id}", data={"answer": "accept"})
    assert done.status_code == 303
    db.session.refresh(item)
    assert item.status is ResourceRequestStatus.accepted
    assert db.session.get(Resource, resource.id).remaining == 3


def test_a_resource_recorded_on_behalf_sends_the_admin_to_its_commit_page(app, client, auth):
    tree, admin, need = setup()
    clinic = offer(admin, tree, on_behalf=True, quantity=3, now=utcnow())
    auth.login(admin.phone)
    data = {"resource_id": clinic.id, "quantity": 1, "key": KEY}
    response = client.post(f"/matching/needs/{need.id}/request-resource", data=data)
    assert response.status_code == 303
    assert f"/resources/{clinic.id}/commit" in response.location
    assert db.session.scalar(select(ResourceRequest)) is None
    assert resource_requests.for_need(need.id) == []


def test_hostile_input_gives_no_500(app, client, auth):
    tree, admin, need = setup()
    auth.login(admin.phone)
    shift = need.shifts[0]
    bad = [
        {"volunteer": ["99999999999999999999"], "key": KEY},
        {"volunteer": ["1"], "message": "a\x00b", "key": KEY},
        {"volunteer": ["1"], "message": "x" * 5000, "key": KEY},
        {"volunteer": [], "key": "nope"},
    ]
    for data in bad:
        assert client.post(f"/matching/shifts/{shift.id}/invite", data=data).status_code == 303
    assert db.session.scalar(select(Invitation)) is None
    for data in ({"resource_id": "x", "quantity": "1e3", "key": KEY}, {"note": "\x00"}):
        response = client.post(f"/matching/needs/{need.id}/request-resource", data=data)
        assert response.status_code == 303
    assert client.get("/matching/invitations/99999999999999999999").status_code == 404
    assert client.get("/matching/resource-requests/1").status_code == 404


def test_my_tasks_counts_the_invitations_waiting(app, client, auth):
    tree, admin, need = setup()
    a = make_user(tree)
    auth.login(a.phone)
    assert "邀请等待您答复" not in text(client.get("/my/tasks"))
    invitations.invite(admin.id, need.shifts[0].id, [a.id], key="t", now=utcnow())
    page = text(client.get("/my/tasks"))
    assert "1个邀请等待您答复" in page and "/matching/invitations" in page


def test_the_providers_queue_count(app):
    from govhub.workbench import services as workbench

    tree, admin, need = setup()
    partner, staff = make_unit(tree)
    resource = offer(staff, tree, partner=partner, quantity=5)
    assert workbench.resource_requests_waiting(partner.id) == 0
    resource_requests.request(admin.id, need.id, resource.id, 1, key="q", now=utcnow())
    assert workbench.resource_requests_waiting(partner.id) == 1
