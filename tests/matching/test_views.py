"""The matching page and 为你推荐 as their users see them."""

from __future__ import annotations

from govhub.database import utcnow
from tests.factories import make_admin, make_need, make_tree, make_user
from tests.matching.scoring_helpers import skill, volunteer


def test_the_admin_sees_ranked_volunteers_with_reasons_and_a_volunteer_gets_403(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree)
    need = make_need(tree, admin=admin, skill_ids=[skill("Tutoring")], now=utcnow())
    volunteer(tree, skills=["Tutoring"], name="Tutor Wang")
    other = make_user(tree)
    auth.login(admin.phone)
    page = client.get(f"/matching/needs/{need.id}")
    assert page.status_code == 200
    assert "Tutor Wang" in page.text and "Tutoring ✓" in page.text
    assert f"/matching/shifts/{need.shifts[0].id}/invite" in page.text
    auth.logout()
    auth.login(other.phone)
    assert client.get(f"/matching/needs/{need.id}").status_code == 403


def test_huge_or_foreign_shift_ids_are_404_not_500(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree)
    need = make_need(tree, admin=admin, now=utcnow())
    auth.login(admin.phone)
    assert client.get(f"/matching/needs/{need.id}?shift=99999").status_code == 404
    assert client.get(f"/matching/needs/{need.id}?shift=99999999999999999999").status_code == 200


def test_the_board_recommends_a_matching_shift(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree)
    make_need(tree, admin=admin, title="Homework club", skill_ids=[skill("Tutoring")], now=utcnow())
    tutor = volunteer(tree, skills=["Tutoring"], name="Tutor")
    auth.login(tutor.phone)
    board = client.get("/needs")
    assert board.status_code == 200
    assert "recommended-title" in board.text and "Tutoring ✓" in board.text
    assert "Homework club" in client.get("/matching/for-me").text
