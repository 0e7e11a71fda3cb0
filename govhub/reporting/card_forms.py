"""Forms of the service cards and the figures: which quarter, which year."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import InputRequired

from govhub.forms import BaseForm, int_in
from govhub.reporting import figures

QUARTERS = [
    (1, _l("Q1 (Jan–Mar)")),
    (2, _l("Q2 (Apr–Jun)")),
    (3, _l("Q3 (Jul–Sep)")),
    (4, _l("Q4 (Oct–Dec)")),
]


def _year_choices(today: date) -> list[tuple[int, str]]:
    return [(year, str(year)) for year in figures.years(today)]


# Both lists always have a value chosen, so the selects are not rendered ``required``:
# HTML wants a required select to start with an empty placeholder option, which these
# lists do not need. InputRequired still refuses a request that leaves the field out.
NOT_REQUIRED_IN_HTML = {"required": False}


class QuarterForm(BaseForm):
    """The quarter whose cards a community admin issues."""

    year = SelectField(
        _l("Year"),
        coerce=int_in(figures.FIRST_YEAR, 2099),
        validators=[InputRequired(_l("Choose a year."))],
        render_kw=NOT_REQUIRED_IN_HTML,
    )
    quarter = SelectField(
        _l("Quarter"),
        coerce=int_in(1, 4),
        choices=QUARTERS,
        validators=[InputRequired(_l("Choose a quarter."))],
        render_kw=NOT_REQUIRED_IN_HTML,
    )

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.year.choices = _year_choices(today)


class YearFilter(BaseForm):
    class Meta:
        csrf = False

    year = SelectField(_l("Year"), coerce=int_in(figures.FIRST_YEAR, 2099))

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.year.choices = _year_choices(today)
