"""Invitations to a shift and requests for a resource: what an admin does with a match.

An invitation never holds a place: accepting it claims one under every rule of an
ordinary claim (``needs.claims``), or joins the waiting list of a full shift. A resource
request never takes any of the resource: accepting it commits the quantity through
``resources.services.commit``, whose conditional UPDATE is what keeps a resource from
being over-committed, however many requests are accepted at once.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.accounts.models import User
from govhub.database import enum_type, utcnow
from govhub.enums import LabelledEnum
from govhub.extensions import Model
from govhub.needs.models import Claim, Need, Shift
from govhub.resources.models import Resource, ResourceCommitment


class InvitationStatus(LabelledEnum):
    pending = "pending", _l("Waiting for an answer")
    accepted = "accepted", _l("Accepted")
    declined = "declined", _l("Declined")
    withdrawn = "withdrawn", _l("Withdrawn by the organizer")
    lapsed = "lapsed", _l("Lapsed: the shift started")


class Invitation(Model):
    """An admin's invitation of one volunteer to one shift (one row per pair: inviting
    again after a decline reuses it)."""

    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint("shift_id", "volunteer_id"),
        Index("ix_invitation_volunteer_status", "volunteer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[InvitationStatus] = mapped_column(
        enum_type(InvitationStatus, 16), default=InvitationStatus.pending
    )
    # The reasons shown to the admin when they invited (scoring.Term texts' keys and
    # values), so the volunteer sees why they were asked.
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(String(200), default="")
    # Why the volunteer declined (optional), or the organizer withdrew.
    reason: Mapped[str | None] = mapped_column(String(500))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]

    shift: Mapped[Shift] = relationship()
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    claim: Mapped[Claim | None] = relationship()


class ResourceRequestStatus(LabelledEnum):
    pending = "pending", _l("Waiting for the provider")
    accepted = "accepted", _l("Accepted and committed")
    declined = "declined", _l("Declined")
    withdrawn = "withdrawn", _l("Withdrawn")


class ResourceRequest(Model):
    """A community admin's request for part of a resource for a need; the provider side
    accepts it (committing the quantity) or declines it with a reason."""

    __tablename__ = "resource_request"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        Index("ix_resource_request_resource_status", "resource_id", "status"),
        Index("ix_resource_request_need", "need_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"))
    quantity: Mapped[int]
    note: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[ResourceRequestStatus] = mapped_column(
        enum_type(ResourceRequestStatus, 16), default=ResourceRequestStatus.pending
    )
    # The request form's idempotency key: a double tap asks once.
    key: Mapped[str | None] = mapped_column(String(64), unique=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))
    commitment_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource_commitment.id"), unique=True
    )

    resource: Mapped[Resource] = relationship()
    need: Mapped[Need] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    commitment: Mapped[ResourceCommitment | None] = relationship()
