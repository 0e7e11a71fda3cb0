from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from govhub.audit.kinds import Category
from govhub.audit.models import AuditEvent
from govhub.audit.scopes import unit_of
from govhub.extensions import db
from govhub.orgs.models import OrgUnit
from govhub.pagination import PAGE_SIZE, Cursor, KeysetPage, keyset_page
from govhub.references import RefType


class _FromTarget:
    """``record``'s default ``unit_id``: the unit of the event's target."""


FROM_TARGET = _FromTarget()


def record(
    actor_id: int | None,
    action: str,
    target_type: RefType,
    target_id: int | None,
    *,
    reason: str | None = None,
    unit_id: int | None | _FromTarget = FROM_TARGET,
    at: datetime | None = None,
    **data,
) -> AuditEvent:
    """Add an audit event to the current transaction (call it from inside a service).

    ``unit_id`` is the org unit whose admins read the event (None: system admins only);
    by default the target's (``audit.scopes.unit_of``: an attendance's community, a
    voucher's partner's, a volunteer's home). ``at`` is when it happened (the service's
    ``now``; the wall clock when not given)."""
    if isinstance(unit_id, _FromTarget):
        unit_id = unit_of(str(target_type), target_id)
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        target_type=str(target_type),
        target_id=target_id,
        reason=reason,
        data=data,
        org_unit_id=unit_id,
    )
    if at is not None:
        event.created_at = at
    db.session.add(event)
    return event


def events_for(target_type: RefType, target_ids: list[int], actions: tuple[str, ...] = ()) -> dict:
    """Audit events of several targets at once, oldest first, by target id."""
    if not target_ids:
        return {}
    query = (
        select(AuditEvent)
        .where(AuditEvent.target_type == target_type, AuditEvent.target_id.in_(target_ids))
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.id)
    )
    if actions:
        query = query.where(AuditEvent.action.in_(actions))
    found: dict[int, list[AuditEvent]] = {}
    for event in db.session.scalars(query):
        assert event.target_id is not None  # the query asked for these ids
        found.setdefault(event.target_id, []).append(event)
    return found


@dataclass(frozen=True)
class TrailFilter:
    """What the trail shows: ``scope`` is an SQL condition on ``OrgUnit`` (the subtree the
    reader may read; None for a system admin, who reads every event, those of no unit
    too), narrowed to the subtree of ``unit``, the events of ``category``, by ``actor_id``,
    in [``start``, ``end``) (naive UTC).
    ``action`` is a prefix of the actions' codes (the URL's ``?action=``, for who knows them)."""

    scope: Any = None
    unit: OrgUnit | None = None
    category: Category | None = None
    action: str | None = None  # a prefix of the action's code ("points.", "attendance.")
    actor_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None


def _trail_query(which: TrailFilter) -> Select:
    query = select(AuditEvent)
    if which.scope is not None or which.unit is not None:
        query = query.join(OrgUnit, OrgUnit.id == AuditEvent.org_unit_id)
    if which.scope is not None:
        query = query.where(which.scope)
    if which.unit is not None:
        query = query.where(OrgUnit.subtree_clause(which.unit.path))
    if which.category is not None:
        prefixes = which.category.prefixes
        query = query.where(
            or_(*(AuditEvent.action.startswith(p, autoescape=True) for p in prefixes))
        )
    if which.action:
        query = query.where(AuditEvent.action.startswith(which.action, autoescape=True))
    if which.actor_id is not None:
        query = query.where(AuditEvent.actor_id == which.actor_id)
    if which.start is not None:
        query = query.where(AuditEvent.created_at >= which.start)
    if which.end is not None:
        query = query.where(AuditEvent.created_at < which.end)
    return query


def trail(
    which: TrailFilter, *, cursor: Cursor | None = None, limit: int = PAGE_SIZE
) -> KeysetPage[AuditEvent]:
    """A page of the trail, newest first (``cursor`` pages back and forth)."""
    query = _trail_query(which).options(
        joinedload(AuditEvent.actor), joinedload(AuditEvent.org_unit)
    )
    return keyset_page(query, [AuditEvent.id], cursor, descending=True, limit=limit)


def trail_rows(which: TrailFilter, *, batch: int = 1000) -> Iterator[AuditEvent]:
    """Every event of the trail, newest first, read ``batch`` rows at a time (exports)."""
    query = (
        _trail_query(which)
        .options(joinedload(AuditEvent.actor), joinedload(AuditEvent.org_unit))
        .order_by(AuditEvent.id.desc())
        .execution_options(yield_per=batch)
    )
    yield from db.session.scalars(query)
