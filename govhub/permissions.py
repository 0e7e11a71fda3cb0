"""Every permission decision in govhub is made here.

``can(user, action, obj)`` answers one question; ``require(action)`` guards a view that acts
on no particular object; ``authorize(action, obj)`` aborts a view with 403 when ``can`` says
no. Lists of other people's or other communities' data are filtered with the ``*_scope``
functions below, which express the same rules as SQL.

Scopes: a community admin acts inside their community's subtree (the community and its
grids); an oversight admin reads inside the subtree of their street, district or city; a
system admin acts everywhere; partner staff act for their own partner only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import false, or_, true

from govhub.accounts.models import Role, User
from govhub.extensions import login_manager
from govhub.needs.models import Need, NeedStatus, ResidentRequest, Shift
from govhub.orgs.models import OrgUnit
from govhub.partners.models import Partner

# Actions that need no object.
MANAGE_ORGS = "orgs.manage"
MANAGE_ROLES = "roles.manage"
REVIEW_PARTNERS = "partners.review"  # open the review queue at all
MANAGE_NEEDS = "needs.manage"  # post needs at all (community admins)
REVIEW_REQUESTS = "requests.review"
SUBMIT_ON_BEHALF = "requests.on_behalf"
# Actions on an object.
VIEW_PARTNER = "partner.view"
DECIDE_PARTNER = "partner.decide"
CANCEL_CLAIM = "claim.cancel"  # only the volunteer who holds it
EDIT_NEED = "need.edit"  # edit, publish, close, complete, cancel; see claimants' phones
VIEW_NEED = "need.view"
DECIDE_REQUEST = "request.decide"
VIEW_REQUEST = "request.view"
SUBMIT_FOR_COMMUNITY = "community.submit_on_behalf"
VIEW_LEDGER_AUDIT = "ledger.audit"  # see the nightly ledger check (admins)
SCAN_CARDS = "cards.scan"  # open a volunteer's card: admins and shift leaders
RUN_SHIFT = "shift.run"  # show the check-in screen: the community's admins, the shift leader
CONFIRM_SHIFT = "shift.confirm"  # manual check-in/out, confirm hours, name leaders
VIEW_POINTS = "volunteer.points"  # a volunteer's ledger: themselves, their community's admins
MANAGE_VOLUNTEER = "volunteer.manage"  # open a volunteer's admin page: their community's admins
ADJUST_POINTS = "volunteer.adjust"  # correct points, issue a service record; never one's own
CONFIRM_ATTENDANCE = "attendance.confirm"  # a Seat: confirm, enter or no-show; never one's own
FIND_VOLUNTEERS = "volunteers.find"  # search volunteers by phone: community admins
VIEW_RECORD = "record.view"  # the volunteer, or an admin of the issuing community
SUSPEND_PARTNER = "partner.suspend"  # suspend or reinstate: the admins who review it
VIEW_ECONOMY = "community.economy"  # the points economy report of a community
# The points supermarket. Only the partner's own staff act for it: not even a system
# admin lists rewards or verifies vouchers for a business (DESIGN.md, roles).
RUN_SHOP = "partner.shop"  # list rewards, see the shop's figures and exports
MANAGE_STAFF = "partner.staff"  # add and remove staff: the partner's owner
VERIFY_VOUCHER = "voucher.verify"  # staff of the voucher's partner, not on their own
VIEW_VOUCHER = "voucher.view"  # the volunteer who holds it, no one else

ADMIN_ROLES = (Role.community_admin, Role.oversight_admin)


def is_system_admin(user: User) -> bool:
    return _authenticated(user) and any(a.role is Role.system_admin for a in user.roles)


def scope_units(user: User, *roles: Role) -> list[OrgUnit]:
    """The org units on which ``user`` holds any of ``roles``."""
    if not _authenticated(user):
        return []
    return [a.org_unit for a in user.roles if a.role in roles and a.org_unit is not None]


def has_role(user: User, role: Role) -> bool:
    return _authenticated(user) and any(a.role is role for a in user.roles)


def is_partner_staff(user: User, partner_id: int) -> bool:
    return _authenticated(user) and any(
        a.role is Role.partner_staff and a.partner_id == partner_id for a in user.roles
    )


def staffed_partners(user: User) -> list[Partner]:
    """The partners ``user`` works for."""
    if not _authenticated(user):
        return []
    return [a.partner for a in user.roles if a.role is Role.partner_staff and a.partner]


def economy_communities(user: User) -> list[OrgUnit]:
    """The communities whose points economy ``user`` may see."""
    from sqlalchemy import select

    from govhub.extensions import db
    from govhub.orgs.models import OrgLevel

    query = select(OrgUnit).where(
        OrgUnit.level == OrgLevel.community, _subtree_scope(user, *ADMIN_ROLES)
    )
    return list(db.session.scalars(query.order_by(OrgUnit.code)))


def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def _within(user: User, unit: OrgUnit | None, *roles: Role) -> bool:
    return any(scope.contains(unit) for scope in scope_units(user, *roles))


def _volunteer_in_scope(admin: User, volunteer: User) -> bool:
    profile = volunteer.profile
    return profile is not None and _within(admin, profile.community, Role.community_admin)


def _not_self(user: User, subject_id: int | None) -> bool:
    """Separation of duties (DESIGN.md): nobody credits, confirms or certifies themselves,
    not even a system admin. Their own points, hours and records are someone else's call."""
    return subject_id != user.id


def can(user: User, action: str, obj=None) -> bool:
    """Whether ``user`` may do ``action`` (to ``obj``, for actions on an object)."""
    if not _authenticated(user):
        return False
    match action:
        case "volunteer.adjust" if not _not_self(user, obj.id):
            return False
        case "attendance.confirm" if not _not_self(user, obj.volunteer_id):
            return False
        case "partner.shop":
            assert isinstance(obj, Partner)
            return is_partner_staff(user, obj.id)
        case "partner.staff":
            assert isinstance(obj, Partner)
            return obj.owner_id == user.id and is_partner_staff(user, obj.id)
        case "voucher.verify":
            # Staff of the voucher's business, but never on their own voucher.
            return _not_self(user, obj.volunteer_id) and is_partner_staff(user, obj.partner_id)
        case "voucher.view":
            return obj.volunteer_id == user.id
    if is_system_admin(user):
        return True
    match action:
        case "orgs.manage" | "roles.manage":
            return False
        case "partners.review":
            return bool(scope_units(user, *ADMIN_ROLES))
        case "partner.view" | "partner.decide" | "partner.suspend":
            assert isinstance(obj, Partner)
            return _within(user, obj.community, *ADMIN_ROLES)
        case "needs.manage" | "requests.review" | "requests.on_behalf":
            return bool(scope_units(user, Role.community_admin))
        case "claim.cancel":
            return obj.volunteer_id == user.id
        case "need.edit":
            assert isinstance(obj, Need)
            return _within(user, obj.community, Role.community_admin)
        case "need.view":
            assert isinstance(obj, Need)
            if _within(user, obj.community, Role.community_admin):
                return True
            from govhub.needs.claims import can_see

            return obj.status is not NeedStatus.draft and can_see(user, obj)
        case "request.decide":
            assert isinstance(obj, ResidentRequest)
            return _within(user, obj.community, Role.community_admin)
        case "request.view":
            assert isinstance(obj, ResidentRequest)
            return obj.requester_id == user.id or _within(user, obj.community, Role.community_admin)
        case "community.submit_on_behalf":
            assert isinstance(obj, OrgUnit)
            return _within(user, obj, Role.community_admin)
        case "community.economy":
            assert isinstance(obj, OrgUnit)
            return _within(user, obj, *ADMIN_ROLES)
        case "ledger.audit":
            return bool(scope_units(user, Role.community_admin, Role.oversight_admin))
        case "cards.scan":
            # A shift leader only while a shift they lead can still be run.
            from govhub.checkin.services import leads_runnable_shift
            from govhub.database import utcnow

            return bool(scope_units(user, Role.community_admin)) or leads_runnable_shift(
                user.id, now=utcnow()
            )
        case "shift.run":
            assert isinstance(obj, Shift)
            if _within(user, obj.need.community, Role.community_admin):
                return True
            from govhub.checkin.services import is_leader

            return is_leader(user.id, obj.id)
        case "shift.confirm":
            assert isinstance(obj, Shift)
            return _within(user, obj.need.community, Role.community_admin)
        case "volunteer.points":
            assert isinstance(obj, User)
            return obj.id == user.id or _volunteer_in_scope(user, obj)
        case "volunteer.adjust" | "volunteer.manage":
            assert isinstance(obj, User)
            return _volunteer_in_scope(user, obj)
        case "attendance.confirm":
            return can(user, "shift.confirm", obj.shift)
        case "volunteers.find":
            return bool(scope_units(user, Role.community_admin))
        case "record.view":
            from govhub.points.models import ServiceRecord

            assert isinstance(obj, ServiceRecord)
            return obj.volunteer_id == user.id or _within(user, obj.community, Role.community_admin)
    raise ValueError(f"unknown action {action!r}")


def _subtree_scope(user: User, *roles: Role):
    if is_system_admin(user):
        return true()
    units = scope_units(user, *roles)
    if not units:
        return false()
    return or_(*(OrgUnit.subtree_clause(unit.path) for unit in units))


def partner_scope(user: User):
    """SQL condition on a query joined to the partner's community (``OrgUnit``): the
    partners ``user`` may review."""
    return _subtree_scope(user, *ADMIN_ROLES)


def community_admin_scope(user: User):
    """SQL condition on a query joined to a community (``OrgUnit``): where ``user`` posts
    needs and reviews resident requests."""
    return _subtree_scope(user, Role.community_admin)


def admin_communities(user: User) -> list[OrgUnit]:
    """The communities where ``user`` may post needs (every community for a system admin)."""
    if is_system_admin(user):
        from govhub.orgs.models import OrgLevel
        from govhub.orgs.services import units_at_level

        return units_at_level(OrgLevel.community)
    return [u for u in scope_units(user, Role.community_admin) if u.level.value == "community"]


def authorize(action: str, obj=None) -> None:
    """Abort the current request with 403 unless the current user may do ``action``."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not can(current_user, action, obj):
        abort(403)


def require(action: str) -> Callable:
    """View decorator for actions on no particular object."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            authorize(action)
            return view(*args, **kwargs)

        return wrapped

    return decorator
