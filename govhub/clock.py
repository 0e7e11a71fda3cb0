"""Time: stored as naive UTC, shown and entered in the site's time zone (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_datetime

from govhub.database import utcnow

__all__ = [
    "local_date",
    "local_days",
    "local_month",
    "local_text",
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


def local_text(moment: datetime) -> str:
    """A stored time as the reader sees it, for messages (e.g. 11月24日 19:00)."""
    return format_datetime(moment, "short")
