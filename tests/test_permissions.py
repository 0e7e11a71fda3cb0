from types import SimpleNamespace

import pytest

from govhub import permissions
from govhub.accounts.models import Role, User
from govhub.checkin.services import Seat
from govhub.extensions import db
from govhub.integrity.models import ReviewItem
from govhub.matching.models import Invitation, ResourceRequest
from govhub.needs.models import (
    Claim,
    Need,
    NeedStatus,
    ResidentRequest,
    Shift,
    UnitHold,
    Visibility,
)
from govhub.partners.models import Partner, PartnerKind
from govhub.permissions import Action
from govhub.points.models import ServiceRecord
from govhub.projects.models import Project, ProjectOrigin
from govhub.reporting.models import MemberReport, ServiceCard, UnitReport
from govhub.resources.models import Resource, ResourceCommitment
from govhub.rewards.models import Redemption
from govhub.roster.models import RosterBatch
from tests.factories import make_admin, make_partner, make_system_admin, make_tree, make_user


@pytest.fixture
def world(app):
    tree = make_tree()
    return {
        "tree": tree,
        "volunteer": make_user(tree),
        "admin_a": make_admin(tree, scope="community_a"),
        "admin_b": make_admin(tree, scope="community_b"),
        "street": make_admin(tree, role=Role.oversight_admin, scope="street"),
        "street2": make_admin(tree, role=Role.oversight_admin, scope="street2"),
        "district": make_admin(tree, role=Role.oversight_admin, scope="district"),
        "sysadmin": make_system_admin(tree),
        "partner_a": db.session.get(Partner, make_partner(tree, community="community_a").id),
    }


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("volunteer", False),
        ("admin_a", True),
        ("admin_b", False),
        ("street", True),
        ("street2", False),
        ("district", True),
        ("sysadmin", True),
    ],
)
def test_who_may_decide_a_partner_in_community_a(world, who, allowed):
    user = world[who]
    assert permissions.can(user, Action.DECIDE_PARTNER, world["partner_a"]) is allowed
    assert permissions.can(user, Action.VIEW_PARTNER, world["partner_a"]) is allowed


@pytest.mark.parametrize("who", ["volunteer", "admin_a", "street", "district"])
def test_only_system_admins_manage_orgs_and_roles(world, who):
    assert not permissions.can(world[who], Action.MANAGE_ORGS)
    assert not permissions.can(world[who], Action.MANAGE_ROLES)
    assert permissions.can(world["sysadmin"], Action.MANAGE_ROLES)


def test_inactive_and_anonymous_users_may_do_nothing(world):
    from flask_login import AnonymousUserMixin

    admin = world["sysadmin"]
    admin.active = False
    assert not permissions.can(admin, Action.MANAGE_ORGS)
    assert not permissions.can(AnonymousUserMixin(), Action.REVIEW_PARTNERS)


def test_unknown_actions_are_an_error_not_a_yes(world):
    with pytest.raises(ValueError):
        permissions.can(world["admin_a"], "needs.delete_everything")


# --- The role × action matrix (DESIGN.md, "Roles and what each may do") ----------------
#
# Everyone lives in community A (street S1) except ``volunteer_c`` (community C, street S2).
# ``admin_a`` is a community admin of A; ``street`` oversees S1 (A and B), ``street2`` S2;
# ``staff_a`` owns and staffs the business in A; the business in C is someone else's.


@pytest.fixture
def matrix(app):
    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit
    from tests.rewards.helpers import make_shop

    tree = make_tree()
    staff_a = make_user(tree, name="Shop owner")
    partner_a, _ = make_shop(tree, owner=staff_a)
    partner_c, _ = make_shop(tree, community="community_c", name="Tea House")
    return SimpleNamespace(
        volunteer=make_user(tree),
        volunteer_c=make_user(tree, community="community_c", grid=None),
        admin_a=make_admin(tree, scope="community_a"),
        street=make_admin(tree, role=Role.oversight_admin, scope="street"),
        street2=make_admin(tree, role=Role.oversight_admin, scope="street2"),
        staff_a=db.session.get(User, staff_a.id),
        sysadmin=make_system_admin(tree),
        partner_a=partner_a,
        partner_c=partner_c,
        community_a=db.session.get(OrgUnit, tree.community_a),
        community_c=db.session.get(OrgUnit, tree.community_c),
    )


def _need(w, community, status=NeedStatus.open):
    unit = getattr(w, community)
    return Need(
        community=unit, community_id=unit.id, status=status, visibility=Visibility.community
    )


def _shift(w, community):
    return Shift(need=_need(w, community))


# Each relation builds, for the world ``w`` and the user ``me`` asking, the object asked about.
RELATIONS = {
    "-": lambda w, me: None,
    "partner_a": lambda w, me: w.partner_a,
    "partner_c": lambda w, me: w.partner_c,
    "voucher_a": lambda w, me: Redemption(volunteer_id=w.volunteer.id, partner_id=w.partner_a.id),
    "voucher_c": lambda w, me: Redemption(volunteer_id=w.volunteer.id, partner_id=w.partner_c.id),
    "own_voucher_a": lambda w, me: Redemption(volunteer_id=me.id, partner_id=w.partner_a.id),
    "need_a": lambda w, me: _need(w, "community_a"),
    "need_c": lambda w, me: _need(w, "community_c"),
    "draft_need_a": lambda w, me: _need(w, "community_a", NeedStatus.draft),
    "shift_a": lambda w, me: _shift(w, "community_a"),
    "shift_c": lambda w, me: _shift(w, "community_c"),
    "claim_a": lambda w, me: Claim(volunteer_id=w.volunteer.id, shift=_shift(w, "community_a")),
    "claim_c": lambda w, me: Claim(volunteer_id=w.volunteer.id, shift=_shift(w, "community_c")),
    "own_claim_a": lambda w, me: Claim(volunteer_id=me.id, shift=_shift(w, "community_a")),
    "seat_a": lambda w, me: Seat(_shift(w, "community_a"), w.volunteer.id),
    "seat_c": lambda w, me: Seat(_shift(w, "community_c"), w.volunteer_c.id),
    "own_seat_a": lambda w, me: Seat(_shift(w, "community_a"), me.id),
    "volunteer_a": lambda w, me: w.volunteer,
    "volunteer_c": lambda w, me: w.volunteer_c,
    "self": lambda w, me: me,
    "record_a": lambda w, me: ServiceRecord(volunteer_id=w.volunteer.id, community=w.community_a),
    "record_c": lambda w, me: ServiceRecord(volunteer_id=w.volunteer_c.id, community=w.community_c),
    "request_a": lambda w, me: ResidentRequest(
        requester_id=w.volunteer.id, community=w.community_a
    ),
    "request_c": lambda w, me: ResidentRequest(
        requester_id=w.volunteer_c.id, community=w.community_c
    ),
    "community_a": lambda w, me: w.community_a,
    "community_c": lambda w, me: w.community_c,
    # 导入花名册: a roster uploaded by admin A; one uploaded by whoever asks.
    "roster_batch_a": lambda w, me: RosterBatch(uploaded_by_id=w.admin_a.id),
    "own_roster_batch": lambda w, me: RosterBatch(uploaded_by_id=me.id),
    # 双报到 (units): staff_a's partner as a stationed unit, and its reports.
    "unit_a": lambda w, me: Partner(id=w.partner_a.id, kind=PartnerKind.unit),
    "unit_report_a": lambda w, me: _unit_report(w, "community_a", w.staff_a, w.volunteer),
    "unit_report_c": lambda w, me: _unit_report(w, "community_c", w.volunteer_c, w.volunteer_c),
    "own_unit_report_a": lambda w, me: _unit_report(w, "community_a", me, w.volunteer),
    "liaison_unit_report_a": lambda w, me: _unit_report(w, "community_a", w.staff_a, me),
    # 双报到 (liaison): a service card of the volunteer's, for unit_a. Nobody in this world
    # is a unit's liaison (tests/reporting/test_liaison.py has the liaisons' own table).
    "card_a": lambda w, me: ServiceCard(
        user_id=w.volunteer.id, community=w.community_a, partner_id=w.partner_a.id
    ),
    # == resources ==
    "resource_a": lambda w, me: Resource(partner_id=w.partner_a.id, area=w.community_a),
    "resource_c": lambda w, me: Resource(partner_id=w.partner_c.id, area=w.community_c),
    "behalf_resource_a": lambda w, me: Resource(area=w.community_a, provider_name="Clinic"),
    "own_resource": lambda w, me: Resource(volunteer_id=me.id, area=w.community_a),
    "commitment_a": lambda w, me: ResourceCommitment(
        resource=Resource(partner_id=w.partner_a.id, area=w.community_a)
    ),
    "own_commitment_c": lambda w, me: ResourceCommitment(
        resource=Resource(partner_id=w.partner_c.id, area=w.community_c), committed_by_id=me.id
    ),
    "hold_a": lambda w, me: UnitHold(
        partner=w.partner_a, partner_id=w.partner_a.id, shift=_shift(w, "community_a")
    ),
    # 在职党员报到
    "member_report_a": lambda w, me: MemberReport(user_id=w.volunteer.id, community=w.community_a),
    "member_report_c": lambda w, me: MemberReport(
        user_id=w.volunteer_c.id, community=w.community_c
    ),
    "own_member_report_a": lambda w, me: MemberReport(user_id=me.id, community=w.community_a),
    # Matching: an invitation of the volunteer (or of the one asking) to a shift of A; a
    # request for staff_a's resource for a need of A, asked by admin_a or the one asking.
    "invitation_a": lambda w, me: Invitation(
        volunteer_id=w.volunteer.id, shift=_shift(w, "community_a")
    ),
    "own_invitation_a": lambda w, me: Invitation(
        volunteer_id=me.id, shift=_shift(w, "community_a")
    ),
    "resource_request_a": lambda w, me: ResourceRequest(
        resource=Resource(partner_id=w.partner_a.id, area=w.community_a),
        need=_need(w, "community_a"),
        requested_by_id=w.admin_a.id,
    ),
    "own_resource_request_a": lambda w, me: ResourceRequest(
        resource=Resource(partner_id=w.partner_a.id, area=w.community_a),
        need=_need(w, "community_a"),
        requested_by_id=me.id,
    ),
    # The projects list: a project of A; one of C; a proposal to A by staff_a's partner.
    "project_a": lambda w, me: Project(community=w.community_a, created_by_id=w.volunteer.id),
    "project_c": lambda w, me: Project(community=w.community_c, created_by_id=w.volunteer.id),
    "own_project_a": lambda w, me: Project(community=w.community_a, created_by_id=me.id),
    "proposal_a": lambda w, me: Project(
        community=w.community_a,
        origin=ProjectOrigin.proposal,
        proposed_by=w.partner_a,
        created_by_id=w.staff_a.id,
    ),
    # The integrity review: an item of A (the volunteer's), of C, and of the one asking.
    "review_item_a": lambda w, me: ReviewItem(community=w.community_a, volunteer_id=w.volunteer.id),
    "review_item_c": lambda w, me: ReviewItem(
        community=w.community_c, volunteer_id=w.volunteer_c.id
    ),
    "own_review_item_a": lambda w, me: ReviewItem(community=w.community_a, volunteer_id=me.id),
}


def _unit_report(w, community, submitter, liaison):
    unit = getattr(w, community)
    partner = w.partner_a if community == "community_a" else w.partner_c
    return UnitReport(
        partner_id=partner.id,
        community=unit,
        community_id=unit.id,
        submitted_by_id=submitter.id,
        liaison_id=liaison.id,
    )


T, F = True, False
ADMINS_ONLY = {"volunteer": F, "admin_a": T, "street": T, "street2": T, "staff_a": F, "sysadmin": T}
COMMUNITY_ADMINS = {
    "volunteer": F,
    "admin_a": T,
    "street": F,
    "street2": F,
    "staff_a": F,
    "sysadmin": T,
}
NOBODY = {"volunteer": F, "admin_a": F, "street": F, "staff_a": F, "sysadmin": F}
SYSADMIN_ONLY = {"volunteer": F, "admin_a": F, "street": F, "staff_a": F, "sysadmin": T}
# (action, relation, {role: expected})
MATRIX = [
    (Action.MANAGE_ORGS, "-", SYSADMIN_ONLY),
    (Action.MANAGE_ROLES, "-", SYSADMIN_ONLY),
    (Action.MANAGE_ORGS, "community_a", SYSADMIN_ONLY),
    (Action.REVIEW_PARTNERS, "-", ADMINS_ONLY),
    (Action.VIEW_LEDGER_AUDIT, "-", ADMINS_ONLY),
    (Action.VIEW_ECONOMIES, "-", ADMINS_ONLY),
    (Action.MANAGE_NEEDS, "-", COMMUNITY_ADMINS),
    (Action.REVIEW_REQUESTS, "-", COMMUNITY_ADMINS),
    (Action.SUBMIT_ON_BEHALF, "-", COMMUNITY_ADMINS),
    (Action.FIND_VOLUNTEERS, "-", COMMUNITY_ADMINS),
    (Action.SCAN_CARDS, "-", COMMUNITY_ADMINS),
    (
        Action.VIEW_PARTNER,
        "partner_a",
        {"volunteer": F, "admin_a": T, "street": T, "street2": F, "staff_a": F, "sysadmin": T},
    ),
    (Action.VIEW_PARTNER, "partner_c", {"admin_a": F, "street": F, "street2": T, "sysadmin": T}),
    (
        Action.DECIDE_PARTNER,
        "partner_a",
        {"volunteer": F, "admin_a": T, "street": T, "street2": F, "staff_a": F, "sysadmin": T},
    ),
    (Action.DECIDE_PARTNER, "partner_c", {"admin_a": F, "street2": T}),
    (
        Action.SUSPEND_PARTNER,
        "partner_a",
        {"volunteer": F, "admin_a": T, "street": T, "street2": F, "staff_a": F, "sysadmin": T},
    ),
    (Action.SUSPEND_PARTNER, "partner_c", {"admin_a": F, "street2": T}),
    # The points supermarket: the partner's own staff only, not even a system admin.
    (Action.RUN_SHOP, "partner_a", {"volunteer": F, "admin_a": F, "staff_a": T, "sysadmin": F}),
    (Action.RUN_SHOP, "partner_c", {"staff_a": F}),
    (Action.MANAGE_STAFF, "partner_a", {"volunteer": F, "staff_a": T, "sysadmin": F}),
    (Action.MANAGE_STAFF, "partner_c", {"staff_a": F}),
    (
        Action.VERIFY_VOUCHER,
        "voucher_a",
        {"volunteer": F, "admin_a": F, "staff_a": T, "sysadmin": F},
    ),
    (Action.VERIFY_VOUCHER, "voucher_c", {"staff_a": F}),
    (Action.VERIFY_VOUCHER, "own_voucher_a", {"staff_a": F}),  # separation of duties
    (Action.VIEW_VOUCHER, "voucher_a", {"volunteer": T, "admin_a": F, "staff_a": F, "sysadmin": F}),
    (Action.VIEW_VOUCHER, "own_voucher_a", {"staff_a": T}),
    (Action.EDIT_NEED, "need_a", COMMUNITY_ADMINS),
    (Action.EDIT_NEED, "need_c", {"admin_a": F, "street2": F, "sysadmin": T}),
    (Action.EDIT_NEED, "shift_a", {"volunteer": F, "admin_a": T}),
    (Action.EDIT_NEED, "claim_a", {"volunteer": F, "admin_a": T, "street": F}),
    (Action.EDIT_NEED, "claim_c", {"admin_a": F, "sysadmin": T}),
    (Action.VIEW_NEED, "need_a", {"volunteer": T, "admin_a": T, "staff_a": T, "sysadmin": T}),
    # Oversight admins read the needs of their subtree (the board shows them).
    (
        Action.VIEW_NEED,
        "need_c",
        {"volunteer": F, "admin_a": F, "street": F, "street2": T, "sysadmin": T},
    ),
    (Action.VIEW_NEED, "draft_need_a", {"volunteer": F, "street": F, "admin_a": T, "sysadmin": T}),
    (Action.VIEW_NEED, "shift_a", {"volunteer": T, "admin_a": T}),
    (Action.VIEW_NEED, "shift_c", {"volunteer": F, "sysadmin": T}),
    (Action.CANCEL_CLAIM, "claim_a", {"volunteer": T, "admin_a": F, "staff_a": F, "sysadmin": T}),
    (Action.CANCEL_CLAIM, "own_claim_a", {"admin_a": T, "staff_a": T}),
    (Action.RUN_SHIFT, "shift_a", COMMUNITY_ADMINS),
    (Action.RUN_SHIFT, "shift_c", {"admin_a": F, "sysadmin": T}),
    (Action.CONFIRM_SHIFT, "shift_a", COMMUNITY_ADMINS),
    (Action.CONFIRM_SHIFT, "shift_c", {"admin_a": F, "sysadmin": T}),
    (Action.CONFIRM_ATTENDANCE, "seat_a", COMMUNITY_ADMINS),
    (Action.CONFIRM_ATTENDANCE, "seat_c", {"admin_a": F, "sysadmin": T}),
    (Action.CONFIRM_ATTENDANCE, "own_seat_a", {"admin_a": F, "sysadmin": F}),  # their own hours
    # Oversight admins read the points of their subtree's volunteers (监测调度).
    (
        Action.VIEW_POINTS,
        "volunteer_a",
        {"admin_a": T, "street": T, "street2": F, "staff_a": F, "sysadmin": T},
    ),
    (Action.VIEW_POINTS, "volunteer_c", {"volunteer": F, "admin_a": F, "sysadmin": T}),
    (Action.VIEW_POINTS, "self", {"volunteer": T, "staff_a": T, "street": T}),
    (Action.MANAGE_VOLUNTEER, "volunteer_a", COMMUNITY_ADMINS),
    (Action.MANAGE_VOLUNTEER, "volunteer_c", {"admin_a": F, "sysadmin": T}),
    (Action.ADJUST_POINTS, "volunteer_a", COMMUNITY_ADMINS),
    (Action.ADJUST_POINTS, "volunteer_c", {"admin_a": F, "sysadmin": T}),
    # Their own points and their own service record (issued under ADJUST_POINTS).
    (Action.ADJUST_POINTS, "self", {"volunteer": F, "admin_a": F, "sysadmin": F}),
    (
        Action.VIEW_RECORD,
        "record_a",
        {"volunteer": T, "admin_a": T, "street": F, "staff_a": F, "sysadmin": T},
    ),
    (Action.VIEW_RECORD, "record_c", {"volunteer": F, "admin_a": F, "sysadmin": T}),
    (Action.DECIDE_REQUEST, "request_a", COMMUNITY_ADMINS),
    (Action.DECIDE_REQUEST, "request_c", {"admin_a": F, "street2": F, "sysadmin": T}),
    (
        Action.VIEW_REQUEST,
        "request_a",
        {"volunteer": T, "admin_a": T, "street": T, "street2": F, "staff_a": F, "sysadmin": T},
    ),
    (Action.VIEW_REQUEST, "request_c", {"volunteer": F, "admin_a": F, "sysadmin": T}),
    (Action.SUBMIT_FOR_COMMUNITY, "community_a", COMMUNITY_ADMINS),
    (Action.SUBMIT_FOR_COMMUNITY, "community_c", {"admin_a": F, "street2": F, "sysadmin": T}),
    (Action.VIEW_ECONOMY, "community_a", ADMINS_ONLY | {"street2": F}),
    (Action.VIEW_ECONOMY, "community_c", {"admin_a": F, "street": F, "street2": T, "sysadmin": T}),
    # 双报到 (units). The volunteer is the liaison of unit_report_a.
    (Action.REVIEW_UNIT_REPORTS, "-", COMMUNITY_ADMINS),
    (Action.REPORT_FOR_UNIT, "unit_a", {"volunteer": F, "admin_a": F, "staff_a": T, "sysadmin": F}),
    (Action.REPORT_FOR_UNIT, "partner_a", {"staff_a": F}),  # a business does not report
    (
        Action.VIEW_UNIT_REPORT,
        "unit_report_a",
        {"volunteer": T, "admin_a": T, "street": T, "street2": F, "staff_a": T, "sysadmin": T},
    ),
    (Action.VIEW_UNIT_REPORT, "unit_report_c", {"volunteer": F, "admin_a": F, "street2": T}),
    (Action.EDIT_UNIT_REPORT, "unit_report_a", {"volunteer": F, "admin_a": F, "staff_a": T}),
    (
        Action.DECIDE_UNIT_REPORT,
        "unit_report_a",
        {"volunteer": F, "admin_a": T, "street": F, "staff_a": F, "sysadmin": T},
    ),
    (Action.DECIDE_UNIT_REPORT, "unit_report_c", {"admin_a": F, "sysadmin": T}),
    # Separation of duties: not the report one submitted, nor one naming oneself liaison.
    (Action.DECIDE_UNIT_REPORT, "own_unit_report_a", {"admin_a": F, "sysadmin": F}),
    (Action.DECIDE_UNIT_REPORT, "liaison_unit_report_a", {"admin_a": F, "sysadmin": F}),
    # 双报到 (liaison): a unit's members' service is for its liaison only, not even a
    # system admin; cards for the member, the issuing community and the liaison.
    (Action.VIEW_UNIT_SERVICE, "unit_a", {**COMMUNITY_ADMINS, "admin_a": F, "sysadmin": F}),
    (Action.ISSUE_SERVICE_CARDS, "community_a", COMMUNITY_ADMINS),
    (Action.ISSUE_SERVICE_CARDS, "community_c", {"admin_a": F, "street2": F, "sysadmin": T}),
    (Action.VIEW_REPORTING_FIGURES, "community_a", ADMINS_ONLY | {"street2": F}),
    (
        Action.VIEW_SERVICE_CARD,
        "card_a",
        {"volunteer": T, "admin_a": T, "street": F, "staff_a": F, "sysadmin": T},
    ),
    (Action.RECEIVE_SERVICE_CARD, "card_a", {**COMMUNITY_ADMINS, "admin_a": F, "sysadmin": F}),
    # == resources: the provider side acts; the area's admins see the contact ==
    (Action.RECORD_RESOURCE_ON_BEHALF, "-", COMMUNITY_ADMINS),
    (Action.VIEW_AREA_RESOURCES, "-", ADMINS_ONLY),
    (
        Action.OFFER_RESOURCE,
        "partner_a",
        {"volunteer": F, "admin_a": F, "staff_a": T, "sysadmin": F},
    ),
    (Action.OFFER_RESOURCE, "partner_c", {"staff_a": F}),
    (Action.VIEW_RESOURCE, "resource_c", {"volunteer": T, "admin_a": T, "staff_a": T, "street": T}),
    (
        Action.EDIT_RESOURCE,
        "resource_a",
        {"volunteer": F, "admin_a": F, "street": F, "staff_a": T, "sysadmin": F},
    ),
    (Action.EDIT_RESOURCE, "behalf_resource_a", COMMUNITY_ADMINS),
    (Action.EDIT_RESOURCE, "own_resource", {"volunteer": T, "staff_a": T, "admin_a": T}),
    (
        Action.COMMIT_RESOURCE,
        "resource_a",
        {"volunteer": F, "admin_a": F, "street": F, "staff_a": T, "sysadmin": F},
    ),
    (Action.COMMIT_RESOURCE, "resource_c", {"staff_a": F}),
    (Action.COMMIT_RESOURCE, "behalf_resource_a", COMMUNITY_ADMINS),
    (
        Action.SEE_RESOURCE_CONTACT,
        "resource_a",
        {"volunteer": F, "admin_a": T, "street": T, "street2": F, "staff_a": T, "sysadmin": T},
    ),
    (Action.SEE_RESOURCE_CONTACT, "resource_c", {"admin_a": F, "street2": T, "staff_a": F}),
    (
        Action.RELEASE_COMMITMENT,
        "commitment_a",
        {"volunteer": F, "admin_a": F, "staff_a": T, "sysadmin": F},
    ),
    (Action.RELEASE_COMMITMENT, "own_commitment_c", {"volunteer": T, "staff_a": T}),
    # 一键认领: a business holds no places, not even for a system admin. Who acts for a unit
    # and who is its member need reports: tests/needs/test_unit_holds.py has those rows.
    (Action.HOLD_FOR_UNIT, "partner_a", NOBODY),
    (Action.RELEASE_HOLD, "hold_a", NOBODY),
    (Action.CLAIM_HELD_PLACE, "hold_a", NOBODY),
    # 在职党员报到: the community's admins decide, never on their own report.
    (Action.REVIEW_MEMBER_REPORTS, "-", COMMUNITY_ADMINS),
    (Action.DECIDE_MEMBER_REPORT, "member_report_a", COMMUNITY_ADMINS),
    (Action.DECIDE_MEMBER_REPORT, "member_report_c", {"admin_a": F, "street2": F, "sysadmin": T}),
    (Action.DECIDE_MEMBER_REPORT, "own_member_report_a", {"admin_a": F, "sysadmin": F}),
    (
        Action.VIEW_MEMBER_REPORT,
        "member_report_a",
        {"volunteer": T, "admin_a": T, "street": T, "street2": F, "staff_a": F, "sysadmin": T},
    ),
    (Action.OWN_MEMBER_REPORT, "member_report_a", {"volunteer": T, "admin_a": F, "sysadmin": F}),
    (Action.SHOW_REPORTING_QR, "community_a", COMMUNITY_ADMINS),
    (Action.SHOW_REPORTING_QR, "community_c", {"admin_a": F, "street2": F, "sysadmin": T}),
    # Only a liaison of the unit (none here), not even a system admin or the staff.
    (
        Action.CLAIM_MEMBER_REPORTS,
        "partner_a",
        {"volunteer": F, "admin_a": F, "staff_a": F, "sysadmin": F},
    ),
    # Matching: the need's community admins rank, invite and ask; only the invitee answers;
    # the provider side decides a request, never the one who asked.
    (Action.MATCH_NEED, "need_a", COMMUNITY_ADMINS),
    (Action.MATCH_NEED, "need_c", {"admin_a": F, "street2": F, "sysadmin": T}),
    (
        Action.VIEW_INVITATION,
        "invitation_a",
        {"volunteer": T, "admin_a": T, "street": F, "staff_a": F, "sysadmin": T},
    ),
    (Action.MATCH_NEED, "shift_a", COMMUNITY_ADMINS),
    (
        Action.RESPOND_INVITATION,
        "invitation_a",
        {"volunteer": T, "admin_a": F, "street": F, "staff_a": F, "sysadmin": F},
    ),
    (Action.RESPOND_INVITATION, "own_invitation_a", {"admin_a": T, "staff_a": T, "sysadmin": T}),
    (Action.WITHDRAW_INVITATION, "invitation_a", COMMUNITY_ADMINS),
    (
        Action.VIEW_RESOURCE_REQUEST,
        "resource_request_a",
        {"volunteer": F, "admin_a": T, "street": T, "street2": F, "staff_a": T, "sysadmin": T},
    ),
    (
        Action.DECIDE_RESOURCE_REQUEST,
        "resource_request_a",
        {"volunteer": F, "admin_a": F, "street": F, "staff_a": T, "sysadmin": F},
    ),
    (Action.DECIDE_RESOURCE_REQUEST, "own_resource_request_a", {"staff_a": F}),
    (Action.WITHDRAW_RESOURCE_REQUEST, "resource_request_a", COMMUNITY_ADMINS),
    # The projects list: the community's admins keep it; a unit proposes (staff_a's
    # partner is a business here, so nobody); nobody decides a proposal they made.
    (Action.MANAGE_PROJECTS, "community_a", COMMUNITY_ADMINS),
    (Action.MANAGE_PROJECTS, "community_c", {"admin_a": F, "street2": F, "sysadmin": T}),
    (Action.VIEW_PROJECT, "project_a", ADMINS_ONLY | {"street2": F}),
    (Action.VIEW_PROJECT, "project_c", {"admin_a": F, "street": F, "street2": T}),
    (Action.EDIT_PROJECT, "project_a", COMMUNITY_ADMINS),
    (Action.EDIT_PROJECT, "project_c", {"admin_a": F, "sysadmin": T}),
    (Action.DECIDE_PROPOSAL, "proposal_a", COMMUNITY_ADMINS),
    (Action.DECIDE_PROPOSAL, "own_project_a", {"admin_a": F, "sysadmin": F}),
    (Action.PROPOSE_PROJECT, "partner_a", NOBODY),
    # 监测调度: the admins of the unit's subtree read its dashboard.
    (Action.VIEW_DASHBOARD, "community_a", ADMINS_ONLY | {"street2": F}),
    (
        Action.VIEW_DASHBOARD,
        "community_c",
        {"admin_a": F, "street": F, "street2": T, "sysadmin": T},
    ),
    # Reading the admin pages: the admins of the subtree, oversight included.
    (Action.READ_NEEDS, "-", ADMINS_ONLY),
    (Action.READ_REQUESTS, "-", ADMINS_ONLY),
    (Action.READ_REPORTS, "-", ADMINS_ONLY),
    (Action.READ_AUDIT, "-", ADMINS_ONLY),
    # The integrity review: the subtree's admins decide what they had no hand in.
    (Action.REVIEW_INTEGRITY, "-", ADMINS_ONLY),
    (Action.VIEW_REVIEW_ITEM, "review_item_a", ADMINS_ONLY | {"street2": F}),
    (
        Action.VIEW_REVIEW_ITEM,
        "review_item_c",
        {"admin_a": F, "street": F, "street2": T, "sysadmin": T},
    ),
    (Action.DECIDE_REVIEW_ITEM, "review_item_a", ADMINS_ONLY | {"street2": F}),
    (Action.DECIDE_REVIEW_ITEM, "own_review_item_a", {"admin_a": F, "street": F, "sysadmin": F}),
    (Action.READ_NEED, "need_a", ADMINS_ONLY | {"street2": F}),
    (Action.READ_NEED, "need_c", {"admin_a": F, "street": F, "street2": T, "sysadmin": T}),
    (Action.READ_NEED, "shift_a", ADMINS_ONLY | {"street2": F}),
    (Action.READ_VOLUNTEER, "volunteer_a", ADMINS_ONLY | {"street2": F}),
    (Action.READ_VOLUNTEER, "volunteer_c", {"admin_a": F, "street": F, "street2": T}),
    (Action.READ_PROJECTS, "community_a", ADMINS_ONLY | {"street2": F}),
    (Action.READ_PROJECTS, "community_c", {"admin_a": F, "street": F, "street2": T}),
    # Importing a roster: community admins into their own community, system admins anywhere;
    # oversight reads only; a roster is opened by who uploaded it.
    (Action.IMPORT_ROSTER, "-", COMMUNITY_ADMINS),
    (Action.IMPORT_ROSTER_FOR, "community_a", COMMUNITY_ADMINS),
    (Action.IMPORT_ROSTER_FOR, "community_c", {"admin_a": F, "street2": F, "sysadmin": T}),
    (Action.OWN_ROSTER_BATCH, "roster_batch_a", COMMUNITY_ADMINS | {"sysadmin": F}),
    (Action.OWN_ROSTER_BATCH, "own_roster_batch", COMMUNITY_ADMINS),
]


@pytest.mark.parametrize(
    ("action", "relation", "expected"),
    [pytest.param(*row, id=f"{row[0]}-{row[1]}") for row in MATRIX],
)
def test_the_role_action_matrix(matrix, action, relation, expected):
    """Each row: for every role listed, whether it may do ``action`` to the ``relation``."""
    decided = {
        role: permissions.can(
            getattr(matrix, role), action, RELATIONS[relation](matrix, getattr(matrix, role))
        )
        for role in expected
    }
    assert decided == expected


def test_the_matrix_has_a_row_for_every_action():
    assert {action for action, _relation, _expected in MATRIX} == set(Action)


def test_an_action_asked_of_the_wrong_kind_of_object_is_an_error(world):
    with pytest.raises(ValueError):
        permissions.can(world["admin_a"], Action.RUN_SHOP)
    with pytest.raises(ValueError):
        permissions.can(world["admin_a"], Action.MANAGE_NEEDS, world["partner_a"])
    with pytest.raises(TypeError):
        permissions.can(world["admin_a"], Action.VIEW_NEED, object())


# --- get_or_403: load, 404 if missing, then authorize ----------------------------------


def test_a_view_answers_404_for_a_missing_need_403_for_another_communitys(world, client, auth):
    from govhub.database import utcnow
    from tests.factories import make_need

    need_b = make_need(world["tree"], admin=world["admin_b"], community="community_b", now=utcnow())
    auth.login(world["admin_a"].phone)
    assert client.get(f"/manage/needs/{need_b.id}").status_code == 403
    assert client.get(f"/manage/needs/{need_b.id + 1000}").status_code == 404
    auth.logout()
    auth.login(world["admin_b"].phone)
    assert client.get(f"/manage/needs/{need_b.id}").status_code == 200


def test_cancelling_someone_elses_claim_is_404_and_the_claim_is_kept(world, client, auth):
    from sqlalchemy import select

    from govhub.database import utcnow
    from govhub.extensions import db
    from govhub.needs import claims as needs_claims
    from govhub.needs.models import ClaimStatus
    from tests.factories import make_need

    need = make_need(world["tree"], admin=world["admin_a"], now=utcnow())
    needs_claims.claim_shift(world["volunteer"].id, need.shifts[0].id, now=utcnow())
    claim = db.session.scalars(select(Claim)).one()
    other = make_user(world["tree"], name="Other")
    auth.login(other.phone)
    assert client.post(f"/claims/{claim.id}/cancel").status_code == 404
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status is ClaimStatus.confirmed
