"""Forms of the projects list: a project, its outcome, a unit's proposal, a reason."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from govhub.forms import BaseForm, IntegerField, id_value, optional_int
from govhub.projects import services
from govhub.projects.services import ProjectInput
from govhub.rewards.forms import ACCEPT_PHOTOS


class _ProjectFields(BaseForm):
    """What every project form asks: its name, what it is about, its dates."""

    title = StringField(
        _l("Project name"),
        validators=[DataRequired(_l("Give the project a title.")), Length(max=services.MAX_TITLE)],
    )
    summary = TextAreaField(
        _l("What it is about"), validators=[Optional(), Length(max=services.MAX_SUMMARY)]
    )
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])

    def data_input(self) -> ProjectInput:
        return ProjectInput(
            title=self.title.data or "",
            summary=self.summary.data or "",
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
        )


class ProjectForm(_ProjectFields):
    need_ids = SelectMultipleField(
        _l("Needs of the project"), coerce=id_value, validate_choice=False
    )
    partner_ids = SelectMultipleField(
        _l("Partners taking part"),
        coerce=id_value,
        validate_choice=False,
        description=_l("Providers of committed resources are added by themselves."),
    )

    def fill_choices(self, needs, partners) -> None:
        self.need_ids.choices = [(n.id, f"{n.title}（{n.status.label}）") for n in needs]
        self.partner_ids.choices = [(p.id, p.name) for p in partners]

    def prefill(self, project) -> None:
        self.title.data, self.summary.data = project.title, project.summary
        self.starts_on.data, self.ends_on.data = project.starts_on, project.ends_on
        self.need_ids.data = [n.id for n in project.needs]
        self.partner_ids.data = [p.id for p in project.partners]


class CompleteForm(BaseForm):
    people_served = IntegerField(
        _l("People served"),
        validators=[
            InputRequired(_l("Enter how many people the project served.")),
            NumberRange(0, services.MAX_PEOPLE),
        ],
        render_kw={"inputmode": "numeric", "min": 0},
    )
    outcome = TextAreaField(
        _l("What it achieved"),
        validators=[
            DataRequired(_l("Say in a few sentences what the project achieved.")),
            Length(max=services.MAX_OUTCOME),
        ],
        description=_l("Residents read this on the public page: no names or phone numbers."),
    )
    photos = MultipleFileField(
        _l("Photos (optional, up to 6)"),
        render_kw={"accept": ACCEPT_PHOTOS},
        description=_l("JPEG, PNG or WebP. We resize them and remove location and camera data."),
    )
    published = BooleanField(
        _l("Publish it on the community's public page (居务公开)"), default=True
    )

    def photo_uploads(self) -> list[bytes]:
        limit = current_app.config["REWARD_PHOTO_MAX_BYTES"]
        uploads = [f for f in (self.photos.data or []) if getattr(f, "filename", None)]
        # Read at most one byte more than allowed: enough to tell it is too large.
        return [f.read(limit + 1) for f in uploads[: services.MAX_PHOTOS + 1]]


class ProposalForm(_ProjectFields):
    community_id = SelectField(
        _l("To the community"),
        coerce=optional_int,
        validate_choice=False,
        validators=[InputRequired(_l("Choose a community."))],
    )
    offer = TextAreaField(
        _l("What your unit offers to do"),
        validators=[
            DataRequired(_l("Say what your unit offers to do.")),
            Length(max=services.MAX_OFFER),
        ],
        description=_l("For example: 10 staff every second Saturday, a room, materials."),
    )


class ReasonForm(BaseForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Give a reason.")), Length(max=services.MAX_REASON)],
    )
