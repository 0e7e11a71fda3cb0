"""The scheduler: idempotent jobs, and one scheduler per deployment."""

import threading
import time
from datetime import timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from govhub import jobs, scheduler
from govhub.accounts import services as accounts
from govhub.checkin import services as checkin
from govhub.checkin.models import AttendanceStatus, Evidence, VoidReason
from govhub.database import ServiceError
from govhub.extensions import db
from govhub.jobs import Job
from govhub.needs import board, claims, posting
from govhub.needs.models import Need, NeedStatus
from govhub.notifications.models import Notification
from govhub.points import services as points
from tests.checkin.helpers import HOUR, START, scan_in, shift_world
from tests.factories import make_need
from tests.points.helpers import entry_count


def kinds(user_id):
    return [
        n.kind
        for n in db.session.scalars(select(Notification).where(Notification.user_id == user_id))
    ]


def test_reminders_are_sent_24_and_2_hours_before_once_each(app):
    w = shift_world()
    volunteer = w.volunteers[0]
    before = kinds(volunteer.id)
    assert jobs.send_reminders(now=START - 25 * HOUR) == 0
    assert jobs.send_reminders(now=START - 23 * HOUR) == 2  # both volunteers
    assert jobs.send_reminders(now=START - 23 * HOUR) == 0  # the same moment again: nothing
    assert jobs.send_reminders(now=START - 90 * timedelta(minutes=1)) == 2
    assert kinds(volunteer.id)[len(before) :] == ["reminder_24h", "reminder_2h"]


def test_end_of_shift_jobs_run_twice_change_nothing_the_second_time(app):
    w = shift_world()
    scan_in(w.volunteers[0], w.shift, START)
    end = START + 2 * HOUR
    assert jobs.end_shifts(now=end + HOUR) == 2  # one check-out, one need closed
    assert jobs.end_shifts(now=end + HOUR) == 0
    assert jobs.auto_confirm(now=end + timedelta(days=3)) == 1
    assert jobs.auto_confirm(now=end + timedelta(days=3)) == 0
    account = points.account(w.volunteers[0].id)
    assert (account.balance, account.total_minutes) == (20, 120)
    assert jobs.audit_ledger(now=end + timedelta(days=4)) == 0


def test_needs_whose_shifts_all_ended_close_through_the_needs_lifecycle(app, monkeypatch):
    w = shift_world()
    draft = make_need(w.tree, admin=w.admin, title="Not yet posted", publish=False)
    end = START + 2 * HOUR
    assert posting.close_ended_needs(now=end - HOUR) == 0  # a shift still running
    assert posting.close_ended_needs(now=end + HOUR) == 1
    assert db.session.get(Need, w.need.id).status is NeedStatus.closed
    assert db.session.get(Need, draft.id).status is NeedStatus.draft
    # The same rule as an organizer's close: a transition the lifecycle forbids is refused.
    other = make_need(w.tree, admin=w.admin, title="Another", shifts=((1, 2, 5),))
    forbidden = {**posting.TRANSITIONS, NeedStatus.open: set()}
    monkeypatch.setattr(posting, "TRANSITIONS", forbidden)
    with pytest.raises(ServiceError):
        posting.close_ended_needs(now=end + HOUR)
    assert db.session.get(Need, other.id).status is NeedStatus.open


def test_the_ledger_audit_records_a_mismatch(app):
    w = shift_world()
    points.adjust(w.admin.id, w.volunteers[0].id, 50, "活动奖励", key="t-1")
    db.session.execute(db.text("UPDATE points_account SET balance = balance + 7"))
    db.session.commit()
    assert jobs.audit_ledger(now=START) == 1
    run = points.LedgerAudit.query.order_by(points.LedgerAudit.id.desc()).first()
    assert run.mismatches[0]["balance"] == 57 and run.mismatches[0]["ledger"] == 50


def test_jobs_are_registered_to_survive_pauses():
    for name, job in jobs.JOBS.items():
        assert job.misfire_grace_time >= 600, name


def test_a_second_scheduler_on_the_same_database_runs_nothing(app):
    """Two scheduler processes (here: two runners with their own APScheduler threads) share
    one database; every run of the test job must come from one of them only."""
    runs: list[str] = []
    lock = threading.Lock()

    def record(*, now):
        with lock:
            runs.append(threading.current_thread().name)

    test_jobs = {"tick": Job(record, "interval", {"seconds": 0.2}, 60)}
    first = scheduler.Runner(
        app, holder="first", jobs=test_jobs, scheduler_class=BackgroundScheduler
    )
    second = scheduler.Runner(
        app, holder="second", jobs=test_jobs, scheduler_class=BackgroundScheduler
    )
    first.start()
    time.sleep(0.3)
    second.start()
    time.sleep(1.5)
    second.shutdown()
    first.shutdown()
    assert first.runs and not second.runs
    assert len(runs) == len(first.runs)


def test_the_lease_passes_on_when_its_holder_stops_renewing(app):
    now = START
    assert scheduler.acquire_lease("first", now=now)
    assert not scheduler.acquire_lease("second", now=now + timedelta(seconds=30))
    assert scheduler.acquire_lease("first", now=now + timedelta(seconds=60))  # renewed
    later = now + timedelta(seconds=60 + scheduler.LEASE_SECONDS + 1)
    assert scheduler.acquire_lease("second", now=later)
    assert not scheduler.acquire_lease("first", now=later)


def test_attendance_statuses_after_confirmation(app):
    w = shift_world()
    scan_in(w.volunteers[0], w.shift, START)
    jobs.auto_confirm(now=START + timedelta(days=4))
    from govhub.checkin.services import attendance_of

    assert attendance_of(w.shift.id, w.volunteers[0].id).status is AttendanceStatus.confirmed


# --- Cancelled and removed work earns nothing (issue 10) -----------------------------


def test_a_cancelled_need_earns_its_checked_in_volunteers_nothing(app):
    w = shift_world()
    present, _ = w.volunteers
    scan_in(present, w.shift, START)
    posting.cancel(w.admin.id, w.need.id, "暴雨预警，活动取消")
    end = START + 2 * HOUR
    assert jobs.end_shifts(now=end + HOUR) == 0  # nobody to check out, nothing to close
    assert jobs.auto_confirm(now=end + timedelta(days=3)) == 0
    account = points.account(present.id)
    assert (account.balance, account.total_minutes) == (0, 0)
    assert entry_count(present.id) == 0
    attendance = checkin.attendance_of(w.shift.id, present.id)  # kept, and marked why
    assert attendance.status is AttendanceStatus.void
    assert attendance.void_reason is VoidReason.need_cancelled
    assert (attendance.checked_in_at, attendance.note) == (START, "暴雨预警，活动取消")
    assert attendance.checked_out_at is None


def test_a_volunteer_removed_after_checking_in_earns_nothing(app):

    w = shift_world()
    removed, stays = w.volunteers
    scan_in(removed, w.shift, START)
    scan_in(stays, w.shift, START)
    claim = board.my_claims_for(removed.id, w.need)[w.shift.id]
    claims.remove_claimant(w.admin.id, claim.id, "扫码后离开", now=START + HOUR)
    end = START + 2 * HOUR
    assert jobs.end_shifts(now=end + HOUR) == 2  # the one who stays, and the need closed
    assert checkin.confirm_shift(w.admin.id, w.shift.id, {}, now=end + HOUR) == 1
    assert jobs.auto_confirm(now=end + timedelta(days=3)) == 0
    assert points.account(removed.id).balance == 0
    assert points.account(stays.id).balance == 20
    attendance = checkin.attendance_of(w.shift.id, removed.id)
    assert attendance.status is AttendanceStatus.void
    assert attendance.void_reason is VoidReason.removed
    with pytest.raises(checkin.CheckinRefused):  # no check-out after the removal either
        checkin.check_out(removed.id, w.shift.id, now=end, evidence=Evidence.code_scan)


def test_the_attendance_page_shows_why_void_attendance_earns_nothing(app, client, auth):

    w = shift_world()
    removed, stays = w.volunteers
    scan_in(removed, w.shift, START)
    claim = board.my_claims_for(removed.id, w.need)[w.shift.id]
    claims.remove_claimant(w.admin.id, claim.id, "扫码后离开", now=START + HOUR)
    accounts.set_preferences(w.admin.id, locale="en")
    auth.login(w.admin.phone)
    page = client.get(f"/manage/shifts/{w.shift.id}/attendance").get_data(as_text=True)
    row = page[page.index(f'id="volunteer-{removed.id}"') :]
    row = row[: row.index("</tr>")]
    assert "Earns nothing" in row and "Removed from the shift by the organizer" in row
    assert "扫码后离开" in row
    assert "Check out by hand" not in row and 'name="minutes-' not in row
