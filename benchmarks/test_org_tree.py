"""The org tree at city scale: the queries every permission check and dashboard makes.

A city of 1 district × 10 streets × 54 communities × 3 grids ≈ 540 communities and
1,620 grids (the scale in DESIGN.md), inserted in bulk, then:
- the subtree of one street (one index range scan on the materialized path);
- the partner review queue of an oversight admin of that street.
"""

import pytest
from sqlalchemy import func, insert, select

from govhub import permissions
from govhub.accounts.models import Role
from govhub.extensions import db
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.pagination import PAGE_SIZE
from govhub.partners import services as partners
from govhub.partners.models import Partner, PartnerKind, PartnerStatus
from tests.factories import make_admin, make_tree

STREETS, COMMUNITIES, GRIDS = 10, 54, 3


def build_city(tree) -> int:
    """Add streets, communities and grids under the test district; returns a street id."""
    district = db.session.get(OrgUnit, tree.district)
    ids = iter(range(db.session.scalar(select(func.max(OrgUnit.id))) + 1, 10**9))
    rows, partner_rows, street_ids = [], [], []

    def add(level: OrgLevel, code: str, parent_id: int, parent_path: str) -> tuple[int, str]:
        unit_id = next(ids)
        path = f"{parent_path}{unit_id}/"
        rows.append(
            dict(
                id=unit_id,
                code=code,
                name=f"{level.value} {code}",
                level=level,
                parent_id=parent_id,
                path=path,
            )
        )
        return unit_id, path

    for s in range(STREETS):
        street_id, street_path = add(OrgLevel.street, f"B{s}", district.id, district.path)
        street_ids.append(street_id)
        for c in range(COMMUNITIES):
            community_id, community_path = add(
                OrgLevel.community, f"B{s}-{c}", street_id, street_path
            )
            partner_rows.append(
                dict(
                    kind=PartnerKind.business,
                    name=f"Shop {s}-{c}",
                    community_id=community_id,
                    status=PartnerStatus.applied,
                    address="",
                    contact_name="",
                    contact_phone="",
                    description="",
                )
            )
            for g in range(GRIDS):
                add(OrgLevel.grid, f"B{s}-{c}-{g}", community_id, community_path)
    db.session.execute(insert(OrgUnit), rows)
    db.session.execute(insert(Partner), partner_rows)
    db.session.commit()
    return street_ids[3]


@pytest.fixture
def city(app):
    tree = make_tree()
    street_id = build_city(tree)
    return tree, street_id


def test_subtree_of_a_street(benchmark, city):
    _tree, street_id = city
    street = db.session.get(OrgUnit, street_id)
    query = select(func.count()).select_from(OrgUnit).where(OrgUnit.subtree_clause(street.path))
    count = benchmark(lambda: db.session.scalar(query))
    assert count == 1 + COMMUNITIES * (1 + GRIDS)


def test_review_queue_of_a_street_oversight_admin(benchmark, city):
    tree, street_id = city
    admin = make_admin(tree, role=Role.oversight_admin, scope="street")
    from govhub.accounts.models import RoleAssignment

    db.session.add(
        RoleAssignment(user_id=admin.id, role=Role.oversight_admin, org_unit_id=street_id)
    )
    db.session.commit()
    admin = db.session.get(type(admin), admin.id)
    queue = benchmark(lambda: partners.review_queue(permissions.partner_scope(admin)))
    # One page of the 54 applications, and a link to the rest.
    assert len(queue) == PAGE_SIZE and queue.older is not None
