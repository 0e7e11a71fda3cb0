"""The counted part of a dashboard, kept a few minutes for the areas that cost seconds.

A street's, a district's or the city's dashboard counts a whole area's year of hours and
points (``figures.py``): seconds of work at city scale, the same for every viewer. That
work is done once per ``DASHBOARD_CACHE_SECONDS`` (default 10 minutes) per unit and
period and kept in the app's cache (Flask-Caching: a file cache shared by one server's
workers, or Redis shared by several servers); the page says when it was counted. A
community's and a grid's dashboards are counted on every view: they cost milliseconds,
and the people who run the community act on them.

What is kept is plain data (numbers, ids, dates): org units and categories are read per
view, so names are current and shown in the viewer's language. The cache key holds the
figures' field names, so a release that changes them never reads an older entry.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, fields
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select

from govhub.database import utcnow
from govhub.extensions import cache, db
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.oversight import figures as fig
from govhub.oversight.charts import MONTHS
from govhub.oversight.period import Period, trailing_months

# The levels whose dashboards are kept: above a community.
KEPT_LEVELS = frozenset({OrgLevel.city, OrgLevel.district, OrgLevel.street})
# How long a view waits for another worker counting the same dashboard, and how often
# it looks.
WAIT_SECONDS = 30
POLL_SECONDS = 0.2


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
    """The dashboard's counts: from the cache when an area above a community was counted
    in the last ``DASHBOARD_CACHE_SECONDS``, else counted now (and kept, for those).

    One worker counts a dashboard at a time: the first to miss it takes a short-lived
    mark in the cache (``add``: set only if absent) and counts; the others wait for its
    result, up to ``WAIT_SECONDS``, instead of counting the same area at once (the city
    costs seconds of CPU). A mark left by a worker that died ends with its timeout; a
    waiter that sees nothing in time counts itself."""
    if not is_kept(unit):
        return count(unit, period)
    name = key(unit, period)
    kept = cache.get(name)
    if isinstance(kept, Snapshot):
        return kept
    mark = f"{name}:counting"
    if not cache.add(mark, True, timeout=math.ceil(WAIT_SECONDS)):
        kept = _wait_for(name)
        if kept is not None:
            return kept
    try:
        return _keep(unit, period)
    finally:
        cache.delete(mark)


def _wait_for(name: str) -> Snapshot | None:
    """What another worker is counting, once it is kept (None if not within the wait)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        kept = cache.get(name)
        if isinstance(kept, Snapshot):
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
    snapshot = count(unit, period)
    seconds = current_app.config["DASHBOARD_CACHE_SECONDS"]
    cache.set(key(unit, period), snapshot, timeout=seconds)
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
    "Snapshot",
    "count",
    "dashboard",
    "is_kept",
    "key",
    "refresh",
    "refresh_busiest",
    "rows_of",
]
