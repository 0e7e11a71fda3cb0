"""The shared input rules (govhub/forms.py, govhub/database.py), each seen where a user
meets it: numbers in odd forms, control and bidi characters, NUL, dates out of range,
texts longer than their column."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from govhub.accounts.models import User
from govhub.checkin import services as checkin
from govhub.database import ServiceError
from govhub.extensions import db
from govhub.forms import parse_date, parse_decimal, parse_int
from govhub.points.models import LedgerEntry
from tests.checkin.helpers import HOUR, START, scan_in, shift_world
from tests.factories import make_admin, make_tree, make_user, registration_form

END = START + 2 * HOUR


@pytest.mark.parametrize(
    "text", ["²", "١٢", "１２", "1_000", "inf", "1e3", "NaN", "-0", "0x10", "2147483648", ""]
)
def test_parse_int_takes_only_ascii_digits_in_the_database_range(text):
    assert parse_int(text) is None


def test_parse_int_reads_plain_numbers_within_bounds():
    assert parse_int("12") == 12
    assert parse_int(" 7 ") == 7
    assert parse_int("2147483647") == 2147483647
    assert parse_int("-5", lo=-10, hi=10) == -5
    assert parse_int("0") is None  # below the default lower bound (ids start at 1)


@pytest.mark.parametrize("text", ["inf", "-inf", "NaN", "sNaN", "1e400", "-0", "１.５", "1.5.1"])
def test_parse_decimal_refuses_what_is_not_a_plain_number(text):
    assert parse_decimal(text) is None


def test_parse_decimal_reads_hours():
    assert parse_decimal("1.5") == Decimal("1.5")
    assert parse_decimal("2") == Decimal(2)


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "0000-00-00", "2026-02-30", "٢٠٢٦"])
def test_parse_date_refuses_dates_out_of_the_supported_range(text):
    assert parse_date(text) is None


def _adjust(client, volunteer, amount):
    return client.post(
        f"/manage/volunteers/{volunteer.id}/adjust",
        data={"amount": amount, "reason": "Correction", "key": "3" * 32},
    )


@pytest.mark.parametrize("amount", ["１２", "١٢", "1_000", "2147483648", "-0", "1e3"])
def test_points_in_odd_digit_forms_are_a_field_error_and_change_nothing(app, client, auth, amount):
    tree = make_tree()
    admin, volunteer = make_admin(tree), make_user(tree)
    auth.login(admin.phone)
    response = _adjust(client, volunteer, amount)
    assert response.status_code == 422
    assert 'id="amount-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("王\x00小红", "不允许的字符"),
        ("\u202e红小王", "改变文字方向"),
        ("王\u2066小红\u2069", "改变文字方向"),
    ],
)
def test_nul_and_bidi_overrides_in_a_name_are_refused_at_the_field(app, client, name, message):
    tree = make_tree()
    form = registration_form(tree, name=name)
    response = client.post("/register", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="name-error"' in page and message in page
    assert db.session.scalar(select(User).where(User.phone == form["phone"])) is None


def test_other_control_characters_are_removed_from_a_name(app, client):
    tree = make_tree()
    form = registration_form(tree, name="王\x07小\x1b红\x7f")
    assert client.post("/register", data=form).status_code == 303
    assert db.session.scalar(select(User.name).where(User.phone == form["phone"])) == "王小红"


def test_a_board_date_out_of_range_is_a_field_error_not_a_filter(app, client, auth):
    tree = make_tree()
    auth.login(make_user(tree).phone)
    for value in ("0001-01-01", "9999-12-31"):
        response = client.get(f"/needs?date_from={value}")
        assert response.status_code == 200
        assert "2000-01-01至2099-12-31" in response.get_data(as_text=True)
    assert client.get("/needs?date_to=0000-00-00").status_code == 200


def test_a_month_out_of_range_in_the_economy_report_shows_this_month(app, client, auth):
    tree = make_tree()
    auth.login(make_admin(tree).phone)
    for month in ("9999-12", "0000-01", "１２-01"):
        assert client.get(f"/manage/economy?month={month}").status_code == 200


def test_a_confirmation_note_longer_than_its_column_is_refused_at_the_note(app):
    w = shift_world()
    attendance = scan_in(w.volunteers[0], w.shift, START).attendance
    decision = checkin.Decision(note="长" * 501)  # hours unchanged: the note is optional
    with pytest.raises(ServiceError) as refused:
        checkin.confirm_shift(w.admin.id, w.shift.id, {attendance.id: decision}, now=END + HOUR)
    assert refused.value.field == f"note-{attendance.id}"
    assert "500" in refused.value.message
    assert checkin.attendance_of(w.shift.id, w.volunteers[0].id).note is None
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_every_string_column_refuses_overlong_text_and_nul_in_the_service(app):
    from govhub.accounts.models import Skill

    with pytest.raises(ServiceError) as too_long:
        Skill(name="x" * 1000)
    assert too_long.value.field == "name"
    with pytest.raises(ServiceError) as nul:
        Skill(name="a\x00b")
    assert nul.value.field == "name"


def test_every_form_of_the_app_inherits_the_shared_base():
    import wtforms

    import govhub.accounts.forms
    import govhub.needs.forms
    import govhub.orgs.forms
    import govhub.partners.forms
    import govhub.points.forms
    import govhub.rewards.forms  # noqa: F401
    from govhub.forms import BaseForm, BaseSubForm

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [cls for cls in subclasses(wtforms.Form) if cls.__module__.startswith("govhub.")]
    assert len(ours) > 20
    outside = [cls.__qualname__ for cls in ours if not issubclass(cls, (BaseForm, BaseSubForm))]
    assert outside == []
