"""Data for the unit-report tests (驻区单位到社区报到), built through the services."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from govhub.accounts.models import User
from govhub.extensions import db
from govhub.partners import services as partners
from govhub.partners.models import Partner, PartnerKind
from govhub.reporting import units
from govhub.reporting.models import UnitReport
from govhub.resources.models import Resource, ResourceKind
from tests.factories import NOW, make_admin, make_category, make_partner, make_user

GRIDS = {"community_a": "grid_a1", "community_b": "grid_b1", "community_c": None}


def make_unit(tree, *, community="community_a", name="District Tax Office", owner=None):
    """An approved stationed unit whose owner is its first staff member: (unit, owner)."""
    owner = owner or make_user(tree, community=community, grid=GRIDS[community], name="王小明")
    admin = make_admin(tree, scope=community, name="Approver")
    partner = make_partner(
        tree, community=community, name=name, owner_id=owner.id, kind=PartnerKind.unit
    )
    partners.decide(admin.id, partner.id, approve=True, now=NOW)
    return db.session.get(Partner, partner.id), db.session.get(User, owner.id)


def make_resource(tree, unit: Partner, *, title="Meeting room", quantity=2, unit_label="间"):
    """A resource on offer by ``unit`` (the resources domain's services are built
    alongside; a row is what a report names)."""
    resource = Resource(
        kind=ResourceKind.venue,
        title=title,
        description="Seats twenty.",
        quantity=quantity,
        remaining=quantity,
        unit_label=unit_label,
        area_id=unit.community_id,
        partner_id=unit.id,
    )
    db.session.add(resource)
    db.session.commit()
    return resource


def report_input(tree, liaison: User, **overrides) -> units.ReportInput:
    values = {
        "community_id": tree.community_a,
        "liaison_phone": liaison.phone,
        "party_members": 12,
        "resource_ids": [],
        "category_ids": [make_category()],
        "note": "",
    }
    values.update(overrides)
    return units.ReportInput(**values)


def report_world(app) -> SimpleNamespace:
    """A tree; a unit in community A with its owner; a second staff member; admins of A
    (two), B and C; a resource of the unit; the owner's report to A, pending."""
    from tests.factories import make_tree

    tree = make_tree()
    unit, owner = make_unit(tree)
    second = make_user(tree, name="李四")
    partners.invite_staff(owner.id, unit.id, second.phone)
    resource = make_resource(tree, unit)
    return SimpleNamespace(
        tree=tree,
        unit=unit,
        owner=owner,
        second=db.session.get(User, second.id),
        resource=resource,
        admin_a=make_admin(tree, scope="community_a", name="张书记"),
        admin_a2=make_admin(tree, scope="community_a", name="赵委员"),
        admin_b=make_admin(tree, scope="community_b", name="钱书记"),
        admin_c=make_admin(tree, scope="community_c", name="孙书记"),
    )


def submit(w, *, now: datetime = NOW, by=None, **overrides) -> UnitReport:
    by = by or w.owner
    data = report_input(w.tree, overrides.pop("liaison", w.owner), **overrides)
    return units.submit(by.id, w.unit.id, data, now=now)
