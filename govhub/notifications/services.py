"""Writing and reading notifications. ``notify`` joins the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from govhub.database import insert_ignoring_conflict, transactional, utcnow
from govhub.extensions import db
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.models import Notification
from govhub.pagination import Cursor, KeysetPage, keyset_page
from govhub.references import RefType

PAGE_SIZE = 30


def notify(
    user_id: int, kind: NotificationKind, target_type: RefType, target_id: int, **params
) -> Notification:
    """Add a notification to the current transaction: it exists if and only if the event does.

    ``kind`` must be a ``NotificationKind`` and ``target_type`` a ``RefType`` (a
    ValueError otherwise), so every stored kind has a message and every target a link."""
    notification = Notification(
        user_id=user_id,
        kind=NotificationKind(kind).value,
        target_type=RefType(target_type).value,
        target_id=target_id,
        params=params,
    )
    db.session.add(notification)
    return notification


def notify_once(
    key: str,
    user_id: int,
    kind: NotificationKind,
    target_type: RefType,
    target_id: int,
    *,
    now: datetime | None = None,
    **params,
) -> bool:
    """Like ``notify``, but only the first call with ``key`` writes (for jobs); True if it
    did. ``now`` stamps it (the job's clock; the wall clock when not given)."""
    return bool(
        insert_ignoring_conflict(
            Notification,
            {
                "user_id": user_id,
                "kind": NotificationKind(kind).value,
                "target_type": RefType(target_type).value,
                "target_id": target_id,
                "params": params,
                "dedupe_key": key,
                "created_at": now or utcnow(),
            },
            "dedupe_key",
        )
    )


def unread_count(user_id: int) -> int:
    query = select(func.count()).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return db.session.scalar(query) or 0


def recent(
    user_id: int, cursor: Cursor | None = None, limit: int = PAGE_SIZE
) -> KeysetPage[Notification]:
    """A page of the user's notifications, newest first."""
    query = select(Notification).where(Notification.user_id == user_id)
    return keyset_page(query, [Notification.id], cursor, descending=True, limit=limit)


@transactional
def mark_read(user_id: int, notification_id: int) -> Notification | None:
    """Mark one of the user's notifications read; None if it is not theirs."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        return None
    if notification.read_at is None:
        notification.read_at = utcnow()
    return notification


@transactional
def mark_all_read(user_id: int) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
