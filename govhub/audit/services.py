from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from govhub.audit.models import AuditEvent
from govhub.extensions import db
from govhub.pagination import PAGE_SIZE, Cursor, KeysetPage, keyset_page
from govhub.references import RefType


def record(
    actor_id: int | None,
    action: str,
    target_type: RefType,
    target_id: int | None,
    *,
    reason: str | None = None,
    **data,
) -> AuditEvent:
    """Add an audit event to the current transaction (call it from inside a service)."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        target_type=str(target_type),
        target_id=target_id,
        reason=reason,
        data=data,
    )
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


def recent(
    *, cursor: Cursor | None = None, action: str | None = None, limit: int = PAGE_SIZE
) -> KeysetPage[AuditEvent]:
    """A page of the events, newest first (``cursor`` pages back and forth)."""
    query = select(AuditEvent).options(joinedload(AuditEvent.actor))
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    return keyset_page(query, [AuditEvent.id], cursor, descending=True, limit=limit)
