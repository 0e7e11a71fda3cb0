"""The points supermarket (积分超市): rewards that partners list, and the vouchers (兑换券)
volunteers redeem them for."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from govhub.accounts.models import User
from govhub.database import enum_type, utcnow
from govhub.enums import LabelledEnum
from govhub.extensions import Model
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.partners.models import Partner


class RewardArea(LabelledEnum):
    """Whose volunteers may redeem a reward: those of the partner's community, street or
    district."""

    community = "community", _l("Volunteers of our community")
    street = "street", _l("Volunteers of our street")
    district = "district", _l("Volunteers of our district")

    @property
    def level(self) -> OrgLevel:
        return OrgLevel(self.value)


class RewardStatus(LabelledEnum):
    active = "active", _l("On offer")
    paused = "paused", _l("Paused")


class RewardPhoto(Model):
    """A reward's photo as we re-encoded it (JPEG, no metadata); never the uploaded file.

    Kept in the database so every app server serves it and backups include it. A new
    upload is a new row, so a photo's URL can be cached forever."""

    __tablename__ = "reward_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reward(Model):
    __tablename__ = "reward"
    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("monthly_limit IS NULL OR monthly_limit > 0", name="limit_positive"),
        CheckConstraint(
            "available_until IS NULL OR available_from IS NULL "
            "OR available_until >= available_from",
            name="availability_ordered",
        ),
        Index("ix_reward_partner_status", "partner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    title: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("reward_photo.id"))
    price: Mapped[int]
    stock: Mapped[int]
    # Vouchers one volunteer may hold or have used per calendar month (None: no limit).
    monthly_limit: Mapped[int | None]
    # Local dates, both inclusive; None means open-ended.
    available_from: Mapped[date | None]
    available_until: Mapped[date | None]
    area: Mapped[RewardArea] = mapped_column(enum_type(RewardArea, 16))
    # The org unit ``area`` resolved to when the reward was saved.
    area_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    status: Mapped[RewardStatus] = mapped_column(
        enum_type(RewardStatus, 16), default=RewardStatus.active
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    partner: Mapped[Partner] = relationship(lazy="joined")
    area_unit: Mapped[OrgUnit] = relationship()
    photo: Mapped[RewardPhoto | None] = relationship()

    def __repr__(self) -> str:
        return f"<Reward {self.id} {self.title}>"


class VoucherStatus(LabelledEnum):
    issued = "issued", _l("Ready to use")  # waiting to be used at the counter
    fulfilled = "fulfilled", _l("Used")  # verified by the partner's staff (核销)
    cancelled = "cancelled", _l("Cancelled, points refunded")  # by the volunteer; refunded
    # by the staff, with a reason; refunded
    rejected = "rejected", _l("Rejected by the business, points refunded")
    # unused until it expired; refunded by the scheduler
    expired = "expired", _l("Expired, points refunded")
    voided = "voided", _l("Withdrawn, points refunded")  # the partner was suspended; refunded

    @property
    def refunded(self) -> bool:
        return self not in (VoucherStatus.issued, VoucherStatus.fulfilled)


# Vouchers that count towards a reward's monthly limit: those not given back.
COUNTED_STATUSES = (VoucherStatus.issued, VoucherStatus.fulfilled)


class Redemption(Model):
    """A voucher: points spent on a reward, used once at the partner's counter.

    ``title`` and ``price`` are copied from the reward when it is issued, so editing the
    reward never changes a voucher. ``request_key`` is the redeem button's idempotency
    key: a double click or a retried request finds this voucher instead of a new one.
    A voucher leaves ``issued`` once, by a conditional UPDATE, so it is either fulfilled
    or refunded, never both.
    """

    __tablename__ = "redemption"
    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        Index("ix_redemption_volunteer_reward_issued", "volunteer_id", "reward_id", "issued_at"),
        Index("ix_redemption_partner_status", "partner_id", "status"),
        Index("ix_redemption_status_expires", "status", "expires_at"),
        # A community's vouchers of a month (economy report): its members' rows only.
        Index("ix_redemption_volunteer_status_issued", "volunteer_id", "status", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("reward.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    title: Mapped[str] = mapped_column(String(80))
    price: Mapped[int]
    # Eight characters from an alphabet without 0/O/1/I, to be read aloud at the counter.
    code: Mapped[str] = mapped_column(String(8), unique=True)
    request_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[VoucherStatus] = mapped_column(
        enum_type(VoucherStatus, 16), default=VoucherStatus.issued
    )
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    fulfilled_at: Mapped[datetime | None] = mapped_column(index=True)
    fulfilled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # When and by whom it was cancelled, rejected, expired or voided, and why.
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    close_reason: Mapped[str | None] = mapped_column(String(500))

    reward: Mapped[Reward] = relationship()
    partner: Mapped[Partner] = relationship(lazy="joined")
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    fulfilled_by: Mapped[User | None] = relationship(foreign_keys=[fulfilled_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    @property
    def display_code(self) -> str:
        """The code in two groups of four, easier to read aloud: "K7QM-3XHP"."""
        return f"{self.code[:4]}-{self.code[4:]}"

    def __repr__(self) -> str:
        return f"<Redemption {self.id} {self.code} {self.status}>"
