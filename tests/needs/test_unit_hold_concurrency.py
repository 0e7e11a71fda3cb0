"""一键认领 under load, on SQLite and PostgreSQL: real logged-in clients, each in its own
thread, all released at one moment (``tests/concurrency.py``). Results are read after
``db.session.rollback()``, so the test sees what the threads committed.

Whatever the interleaving: ``Shift.claimed`` never exceeds capacity, a hold's ``used``
never exceeds its ``places``, and ``Shift.claimed`` = public confirmed claims + the holds'
places (``assert_counters_agree``).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from govhub.audit.models import AuditEvent
from govhub.extensions import db
from govhub.needs import claims as needs_claims
from govhub.needs import unit_holds
from govhub.needs.models import Claim, ClaimStatus
from tests.concurrency import run_at_once
from tests.factories import make_tree, make_user
from tests.needs.unit_hold_helpers import (
    assert_counters_agree,
    logged_in,
    make_unit,
    report_unit,
    shift_and_hold,
    unit_world,
)


def no_errors(responses) -> list[int]:
    assert not [r for r in responses if isinstance(r, Exception)], responses
    return [r.status_code for r in responses]


def hold_post(client, shift_id: int, partner_id: int, places: int):
    prefix = f"hold-{shift_id}"
    data = {f"{prefix}-partner_id": str(partner_id), f"{prefix}-places": str(places)}
    url = f"/unit-holds/shifts/{shift_id}/hold"
    return lambda: client.post(url, data=data)


def post(client, url: str):
    return lambda: client.post(url)


@pytest.mark.app_config(DATABASE_POOL_SIZE=40)
def test_units_holding_while_volunteers_claim_the_last_places_never_exceed_capacity(app):
    w = unit_world(make_tree(), members=0, capacity=10)
    for n in range(6):
        needs_claims.claim_shift(make_user(w.tree, name=f"Early {n}").id, w.shift.id, now=w.now)
    second, second_staff = make_unit(w.tree, name="Water Bureau")
    report_unit(second, w.tree.community_a, second_staff)
    volunteers = [logged_in(app, make_user(w.tree, name=f"V{n}")) for n in range(8)]
    jobs = [post(c, f"/shifts/{w.shift.id}/claim") for c in volunteers]
    jobs.append(hold_post(logged_in(app, w.liaison), w.shift.id, w.unit.id, 3))
    jobs.append(hold_post(logged_in(app, second_staff), w.shift.id, second.id, 2))

    statuses = no_errors(run_at_once(jobs))

    assert set(statuses) <= {303, 422}, statuses
    db.session.rollback()
    shift, first_hold = shift_and_hold(w.shift.id, w.unit.id)
    second_hold = shift_and_hold(w.shift.id, second.id)[1]
    held = sum(h.places for h in (first_hold, second_hold) if h is not None)
    public = statuses[:8].count(303)
    assert shift.claimed == 6 + public + held <= 10
    assert statuses.count(303) == public + (first_hold.places > 0 if first_hold else 0) + (
        second_hold.places > 0 if second_hold else 0
    )
    assert shift.claimed == 10  # four places were left: someone took each of them
    assert_counters_agree(w.shift.id)


@pytest.mark.app_config(DATABASE_POOL_SIZE=40)
def test_many_members_taking_held_places_at_once_never_exceed_the_places(app):
    w = unit_world(make_tree(), members=20, capacity=30)
    held = unit_holds.hold_places(w.liaison.id, w.shift.id, w.unit.id, 5, now=w.now)
    clients = [logged_in(app, member) for member in w.members]
    url = f"/unit-holds/{held.id}/claim"

    statuses = no_errors(run_at_once([post(c, url) for c in clients]))

    assert statuses.count(303) == 5 and statuses.count(422) == 15, statuses
    db.session.rollback()
    shift, stored = shift_and_hold(w.shift.id, w.unit.id)
    assert (shift.claimed, stored.places, stored.used) == (5, 5, 5)
    takers = db.session.scalars(
        select(Claim.volunteer_id).where(Claim.unit_hold_id == held.id)
    ).all()
    assert len(set(takers)) == 5
    assert_counters_agree(w.shift.id)


@pytest.mark.app_config(DATABASE_POOL_SIZE=40)
def test_one_member_tapping_five_times_at_once_takes_one_place(app):
    w = unit_world(make_tree(), members=1)
    held = unit_holds.hold_places(w.liaison.id, w.shift.id, w.unit.id, 3, now=w.now)
    clients = [logged_in(app, w.members[0]) for _ in range(5)]

    statuses = no_errors(run_at_once([post(c, f"/unit-holds/{held.id}/claim") for c in clients]))

    assert statuses.count(303) == 1 and statuses.count(422) == 4, statuses
    db.session.rollback()
    assert shift_and_hold(w.shift.id, w.unit.id)[1].used == 1
    assert_counters_agree(w.shift.id)


@pytest.mark.app_config(DATABASE_POOL_SIZE=40)
def test_the_same_hold_sent_five_times_at_once_holds_once(app):
    w = unit_world(make_tree(), members=1)
    clients = [logged_in(app, w.liaison) for _ in range(5)]

    statuses = no_errors(run_at_once([hold_post(c, w.shift.id, w.unit.id, 3) for c in clients]))

    assert statuses == [303] * 5
    db.session.rollback()
    shift, stored = shift_and_hold(w.shift.id, w.unit.id)
    assert (shift.claimed, stored.places) == (3, 3)
    events = db.session.scalar(select(func.count()).where(AuditEvent.action == "unit_hold.placed"))
    assert events == 1
    assert_counters_agree(w.shift.id)


@pytest.mark.app_config(DATABASE_POOL_SIZE=60)
def test_cancels_and_claims_racing_keep_the_counters_in_step(app):
    w = unit_world(make_tree(), members=8, capacity=10)
    held = unit_holds.hold_places(w.liaison.id, w.shift.id, w.unit.id, 4, now=w.now)
    leaving = w.members[:4]
    taken = [unit_holds.claim_held_place(m.id, held.id, now=w.now) for m in leaving]
    public_leaving = [make_user(w.tree, name=f"Public {n}") for n in range(3)]
    public_claims = [needs_claims.claim_shift(p.id, w.shift.id, now=w.now) for p in public_leaving]
    jobs = [
        post(logged_in(app, m), f"/claims/{c.id}/cancel")
        for m, c in zip(leaving, taken, strict=True)
    ]
    jobs += [
        post(logged_in(app, p), f"/claims/{c.id}/cancel")
        for p, c in zip(public_leaving, public_claims, strict=True)
    ]
    jobs += [post(logged_in(app, m), f"/unit-holds/{held.id}/claim") for m in w.members[4:]]
    jobs += [
        post(logged_in(app, make_user(w.tree, name=f"New {n}")), f"/shifts/{w.shift.id}/claim")
        for n in range(6)
    ]
    jobs.append(post(logged_in(app, w.liaison), f"/unit-holds/{held.id}/release"))

    statuses = no_errors(run_at_once(jobs))

    assert set(statuses) <= {200, 303, 422}, statuses
    assert statuses[:7] == [303] * 7  # every cancel went through
    db.session.rollback()
    shift, stored = shift_and_hold(w.shift.id, w.unit.id)
    assert stored.used <= stored.places
    assert shift.claimed <= shift.capacity
    confirmed = db.session.scalar(
        select(func.count()).where(
            Claim.shift_id == w.shift.id, Claim.status == ClaimStatus.confirmed
        )
    )
    assert confirmed == shift.claimed - (stored.places - stored.used)
    assert_counters_agree(w.shift.id)
