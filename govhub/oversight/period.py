"""The period a dashboard or a report covers, read from and written to the URL.

A period is one local calendar month, quarter or year (Asia/Shanghai), or a range of
days, in the query string so a view can be bookmarked and sent on:

- ``?period=month&month=2026-11``
- ``?period=quarter&quarter=2026-4``
- ``?period=year&year=2026``
- ``?period=dates&from=2026-10-01&to=2026-11-15``

``parse`` never fails: a missing or unreadable value gives this month, and says why in
``Parsed.error`` (shown beside the period form), so a hostile or stale link is a page,
never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from govhub.clock import local_days

# The years a period may fall in (as the public figures' year selector).
FIRST_YEAR = 2020
LAST_YEAR = 2100
# The longest range of days a ``dates`` period may cover.
MAX_DAYS = 366 * 5


class Kind(StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"
    dates = "dates"


KIND_LABELS = {
    Kind.month: _l("Month"),
    Kind.quarter: _l("Quarter"),
    Kind.year: _l("Year"),
    Kind.dates: _l("Dates"),
}


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: Kind
    first: date  # the first day, inclusive
    last: date  # the last day, inclusive

    @classmethod
    def month(cls, day: date) -> Period:
        first = month_start(day)
        return cls(Kind.month, first, add_months(first, 1) - timedelta(days=1))

    @classmethod
    def quarter(cls, year: int, number: int) -> Period:
        first = date(year, 3 * (number - 1) + 1, 1)
        return cls(Kind.quarter, first, add_months(first, 3) - timedelta(days=1))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(Kind.year, date(year, 1, 1), date(year, 12, 31))

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The period as naive UTC [start, end), for comparing stored moments."""
        return local_days(self.first, self.last)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last

    def months(self) -> list[date]:
        """The first day of each month the period touches, oldest first."""
        months = [month_start(self.first)]
        while add_months(months[-1], 1) <= self.last:
            months.append(add_months(months[-1], 1))
        return months

    def args(self) -> dict[str, str]:
        """The query arguments that name this period (``parse`` reads them back)."""
        match self.kind:
            case Kind.month:
                return {"period": "month", "month": f"{self.first:%Y-%m}"}
            case Kind.quarter:
                return {
                    "period": "quarter",
                    "quarter": f"{self.first.year}-{(self.first.month - 1) // 3 + 1}",
                }
            case Kind.year:
                return {"period": "year", "year": str(self.first.year)}
        return {"period": "dates", "from": self.first.isoformat(), "to": self.last.isoformat()}

    def shifted(self, steps: int) -> Period | None:
        """The period ``steps`` periods later (earlier when negative), of the same kind and
        length; None outside the years a period may fall in."""
        match self.kind:
            case Kind.month:
                moved = Period.month(add_months(self.first, steps))
            case Kind.quarter:
                first = add_months(self.first, 3 * steps)
                moved = Period.quarter(first.year, (first.month - 1) // 3 + 1)
            case Kind.year:
                if not FIRST_YEAR <= self.first.year + steps <= LAST_YEAR:
                    return None
                moved = Period.year(self.first.year + steps)
            case _:
                length = timedelta(days=self.days * steps)
                try:
                    moved = Period(Kind.dates, self.first + length, self.last + length)
                except OverflowError:
                    return None
        if not (moved.first.year >= FIRST_YEAR and moved.last.year <= LAST_YEAR):
            return None
        return moved

    @property
    def label(self) -> str:
        """How the page names the period: 2026年11月, 2026年第4季度, 2026年, or a range."""
        match self.kind:
            case Kind.month:
                return _("%(month)d/%(year)d", year=self.first.year, month=self.first.month)
            case Kind.quarter:
                return _(
                    "Q%(quarter)d %(year)d",
                    year=self.first.year,
                    quarter=(self.first.month - 1) // 3 + 1,
                )
            case Kind.year:
                return _("Year %(year)d", year=self.first.year)
        return _("%(first)s to %(last)s", first=self.first.isoformat(), last=self.last.isoformat())


@dataclass(frozen=True)
class Parsed:
    period: Period
    error: str | None = None  # why the URL's period was not used (translated)


def _number(text: str | None, digits: int) -> int | None:
    """A number of exactly ``digits`` ASCII digits (no sign, no spaces, no other scripts)."""
    if text is None or len(text) != digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def _year(text: str | None) -> int | None:
    year = _number(text, 4)
    return year if year is not None and FIRST_YEAR <= year <= LAST_YEAR else None


def _day(text: str | None) -> date | None:
    if text is None or len(text) != 10 or not text.isascii():
        return None
    year, month, day = _year(text[:4]), _number(text[5:7], 2), _number(text[8:], 2)
    if year is None or month is None or day is None or text[4] != "-" or text[7] != "-":
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse(args, today: date) -> Parsed:
    """The period named by the query arguments ``args`` (a mapping); this month when none
    is named, or when what is named cannot be read (with the reason)."""
    default = Period.month(today)
    kind = args.get("period")
    if kind in (None, ""):
        return Parsed(default)
    match kind:
        case Kind.month:
            text = args.get("month") or ""
            year, month = _year(text[:4]), _number(text[5:], 2)
            if len(text) == 7 and text[4] == "-" and year and month and 1 <= month <= 12:
                return Parsed(Period.month(date(year, month, 1)))
            return Parsed(default, _("Choose a month as 2026-11."))
        case Kind.quarter:
            text = args.get("quarter") or ""
            year, number = _year(text[:4]), _number(text[5:], 1)
            if len(text) == 6 and text[4] == "-" and year and number and 1 <= number <= 4:
                return Parsed(Period.quarter(year, number))
            return Parsed(default, _("Choose a quarter as 2026-4."))
        case Kind.year:
            year = _year(args.get("year"))
            if year:
                return Parsed(Period.year(year))
            return Parsed(
                default,
                _("Choose a year from %(first)d to %(last)d.", first=FIRST_YEAR, last=LAST_YEAR),
            )
        case Kind.dates:
            first, last = _day(args.get("from")), _day(args.get("to"))
            if first is None or last is None:
                return Parsed(default, _("Enter both dates as 2026-11-01."))
            if last < first:
                return Parsed(default, _("The last day is before the first."))
            if (last - first).days + 1 > MAX_DAYS:
                return Parsed(default, _("Choose at most five years."))
            return Parsed(Period(Kind.dates, first, last))
    return Parsed(default, _("Choose a month, a quarter, a year or dates."))


def trailing_months(last: date, count: int = 12) -> list[date]:
    """The first days of the ``count`` months ending with ``last``'s month, oldest first
    (the charts' twelve months)."""
    end = month_start(last)
    return [add_months(end, offset) for offset in range(-count + 1, 1)]
