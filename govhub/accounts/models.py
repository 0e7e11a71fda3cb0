"""People: users, their volunteer profiles, skills and role assignments."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.database import enum_type, utcnow
from govhub.enums import LabelledEnum
from govhub.extensions import Model, db
from govhub.orgs.models import OrgUnit


class Role(LabelledEnum):
    volunteer = "volunteer", _l("Volunteer")
    community_admin = "community_admin", _l("Community admin")
    oversight_admin = "oversight_admin", _l("Oversight admin")
    partner_staff = "partner_staff", _l("Partner staff")
    system_admin = "system_admin", _l("System admin")


# The password hash of an account created for someone (an imported roster) who has not
# chosen a password yet: no password ever matches it (it is not a hash werkzeug can read).
NO_PASSWORD = "!unset"  # noqa: S105 - a marker, not a password


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(16))
    elder_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the login id kept in the session and the "remember me" cookie. Logging out
    # or changing the password replaces it, so every earlier cookie stops working.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    profile: Mapped[VolunteerProfile | None] = relationship(
        back_populates="user", uselist=False, lazy="joined"
    )
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user",
        foreign_keys="RoleAssignment.user_id",
        lazy="selectin",
        order_by="RoleAssignment.id",
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.phone}>"

    # Flask-Login
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def awaiting_activation(self) -> bool:
        """Created for the person (an imported roster); they have not activated it yet."""
        return not self.active and self.password_hash == NO_PASSWORD

    @property
    def masked_phone(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}"


profile_skill = Table(
    "profile_skill",
    db.metadata,
    Column(
        "profile_id", ForeignKey("volunteer_profile.user_id", ondelete="CASCADE"), primary_key=True
    ),
    Column("skill_id", ForeignKey("skill.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class Skill(Model):
    """An entry of the managed skills list."""

    __tablename__ = "skill"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)

    def __repr__(self) -> str:
        return f"<Skill {self.name}>"


class VolunteerProfile(Model):
    __tablename__ = "volunteer_profile"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    is_party_member: Mapped[bool] = mapped_column(Boolean, default=False)
    employer_unit: Mapped[str | None] = mapped_column(String(80))
    availability: Mapped[str | None] = mapped_column(String(200))
    # When the volunteer is free each week, for matching: bit ``weekday * 3 + part``
    # (weekday 0 = Monday; part 0 morning, 1 afternoon, 2 evening, local time). None:
    # not said, any time (``matching.scoring``).
    weekly_availability: Mapped[int | None]

    user: Mapped[User] = relationship(back_populates="profile")
    community: Mapped[OrgUnit] = relationship(foreign_keys=[community_id], lazy="joined")
    grid: Mapped[OrgUnit | None] = relationship(foreign_keys=[grid_id], lazy="joined")
    skills: Mapped[list[Skill]] = relationship(
        secondary=profile_skill, order_by=Skill.name, lazy="selectin"
    )

    @property
    def home(self) -> OrgUnit:
        return self.grid or self.community


class HomeMove(Model):
    """A volunteer's change of home community (a grid alone is not a move), kept so the
    points supermarket can tell how long a home has been in a reward's area."""

    __tablename__ = "home_move"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    from_community_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="CASCADE"))
    to_community_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="CASCADE"))
    moved_at: Mapped[datetime] = mapped_column(default=utcnow)

    from_community: Mapped[OrgUnit] = relationship(foreign_keys=[from_community_id])


class RoleAssignment(Model):
    """A role held by a user on an org unit (every role but partner staff) or a partner."""

    __tablename__ = "role_assignment"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "org_unit_id"),
        UniqueConstraint("user_id", "role", "partner_id"),
        CheckConstraint(
            "(role = 'partner_staff' AND partner_id IS NOT NULL AND org_unit_id IS NULL)"
            " OR (role <> 'partner_staff' AND partner_id IS NULL"
            " AND (org_unit_id IS NOT NULL OR role = 'system_admin'))",
            name="scope_matches_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_type(Role, 24))
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])
    org_unit: Mapped[OrgUnit | None] = relationship(lazy="joined")
    partner: Mapped[Partner | None] = relationship(lazy="joined")

    @property
    def scope_name(self) -> str:
        if self.partner is not None:
            return self.partner.name
        return self.org_unit.name if self.org_unit is not None else ""


from govhub.partners.models import Partner  # noqa: E402  (resolve the relationship)
