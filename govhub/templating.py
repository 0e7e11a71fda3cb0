"""App-wide Jinja filters for what many domains' pages show.

``when``, ``day``, ``month``, ``clock`` and the global ``timespan(start, end)``: the one date and
time format of the UI, defined in clock.py.

``hours``: service time is stored in minutes and shown as hours with ONE decimal, the
trailing zero dropped, rounded half up: 60 → "1 h", 80 → "1.3 h", 90 → "1.5 h",
6000 → "100 h". A non-zero time under three minutes (which would round to
0) shows as "<0.1 h", so a minute served is never shown as nothing. ``unit=False``
gives the number alone, for a column or sentence that names the unit itself.

``hours_minutes``: service time as hours and minutes, for a row that shows one
attendance: 90 → "1小时30分钟" / "1 h 30 min", 60 → "1小时", 45 → "45分钟", 0 → "0分钟".

``hours_input``: the value of an hours field the user may edit and send back. It keeps
two decimals, enough for every whole number of minutes to come back unchanged
(``round(float(value) * 60)`` in the view), where one decimal would change 80 minutes
into 78 and look like an edit.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask import Flask
from flask_babel import format_decimal
from flask_babel import gettext as _

from govhub.clock import show_clock, show_day, show_month, show_span, show_when


def _rounded(minutes: int | float | None, places: str) -> Decimal:
    return (Decimal(minutes or 0) / 60).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def format_hours(minutes: int | float | None, unit: bool = True) -> str:
    """Minutes as hours for reading: one decimal at most, e.g. "1.3 小时" / "1.3 h"."""
    value = _rounded(minutes, "0.1")
    number = format_decimal(value, format="#,##0.#")
    if value == 0 and minutes:
        number = "<" + format_decimal(Decimal("0.1"), format="#,##0.#")
    return _("%(hours)s h", hours=number) if unit else number


def hours_minutes(minutes: int | float | None) -> str:
    """Minutes as whole hours and minutes: "1小时30分钟" / "1 h 30 min"."""
    hours, rest = divmod(round(minutes or 0), 60)
    if hours and rest:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=rest)
    if hours:
        return _("%(hours)d h", hours=hours)
    return _("%(minutes)d min", minutes=rest)


def hours_input(minutes: int | float | None) -> str:
    """Minutes as the value of an editable hours field: "1.33" for 80, "1.5" for 90."""
    return format(_rounded(minutes, "0.01").normalize(), "f")


def phone_of(person, community) -> str:
    """``person``'s phone as the viewer may see it on ``community``'s admin pages: whole
    for its community admins, masked for oversight admins (``permissions.sees_phones``)."""
    from flask_login import current_user

    from govhub import permissions

    if permissions.sees_phones(current_user, community):
        return person.phone
    return person.masked_phone


def can(action: str, obj=None) -> bool:
    """``permissions.can`` for the current user: templates show a control only when the
    action behind it is allowed (the view checks it again)."""
    from flask_login import current_user

    from govhub import permissions

    return permissions.can(current_user, action, obj)


def init_app(app: Flask) -> None:
    app.add_template_global(phone_of, "phone_of")
    app.add_template_global(can, "can")
    app.add_template_filter(show_when, "when")
    app.add_template_filter(show_day, "day")
    app.add_template_filter(show_clock, "clock")
    app.add_template_filter(show_month, "month")
    app.add_template_global(show_span, "timespan")
    app.add_template_filter(format_hours, "hours")
    app.add_template_filter(hours_minutes, "hours_minutes")
    app.add_template_filter(hours_input, "hours_input")
