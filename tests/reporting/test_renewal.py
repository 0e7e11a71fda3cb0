"""Renewal reminders: once per report, REPORT_RENEWAL_NOTICE_DAYS before it lapses."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from govhub import jobs
from govhub.extensions import db
from govhub.notifications.models import Notification
from govhub.reporting import renewal, units
from govhub.reporting.models import MemberReport, ReportStatus, UnitReport
from tests.concurrency import run_at_once
from tests.factories import NOW, make_user
from tests.reporting.unit_helpers import report_world, submit

ENDS = date(2027, 11, 30)  # the term of a report confirmed at NOW (1 Dec 2026)


def local_morning(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 30)  # 09:30 in Shanghai, as scheduled


def reminded() -> list[tuple[int, str]]:
    db.session.rollback()
    rows = db.session.execute(
        select(Notification.user_id, Notification.kind)
        .where(Notification.kind.in_(["unit_report_renewal_due", "member_report_renewal_due"]))
        .order_by(Notification.user_id)
    )
    return [(user_id, kind) for user_id, kind in rows]


@pytest.fixture
def w(app):
    world = report_world(app)
    world.liaison = make_user(world.tree, name="刘联络")
    report = submit(world, liaison=world.liaison)
    units.confirm(world.admin_a.id, report.id, now=NOW)
    world.report = db.session.get(UnitReport, report.id)
    assert world.report.valid_until == ENDS
    return world


def member_report(w, valid_until: date, **fields) -> MemberReport:
    member = make_user(w.tree, name="党员")
    report = MemberReport(
        user_id=member.id,
        community_id=w.tree.community_a,
        status=ReportStatus.confirmed,
        submitted_at=NOW,
        decided_at=NOW,
        valid_until=valid_until,
        **fields,
    )
    db.session.add(report)
    db.session.commit()
    return report


def test_nothing_is_sent_before_the_notice_period(w):
    assert renewal.send_reminders(now=local_morning(ENDS - timedelta(days=31))) == 0
    assert reminded() == []


def test_the_liaison_and_staff_are_reminded_once_thirty_days_before(w):
    day = local_morning(ENDS - timedelta(days=30))
    assert renewal.send_reminders(now=day) == 3
    expected = sorted([w.owner.id, w.second.id, w.liaison.id])
    assert [user for user, _kind in reminded()] == expected
    assert db.session.get(UnitReport, w.report.id).reminded_at == day
    # Running again, the same day or any later day, sends nothing more.
    assert renewal.send_reminders(now=day) == 0
    assert renewal.send_reminders(now=day + timedelta(days=5)) == 0
    assert len(reminded()) == 3


def test_the_reminder_reads_as_a_sentence(w, client, auth):
    renewal.send_reminders(now=local_morning(ENDS - timedelta(days=10)))
    auth.login(w.liaison.phone)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "「District Tax Office」到「Alpha Community」的报到将于" in page
    assert "unit_report_renewal_due" not in page


def test_a_report_already_renewed_or_lapsed_is_not_reminded(w):
    opens = ENDS - timedelta(days=30)
    renewed = units.submit(
        w.owner.id,
        w.unit.id,
        units.ReportInput(w.tree.community_a, w.owner.phone, 12),
        now=local_morning(opens),
        renewal_of_id=w.report.id,
    )
    assert renewed.status is ReportStatus.pending
    assert renewal.send_reminders(now=local_morning(opens)) == 0
    # A lapsed report is not reminded either: it simply stopped counting.
    units.withdraw(w.owner.id, renewed.id, now=local_morning(opens))
    assert renewal.send_reminders(now=local_morning(ENDS + timedelta(days=1))) == 0
    assert reminded() == []


def test_a_member_is_reminded_of_their_own_report_once(w):
    due = member_report(w, ENDS)
    member_report(w, ENDS + timedelta(days=60))  # not yet
    member_report(w, ENDS, reminded_at=NOW)  # already reminded
    day = local_morning(ENDS - timedelta(days=29))
    assert renewal.send_reminders(now=day) == 3 + 1  # the unit report's three, the member
    assert (due.user_id, "member_report_renewal_due") in reminded()
    assert db.session.get(MemberReport, due.id).reminded_at == day
    assert renewal.send_reminders(now=day) == 0


def test_the_job_table_runs_the_reminders_and_twice_sends_nothing_twice(w):
    job = jobs.JOBS["remind_report_renewals"]
    assert job.options == {"hour": 1, "minute": 30} and job.trigger == "cron"
    day = local_morning(ENDS - timedelta(days=1))
    assert job.func(now=day) == 3
    assert job.func(now=day) == 0


@pytest.mark.app_config(DATABASE_POOL_SIZE=10)
def test_two_runs_at_the_same_moment_remind_once(app, w):
    day = local_morning(ENDS - timedelta(days=3))

    def run():
        with app.app_context():
            return renewal.send_reminders(now=day)

    assert sorted(run_at_once([run, run, run])) == [0, 0, 3]
    assert len(reminded()) == 3


def test_many_reports_are_reminded_a_batch_per_transaction(w, monkeypatch):
    """Found outside the write lock, reminded BATCH a transaction: three member reports
    in batches of two take two write transactions, and each member is reminded once."""
    from sqlalchemy import event

    members = [member_report(w, ENDS).user_id for _ in range(3)]
    monkeypatch.setattr(renewal, "BATCH", 2)
    writes = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("UPDATE MEMBER_REPORT", "BEGIN IMMEDIATE")):
            writes.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        sent = renewal.send_reminders(now=local_morning(ENDS - timedelta(days=30)))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # The world's unit report (its 3 people) and the 3 members, each report claimed once.
    assert sent == 6 and writes.count("UPDATE") == 3
    if db.engine.dialect.name == "sqlite":  # write transactions: the unit's, then 2 + 1
        assert writes.count("BEGIN") == 3
    kinds = [user for user, kind in reminded() if kind == "member_report_renewal_due"]
    assert sorted(kinds) == sorted(members)
