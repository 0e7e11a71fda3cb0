"""Inviting chosen volunteers to a shift, and their one-tap answer.

An invitation holds no place: accepting it claims one through ``needs.claims`` under
every rule of an ordinary claim (capacity, overlap, started, need open, visibility), or,
when the shift is full, joins its waiting list if the volunteer asks to.

An invitation whose shift has started is *lapsed*: computed when read
(:func:`shown_status`), never written (no job); answering it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from govhub.accounts.models import User
from govhub.audit import services as audit
from govhub.database import RetryTransaction, ServiceError, get_or_raise, transactional
from govhub.extensions import db
from govhub.matching.models import Invitation, InvitationStatus
from govhub.needs import claims
from govhub.needs.models import ACTIVE_CLAIM, Claim, NeedStatus, Shift
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.services import notify
from govhub.permissions import can_see
from govhub.references import RefType

MAX_AT_ONCE = 50
MAX_MESSAGE = 200
MAX_REASON = 500


@dataclass
class InviteResult:
    """What one invite did: the invitations written, and who was skipped and why."""

    invited: list[Invitation] = field(default_factory=list)
    already_claimed: list[int] = field(default_factory=list)
    already_invited: list[int] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.already_claimed) + len(self.already_invited)


def shown_status(invitation: Invitation, now: datetime) -> InvitationStatus:
    """The status to show: a pending invitation whose shift started has lapsed."""
    if invitation.status is InvitationStatus.pending and now >= invitation.shift.starts_at:
        return InvitationStatus.lapsed
    return invitation.status


def _clean_text(value: str | None, limit: int, field_name: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ServiceError(_("At most %(n)d characters.", n=limit), field=field_name)
    return value


@transactional
def invite(
    actor_id: int,
    shift_id: int,
    volunteer_ids: list[int],
    *,
    message: str = "",
    reasons: dict[int, list[str]] | None = None,
    key: str,
    now: datetime,
) -> InviteResult:
    """Invite volunteers to a shift. People who hold a place (or wait) in it, or have a
    pending invitation, are skipped and counted; a double submit therefore writes nothing
    twice. Each invitee is notified. ``reasons``: why each was chosen (by volunteer id,
    as the ranking explained it), kept on the invitation for the invitee to read."""
    if not key:
        raise ServiceError(_("This form is out of date. Check it and send it again."))
    shift = get_or_raise(Shift, shift_id, _l("No such shift."))
    need = shift.need
    if need.status is not NeedStatus.open:
        raise ServiceError(_("Only volunteers for an open need can be invited."))
    if now >= shift.starts_at:
        raise ServiceError(_("This shift has already started."))
    ids = list(dict.fromkeys(volunteer_ids))
    if not ids:
        raise ServiceError(_("Choose at least one volunteer."), field="volunteer")
    if len(ids) > MAX_AT_ONCE:
        raise ServiceError(_("At most %(n)d people at once.", n=MAX_AT_ONCE), field="volunteer")
    message = _clean_text(message, MAX_MESSAGE, "message")
    users = {
        u.id: u
        for u in db.session.scalars(
            select(User).options(joinedload(User.profile)).where(User.id.in_(ids))
        )
    }
    if any(i not in users or not can_see(users[i], need) for i in ids):
        raise ServiceError(
            _("Only volunteers who may see this need can be invited."), field="volunteer"
        )
    claimed = set(
        db.session.scalars(
            select(Claim.volunteer_id).where(
                Claim.shift_id == shift.id,
                Claim.volunteer_id.in_(ids),
                Claim.status.in_(ACTIVE_CLAIM),
            )
        )
    )
    existing = {
        inv.volunteer_id: inv
        for inv in db.session.scalars(
            select(Invitation).where(
                Invitation.shift_id == shift.id, Invitation.volunteer_id.in_(ids)
            )
        )
    }
    result = InviteResult()
    for volunteer_id in ids:
        if volunteer_id in claimed:
            result.already_claimed.append(volunteer_id)
            continue
        invitation = existing.get(volunteer_id)
        if invitation is not None and invitation.status is InvitationStatus.pending:
            result.already_invited.append(volunteer_id)
            continue
        if invitation is None:
            invitation = Invitation(shift_id=shift.id, volunteer_id=volunteer_id)
            db.session.add(invitation)
        # Inviting again (after a decline, a withdrawal, a cancelled claim) reuses the row.
        invitation.status = InvitationStatus.pending
        invitation.invited_by_id = actor_id
        invitation.reasons = list((reasons or {}).get(volunteer_id, []))
        invitation.message = message
        invitation.reason = None
        invitation.claim_id = None
        invitation.created_at = now
        invitation.responded_at = None
        result.invited.append(invitation)
    try:
        db.session.flush()
    except IntegrityError as error:  # the same invite on two connections at once
        raise RetryTransaction() from error
    for invitation in result.invited:
        notify(
            invitation.volunteer_id,
            NotificationKind.invitation_received,
            RefType.invitation,
            invitation.id,
            community=need.community.name,
            title=need.title,
            starts_at=shift.starts_at.isoformat(),
        )
    audit.record(
        actor_id,
        "invitation.sent",
        RefType.shift,
        shift.id,
        shift_id=shift.id,
        invited=[i.volunteer_id for i in result.invited],
        skipped=result.already_claimed + result.already_invited,
        key=key,
    )
    return result


def _pending(volunteer_id: int, invitation_id: int, now: datetime) -> Invitation:
    invitation = get_or_raise(Invitation, invitation_id, _l("No such invitation."))
    if invitation.volunteer_id != volunteer_id:
        raise ServiceError(_("This invitation is not yours."))
    status = shown_status(invitation, now)
    if status is InvitationStatus.lapsed:
        raise ServiceError(_("This shift has already started."))
    if status is not InvitationStatus.pending:
        raise ServiceError(_("This invitation is no longer open: %(status)s.", status=status.label))
    return invitation


@transactional
def accept(
    volunteer_id: int, invitation_id: int, *, waitlist: bool = False, now: datetime
) -> Invitation:
    """Accept: claim the place under every claim rule (``claims.claim_shift``). A full
    shift refuses with ``ClaimRefused(can_waitlist=True)``; ``waitlist=True`` joins the
    waiting list. Any other refusal leaves the invitation pending (lapsed once started)."""
    invitation = get_or_raise(Invitation, invitation_id, _l("No such invitation."))
    if invitation.status is InvitationStatus.accepted and invitation.volunteer_id == volunteer_id:
        return invitation  # a double tap
    invitation = _pending(volunteer_id, invitation_id, now)
    claim = claims.claim_shift(volunteer_id, invitation.shift_id, now=now, waitlist=waitlist)
    invitation.status = InvitationStatus.accepted
    invitation.claim_id = claim.id
    invitation.responded_at = now
    audit.record(
        volunteer_id,
        "invitation.accepted",
        RefType.invitation,
        invitation.id,
        claim_id=claim.id,
        status=claim.status.value,
    )
    return invitation


@transactional
def decline(
    volunteer_id: int, invitation_id: int, reason: str | None = "", *, now: datetime
) -> Invitation:
    """Decline (reason optional); the inviter is told."""
    reason = _clean_text(reason, MAX_REASON, "reason")
    invitation = _pending(volunteer_id, invitation_id, now)
    invitation.status = InvitationStatus.declined
    invitation.reason = reason or None
    invitation.responded_at = now
    shift = invitation.shift
    if invitation.invited_by_id is not None:
        notify(
            invitation.invited_by_id,
            NotificationKind.invitation_declined,
            RefType.invitation,
            invitation.id,
            name=invitation.volunteer.name,
            title=shift.need.title,
            starts_at=shift.starts_at.isoformat(),
            reason=reason or "—",
        )
    audit.record(volunteer_id, "invitation.declined", RefType.invitation, invitation.id)
    return invitation


@transactional
def withdraw(actor_id: int, invitation_id: int, *, now: datetime) -> Invitation:
    """The organizer withdraws a pending invitation (an accepted one is a claim now)."""
    invitation = get_or_raise(Invitation, invitation_id, _l("No such invitation."))
    if invitation.status is not InvitationStatus.pending:
        raise ServiceError(_("Only a pending invitation can be withdrawn."))
    invitation.status = InvitationStatus.withdrawn
    invitation.responded_at = now
    audit.record(actor_id, "invitation.withdrawn", RefType.invitation, invitation.id)
    return invitation


# --- Reading ---------------------------------------------------------------------------


def for_shift(shift_id: int, now: datetime | None = None) -> dict[int, InvitationStatus]:
    """Each invited volunteer's invitation status for a shift (for the matching page)."""
    rows = db.session.scalars(
        select(Invitation)
        .options(joinedload(Invitation.shift))
        .where(Invitation.shift_id == shift_id)
    ).all()
    return {
        inv.volunteer_id: shown_status(inv, now) if now is not None else inv.status for inv in rows
    }


def mine(volunteer_id: int, now: datetime) -> list[Invitation]:
    """A volunteer's invitations, the ones waiting for an answer first, then newest."""
    pending_first = case(
        (
            (Invitation.status == InvitationStatus.pending) & (Shift.starts_at > now),
            0,
        ),
        else_=1,
    )
    return list(
        db.session.scalars(
            select(Invitation)
            .join(Invitation.shift)
            .options(joinedload(Invitation.shift).joinedload(Shift.need))
            .where(Invitation.volunteer_id == volunteer_id)
            .order_by(pending_first, Shift.starts_at.desc(), Invitation.id.desc())
            .limit(200)
        )
    )


def pending_count(volunteer_id: int, now: datetime) -> int:
    from sqlalchemy import func

    return (
        db.session.scalar(
            select(func.count())
            .select_from(Invitation)
            .join(Invitation.shift)
            .where(
                Invitation.volunteer_id == volunteer_id,
                Invitation.status == InvitationStatus.pending,
                Shift.starts_at > now,
            )
        )
        or 0
    )
