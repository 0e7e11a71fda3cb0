"""Data for the resources-list tests, built through the services (unit reports, whose
services are written elsewhere, as rows exactly as their model defines them)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from govhub.database import utcnow
from govhub.extensions import db
from govhub.partners import services as partners
from govhub.partners.models import Partner, PartnerKind
from govhub.reporting.models import ReportStatus, UnitReport
from govhub.resources import services
from govhub.resources.models import Resource, ResourceKind
from tests.factories import NOW, make_admin, make_partner, make_user

_keys = itertools.count(1)


def new_key() -> str:
    return f"test-commit-{next(_keys)}"


def make_unit(tree, *, community="community_a", name="Tax Bureau", owner=None):
    """An approved stationed unit in ``community`` whose owner is its first staff member.
    Returns (partner, owner)."""
    owner = owner or make_user(tree, name="Unit staff")
    admin = make_admin(tree, scope=community)
    partner = make_partner(
        tree, community=community, name=name, owner_id=owner.id, kind=PartnerKind.unit
    )
    partners.decide(admin.id, partner.id, approve=True, now=utcnow())
    return db.session.get(Partner, partner.id), owner


def make_liaison(tree, partner, *, community="community_a", liaison=None, today=None):
    """A confirmed report of ``partner`` to ``community`` naming ``liaison``, valid a year."""
    liaison = liaison or make_user(tree, name="Liaison")
    today = today or date.today()
    admin = make_admin(tree, scope=community)
    db.session.add(
        UnitReport(
            partner_id=partner.id,
            community_id=getattr(tree, community),
            liaison_id=liaison.id,
            status=ReportStatus.confirmed,
            submitted_by_id=liaison.id,
            decided_by_id=admin.id,
            decided_at=utcnow(),
            valid_until=today + timedelta(days=365),
        )
    )
    db.session.commit()
    return liaison


def resource_input(tree, **overrides) -> services.ResourceInput:
    values = {
        "kind": ResourceKind.venue,
        "title": "Meeting room",
        "quantity": 10,
        "unit_label": "hours",
        "area_id": tree.community_a,
        "description": "Second floor, 30 seats.",
        "contact_name": "Ms Li",
        "contact_phone": "13812345678",
    }
    values.update(overrides)
    return services.ResourceInput(**values)


def offer(actor, tree, *, partner=None, on_behalf=False, now=NOW, **overrides) -> Resource:
    provider = services.Provider(partner_id=partner.id if partner else None, on_behalf=on_behalf)
    if on_behalf:
        overrides.setdefault("provider_name", "Old Street Clinic")
    resource = services.offer(actor.id, provider, resource_input(tree, **overrides), now=now)
    return db.session.get(Resource, resource.id)


def commit(actor, resource, quantity, *, now=NOW, key=None, **kwargs):
    kwargs.setdefault("purpose", "Winter clothes drive")
    return services.commit(actor.id, resource.id, quantity, key=key or new_key(), now=now, **kwargs)
