"""Invitations and resource requests under load, on SQLite and PostgreSQL: accepts at
once never put more people in a shift than it has places (the rest are offered the
waiting list), and never commit more of a resource than is left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from govhub.database import ServiceError
from govhub.extensions import db
from govhub.matching import invitations, resource_requests
from govhub.matching.models import (
    Invitation,
    InvitationStatus,
    ResourceRequest,
    ResourceRequestStatus,
)
from govhub.needs import claims
from govhub.needs.models import Claim, ClaimStatus, Shift
from govhub.resources import services as resources
from govhub.resources.models import Resource
from tests.concurrency import run_at_once
from tests.factories import NOW, make_admin, make_need, make_tree, make_user
from tests.resources.helpers import make_unit, offer

INVITEES = 12
PLACES = 4


def _job(app, fn):
    def job():
        with app.app_context():
            try:
                return fn()
            except ServiceError as refused:
                return refused
            finally:
                db.session.remove()

    return job


@pytest.mark.app_config(DATABASE_POOL_SIZE=INVITEES + 10)
def test_accepts_at_once_never_exceed_the_places_and_the_rest_are_offered_the_list(app):
    tree = make_tree()
    admin = make_admin(tree)
    need = make_need(tree, admin=admin, shifts=((1, 2, PLACES),))
    shift_id = need.shifts[0].id
    people = [make_user(tree, name=f"V{n}") for n in range(INVITEES)]
    invitations.invite(admin.id, shift_id, [p.id for p in people], key="burst", now=NOW)
    pairs = [
        (inv.volunteer_id, inv.id)
        for inv in db.session.scalars(select(Invitation).where(Invitation.shift_id == shift_id))
    ]

    results = run_at_once(
        [_job(app, lambda v=v, i=i: invitations.accept(v, i, now=NOW).id) for v, i in pairs]
    )
    db.session.rollback()
    accepted = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(accepted) == PLACES and len(refused) == INVITEES - PLACES
    assert all(isinstance(r, claims.ClaimRefused) and r.can_waitlist for r in refused)
    confirmed = db.session.scalar(
        select(func.count())
        .select_from(Claim)
        .where(Claim.shift_id == shift_id, Claim.status == ClaimStatus.confirmed)
    )
    assert confirmed == PLACES
    shift = db.session.get(Shift, shift_id)
    assert shift.capacity == PLACES
    statuses = [
        inv.status
        for inv in db.session.scalars(select(Invitation).where(Invitation.shift_id == shift_id))
    ]
    assert statuses.count(InvitationStatus.accepted) == PLACES
    assert statuses.count(InvitationStatus.pending) == INVITEES - PLACES


def test_overlap_and_start_refusals_leave_the_invitation_pending(app):
    tree = make_tree()
    admin = make_admin(tree)
    need = make_need(tree, admin=admin, shifts=((1, 2, 5), (1, 3, 5)))
    a = make_user(tree)
    claims.claim_shift(a.id, need.shifts[0].id, now=NOW)
    invitations.invite(admin.id, need.shifts[1].id, [a.id], key="ov", now=NOW)
    inv = db.session.scalar(select(Invitation).where(Invitation.volunteer_id == a.id))
    with pytest.raises(claims.ClaimRefused):
        invitations.accept(a.id, inv.id, now=NOW)
    with pytest.raises(ServiceError):
        invitations.accept(a.id, inv.id, now=need.shifts[1].starts_at + timedelta(seconds=1))
    db.session.rollback()
    assert db.session.get(Invitation, inv.id).status is InvitationStatus.pending


REQUESTS = 10
LEFT = 7


@pytest.mark.app_config(DATABASE_POOL_SIZE=REQUESTS + 10)
def test_accepting_requests_at_once_never_over_commits(app):
    tree = make_tree()
    admin = make_admin(tree)
    need = make_need(tree, admin=admin)
    partner, staff = make_unit(tree)
    resource = offer(staff, tree, partner=partner, quantity=LEFT)
    ids = [
        resource_requests.request(
            admin.id, need.id, resource.id, 1 + n % 2, key=f"req-{n}", now=NOW
        ).id
        for n in range(REQUESTS)
    ]  # asks for 15 in all, 7 are left
    staff_id, resource_id = staff.id, resource.id
    jobs = [_job(app, lambda i=i: resource_requests.accept(staff_id, i, now=NOW).id) for i in ids]
    jobs += [
        _job(app, lambda i=i: resource_requests.accept(staff_id, i, now=NOW).id) for i in ids[:3]
    ]
    results = run_at_once(jobs)
    db.session.rollback()
    assert all(isinstance(r, (int, ServiceError)) for r in results), results
    left = db.session.get(Resource, resource_id)
    assert left.remaining >= 0
    total = resources.committed_total(resource_id)
    assert total == LEFT - left.remaining
    accepted = db.session.scalars(
        select(ResourceRequest).where(ResourceRequest.status == ResourceRequestStatus.accepted)
    ).all()
    assert sum(r.quantity for r in accepted) == total
    assert len({r.commitment_id for r in accepted}) == len(accepted)
    assert total >= LEFT - 1  # nothing was refused while it still fitted
