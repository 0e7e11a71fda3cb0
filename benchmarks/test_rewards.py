"""The points supermarket at the size of a busy district: 2,000 rewards from 200
businesses in one street, and a volunteer with a year of vouchers. Measures one catalog
page (three queries whatever the number of rewards) and one redemption (a write
transaction: account lock, checks, stock, voucher, ledger entry)."""

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from govhub.database import utcnow
from govhub.extensions import db
from govhub.partners.models import Partner, PartnerKind, PartnerStatus
from govhub.points import services as points
from govhub.points.models import EntryKind
from govhub.rewards import catalog, vouchers
from govhub.rewards.models import Reward, RewardArea, RewardStatus
from tests.factories import make_tree, make_user

PARTNERS = 200
REWARDS_EACH = 10


@pytest.fixture
def market(app):
    tree = make_tree()
    communities = [tree.community_a, tree.community_b]
    db.session.execute(
        insert(Partner),
        [
            dict(
                kind=PartnerKind.business,
                name=f"商家 {n}",
                community_id=communities[n % 2],
                status=PartnerStatus.approved,
            )
            for n in range(PARTNERS)
        ],
    )
    partners = db.session.execute(select(Partner.id, Partner.community_id)).all()
    db.session.execute(
        insert(Reward),
        [
            dict(
                partner_id=partner_id,
                title=f"奖品 {partner_id}-{k}",
                description="",
                price=10 + (partner_id * 7 + k * 13) % 490,
                stock=100_000,
                monthly_limit=None if k % 2 else 5,
                area=RewardArea.street if k % 3 == 0 else RewardArea.community,
                area_unit_id=tree.street if k % 3 == 0 else community_id,
                status=RewardStatus.paused if k == 9 else RewardStatus.active,
            )
            for partner_id, community_id in partners
            for k in range(REWARDS_EACH)
        ],
    )
    db.session.commit()
    volunteer = make_user(tree)
    points.post_entry(volunteer.id, 10_000_000, EntryKind.adjust, key="bench", reason="bench")
    now = utcnow()
    rewards = db.session.scalars(
        select(Reward.id).where(
            Reward.area_unit_id.in_([tree.community_a, tree.street]),
            Reward.status == RewardStatus.active,
        )
    ).all()
    for n, reward_id in enumerate(rewards[:300]):
        vouchers.redeem(volunteer.id, reward_id, key=f"history:{n}", now=now - timedelta(days=n))
    return volunteer, now, rewards


@pytest.mark.parametrize(
    "filters",
    [catalog.CatalogFilters(), catalog.CatalogFilters(affordable=True, max_price=100)],
    ids=["all", "affordable-up-to-100"],
)
def test_catalog_page(benchmark, market, filters):
    volunteer, now, _ = market
    items, partners = benchmark(lambda: catalog.catalog(volunteer.id, filters, now=now))
    assert items and partners


def test_redeem(benchmark, market):
    volunteer, now, rewards = market
    keys = itertools.count()
    unlimited = [r for r in rewards if db.session.get(Reward, r).monthly_limit is None]
    targets = itertools.cycle(unlimited)
    voucher = benchmark(
        lambda: vouchers.redeem(volunteer.id, next(targets), key=f"bench:{next(keys)}", now=now)
    )
    assert voucher.id
