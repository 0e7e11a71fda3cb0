"""Time: stored as naive UTC, shown and entered in the site's time zone (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from govhub.database import utcnow

__all__ = ["local_zone", "to_local", "to_utc", "utcnow"]


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def to_utc(local: datetime) -> datetime:
    """A naive local wall-clock time → naive UTC."""
    return local.replace(tzinfo=local_zone()).astimezone(UTC).replace(tzinfo=None)


def to_local(stored: datetime) -> datetime:
    """A naive UTC time → naive local wall-clock time."""
    return stored.replace(tzinfo=UTC).astimezone(local_zone()).replace(tzinfo=None)
