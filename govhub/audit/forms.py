"""The audit trail's filter: a plain GET form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

from govhub.audit.kinds import Category
from govhub.forms import BaseForm


class TrailForm(BaseForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    category = SelectField(
        _l("What"),
        choices=[SelectChoice("", _l("Everything"))]
        + [SelectChoice(c.value, c.label) for c in Category],
        validate_choice=False,  # an unknown value shows everything (``views.trail``)
    )
    actor = StringField(
        _l("Who (mobile number)"),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 11},
    )
    first = StringField(_l("From"), name="from", render_kw={"type": "date"})
    last = StringField(_l("To"), name="to", render_kw={"type": "date"})
