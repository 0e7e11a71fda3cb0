from govhub.checkin.models import VolunteerCard
from govhub.database import insert_ignoring_conflict
from tests.factories import make_tree, make_user


def test_insert_ignoring_conflict_says_whether_it_inserted(app):
    """psycopg reports rowcount -1 for INSERT … ON CONFLICT DO NOTHING: the helper must not
    rely on it, or a duplicate looks like a first insert."""
    user = make_user(make_tree())
    values = {"user_id": user.id, "version": 1}
    assert insert_ignoring_conflict(VolunteerCard, values, "user_id") == 1
    assert insert_ignoring_conflict(VolunteerCard, values, "user_id") == 0
