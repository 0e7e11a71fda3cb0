"""The resources list under load, on SQLite and PostgreSQL: many commitments at once can
never take a resource below zero, and the active commitments always add up to what was
taken (quantity − remaining).

Commits go through the whole stack (logged-in test clients, each in its own thread, all
released at one moment) and through the service (each thread in its own app context:
its own session and connection), mixed with releases. Results are read after
``db.session.rollback()``, so the test sees what the threads committed.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from govhub.database import ServiceError, utcnow
from govhub.extensions import db
from govhub.resources import services
from govhub.resources.models import CommitmentStatus, Resource, ResourceCommitment, ResourceStatus
from tests.concurrency import run_at_once
from tests.factories import PASSWORD, make_tree
from tests.resources.helpers import commit, make_liaison, make_unit, offer


def login(app, user):
    client = app.test_client()
    response = client.post("/login", data={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 303
    return client


def assert_consistent(resource_id: int) -> Resource:
    """Never below zero, and the active commitments equal quantity − remaining."""
    db.session.rollback()  # read what the threads committed
    resource = db.session.get(Resource, resource_id)
    assert 0 <= resource.remaining <= resource.quantity
    assert services.committed_total(resource_id) == resource.quantity - resource.remaining
    expected = (
        ResourceStatus.exhausted
        if resource.remaining == 0
        else ResourceStatus.offered
        if resource.remaining == resource.quantity
        else ResourceStatus.committed
    )
    assert resource.status is expected
    return resource


def active_commitments(resource_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(ResourceCommitment)
        .where(
            ResourceCommitment.resource_id == resource_id,
            ResourceCommitment.status == CommitmentStatus.active,
        )
    )


CLIENTS = 40
QUANTITY = 25


@pytest.mark.app_config(DATABASE_POOL_SIZE=CLIENTS + 20)
def test_forty_clients_committing_at_once_never_take_a_resource_below_zero(app):
    tree = make_tree()
    partner, staff = make_unit(tree)
    liaison = make_liaison(tree, partner)
    resource = offer(staff, tree, partner=partner, quantity=QUANTITY)
    # The unit's staff and its liaison, each on many phones at once, asking for 1, 2 or 3.
    clients = [login(app, staff if n % 2 else liaison) for n in range(CLIENTS)]
    asks = [1 + n % 3 for n in range(CLIENTS)]
    url = f"/resources/{resource.id}/commit"

    def post(client, quantity):
        data = {"quantity": str(quantity), "purpose": "Flood relief", "key": uuid.uuid4().hex}
        return lambda: client.post(url, data=data)

    responses = run_at_once([post(c, q) for c, q in zip(clients, asks, strict=True)])

    assert not [r for r in responses if isinstance(r, Exception)], responses
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {303, 422}, statuses
    granted = sum(q for q, r in zip(asks, responses, strict=True) if r.status_code == 303)
    resource = assert_consistent(resource.id)
    assert granted == QUANTITY - resource.remaining
    assert active_commitments(resource.id) == statuses.count(303)
    # Everything was asked for (40 clients × 2 on average > 25): at most 2 can be left
    # (the smallest refused ask was bigger than what was left when it ran).
    assert resource.remaining < 3


@pytest.mark.app_config(DATABASE_POOL_SIZE=40)
def test_one_double_tapped_commit_from_many_connections_commits_once(app):
    tree = make_tree()
    partner, staff = make_unit(tree)
    resource = offer(staff, tree, partner=partner, quantity=10)
    clients = [login(app, staff) for _ in range(10)]
    key = uuid.uuid4().hex
    url = f"/resources/{resource.id}/commit"
    data = {"quantity": "2", "purpose": "Flood relief", "key": key}

    responses = run_at_once([lambda c=c: c.post(url, data=data) for c in clients])

    assert [r.status_code for r in responses] == [303] * 10
    resource = assert_consistent(resource.id)
    assert resource.remaining == 8 and active_commitments(resource.id) == 1


@pytest.mark.app_config(DATABASE_POOL_SIZE=60)
def test_commits_and_releases_racing_through_the_service_keep_the_sum(app):
    tree = make_tree()
    partner, staff = make_unit(tree)
    resource = offer(staff, tree, partner=partner, quantity=20)
    earlier = [commit(staff, resource, 2) for _ in range(5)]  # 10 taken, 10 left
    staff_id, resource_id = staff.id, resource.id
    release_ids = [c.id for c in earlier]

    def committing(n):
        def job():
            with app.app_context():
                try:
                    return services.commit(
                        staff_id, resource_id, 3, purpose=f"job {n}", key=f"race-{n}", now=utcnow()
                    ).quantity
                except ServiceError as refused:
                    return refused
                finally:
                    db.session.remove()

        return job

    def releasing(commitment_id):
        def job():
            with app.app_context():
                try:
                    return services.release(staff_id, commitment_id, "Not needed", now=utcnow())
                except ServiceError as refused:
                    return refused
                finally:
                    db.session.remove()

        return job

    # Each earlier commitment is released twice at once: only one release may count.
    jobs = [committing(n) for n in range(20)]
    jobs += [releasing(i) for i in release_ids] + [releasing(i) for i in release_ids]
    results = run_at_once(jobs)

    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, ServiceError)
    ]
    assert not unexpected, unexpected
    released_twice = [r for r in results[20:] if isinstance(r, ServiceError)]
    assert len(released_twice) == len(release_ids)
    resource = assert_consistent(resource_id)
    committed_now = sum(r for r in results[:20] if isinstance(r, int))
    assert resource.quantity - resource.remaining == committed_now
    assert committed_now <= 20 and committed_now % 3 == 0
