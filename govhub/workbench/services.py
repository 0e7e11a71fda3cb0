"""Which workbenches a person has, and what waits on each.

A workbench is a place of work: a community the person administers, a partner they staff,
the subtree they oversee, or the whole system. ``available(user)`` lists them from the
roles ``govhub.permissions`` reads, and it is the only list the workbench pages, 首页 and
我的 use. What waits is counted in SQL (one statement per workbench, each part an indexed
COUNT), never by loading rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, or_, select, true

from govhub import permissions
from govhub.accounts.models import Role, User
from govhub.checkin.models import Attendance, AttendanceStatus
from govhub.clock import local_date, local_days
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs.models import Need, NeedStatus, RequestStatus, ResidentRequest, Shift
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.partners.models import Partner, PartnerKind, PartnerStatus
from govhub.reporting.members import waiting_count_query
from govhub.reporting.models import MemberReport, ReportStatus, ServiceCard, UnitReport
from govhub.reporting.terms import counts_clause, liaison_units
from govhub.rewards.models import Redemption, VoucherStatus

# A shift starting within this time that still has places is "short of volunteers".
SOON = timedelta(days=3)
# The longest list on a workbench's own pages (shifts to confirm, shifts short of people).
LIST_LIMIT = 50


class Kind(StrEnum):
    community = "community"
    shop = "shop"
    oversight = "oversight"
    system = "system"
    liaison = "liaison"  # a unit's liaison (联络员): its members' service, its cards


@dataclass(frozen=True)
class Workbench:
    kind: Kind
    community: OrgUnit | None = None  # Kind.community
    partner: Partner | None = None  # Kind.shop, Kind.liaison
    units: tuple[OrgUnit, ...] = ()  # Kind.oversight: the streets, districts, cities

    @property
    def key(self) -> str:
        """Unique among one person's workbenches: "community-12", "shop-3", "system"."""
        if self.community is not None:
            return f"{self.kind}-{self.community.id}"
        if self.partner is not None:
            return f"{self.kind}-{self.partner.id}"
        return str(self.kind)


def available(user: User) -> list[Workbench]:
    """The workbenches ``user`` has, in the order the switcher shows them: each community
    they administer, each partner they staff, their oversight, the system tools."""
    benches = [
        Workbench(Kind.community, community=unit)
        for unit in permissions.scope_units(user, Role.community_admin)
        if unit.level is OrgLevel.community
    ]
    benches += [
        Workbench(Kind.shop, partner=partner) for partner in permissions.staffed_partners(user)
    ]
    # liaison: each unit whose counting report names the user as its liaison.
    benches += [
        Workbench(Kind.liaison, partner=partner)
        for partner in liaison_units(user, local_date(utcnow()))
    ]
    oversight = permissions.scope_units(user, Role.oversight_admin)
    if oversight:
        benches.append(Workbench(Kind.oversight, units=tuple(oversight)))
    if permissions.is_system_admin(user):
        benches.append(Workbench(Kind.system))
    return benches


def find(user: User, key: str) -> Workbench | None:
    """One of ``user``'s workbenches by its key, or None: not theirs."""
    return next((bench for bench in available(user) if bench.key == key), None)


# --- What is waiting -----------------------------------------------------------------


@dataclass(frozen=True)
class CommunityWaiting:
    to_confirm: int  # attendance rows of ended shifts, not confirmed yet
    requests: int  # resident requests waiting for a decision
    applications: int  # partner applications waiting for a decision
    short_shifts: int  # shifts starting within SOON with places left
    unit_reports: int = 0  # 双报到 (units): stationed units' reports waiting for confirmation
    member_reports: int = 0  # in-service party members' reports waiting (在职党员报到)
    proposals: int = 0  # 项目认领: units' project proposals waiting for a decision


@dataclass(frozen=True)
class ShopWaiting:
    unused: int  # vouchers issued, not used, not expired: they may come to the counter
    verified_today: int


@dataclass(frozen=True)
class ReviewWaiting:
    """The oversight and the system workbench: what waits for a decision."""

    applications: int
    requests: int = 0


def _in_subtree(column, scope_clause):
    """``column`` (an org unit id) names a unit that ``scope_clause`` (on ``OrgUnit``)
    admits; None admits every unit."""
    if scope_clause is None:
        return true()
    return column.in_(select(OrgUnit.id).where(scope_clause))


def _count(model, *conditions):
    return select(func.count()).select_from(model).where(*conditions).scalar_subquery()


def _to_confirm_conditions(scope_clause, now: datetime) -> list:
    return [
        Attendance.status == AttendanceStatus.present,
        Shift.ends_at <= now,
        _in_subtree(Need.community_id, scope_clause),
    ]


def _short_conditions(scope_clause, now: datetime) -> list:
    return [
        Need.status == NeedStatus.open,
        _in_subtree(Need.community_id, scope_clause),
        Shift.starts_at > now,
        Shift.starts_at <= now + SOON,
        Shift.claimed < Shift.capacity,
    ]


def _applications(scope_clause):
    return _count(
        Partner,
        Partner.status == PartnerStatus.applied,
        _in_subtree(Partner.community_id, scope_clause),
    )


def _requests(scope_clause):
    return _count(
        ResidentRequest,
        ResidentRequest.status == RequestStatus.submitted,
        _in_subtree(ResidentRequest.community_id, scope_clause),
    )


def _unit_reports(scope_clause):
    """双报到 (units): stationed units' reports waiting for the community's confirmation."""
    return _count(
        UnitReport,
        UnitReport.status == ReportStatus.pending,
        _in_subtree(UnitReport.community_id, scope_clause),
    )


def _proposals(community_id: int):
    """项目认领: units' proposals waiting for the community's decision."""
    from govhub.projects.models import Project, ProjectStatus

    return _count(
        Project, Project.community_id == community_id, Project.status == ProjectStatus.proposed
    )


def community_waiting(community: OrgUnit, *, now: datetime) -> CommunityWaiting:
    """What waits on a community's workbench, in one statement."""
    inside = OrgUnit.subtree_clause(community.path)
    to_confirm = (
        select(func.count())
        .select_from(Attendance)
        .join(Shift, Shift.id == Attendance.shift_id)
        .join(Need, Need.id == Shift.need_id)
        .where(*_to_confirm_conditions(inside, now))
        .scalar_subquery()
    )
    short = (
        select(func.count())
        .select_from(Shift)
        .join(Need, Need.id == Shift.need_id)
        .where(*_short_conditions(inside, now))
        .scalar_subquery()
    )
    row = db.session.execute(
        select(
            to_confirm,
            _requests(inside),
            _applications(inside),
            short,
            _unit_reports(inside),
            waiting_count_query(community.path),
            _proposals(community.id),
        )
    ).one()
    return CommunityWaiting(*(int(value or 0) for value in row))


def shop_waiting(partner_id: int, *, now: datetime) -> ShopWaiting:
    """Vouchers of the partner that may still come to the counter, and those verified
    today (local day), in one statement."""
    today = local_date(now)
    day_start, day_end = local_days(today, today)
    row = db.session.execute(
        select(
            func.count().filter(
                Redemption.status == VoucherStatus.issued, Redemption.expires_at > now
            ),
            func.count().filter(
                Redemption.status == VoucherStatus.fulfilled,
                Redemption.fulfilled_at >= day_start,
                Redemption.fulfilled_at < day_end,
            ),
        ).where(Redemption.partner_id == partner_id)
    ).one()
    return ShopWaiting(int(row[0] or 0), int(row[1] or 0))


def _units_clause(units):
    return or_(*(OrgUnit.subtree_clause(unit.path) for unit in units))


def oversight_waiting(units) -> ReviewWaiting:
    """Partner applications waiting inside the subtrees of ``units``."""
    return ReviewWaiting(int(db.session.scalar(select(_applications(_units_clause(units)))) or 0))


def system_waiting() -> ReviewWaiting:
    """Partner applications and resident requests waiting anywhere."""
    row = db.session.execute(select(_applications(None), _requests(None))).one()
    return ReviewWaiting(int(row[0] or 0), int(row[1] or 0))


@dataclass(frozen=True)
class LiaisonWaiting:
    cards: int  # service cards issued to the unit, not received yet
    members: int  # the unit's reported members (not work: shown as a figure)


def liaison_waiting(partner_id: int, *, now: datetime) -> LiaisonWaiting:
    """The unit's cards to receive and its reported members, in one statement."""
    today = local_date(now)
    cards = _count(
        ServiceCard, ServiceCard.partner_id == partner_id, ServiceCard.received_at.is_(None)
    )
    members = (
        select(func.count(func.distinct(MemberReport.user_id)))
        .where(MemberReport.partner_id == partner_id, counts_clause(MemberReport, today))
        .scalar_subquery()
    )
    row = db.session.execute(select(cards, members)).one()
    return LiaisonWaiting(int(row[0] or 0), int(row[1] or 0))


def waiting(bench: Workbench, *, now: datetime):
    """What waits on ``bench``: a ``CommunityWaiting``, ``ShopWaiting``, ``LiaisonWaiting``
    or ``ReviewWaiting``; None for a stationed unit's workbench (it has no counter: what
    waits for a unit is on its liaison's workbench)."""
    if bench.kind is Kind.liaison:
        assert bench.partner is not None
        return liaison_waiting(bench.partner.id, now=now)
    if bench.kind is Kind.community:
        assert bench.community is not None
        return community_waiting(bench.community, now=now)
    if bench.kind is Kind.shop:
        assert bench.partner is not None
        if bench.partner.kind is PartnerKind.unit:
            return None
        return shop_waiting(bench.partner.id, now=now)
    if bench.kind is Kind.oversight:
        return oversight_waiting(bench.units)
    return system_waiting()


# --- The lists behind two counts -----------------------------------------------------


def shifts_to_confirm(community: OrgUnit, *, now: datetime) -> list[tuple[Shift, int]]:
    """Ended shifts of the community with attendance to confirm, oldest first, each with
    how many rows wait (one grouped query)."""
    inside = OrgUnit.subtree_clause(community.path)
    waiting_rows = func.count(Attendance.id).label("waiting")
    query = (
        select(Shift, waiting_rows)
        .join(Attendance, Attendance.shift_id == Shift.id)
        .join(Need, Need.id == Shift.need_id)
        .where(*_to_confirm_conditions(inside, now))
        .group_by(Shift.id)
        .order_by(Shift.ends_at, Shift.id)
        .limit(LIST_LIMIT)
    )
    return [(shift, int(count)) for shift, count in db.session.execute(query)]


def short_shifts(community: OrgUnit, *, now: datetime) -> list[Shift]:
    """The community's open shifts starting within ``SOON`` that still have places,
    soonest first."""
    inside = OrgUnit.subtree_clause(community.path)
    query = (
        select(Shift)
        .join(Need, Need.id == Shift.need_id)
        .where(*_short_conditions(inside, now))
        .order_by(Shift.starts_at, Shift.id)
        .limit(LIST_LIMIT)
    )
    return list(db.session.scalars(query))


# == invitations: what waits for an answer (matching) ==


def invitations_pending(volunteer_id: int, *, now: datetime) -> int:
    """A volunteer's invitations waiting for an answer (shift not started), one statement."""
    from govhub.matching.models import Invitation, InvitationStatus

    query = (
        select(func.count())
        .select_from(Invitation)
        .join(Shift, Shift.id == Invitation.shift_id)
        .where(
            Invitation.volunteer_id == volunteer_id,
            Invitation.status == InvitationStatus.pending,
            Shift.starts_at > now,
        )
    )
    return int(db.session.scalar(query) or 0)


def resource_requests_waiting(partner_id: int) -> int:
    """Requests for a partner's resources waiting for its decision, one statement."""
    from govhub.matching.models import ResourceRequest, ResourceRequestStatus
    from govhub.resources.models import Resource

    query = (
        select(func.count())
        .select_from(ResourceRequest)
        .join(Resource, Resource.id == ResourceRequest.resource_id)
        .where(
            Resource.partner_id == partner_id,
            ResourceRequest.status == ResourceRequestStatus.pending,
        )
    )
    return int(db.session.scalar(query) or 0)


# == end invitations ==
