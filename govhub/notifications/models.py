"""In-app notifications: stored, never lost, written in the event's own transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from govhub.database import utcnow
from govhub.extensions import Model


class Notification(Model):
    """What happened (``kind`` + ``params``) and to what (``target_type``/``target_id``).

    The text is rendered when shown, in the reader's language at that time.
    """

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int]
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # For notifications a job may try to send twice (reminders): sent once per key.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
