"""Time: stored as naive UTC, shown and entered in the site's time zone (Asia/Shanghai).

One format for the whole UI, set here and used by the template filters (templating.py)
and by messages: a day is "12月2日 周三" within the current year and "2026年12月2日 周三"
otherwise ("Wed 2 Dec" / "Wed 2 Dec 2026" in English); a moment adds the 24-hour time
("12月2日 周三 19:00"); a span on one day is "12月2日 周三 19:00–21:00", its times kept on
one line.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date, format_datetime, get_locale
from markupsafe import Markup, escape

from govhub.database import utcnow

__all__ = [
    "local_date",
    "local_days",
    "local_month",
    "local_text",
    "show_clock",
    "show_day",
    "show_month",
    "show_span",
    "show_when",
    "local_zone",
    "to_local",
    "to_utc",
    "utcnow",
]


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def to_utc(local: datetime) -> datetime:
    """A naive local wall-clock time → naive UTC."""
    return local.replace(tzinfo=local_zone()).astimezone(UTC).replace(tzinfo=None)


def to_local(stored: datetime) -> datetime:
    """A naive UTC time → naive local wall-clock time."""
    return stored.replace(tzinfo=UTC).astimezone(local_zone()).replace(tzinfo=None)


def local_today() -> date:
    """Today's local date (Asia/Shanghai by default), for a request's reads; services take
    ``now`` instead."""
    return local_date(utcnow())


def local_date(stored: datetime) -> date:
    """The local calendar day of a stored (naive UTC) moment."""
    return to_local(stored).date()


def local_days(first: date, last: date) -> tuple[datetime, datetime]:
    """The local days ``first`` to ``last`` (inclusive) as naive UTC [start, end)."""
    return (
        to_utc(datetime.combine(first, time.min)),
        to_utc(datetime.combine(last + timedelta(days=1), time.min)),
    )


def local_month(day: date) -> tuple[datetime, datetime]:
    """The local calendar month containing ``day``, as naive UTC [start, end)."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return local_days(first, following - timedelta(days=1))


# (a day of the current year, a day of another year), by language.
_DAY_PATTERNS = {
    "zh": ("M月d日 EEE", "y年M月d日 EEE"),
    "en": ("EEE d MMM", "EEE d MMM y"),
}


def _day_pattern(year: int) -> str:
    locale = get_locale()
    near, far = _DAY_PATTERNS.get(locale.language if locale else "zh", _DAY_PATTERNS["en"])
    return near if year == to_local(utcnow()).year else far


def show_day(value: date | datetime | str) -> str:
    """The day of a stored moment, a calendar date or an ISO date kept in a snapshot
    (a service record's lines): "12月2日 周三"."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        return format_datetime(value, _day_pattern(to_local(value).year))
    return format_date(value, _day_pattern(value.year))


def show_month(value: date) -> str:
    """A calendar month: "2026年12月" / "December 2026"."""
    locale = get_locale()
    return format_date(value, "y年M月" if locale and locale.language == "zh" else "MMMM y")


def show_clock(moment: datetime) -> str:
    """The local time of day of a stored moment, 24-hour: "19:00"."""
    return format_datetime(moment, "HH:mm")


def show_when(moment: datetime) -> str:
    """A stored moment, day and time: "12月2日 周三 19:00"."""
    return f"{show_day(moment)} {show_clock(moment)}"


def show_span(start: datetime, end: datetime) -> Markup:
    """From ``start`` to ``end``: "12月2日 周三 19:00–21:00" on one day, else both moments.

    The times sit in a ``nowrap`` span, so "19:00–21:00" never breaks across lines.
    """
    if to_local(start).date() == to_local(end).date():
        times = f"{show_clock(start)}–{show_clock(end)}"
        return Markup('{} <span class="nowrap">{}</span>').format(show_day(start), times)
    return Markup('<span class="nowrap">{}</span> – <span class="nowrap">{}</span>').format(
        escape(show_when(start)), escape(show_when(end))
    )


def local_text(moment: datetime) -> str:
    """A stored time as the reader sees it, for messages (e.g. 11月24日 周二 19:00)."""
    return show_when(moment)
