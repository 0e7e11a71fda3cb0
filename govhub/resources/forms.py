from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    FormField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from govhub.accounts.forms import PHONE_KW
from govhub.forms import BaseForm, BaseSubForm, IntegerField, KeyedForm, optional_int
from govhub.needs.forms import WEEKDAYS
from govhub.resources import services
from govhub.resources.models import Resource, ResourceKind

WINDOW_ROWS = 3


def _weekday_or_none(value):
    """A weekday select's value: 0..6, None for the empty choice; anything else is
    refused at the field."""
    if value in ("", None):
        return None
    if isinstance(value, int) and 0 <= value <= 6:
        return value
    if isinstance(value, str) and value in "0123456" and len(value) == 1:
        return int(value)
    raise ValueError(_l("Not a valid choice."))


class WindowForm(BaseSubForm):
    weekday = SelectField(
        _l("Weekday"),
        coerce=_weekday_or_none,
        choices=[SelectChoice("", "—"), *WEEKDAYS],
        validate_choice=False,
    )
    starts = TimeField(_l("From"), validators=[Optional()])
    ends = TimeField(_l("To"), validators=[Optional()])


class ResourceForm(BaseForm):
    kind = RadioField(
        _l("Kind"),
        choices=ResourceKind.choices(),
        default=ResourceKind.venue.value,
        validators=[DataRequired(_l("Choose one."))],
    )
    provider_name = StringField(
        _l("Unit offering it"),
        validators=[Length(max=services.MAX_PROVIDER)],
        description=_l("The unit without a govhub account that you record this for."),
    )
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter a title.")), Length(max=services.MAX_TITLE)],
        description=_l("For example: meeting room, 20 boxes of rice, legal advice."),
    )
    description = TextAreaField(
        _l("About the resource"),
        validators=[Optional(), Length(max=services.MAX_DESCRIPTION)],
        description=_l("What it is, and how to ask for it."),
    )
    quantity = IntegerField(
        _l("Quantity or capacity"),
        validators=[
            InputRequired(_l("Enter how much is offered.")),
            NumberRange(1, Resource.MAX_QUANTITY, _l("Between %(min)s and %(max)s.")),
        ],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    unit_label = StringField(
        _l("Counted in"),
        validators=[
            DataRequired(_l("Enter the unit it is counted in, for example rooms, boxes or hours.")),
            Length(max=services.MAX_UNIT_LABEL),
        ],
        description=_l("For example: rooms, boxes, hours, yuan, people."),
    )
    available_from = DateField(
        _l("Available from"), validators=[Optional()], description=_l("Leave empty to start now.")
    )
    available_until = DateField(
        _l("Available until"),
        validators=[Optional()],
        description=_l("The last day; leave empty for no end."),
    )
    windows = FieldList(
        FormField(WindowForm), min_entries=WINDOW_ROWS, max_entries=services.MAX_WINDOWS
    )
    area_id = SelectField(
        _l("Area it serves"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose the area it serves."))],
    )
    contact_name = StringField(
        _l("Contact person"), validators=[Optional(), Length(max=services.MAX_CONTACT)]
    )
    contact_phone = StringField(
        _l("Contact mobile number"),
        validators=[Optional(), Length(max=20)],
        description=_l("Shown only to the area's admins and to you."),
        **PHONE_KW,
    )

    def set_areas(self, areas) -> None:
        self.area_id.choices = [("", _l("Choose…"))] + [
            (unit.id, f"{unit.name}（{unit.level.label}）") for unit in areas
        ]

    def fill_from(self, resource: Resource) -> None:
        self.kind.data = resource.kind.value
        self.provider_name.data = resource.provider_name
        self.title.data = resource.title
        self.description.data = resource.description
        self.quantity.data = resource.quantity
        self.unit_label.data = resource.unit_label
        self.available_from.data = resource.available_from
        self.available_until.data = resource.available_until
        self.area_id.data = resource.area_id
        self.contact_name.data = resource.contact_name
        self.contact_phone.data = resource.contact_phone
        while len(self.windows) < max(WINDOW_ROWS, len(resource.windows) + 1):
            self.windows.append_entry()
        for entry, window in zip(self.windows, resource.windows, strict=False):
            entry.weekday.data = window.weekday
            entry.starts.data = window.starts
            entry.ends.data = window.ends

    def input(self) -> services.ResourceInput:
        return services.ResourceInput(
            kind=ResourceKind(self.kind.data),
            title=self.title.data or "",
            quantity=self.quantity.data,
            unit_label=self.unit_label.data or "",
            area_id=self.area_id.data,
            description=self.description.data or "",
            available_from=self.available_from.data,
            available_until=self.available_until.data,
            contact_name=self.contact_name.data or "",
            contact_phone=self.contact_phone.data or "",
            provider_name=self.provider_name.data or "",
            windows=[
                services.WindowInput(
                    entry.weekday.data, entry.starts.data, entry.ends.data, field=entry.name
                )
                for entry in self.windows
            ],
        )


class CommitForm(KeyedForm):
    quantity = IntegerField(
        _l("How much to commit"),
        validators=[
            InputRequired(_l("Enter how much to commit.")),
            NumberRange(1, Resource.MAX_QUANTITY, _l("Between %(min)s and %(max)s.")),
        ],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    need_id = SelectField(
        _l("To the need"), coerce=optional_int, validate_choice=False, validators=[Optional()]
    )
    project_id = SelectField(
        _l("Or to a project"), coerce=optional_int, validate_choice=False, validators=[Optional()]
    )
    purpose = StringField(
        _l("What it is for"),
        validators=[Optional(), Length(max=services.MAX_PURPOSE)],
        description=_l("Needed when no need is chosen."),
    )

    def set_needs(self, needs) -> None:
        self.need_id.choices = [("", _l("No need: describe it below"))] + [
            (need.id, f"{need.title} · {need.community.name}") for need in needs
        ]

    def set_projects(self, projects) -> None:
        """项目清单: the projects under way a resource may be committed to."""
        self.project_id.choices = [("", _l("No project"))] + [
            (project.id, f"{project.title} · {project.community.name}") for project in projects
        ]


class ReasonForm(BaseForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Give a reason.")), Length(max=services.MAX_REASON)],
    )


class WithdrawForm(BaseForm):
    reason = TextAreaField(
        _l("Reason (optional)"), validators=[Optional(), Length(max=services.MAX_REASON)]
    )
