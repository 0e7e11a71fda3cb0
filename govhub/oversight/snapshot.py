"""The counted part of a dashboard, kept for the areas that cost seconds.

A street's, a district's or the city's dashboard counts a whole area's year of hours and
points (``figures.py``): seconds of work at city scale, the same for every viewer. That
work is kept in the app's cache (Flask-Caching: a file cache shared by one server's
workers, or Redis shared by several servers), per unit and period, for ``KEEP_SECONDS``
(a day); the page says when it was counted. A community's and a grid's dashboards are
counted on every view: they cost milliseconds, and the people who run the community act
on them.

A kept snapshot younger than ``DASHBOARD_CACHE_SECONDS`` (default 10 minutes, by its
``counted_at``) is fresh: it is shown as it is. An older one is counted again
(stale-while-revalidate): the first view to find it old takes a mark in the cache
(``add``: set only if absent, for ``MARK_SECONDS``), counts anew and keeps the result;
every other view meanwhile shows the older snapshot at once, with its time, and holds
no worker waiting. Only when nothing is kept at all (a cold start, or an entry of
another release) does a view that finds the mark taken wait for it, at most
``COLD_WAIT_SECONDS``, and then count itself. A mark left by a worker that died ends with
its timeout.

A cache that cannot be reached (Redis down) is not an error for the viewer: the
dashboard is counted now, as a community's is, and a warning is logged.

What is kept is plain data (numbers, ids, dates): org units and categories are read per
view, so names are current and shown in the viewer's language. The cache key holds the
figures' field names, so a release that changes them never reads an older entry.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select

from govhub.database import utcnow
from govhub.extensions import cache, db
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.oversight import figures as fig
from govhub.oversight.charts import MONTHS
from govhub.oversight.period import Period, trailing_months

# The levels whose dashboards are kept: above a community.
KEPT_LEVELS = frozenset({OrgLevel.city, OrgLevel.district, OrgLevel.street})
# How long a counted snapshot stays in the cache: far beyond DASHBOARD_CACHE_SECONDS, so
# an older one can be shown while it is counted again.
KEEP_SECONDS = 24 * 60 * 60
# How long the mark of a worker counting a dashboard lasts, should it die counting.
MARK_SECONDS = 30
# How long a view waits for another worker's count when nothing is kept yet, and how often
# it looks; then it counts itself.
COLD_WAIT_SECONDS = 3
POLL_SECONDS = 0.2

logger = logging.getLogger(__name__)


class CacheUnreachable(Exception):
    """The cache raised (e.g. Redis down): the dashboard is counted without it."""


@dataclass
class Snapshot:
    counted_at: datetime  # UTC
    figures: fig.Figures
    rows: list[tuple[int | None, fig.Figures]]  # child unit id (None: in no grid)
    months: list[fig.Month]
    categories: dict[int, int]  # category id → needs posted


def _shape() -> str:
    """The figures' field names, hashed: part of every key."""
    names = [f.name for cls in (Snapshot, fig.Figures, fig.Month) for f in fields(cls)]
    return hashlib.sha1(",".join(names).encode(), usedforsecurity=False).hexdigest()[:12]


SHAPE = _shape()


def is_kept(unit: OrgUnit) -> bool:
    """Whether ``unit``'s dashboard is kept (and its page says when it was counted)."""
    return unit.level in KEPT_LEVELS


def key(unit: OrgUnit, period: Period) -> str:
    return f"oversight:{SHAPE}:{unit.id}:{period.first.isoformat()}:{period.last.isoformat()}"


def count(unit: OrgUnit, period: Period, *, today: date | None = None) -> Snapshot:
    """Everything the dashboard counts for ``unit`` and ``period``, counted now."""
    found = fig.collect(unit, period, today=today)
    return Snapshot(
        counted_at=utcnow(),
        figures=found.total,
        rows=[(row.unit.id if row.unit else None, row.figures) for row in found.rows],
        months=fig.monthly(unit, trailing_months(period.last, MONTHS)),
        categories=fig.category_counts(unit, period),
    )


def dashboard(unit: OrgUnit, period: Period) -> Snapshot:
    """The dashboard's counts: for an area above a community, the kept snapshot while it
    is fresh (or while another worker counts it again), else counted now and kept; for
    the others, counted now. See the module's docstring."""
    if not is_kept(unit):
        return count(unit, period)
    name = key(unit, period)
    try:
        kept = _kept(name)
        if kept is not None and _fresh(kept):
            return kept
        mark = f"{name}:counting"
        if _cache(cache.add, mark, True, timeout=MARK_SECONDS):
            try:
                return _keep(unit, period)
            finally:
                with suppress(CacheUnreachable):
                    _cache(cache.delete, mark)
        if kept is not None:  # being counted again elsewhere: the older one, at once
            return kept
        return _wait_for(name) or _keep(unit, period)
    except CacheUnreachable:
        return count(unit, period)


def _cache(operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``operation`` (a method of ``cache``) called with the arguments; a failure to reach
    the cache (Flask-Caching's RedisCache lets redis' ConnectionError and TimeoutError
    through from get, add, set and delete; the file cache, an OSError) is logged and
    raised again as ``CacheUnreachable``."""
    try:
        return operation(*args, **kwargs)
    except (OSError, RedisError) as error:
        logger.warning("The dashboards' cache cannot be reached (%s): counting now.", error)
        raise CacheUnreachable from error


def _kept(name: str) -> Snapshot | None:
    kept = _cache(cache.get, name)
    return kept if isinstance(kept, Snapshot) else None


def _fresh(snapshot: Snapshot) -> bool:
    seconds = current_app.config["DASHBOARD_CACHE_SECONDS"]
    return utcnow() - snapshot.counted_at < timedelta(seconds=seconds)


def _wait_for(name: str) -> Snapshot | None:
    """What another worker is counting, once it is kept (None if not within
    ``COLD_WAIT_SECONDS``)."""
    deadline = time.monotonic() + COLD_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        kept = _kept(name)
        if kept is not None:
            return kept
    return None


def refresh(units: list[OrgUnit], period: Period) -> int:
    """Count the dashboards of ``units`` for ``period`` again and keep them (the scheduled
    job keeps the busiest ones warm). Returns how many were counted."""
    for unit in units:
        _keep(unit, period)
    return len(units)


def refresh_busiest(today: date) -> int:
    """``refresh`` the city's and the districts' dashboards for the month of ``today``."""
    units = db.session.scalars(
        select(OrgUnit)
        .where(OrgUnit.level.in_([OrgLevel.city, OrgLevel.district]))
        .order_by(OrgUnit.code)
    ).all()
    return refresh(list(units), Period.month(today))


def _keep(unit: OrgUnit, period: Period) -> Snapshot:
    """Count now and keep the result (fresh for ``DASHBOARD_CACHE_SECONDS``, in the cache
    for ``KEEP_SECONDS``). A cache that fails to keep it loses nothing counted."""
    snapshot = count(unit, period)
    timeout = max(KEEP_SECONDS, current_app.config["DASHBOARD_CACHE_SECONDS"])
    with suppress(CacheUnreachable):
        _cache(cache.set, key(unit, period), snapshot, timeout=timeout)
    return snapshot


def rows_of(unit: OrgUnit, snapshot: Snapshot) -> list[fig.Row]:
    """The snapshot's breakdown with the child units read now (one statement)."""
    children = {child.id: child for child in fig.children_of(unit)}
    return [
        fig.Row(children[unit_id] if unit_id is not None else None, figures)
        for unit_id, figures in snapshot.rows
        if unit_id is None or unit_id in children
    ]


__all__ = [
    "KEPT_LEVELS",
    "CacheUnreachable",
    "Snapshot",
    "count",
    "dashboard",
    "is_kept",
    "key",
    "refresh",
    "refresh_busiest",
    "rows_of",
]
