from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from govhub.forms import BaseForm, optional_int
from govhub.orgs import services
from govhub.orgs.models import OrgLevel


class PlaceFields:
    """The cascading district → street → community → grid selects.

    Each level's options are the children of the level above; a value that no longer
    fits (the district changed) is cleared. ``fill_place_choices`` sets the options from
    the submitted values; the same code serves the htmx fragment and the full form.
    """

    district_id = SelectField(_l("District"), coerce=optional_int, validate_choice=False)
    street_id = SelectField(_l("Street"), coerce=optional_int, validate_choice=False)
    community_id = SelectField(
        _l("Community"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose your community."))],
    )
    grid_id = SelectField(
        _l("Grid"),
        coerce=optional_int,
        validate_choice=False,
        description=_l("Your grid or residential compound."),
    )

    PLACE_LEVELS = (
        ("district_id", OrgLevel.district),
        ("street_id", OrgLevel.street),
        ("community_id", OrgLevel.community),
        ("grid_id", OrgLevel.grid),
    )

    def fill_place_choices(self) -> None:
        parent = None
        for name, level in self.PLACE_LEVELS:
            field = getattr(self, name)
            if name == "district_id":
                options = services.units_at_level(OrgLevel.district)
            else:
                options = services.children(parent.id, level) if parent is not None else []
            by_id = {unit.id: unit for unit in options}
            if field.data not in by_id:
                field.data = None
            placeholder = (
                _l("Choose…")
                if options or name == "district_id"
                else _l("Choose the level above first")
            )
            if name == "grid_id" and parent is not None and not options:
                placeholder = _l("This community has no grids")
            field.choices = [("", placeholder)] + [(unit.id, unit.name) for unit in options]
            parent = by_id.get(field.data)

    def set_place(self, unit) -> None:
        """Preselect the selects for a saved home (a community or grid unit)."""
        chain = services.ancestors(unit) + [unit]
        for name, level in self.PLACE_LEVELS:
            match = next((u for u in chain if u.level is level), None)
            getattr(self, name).data = match.id if match else None


class PlaceForm(PlaceFields, BaseForm):
    """Used to render the selects alone (the htmx fragment)."""

    class Meta:
        csrf = False


class UnitForm(BaseForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=services.MAX_CODE)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=services.MAX_NAME)])
    parent_id = SelectField(
        _l("Parent"), coerce=optional_int, validate_choice=False, validators=[Optional()]
    )


class ImportForm(BaseForm):
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(_l("Choose a CSV file.")),
            FileAllowed(["csv", "txt"], _l("Choose a .csv file.")),
        ],
        description=_l(
            "Columns: code, name, level (city, district, street, community, grid), "
            "parent_code. UTF-8 or GB18030."
        ),
    )
