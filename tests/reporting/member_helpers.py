"""Data for the tests of 在职党员报到 (members' reports)."""

from __future__ import annotations

from datetime import timedelta

from govhub.clock import local_date
from govhub.database import utcnow
from govhub.extensions import db
from govhub.partners import services as partners
from govhub.partners.models import Partner, PartnerKind
from govhub.reporting import members
from govhub.reporting.models import MemberReport, ReportChannel, ReportStatus, UnitReport
from tests.factories import make_admin, make_partner, make_user

GRIDS = {"community_a": "grid_a1", "community_b": "grid_b1", "community_c": None}


def make_member(tree, community="community_a", **kwargs):
    return make_user(tree, community=community, grid=GRIDS[community], **kwargs)


def make_reported_unit(tree, *, name="咸安区税务局", community="community_a", liaison=None):
    """An approved stationed unit with a confirmed report to ``community`` that counts for over
    two years, its liaison ``liaison`` (a new account when not given).

    The report row is written here: unit reports have their own services (another part
    of the issue); these tests need only one that counts."""
    admin = make_admin(tree, scope=community, name="Unit admin")
    partner = make_partner(tree, community=community, name=name, kind=PartnerKind.unit)
    partners.decide(admin.id, partner.id, approve=True, now=utcnow())
    liaison = liaison or make_member(tree, community, name="联络员")
    today = local_date(utcnow())
    db.session.add(
        UnitReport(
            partner_id=partner.id,
            community_id=getattr(tree, community),
            liaison_id=liaison.id,
            status=ReportStatus.confirmed,
            submitted_by_id=liaison.id,
            decided_by_id=admin.id,
            decided_at=utcnow(),
            valid_until=today + timedelta(days=800),
        )
    )
    db.session.commit()
    return db.session.get(Partner, partner.id), liaison


def report(member, *, partner=None, employer_name=None, now=None, channel=ReportChannel.profile):
    """``member`` reports to their home community."""
    return members.submit(
        member.id,
        community_id=member.profile.community_id,
        partner_id=partner.id if partner else None,
        employer_name=employer_name,
        channel=channel,
        now=now or utcnow(),
    )


def reload(report_id: int) -> MemberReport:
    db.session.rollback()
    found = db.session.get(MemberReport, report_id)
    assert found is not None
    return found
