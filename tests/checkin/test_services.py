from datetime import timedelta

import pytest
from sqlalchemy import func, select

from govhub.audit.models import AuditEvent
from govhub.checkin import services
from govhub.checkin.models import Attendance, AttendanceStatus, Evidence
from govhub.database import ServiceError
from govhub.extensions import db
from govhub.needs import posting
from govhub.needs.models import PointsMode, Shift
from govhub.orgs import settings as org_settings
from govhub.points import services as points
from govhub.points.models import LedgerEntry
from tests.checkin.helpers import HOUR, MINUTE, START, scan_in, scan_out, shift_world
from tests.factories import make_user

END = START + 2 * HOUR


def ledger(volunteer_id):
    return db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.volunteer_id == volunteer_id)
    ).all()


def test_check_in_inside_the_window_is_recorded_once(app):
    w = shift_world()
    first = scan_in(w.volunteers[0], w.shift, START - 10 * MINUTE)
    again = scan_in(w.volunteers[0], w.shift, START - 5 * MINUTE)
    assert not first.already and again.already
    assert again.attendance.checked_in_at == START - 10 * MINUTE  # "already checked in at …"
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 1
    assert first.attendance.check_in_evidence is Evidence.code_scan


@pytest.mark.parametrize("when", [START - 31 * MINUTE, END + MINUTE])
def test_check_in_outside_the_window_is_refused(app, when):
    w = shift_world()
    with pytest.raises(services.CheckinRefused):
        scan_in(w.volunteers[0], w.shift, when)
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0


def test_the_window_opening_is_a_community_setting(app):
    w = shift_world()
    org_settings.save_settings(
        w.admin.id, w.tree.community_a, points_per_hour=10, cancel_cutoff_minutes=120, percents={}
    )
    settings = org_settings.community_settings(w.tree.community_a)
    settings.checkin_opens_minutes = 60
    db.session.commit()
    assert not scan_in(w.volunteers[0], w.shift, START - 50 * MINUTE).already


def test_a_volunteer_who_did_not_claim_is_refused(app):
    w = shift_world()
    stranger = make_user(w.tree)
    with pytest.raises(services.CheckinRefused):
        scan_in(stranger, w.shift, START)


def test_walk_ins_claim_and_check_in_in_one_step(app):
    w = shift_world(capacity=3, volunteers=2, walk_ins=True)
    walker = make_user(w.tree)
    result = scan_in(walker, w.shift, START + 10 * MINUTE)
    assert not result.already
    assert db.session.get(Shift, w.shift.id).claimed == 3
    late = make_user(w.tree)
    with pytest.raises(services.CheckinRefused):  # no places left
        scan_in(late, w.shift, START + 20 * MINUTE)


def test_a_cancelled_need_takes_no_check_ins(app):
    w = shift_world()
    posting.cancel(w.admin.id, w.need.id, "暴雨")
    with pytest.raises(services.CheckinRefused):
        scan_in(w.volunteers[0], w.shift, START)


@pytest.mark.parametrize(
    ("check_in", "check_out", "minutes"),
    [
        (START, END, 120),
        (START - 20 * MINUTE, END + 40 * MINUTE, 120),  # never more than the shift
        (START + 14 * MINUTE, END, 90),  # 106 minutes, rounded down to the half hour
        (START + 10 * MINUTE, START + 39 * MINUTE, 0),  # 29 minutes
        (START + 30 * MINUTE, START + 30 * MINUTE, 0),
        (END - 10 * MINUTE, END + 30 * MINUTE, 0),
    ],
)
def test_hours_are_the_overlap_rounded_down(app, check_in, check_out, minutes):
    w = shift_world()
    attendance = Attendance(checked_in_at=check_in, checked_out_at=check_out)
    assert services.recorded_minutes(attendance, w.shift, 30) == minutes


def test_check_out_then_confirm_writes_one_earn_entry(app):
    w = shift_world()
    volunteer = w.volunteers[0]
    scan_in(volunteer, w.shift, START - 5 * MINUTE)
    scan_out(volunteer, w.shift, END + 5 * MINUTE)
    assert services.confirm_shift(w.admin.id, w.shift.id, {}, now=END + HOUR) == 1
    assert services.confirm_shift(w.admin.id, w.shift.id, {}, now=END + 2 * HOUR) == 0
    entries = ledger(volunteer.id)
    assert [(e.amount, e.minutes, e.ref_type) for e in entries] == [(20, 120, "attendance")]
    assert points.account(volunteer.id).balance == 20
    assert points.account(volunteer.id).total_minutes == 120


def test_confirming_before_the_end_is_refused(app):
    w = shift_world()
    scan_in(w.volunteers[0], w.shift, START)
    with pytest.raises(ServiceError):
        services.confirm_shift(w.admin.id, w.shift.id, {}, now=END - MINUTE)


def test_changed_hours_and_no_shows_need_a_note(app):
    w = shift_world()
    a, b = w.volunteers
    attendance_a = scan_in(a, w.shift, START).attendance
    attendance_b = scan_in(b, w.shift, START).attendance
    with pytest.raises(ServiceError):
        services.confirm_shift(
            w.admin.id, w.shift.id, {attendance_a.id: services.Decision(minutes=60)}, now=END + HOUR
        )
    assert ledger(a.id) == []  # nothing half-written
    services.confirm_shift(
        w.admin.id,
        w.shift.id,
        {
            attendance_a.id: services.Decision(minutes=60, note="提前离开"),
            attendance_b.id: services.Decision(no_show=True, note="扫码后离开"),
        },
        now=END + HOUR,
    )
    assert [(e.amount, e.minutes) for e in ledger(a.id)] == [(10, 60)]
    assert ledger(b.id) == []
    assert db.session.get(Attendance, attendance_b.id).status is AttendanceStatus.no_show


def test_manual_entries_need_a_reason_are_audited_and_flagged(app):
    w = shift_world()
    volunteer = w.volunteers[0]
    with pytest.raises(ServiceError) as refused:
        services.check_in(
            volunteer.id,
            w.shift.id,
            now=END + HOUR,
            evidence=Evidence.manual,
            actor_id=w.admin.id,
            reason=" ",
        )
    assert refused.value.field == "reason"
    with pytest.raises(ServiceError) as refused:  # a time in the future
        services.check_in(
            volunteer.id,
            w.shift.id,
            now=END + HOUR,
            evidence=Evidence.manual,
            actor_id=w.admin.id,
            reason="忘带手机",
            at=END + 2 * HOUR,
        )
    assert refused.value.field == "at"
    result = services.check_in(
        volunteer.id,
        w.shift.id,
        now=END + HOUR,
        evidence=Evidence.manual,
        actor_id=w.admin.id,
        reason="忘带手机",
        at=START,
    )
    assert result.attendance.needs_review is True
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "attendance.manual_check_in")
    )
    assert (event.actor_id, event.reason) == (w.admin.id, "忘带手机")
    services.check_out(
        volunteer.id,
        w.shift.id,
        now=END + HOUR,
        evidence=Evidence.manual,
        actor_id=w.admin.id,
        reason="忘带手机",
        at=END,
    )
    services.confirm_shift(w.admin.id, w.shift.id, {}, now=END + 2 * HOUR)
    assert points.account(volunteer.id).balance == 20  # manual hours earn by default


def test_manual_hours_earn_nothing_when_the_community_says_so(app):
    w = shift_world()
    org_settings.save_settings(
        w.admin.id, w.tree.community_a, points_per_hour=10, cancel_cutoff_minutes=120, percents={}
    )
    org_settings.community_settings(w.tree.community_a).manual_hours_earn = False
    db.session.commit()
    volunteer = w.volunteers[0]
    services.check_in(
        volunteer.id,
        w.shift.id,
        now=START,
        evidence=Evidence.manual,
        actor_id=w.admin.id,
        reason="补录",
    )
    services.confirm_shift(w.admin.id, w.shift.id, {}, now=END + HOUR)
    account = points.account(volunteer.id)
    assert (account.balance, account.total_minutes) == (0, 120)


def test_forgotten_check_outs_happen_at_the_end_and_are_flagged(app):
    w = shift_world()
    volunteer = w.volunteers[0]
    scan_in(volunteer, w.shift, START + 30 * MINUTE)
    assert services.auto_check_out(now=END - MINUTE) == 0
    assert services.auto_check_out(now=END + MINUTE) == 1
    assert services.auto_check_out(now=END + 2 * MINUTE) == 0
    attendance = services.attendance_of(w.shift.id, volunteer.id)
    assert (attendance.checked_out_at, attendance.check_out_evidence) == (END, Evidence.auto)
    assert attendance.auto_checked_out


def test_unconfirmed_attendance_is_confirmed_after_three_days_exactly_once(app):
    w = shift_world()
    volunteer = w.volunteers[0]
    scan_in(volunteer, w.shift, START)
    assert services.auto_confirm(now=END + timedelta(days=2)) == 0
    assert services.auto_confirm(now=END + timedelta(days=3)) == 1
    assert services.auto_confirm(now=END + timedelta(days=3)) == 0
    assert [e.amount for e in ledger(volunteer.id)] == [20]
    assert services.attendance_of(w.shift.id, volunteer.id).confirmed_by_id is None


def test_a_no_show_without_check_in_is_recorded(app):
    w = shift_world()
    attendance = services.mark_no_show(w.admin.id, w.shift.id, w.volunteers[0].id, "未到", now=END)
    assert attendance.status is AttendanceStatus.no_show
    with pytest.raises(ServiceError):
        services.mark_no_show(w.admin.id, w.shift.id, w.volunteers[1].id, "", now=END)


def test_cards_are_revoked_by_a_new_version(app):
    w = shift_world()
    volunteer = w.volunteers[0]
    assert services.issue_card(volunteer.id, now=START) == 1
    assert services.issue_card(volunteer.id, now=START) == 1
    assert services.revoke_card(volunteer.id, now=START) == 2
    assert services.card_version(volunteer.id) == 2


def test_a_manual_time_outside_the_shifts_day_is_refused_at_the_field(app):
    w = shift_world()
    volunteer = w.volunteers[0]
    for at in (START - timedelta(days=1), START + timedelta(days=1), "25:99"):
        with pytest.raises(ServiceError) as refused:
            services.check_in(
                volunteer.id,
                w.shift.id,
                now=END + timedelta(days=2),
                evidence=Evidence.manual,
                actor_id=w.admin.id,
                reason="忘带手机",
                at=at,
            )
        assert refused.value.field == "at"
    assert services.attendance_of(w.shift.id, volunteer.id) is None


def test_fixed_points_follow_confirmed_attendance_not_hours(app):
    w = shift_world(volunteers=3, points_mode=PointsMode.fixed, fixed_points=30)
    short, full, absent = w.volunteers
    for volunteer in w.volunteers:
        scan_in(volunteer, w.shift, START)
    scan_out(short, w.shift, START + 5 * MINUTE)  # rounds down to 0 hours
    rows = {row.volunteer_id: row for row in services.attendance_list(w.shift)}
    assert (rows[short.id].recorded, rows[short.id].points) == (0, 30)  # what the page shows
    attendance = services.attendance_of(w.shift.id, absent.id)
    services.confirm_shift(
        w.admin.id,
        w.shift.id,
        {attendance.id: services.Decision(no_show=True, note="扫码后离开")},
        now=END + HOUR,
    )
    assert [(e.amount, e.minutes) for e in ledger(short.id)] == [(30, 0)]
    assert [(e.amount, e.minutes) for e in ledger(full.id)] == [(30, 120)]
    assert ledger(absent.id) == []  # a no-show earns nothing


def test_fixed_points_are_paid_by_auto_confirm_for_a_short_stay(app):
    w = shift_world(volunteers=1, points_mode=PointsMode.fixed, fixed_points=30)
    volunteer = w.volunteers[0]
    scan_in(volunteer, w.shift, END - 5 * MINUTE)
    assert services.auto_confirm(now=END + timedelta(days=3)) == 1
    assert [(e.amount, e.minutes) for e in ledger(volunteer.id)] == [(30, 0)]
    assert points.account(volunteer.id).balance == 30


def test_rounding_and_the_grace_period_saved_in_settings_decide_confirmation(app):
    w = shift_world()
    org_settings.save_settings(
        w.admin.id,
        w.tree.community_a,
        points_per_hour=10,
        cancel_cutoff_minutes=120,
        percents={},
        rounding_minutes=15,
        auto_confirm_days=1,
        checkin_opens_minutes=60,
    )
    volunteer = w.volunteers[0]
    assert not scan_in(volunteer, w.shift, START - 50 * MINUTE).already  # opens 60 min before
    scan_out(volunteer, w.shift, START + 50 * MINUTE)
    [row] = [r for r in services.attendance_list(w.shift) if r.volunteer_id == volunteer.id]
    assert row.recorded == 45  # 50 minutes served, rounded down to the quarter hour
    end = START + 2 * HOUR
    assert services.auto_confirm(now=end + 23 * HOUR) == 0
    assert services.auto_confirm(now=end + 24 * HOUR) == 1  # one day's grace, not three
    attendance = services.attendance_of(w.shift.id, volunteer.id)
    assert (attendance.status, attendance.minutes) == (AttendanceStatus.confirmed, 45)
