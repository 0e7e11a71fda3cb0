"""Accounts: registration, sign-in checks, passwords, profiles, preferences and roles."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defaultload, joinedload, lazyload
from werkzeug.security import check_password_hash, generate_password_hash

from govhub.accounts.models import (
    HomeMove,
    Role,
    RoleAssignment,
    Skill,
    User,
    VolunteerProfile,
    new_session_token,
)
from govhub.accounts.validation import normalize_phone, password_error, phone_error
from govhub.audit import services as audit
from govhub.database import NotFound, ServiceError, get_or_raise, transactional, utcnow
from govhub.extensions import db
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.partners.models import Partner
from govhub.references import RefType

# Checked against when the phone is unknown, so a wrong phone costs as long as a wrong
# password and response times do not tell which numbers are registered.
_DUMMY_HASH: str | None = None


# Set by ``one_hash_per_password``: the hashes made so far, by password.
_shared_hashes: ContextVar[dict[str, str] | None] = ContextVar("shared_hashes", default=None)


@contextmanager
def one_hash_per_password() -> Iterator[None]:
    """While generating demo data in bulk (``seed-city``), hash each distinct password
    once and reuse the hash: scrypt takes about half a second, and the demo's accounts
    share a few published passwords."""
    token = _shared_hashes.set({})
    try:
        yield
    finally:
        _shared_hashes.reset(token)


def hash_password(password: str) -> str:
    shared = _shared_hashes.get()
    if shared is not None and password in shared:
        return shared[password]
    hashed = generate_password_hash(
        password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    )
    if shared is not None:
        shared[password] = hashed
    return hashed


def users_by_id(user_ids: list[int]) -> list[User]:
    if not user_ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(user_ids))))


def find_by_phone(phone: str) -> User | None:
    """The account registered with this mobile number (as typed: spaces, dashes and +86
    are ignored), or None. The one way every domain looks a person up by phone."""
    phone = normalize_phone(phone)
    if not (phone.isascii() and phone.isdigit()):  # stored phones are digits; no NUL lookups
        return None
    return db.session.scalar(select(User).where(User.phone == phone))


def load_session_user(login_id: str) -> User | None:
    """The user for a login id from a session or "remember me" cookie, if still valid."""
    user_id, _sep, token = login_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    # Every request loads its user: the roles and skills (eager elsewhere) wait until a
    # page asks for them, so a request that needs neither (a check-in) skips two queries.
    user = db.session.get(
        User,
        int(user_id),
        options=[
            lazyload(User.roles),
            defaultload(User.profile).lazyload(VolunteerProfile.skills),
        ],
    )
    if user is None or not user.active:
        return None
    return user if hmac.compare_digest(user.session_token, token) else None


def authenticate(phone: str, password: str) -> User | None:
    """The active user with this phone and password, or None."""
    global _DUMMY_HASH
    user = find_by_phone(phone)
    if user is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password("not-a-real-password-0")
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


@dataclass
class Home:
    community: OrgUnit
    grid: OrgUnit | None


def resolve_home(community_id: int | None, grid_id: int | None) -> Home:
    """Check a chosen home community and grid; refuses with the message at the field."""
    community = db.session.get(OrgUnit, community_id) if community_id else None
    if community is None or community.level is not OrgLevel.community:
        raise ServiceError(_("Choose your community."), field="community_id")
    grid = db.session.get(OrgUnit, grid_id) if grid_id else None
    if grid_id and (grid is None or grid.parent_id != community.id):
        raise ServiceError(_("Choose a grid of your community."), field="grid_id")
    if grid is None and community.children:
        raise ServiceError(_("Choose your grid."), field="grid_id")
    return Home(community, grid)


def _check_phone_free(phone: str) -> None:
    existing = db.session.scalar(select(User).where(User.phone == phone))
    if existing is not None and existing.awaiting_activation:
        raise ServiceError(
            _(
                "Your community has already added you. Activate your account with the code "
                "on the slip they gave you."
            ),
            field="phone",
        )
    if existing is not None:
        raise ServiceError(_("This phone number is already registered."), field="phone")


def check_new_password(password: str, phone: str, field: str = "password") -> None:
    if error := password_error(password, phone):
        raise ServiceError(error, field=field)


@transactional
def register(
    phone: str,
    name: str,
    password: str,
    community_id: int | None,
    grid_id: int | None = None,
    *,
    locale: str | None = None,
    elder_mode: bool = False,
) -> User:
    """Create a volunteer account with its profile and the volunteer role."""
    phone = normalize_phone(phone)
    if error := phone_error(phone):
        raise ServiceError(error, field="phone")
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Enter your name."), field="name")
    check_new_password(password, phone)
    home = resolve_home(community_id, grid_id)
    _check_phone_free(phone)

    user = User(
        phone=phone,
        name=name,
        password_hash=hash_password(password),
        locale=locale,
        elder_mode=elder_mode,
    )
    user.profile = VolunteerProfile(community=home.community, grid=home.grid)
    db.session.add(user)
    db.session.add(RoleAssignment(user=user, role=Role.volunteer, org_unit=home.community))
    try:
        db.session.flush()
    except IntegrityError as clash:  # registered at the same moment by another request
        raise ServiceError(_("This phone number is already registered."), field="phone") from clash
    return user


@transactional
def end_sessions(user_id: int) -> None:
    """Invalidate every session and "remember me" cookie of the user (log out)."""
    get_or_raise(User, user_id, _l("No such user.")).session_token = new_session_token()


@transactional
def change_password(user_id: int, current_password: str, new_password: str) -> User:
    user = get_or_raise(User, user_id, _l("No such user."))
    if not check_password_hash(user.password_hash, current_password):
        raise ServiceError(_("The current password is wrong."), field="current_password")
    check_new_password(new_password, user.phone, field="new_password")
    user.password_hash = hash_password(new_password)
    user.session_token = new_session_token()
    audit.record(user.id, "account.password_changed", RefType.user, user.id, unit_id=None)
    return user


@transactional
def update_profile(
    user_id: int,
    *,
    name: str,
    community_id: int | None,
    grid_id: int | None,
    skill_ids: list[int],
    is_party_member: bool,
    employer_unit: str | None,
    availability: str | None,
    weekly_slots: list[int] | None = None,
    now: datetime | None = None,
) -> User:
    """Save the volunteer's own profile. A change of home is audited (old → new) and a
    change of home community is kept as a ``HomeMove`` (area-limited rewards read it)."""
    now = now or utcnow()
    user = get_or_raise(User, user_id, _l("No such user."))
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Enter your name."), field="name")
    home = resolve_home(community_id, grid_id)
    skills = list(db.session.scalars(select(Skill).where(Skill.id.in_(skill_ids or []))))
    if len(skills) != len(set(skill_ids or [])):
        raise ServiceError(_("Choose skills from the list."), field="skills")
    slots = set(weekly_slots or [])
    if any(not 0 <= slot <= 20 for slot in slots):
        raise ServiceError(_("Choose times from the grid."), field="weekly")
    employer_unit = (employer_unit or "").strip() or None
    if is_party_member is False:
        employer_unit = None

    user.name = name
    profile = user.profile or VolunteerProfile(user=user)
    old_home = (profile.community_id, profile.grid_id)
    new_home = (home.community.id, home.grid.id if home.grid else None)
    if profile.community_id not in (None, home.community.id):
        # The volunteer role follows the home community.
        for assignment in user.roles:
            if assignment.role is Role.volunteer and assignment.org_unit_id == profile.community_id:
                assignment.org_unit = home.community
        db.session.add(
            HomeMove(
                user_id=user.id,
                from_community_id=profile.community_id,
                to_community_id=home.community.id,
                moved_at=now,
            )
        )
    if old_home != new_home:
        event = audit.record(
            user.id,
            "account.home_changed",
            RefType.user,
            user.id,
            before={"community_id": old_home[0], "grid_id": old_home[1]},
            after={"community_id": new_home[0], "grid_id": new_home[1]},
        )
        event.created_at = now
    profile.community = home.community
    profile.grid = home.grid
    profile.skills = skills
    profile.is_party_member = is_party_member
    profile.employer_unit = employer_unit
    profile.availability = (availability or "").strip() or None
    # Matching: the weekly grid as a bitmask; nothing ticked is None (any time).
    profile.weekly_availability = sum(1 << slot for slot in slots) or None
    return user


@transactional
def mark_party_member(user_id: int, *, employer_unit: str) -> None:
    """Record on the profile that the volunteer is an in-service party member working at
    ``employer_unit`` (their report to their community says so)."""
    user = get_or_raise(User, user_id, _l("No such user."))
    if user.profile is None:
        raise ServiceError(_("Set your home community in your profile first."))
    user.profile.is_party_member = True
    user.profile.employer_unit = (employer_unit or "").strip()[:80] or None


@transactional
def set_preferences(
    user_id: int, *, locale: str | None = None, elder_mode: bool | None = None
) -> User:
    user = get_or_raise(User, user_id, _l("No such user."))
    if locale is not None:
        user.locale = locale
    if elder_mode is not None:
        user.elder_mode = elder_mode
    return user


# --- Roles ---------------------------------------------------------------------------

ROLE_LEVELS = {
    Role.volunteer: {OrgLevel.community},
    Role.community_admin: {OrgLevel.community},
    Role.oversight_admin: {OrgLevel.street, OrgLevel.district, OrgLevel.city},
    Role.system_admin: set(OrgLevel),
}


@transactional
def assign_role(
    actor_id: int | None,
    user_id: int,
    role: Role,
    *,
    org_unit_id: int | None = None,
    partner_id: int | None = None,
) -> RoleAssignment:
    user = get_or_raise(User, user_id, _l("No such user."))
    unit = partner = None
    if role is Role.partner_staff:
        partner = db.session.get(Partner, partner_id) if partner_id else None
        if partner is None:
            raise ServiceError(_("Choose a partner."), field="partner_id")
    else:
        unit = db.session.get(OrgUnit, org_unit_id) if org_unit_id else None
        if unit is None and role is not Role.system_admin:
            raise ServiceError(_("Choose an org unit."), field="org_unit_id")
        if unit is not None and unit.level not in ROLE_LEVELS[role]:
            raise ServiceError(
                _(
                    "A %(role)s is assigned on a %(levels)s.",
                    role=role.label,
                    levels=" / ".join(
                        level.label for level in sorted(ROLE_LEVELS[role], key=lambda lv: lv.rank)
                    ),
                ),
                field="org_unit_id",
            )
    duplicate = select(RoleAssignment.id).where(
        RoleAssignment.user_id == user.id,
        RoleAssignment.role == role,
        RoleAssignment.org_unit_id == unit.id if unit else RoleAssignment.org_unit_id.is_(None),
        RoleAssignment.partner_id == partner.id if partner else RoleAssignment.partner_id.is_(None),
    )
    if db.session.scalar(duplicate) is not None:
        raise ServiceError(_("This user already has this role there."), field="role")
    assignment = RoleAssignment(
        user=user, role=role, org_unit=unit, partner=partner, granted_by_id=actor_id
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(
        actor_id,
        "role.assigned",
        RefType.user,
        user.id,
        unit_id=unit.id if unit else partner.community_id if partner else None,
        role=role.value,
        org_unit_id=unit.id if unit else None,
        partner_id=partner.id if partner else None,
    )
    return assignment


@transactional
def revoke_role(actor_id: int | None, assignment_id: int, reason: str | None = None) -> None:
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None:
        raise NotFound(_("This role assignment no longer exists."))
    if assignment.role is Role.system_admin:
        admins = db.session.scalar(
            select(func.count(func.distinct(RoleAssignment.user_id))).where(
                RoleAssignment.role == Role.system_admin
            )
        )
        if (admins or 0) <= 1:
            raise ServiceError(_("The last system admin cannot be removed."))
    audit.record(
        actor_id,
        "role.revoked",
        RefType.user,
        assignment.user_id,
        reason=reason,
        unit_id=assignment.org_unit_id
        if assignment.org_unit_id
        else assignment.partner.community_id
        if assignment.partner
        else None,
        role=assignment.role.value,
        org_unit_id=assignment.org_unit_id,
        partner_id=assignment.partner_id,
    )
    db.session.delete(assignment)


@transactional
def create_admin(phone: str, name: str, password: str, org_unit_id: int | None = None) -> User:
    """Create a system admin (or give an existing account the role); used by the CLI."""
    phone = normalize_phone(phone)
    if error := phone_error(phone):
        raise ServiceError(error, field="phone")
    user = find_by_phone(phone)
    if user is None:
        check_new_password(password, phone)
        if not (name or "").strip():
            raise ServiceError(_("Enter your name."), field="name")
        user = User(phone=phone, name=name.strip(), password_hash=hash_password(password))
        db.session.add(user)
        db.session.flush()
    if not any(a.role is Role.system_admin for a in user.roles):
        assign_role(None, user.id, Role.system_admin, org_unit_id=org_unit_id)
    return user


@transactional
def add_skill(actor_id: int, name: str) -> Skill:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Enter a skill."), field="name")
    if db.session.scalar(select(Skill).where(Skill.name == name)):
        raise ServiceError(_("This skill is already in the list."), field="name")
    skill = Skill(name=name)
    db.session.add(skill)
    db.session.flush()
    audit.record(actor_id, "skill.added", RefType.skill, skill.id, name=name)
    return skill


def all_skills() -> list[Skill]:
    return list(db.session.scalars(select(Skill).order_by(Skill.name)))


def role_holders(org_unit_id: int) -> list[RoleAssignment]:
    """Role assignments on one org unit, with their users (one query)."""
    query = (
        select(RoleAssignment)
        .where(RoleAssignment.org_unit_id == org_unit_id, RoleAssignment.role != Role.volunteer)
        .options(joinedload(RoleAssignment.user))
        .order_by(RoleAssignment.role, RoleAssignment.id)
    )
    return list(db.session.scalars(query).unique())
