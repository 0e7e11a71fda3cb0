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
from govhub.partners import services as partners
from govhub.partners.models import Partner, PartnerKind, PartnerStatus
from tests.factories import make_admin, make_tree

STREETS, COMMUNITIES, GRIDS = 10, 54, 3


def build_city(tree) -> int:
    """Add streets, communities and grids under the test district; returns a street id."""
    district = db.session.get(OrgUnit, tree.district)
    next_id = db.session.scalar(select(func.max(OrgUnit.id))) + 1
    rows, partner_rows, street_ids = [], [], []
    for s in range(STREETS):
        street_id, next_id = next_id, next_id + 1
        street_path = f"{district.path}{street_id}/"
        street_ids.append(street_id)
        rows.append(
            dict(
                id=street_id,
                code=f"B{s}",
                name=f"Street {s}",
                level=OrgLevel.street,
                parent_id=district.id,
                path=street_path,
            )
        )
        for c in range(COMMUNITIES):
            community_id, next_id = next_id, next_id + 1
            community_path = f"{street_path}{community_id}/"
            rows.append(
                dict(
                    id=community_id,
                    code=f"B{s}-{c}",
                    name=f"Community {s}-{c}",
                    level=OrgLevel.community,
                    parent_id=street_id,
                    path=community_path,
                )
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
                grid_id, next_id = next_id, next_id + 1
                rows.append(
                    dict(
                        id=grid_id,
                        code=f"B{s}-{c}-{g}",
                        name=f"Grid {s}-{c}-{g}",
                        level=OrgLevel.grid,
                        parent_id=community_id,
                        path=f"{community_path}{grid_id}/",
                    )
                )
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
    assert len(queue) == COMMUNITIES
