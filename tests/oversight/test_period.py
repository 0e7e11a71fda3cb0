"""The period of a dashboard or a report, in the URL (govhub/oversight/period.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask import Flask
from flask_babel import Babel

from govhub.oversight.period import Kind, Period, parse, trailing_months

TODAY = date(2026, 12, 2)


@pytest.fixture(autouse=True)
def context():
    """Only what the module needs: a time zone and gettext (English)."""
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Shanghai"
    Babel(app)
    with app.test_request_context():
        yield


@pytest.mark.parametrize(
    ("args", "kind", "first", "last"),
    [
        ({}, Kind.month, date(2026, 12, 1), date(2026, 12, 31)),
        ({"period": "month", "month": "2026-02"}, Kind.month, date(2026, 2, 1), date(2026, 2, 28)),
        ({"period": "month", "month": "2024-02"}, Kind.month, date(2024, 2, 1), date(2024, 2, 29)),
        (
            {"period": "quarter", "quarter": "2026-4"},
            Kind.quarter,
            date(2026, 10, 1),
            date(2026, 12, 31),
        ),
        (
            {"period": "quarter", "quarter": "2026-1"},
            Kind.quarter,
            date(2026, 1, 1),
            date(2026, 3, 31),
        ),
        ({"period": "year", "year": "2025"}, Kind.year, date(2025, 1, 1), date(2025, 12, 31)),
        (
            {"period": "dates", "from": "2026-10-03", "to": "2026-11-15"},
            Kind.dates,
            date(2026, 10, 3),
            date(2026, 11, 15),
        ),
    ],
)
def test_a_period_is_read_from_the_url_and_written_back(args, kind, first, last):
    parsed = parse(args, TODAY)
    assert parsed.error is None
    assert (parsed.period.kind, parsed.period.first, parsed.period.last) == (kind, first, last)
    if args:
        assert parse(parsed.period.args(), TODAY).period == parsed.period
        assert parsed.period.args() == args


@pytest.mark.parametrize(
    "args",
    [
        {"period": "month", "month": "2026-13"},
        {"period": "month", "month": "2026-1"},
        {"period": "month", "month": "２０２６-01"},  # full-width digits
        {"period": "month", "month": "2026-0\x00"},
        {"period": "month", "month": "1999-01"},
        {"period": "month"},
        {"period": "quarter", "quarter": "2026-5"},
        {"period": "quarter", "quarter": "2026-0"},
        {"period": "year", "year": "99999"},
        {"period": "year", "year": "-2026"},
        {"period": "year", "year": "2101"},
        {"period": "dates", "from": "2026-02-30", "to": "2026-03-01"},
        {"period": "dates", "from": "2026-03-02", "to": "2026-03-01"},
        {"period": "dates", "from": "2020-01-01", "to": "2099-12-31"},
        {"period": "dates", "from": "2026-03-01"},
        {"period": "dates", "from": "2026/03/01", "to": "2026-03-02"},
        {"period": "week"},
        {"period": "x" * 10_000},
    ],
)
def test_an_unreadable_period_gives_this_month_and_says_why(args):
    parsed = parse(args, TODAY)
    assert parsed.period == Period.month(TODAY)
    assert parsed.error


def test_months_and_neighbours():
    quarter = Period.quarter(2026, 4)
    assert quarter.months() == [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    assert quarter.shifted(1) == Period.quarter(2027, 1)
    assert quarter.shifted(-4) == Period.quarter(2025, 4)
    assert Period.month(date(2026, 1, 15)).shifted(-1) == Period.month(date(2025, 12, 1))
    assert Period.year(2100).shifted(1) is None
    assert Period.month(date(2020, 1, 1)).shifted(-1) is None
    dates = Period(Kind.dates, date(2026, 11, 1), date(2026, 11, 10))
    assert dates.days == 10
    assert dates.shifted(-1) == Period(Kind.dates, date(2026, 10, 22), date(2026, 10, 31))
    assert trailing_months(date(2026, 3, 31), 4) == [
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]


def test_the_bounds_are_local_days_in_utc():
    start, end = Period.month(date(2026, 11, 1)).bounds
    # Asia/Shanghai is UTC+8: 1 November 00:00 local is 31 October 16:00 UTC.
    assert start == datetime(2026, 10, 31, 16, 0)
    assert end == datetime(2026, 11, 30, 16, 0)


def test_labels():
    assert Period.month(date(2026, 11, 1)).label == "11/2026"
    assert Period.quarter(2026, 4).label == "Q4 2026"
    assert Period.year(2026).label == "Year 2026"
