from __future__ import annotations

from govhub.audit.models import AuditEvent
from govhub.extensions import db


def record(
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: int | None,
    *,
    reason: str | None = None,
    **data,
) -> AuditEvent:
    """Add an audit event to the current transaction (call it from inside a service)."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        data=data,
    )
    db.session.add(event)
    return event
