import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from govhub.accounts.models import User
from govhub.checkin.models import VolunteerCard
from govhub.database import (
    NotFound,
    ServiceError,
    get_or_raise,
    insert_ignoring_conflict,
    required_text,
)
from tests.factories import make_tree, make_user


def test_insert_ignoring_conflict_says_whether_it_inserted(app):
    """psycopg reports rowcount -1 for INSERT … ON CONFLICT DO NOTHING: the helper must not
    rely on it, or a duplicate looks like a first insert."""
    user = make_user(make_tree())
    values = {"user_id": user.id, "version": 1}
    assert insert_ignoring_conflict(VolunteerCard, values, "user_id") == 1
    assert insert_ignoring_conflict(VolunteerCard, values, "user_id") == 0


def test_get_or_raise_returns_the_row_or_refuses_with_the_translated_message(app):
    user = make_user(make_tree(), name="Lin")
    assert get_or_raise(User, user.id, _l("No such user.")).name == "Lin"
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        with pytest.raises(NotFound) as refused:
            get_or_raise(User, user.id + 1000, _l("No such user."))
        assert refused.value.message == "找不到该用户。"
    with (
        app.test_request_context(),
        force_locale("en"),
        pytest.raises(NotFound, match="No such user."),
    ):
        get_or_raise(User, None, _l("No such user."))


def test_required_text_strips_and_refuses_empty_or_long_text_at_its_field(app):
    assert required_text("  Rain  ", "reason", 10, _l("Give a reason.")) == "Rain"
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(ServiceError) as empty:
            required_text(" \n ", "reason", 10, _l("Give a reason."))
        assert (empty.value.message, empty.value.field) == ("Give a reason.", "reason")
        with pytest.raises(ServiceError) as long:
            required_text("x" * 11, "note", 10, _l("Give a reason."))
        assert (long.value.message, long.value.field) == ("At most 10 characters.", "note")
        assert required_text("x" * 10, "note", 10, _l("Give a reason.")) == "x" * 10
