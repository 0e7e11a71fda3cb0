from datetime import timedelta

from govhub.checkin import services as checkin
from govhub.checkin.models import Evidence
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import services as needs
from govhub.points import services as points
from tests.factories import make_admin, make_need, make_system_admin, make_tree, make_user


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_hand_entered_attendance_shows_who_and_why(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree, name="王书记")
    now = utcnow()
    need = make_need(tree, admin=admin, now=now - timedelta(hours=1), shifts=((0.01, 2, 5),))
    shift = need.shifts[0]
    volunteer = make_user(tree)
    needs.claim_shift(volunteer.id, shift.id, now=now - timedelta(hours=1))
    shift = needs.get_shift(shift.id)
    shift.starts_at, shift.ends_at = now - timedelta(minutes=10), now + timedelta(hours=1)
    db.session.commit()
    checkin.check_in(
        volunteer.id,
        shift.id,
        now=now,
        evidence=Evidence.manual,
        actor_id=admin.id,
        reason="老人没有手机",
    )
    auth.login(admin.phone)
    page = text_of(client.get(f"/manage/shifts/{shift.id}/attendance"))
    assert "老人没有手机" in page and "王书记" in page


def test_system_admins_read_the_audit_trail(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree, name="王书记")
    volunteer = make_user(tree)
    points.adjust(admin.id, volunteer.id, 30, "补发上月积分", key="audit-test")
    auth.login(make_system_admin(tree).phone)
    page = text_of(client.get("/admin/audit?action=points"))
    assert "补发上月积分" in page and "王书记" in page and "points.adjusted" in page
    auth.logout()
    auth.login(admin.phone)
    assert client.get("/admin/audit").status_code == 403
