"""Form helpers shared by every domain, and the one place hostile input is turned away.

Every form inherits :class:`BaseForm` (sub-forms of a ``FieldList``: :class:`BaseSubForm`).
Their ``Meta`` gives each text field a filter and a validator (control characters, NUL,
bidi overrides) and each date field a range check, so no form has to remember them.
Numbers are read by :func:`parse_int` / :class:`IntegerField` / :class:`DecimalField`:
ASCII digits only, within what the database can store.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import wtforms
from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.routing import IntegerConverter
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import HiddenInput

from govhub.database import MAX_DB_INT, ServiceError, bad_text_error

# -- Integers --------------------------------------------------------------------------

_INT_RE = re.compile(r"([+-]?)([0-9]{1,12})", re.ASCII)


def parse_int(value, lo: int = 1, hi: int = MAX_DB_INT) -> int | None:
    """``value`` (text from a request) as an int in ``lo..hi``, else None.

    Only ASCII digits with an optional sign: not "²", "١٢", "１２", "1e3", "inf", "-0",
    "1_000" (which Python's ``int()`` accepts, or which overflow a database integer)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        match = _INT_RE.fullmatch(str(value).strip()) if value is not None else None
        if match is None:
            return None
        number = int(match.group(2))
        if match.group(1) == "-":
            if number == 0:
                return None
            number = -number
    return number if lo <= number <= hi else None


def optional_int(value) -> int | None:
    """A select's value as an id (an int in the database's range), or None for the
    empty choice or anything else."""
    return parse_int(value)


def id_value(value) -> int:
    """``coerce`` for a select of ids: an id, or ValueError (the field's own error)."""
    number = parse_int(value)
    if number is None:
        raise ValueError(_l("Not a valid choice."))
    return number


def int_in(lo: int, hi: int):
    """``coerce`` for a select of small numbers (weekdays): an int in ``lo..hi``."""

    def coerce(value) -> int:
        number = parse_int(value, lo, hi)
        if number is None:
            raise ValueError(_l("Not a valid choice."))
        return number

    return coerce


def arg_int(name: str, default: int | None = None, lo: int = 1, hi: int = MAX_DB_INT):
    """The integer query argument ``name``; ``default`` when it is missing or is not a
    number in ``lo..hi`` (a filter that cannot match is ignored, not an error)."""
    value = request.args.get(name)
    if value is None:
        return default
    number = parse_int(value, lo, hi)
    return default if number is None else number


def form_int(name: str, default: int | None = None, lo: int = 1, hi: int = MAX_DB_INT):
    """The integer form value ``name``, read by hand (like :func:`arg_int`)."""
    number = parse_int(request.form.get(name), lo, hi)
    return default if number is None else number


class BoundedIntConverter(IntegerConverter):
    """The app's ``<int:...>``: ASCII digits, 1..2147483647 (PostgreSQL's integer), so an
    id the database cannot hold is a 404 instead of an error from the database."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_DB_INT, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


# -- Dates -----------------------------------------------------------------------------

FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2099, 12, 31)


def date_error() -> str:
    return _l(
        "Enter a date between %(first)s and %(last)s.",
        first=FIRST_DATE.isoformat(),
        last=LAST_DATE.isoformat(),
    )


def in_date_range(value: date | datetime | None) -> bool:
    if value is None:
        return True
    day = value.date() if isinstance(value, datetime) else value
    return FIRST_DATE <= day <= LAST_DATE


def parse_date(value: str | None) -> date | None:
    """A query argument "YYYY-MM-DD" as a date in the supported range, else None."""
    if not value or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value, re.ASCII):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if in_date_range(day) else None


def _date_in_range(_form, field) -> None:
    if isinstance(field.data, date) and not in_date_range(field.data):
        raise StopValidation(str(date_error()))


# -- Text ------------------------------------------------------------------------------

_KEEP_MULTILINE = frozenset("\n\t")


def clean_text(value, multiline: bool = False):
    """``value`` without control characters (\\n and \\t kept in multi-line text; line
    ends become \\n). NUL is kept, so the validator can refuse it at the field."""
    if not isinstance(value, str):
        return value
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for char in value:
        if char == "\x00" or (multiline and char in _KEEP_MULTILINE):
            kept.append(char)
        elif unicodedata.category(char) == "Cc":
            kept.append(" " if char in "\t\n\r\x0b\x0c" else "")
        else:
            kept.append(char)
    return "".join(kept)


def _text_filter(multiline: bool):
    def text_filter(value):
        return clean_text(value, multiline)

    return text_filter


def _text_allowed(_form, field) -> None:
    values = field.data if isinstance(field.data, list) else [field.data]
    for value in values:
        if isinstance(value, str) and (error := bad_text_error(value)):
            raise StopValidation(str(error))


def _raw_text_allowed(_form, field) -> None:
    """For passwords: hashed as typed (never cleaned), but NUL is still refused."""
    for value in field.raw_data or []:
        if isinstance(value, str) and "\x00" in value:
            raise StopValidation(str(bad_text_error(value)))


class _HostileInputMeta(wtforms.meta.DefaultMeta):
    """Binds every field with the checks its kind needs (see the module docstring)."""

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        if isinstance(field, wtforms.PasswordField):
            field.validators = [_raw_text_allowed, *field.validators]
        elif isinstance(field, wtforms.StringField):
            multiline = isinstance(field, wtforms.TextAreaField)
            field.filters = (_text_filter(multiline), *field.filters)
            field.validators = [_text_allowed, *field.validators]
        if field.type not in ("FormField", "FieldList"):
            # Acts only on fields whose data is a date (DateField, DateTimeLocalField…).
            field.validators = [_date_in_range, *field.validators]
        return field


class BaseForm(FlaskForm):
    """The base of every form of the app."""

    class Meta(_HostileInputMeta, FlaskForm.Meta):
        pass

    def hidden_tag(self, *fields: Any) -> Markup:
        """The hidden fields without ``id``: a page shows many forms (a need's page has
        seven), and an ``id="csrf_token"`` on each would repeat one id on the page."""
        chosen = [getattr(self, f, None) if isinstance(f, str) else f for f in fields or self]
        hidden = (f for f in chosen if f is not None and isinstance(f.widget, HiddenInput))
        return Markup("\n").join(f(id=False) for f in hidden)


class BaseSubForm(wtforms.Form):
    """The base of sub-forms (``FormField`` in a ``FieldList``)."""

    class Meta(_HostileInputMeta):
        pass


# -- Number fields ---------------------------------------------------------------------


class IntegerField(wtforms.IntegerField):
    """An integer in ASCII digits within the database's integer range."""

    data: Any  # as WTForms has it: None until the form is validated

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = parse_int(valuelist[0], -MAX_DB_INT, MAX_DB_INT)
        if self.data is None:
            raise ValueError(self.gettext("Not a valid integer value."))


_DECIMAL_RE = re.compile(r"[+-]?[0-9]{1,9}(\.[0-9]{0,6})?|[+-]?\.[0-9]{1,6}", re.ASCII)


def parse_decimal(value) -> Decimal | None:
    """A plain decimal number in ASCII digits ("1.5"), else None ("inf", "NaN", "1e400",
    "-0", Unicode digits)."""
    text = str(value).strip() if value is not None else ""
    if not _DECIMAL_RE.fullmatch(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if number == 0 and text.startswith("-"):
        return None
    return number


class DecimalField(wtforms.DecimalField):
    """A decimal number in ASCII digits; never NaN, infinite or in exponent form."""

    data: Any  # as WTForms has it: None until the form is validated

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = parse_decimal(valuelist[0])
        if self.data is None:
            raise ValueError(self.gettext("Not a valid decimal value."))


class FloatField(wtforms.FloatField):
    """A finite float in ASCII digits (parsed like :class:`DecimalField`)."""

    data: Any  # as WTForms has it: None until the form is validated

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        number = parse_decimal(valuelist[0])
        self.data = float(number) if number is not None else None
        if self.data is None:
            raise ValueError(self.gettext("Not a valid float value."))


def find_field(form, name: str):
    """The field called ``name`` (as in the HTML form), also inside FieldLists."""
    for field in form:
        if field.name == name:
            return field
        if field.type in ("FieldList", "FormField"):
            found = find_field(field, name)
            if found is not None:
                return found
    return None


def show_service_error(form: FlaskForm, error: ServiceError) -> None:
    """Put a service's refusal beside the field it concerns (or above the form)."""
    field = find_field(form, error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def refreshing_places() -> bool:
    """The no-JavaScript "Update the lists" button of the place selects was pressed."""
    return request.method == "POST" and "refresh_places" in request.form


def form_status(form: FlaskForm) -> int:
    """422 for a submitted form being shown again with errors, else 200."""
    return 422 if form.is_submitted() and not refreshing_places() else 200


# -- Idempotency keys ------------------------------------------------------------------

KEY_RE = re.compile(r"[0-9a-f]{32}")


def new_key() -> str:
    """A fresh idempotency key for a form: a double submit of that form writes once."""
    return uuid.uuid4().hex


class KeyedForm(BaseForm):
    """A form that carries the idempotency key it was rendered with."""

    key = wtforms.HiddenField()

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
