from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SearchField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from govhub.accounts.validation import normalize_phone
from govhub.forms import BaseForm, IntegerField, KeyedForm
from govhub.points.services import MAX_REASON

MAX_ADJUSTMENT = 100_000
MIN_PHONE_DIGITS = 4


def not_zero(_form, field) -> None:
    if field.data == 0:
        raise ValidationError(_l("The amount cannot be zero."))


class AdjustForm(KeyedForm):
    amount = IntegerField(
        _l("Points"),
        validators=[
            InputRequired(_l("Enter a number of points.")),
            NumberRange(-MAX_ADJUSTMENT, MAX_ADJUSTMENT, _l("Between %(min)s and %(max)s.")),
            not_zero,
        ],
        description=_l("A positive number adds points; a negative one (e.g. -20) deducts."),
        render_kw={"step": 1},
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Give a reason for the adjustment.")),
            Length(max=MAX_REASON, message=_l("At most %(max)d characters.")),
        ],
        description=_l("Kept in the audit trail and shown to the volunteer."),
        render_kw={"maxlength": MAX_REASON, "rows": 3},
    )


class IssueRecordForm(KeyedForm):
    """The button that issues a service record (prefixed: it shares a page with
    ``AdjustForm``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "issue")
        super().__init__(*args, **kwargs)


class FindVolunteerForm(BaseForm):
    class Meta:
        csrf = False

    phone = SearchField(
        _l("Mobile number"),
        validators=[Length(max=20)],
        description=_l("The whole number, or at least its last 4 digits."),
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )

    def validate_phone(self, field) -> None:
        digits = normalize_phone(field.data)
        if not (digits.isdigit() and len(digits) >= MIN_PHONE_DIGITS):
            raise ValidationError(_l("Enter the whole number or at least its last 4 digits."))
