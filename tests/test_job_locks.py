"""The big read jobs leave SQLite's write lock free while they read, so check-ins and
redemptions are not kept waiting behind a scan of the whole ledger."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

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


@contextmanager
def watching(write_lock, reads: str | None = None):
    """While inside: ``reading``, whether another connection could have written at each
    statement that starts with ``reads``; ``transactions``, each write transaction begun
    (``BEGIN IMMEDIATE``)."""
    reading: list[bool] = []
    transactions: list[str] = []

    def probe(_conn, _cursor, statement, *_args):
        text = " ".join(statement.split()).upper()
        if reads and text.startswith(reads):
            reading.append(write_lock())
        if text.startswith("BEGIN IMMEDIATE"):
            transactions.append(statement)

    event.listen(db.engine, "before_cursor_execute", probe)
    try:
        yield reading, transactions
    finally:
        event.remove(db.engine, "before_cursor_execute", probe)


def test_a_waiting_writer_gets_in_between_batches(app, write_lock):
    """Batches written back to back would keep a writer that waits for the lock out until
    the whole job ends: SQLite's busy handler sleeps between its tries, and each try would
    find the next batch holding the lock. ``in_batches`` leaves the lock free between
    batches, so the writer gets in after the batch it arrived in."""
    import threading
    import time

    from sqlalchemy import text

    from govhub.database import in_batches, transactional

    order: list[str] = []
    arrived = threading.Event()

    @transactional
    def slow(batch):
        db.session.execute(text("UPDATE org_unit SET name = name WHERE id = -1"))
        arrived.set()  # the lock is held: the writer arrives now
        time.sleep(0.06)
        order.append(f"batch {batch[0]}")
        return len(batch)

    path = db.engine.url.database

    def writer():
        other = sqlite3.connect(path, timeout=10, isolation_level=None)
        try:
            arrived.wait(10)
            other.execute("BEGIN IMMEDIATE")
            order.append("writer")
            other.execute("ROLLBACK")
        finally:
            other.close()

    make_tree()
    thread = threading.Thread(target=writer)
    thread.start()
    assert in_batches(list(range(6)), 1, slow) == 6
    thread.join(10)
    assert order.index("writer") <= 2, order  # not after all six batches
    assert [step for step in order if step != "writer"] == [f"batch {n}" for n in range(6)]


def test_expired_vouchers_are_read_without_the_write_lock_and_refunded_in_batches(
    app, write_lock, monkeypatch
):
    from datetime import timedelta

    from govhub.rewards import vouchers
    from tests.rewards.helpers import make_reward, make_shop, redeem

    tree = make_tree()
    partner, owner = make_shop(tree)
    reward = make_reward(partner, owner, price=10, stock=10)
    volunteer = make_user(tree)
    points.post_entry(volunteer.id, 100, EntryKind.adjust, key="start", reason="test")
    now = utcnow()
    for _ in range(5):
        redeem(volunteer, reward, now=now)
    monkeypatch.setattr(vouchers, "EXPIRY_BATCH", 2)
    later = now + timedelta(days=365)
    with watching(write_lock, "SELECT REDEMPTION.ID FROM") as (reading, transactions):
        assert vouchers.expire_vouchers(now=later) == 5
        first = len(transactions)
        assert vouchers.expire_vouchers(now=later) == 0
    assert reading and all(reading)
    assert first == 3  # 5 vouchers, 2 a transaction
    assert len(transactions) == first  # nothing left to refund
    db.session.expire_all()
    assert points.account(volunteer.id).balance == 100 == points.ledger_sum(volunteer.id)


def test_auto_confirmation_is_read_without_the_write_lock_and_written_in_batches(
    app, write_lock, monkeypatch
):
    from datetime import timedelta

    from govhub.checkin import services as checkin
    from govhub.checkin.models import AttendanceStatus
    from tests.checkin.helpers import START, scan_in, shift_world

    world = shift_world(volunteers=3)
    for person in world.volunteers:
        scan_in(person, world.shift, START)
    monkeypatch.setattr(checkin, "AUTO_CONFIRM_BATCH", 2)
    later = world.shift.ends_at + timedelta(days=3)
    with watching(write_lock, "SELECT ATTENDANCE.ID FROM") as (reading, transactions):
        assert checkin.auto_confirm(now=later) == 3
        first = len(transactions)
        assert checkin.auto_confirm(now=later) == 0
    assert reading and all(reading)
    assert first == 2  # 3 attendances, 2 a transaction
    assert len(transactions) == first
    db.session.expire_all()
    for person in world.volunteers:
        attendance = checkin.attendance_of(world.shift.id, person.id)
        assert attendance.status is AttendanceStatus.confirmed
        assert points.account(person.id).balance == points.ledger_sum(person.id) > 0


def test_the_integrity_scan_queues_in_batches(app, write_lock, monkeypatch):
    from tests.factories import make_admin
    from tests.integrity.helpers import by_hand, past_shift

    tree = make_tree()
    admin = make_admin(tree)
    activity = past_shift(tree, admin, people=5)
    for person in activity.people:
        by_hand(activity, person, admin)
    monkeypatch.setattr(integrity, "QUEUE_BATCH", 2)
    with watching(write_lock) as (_reading, transactions):
        added = integrity.scan(now=utcnow())
        first = len(transactions)
        assert integrity.scan(now=utcnow()) == 0
    from sqlalchemy import func, select

    from govhub.integrity.models import ReviewItem

    assert added == 5 == db.session.scalar(select(func.count()).select_from(ReviewItem))
    assert first == 3  # 5 items, 2 a transaction
