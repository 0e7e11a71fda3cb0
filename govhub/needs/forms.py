from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from govhub.accounts.forms import PHONE_KW, valid_phone
from govhub.forms import (
    BaseForm,
    BaseSubForm,
    DecimalField,
    IntegerField,
    id_value,
    int_in,
    optional_int,
)
from govhub.needs import posting
from govhub.needs.models import PointsMode, Shift, Urgency, Visibility
from govhub.orgs import settings as org_settings

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"
WEEKDAYS = [
    SelectChoice(0, _l("Mon")),
    SelectChoice(1, _l("Tue")),
    SelectChoice(2, _l("Wed")),
    SelectChoice(3, _l("Thu")),
    SelectChoice(4, _l("Fri")),
    SelectChoice(5, _l("Sat")),
    SelectChoice(6, _l("Sun")),
]


class DateTimeLocalField(StringField):
    """<input type="datetime-local">, parsed to a naive local datetime (or None)."""

    widget_type = "datetime-local"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {})["type"] = "datetime-local"
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        from datetime import datetime

        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        if self.raw:
            try:
                self.data = datetime.strptime(self.raw, LOCAL_MINUTE)
            except ValueError:
                self.data = None
                raise ValueError(self.gettext("Enter a date and time.")) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime(LOCAL_MINUTE) if self.data else ""


class ShiftForm(BaseSubForm):
    shift_id = HiddenField(filters=[optional_int])
    starts_at = DateTimeLocalField(_l("Start"))
    ends_at = DateTimeLocalField(_l("End"))
    capacity = IntegerField(
        _l("Places"),
        default=5,
        validators=[
            InputRequired(_l("Enter the number of places.")),
            NumberRange(1, Shift.MAX_CAPACITY, _l("Between %(min)s and %(max)s.")),
        ],
        render_kw={"inputmode": "numeric", "min": 1, "max": Shift.MAX_CAPACITY},
    )
    walk_ins = BooleanField(_l("Walk-ins welcome"))


class NeedForm(BaseForm):
    community_id = SelectField(_l("Community"), coerce=optional_int, validate_choice=False)
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Enter a title.")), Length(max=posting.MAX_TITLE)]
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=posting.MAX_DESCRIPTION)])
    category_id = SelectField(
        _l("Category"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose a category."))],
    )
    skill_ids = SelectMultipleField(_l("Skills wanted"), coerce=id_value, validate_choice=False)
    place = StringField(
        _l("Place"),
        validators=[DataRequired(_l("Enter the place.")), Length(max=posting.MAX_PLACE)],
    )
    contact_name = StringField(
        _l("Contact person"),
        validators=[DataRequired(_l("Enter a contact person.")), Length(max=40)],
    )
    contact_phone = StringField(
        _l("Contact mobile number"),
        validators=[DataRequired(_l("Enter a mobile number.")), valid_phone],
        **PHONE_KW,
    )
    points_mode = RadioField(
        _l("How points are counted"),
        choices=[
            SelectChoice(PointsMode.per_hour.value, _l("Per confirmed hour")),
            SelectChoice(PointsMode.fixed.value, _l("A fixed amount per shift")),
        ],
        default=PointsMode.per_hour.value,
    )
    points_per_hour = IntegerField(
        _l("Points per hour"),
        validators=[Optional(), NumberRange(0, 1000, _l("Between %(min)s and %(max)s."))],
        render_kw={"inputmode": "numeric"},
    )
    fixed_points = IntegerField(
        _l("Points per shift"),
        validators=[Optional(), NumberRange(0, 100000, _l("Between %(min)s and %(max)s."))],
        render_kw={"inputmode": "numeric"},
    )
    max_hours = DecimalField(
        _l("Most hours credited per shift"),
        places=1,
        validators=[
            Optional(),
            NumberRange(Decimal("0.5"), Decimal(24), _l("Between %(min)s and %(max)s.")),
        ],
        description=_l("Leave empty to credit the whole shift."),
        render_kw={"inputmode": "decimal"},
    )
    visibility = RadioField(
        _l("Who sees it"),
        choices=[
            SelectChoice(Visibility.community.value, _l("Residents of this community")),
            SelectChoice(Visibility.street.value, _l("Residents of the whole street")),
        ],
        default=Visibility.community.value,
    )
    grid_id = SelectField(
        _l("Grid"),
        coerce=optional_int,
        validate_choice=False,
        description=_l("When it happens in one grid: matching asks that grid's volunteers first."),
    )
    party_task = BooleanField(
        _l("A party task (党员先锋岗)"),
        description=_l("Matching ranks party members higher for it; the board marks it."),
    )
    shifts = FieldList(FormField(ShiftForm), min_entries=1, max_entries=posting.MAX_SHIFTS)
    request_id = HiddenField(filters=[optional_int])

    # Recurring shifts: "every Tuesday and Thursday 19:00–21:00 for 8 weeks".
    rec_weekdays = SelectMultipleField(
        _l("Weekdays"), coerce=int_in(0, 6), choices=WEEKDAYS, validate_choice=False
    )
    rec_start = TimeField(_l("From"), validators=[Optional()])
    rec_end = TimeField(_l("To"), validators=[Optional()])
    rec_first_day = DateField(_l("Starting on"), validators=[Optional()])
    rec_weeks = IntegerField(
        _l("For how many weeks"),
        default=8,
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
    )
    rec_capacity = IntegerField(
        _l("Places per shift"),
        default=5,
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
    )


class ReasonForm(BaseForm):
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(_l("Give a reason.")), Length(max=500)]
    )


class ActionForm(BaseForm):
    """A bare form for buttons that only need the CSRF token."""


def _setting(label, name: str, description=None) -> IntegerField:
    """A whole-number community setting, in the range the service enforces."""
    low, high = org_settings.SETTING_RANGES[name]
    return IntegerField(
        label,
        validators=[
            InputRequired(_l("Enter a whole number.")),
            NumberRange(low, high, _l("Between %(min)s and %(max)s.")),
        ],
        description=description,
        render_kw={"inputmode": "numeric"},
    )


class SettingsForm(BaseForm):
    points_per_hour = _setting(_l("Points per confirmed hour"), "points_per_hour")
    cancel_cutoff_minutes = _setting(
        _l("Volunteers may cancel until this many minutes before the start"),
        "cancel_cutoff_minutes",
    )
    checkin_opens_minutes = _setting(
        _l("Check-in opens this many minutes before the start"),
        "checkin_opens_minutes",
        _l("It closes at the end of the shift."),
    )
    rounding_minutes = _setting(
        _l("Hours are rounded down to this many minutes"),
        "rounding_minutes",
        _l("30 rounds down to the half hour; 1 keeps every minute."),
    )
    auto_confirm_days = _setting(
        _l("Days before unconfirmed hours are confirmed as recorded"),
        "auto_confirm_days",
    )
    manual_hours_earn = BooleanField(
        _l("Hours entered by hand earn points"),
        description=_l("They are flagged for a second look either way."),
    )


class BoardForm(BaseForm):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Search"), render_kw={"placeholder": _l("Search needs"), "autocomplete": "off"}
    )
    category = SelectField(_l("Category"), coerce=optional_int, validate_choice=False)
    skill = SelectField(_l("Skill"), coerce=optional_int, validate_choice=False)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    mine = BooleanField(_l("Matches my skills"))
    places = BooleanField(_l("Has places left"))


class RequestForm(BaseForm):
    what = StringField(
        _l("What help is needed"),
        validators=[DataRequired(_l("Say briefly what help is needed.")), Length(max=80)],
        description=_l("For example: help carrying rice upstairs, a lift to the clinic."),
    )
    details = TextAreaField(_l("Details"), validators=[Length(max=2000)])
    when_text = StringField(
        _l("When"),
        validators=[Length(max=100)],
        description=_l("For example: Saturday morning, any weekday evening."),
    )
    place = StringField(
        _l("Where"), validators=[DataRequired(_l("Enter the place.")), Length(max=200)]
    )
    urgency = RadioField(
        _l("How urgent"),
        choices=Urgency.choices(),
        default=Urgency.normal.value,
    )


class OnBehalfForm(RequestForm):
    community_id = SelectField(_l("Community"), coerce=optional_int, validate_choice=False)
    resident_name = StringField(
        _l("Resident's name"),
        validators=[DataRequired(_l("Enter the resident's name.")), Length(max=40)],
    )
    resident_building = StringField(
        _l("Building and room"),
        validators=[DataRequired(_l("Enter the resident's building and room.")), Length(max=80)],
    )


class RatingForm(BaseForm):
    stars = RadioField(
        _l("Your rating"),
        coerce=id_value,
        choices=[SelectChoice(n, "★" * n) for n in range(5, 0, -1)],
        validators=[InputRequired(_l("Choose 1 to 5 stars."))],
    )
    comment = TextAreaField(_l("Comment"), validators=[Length(max=500)])
