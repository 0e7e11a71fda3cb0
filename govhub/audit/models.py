"""The audit trail: who did what, to what, when and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.database import utcnow
from govhub.extensions import Model


class AuditEvent(Model):
    """Append-only. Written by services in the same transaction as the change."""

    __tablename__ = "audit_event"
    __append_only__ = True  # govhub.database._keep_append_only
    # The trail of a subtree, newest first (``audit.services.trail``).
    __table_args__ = (Index("ix_audit_event_unit", "org_unit_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(String(500))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # Where it happened (``audit.scopes``): the community, street, … whose admins read it;
    # None for what only system admins read (skills, the org tree's roots).
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="SET NULL"))

    actor = relationship("User")
    org_unit = relationship("OrgUnit")
