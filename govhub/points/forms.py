from __future__ import annotations

import re
import uuid

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SearchField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from govhub.accounts.validation import normalize_phone
from govhub.forms import BaseForm, IntegerField
from govhub.points.services import MAX_REASON

MAX_ADJUSTMENT = 100_000
KEY_RE = re.compile(r"[0-9a-f]{32}")
MIN_PHONE_DIGITS = 4


def new_key() -> str:
    """A fresh idempotency key for a form: a double submit of that form writes once."""
    return uuid.uuid4().hex


class KeyedForm(BaseForm):
    """A form that carries the idempotency key it was rendered with."""

    key = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A form rendered fresh gets a new key; a submitted one keeps the key it was sent.
        if kwargs.get("formdata", ...) is None or not self.is_submitted():
            self.key.data = new_key()

    def validate_key(self, field) -> None:
        if not KEY_RE.fullmatch(field.data or ""):
            field.data = new_key()
            raise ValidationError(_l("This form is out of date. Check it and send it again."))

    def move_key_errors(self) -> None:
        """The key is hidden: show its error above the form."""
        self.form_errors.extend(self.key.errors)

    def renew_key(self) -> None:
        self.key.data = new_key()


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
