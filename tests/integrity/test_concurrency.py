"""Two reviewers decide the same item at the same moment, through the app: one decision
lands, the other is refused, and the points are reversed once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from govhub.accounts.models import Role
from govhub.database import utcnow
from govhub.extensions import db
from govhub.integrity import services as integrity
from govhub.integrity.models import ReviewItem, ReviewStatus
from govhub.points import services as points
from govhub.points.models import LedgerEntry
from tests.concurrency import run_at_once
from tests.factories import PASSWORD, make_admin, make_tree
from tests.integrity.helpers import by_hand, confirm, past_shift


def login(app, user):
    client = app.test_client()
    assert (
        client.post("/login", data={"phone": user.phone, "password": PASSWORD}).status_code == 303
    )
    return client


@pytest.mark.app_config(DATABASE_POOL_SIZE=20)
def test_two_reviewers_at_once_decide_an_item_once(app):
    tree = make_tree()
    admin = make_admin(tree, name="王书记")
    activity = past_shift(tree, admin, people=3)
    person = activity.people[0]
    by_hand(activity, person, admin)
    confirm(activity, make_admin(tree, name="李委员"))
    integrity.scan(now=utcnow())
    item_id = db.session.scalars(select(ReviewItem.id)).one()
    before = points.account(person.id).balance
    reviewers = [
        make_admin(tree, role=Role.oversight_admin, scope="street", name=f"街道{n}")
        for n in range(4)
    ]
    person_id = person.id
    clients = [login(app, reviewer) for reviewer in reviewers]
    db.session.remove()

    def decide(client):
        return lambda: client.post(
            f"/integrity/items/{item_id}/decide", data={"decision": "reject", "reason": "代刷"}
        )

    responses = run_at_once([decide(c) for c in clients])
    assert not [r for r in responses if isinstance(r, Exception)], responses
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303, 422, 422, 422], statuses
    db.session.expire_all()
    decided = db.session.get(ReviewItem, item_id)
    assert decided.status is ReviewStatus.rejected
    reversals = db.session.scalar(
        select(func.count()).where(
            LedgerEntry.ref_id == decided.attendance_id, LedgerEntry.amount < 0
        )
    )
    assert reversals == 1
    assert points.account(person_id).balance == before - 20 == points.ledger_sum(person_id)
