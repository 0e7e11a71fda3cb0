"""Separation of duties (issue 10): nobody credits, confirms or certifies themselves. An
admin who also volunteers in their community has their points adjusted, their hours
confirmed and their service record issued by another admin (or by auto-confirm)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from govhub import permissions
from govhub.checkin import services
from govhub.checkin.models import AttendanceStatus, Evidence
from govhub.database import ServiceError
from govhub.extensions import db
from govhub.needs import claims
from govhub.permissions import Action
from govhub.points import records
from govhub.points import services as points
from govhub.points.models import LedgerEntry, ServiceRecord
from tests.checkin.helpers import HOUR, START, scan_in, shift_world
from tests.factories import make_admin, make_system_admin
from tests.points.helpers import balance, english, entry_count, serve

END = START + 2 * HOUR


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def duty(app):
    """A shift of community A; its admin claimed it too and scanned in, like a volunteer,
    with one other volunteer. A second admin of community A and a system admin."""
    w = shift_world(volunteers=1)
    claims.claim_shift(w.admin.id, w.shift.id, now=START - timedelta(days=1))
    scan_in(w.admin, w.shift, START)
    scan_in(w.volunteers[0], w.shift, START)
    w.colleague = make_admin(w.tree, name="李副书记")
    w.sysadmin = make_system_admin(w.tree)
    for person in (w.admin, w.colleague):
        english(person)
    return w


# --- The rule, once, in permissions --------------------------------------------------


def test_nobody_may_adjust_or_confirm_their_own_not_even_a_system_admin(duty):
    admin, colleague, sysadmin = duty.admin, duty.colleague, duty.sysadmin
    assert not permissions.can(admin, Action.ADJUST_POINTS, admin)
    assert permissions.can(colleague, Action.ADJUST_POINTS, admin)
    assert not permissions.can(sysadmin, Action.ADJUST_POINTS, sysadmin)
    assert permissions.can(sysadmin, Action.ADJUST_POINTS, admin)
    own = services.Seat(duty.shift, admin.id)
    assert not permissions.can(admin, Action.CONFIRM_ATTENDANCE, own)
    assert permissions.can(colleague, Action.CONFIRM_ATTENDANCE, own)
    assert permissions.can(
        admin, Action.CONFIRM_ATTENDANCE, services.Seat(duty.shift, duty.volunteers[0].id)
    )
    # They still open their own page (to see it), and run and confirm the shift.
    assert permissions.can(admin, Action.MANAGE_VOLUNTEER, admin)
    assert permissions.can(admin, Action.CONFIRM_SHIFT, duty.shift)


# --- The services refuse too ---------------------------------------------------------


def test_an_admin_cannot_adjust_their_own_points(duty):
    with pytest.raises(ServiceError) as refused:
        points.adjust(duty.admin.id, duty.admin.id, 5000, "自己奖励", key="self-1")
    assert refused.value.field == "amount"
    assert "不能调整自己的积分" in refused.value.message
    assert balance(duty.admin.id) == 0 and entry_count(duty.admin.id) == 0
    points.adjust(duty.colleague.id, duty.admin.id, 50, "组织活动", key="other-1")
    assert balance(duty.admin.id) == 50


def test_an_admin_cannot_issue_their_own_service_record(app):
    w = shift_world(volunteers=0)
    colleague = make_admin(w.tree, name="李副书记")
    serve(w.tree, w.admin, colleague)  # hours confirmed by the colleague
    with pytest.raises(ServiceError) as refused:
        records.issue_record(w.admin.id, w.admin.id, key="r" * 32, now=END)
    assert "不能为自己开具志愿服务证明" in refused.value.message
    assert db.session.scalar(select(ServiceRecord.id)) is None
    record = records.issue_record(colleague.id, w.admin.id, key="s" * 32, now=END)
    assert record.issued_by_id == colleague.id


def test_confirming_a_shift_skips_the_admins_own_attendance(duty):
    admin, volunteer = duty.admin, duty.volunteers[0]
    own = services.attendance_of(duty.shift.id, admin.id)
    decisions = {own.id: services.Decision(minutes=120)}
    assert services.confirm_shift(admin.id, duty.shift.id, decisions, now=END + HOUR) == 1
    assert services.attendance_of(duty.shift.id, volunteer.id).status is AttendanceStatus.confirmed
    assert services.attendance_of(duty.shift.id, admin.id).status is AttendanceStatus.present
    assert balance(admin.id) == 0
    # Another admin confirms it; auto-confirm would have too.
    assert services.confirm_shift(duty.colleague.id, duty.shift.id, {}, now=END + HOUR) == 1
    confirmed = services.attendance_of(duty.shift.id, admin.id)
    assert (confirmed.status, confirmed.confirmed_by_id) == (
        AttendanceStatus.confirmed,
        duty.colleague.id,
    )
    assert balance(admin.id) == 20


def test_the_admins_own_unconfirmed_hours_are_left_to_auto_confirm(duty):
    services.confirm_shift(duty.admin.id, duty.shift.id, {}, now=END + HOUR)
    assert services.auto_confirm(now=END + timedelta(days=3)) == 1
    entry = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.volunteer_id == duty.admin.id)
    ).one()
    assert (entry.amount, entry.actor_id) == (20, None)


def test_an_admin_cannot_enter_or_no_show_their_own_attendance(duty):
    admin = duty.admin
    with pytest.raises(ServiceError):
        services.check_out(
            admin.id,
            duty.shift.id,
            now=END + HOUR,
            evidence=Evidence.manual,
            actor_id=admin.id,
            reason="我自己",
            at="10:00",
        )
    assert services.attendance_of(duty.shift.id, admin.id).checked_out_at is None
    with pytest.raises(ServiceError):
        services.check_in(
            admin.id,
            duty.shift.id,
            now=START,
            evidence=Evidence.manual,
            actor_id=admin.id,
            reason="我自己",
        )
    with pytest.raises(ServiceError):
        services.mark_no_show(admin.id, duty.shift.id, admin.id, "没来", now=END)
    assert services.attendance_of(duty.shift.id, admin.id).status is AttendanceStatus.present
    assert services.attendance_of(duty.shift.id, admin.id).needs_review is False


# --- What the admin sees -------------------------------------------------------------


def test_the_admins_own_page_explains_and_offers_no_adjustment(duty, client, auth):
    auth.login(duty.admin.phone)
    page = client.get(f"/manage/volunteers/{duty.admin.id}")
    assert page.status_code == 200
    assert "another admin of your community adjusts them" in text_of(page)
    assert f'action="/manage/volunteers/{duty.admin.id}/adjust"' not in text_of(page)
    assert "Issue a service record" not in text_of(page)
    response = client.post(
        f"/manage/volunteers/{duty.admin.id}/adjust",
        data={"amount": "5000", "reason": "自己奖励", "key": "f" * 32},
    )
    assert response.status_code == 403
    response = client.post(f"/manage/volunteers/{duty.admin.id}/records", data={"key": "g" * 32})
    assert response.status_code == 403
    assert balance(duty.admin.id) == 0
    assert db.session.scalar(select(ServiceRecord.id)) is None
    # Another admin's page of the same volunteer offers both.
    auth.logout()
    auth.login(duty.colleague.phone)
    page = text_of(client.get(f"/manage/volunteers/{duty.admin.id}"))
    assert "Issue a service record" in page and "/adjust" in page


def test_the_attendance_page_leaves_the_admins_own_row_to_someone_else(duty, client, auth):
    auth.login(duty.admin.phone)
    own = services.attendance_of(duty.shift.id, duty.admin.id)
    other = services.attendance_of(duty.shift.id, duty.volunteers[0].id)
    db.session.execute(
        db.update(type(duty.shift))
        .where(type(duty.shift).id == duty.shift.id)
        .values(starts_at=START - timedelta(days=2), ends_at=START - timedelta(days=2) + 2 * HOUR)
    )
    db.session.commit()
    page = text_of(client.get(f"/manage/shifts/{duty.shift.id}/attendance"))
    assert f'name="minutes-{other.id}"' in page
    assert f'name="minutes-{own.id}"' not in page
    assert "Your own hours are confirmed by another admin" in page
    # A hand-made request for their own row is refused; confirming skips it, even when
    # the form names it beside the row the page shows (the form confirms the rows named).
    response = client.post(
        f"/manage/shifts/{duty.shift.id}/attendance/out",
        data={"volunteer_id": duty.admin.id, "reason": "我自己"},
    )
    assert response.status_code == 403
    response = client.post(
        f"/manage/shifts/{duty.shift.id}/confirm",
        data={f"minutes-{own.id}": "2", "attendance": [own.id, other.id]},
    )
    assert response.status_code == 303
    assert services.attendance_of(duty.shift.id, duty.admin.id).status is AttendanceStatus.present
    assert other.status is AttendanceStatus.confirmed
    assert balance(duty.admin.id) == 0 and entry_count(duty.admin.id) == 0
