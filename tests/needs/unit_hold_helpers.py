"""Data for the 一键认领 tests: an approved stationed unit reported to community A with a
liaison, its reported members, and a need with one shift.

The unit and member reports are written as rows, confirmed: the reporting services are
another part of this issue (``govhub/reporting``); these rows are the state they leave.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from govhub.clock import local_date
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs.models import Category, Claim, ClaimStatus, Shift, UnitHold
from govhub.partners import services as partners
from govhub.partners.models import Partner, PartnerKind
from govhub.reporting.models import MemberReport, ReportStatus, UnitReport
from tests.factories import make_admin, make_category, make_need, make_partner, make_user


def a_year_on() -> date:
    """Reports count for a year from the real day: the pages run on the wall clock."""
    return local_date(utcnow()) + timedelta(days=364)


GRIDS = {"community_a": "grid_a1", "community_b": "grid_b1", "community_c": None}


def make_unit(tree, *, community="community_a", name="Tax Office", kind=PartnerKind.unit):
    """An approved partner (a stationed unit unless ``kind``) whose owner is its staff.
    Returns (partner, owner)."""
    owner = make_user(tree, community=community, grid=GRIDS[community], name=f"{name} staff")
    admin = make_admin(tree, scope=community, name="Partner admin")
    partner = make_partner(tree, community=community, name=name, owner_id=owner.id, kind=kind)
    partners.decide(admin.id, partner.id, approve=True, now=utcnow())
    return db.session.get(Partner, partner.id), owner


def report_unit(
    partner, community_id: int, liaison, *, categories=(), valid_until: date | None = None
) -> UnitReport:
    """A confirmed report of ``partner`` to the community, ``liaison`` named on it."""
    report = UnitReport(
        partner_id=partner.id,
        community_id=community_id,
        liaison_id=liaison.id,
        submitted_by_id=liaison.id,
        status=ReportStatus.confirmed,
        valid_until=valid_until or a_year_on(),
        decided_at=utcnow(),
    )
    report.categories = [db.session.get_one(Category, c) for c in categories]
    db.session.add(report)
    db.session.commit()
    return report


def report_member(user, partner, community_id: int, *, valid_until: date | None = None):
    """A confirmed report of ``user`` to their community, naming ``partner`` as employer."""
    report = MemberReport(
        user_id=user.id,
        community_id=community_id,
        partner_id=partner.id if partner is not None else None,
        status=ReportStatus.confirmed,
        valid_until=valid_until or a_year_on(),
        decided_at=utcnow(),
    )
    db.session.add(report)
    db.session.commit()
    return report


def unit_world(tree, *, members: int = 2, capacity: int = 5, categories=None) -> SimpleNamespace:
    """On the wall clock (``now``, as the pages have it): community A's admin, a need in A
    with one shift (in a day, ``capacity`` places),
    the unit "Tax Office" reported to A with its liaison, and ``members`` members living
    in A who reported with the unit as employer."""
    now = utcnow()
    admin = make_admin(tree, name="Community admin")
    category_id = make_category()
    need = make_need(
        tree, admin=admin, shifts=((1, 2, capacity),), category_id=category_id, now=now
    )
    unit, staff = make_unit(tree)
    liaison = make_user(tree, name="Liaison Wang")
    report_unit(unit, tree.community_a, liaison, categories=categories or ())
    people = []
    for n in range(members):
        member = make_user(tree, name=f"Member {n + 1}")
        report_member(member, unit, tree.community_a)
        people.append(member)
    return SimpleNamespace(
        now=now,
        tree=tree,
        admin=admin,
        category_id=category_id,
        need=need,
        shift=need.shifts[0],
        unit=unit,
        staff=staff,
        liaison=liaison,
        members=people,
    )


def shift_and_hold(shift_id: int, partner_id: int) -> tuple[Shift, UnitHold | None]:
    """The shift and the unit's hold on it, as stored now."""
    db.session.expire_all()
    shift = db.session.get_one(Shift, shift_id)
    hold = db.session.scalar(
        select(UnitHold).where(UnitHold.shift_id == shift_id, UnitHold.partner_id == partner_id)
    )
    return shift, hold


def public_confirmed(shift_id: int) -> int:
    """Confirmed claims of the shift that are not on a unit's held place."""
    return db.session.scalar(
        select(func.count()).where(
            Claim.shift_id == shift_id,
            Claim.status == ClaimStatus.confirmed,
            Claim.unit_hold_id.is_(None),
        )
    )


def held_confirmed(hold_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(
            Claim.unit_hold_id == hold_id, Claim.status == ClaimStatus.confirmed
        )
    )


def assert_counters_agree(shift_id: int) -> None:
    """Shift.claimed = public confirmed claims + the holds' places; each hold's used =
    its confirmed claims; nothing over capacity or over places."""
    db.session.expire_all()
    shift = db.session.get_one(Shift, shift_id)
    holds = db.session.scalars(select(UnitHold).where(UnitHold.shift_id == shift_id)).all()
    assert shift.claimed == public_confirmed(shift_id) + sum(h.places for h in holds)
    assert shift.claimed <= shift.capacity
    for hold in holds:
        assert hold.used == held_confirmed(hold.id) <= hold.places


def logged_in(app, user):
    """A test client logged in as ``user`` (log in before the barrier: logins are slow)."""
    from tests.factories import PASSWORD

    client = app.test_client()
    response = client.post("/login", data={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 303
    return client
