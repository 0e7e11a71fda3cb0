"""The balance under load: many debits race for one balance, some sent twice.

Each debit runs in its own thread with its own app context (its own session and
connection), on SQLite and PostgreSQL, through ``post_entry``.
"""

import pytest
from sqlalchemy import func, select

from govhub.database import utcnow
from govhub.extensions import db
from govhub.points import services as points
from govhub.points.models import EntryKind, LedgerEntry, PointsAccount
from tests.concurrency import run_at_once
from tests.factories import make_tree, make_user

DEBITS = 20
DISTINCT_KEYS = 15  # debits 15–19 resend the keys of debits 0–4
PRICE = 10
COVERED = 5


@pytest.mark.app_config(DATABASE_POOL_SIZE=40)
def test_racing_debits_never_overdraw_and_retries_write_once(app):
    volunteer_id = make_user(make_tree()).id
    points.post_entry(volunteer_id, PRICE * COVERED, EntryKind.earn, key="seed")

    def debit(n):
        def job():
            with app.app_context():
                try:
                    entry = points.post_entry(
                        volunteer_id,
                        -PRICE,
                        EntryKind.redeem,
                        key=f"redeem:{n % DISTINCT_KEYS}",
                        ref=("redemption", n % DISTINCT_KEYS),
                    )
                    return ("ok", entry.idempotency_key)
                except points.InsufficientPoints:
                    return ("refused", None)
                finally:
                    db.session.remove()

        return job

    results = run_at_once([debit(n) for n in range(DEBITS)])

    assert all(isinstance(r, tuple) for r in results), results
    written_keys = {key for outcome, key in results if outcome == "ok"}
    assert len(written_keys) == COVERED
    # A resent key answers like the first send: the same entry, or the same refusal.
    for n in range(DEBITS - DISTINCT_KEYS):
        assert results[n] == results[n + DISTINCT_KEYS]
    db.session.rollback()  # read what the threads committed
    debits = db.session.scalar(
        select(func.count()).where(
            LedgerEntry.volunteer_id == volunteer_id, LedgerEntry.kind == EntryKind.redeem
        )
    )
    assert debits == COVERED
    account = db.session.get(PointsAccount, volunteer_id)
    assert account.balance == 0 == points.ledger_sum(volunteer_id)
    assert points.audit_ledger(now=utcnow()).mismatches == []


@pytest.mark.app_config(DATABASE_POOL_SIZE=40)
def test_an_adjustment_sent_ten_times_at_once_writes_once(app):
    from govhub.audit.models import AuditEvent
    from tests.factories import make_admin

    tree = make_tree()
    admin = make_admin(tree)
    volunteer_id = make_user(tree).id
    clients = []
    for _ in range(10):
        client = app.test_client()
        client.post("/login", data={"phone": admin.phone, "password": "secret-pass-1"})
        clients.append(client)
    form = {"amount": "12", "reason": "Double-clicked", "key": "9" * 32}

    def submit(client):
        return lambda: client.post(f"/manage/volunteers/{volunteer_id}/adjust", data=form)

    statuses = [r.status_code for r in run_at_once([submit(c) for c in clients])]

    assert statuses == [303] * 10
    db.session.rollback()  # read what the threads committed
    assert db.session.get(PointsAccount, volunteer_id).balance == 12
    entries = db.session.scalar(
        select(func.count()).where(LedgerEntry.volunteer_id == volunteer_id)
    )
    events = db.session.scalar(select(func.count()).where(AuditEvent.action == "points.adjusted"))
    assert (entries, events) == (1, 1)


@pytest.mark.app_config(DATABASE_POOL_SIZE=40)
def test_a_record_issued_ten_times_at_once_is_issued_once(app):
    from govhub.points import records
    from govhub.points.models import ServiceRecord
    from tests.factories import make_admin
    from tests.points.helpers import serve

    tree = make_tree()
    admin = make_admin(tree)
    volunteer = make_user(tree)
    serve(tree, volunteer, admin)
    admin_id, volunteer_id = admin.id, volunteer.id

    def issue():
        with app.app_context():
            try:
                return records.issue_record(admin_id, volunteer_id, key="7" * 32, now=utcnow()).id
            finally:
                db.session.remove()

    ids = run_at_once([issue] * 10)

    assert len(set(ids)) == 1 and isinstance(ids[0], int), ids
    db.session.rollback()  # read what the threads committed
    assert db.session.scalar(select(func.count()).select_from(ServiceRecord)) == 1
