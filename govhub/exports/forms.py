"""The exports page's form: the area and the period, a plain GET form (the views read the
query string with ``oversight.period.parse``; this form only shows what is in use)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from govhub.orgs.models import OrgUnit
from govhub.oversight.forms import PeriodForm
from govhub.oversight.period import Period


class ExportForm(PeriodForm):
    unit = SelectField(_l("Area"), choices=[])

    @classmethod
    def for_export(
        cls,
        units: list[OrgUnit],
        chosen: OrgUnit,
        period: Period,
        *,
        period_error: str | None = None,
        unit_error: str | None = None,
    ) -> ExportForm:
        """The form showing ``period`` and ``chosen`` among ``units`` (the viewer's
        dashboard units, and the chosen one when it lies below them)."""
        form = cls.showing(period, period_error)
        listed = units if any(u.id == chosen.id for u in units) else [*units, chosen]
        form.unit.choices = [SelectChoice(str(u.id), f"{u.name} · {u.level.label}") for u in listed]
        form.unit.data = str(chosen.id)
        if unit_error:
            form.unit.errors = [unit_error]
        return form
