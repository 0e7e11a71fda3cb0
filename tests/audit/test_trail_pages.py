import re
from datetime import timedelta

import pytest

from govhub.audit import services as audit
from govhub.checkin import services as checkin
from govhub.checkin.models import Evidence
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import claims
from govhub.needs.models import Shift
from govhub.pagination import PAGE_SIZE
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
    claims.claim_shift(volunteer.id, shift.id, now=now - timedelta(hours=1))
    shift = db.session.get(Shift, shift.id)
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


def test_admins_read_the_audit_trail_of_their_subtree(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree, name="王书记")
    volunteer = make_user(tree)
    points.adjust(admin.id, volunteer.id, 30, "补发上月积分", key="audit-test")
    auth.login(make_system_admin(tree).phone)
    page = text_of(client.get("/admin/audit?action=points"))
    assert "补发上月积分" in page and "王书记" in page and "points.adjusted" in page
    auth.logout()
    # A community admin reads the trail of their own community only.
    auth.login(admin.phone)
    assert "补发上月积分" in text_of(client.get("/admin/audit?action=points"))
    auth.logout()
    auth.login(make_admin(tree, scope="community_b").phone)
    assert "补发上月积分" not in text_of(client.get("/admin/audit?action=points"))


def _record_events(n: int) -> None:
    for i in range(n):
        audit.record(None, "paging.test", "thing", i + 1)
    db.session.commit()


def _shows(page: str, target_id: int) -> bool:
    return re.search(rf"thing #{target_id}(?!\d)", page) is not None


def _older_link(page: str) -> str | None:
    found = re.search(r'href="(/admin/audit\?[^"]*before=[^"]*)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def test_audit_trail_has_no_older_link_when_everything_fits_on_one_page(app, client, auth):
    tree = make_tree()
    _record_events(PAGE_SIZE)
    auth.login(make_system_admin(tree).phone)
    page = text_of(client.get("/admin/audit?action=paging"))
    assert page.count('data-action="paging.test"') == PAGE_SIZE
    assert _older_link(page) is None


def test_audit_trail_older_link_leads_to_the_last_event_when_one_is_left(app, client, auth):
    tree = make_tree()
    _record_events(PAGE_SIZE + 1)
    auth.login(make_system_admin(tree).phone)
    first = text_of(client.get("/admin/audit?action=paging"))
    assert first.count('data-action="paging.test"') == PAGE_SIZE
    assert not _shows(first, 1)  # the oldest is on the next page
    older = text_of(client.get(_older_link(first)))
    assert older.count('data-action="paging.test"') == 1 and _shows(older, 1)
    assert _older_link(older) is None
    # The way back up keeps the filter and shows the newest again.
    newer = re.search(r'href="(/admin/audit\?[^"]*after=[^"]*)"', older).group(1)
    back = text_of(client.get(newer.replace("&amp;", "&")))
    assert back.count('data-action="paging.test"') == PAGE_SIZE and _shows(back, PAGE_SIZE + 1)


@pytest.mark.parametrize("cursor", ["abc", "-5", "1.2", "99999999999999999999999", "１２"])
def test_audit_trail_ignores_a_cursor_that_is_not_one(app, client, auth, cursor):
    tree = make_tree()
    _record_events(3)
    auth.login(make_system_admin(tree).phone)
    response = client.get("/admin/audit", query_string={"action": "paging", "before": cursor})
    assert response.status_code == 200
    assert text_of(response).count('data-action="paging.test"') == 3
