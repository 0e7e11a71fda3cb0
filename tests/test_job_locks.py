"""The big read jobs leave SQLite's write lock free while they read, so check-ins and
redemptions are not kept waiting behind a scan of the whole ledger."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event

from govhub.database import utcnow
from govhub.extensions import db
from govhub.integrity import services as integrity
from govhub.integrity import signals
from govhub.points import services as points
from govhub.points.models import EntryKind
from tests.factories import make_tree, make_user


@pytest.fixture
def write_lock(app, backend):
    """``write_lock()``: whether another connection could start writing right now."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    path = db.engine.url.database

    def free() -> bool:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:  # database is locked
            return False
        finally:
            other.close()

    return free


def test_the_ledger_audit_reads_the_ledger_without_the_write_lock(app, write_lock):
    volunteer = make_user(make_tree()).id
    points.post_entry(volunteer, 10, EntryKind.earn, key="one")
    while_reading = []

    def probe(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT") and "ledger_entry" in statement:
            while_reading.append(write_lock())

    event.listen(db.engine, "before_cursor_execute", probe)
    try:
        run = points.audit_ledger(now=utcnow())
    finally:
        event.remove(db.engine, "before_cursor_execute", probe)
    assert run.accounts_checked == 1 and run.mismatches == []
    assert while_reading and all(while_reading)  # another writer could have written
    assert write_lock()


def test_the_integrity_scan_detects_without_the_write_lock(app, write_lock, monkeypatch):
    detect = signals.detect
    after_detecting = []

    def detect_then_probe(*, now):
        found = detect(now=now)
        after_detecting.append(write_lock())
        return found

    monkeypatch.setattr(signals, "detect", detect_then_probe)
    integrity.scan(now=utcnow())
    assert after_detecting == [True]


def test_the_statistics_are_counted_without_the_write_lock(app, write_lock):
    """The planner statistics' exact counts are read outside the write transaction; only
    the sampled ANALYZE and the writing of the counts hold the lock."""
    from govhub import jobs

    make_user(make_tree())
    traced = []  # whether another connection could write, at each count

    def trace(statement):
        if statement.upper().startswith("SELECT COUNT"):
            traced.append(write_lock())

    @event.listens_for(db.engine, "connect")
    def _trace(dbapi_connection, _record):
        dbapi_connection.set_trace_callback(trace)

    db.engine.dispose()  # new connections, traced
    try:
        assert jobs.refresh_statistics(now=utcnow()) == 1
    finally:
        event.remove(db.engine, "connect", _trace)
        db.engine.dispose()
    assert traced and all(traced)
    assert write_lock()


def test_reminders_are_read_without_the_write_lock_and_written_in_batches(
    app, write_lock, monkeypatch
):
    """What is due is read with the write lock free, and only what was not sent yet is
    written, a batch per transaction: a second run writes nothing and takes no lock."""
    from datetime import timedelta

    from govhub import jobs
    from govhub.needs import claims
    from tests.factories import make_admin, make_need

    tree = make_tree()
    admin = make_admin(tree)
    now = utcnow()
    need = make_need(tree, admin=admin, shifts=((1 / 2, 2, 10),), now=now)  # in 12 hours
    for _ in range(5):
        claims.claim_shift(make_user(tree).id, need.shifts[0].id, now=now)
    monkeypatch.setattr(jobs, "REMINDER_BATCH", 2)
    reading, transactions = [], []

    def probe(_conn, _cursor, statement, *_args):
        text = statement.lstrip().upper()
        if text.startswith("SELECT") and "FROM CLAIM" in text:
            reading.append(write_lock())
        if text.startswith("BEGIN IMMEDIATE"):
            transactions.append(statement)

    event.listen(db.engine, "before_cursor_execute", probe)
    try:
        assert jobs.send_reminders(now=now + timedelta(minutes=1)) == 5
        first = len(transactions)
        assert jobs.send_reminders(now=now + timedelta(minutes=2)) == 0
    finally:
        event.remove(db.engine, "before_cursor_execute", probe)
    assert reading and all(reading)
    assert first == 3  # 5 reminders, 2 a transaction
    assert len(transactions) == first  # the second run found nothing to write
