"""Every table, imported in one place so Alembic and ``db.create_all`` see them all."""

from govhub.accounts.models import RoleAssignment, Skill, User, VolunteerProfile
from govhub.audit.models import AuditEvent
from govhub.checkin.models import Attendance, ShiftLeader, VolunteerCard
from govhub.integrity.models import ReviewItem
from govhub.matching.models import Invitation, ResourceRequest
from govhub.needs.models import (
    Category,
    CategoryRate,
    Claim,
    Need,
    Rating,
    ResidentRequest,
    Shift,
    UnitHold,
)
from govhub.notifications.models import Notification
from govhub.orgs.models import CommunitySettings, OrgUnit
from govhub.oversight.models import attendance_hours, ledger_amounts
from govhub.partners.models import Partner
from govhub.points.models import LedgerAudit, LedgerEntry, PointsAccount
from govhub.projects.models import Project, ProjectPhoto
from govhub.reporting.models import ClaimRefusal, MemberReport, ServiceCard, UnitReport
from govhub.resources.models import Resource, ResourceCommitment, ResourceWindow
from govhub.rewards.models import Redemption, Reward, RewardPhoto
from govhub.roster.models import RosterBatch, RosterMember
from govhub.scheduler import SchedulerLease

__all__ = [
    "ReviewItem",
    "attendance_hours",
    "ledger_amounts",
    "Invitation",
    "ResourceRequest",
    "Project",
    "ProjectPhoto",
    "ClaimRefusal",
    "UnitReport",
    "UnitHold",
    "ServiceCard",
    "ResourceWindow",
    "ResourceCommitment",
    "Resource",
    "MemberReport",
    "Attendance",
    "AuditEvent",
    "Category",
    "CategoryRate",
    "Claim",
    "CommunitySettings",
    "LedgerAudit",
    "LedgerEntry",
    "Need",
    "Notification",
    "OrgUnit",
    "Partner",
    "PointsAccount",
    "Rating",
    "Redemption",
    "ResidentRequest",
    "Reward",
    "RosterBatch",
    "RosterMember",
    "RewardPhoto",
    "RoleAssignment",
    "SchedulerLease",
    "Shift",
    "ShiftLeader",
    "Skill",
    "User",
    "VolunteerCard",
    "VolunteerProfile",
]
