"""Every permission decision in govhub is made here.

``can(user, action, obj)`` answers one question; ``require(action)`` guards a view that acts
on no particular object; ``authorize(action, obj)`` aborts a view with 403 when ``can`` says
no; ``get_or_403(Model, id, action)`` loads the object a view acts on and authorizes it.
Lists of other people's or other communities' data are filtered with the ``*_scope`` and
``*_clause`` functions below, which express the same rules as SQL.

Each action is an ``Action`` member. ``can`` hands an action on an object to the rule of
the object's kind (``_need_rule``, ``_partner_rule``, ...), an action on no object to
``_global_rule``.

Scopes: a community admin acts inside their community's subtree (the community and its
grids); an oversight admin reads inside the subtree of their street, district or city; a
system admin acts everywhere; partner staff act for their own partner only.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import cache, wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import and_, false, or_, true

from govhub.accounts.models import Role, User
from govhub.clock import local_today
from govhub.extensions import db, login_manager
from govhub.needs.models import (
    Claim,
    Need,
    NeedStatus,
    ResidentRequest,
    Shift,
    UnitHold,
    Visibility,
)
from govhub.orgs.models import OrgUnit
from govhub.partners.models import Partner, PartnerKind, PartnerStatus


class Action(StrEnum):
    # Actions on no object.
    MANAGE_ORGS = "orgs.manage"
    MANAGE_ROLES = "roles.manage"
    REVIEW_PARTNERS = "partners.review"  # open the review queue at all
    MANAGE_NEEDS = "needs.manage"  # post needs at all (community admins)
    REVIEW_REQUESTS = "requests.review"
    SUBMIT_ON_BEHALF = "requests.on_behalf"
    VIEW_LEDGER_AUDIT = "ledger.audit"  # see the nightly ledger check (admins)
    SCAN_CARDS = "cards.scan"  # open a volunteer's card: admins and shift leaders
    FIND_VOLUNTEERS = "volunteers.find"  # search volunteers by phone: community admins
    VIEW_ECONOMIES = "economy.open"  # open the points economy report at all (admins)
    # A partner.
    VIEW_PARTNER = "partner.view"
    DECIDE_PARTNER = "partner.decide"
    SUSPEND_PARTNER = "partner.suspend"  # suspend or reinstate: the admins who review it
    # The points supermarket. Only the partner's own staff act for it: not even a system
    # admin lists rewards or verifies vouchers for a business (DESIGN.md, roles).
    RUN_SHOP = "partner.shop"  # list rewards, see the shop's figures and exports
    MANAGE_STAFF = "partner.staff"  # add and remove staff: the partner's owner
    # A voucher (``Redemption``).
    VERIFY_VOUCHER = "voucher.verify"  # staff of the voucher's partner, not on their own
    VIEW_VOUCHER = "voucher.view"  # the volunteer who holds it, no one else
    # A need; also asked of one of its shifts or claims.
    EDIT_NEED = "need.edit"  # edit, publish, close, complete, cancel; see claimants' phones
    VIEW_NEED = "need.view"
    # A claim.
    CANCEL_CLAIM = "claim.cancel"  # the volunteer who holds it
    # A shift.
    RUN_SHIFT = "shift.run"  # show the check-in screen: the community's admins, the shift leader
    CONFIRM_SHIFT = "shift.confirm"  # manual check-in/out, confirm hours, name leaders
    # A seat (``checkin.services.Seat``): one volunteer's place at a shift.
    CONFIRM_ATTENDANCE = "attendance.confirm"  # confirm, enter or no-show; never one's own
    # A volunteer (``User``).
    VIEW_POINTS = "volunteer.points"  # a volunteer's ledger: themselves, their community's admins
    MANAGE_VOLUNTEER = "volunteer.manage"  # open a volunteer's admin page: their community's admins
    ADJUST_POINTS = "volunteer.adjust"  # correct points, issue a service record; never one's own
    # A service record.
    VIEW_RECORD = "record.view"  # the volunteer, or an admin of the issuing community
    # A resident request.
    DECIDE_REQUEST = "request.decide"
    VIEW_REQUEST = "request.view"
    # A community (``OrgUnit``).
    SUBMIT_FOR_COMMUNITY = "community.submit_on_behalf"
    VIEW_ECONOMY = "community.economy"  # the points economy report of a community
    # liaison: the liaison's page, the quarterly service cards, the reporting figures.
    VIEW_UNIT_SERVICE = "partner.unit_service"  # a unit's members' service: its liaison only
    ISSUE_SERVICE_CARDS = "community.service_cards"  # a community's admins
    VIEW_REPORTING_FIGURES = "community.reporting_figures"  # admins of the unit's subtree
    VIEW_SERVICE_CARD = "service_card.view"  # the unit's liaison, the issuing community, the member
    RECEIVE_SERVICE_CARD = "service_card.receive"  # the unit's liaison, never their own card
    # 双报到 (units): a stationed unit reports to a community.
    REVIEW_UNIT_REPORTS = "unit_reports.review"  # open the queue at all: community admins
    REPORT_FOR_UNIT = "partner.unit_report"  # a unit (``Partner``): its staff file reports
    VIEW_UNIT_REPORT = "unit_report.view"  # the unit's staff, its liaison, the community's admins
    EDIT_UNIT_REPORT = "unit_report.edit"  # correct, renew, withdraw: the unit's staff
    DECIDE_UNIT_REPORT = "unit_report.decide"  # the community's admins, not submitter or liaison
    # The resources list (资源清单).
    RECORD_RESOURCE_ON_BEHALF = "resources.on_behalf"  # community admins, for unlisted units
    VIEW_AREA_RESOURCES = "resources.area"  # the resources of an admin's subtree
    OFFER_RESOURCE = "partner.offer_resource"  # a partner's staff, for the partner
    VIEW_RESOURCE = "resource.view"  # any signed-in person
    EDIT_RESOURCE = "resource.edit"  # edit, withdraw: the provider side
    COMMIT_RESOURCE = "resource.commit"  # the provider side (with the unit's liaison)
    SEE_RESOURCE_CONTACT = "resource.contact"  # the provider side and the area's admins
    RELEASE_COMMITMENT = "commitment.release"  # the resource's provider side, or who committed
    # 一键认领 (needs/unit_holds.py): places a unit holds for its members.
    HOLD_FOR_UNIT = "partner.hold"  # hold and release places, see its holds: staff or liaison
    RELEASE_HOLD = "unit_hold.release"  # a ``UnitHold``: who may hold for its unit
    CLAIM_HELD_PLACE = "unit_hold.claim"  # a ``UnitHold``: the unit's reported members
    # 在职党员报到 (members' reports to their home community).
    REVIEW_MEMBER_REPORTS = "member_reports.review"  # open the queue: community admins
    DECIDE_MEMBER_REPORT = "member_report.decide"  # confirm or return; never one's own
    OWN_MEMBER_REPORT = "member_report.own"  # withdraw, say no to a claim: the member
    VIEW_MEMBER_REPORT = "member_report.view"  # the member, the community's admins
    SHOW_REPORTING_QR = "community.reporting_qr"  # print the community's reporting QR
    CLAIM_MEMBER_REPORTS = "partner.claim_members"  # the unit's liaison claims free-text reports
    # Matching (govhub/matching): ranked candidates, invitations, resource requests.
    MATCH_NEED = "need.match"  # a need's candidates; invite, request resources: its admins
    VIEW_INVITATION = "invitation.view"  # the invitee, the admins of the need's community
    RESPOND_INVITATION = "invitation.respond"  # accept or decline: the invitee only
    WITHDRAW_INVITATION = "invitation.withdraw"  # the admins of the need's community
    VIEW_RESOURCE_REQUEST = "resource_request.view"  # the provider side, the need's admins
    DECIDE_RESOURCE_REQUEST = "resource_request.decide"  # the provider side, not the requester
    WITHDRAW_RESOURCE_REQUEST = "resource_request.withdraw"  # the need's admins
    # The projects list (govhub/projects).
    MANAGE_PROJECTS = "community.projects"  # record, edit, complete projects: its admins
    VIEW_PROJECT = "project.view"  # admins of its subtree, the proposing unit's side
    EDIT_PROJECT = "project.edit"  # edit, complete, cancel, publish: its community's admins
    DECIDE_PROPOSAL = "project.decide"  # accept or decline a unit's proposal; not the proposer
    PROPOSE_PROJECT = "partner.propose_project"  # a unit's staff or liaison (项目认领)
    # 监测调度 (govhub/oversight): an org unit's dashboard and monthly report.
    VIEW_DASHBOARD = "unit.dashboard"  # the admins of its subtree (and of a grid's community)
    # Reading the admin pages (监测调度): the admins of the subtree — community admins and
    # oversight admins alike — read what the write actions above let community admins
    # change; the pages show their buttons and forms only where the write action allows.
    READ_NEEDS = "needs.read"  # the needs list of the communities one administers or oversees
    READ_NEED = "need.read"  # a need's admin page and roster; a shift's attendance
    READ_REQUESTS = "requests.read"  # the resident-request queue
    READ_VOLUNTEER = "volunteer.read"  # a volunteer's admin page: points and hours
    READ_PROJECTS = "community.read_projects"  # a community's projects list
    READ_REPORTS = "reports.read"  # the queues of units' and members' reports (双报到)
    READ_AUDIT = "audit.read"  # the audit trail of the subtree one administers or oversees
    # The integrity review (防代刷时长, govhub/integrity).
    REVIEW_INTEGRITY = "integrity.review"  # open the review queue at all: the subtree's admins
    VIEW_REVIEW_ITEM = "review_item.view"  # an item: the admins of its community's subtree
    DECIDE_REVIEW_ITEM = "review_item.decide"  # clear or reject: those, never who had a hand in it
    # Importing a roster (花名册, govhub/roster): community admins for their own community
    # subtree, system admins anywhere; oversight writes nothing here.
    IMPORT_ROSTER = "rosters.import"  # open the import page at all
    IMPORT_ROSTER_FOR = "community.import_roster"  # a community: import people into it
    OWN_ROSTER_BATCH = "roster_batch.own"  # preview, confirm, print slips: who uploaded it


ADMIN_ROLES = (Role.community_admin, Role.oversight_admin)


def is_system_admin(user: User) -> bool:
    return _authenticated(user) and any(a.role is Role.system_admin for a in user.roles)


def scope_units(user: User, *roles: Role) -> list[OrgUnit]:
    """The org units on which ``user`` holds any of ``roles``."""
    if not _authenticated(user):
        return []
    return [a.org_unit for a in user.roles if a.role in roles and a.org_unit is not None]


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

    from govhub.orgs.models import OrgLevel

    query = select(OrgUnit).where(
        OrgUnit.level == OrgLevel.community, _subtree_scope(user, *ADMIN_ROLES)
    )
    return list(db.session.scalars(query.order_by(OrgUnit.code)))


def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def _within(user: User, unit: OrgUnit | None, *roles: Role) -> bool:
    return is_system_admin(user) or any(scope.contains(unit) for scope in scope_units(user, *roles))


def _volunteer_in_scope(admin: User, volunteer: User, *roles: Role) -> bool:
    """The volunteer lives in the subtree where ``admin`` holds one of ``roles`` (by
    default: is a community admin)."""
    if is_system_admin(admin):
        return True
    profile = volunteer.profile
    return profile is not None and _within(
        admin, profile.community, *(roles or (Role.community_admin,))
    )


def _not_self(user: User, subject_id: int | None) -> bool:
    """Separation of duties (DESIGN.md): nobody credits, confirms or certifies themselves,
    not even a system admin. Their own points, hours and records are someone else's call."""
    return subject_id != user.id


def _refuse(action: Action, obj: Any) -> bool:
    kind = "no object" if obj is None else type(obj).__name__
    raise ValueError(f"action {action!r} does not apply to {kind}")


# --- Who may see a need --------------------------------------------------------------


def visible_clause(community: OrgUnit):
    """SQL: needs that a volunteer living in ``community`` may see (query joined to the
    need's community as ``OrgUnit``)."""
    return or_(
        Need.community_id == community.id,
        and_(Need.visibility == Visibility.street, OrgUnit.parent_id == community.parent_id),
    )


def can_see(volunteer: User, need: Need) -> bool:
    """Whether ``need`` is shown to ``volunteer``: a need of their community, or one
    posted for their whole street."""
    profile = volunteer.profile
    if profile is None:
        return False
    return need.community_id == profile.community_id or (
        need.visibility is Visibility.street
        and need.community.parent_id == profile.community.parent_id
    )


# --- One rule per object kind --------------------------------------------------------


def _global_rule(user: User, action: Action) -> bool:
    match action:
        case Action.MANAGE_ORGS | Action.MANAGE_ROLES:
            return is_system_admin(user)
        case Action.REVIEW_UNIT_REPORTS:
            return is_system_admin(user) or bool(scope_units(user, Role.community_admin))
        case (
            Action.REVIEW_PARTNERS
            | Action.VIEW_LEDGER_AUDIT
            | Action.VIEW_ECONOMIES
            | Action.VIEW_AREA_RESOURCES
            | Action.READ_NEEDS
            | Action.READ_REQUESTS
            | Action.READ_REPORTS
            | Action.READ_AUDIT
            | Action.REVIEW_INTEGRITY
        ):
            return is_system_admin(user) or bool(scope_units(user, *ADMIN_ROLES))
        case (
            Action.MANAGE_NEEDS
            | Action.REVIEW_REQUESTS
            | Action.SUBMIT_ON_BEHALF
            | Action.FIND_VOLUNTEERS
            | Action.RECORD_RESOURCE_ON_BEHALF
            | Action.REVIEW_MEMBER_REPORTS
            | Action.IMPORT_ROSTER
        ):
            return is_system_admin(user) or bool(scope_units(user, Role.community_admin))
        case Action.SCAN_CARDS:
            if is_system_admin(user) or scope_units(user, Role.community_admin):
                return True
            # A shift leader only while a shift they lead can still be run.
            from govhub.checkin.services import leads_runnable_shift
            from govhub.database import utcnow

            return leads_runnable_shift(user.id, now=utcnow())
    return _refuse(action, None)


def _partner_rule(user: User, action: Action, partner: Partner) -> bool:
    match action:
        case Action.CLAIM_MEMBER_REPORTS:
            return _is_liaison(user, partner.id)
        case Action.RUN_SHOP | Action.OFFER_RESOURCE:
            return is_partner_staff(user, partner.id)
        case Action.MANAGE_STAFF:
            return partner.owner_id == user.id and is_partner_staff(user, partner.id)
        case Action.VIEW_PARTNER | Action.DECIDE_PARTNER | Action.SUSPEND_PARTNER:
            return _within(user, partner.community, *ADMIN_ROLES)
        case Action.VIEW_UNIT_SERVICE:
            return _is_liaison(user, partner.id)
        case Action.PROPOSE_PROJECT:
            # Which communities it may propose to (those it reported to) is the service's rule.
            return _acts_for_unit(user, partner)
        case Action.REPORT_FOR_UNIT:
            return partner.kind is PartnerKind.unit and is_partner_staff(user, partner.id)
        case Action.HOLD_FOR_UNIT:
            return _acts_for_unit(user, partner)
    return _refuse(action, partner)


def _unit_report_rule(user: User, action: Action, report) -> bool:
    """双报到 (units). The community's admins decide a report, but never one they submitted
    or are the liaison of (separation of duties)."""
    match action:
        case Action.VIEW_UNIT_REPORT:
            return (
                is_partner_staff(user, report.partner_id)
                or report.liaison_id == user.id
                or _within(user, report.community, *ADMIN_ROLES)
            )
        case Action.EDIT_UNIT_REPORT:
            return is_partner_staff(user, report.partner_id)
        case Action.DECIDE_UNIT_REPORT:
            return (
                _not_self(user, report.submitted_by_id)
                and _not_self(user, report.liaison_id)
                and _within(user, report.community, Role.community_admin)
            )
    return _refuse(action, report)


# --- 一键认领: a unit's held places ----------------------------------------------------


def _acts_for_unit(user: User, partner: Partner) -> bool:
    """Staff of an approved stationed unit, or the liaison named on one of its reports
    that counts, act for it (which communities it may hold places in is the service's
    rule: ``needs/unit_holds.py``)."""
    if partner.kind is not PartnerKind.unit or partner.status is not PartnerStatus.approved:
        return False
    return is_partner_staff(user, partner.id) or _is_liaison(user, partner.id)


def _acts_for_unit_reported_to(user: User, community_id: int) -> bool:
    """Whether ``user`` acts for a unit with a counting report to the community."""
    from govhub.reporting.terms import liaison_units, unit_reported_to

    today = local_today()
    units = {p.id: p for p in [*staffed_partners(user), *liaison_units(user, today)]}
    return any(
        _acts_for_unit(user, unit) and unit_reported_to(unit.id, community_id, today)
        for unit in units.values()
    )


def _unit_hold_rule(user: User, action: Action, hold: UnitHold) -> bool:
    match action:
        case Action.RELEASE_HOLD:
            return _acts_for_unit(user, hold.partner)
        case Action.CLAIM_HELD_PLACE:
            from govhub.needs.unit_holds import is_member

            return is_member(user.id, hold.partner_id, local_today()) and _shift_rule(
                user, Action.VIEW_NEED, hold.shift
            )
    return _refuse(action, hold)


def _voucher_rule(user: User, action: Action, voucher) -> bool:
    match action:
        case Action.VERIFY_VOUCHER:
            # Staff of the voucher's business, but never on their own voucher.
            return _not_self(user, voucher.volunteer_id) and is_partner_staff(
                user, voucher.partner_id
            )
        case Action.VIEW_VOUCHER:
            return voucher.volunteer_id == user.id
    return _refuse(action, voucher)


def _need_rule(user: User, action: Action, need: Need) -> bool:
    match action:
        case Action.EDIT_NEED | Action.MATCH_NEED:
            return _within(user, need.community, Role.community_admin)
        case Action.READ_NEED:
            return _within(user, need.community, *ADMIN_ROLES)
        case Action.VIEW_NEED:
            if _within(user, need.community, Role.community_admin):
                return True
            if need.status is NeedStatus.draft:
                return False
            # Oversight admins read their subtree's needs (the board shows them); who acts
            # for a unit reported to the community may claim its needs as a unit.
            return (
                can_see(user, need)
                or _within(user, need.community, Role.oversight_admin)
                or _acts_for_unit_reported_to(user, need.community_id)
            )
    return _refuse(action, need)


def _shift_rule(user: User, action: Action, shift: Shift) -> bool:
    match action:
        case Action.VIEW_NEED | Action.EDIT_NEED | Action.MATCH_NEED | Action.READ_NEED:
            return _need_rule(user, action, shift.need)
        case Action.RUN_SHIFT:
            if _within(user, shift.need.community, Role.community_admin):
                return True
            from govhub.checkin.services import is_leader

            return is_leader(user.id, shift.id)
        case Action.CONFIRM_SHIFT:
            return _within(user, shift.need.community, Role.community_admin)
    return _refuse(action, shift)


def _claim_rule(user: User, action: Action, claim: Claim) -> bool:
    match action:
        case Action.CANCEL_CLAIM:
            return is_system_admin(user) or claim.volunteer_id == user.id
        case Action.EDIT_NEED:  # remove a claimant: the need's admins
            return _need_rule(user, action, claim.shift.need)
    return _refuse(action, claim)


def _seat_rule(user: User, action: Action, seat) -> bool:
    match action:
        case Action.CONFIRM_ATTENDANCE:
            return _not_self(user, seat.volunteer_id) and _shift_rule(
                user, Action.CONFIRM_SHIFT, seat.shift
            )
    return _refuse(action, seat)


def _volunteer_rule(user: User, action: Action, volunteer: User) -> bool:
    match action:
        case Action.VIEW_POINTS:
            return volunteer.id == user.id or _volunteer_in_scope(user, volunteer, *ADMIN_ROLES)
        case Action.READ_VOLUNTEER:
            return _volunteer_in_scope(user, volunteer, *ADMIN_ROLES)
        case Action.MANAGE_VOLUNTEER:
            return _volunteer_in_scope(user, volunteer)
        case Action.ADJUST_POINTS:
            return _not_self(user, volunteer.id) and _volunteer_in_scope(user, volunteer)
    return _refuse(action, volunteer)


def _record_rule(user: User, action: Action, record) -> bool:
    match action:
        case Action.VIEW_RECORD:
            return record.volunteer_id == user.id or _within(
                user, record.community, Role.community_admin
            )
    return _refuse(action, record)


def _request_rule(user: User, action: Action, item: ResidentRequest) -> bool:
    match action:
        case Action.DECIDE_REQUEST:
            return _within(user, item.community, Role.community_admin)
        case Action.VIEW_REQUEST:
            return item.requester_id == user.id or _within(user, item.community, *ADMIN_ROLES)
    return _refuse(action, item)


def _community_rule(user: User, action: Action, community: OrgUnit) -> bool:
    match action:
        case Action.MANAGE_ORGS | Action.MANAGE_ROLES:  # a unit of the tree: as for the tree
            return _global_rule(user, action)
        case Action.SUBMIT_FOR_COMMUNITY:
            return _within(user, community, Role.community_admin)
        case Action.VIEW_ECONOMY:
            return _within(user, community, *ADMIN_ROLES)
        case Action.ISSUE_SERVICE_CARDS:
            return community.level.value == "community" and _within(
                user, community, Role.community_admin
            )
        case Action.VIEW_REPORTING_FIGURES:
            return _within(user, community, *ADMIN_ROLES)
        case Action.SHOW_REPORTING_QR:
            return _within(user, community, Role.community_admin)
        case Action.MANAGE_PROJECTS:
            return community.level.value == "community" and _within(
                user, community, Role.community_admin
            )
        case Action.VIEW_DASHBOARD:
            return _within(user, community, *ADMIN_ROLES)
        case Action.READ_PROJECTS:
            return community.level.value == "community" and _within(user, community, *ADMIN_ROLES)
        case Action.IMPORT_ROSTER_FOR:
            return community.level.value == "community" and _within(
                user, community, Role.community_admin
            )
    return _refuse(action, community)


def _roster_batch_rule(user: User, action: Action, batch) -> bool:
    match action:
        case Action.OWN_ROSTER_BATCH:
            # Which of its rows the uploader may import is decided row by row
            # (IMPORT_ROSTER_FOR); someone who can no longer import opens nothing.
            return batch.uploaded_by_id == user.id and _global_rule(user, Action.IMPORT_ROSTER)
    return _refuse(action, batch)


# --- liaison: a unit's liaison and its service cards -----------------------------------


def _is_liaison(user: User, partner_id: int | None) -> bool:
    """Named on one of the unit's reports that counts today (``reporting.terms``)."""
    if partner_id is None:
        return False
    from govhub.reporting.terms import is_liaison

    return is_liaison(user, partner_id, local_today())


def _service_card_rule(user: User, action: Action, card) -> bool:
    match action:
        case Action.VIEW_SERVICE_CARD:
            return (
                card.user_id == user.id
                or _within(user, card.community, Role.community_admin)
                or _is_liaison(user, card.partner_id)
            )
        case Action.RECEIVE_SERVICE_CARD:
            return _not_self(user, card.user_id) and _is_liaison(user, card.partner_id)
    return _refuse(action, card)


# --- The resources list ------------------------------------------------------------


def _area_admin(user: User, area: OrgUnit, *roles: Role) -> bool:
    """An admin of ``area``: their scope holds it, or (a street or district) it holds
    their scope."""
    return _within(user, area, *roles) or any(
        area.contains(scope) for scope in scope_units(user, *roles)
    )


def _resource_provider_side(user: User, resource) -> bool:
    """Who speaks for a resource's provider: the partner's staff and (a unit) its liaison,
    the volunteer, or, for one recorded on behalf of a unit without an account, the
    community admins of its area."""
    if resource.partner_id is not None:
        return is_partner_staff(user, resource.partner_id) or _is_liaison(user, resource.partner_id)
    if resource.volunteer_id is not None:
        return resource.volunteer_id == user.id
    return _area_admin(user, resource.area, Role.community_admin)


def _resource_rule(user: User, action: Action, resource) -> bool:
    match action:
        case Action.VIEW_RESOURCE:
            return True
        case Action.EDIT_RESOURCE:
            if resource.partner_id is not None:
                return is_partner_staff(user, resource.partner_id)
            return _resource_provider_side(user, resource)
        case Action.COMMIT_RESOURCE:
            return _resource_provider_side(user, resource)
        case Action.SEE_RESOURCE_CONTACT:
            return _resource_provider_side(user, resource) or _area_admin(
                user, resource.area, *ADMIN_ROLES
            )
    return _refuse(action, resource)


def _commitment_rule(user: User, action: Action, commitment) -> bool:
    match action:
        case Action.RELEASE_COMMITMENT:
            return commitment.committed_by_id == user.id or _resource_provider_side(
                user, commitment.resource
            )
    return _refuse(action, commitment)


# --- 在职党员报到 ----------------------------------------------------------------------


def _member_report_rule(user: User, action: Action, report) -> bool:
    match action:
        case Action.DECIDE_MEMBER_REPORT:
            # The community's admins, but an admin never confirms their own report.
            return _not_self(user, report.user_id) and _within(
                user, report.community, Role.community_admin
            )
        case Action.OWN_MEMBER_REPORT:
            return report.user_id == user.id
        case Action.VIEW_MEMBER_REPORT:
            return report.user_id == user.id or _within(user, report.community, *ADMIN_ROLES)
    return _refuse(action, report)


# --- Matching and the projects list -------------------------------------------------


def _invitation_rule(user: User, action: Action, invitation) -> bool:
    match action:
        case Action.VIEW_INVITATION:
            return invitation.volunteer_id == user.id or _invitation_rule(
                user, Action.WITHDRAW_INVITATION, invitation
            )
        case Action.RESPOND_INVITATION:
            return invitation.volunteer_id == user.id
        case Action.WITHDRAW_INVITATION:
            return _within(user, invitation.shift.need.community, Role.community_admin)
    return _refuse(action, invitation)


def _resource_request_rule(user: User, action: Action, item) -> bool:
    match action:
        case Action.VIEW_RESOURCE_REQUEST:
            return _resource_provider_side(user, item.resource) or _within(
                user, item.need.community, *ADMIN_ROLES
            )
        case Action.DECIDE_RESOURCE_REQUEST:
            # Separation of duties: whoever asked does not also say yes for the provider.
            return _not_self(user, item.requested_by_id) and _resource_provider_side(
                user, item.resource
            )
        case Action.WITHDRAW_RESOURCE_REQUEST:
            return _within(user, item.need.community, Role.community_admin)
    return _refuse(action, item)


def _project_rule(user: User, action: Action, project) -> bool:
    proposer = project.proposed_by
    match action:
        case Action.VIEW_PROJECT:
            return _within(user, project.community, *ADMIN_ROLES) or (
                proposer is not None and _acts_for_unit(user, proposer)
            )
        case Action.EDIT_PROJECT:
            return _within(user, project.community, Role.community_admin)
        case Action.DECIDE_PROPOSAL:
            return (
                _not_self(user, project.created_by_id)
                and not (proposer is not None and is_partner_staff(user, proposer.id))
                and _within(user, project.community, Role.community_admin)
            )
    return _refuse(action, project)


def _review_item_rule(user: User, action: Action, item) -> bool:
    """The integrity review: the community's admins and the offices above it read an item
    and decide it — everyone but those who had a hand in it (``integrity.involved``)."""
    match action:
        case Action.VIEW_REVIEW_ITEM:
            return _within(user, item.community, *ADMIN_ROLES)
        case Action.DECIDE_REVIEW_ITEM:
            from govhub.integrity.services import involved

            return _within(user, item.community, *ADMIN_ROLES) and user.id not in involved(item)
    return _refuse(action, item)


@cache
def _rules() -> dict[type, Callable[[User, Action, Any], bool]]:
    # Imported here: these modules import this one (directly or through their services).
    from govhub.checkin.services import Seat
    from govhub.integrity.models import ReviewItem
    from govhub.matching.models import Invitation, ResourceRequest
    from govhub.points.models import ServiceRecord
    from govhub.projects.models import Project
    from govhub.reporting.models import MemberReport, ServiceCard, UnitReport
    from govhub.resources.models import Resource, ResourceCommitment
    from govhub.rewards.models import Redemption
    from govhub.roster.models import RosterBatch

    return {
        Partner: _partner_rule,
        Redemption: _voucher_rule,
        Need: _need_rule,
        Shift: _shift_rule,
        Claim: _claim_rule,
        Seat: _seat_rule,
        User: _volunteer_rule,
        ServiceRecord: _record_rule,
        ResidentRequest: _request_rule,
        OrgUnit: _community_rule,
        ServiceCard: _service_card_rule,  # liaison
        UnitReport: _unit_report_rule,
        Resource: _resource_rule,
        ResourceCommitment: _commitment_rule,
        UnitHold: _unit_hold_rule,
        MemberReport: _member_report_rule,
        Invitation: _invitation_rule,
        ResourceRequest: _resource_request_rule,
        Project: _project_rule,
        ReviewItem: _review_item_rule,
        RosterBatch: _roster_batch_rule,
    }


def can(user: User, action: Action | str, obj=None) -> bool:
    """Whether ``user`` may do ``action`` (to ``obj``, for actions on an object).

    An unknown action, or one that does not apply to ``obj``, is a ``ValueError``; an
    object of a kind no rule knows is a ``TypeError``."""
    action = Action(action)
    if obj is None:
        rule = None
    else:
        rule = _rules().get(type(obj))
        if rule is None:
            raise TypeError(f"no permission rule for {type(obj).__name__}")
    if not _authenticated(user):
        return False
    if rule is None:
        return _global_rule(user, action)
    return rule(user, action, obj)


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


def resource_scope(user: User):
    """SQL condition on a query joined to a resource's area (``OrgUnit``): the resources of
    the subtree ``user`` runs or oversees."""
    return _subtree_scope(user, *ADMIN_ROLES)


def provider_scope(user: User):
    """SQL condition on ``Resource``: the resources ``user`` answers requests for, as
    ``_resource_provider_side`` decides one (the partner's staff, a unit's liaison, the
    volunteer who offered it; nobody answers for one recorded on behalf of a unit)."""
    from govhub.reporting.terms import liaison_units
    from govhub.resources.models import Resource

    if not _authenticated(user):
        return false()
    partner_ids = {p.id for p in staffed_partners(user)}
    partner_ids |= {p.id for p in liaison_units(user, local_today())}
    clauses = [Resource.volunteer_id == user.id]
    if partner_ids:
        clauses.append(Resource.partner_id.in_(sorted(partner_ids)))
    return or_(*clauses)


def oversight_scope(user: User):
    """SQL condition on a query joined to a community (``OrgUnit``): the subtree ``user``
    oversees (false for someone who oversees nothing)."""
    if not scope_units(user, Role.oversight_admin):
        return false()
    return _subtree_scope(user, Role.oversight_admin)


def read_scope(user: User):
    """SQL condition on a query joined to a community (``OrgUnit``): the subtree whose
    admin pages ``user`` reads (community admins and oversight admins, ``READ_*``)."""
    return _subtree_scope(user, *ADMIN_ROLES)


def audit_scope(user: User):
    """SQL condition on the ``OrgUnit`` of an audit event: the events ``user`` reads (their
    subtrees'); None for a system admin, who reads every event, those of no unit too."""
    return None if is_system_admin(user) else read_scope(user)


def reads_community(user: User, community: OrgUnit | None) -> bool:
    """Whether ``community`` is a community whose admin pages ``user`` reads (a list
    narrowed to it with ``?community=``)."""
    return (
        community is not None
        and community.level.value == "community"
        and _within(user, community, *ADMIN_ROLES)
    )


def read_filter(user: User, community_id: int | None):
    """A list's ``?community=`` narrowing: (the SQL scope on ``OrgUnit`` of what ``user``
    reads, narrowed to that community when it is one they read; the community or None)."""
    scope = read_scope(user)
    community = db.session.get(OrgUnit, community_id) if community_id else None
    if community is None or not reads_community(user, community):
        return scope, None
    return and_(scope, OrgUnit.id == community.id), community


def sees_phones(user: User, community: OrgUnit | None) -> bool:
    """Whether ``user`` sees volunteers' whole phone numbers on the admin pages of
    ``community``: its community admins and system admins; an oversight admin reading
    them sees them masked (138****0010)."""
    return _within(user, community, Role.community_admin)


def sees_phones_clause(user: User, community_path):
    """SQL twin of ``sees_phones`` for a list of many communities (an export): true on
    the rows whose volunteer's community (its ``path`` column, ``community_path``) is one
    where ``user`` sees whole phone numbers."""
    if is_system_admin(user):
        return true()
    units = scope_units(user, Role.community_admin)
    if not units:
        return false()
    return or_(*(OrgUnit.subtree_clause(unit.path, community_path) for unit in units))


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


def dashboard_units(user: User) -> list[OrgUnit]:
    """The org units whose dashboards ``user`` starts from: the units they administer or
    oversee (a system admin: the roots of the tree); each one's subtree opens below it."""
    from sqlalchemy import select

    if is_system_admin(user):
        roots = select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.code)
        return list(db.session.scalars(roots))
    units = {unit.id: unit for unit in scope_units(user, *ADMIN_ROLES)}
    # A unit inside another of the user's units is reached from that one.
    return sorted(
        (
            u
            for u in units.values()
            if not any(o.id != u.id and o.contains(u) for o in units.values())
        ),
        key=lambda unit: unit.code,
    )


def authorize(action: Action, obj=None) -> None:
    """Abort the current request with 403 unless the current user may do ``action``."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not can(current_user, action, obj):
        abort(403)


M = TypeVar("M")


def get_or_403(model: type[M], ident: int, action: Action, *, denied: int = 403) -> M:
    """The ``model`` row ``ident`` that the current user may do ``action`` to: 404 when
    there is none, else ``authorize`` (login, then 403; ``denied=404`` where a refusal must
    not confirm that the row exists)."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    if denied != 403 and current_user.is_authenticated and not can(current_user, action, obj):
        abort(denied)
    authorize(action, obj)
    return obj


def unit_of_request(arg: str = "unit") -> OrgUnit | None:
    """The org unit named by the query argument ``arg`` (``?unit=``) whose dashboard — and
    so its review queue, audit trail and exports — the current user may open: None when
    not named; 404 when it cannot be read or does not exist; 403 when it is not theirs."""
    from flask import request

    from govhub.forms import parse_int

    raw = request.args.get(arg)
    if raw in (None, ""):
        return None
    unit_id = parse_int(raw)
    if unit_id is None:
        abort(404)
    return get_or_403(OrgUnit, unit_id, Action.VIEW_DASHBOARD)


def require(action: Action) -> Callable:
    """View decorator for actions on no particular object."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            authorize(action)
            return view(*args, **kwargs)

        return wrapped

    return decorator
