"""Forms of 在职党员报到: the member's report, the community's decision."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SearchField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from govhub.forms import BaseForm, optional_int, parse_int
from govhub.reporting.members import MAX_EMPLOYER, MAX_REASON

# The employer choice "my unit is not on the list": the typed name is used.
NOT_LISTED = 0


def employer_value(value) -> int | None:
    """``coerce`` of the employer radio: a unit's id, ``NOT_LISTED`` (0), or None (no
    choice, or anything that is not a number)."""
    if value in (None, ""):
        return None
    return parse_int(value, lo=0)


class MemberReportForm(BaseForm):
    q = SearchField(
        _l("Find your employer"),
        validators=[Optional(), Length(max=40)],
        description=_l("Type part of its name, for example 税务."),
    )
    # Choices are the units the search finds; the service checks the one chosen.
    partner_id = RadioField(_l("Your employer"), coerce=employer_value, validate_choice=False)
    employer_name = StringField(
        _l("Name of your employer, if it is not on the list"),
        validators=[Optional(), Length(max=MAX_EMPLOYER)],
        description=_l("Its liaison can link your report to the unit once it reports."),
    )

    def chosen_partner_id(self) -> int | None:
        """The unit chosen, or None for a typed name."""
        value = self.partner_id.data
        return value if value not in (None, NOT_LISTED) else None


class ConfirmForm(BaseForm):
    # The service checks that the grid is one of the community's (and that there is one).
    grid_id = SelectField(
        _l("Grid the member serves in (下沉网格)"), coerce=optional_int, validate_choice=False
    )


class ReturnForm(BaseForm):
    reason = TextAreaField(
        _l("Reason for returning it"),
        validators=[
            DataRequired(_l("Give a reason; the member will see it.")),
            Length(max=MAX_REASON),
        ],
    )


class ActionForm(BaseForm):
    """A button with CSRF protection only (withdraw, say no to a claim, claim)."""
