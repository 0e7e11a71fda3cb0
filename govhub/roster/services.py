"""Importing a roster: upload, preview, confirm; activation slips; activating an account.

Race model. Confirming claims the batch with ``UPDATE roster_batch SET confirmed_at ...
WHERE confirmed_at IS NULL`` before it reads the rows: of two concurrent confirmations one
claims it, the other finds it claimed (PostgreSQL re-checks the row once the first commits;
SQLite's BEGIN IMMEDIATE queues them) and creates nothing. Two different batches with the
same phone confirmed at once meet at ``user_account.phone``'s UNIQUE constraint: the loser
runs again (``RetryTransaction``) and then sees the person as already there. Activation
marks the code used with a conditional UPDATE too, so a code activates once.

Codes: 8 characters of an alphabet without 0/O and 1/I (32 symbols, 40 bits), so guessing
is impractical together with the throttle of the activation page. Only an HMAC of the code
(keyed by the app secret, bound to the person) is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from govhub import permissions
from govhub.accounts import services as accounts
from govhub.accounts.models import (
    NO_PASSWORD,
    Role,
    RoleAssignment,
    Skill,
    User,
    VolunteerProfile,
    new_session_token,
)
from govhub.accounts.validation import normalize_phone, phone_error
from govhub.audit import services as audit
from govhub.database import (
    RetryTransaction,
    ServiceError,
    bad_text_error,
    get_or_raise,
    transactional,
)
from govhub.extensions import db
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.permissions import Action
from govhub.references import RefType
from govhub.roster.models import RosterBatch, RosterMember
from govhub.roster.sheet import SheetRow, read_rows

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
MAX_NAME = 40
MAX_EMPLOYER = 80
SKILL_SEPARATORS = re.compile(r"[、,，;；]")
YES = {"是", "y", "yes", "1", "true", "√", "✓", "党员", "中共党员"}
NO = {"否", "n", "no", "0", "false", "×", "非党员", "群众", ""}


# --- Upload --------------------------------------------------------------------------


@transactional
def upload(actor_id: int, filename: str, content: bytes, *, now: datetime) -> RosterBatch:
    """Keep an uploaded roster as a batch (the same file from the same admin: the batch it
    already is). Refuses, at the ``file`` field, what cannot be read as a roster."""
    if len(content) > current_app.config["ROSTER_MAX_BYTES"]:
        raise ServiceError(
            _(
                "The file is larger than %(n)d MB. Split the roster into smaller files.",
                n=current_app.config["ROSTER_MAX_BYTES"] // (1024 * 1024),
            ),
            field="file",
        )
    read_rows(content, current_app.config["ROSTER_MAX_ROWS"])
    digest = hashlib.sha256(content).hexdigest()
    existing = db.session.scalar(
        select(RosterBatch).where(
            RosterBatch.uploaded_by_id == actor_id, RosterBatch.sha256 == digest
        )
    )
    if existing is not None:
        return existing
    name = "".join(ch for ch in (filename or "") if ch.isprintable())[-255:] or "roster.xlsx"
    batch = RosterBatch(
        uploaded_by_id=actor_id, sha256=digest, filename=name, content=content, uploaded_at=now
    )
    db.session.add(batch)
    try:
        db.session.flush()
    except IntegrityError as clash:  # the same file uploaded twice at once
        raise RetryTransaction() from clash
    return batch


def recent_batches(actor_id: int, limit: int = 10) -> list[RosterBatch]:
    query = (
        select(RosterBatch)
        .where(RosterBatch.uploaded_by_id == actor_id)
        .order_by(RosterBatch.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


# --- Preview ---------------------------------------------------------------------------


class RowStatus(StrEnum):
    create = "create"  # a new person: created on confirmation
    present = "present"  # the same phone already lives in this community: nothing to do
    error = "error"  # not imported; the reasons say why


@dataclass
class PreviewRow:
    number: int
    name: str
    phone: str
    community: OrgUnit | None = None
    grid: OrgUnit | None = None
    skills: list[Skill] = field(default_factory=list)
    is_party_member: bool = False
    employer_unit: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    present: bool = False

    @property
    def status(self) -> RowStatus:
        if self.errors:
            return RowStatus.error
        return RowStatus.present if self.present else RowStatus.create

    @property
    def masked_phone(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}" if len(self.phone) == 11 else self.phone


@dataclass
class Preview:
    batch: RosterBatch
    rows: list[PreviewRow]

    def having(self, status: RowStatus) -> list[PreviewRow]:
        return [row for row in self.rows if row.status is status]

    @property
    def to_create(self) -> list[PreviewRow]:
        return self.having(RowStatus.create)

    @property
    def already(self) -> list[PreviewRow]:
        return self.having(RowStatus.present)

    @property
    def with_errors(self) -> list[PreviewRow]:
        return self.having(RowStatus.error)


def _shown(value: str, limit: int = 24) -> str:
    """A cell's value quoted back in an error, cut short."""
    value = "".join(ch if ch.isprintable() else "�" for ch in value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _check_name(row: PreviewRow, raw: str) -> None:
    row.name = raw
    if not raw:
        row.errors.append(_("The name is missing."))
    elif len(raw) > MAX_NAME:
        row.errors.append(_("The name is longer than %(n)d characters.", n=MAX_NAME))
    elif error := bad_text_error(raw):
        row.errors.append(error)


def _check_party(row: PreviewRow, raw: str, employer: str) -> None:
    value = raw.strip().lower()
    if value in YES:
        row.is_party_member = True
    elif value not in NO:
        row.errors.append(
            _("Party member: write 是 or 否 (the cell says %(value)s).", value=_shown(raw))
        )
    if not employer:
        return
    if len(employer) > MAX_EMPLOYER:
        row.errors.append(_("The employer unit is longer than %(n)d characters.", n=MAX_EMPLOYER))
    elif error := bad_text_error(employer):
        row.errors.append(error)
    elif row.is_party_member:
        row.employer_unit = employer
    else:
        row.warnings.append(_("The employer unit is kept for party members only; left out."))


def preview(batch: RosterBatch, actor: User) -> Preview:
    """What confirming ``batch`` would do, row by row, for ``actor`` (whose communities
    decide which rows are theirs to import). Reads only."""
    sheet_rows = read_rows(batch.content, current_app.config["ROSTER_MAX_ROWS"])
    return Preview(batch, _classify(sheet_rows, actor))


def _classify(sheet_rows: list[SheetRow], actor: User) -> list[PreviewRow]:
    codes = {r.values.get(key, "") for r in sheet_rows for key in ("community", "grid")}
    units = {
        unit.code: unit
        for unit in db.session.scalars(select(OrgUnit).where(OrgUnit.code.in_(codes - {""})))
    }
    phones = {normalize_phone(r.values.get("phone")) for r in sheet_rows}
    valid_phones = [p for p in phones if not phone_error(p)]
    people = {
        user.phone: user
        for user in db.session.scalars(select(User).where(User.phone.in_(valid_phones)))
    }
    skills = {skill.name: skill for skill in accounts.all_skills()}
    seen: dict[str, int] = {}
    rows = []
    for sheet_row in sheet_rows:
        values = sheet_row.values
        raw_phone = values.get("phone", "")
        phone = normalize_phone(raw_phone)
        row = PreviewRow(sheet_row.number, "", phone)
        _check_name(row, values.get("name", ""))
        if not raw_phone:
            row.errors.append(_("The phone number is missing."))
        elif phone_error(phone):
            row.errors.append(
                _(
                    "The phone number %(phone)s is not an 11-digit mainland mobile number.",
                    phone=_shown(raw_phone),
                )
            )
        elif phone in seen:
            row.errors.append(
                _("The same phone number as row %(row)d (each person once).", row=seen[phone])
            )
        else:
            seen[phone] = row.number
        _check_home(row, values, units, actor)
        wanted = [s.strip() for s in SKILL_SEPARATORS.split(values.get("skills", ""))]
        wanted = list(dict.fromkeys(s for s in wanted if s))
        row.skills = [skills[name] for name in wanted if name in skills]
        unknown = [name for name in wanted if name not in skills]
        if unknown:
            row.warnings.append(
                _(
                    "Skills not in the platform's list, left out: %(names)s.",
                    names="、".join(_shown(name) for name in unknown),
                )
            )
        _check_party(row, values.get("party", ""), values.get("employer", ""))
        existing = people.get(phone) if not row.errors else None
        if existing is not None:
            profile = existing.profile
            if profile is not None and row.community and profile.community_id == row.community.id:
                row.present = True
            else:
                row.errors.append(_("This phone number is already registered by someone else."))
        rows.append(row)
    return rows


def _check_home(row: PreviewRow, values: dict[str, str], units: dict, actor: User) -> None:
    code, grid_code = values.get("community", ""), values.get("grid", "")
    community = units.get(code)
    if not code:
        row.errors.append(_("The community code is missing."))
        return
    if community is None or community.level is not OrgLevel.community:
        row.errors.append(_("Unknown community code %(code)s.", code=_shown(code)))
        return
    if not permissions.can(actor, Action.IMPORT_ROSTER_FOR, community):
        row.errors.append(_("%(name)s is not a community you administer.", name=community.name))
        return
    row.community = community
    if grid_code:
        grid = units.get(grid_code)
        if grid is None or grid.parent_id != community.id:
            row.errors.append(
                _(
                    "%(code)s is not a grid of %(community)s.",
                    code=_shown(grid_code),
                    community=community.name,
                )
            )
        else:
            row.grid = grid


# --- Confirm ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    created: int
    already: int
    errors: int


@transactional
def confirm(actor_id: int, batch_id: int, *, now: datetime) -> ImportResult:
    """Create the accounts of the rows to create, once. A batch confirmed before (or at the
    same moment) is refused and creates nothing."""
    actor = get_or_raise(User, actor_id, _l("No such user."))
    batch = get_or_raise(RosterBatch, batch_id, _l("This roster no longer exists."))
    claimed = cast(
        CursorResult[Any],
        db.session.execute(
            update(RosterBatch)
            .where(RosterBatch.id == batch_id, RosterBatch.confirmed_at.is_(None))
            .values(confirmed_at=now)
        ),
    ).rowcount
    if not claimed:
        raise ServiceError(_("This roster has already been imported."))
    result = preview(batch, actor)
    for row in result.to_create:
        assert row.community is not None  # a row to create has its community
        user = User(
            phone=row.phone,
            name=row.name,
            password_hash=NO_PASSWORD,
            active=False,
            created_at=now,
        )
        user.profile = VolunteerProfile(
            community=row.community,
            grid=row.grid,
            skills=row.skills,
            is_party_member=row.is_party_member,
            employer_unit=row.employer_unit,
        )
        db.session.add(user)
        db.session.add(RoleAssignment(user=user, role=Role.volunteer, org_unit=row.community))
        db.session.add(RosterMember(user=user, batch_id=batch.id, row_number=row.number))
    try:
        db.session.flush()
    except IntegrityError as clash:  # a phone created by another batch at the same moment
        raise RetryTransaction() from clash
    outcome = ImportResult(len(result.to_create), len(result.already), len(result.with_errors))
    db.session.execute(
        update(RosterBatch).where(RosterBatch.id == batch_id).values(created_count=outcome.created)
    )
    audit.record(
        actor_id,
        "roster.imported",
        RefType.roster_batch,
        batch.id,
        created=outcome.created,
        already=outcome.already,
        errors=outcome.errors,
        sha256=batch.sha256,
    )
    return outcome


def members(batch_id: int) -> list[RosterMember]:
    query = (
        select(RosterMember)
        .where(RosterMember.batch_id == batch_id)
        .order_by(RosterMember.row_number)
    )
    return list(db.session.scalars(query))


# --- Activation slips ------------------------------------------------------------------


def code_digest(user_id: int, code: str) -> str:
    key = current_app.secret_key
    if not key:
        raise RuntimeError("SECRET_KEY is not set")
    message = f"govhub.roster-activation.v1:{user_id}:{code}".encode()
    return hmac.new(str(key).encode(), message, hashlib.sha256).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """How a slip prints a code: two groups of four (ABCD-EFGH)."""
    return f"{code[:4]}-{code[4:]}"


def normalize_code(raw: str | None) -> str:
    """A code as typed: case, spaces and dashes do not matter."""
    return re.sub(r"[\s\-]", "", raw or "").upper()


@dataclass(frozen=True)
class Slip:
    name: str
    masked_phone: str
    community: str
    grid: str | None
    code: str  # the plain code: exists only on the slip being printed
    expires_at: datetime


# One print run: 20 A4 pages of six slips (each slip carries its QR as an image).
SLIPS_PER_PRINT = 120


def slips_to_print(batch_members: list[RosterMember]) -> list[RosterMember]:
    """Who the next print run is for, at most ``SLIPS_PER_PRINT``: the people without a
    slip yet; when everyone has one, new slips for those not activated, the fewest printed
    first (a code someone holds is replaced only when every slip has been printed)."""
    waiting = [m for m in batch_members if m.activated_at is None]
    chosen = [m for m in waiting if m.slips_printed == 0] or sorted(
        waiting, key=lambda m: (m.slips_printed, m.row_number)
    )
    return chosen[:SLIPS_PER_PRINT]


@transactional
def issue_slips(
    actor_id: int, batch_id: int, *, now: datetime, user_ids: list[int] | None = None
) -> list[Slip]:
    """New codes for the next print run of ``batch_id`` (``slips_to_print``), or for the
    people in ``user_ids`` who have not activated yet; a code printed before stops
    working."""
    batch = get_or_raise(RosterBatch, batch_id, _l("This roster no longer exists."))
    if batch.confirmed_at is None:
        raise ServiceError(_("Import the roster first; slips are printed for imported people."))
    expires = now + timedelta(days=current_app.config["ROSTER_CODE_DAYS"])
    everyone = members(batch_id)
    if user_ids is None:
        chosen = slips_to_print(everyone)
    else:
        wanted = set(user_ids)
        chosen = [m for m in everyone if m.activated_at is None and m.user_id in wanted]
    slips = []
    for member in chosen:
        code = new_code()
        member.code_digest = code_digest(member.user_id, code)
        member.code_expires_at = expires
        member.code_used_at = None
        member.slips_printed += 1
        profile = member.user.profile
        assert profile is not None  # created with the person
        slips.append(
            Slip(
                member.user.name,
                member.user.masked_phone,
                profile.community.name,
                profile.grid.name if profile.grid else None,
                code,
                expires,
            )
        )
    audit.record(actor_id, "roster.slips_issued", RefType.roster_batch, batch.id, slips=len(slips))
    return slips


# --- Activation ------------------------------------------------------------------------


class CodeRefused(ServiceError):
    """The code does not activate this phone's account (wrong, used or expired); the
    activation page counts these against its throttle."""


@transactional
def activate(phone: str, code: str, password: str, *, now: datetime) -> User:
    """Activate an imported account: the right phone and its slip's current code, once,
    with the person's new password. A phone alone never activates."""
    user = accounts.find_by_phone(phone)
    member = db.session.get(RosterMember, user.id) if user is not None else None
    code = normalize_code(code)
    if (
        user is None
        or member is None
        or member.code_digest is None
        or not hmac.compare_digest(member.code_digest, code_digest(user.id, code))
    ):
        raise CodeRefused(
            _(
                "This code does not match this phone number. Check both against your slip; "
                "the code of an older slip no longer works."
            ),
            field="code",
        )
    if member.code_used_at is not None or member.activated_at is not None or user.active:
        raise CodeRefused(
            _("This code has already been used. Log in with your phone number and password."),
            field="code",
        )
    assert member.code_expires_at is not None  # set with the code
    if member.code_expires_at <= now:
        raise CodeRefused(
            _("This code has expired. Ask your community for a new slip."), field="code"
        )
    accounts.check_new_password(password, user.phone)
    used = cast(
        CursorResult[Any],
        db.session.execute(
            update(RosterMember)
            .where(
                RosterMember.user_id == user.id,
                RosterMember.code_used_at.is_(None),
                RosterMember.code_digest == member.code_digest,
            )
            .values(code_used_at=now, activated_at=now)
        ),
    ).rowcount
    if not used:  # activated by another request at the same moment
        raise CodeRefused(
            _("This code has already been used. Log in with your phone number and password."),
            field="code",
        )
    user.password_hash = accounts.hash_password(password)
    user.active = True
    user.session_token = new_session_token()
    audit.record(user.id, "account.activated", RefType.user, user.id)
    return user
