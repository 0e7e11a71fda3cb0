"""The form of 一键认领: a unit holds places of a shift for its members."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import InputRequired, NumberRange

from govhub.forms import BaseForm, IntegerField, id_value
from govhub.needs.models import Shift, UnitHold
from govhub.partners.models import Partner


class HoldForm(BaseForm):
    """One per shift on the need page (prefix ``hold-<shift id>``, so the ids differ)."""

    partner_id = SelectField(_l("For the unit"), coerce=id_value, validate_choice=True)
    places = IntegerField(
        _l("Places held for our members, in total"),
        validators=[
            InputRequired(_l("Enter a number of places.")),
            NumberRange(min=1, max=Shift.MAX_CAPACITY),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


def hold_form(shift: Shift, units: list[Partner], holds: list[UnitHold], formdata=None) -> HoldForm:
    """The hold form of ``shift`` for the ``units`` the viewer holds for. Unsubmitted, it
    offers the unit's current total plus one, within the places left."""
    form = HoldForm(formdata=formdata, prefix=f"hold-{shift.id}")
    form.partner_id.choices = [(unit.id, unit.name) for unit in units]
    if formdata is None and units:
        form.partner_id.data = units[0].id
        current = next((h.places for h in holds if h.partner_id == units[0].id), 0)
        form.places.data = min(current + 1, current + shift.places_left) or 1
    return form
