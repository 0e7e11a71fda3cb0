"""Data for the needs tests: a category, needs with shifts around a fixed clock, reads."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from govhub.extensions import db
from govhub.needs import posting
from govhub.needs.models import Category, Claim, Need, Shift
from govhub.notifications.models import Notification
from tests.factories import make_admin, make_tree

# 10:00 in Shanghai; every service gets this (or a time derived from it) as ``now``.
NOW = datetime(2026, 12, 1, 2, 0)


def make_category(code: str = "elderly", name_zh: str = "助老服务", name_en: str = "Elderly care"):
    category = Category(code=code, name_zh=name_zh, name_en=name_en)
    db.session.add(category)
    db.session.commit()
    return category


def world() -> SimpleNamespace:
    """The org tree, a community admin of community A and one category."""
    tree = make_tree()
    return SimpleNamespace(tree=tree, admin=make_admin(tree), category=make_category())


def need_input(category_id: int | None, **overrides) -> posting.NeedInput:
    fields = {
        "title": "陪伴独居老人",
        "description": "聊天，帮忙买菜。",
        "category_id": category_id,
        "place": "社区服务中心",
        "contact_name": "王主任",
        "contact_phone": "13812345678",
        **overrides,
    }
    return posting.NeedInput(**fields)


def at(hours: float, length: float = 2, capacity: int = 2, **kwargs) -> posting.ShiftInput:
    """A shift starting ``hours`` after NOW and lasting ``length`` hours."""
    start = NOW + timedelta(hours=hours)
    return posting.ShiftInput(start, start + timedelta(hours=length), capacity, **kwargs)


def same(shift: Shift, **changes) -> posting.ShiftInput:
    """An existing shift as the editor sends it back, with ``changes``."""
    fields = {
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
        "capacity": shift.capacity,
        "walk_ins": shift.walk_ins,
        "id": shift.id,
        **changes,
    }
    return posting.ShiftInput(**fields)


def post_need(
    w, shifts=None, *, community: str = "community_a", publish: bool = True, **fields
) -> Need:
    """A need posted by ``w.admin`` (open unless ``publish=False``), shifts default to one
    two-hour shift for two people starting in a day."""
    data = need_input(fields.pop("category_id", w.category.id), **fields)
    community_id = getattr(w.tree, community)
    need = posting.save_need(w.admin.id, community_id, data, shifts or [at(24)], now=NOW)
    if publish:
        posting.publish(w.admin.id, need.id, now=NOW)
    return db.session.get(Need, need.id)


def first_shift(need: Need) -> Shift:
    return db.session.get(Need, need.id).shifts[0]


def fresh(model, key):
    """The row as stored now (services commit; the session may hold an older copy)."""
    db.session.expire_all()
    return db.session.get(model, key)


def claim_of(volunteer, shift) -> Claim | None:
    db.session.expire_all()
    return db.session.scalar(
        select(Claim).where(Claim.shift_id == shift.id, Claim.volunteer_id == volunteer.id)
    )


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def notices(user, kind: str | None = None) -> list[Notification]:
    """The user's notifications, oldest first (only of ``kind`` when given)."""
    query = select(Notification).where(Notification.user_id == user.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))
