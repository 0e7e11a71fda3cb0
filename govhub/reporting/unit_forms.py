"""The forms of a unit's report to a community and of the community's decision."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from govhub.accounts.forms import PHONE_KW, valid_phone
from govhub.forms import BaseForm, IntegerField, id_value, optional_int
from govhub.orgs.forms import PlaceFields
from govhub.reporting import units
from govhub.reporting.models import UnitReport


class UnitPlaceFields(PlaceFields):
    """District → street → community: a unit reports to a community, not a grid."""

    grid_id = None
    PLACE_LEVELS = PlaceFields.PLACE_LEVELS[:3]  # type: ignore[assignment]


class UnitPlaceForm(UnitPlaceFields, BaseForm):
    """The selects alone (the htmx fragment)."""

    class Meta:
        csrf = False


class UnitReportForm(UnitPlaceFields, BaseForm):
    community_id = SelectField(  # as PlaceFields', with this form's own message
        _l("Community"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose the community you report to."))],
    )
    liaison_phone = StringField(
        _l("Liaison's mobile number"),
        validators=[DataRequired(_l("Enter the liaison's mobile number.")), valid_phone],
        description=_l(
            "The liaison follows the unit's reported members. They need a govhub "
            "account; it may be you."
        ),
        **PHONE_KW,
    )
    party_members = IntegerField(
        _l("In-service party members"),
        validators=[
            InputRequired(_l("Enter how many in-service party members the unit has.")),
            NumberRange(0, units.MAX_PARTY_MEMBERS),
        ],
        description=_l("How many party members work at the unit and will report."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    resource_ids = SelectMultipleField(
        _l("Resources offered to the community"), coerce=id_value, validate_choice=False
    )
    category_ids = SelectMultipleField(
        _l("Kinds of need the unit will take on"), coerce=id_value, validate_choice=False
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=units.MAX_NOTE)])

    def fill_choices(self, partner_id: int) -> None:
        self.fill_place_choices()
        self.resource_ids.choices = [
            (r.id, f"{r.title}（{r.remaining}{r.unit_label}）")
            for r in units.offered_resources(partner_id)
        ]
        self.category_ids.choices = [(c.id, c.name) for c in units.categories()]

    def prefill(self, report: UnitReport) -> None:
        """Fill the form from an earlier report (a correction or a renewal)."""
        self.set_place(report.community)
        self.liaison_phone.data = report.liaison.phone
        self.party_members.data = report.party_members
        self.resource_ids.data = [r.id for r in report.resources]
        self.category_ids.data = [c.id for c in report.categories]
        self.note.data = report.note

    def to_input(self) -> units.ReportInput:
        return units.ReportInput(
            community_id=self.community_id.data,
            liaison_phone=self.liaison_phone.data or "",
            party_members=self.party_members.data,
            resource_ids=list(self.resource_ids.data or []),
            category_ids=list(self.category_ids.data or []),
            note=self.note.data or "",
        )


class ReturnForm(BaseForm):
    reason = TextAreaField(
        _l("Reason for returning it"),
        validators=[
            DataRequired(_l("Give a reason; the unit will see it and correct the report.")),
            Length(max=units.MAX_REASON),
        ],
    )
