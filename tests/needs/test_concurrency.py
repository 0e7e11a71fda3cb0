"""Capacity under load: many clients claim the same shift at the same moment.

Each client is a logged-in browser session (a Flask test client) in its own thread,
going through the whole stack — view, service, database — on SQLite and PostgreSQL.
"""

import pytest
from sqlalchemy import func, select

from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs.models import Claim, ClaimStatus, Shift
from tests.concurrency import run_at_once
from tests.factories import make_need, make_tree, make_user

CLIENTS = 50
CAPACITY = 10


@pytest.mark.app_config(DATABASE_POOL_SIZE=60)
def test_fifty_clients_claim_a_ten_place_shift(app):
    tree = make_tree()
    need = make_need(tree, now=utcnow(), shifts=((1, 2, CAPACITY),))
    shift_id = need.shifts[0].id
    clients = []
    for n in range(CLIENTS):
        volunteer = make_user(tree, name=f"V{n}")
        client = app.test_client()
        assert (
            client.post(
                "/login", data={"phone": volunteer.phone, "password": "secret-pass-1"}
            ).status_code
            == 303
        )
        clients.append(client)

    def claim(client):
        return lambda: client.post(f"/shifts/{shift_id}/claim").status_code

    statuses = run_at_once([claim(c) for c in clients])

    assert statuses.count(303) == CAPACITY
    assert statuses.count(422) == CLIENTS - CAPACITY  # "full: join the waiting list"
    db.session.rollback()
    assert db.session.get(Shift, shift_id).claimed == CAPACITY
    confirmed = db.session.scalar(
        select(func.count()).where(
            Claim.shift_id == shift_id, Claim.status == ClaimStatus.confirmed
        )
    )
    assert confirmed == CAPACITY


@pytest.mark.app_config(DATABASE_POOL_SIZE=60)
def test_racing_claims_and_double_clicks_never_exceed_capacity_or_duplicate(app):
    """40 volunteers ask for a place or the waiting list; 10 of them click twice."""
    tree = make_tree()
    need = make_need(tree, now=utcnow(), shifts=((1, 2, CAPACITY),))
    shift_id = need.shifts[0].id
    sessions = []
    for n in range(40):
        volunteer = make_user(tree, name=f"V{n}")
        client = app.test_client()
        client.post("/login", data={"phone": volunteer.phone, "password": "secret-pass-1"})
        sessions.append(client)
    requests = sessions + sessions[:10]

    def claim(client):
        return lambda: client.post(f"/shifts/{shift_id}/claim", data={"waitlist": "1"}).status_code

    statuses = run_at_once([claim(c) for c in requests])

    assert set(statuses) <= {303, 422}
    db.session.rollback()
    rows = db.session.execute(
        select(Claim.volunteer_id, Claim.status).where(Claim.shift_id == shift_id)
    ).all()
    assert len(rows) == 40  # one row per volunteer: no duplicates
    assert len({volunteer for volunteer, _ in rows}) == 40
    assert sum(status is ClaimStatus.confirmed for _, status in rows) == CAPACITY
    assert sum(status is ClaimStatus.waitlisted for _, status in rows) == 40 - CAPACITY
    assert db.session.get(Shift, shift_id).claimed == CAPACITY
