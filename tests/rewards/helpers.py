"""Data for the points-supermarket tests, built through the services."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from govhub.database import utcnow
from govhub.extensions import db
from govhub.partners import services as partners
from govhub.partners.models import Partner
from govhub.points import services as points
from govhub.points.models import EntryKind
from govhub.rewards import catalog, vouchers
from govhub.rewards.models import RewardArea
from tests.factories import NOW, make_admin, make_partner, make_user

_keys = itertools.count(1)
GRIDS = {"community_a": "grid_a1", "community_b": "grid_b1", "community_c": None}


def make_volunteer(tree, community="community_a", **kwargs):
    return make_user(tree, community=community, grid=GRIDS[community], **kwargs)


def make_shop(tree, *, community="community_a", name="Kind Grocery", owner=None):
    """An approved business in ``community`` whose owner is its first staff member.
    Returns (partner, owner)."""
    owner = owner or make_volunteer(tree, community, name="Shop owner")
    admin = make_admin(tree, scope=community)
    partner = make_partner(tree, community=community, name=name, owner_id=owner.id)
    partners.decide(admin.id, partner.id, approve=True, now=utcnow())
    return db.session.get(Partner, partner.id), owner


def reward_input(**overrides) -> catalog.RewardInput:
    values = {
        "title": "5 kg of rice",
        "description": "Northeast rice.",
        "price": 100,
        "stock": 10,
        "monthly_limit": None,
        "available_from": None,
        "available_until": None,
        "area": RewardArea.community,
    }
    values.update(overrides)
    return catalog.RewardInput(**values)


def make_reward(partner, staff, **overrides):
    photo = overrides.pop("photo", None)
    return catalog.save_reward(staff.id, partner.id, reward_input(**overrides), photo=photo)


def give_points(volunteer_id: int, amount: int) -> None:
    """Credit points as an admin adjustment would (the ledger's own way)."""
    points.post_entry(
        volunteer_id,
        amount,
        EntryKind.adjust,
        key=f"test-credit:{next(_keys)}",
        reason="test credit",
    )


def redeem(volunteer, reward, *, now=NOW, key=None):
    return vouchers.redeem(volunteer.id, reward.id, key=key or f"k{next(_keys)}", now=now)


def shop_world(tree, *, price=100, stock=10, balance=1000, **reward_fields):
    """A shop with one reward and a volunteer of community A holding ``balance`` points."""
    partner, owner = make_shop(tree)
    reward = make_reward(partner, owner, price=price, stock=stock, **reward_fields)
    volunteer = make_user(tree, name="Volunteer")
    if balance:
        give_points(volunteer.id, balance)
    return SimpleNamespace(partner=partner, owner=owner, reward=reward, volunteer=volunteer)
