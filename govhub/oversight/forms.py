"""The dashboard's period form: a plain GET form (``govhub/oversight/period.py`` reads
the query string; this form only renders it, showing the period in use)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

from govhub.forms import BaseForm
from govhub.oversight.period import KIND_LABELS, Period


class PeriodForm(BaseForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    period = SelectField(
        _l("Period"), choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()]
    )
    month = StringField(_l("Month"), render_kw={"type": "month"})
    quarter = StringField(
        _l("Quarter"), render_kw={"placeholder": "2026-4", "inputmode": "numeric"}
    )
    year = StringField(_l("Year"), render_kw={"inputmode": "numeric", "placeholder": "2026"})
    first = StringField(_l("First day"), name="from", render_kw={"type": "date"})
    last = StringField(_l("Last day"), name="to", render_kw={"type": "date"})

    @classmethod
    def showing(cls, period: Period, error: str | None = None) -> PeriodForm:
        """The form with ``period``'s values (every kind's input starts at the period's
        first day), and ``error`` beside the kind."""
        form = cls(formdata=None)
        form.period.data = period.kind.value
        form.month.data = f"{period.first:%Y-%m}"
        form.quarter.data = f"{period.first.year}-{(period.first.month - 1) // 3 + 1}"
        form.year.data = str(period.first.year)
        form.first.data = period.first.isoformat()
        form.last.data = period.last.isoformat()
        if error:
            form.period.errors = [error]
        return form
