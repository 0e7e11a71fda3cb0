"""Partners: applying, and the review by community and oversight admins."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from govhub.accounts import services as accounts
from govhub.accounts.models import Role, RoleAssignment, User
from govhub.accounts.validation import normalize_phone, phone_error
from govhub.audit import services as audit
from govhub.database import (
    NotFound,
    ServiceError,
    get_or_raise,
    required_text,
    transactional,
)
from govhub.extensions import db
from govhub.notifications.kinds import NotificationKind
from govhub.notifications.services import notify
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.pagination import PAGE_SIZE, Cursor, KeysetPage, keyset_page
from govhub.partners.models import Partner, PartnerKind, PartnerStatus
from govhub.partners.signals import partner_suspended
from govhub.references import RefType

MAX_REASON = 500


@transactional
def apply(
    *,
    kind: PartnerKind,
    name: str,
    community_id: int | None,
    address: str,
    contact_name: str,
    contact_phone: str,
    description: str = "",
    owner_id: int | None = None,
) -> Partner:
    """Record a unit's or business's application; it waits for review."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Enter the name of the unit or business."), field="name")
    community = db.session.get(OrgUnit, community_id) if community_id else None
    if community is None or community.level is not OrgLevel.community:
        raise ServiceError(_("Choose the community where you are located."), field="community_id")
    contact_phone = normalize_phone(contact_phone)
    if error := phone_error(contact_phone):
        raise ServiceError(error, field="contact_phone")
    waiting = db.session.scalar(
        select(Partner.name).where(
            Partner.contact_phone == contact_phone, Partner.status == PartnerStatus.applied
        )
    )
    if waiting is not None:
        raise ServiceError(
            _(
                "An application with this contact phone (%(name)s) is already waiting for "
                "review. You will be told the decision; there is no need to apply again.",
                name=waiting,
            ),
            field="contact_phone",
        )
    duplicate = db.session.scalar(
        select(Partner.id).where(
            Partner.name == name,
            Partner.community_id == community.id,
            Partner.status.in_([PartnerStatus.applied, PartnerStatus.approved]),
        )
    )
    if duplicate:
        raise ServiceError(
            _("%(name)s has already applied or is already a partner in this community.", name=name),
            field="name",
        )
    partner = Partner(
        kind=kind,
        name=name,
        community=community,
        address=(address or "").strip(),
        contact_name=(contact_name or "").strip(),
        contact_phone=contact_phone,
        description=(description or "").strip(),
        owner_id=owner_id,
        status=PartnerStatus.applied,
    )
    db.session.add(partner)
    db.session.flush()
    audit.record(owner_id, "partner.applied", RefType.partner, partner.id, name=name)
    return partner


@transactional
def decide(
    actor_id: int, partner_id: int, *, approve: bool, reason: str | None = None, now: datetime
) -> Partner:
    """Approve or reject an application. A rejection needs a reason.

    On approval the applicant's account (or, if they applied without logging in, the
    account with the contact phone, if any) becomes the partner's first staff member.
    """
    partner = get_or_raise(Partner, partner_id, _l("No such partner."))
    if partner.status is not PartnerStatus.applied:
        raise ServiceError(
            _(
                "This application has already been decided (%(status)s).",
                status=partner.status.label,
            )
        )
    # A rejection needs a reason; an approval may carry one.
    if not approve or (reason or "").strip():
        reason = required_text(
            reason,
            "reason",
            MAX_REASON,
            _l("Give a reason for the rejection; the applicant will see it."),
        )
    else:
        reason = None

    partner.status = PartnerStatus.approved if approve else PartnerStatus.rejected
    partner.decided_by_id = actor_id
    partner.decided_at = now
    partner.decision_reason = reason
    if approve:
        owner = (
            db.session.get(User, partner.owner_id)
            if partner.owner_id
            else accounts.find_by_phone(partner.contact_phone)
        )
        if owner is not None:
            partner.owner_id = owner.id
            db.session.add(
                RoleAssignment(
                    user_id=owner.id,
                    role=Role.partner_staff,
                    partner=partner,
                    granted_by_id=actor_id,
                )
            )
    audit.record(
        actor_id,
        "partner.approved" if approve else "partner.rejected",
        RefType.partner,
        partner.id,
        reason=reason,
    )
    return partner


def pending_count(scope_clause) -> int:
    """How many applications inside ``scope_clause`` wait for a decision."""
    query = (
        select(func.count())
        .select_from(Partner)
        .join(Partner.community)
        .where(scope_clause, Partner.status == PartnerStatus.applied)
    )
    return db.session.scalar(query) or 0


def review_queue(
    scope_clause,
    status: PartnerStatus | None = PartnerStatus.applied,
    cursor: Cursor | None = None,
    *,
    limit: int = PAGE_SIZE,
) -> KeysetPage[Partner]:
    """A page of the partners inside ``scope_clause`` (from ``permissions.partner_scope``),
    oldest application first."""
    query = select(Partner).join(Partner.community).where(scope_clause)
    if status is not None:
        query = query.where(Partner.status == status)
    query = query.options(contains_eager(Partner.community))
    return keyset_page(query, [Partner.id], cursor, descending=False, limit=limit)


# --- Staff ---------------------------------------------------------------------------


def staff_ids(partner_id: int) -> list[int]:
    """The ids of the partner's staff, in id order: who hears what concerns the partner."""
    return list(
        db.session.scalars(
            select(RoleAssignment.user_id)
            .where(
                RoleAssignment.role == Role.partner_staff, RoleAssignment.partner_id == partner_id
            )
            .order_by(RoleAssignment.user_id)
        )
    )


def staff_of(partner_id: int) -> list[RoleAssignment]:
    """The partner's staff (their role assignments, with the users), owner first."""
    partner = get_or_raise(Partner, partner_id, _l("No such partner."))
    assignments = db.session.scalars(
        select(RoleAssignment)
        .join(RoleAssignment.user)
        .options(contains_eager(RoleAssignment.user))
        .where(RoleAssignment.role == Role.partner_staff, RoleAssignment.partner_id == partner_id)
        .order_by(User.name, User.id)
    ).all()
    return sorted(assignments, key=lambda a: a.user_id != partner.owner_id)


@transactional
def invite_staff(actor_id: int, partner_id: int, phone: str) -> RoleAssignment:
    """The owner makes the account with ``phone`` staff of this partner (only this one).

    The person needs a govhub account first: the message says how to get one."""
    partner = get_or_raise(Partner, partner_id, _l("No such partner."))
    if partner.status is not PartnerStatus.approved:
        raise ServiceError(_("Staff can be added once the business is approved."))
    phone = normalize_phone(phone)
    if error := phone_error(phone):
        raise ServiceError(error, field="phone")
    user = accounts.find_by_phone(phone)
    if user is None:
        raise ServiceError(
            _(
                "No one has registered with %(phone)s yet. Ask them to register on govhub "
                "first (it takes a minute), then add them here.",
                phone=phone,
            ),
            field="phone",
        )
    already = db.session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.user_id == user.id,
            RoleAssignment.role == Role.partner_staff,
            RoleAssignment.partner_id == partner.id,
        )
    )
    if already:
        raise ServiceError(_("%(name)s is already on the staff.", name=user.name), field="phone")
    assignment = RoleAssignment(
        user_id=user.id, role=Role.partner_staff, partner_id=partner.id, granted_by_id=actor_id
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(actor_id, "partner.staff_added", RefType.partner, partner.id, user_id=user.id)
    notify(user.id, NotificationKind.staff_added, RefType.partner, partner.id, partner=partner.name)
    return assignment


@transactional
def remove_staff(actor_id: int, partner_id: int, user_id: int) -> None:
    """The owner takes someone off the staff. The owner cannot remove themself."""
    partner = get_or_raise(Partner, partner_id, _l("No such partner."))
    if user_id == partner.owner_id:
        raise ServiceError(_("The owner cannot be removed from the staff."))
    assignment = db.session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.user_id == user_id,
            RoleAssignment.role == Role.partner_staff,
            RoleAssignment.partner_id == partner.id,
        )
    )
    if assignment is None:
        raise NotFound(_("This person is not on the staff."))
    db.session.delete(assignment)
    audit.record(actor_id, "partner.staff_removed", RefType.partner, partner.id, user_id=user_id)


# --- Suspension ----------------------------------------------------------------------


@transactional
def suspend(actor_id: int, partner_id: int, reason: str, *, now: datetime) -> int:
    """Suspend an approved partner: its rewards leave the catalog, and every voucher not
    yet used is withdrawn and refunded (by the rewards domain, through the
    ``partner_suspended`` signal, in this transaction). Returns how many vouchers were
    refunded."""
    partner = get_or_raise(Partner, partner_id, _l("No such partner."))
    reason = (reason or "").strip()
    if partner.status is not PartnerStatus.approved:
        raise ServiceError(
            _(
                "Only an approved partner can be suspended (this one is %(status)s).",
                status=partner.status.label,
            )
        )
    reason = required_text(reason, "reason", MAX_REASON, _l("Give a reason for the suspension."))
    partner.status = PartnerStatus.suspended
    partner.decided_by_id = actor_id
    partner.decided_at = now
    partner.decision_reason = reason
    replies = partner_suspended.send(partner, actor_id=actor_id, reason=reason, now=now)
    refunded = sum(count or 0 for _receiver, count in replies)
    audit.record(
        actor_id, "partner.suspended", RefType.partner, partner.id, reason=reason, refunded=refunded
    )
    return refunded


@transactional
def reinstate(actor_id: int, partner_id: int, *, now: datetime) -> Partner:
    """Lift a suspension: the partner's rewards are offered again."""
    partner = get_or_raise(Partner, partner_id, _l("No such partner."))
    if partner.status is not PartnerStatus.suspended:
        raise ServiceError(_("This partner is not suspended."))
    partner.status = PartnerStatus.approved
    partner.decided_by_id = actor_id
    partner.decided_at = now
    audit.record(actor_id, "partner.reinstated", RefType.partner, partner.id)
    return partner
