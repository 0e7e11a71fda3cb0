"""Projects (项目清单).

A project belongs to one community. It starts from the community's own needs
(``origin=need``) or from a stationed unit's proposal (``origin=proposal``: status
``proposed`` until the community accepts it onto its list, or declines it). Its
volunteers are those who served its needs' shifts, its resources the commitments to its
needs or to the project itself (``ResourceCommitment.project_id``), its partners those
providers and the partners named on it (``project_partner``). A completed project keeps
its outcome: people served, a short report and photos; ``published`` puts it on the
community's public three-lists page (居务公开).
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from govhub.accounts.models import User
from govhub.database import enum_type, utcnow
from govhub.enums import LabelledEnum
from govhub.extensions import Model, db
from govhub.needs.models import Need
from govhub.orgs.models import OrgUnit
from govhub.partners.models import Partner


class ProjectStatus(LabelledEnum):
    proposed = "proposed", _l("Proposed by a unit")
    declined = "declined", _l("Proposal declined")
    active = "active", _l("Under way")
    completed = "completed", _l("Completed")
    cancelled = "cancelled", _l("Cancelled")


class ProjectOrigin(LabelledEnum):
    need = "need", _l("From the needs list")
    proposal = "proposal", _l("Proposed by a unit")


# A need is part of at most one project (the UNIQUE need_id).
project_need = Table(
    "project_need",
    db.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column("need_id", ForeignKey("need.id", ondelete="CASCADE"), primary_key=True, unique=True),
)

project_partner = Table(
    "project_partner",
    db.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "partner_id", ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class Project(Model):
    __tablename__ = "project"
    __table_args__ = (
        Index("ix_project_community_status", "community_id", "status"),
        CheckConstraint(
            "people_served IS NULL OR people_served BETWEEN 0 AND 1000000",
            name="people_served_range",
        ),
        CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="dates_ordered"
        ),
        CheckConstraint(
            "origin <> 'proposal' OR proposed_by_partner_id IS NOT NULL",
            name="proposal_has_partner",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    title: Mapped[str] = mapped_column(String(80))
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProjectStatus] = mapped_column(
        enum_type(ProjectStatus, 16), default=ProjectStatus.active
    )
    origin: Mapped[ProjectOrigin] = mapped_column(
        enum_type(ProjectOrigin, 16), default=ProjectOrigin.need
    )
    # The unit that proposed it (项目认领), and what it offers to do.
    proposed_by_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), index=True)
    offer: Mapped[str] = mapped_column(String(500), default="")
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    # The outcome, recorded at completion.
    people_served: Mapped[int | None]
    outcome: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why a proposal was declined or a project cancelled.
    reason: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    completed_at: Mapped[datetime | None] = mapped_column(index=True)

    community: Mapped[OrgUnit] = relationship(lazy="joined")
    proposed_by: Mapped[Partner | None] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    needs: Mapped[list[Need]] = relationship(secondary=project_need, order_by=Need.id)
    partners: Mapped[list[Partner]] = relationship(secondary=project_partner, order_by=Partner.name)
    photos: Mapped[list[ProjectPhoto]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectPhoto.id"
    )


class ProjectPhoto(Model):
    """A photo of a project's outcome as we re-encoded it (JPEG, no metadata; as reward
    photos, ``rewards/photos.py``); never the uploaded file."""

    __tablename__ = "project_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    width: Mapped[int]
    height: Mapped[int]
    caption: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship(back_populates="photos")
