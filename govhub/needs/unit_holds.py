"""一键认领: a stationed unit claims places of a shift as a unit, and its members claim
the places it holds.

The counters (see ``UnitHold``): a unit's ``places`` count in ``Shift.claimed`` from the
moment it holds them, so the public sees them as taken; a member who takes one raises
``UnitHold.used`` and their claim carries ``unit_hold_id`` (``Shift.claimed`` does not
move again); when that claim ends the place goes back to the unit (``needs/claims.py``
``_give_back``); releasing gives ``places - used`` back to the shift and promotes its
waiting list. So for every live shift:

    Shift.claimed = public confirmed claims + sum of its holds' places

Races: every counter moves by a conditional UPDATE (``claimed + n <= capacity``,
``used < places``) whose rowcount decides; a unit's hold row is locked (PostgreSQL) or
the writers queue (SQLite's BEGIN IMMEDIATE) while its places change. One hold per shift
and unit (a UNIQUE constraint): holding again sets the hold's total, so a retried or
double-submitted form changes nothing the second time.

Who holds: the staff of an approved stationed unit, or the liaison of one of its
reports that counts (``permissions.Action.HOLD_FOR_UNIT``), on an open need of a community
the unit has a counting report to; when that report lists the kinds of need the unit
takes on, the need must be of one of them (a report that lists none takes on any kind).
Who takes a held place: a member of the unit, that is someone with a counting
``MemberReport`` naming the unit as employer, under every rule of an ordinary claim.
Members are invited (notified), never assigned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import selectinload

from govhub import permissions
from govhub.accounts.models import User, VolunteerProfile
from govhub.audit import services as audit
from govhub.clock import local_date
from govhub.database import ServiceError, get_or_raise, insert_ignoring_conflict, transactional
from govhub.extensions import db
from govhub.needs import claims
from govhub.needs.claims import ClaimRefused
from govhub.needs.models import Claim, ClaimStatus, Need, NeedStatus, Shift, UnitHold, Visibility
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.services import notify_once
from govhub.orgs.models import OrgUnit
from govhub.partners.models import Partner
from govhub.permissions import Action
from govhub.references import RefType
from govhub.reporting import terms
from govhub.reporting.models import MemberReport, UnitReport

# How many of a unit's holds its page lists (newest shifts first).
PAGE_LIMIT = 100


class HoldRefused(ServiceError):
    """A hold the rules do not allow; ``field`` is "places" when it is about the number."""


def _rowcount(result) -> int:
    return cast(CursorResult[Any], result).rowcount


# --- Who may hold, who may take ----------------------------------------------------------


def hold_refusal(partner: Partner, need: Need, today: date) -> str | None:
    """Why ``partner`` may not hold places on ``need`` (translated), or None: it has no
    counting report to the need's community, or its report does not take on this kind."""
    report = terms.unit_reported_to(partner.id, need.community_id, today)
    if report is None:
        return _(
            "%(unit)s has no confirmed report to %(community)s, so it cannot claim its needs.",
            unit=partner.name,
            community=need.community.name,
        )
    kinds = {category.id for category in report.categories}
    if kinds and need.category_id not in kinds:
        return _(
            "The report of %(unit)s to this community does not take on needs of the kind "
            '"%(kind)s".',
            unit=partner.name,
            kind=need.category.name,
        )
    return None


def acting_units(user: User, today: date) -> list[Partner]:
    """The units ``user`` acts for (staff or liaison), by name."""
    if not getattr(user, "is_authenticated", False):
        return []
    candidates = {p.id: p for p in permissions.staffed_partners(user)}
    candidates.update({p.id: p for p in terms.liaison_units(user, today)})
    return [
        partner
        for partner in sorted(candidates.values(), key=lambda p: (p.name, p.id))
        if permissions.can(user, Action.HOLD_FOR_UNIT, partner)
    ]


def holding_units(user: User, need: Need, today: date) -> list[Partner]:
    """The units ``user`` may hold places for on ``need`` (usually none, or one)."""
    if need.status is not NeedStatus.open:
        return []
    return [p for p in acting_units(user, today) if hold_refusal(p, need, today) is None]


def _member_clause(user_id, partner_id, today: date):
    return and_(
        MemberReport.user_id == user_id,
        MemberReport.partner_id == partner_id,
        terms.counts_clause(MemberReport, today),
    )


def is_member(user_id: int, partner_id: int, today: date) -> bool:
    """Whether the user is a member of the unit: a counting report names it as employer."""
    member = exists().where(_member_clause(user_id, partner_id, today))
    return bool(db.session.scalar(select(member)))


def member_units(user_id: int, today: date) -> set[int]:
    """The ids of the units the user is a member of."""
    query = select(MemberReport.partner_id).where(
        MemberReport.user_id == user_id,
        MemberReport.partner_id.is_not(None),
        terms.counts_clause(MemberReport, today),
    )
    return {partner_id for partner_id in db.session.scalars(query) if partner_id is not None}


def _members_who_see(partner_id: int, need: Need, today: date) -> list[int]:
    """The unit's members who may claim on ``need`` (it is shown to them), in id order."""
    # As ``permissions.can_see``: a need of their community, or one for their street.
    sees = [VolunteerProfile.community_id == need.community_id]
    if need.visibility is Visibility.street:
        sees.append(OrgUnit.parent_id == need.community.parent_id)
    query = (
        select(MemberReport.user_id)
        .join(VolunteerProfile, VolunteerProfile.user_id == MemberReport.user_id)
        .join(OrgUnit, OrgUnit.id == VolunteerProfile.community_id)
        .where(
            MemberReport.partner_id == partner_id,
            terms.counts_clause(MemberReport, today),
            or_(*sees),
        )
        .distinct()
        .order_by(MemberReport.user_id)
    )
    return list(db.session.scalars(query))


# --- Holding and releasing -----------------------------------------------------------------


def _locked_hold(shift_id: int, partner_id: int) -> UnitHold | None:
    query = (
        select(UnitHold)
        .where(UnitHold.shift_id == shift_id, UnitHold.partner_id == partner_id)
        .with_for_update(of=UnitHold)  # not the joined partner (an outer join)
        .execution_options(populate_existing=True)
    )
    return db.session.scalar(query)


def _resize(hold: UnitHold, target: int, now: datetime) -> int:
    """Set ``hold.places`` to ``target`` (≥ ``used``), moving ``Shift.claimed`` by the same
    difference with a conditional UPDATE; returns the difference (0: nothing changed).
    Places given back go to the waiting list first."""
    delta = target - hold.places
    if delta > 0:
        taken = db.session.execute(
            update(Shift)
            .where(Shift.id == hold.shift_id, Shift.claimed + delta <= Shift.capacity)
            .values(claimed=Shift.claimed + delta)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(taken) != 1:
            left = db.session.scalar(
                select(Shift.capacity - Shift.claimed).where(Shift.id == hold.shift_id)
            )
            raise HoldRefused(
                _(
                    "Only %(n)d more places are left in this shift.",
                    n=max(left or 0, 0),
                ),
                field="places",
            )
    elif delta < 0:
        db.session.execute(
            update(Shift)
            .where(Shift.id == hold.shift_id, Shift.claimed >= -delta)
            .values(claimed=Shift.claimed + delta)
            .execution_options(synchronize_session=False)
        )
    if delta:
        changed = db.session.execute(
            update(UnitHold)
            .where(UnitHold.id == hold.id, UnitHold.places == hold.places, UnitHold.used <= target)
            .values(places=target, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(changed) != 1:  # a member took a place in between (it cannot: locked)
            raise HoldRefused(_("This changed meanwhile; reload the page."), field="places")
    db.session.flush()
    db.session.expire_all()
    if delta < 0:
        claims.promote_waitlist(db.session.get_one(Shift, hold.shift_id), now)
    return delta


@transactional
def hold_places(
    actor_id: int, shift_id: int, partner_id: int, places: int | None, *, now: datetime
) -> UnitHold:
    """The unit holds ``places`` places of the shift in total for its members (以单位名义
    认领): the first hold, more places, or fewer (never fewer than its members took).
    Holding the total it already holds changes nothing, so a retry is harmless."""
    actor = get_or_raise(User, actor_id, _l("No such account."))
    shift = get_or_raise(Shift, shift_id, _l("No such shift."))
    partner = get_or_raise(Partner, partner_id, _l("No such unit."))
    need = shift.need
    today = local_date(now)
    if not permissions.can(actor, Action.HOLD_FOR_UNIT, partner):
        raise HoldRefused(_("You do not act for this unit."), field="partner_id")
    if need.status is not NeedStatus.open:
        raise HoldRefused(_("This need is not open for claims."))
    if now >= shift.starts_at:
        raise HoldRefused(_("This shift has already started."))
    if refusal := hold_refusal(partner, need, today):
        raise HoldRefused(refusal, field="partner_id")
    if places is None or not 1 <= places <= shift.capacity:
        raise HoldRefused(
            _("Enter a number of places from 1 to %(n)d.", n=shift.capacity), field="places"
        )

    hold = _locked_hold(shift.id, partner.id)
    if hold is None:
        values = {
            "shift_id": shift.id,
            "partner_id": partner.id,
            "places": 0,
            "used": 0,
            "created_by_id": actor_id,
            "created_at": now,
            "updated_at": now,
        }
        insert_ignoring_conflict(UnitHold, values, "shift_id", "partner_id")
        hold = _locked_hold(shift.id, partner.id)
        assert hold is not None  # inserted now, or by the writer we waited for
    before = hold.places
    if places < hold.used:
        raise HoldRefused(
            _(
                "%(n)d of your members have claimed these places; hold at least that many.",
                n=hold.used,
            ),
            field="places",
        )
    if _resize(hold, places, now) == 0:
        return hold
    hold = db.session.get_one(UnitHold, hold.id)
    audit.record(
        actor_id,
        "unit_hold.placed",
        RefType.unit_hold,
        hold.id,
        partner_id=partner.id,
        shift_id=shift.id,
        places=places,
        before=before,
    )
    if hold.places <= before:  # fewer places: nothing new to tell the members
        return hold
    for member_id in _members_who_see(partner.id, need, today):
        notify_once(
            f"unit-hold-{hold.id}-{member_id}",
            member_id,
            NotificationKind.unit_hold_offered,
            RefType.need,
            need.id,
            now=now,
            partner=partner.name,
            title=need.title,
            starts_at=shift.starts_at.isoformat(),
        )
    return hold


@transactional
def release_hold(actor_id: int, hold_id: int, *, now: datetime) -> UnitHold:
    """Give the places nobody took back to the shift (``places = used``): the public and
    the waiting list may have them. Releasing again changes nothing."""
    actor = get_or_raise(User, actor_id, _l("No such account."))
    found = get_or_raise(UnitHold, hold_id, _l("No such hold."))
    if not permissions.can(actor, Action.RELEASE_HOLD, found):
        raise HoldRefused(_("You do not act for this unit."))
    hold = _locked_hold(found.shift_id, found.partner_id)
    assert hold is not None
    before = hold.places
    if _resize(hold, hold.used, now) == 0:
        return hold
    hold = db.session.get_one(UnitHold, hold.id)
    audit.record(
        actor_id,
        "unit_hold.released",
        RefType.unit_hold,
        hold.id,
        partner_id=hold.partner_id,
        shift_id=hold.shift_id,
        released=before - hold.places,
    )
    return hold


def end_with_need(shift_ids: list[int]) -> None:
    """The need is cancelled (``posting.cancel``, in its transaction): its claims are
    cancelled and its shifts emptied there, and the units' holds end with it (no places,
    none used; the audit trail keeps what they were)."""
    if not shift_ids:
        return
    hold_ids = select(UnitHold.id).where(UnitHold.shift_id.in_(shift_ids)).scalar_subquery()
    db.session.execute(
        update(Claim)
        .where(Claim.unit_hold_id.in_(hold_ids))
        .values(unit_hold_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(UnitHold)
        .where(UnitHold.shift_id.in_(shift_ids))
        .values(places=0, used=0)
        .execution_options(synchronize_session=False)
    )


def held_places(shift_ids: list[int]) -> int:
    """Places units hold in these shifts (``posting`` refuses to delete such a shift)."""
    if not shift_ids:
        return 0
    query = select(UnitHold.places).where(UnitHold.shift_id.in_(shift_ids), UnitHold.places > 0)
    return sum(db.session.scalars(query))


# --- A member takes a held place -------------------------------------------------------------


@transactional
def claim_held_place(volunteer_id: int, hold_id: int, *, now: datetime) -> Claim:
    """A member of the unit takes one of the places it holds, under every rule of an
    ordinary claim (``claims.check_claim``). When the unit's places are all taken they
    can still claim a public place, if one is left."""
    hold = get_or_raise(UnitHold, hold_id, _l("No such hold."))
    shift = hold.shift
    if not is_member(volunteer_id, hold.partner_id, local_date(now)):
        raise ClaimRefused(
            _("These places are held for the members of %(unit)s.", unit=hold.partner.name)
        )
    claim = claims.check_claim(volunteer_id, shift, now=now)
    taken = db.session.execute(
        update(UnitHold)
        .where(UnitHold.id == hold.id, UnitHold.used < UnitHold.places)
        .values(used=UnitHold.used + 1)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(taken) != 1:
        raise ClaimRefused(_("The places %(unit)s holds are all taken.", unit=hold.partner.name))
    return claims.record_claim(
        claim, volunteer_id, shift, ClaimStatus.confirmed, now=now, unit_hold_id=hold.id
    )


# --- Reads for the pages ---------------------------------------------------------------------


@dataclass
class NeedHolds:
    """What the need page shows about units' holds, for one viewer."""

    by_shift: dict[int, list[UnitHold]] = field(default_factory=dict)  # holds with places
    units: list[Partner] = field(default_factory=list)  # units the viewer may hold for
    members_of: set[int] = field(default_factory=set)  # units the viewer is a member of

    def held(self, shift_id: int) -> int:
        return sum(hold.places for hold in self.by_shift.get(shift_id, []))

    def offered(self, shift_id: int) -> UnitHold | None:
        """A hold of one of the viewer's units with a place left for them."""
        return next(
            (
                hold
                for hold in self.by_shift.get(shift_id, [])
                if hold.partner_id in self.members_of and hold.places_left > 0
            ),
            None,
        )

    def unit_holds(self, shift_id: int) -> list[UnitHold]:
        """The holds on this shift of the units the viewer holds for."""
        mine = {unit.id for unit in self.units}
        return [hold for hold in self.by_shift.get(shift_id, []) if hold.partner_id in mine]


def holds_by_shift(need: Need) -> dict[int, list[UnitHold]]:
    """The need's holds that hold places, per shift (one query)."""
    query = (
        select(UnitHold)
        .join(UnitHold.shift)
        .where(Shift.need_id == need.id, UnitHold.places > 0)
        .order_by(UnitHold.shift_id, UnitHold.id)
    )
    grouped: dict[int, list[UnitHold]] = {}
    for hold in db.session.scalars(query):
        grouped.setdefault(hold.shift_id, []).append(hold)
    return grouped


def need_holds(user: User, need: Need, *, now: datetime) -> NeedHolds:
    today = local_date(now)
    return NeedHolds(
        by_shift=holds_by_shift(need),
        units=holding_units(user, need, today),
        members_of=member_units(user.id, today),
    )


def claimable_needs(partner: Partner, *, now: datetime) -> list[Need]:
    """Open needs the unit may hold places on: in the communities it has a counting report
    to, of the kinds the report takes on (any, when it lists none), with a shift still
    to start; soonest first (at most ``PAGE_LIMIT``)."""
    today = local_date(now)
    reports = db.session.scalars(
        select(UnitReport).where(
            UnitReport.partner_id == partner.id, terms.counts_clause(UnitReport, today)
        )
    ).all()
    scopes = []
    for report in reports:
        kinds = [category.id for category in report.categories]
        scope = Need.community_id == report.community_id
        scopes.append(and_(scope, Need.category_id.in_(kinds)) if kinds else scope)
    if not scopes:
        return []
    first_start = (
        select(func.min(Shift.starts_at))
        .where(Shift.need_id == Need.id, Shift.starts_at > now)
        .scalar_subquery()
    )
    query = (
        select(Need)
        .where(Need.status == NeedStatus.open, or_(*scopes), first_start.is_not(None))
        .order_by(first_start, Need.id)
        .limit(PAGE_LIMIT)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class HoldRow:
    """One hold on the unit's page, with the names of the members who took its places."""

    hold: UnitHold
    names: list[str]


def unit_holds(partner_id: int) -> list[HoldRow]:
    """The unit's holds, newest shifts first, with who took their places (names only)."""
    holds = db.session.scalars(
        select(UnitHold)
        .join(UnitHold.shift)
        .where(UnitHold.partner_id == partner_id)
        .options(selectinload(UnitHold.shift).selectinload(Shift.need))
        .order_by(Shift.starts_at.desc(), UnitHold.id.desc())
        .limit(PAGE_LIMIT)
    ).all()
    names: dict[int, list[str]] = {hold.id: [] for hold in holds}
    if holds:
        rows = db.session.execute(
            select(Claim.unit_hold_id, User.name)
            .join(User, User.id == Claim.volunteer_id)
            .where(Claim.unit_hold_id.in_(names), Claim.status == ClaimStatus.confirmed)
            .order_by(Claim.unit_hold_id, Claim.queued_at, Claim.id)
        )
        for hold_id, name in rows:
            if hold_id is not None:  # always: the query selects these holds' claims
                names[hold_id].append(name)
    return [HoldRow(hold, names[hold.id]) for hold in holds]
