"""Requesting part of a resource for a need; the provider side accepts (committing the
quantity, once) or declines with a reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from govhub.database import ServiceError
from govhub.extensions import db
from govhub.matching import resource_requests
from govhub.matching.models import ResourceRequestStatus
from govhub.notifications.models import Notification
from govhub.resources import services as resources
from govhub.resources.models import Resource
from tests.factories import NOW, make_admin, make_need, make_tree, make_user
from tests.resources.helpers import make_unit, offer


@pytest.fixture
def w(app):
    tree = make_tree()
    admin = make_admin(tree)
    need = make_need(tree, admin=admin)
    partner, staff = make_unit(tree)
    resource = offer(staff, tree, partner=partner, quantity=5, unit_label="间")
    return tree, admin, need, staff, resource


def ask(admin, need, resource, quantity, key, note=""):
    return resource_requests.request(
        admin.id, need.id, resource.id, quantity, note, key=key, now=NOW
    )


def notes(user, kind):
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
        )
    )


def test_a_request_notifies_the_partners_staff_and_takes_nothing(w):
    tree, admin, need, staff, resource = w
    item = ask(admin, need, resource, 2, "k1", "For the party")
    assert item.status is ResourceRequestStatus.pending
    assert db.session.get(Resource, resource.id).remaining == 5
    (note,) = notes(staff, "resource_requested")
    assert note.params["points"] == "2间" and note.params["title"] == resource.title
    assert note.params["what"] == need.title
    # a double submit asks once
    assert ask(admin, need, resource, 2, "k1").id == item.id


def test_a_request_for_more_than_is_left_says_how_much_is_left(w):
    tree, admin, need, staff, resource = w
    with pytest.raises(ServiceError) as refused:
        ask(admin, need, resource, 6, "k2")
    assert "5" in refused.value.message and refused.value.field == "quantity"


def test_a_resource_recorded_on_behalf_cannot_be_requested(w):
    tree, admin, need, staff, resource = w
    clinic = offer(admin, tree, on_behalf=True, quantity=3)
    with pytest.raises(resource_requests.RecordedOnBehalf) as refused:
        ask(admin, need, clinic, 1, "k3")
    assert (refused.value.resource_id, refused.value.need_id) == (clinic.id, need.id)


def test_a_resource_of_another_street_cannot_be_requested(w):
    tree, admin, need, staff, resource = w
    far_partner, far_staff = make_unit(tree, community="community_c", name="Far Unit")
    far = offer(far_staff, tree, partner=far_partner, area_id=tree.community_c)
    with pytest.raises(ServiceError) as refused:
        ask(admin, need, far, 1, "k4")
    assert refused.value.field == "resource_id"


def test_accept_commits_once_and_tells_the_requester(w):
    tree, admin, need, staff, resource = w
    item = ask(admin, need, resource, 2, "k5")
    resource_requests.accept(staff.id, item.id, now=NOW)
    resource_requests.accept(staff.id, item.id, now=NOW)
    db.session.refresh(item)
    assert item.status is ResourceRequestStatus.accepted
    assert item.commitment.quantity == 2 and item.commitment.need_id == need.id
    assert db.session.get(Resource, resource.id).remaining == 3
    assert resources.committed_total(resource.id) == 2
    assert len(notes(admin, "resource_request_accepted")) == 1


def test_a_request_that_no_longer_fits_says_how_much_is_left(w):
    tree, admin, need, staff, resource = w
    first, second = ask(admin, need, resource, 4, "k6"), ask(admin, need, resource, 3, "k7")
    resource_requests.accept(staff.id, first.id, now=NOW)
    with pytest.raises(ServiceError) as refused:
        resource_requests.accept(staff.id, second.id, now=NOW)
    assert "1" in refused.value.message
    db.session.refresh(second)
    assert second.status is ResourceRequestStatus.pending


def test_decline_needs_a_reason_and_tells_the_requester(w):
    tree, admin, need, staff, resource = w
    item = ask(admin, need, resource, 1, "k8")
    with pytest.raises(ServiceError):
        resource_requests.decline(staff.id, item.id, " ", now=NOW)
    resource_requests.decline(staff.id, item.id, "Booked that day", now=NOW)
    (note,) = notes(admin, "resource_request_declined")
    assert note.params["reason"] == "Booked that day"
    with pytest.raises(ServiceError):
        resource_requests.accept(staff.id, item.id, now=NOW)


def test_withdraw_and_the_queues(w):
    tree, admin, need, staff, resource = w
    a, b = ask(admin, need, resource, 1, "k9"), ask(admin, need, resource, 1, "k10")
    resource_requests.withdraw(admin.id, a.id, now=NOW)
    assert resource_requests.waiting_count(staff) == 1
    assert [r.id for r in resource_requests.queue(staff)][0] == b.id
    assert {r.id for r in resource_requests.for_need(need.id)} == {a.id, b.id}
    assert resource_requests.queue(make_user(tree)) == []


def test_the_units_liaison_finds_the_request_in_the_queue_they_may_decide_from(w):
    from govhub import permissions
    from govhub.accounts.models import User
    from govhub.permissions import Action
    from tests.resources.helpers import make_liaison

    tree, admin, need, staff, resource = w
    liaison = make_liaison(tree, resource.partner, liaison=make_user(tree, name="Liaison"))
    item = ask(admin, need, resource, 2, "k-liaison")
    liaison = db.session.get(User, liaison.id)
    assert permissions.can(liaison, Action.DECIDE_RESOURCE_REQUEST, item)
    assert [r.id for r in resource_requests.queue(liaison)] == [item.id]
    assert resource_requests.waiting_count(liaison) == 1
    stranger = make_user(tree, name="Stranger")
    assert (
        resource_requests.queue(stranger) == [] and resource_requests.waiting_count(stranger) == 0
    )
