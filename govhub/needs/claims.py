"""Claiming a place in a shift (认领), cancelling, removal by the organizer, and the
waiting list. Capacity is a counter changed by conditional UPDATEs, never read and
written back.

A place a unit holds for its members (一键认领, ``needs/unit_holds.py``) is claimed under
the same rules (:func:`check_claim`, :func:`record_claim`); when such a claim ends the
place goes back to the unit, not to the public (:func:`_give_back`).

Every function that changes something is one transaction (``@transactional``) and takes
the clock as ``now`` (naive UTC) so tests and jobs control time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from govhub.accounts.models import User
from govhub.audit import services as audit
from govhub.clock import local_text
from govhub.database import NotFound, ServiceError, get_or_raise, required_text, transactional
from govhub.extensions import db
from govhub.needs.models import (
    ACTIVE_CLAIM,
    Claim,
    ClaimStatus,
    NeedStatus,
    Shift,
    UnitHold,
)
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.services import notify
from govhub.orgs.settings import community_settings
from govhub.permissions import can_see
from govhub.references import RefType

MAX_REASON = 500


class ClaimRefused(ServiceError):
    """A claim the rules do not allow. ``can_waitlist``: the shift is full, the list is open."""

    def __init__(self, message: str, *, can_waitlist: bool = False) -> None:
        super().__init__(message)
        self.can_waitlist = can_waitlist


def _overlapping_claim(volunteer_id: int, shift: Shift) -> Claim | None:
    query = (
        select(Claim)
        .join(Claim.shift)
        .where(
            Claim.volunteer_id == volunteer_id,
            Claim.status == ClaimStatus.confirmed,
            Claim.shift_id != shift.id,
            Shift.starts_at < shift.ends_at,
            Shift.ends_at > shift.starts_at,
        )
        .limit(1)
    )
    return db.session.scalar(query)


def _take_place(shift_id: int) -> bool:
    """Take one place if one is left: a conditional UPDATE, safe under concurrency."""
    result = db.session.execute(
        update(Shift)
        .where(Shift.id == shift_id, Shift.claimed < Shift.capacity)
        .values(claimed=Shift.claimed + 1)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def _give_back(claim: Claim) -> None:
    """The confirmed ``claim`` ends: a public place goes back to the shift, a place a unit
    holds (一键认领) back to the unit (``UnitHold.used`` lowered; ``Shift.claimed`` still
    counts it among the unit's places)."""
    if claim.unit_hold_id is None:
        _free_place(claim.shift_id)
        return
    db.session.execute(
        update(UnitHold)
        .where(UnitHold.id == claim.unit_hold_id, UnitHold.used > 0)
        .values(used=UnitHold.used - 1)
        .execution_options(synchronize_session=False)
    )
    claim.unit_hold_id = None


def _free_place(shift_id: int) -> None:
    db.session.execute(
        update(Shift)
        .where(Shift.id == shift_id, Shift.claimed > 0)
        .values(claimed=Shift.claimed - 1)
        .execution_options(synchronize_session=False)
    )


def waitlist_positions(claims: list[Claim]) -> dict[int, int]:
    """Each waitlisted claim's place in its line, by claim id, in one query."""
    if not claims:
        return {}
    before = aliased(Claim)
    rows = db.session.execute(
        select(Claim.id, func.count(before.id))
        .outerjoin(
            before,
            and_(
                before.shift_id == Claim.shift_id,
                before.status == ClaimStatus.waitlisted,
                or_(
                    before.queued_at < Claim.queued_at,
                    and_(before.queued_at == Claim.queued_at, before.id < Claim.id),
                ),
            ),
        )
        .where(Claim.id.in_([c.id for c in claims]))
        .group_by(Claim.id)
    )
    return {claim_id: ahead + 1 for claim_id, ahead in rows}


def waitlist_position(claim: Claim) -> int:
    ahead = db.session.scalar(
        select(func.count()).where(
            Claim.shift_id == claim.shift_id,
            Claim.status == ClaimStatus.waitlisted,
            or_(
                Claim.queued_at < claim.queued_at,
                and_(Claim.queued_at == claim.queued_at, Claim.id < claim.id),
            ),
        )
    )
    return (ahead or 0) + 1


def check_claim(
    volunteer_id: int, shift: Shift, *, now: datetime, walk_in: bool = False
) -> Claim | None:
    """Every rule a claim on ``shift`` must pass, inside the caller's transaction: the
    volunteer has a home, the need is open and theirs to see, the shift has not started
    (ended, for a walk-in), they hold no place in it already, were not removed from it,
    and hold no overlapping shift. Returns their row for this shift to reuse (cancelled
    or waitlisted), or None. Claiming a public place and a place a unit holds
    (``needs/unit_holds.py``) both pass here."""
    # Serialize this volunteer's claims (PostgreSQL), so two overlapping shifts claimed
    # at the same moment cannot both pass the overlap check. SQLite's BEGIN IMMEDIATE
    # already serializes writers.
    db.session.execute(select(User.id).where(User.id == volunteer_id).with_for_update())
    volunteer = db.session.get(User, volunteer_id)
    need = shift.need
    if volunteer is None or volunteer.profile is None:
        raise ClaimRefused(_("Set your home community in your profile before claiming."))
    if need.status is not NeedStatus.open or not can_see(volunteer, need):
        raise ClaimRefused(_("This need is not open for claims."))
    if walk_in and not shift.walk_ins:
        raise ClaimRefused(_("This shift does not take walk-ins."))
    if now >= (shift.ends_at if walk_in else shift.starts_at):
        raise ClaimRefused(_("This shift has already started."))

    claim = db.session.scalar(
        select(Claim).where(Claim.shift_id == shift.id, Claim.volunteer_id == volunteer_id)
    )
    if claim is not None and claim.status is ClaimStatus.confirmed:
        raise ClaimRefused(_("You have already claimed this shift."))
    if claim is not None and claim.status is ClaimStatus.removed:
        raise ClaimRefused(
            _(
                "The organizer took you off this shift. Please talk to %(name)s (%(phone)s).",
                name=need.contact_name,
                phone=need.contact_phone,
            )
        )
    if other := _overlapping_claim(volunteer_id, shift):
        raise ClaimRefused(
            _(
                "This overlaps another shift you claimed: %(title)s, %(when)s.",
                title=other.shift.need.title,
                when=local_text(other.shift.starts_at),
            )
        )
    return claim


def record_claim(
    claim: Claim | None,
    volunteer_id: int,
    shift: Shift,
    status: ClaimStatus,
    *,
    now: datetime,
    unit_hold_id: int | None = None,
) -> Claim:
    """Write the claim whose place was just taken (or, ``waitlisted``, not), reusing the
    volunteer's row for the shift; ``unit_hold_id``: the place is one a unit held."""
    if claim is None:
        claim = Claim(shift_id=shift.id, volunteer_id=volunteer_id)
        db.session.add(claim)
    claim.status, claim.queued_at, claim.reason, claim.removed_by_id = status, now, None, None
    claim.unit_hold_id = unit_hold_id
    try:
        db.session.flush()
    except IntegrityError as error:  # the same volunteer's double click, on PostgreSQL
        raise ClaimRefused(_("You have already claimed this shift.")) from error
    if status is ClaimStatus.confirmed:
        _tell(volunteer_id, NotificationKind.claim_confirmed, shift)
    return claim


@transactional
def claim_shift(
    volunteer_id: int,
    shift_id: int,
    *,
    now: datetime,
    waitlist: bool = False,
    walk_in: bool = False,
) -> Claim:
    """Claim a place in a shift, or (``waitlist=True``) join its waiting list when full.

    ``walk_in``: claimed at the door while checking in, which shifts that welcome
    walk-ins allow until they end."""
    shift = get_or_raise(Shift, shift_id, _l("No such shift."))
    claim = check_claim(volunteer_id, shift, now=now, walk_in=walk_in)
    if claim is not None and claim.status is ClaimStatus.waitlisted:
        # Someone passed over while another claim overlapped may take a free place now.
        if not _take_place(shift.id):
            raise ClaimRefused(
                _("You are already on the waiting list (number %(n)d).", n=waitlist_position(claim))
            )
        claim.status = ClaimStatus.confirmed
        _tell(volunteer_id, NotificationKind.claim_confirmed, shift)
        return claim

    taken = _take_place(shift.id)
    if not taken and not waitlist:
        raise ClaimRefused(
            _("This shift is full. You can join the waiting list."), can_waitlist=True
        )
    status = ClaimStatus.confirmed if taken else ClaimStatus.waitlisted
    return record_claim(claim, volunteer_id, shift, status, now=now)


def _tell(volunteer_id: int, kind: NotificationKind, shift: Shift) -> None:
    """Notify a volunteer about their place in a shift (in the current transaction)."""
    notify(
        volunteer_id,
        kind,
        RefType.need,
        shift.need_id,
        title=shift.need.title,
        starts_at=shift.starts_at.isoformat(),
    )


def _cutoff(shift: Shift) -> datetime:
    minutes = community_settings(shift.need.community_id).cancel_cutoff_minutes
    return shift.starts_at - timedelta(minutes=minutes)


def can_cancel_online(shift: Shift, *, now: datetime) -> bool:
    """Whether a claim on ``shift`` may still be cancelled online: before the community's
    cut-off. After it the volunteer calls the organizer; claiming is still allowed, with a
    warning that it cannot be undone online."""
    return now < _cutoff(shift)


@transactional
def cancel_claim(volunteer_id: int, claim_id: int, *, now: datetime) -> Claim:
    """The volunteer gives up a place (before the cut-off) or leaves the waiting list."""
    claim = db.session.get(Claim, claim_id)
    if claim is None or claim.volunteer_id != volunteer_id or claim.status not in ACTIVE_CLAIM:
        raise NotFound(_("You have no claim on this shift."))
    shift = claim.shift
    if claim.status is ClaimStatus.confirmed:
        if not can_cancel_online(shift, now=now):
            raise ClaimRefused(
                _(
                    "It is too late to cancel online. "
                    "Please call the organizer, %(name)s, on %(phone)s.",
                    name=shift.need.contact_name,
                    phone=shift.need.contact_phone,
                )
            )
        _give_back(claim)
    claim.status = ClaimStatus.cancelled
    db.session.flush()
    promote_waitlist(shift, now)
    # The volunteer's time is free again: their own waiting-list places may now be given.
    waiting = db.session.scalars(
        select(Claim).where(
            Claim.volunteer_id == volunteer_id, Claim.status == ClaimStatus.waitlisted
        )
    ).all()
    for other in waiting:
        promote_waitlist(other.shift, now)
    return claim


@transactional
def remove_claimant(actor_id: int, claim_id: int, reason: str, *, now: datetime) -> Claim:
    """The organizer takes a volunteer off a shift (or its waiting list), saying why."""
    claim = db.session.get(Claim, claim_id)
    if claim is None or claim.status not in ACTIVE_CLAIM:
        raise NotFound(_("This claim no longer exists."))
    reason = required_text(
        reason, "reason", MAX_REASON, _l("Give a reason; the volunteer will see it.")
    )
    if claim.status is ClaimStatus.confirmed:
        _give_back(claim)
    claim.status, claim.reason, claim.removed_by_id = ClaimStatus.removed, reason, actor_id
    # A check-in before the removal earns nothing (checkin imports this module).
    from govhub.checkin import services as checkin
    from govhub.checkin.models import VoidReason

    checkin.void_attendance(
        [claim.shift_id], VoidReason.removed, note=reason, volunteer_id=claim.volunteer_id
    )
    need = claim.shift.need
    notify(
        claim.volunteer_id,
        NotificationKind.claim_removed,
        RefType.need,
        need.id,
        title=need.title,
        reason=reason,
    )
    audit.record(
        actor_id,
        "claim.removed",
        RefType.claim,
        claim.id,
        reason=reason,
        volunteer_id=claim.volunteer_id,
        shift_id=claim.shift_id,
    )
    db.session.flush()
    promote_waitlist(claim.shift, now)
    return claim


def promote_waitlist(shift: Shift, now: datetime) -> list[Claim]:
    """Give free places to the waiting list, first come first served (inside a transaction).

    Someone whose other claims now overlap this shift keeps their place in the queue.
    """
    if shift.starts_at <= now or shift.need.status is not NeedStatus.open:
        return []
    promoted = []
    queue = db.session.scalars(
        select(Claim)
        .where(Claim.shift_id == shift.id, Claim.status == ClaimStatus.waitlisted)
        .order_by(Claim.queued_at, Claim.id)
    ).all()
    for claim in queue:
        if _overlapping_claim(claim.volunteer_id, shift) is not None:
            continue
        if not _take_place(shift.id):
            break
        claim.status = ClaimStatus.confirmed
        _tell(claim.volunteer_id, NotificationKind.waitlist_promoted, shift)
        promoted.append(claim)
    db.session.flush()
    return promoted
