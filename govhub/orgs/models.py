"""The administrative tree: city → district → street → community → grid."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, and_
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.database import enum_type
from govhub.enums import LabelledEnum
from govhub.extensions import Model


class OrgLevel(LabelledEnum):
    city = "city", _l("City")
    district = "district", _l("District")
    street = "street", _l("Street")
    community = "community", _l("Community")
    grid = "grid", _l("Grid")

    @property
    def rank(self) -> int:
        return LEVEL_ORDER.index(self)

    @property
    def child(self) -> OrgLevel | None:
        return LEVEL_ORDER[self.rank + 1] if self.rank + 1 < len(LEVEL_ORDER) else None

    @property
    def parent(self) -> OrgLevel | None:
        return LEVEL_ORDER[self.rank - 1] if self.rank > 0 else None


LEVEL_ORDER = list(OrgLevel)
# The materialized path is compared byte by byte ("C" collation on PostgreSQL; SQLite's
# default BINARY), so a subtree is one index range scan whatever the database locale.
PathType = String(255).with_variant(postgresql.VARCHAR(255, collation="C"), "postgresql")


class OrgUnit(Model):
    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[OrgLevel] = mapped_column(enum_type(OrgLevel, 16))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True
    )
    # "/1/4/17/": the ids from the root down to this unit, each followed by "/".
    path: Mapped[str] = mapped_column(PathType, unique=True)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent", order_by="OrgUnit.code")

    def __repr__(self) -> str:
        return f"<OrgUnit {self.code} {self.name}>"

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to and including this unit."""
        return [int(part) for part in self.path.strip("/").split("/")]

    def contains(self, other: OrgUnit | None) -> bool:
        """True when ``other`` is this unit or lies below it."""
        return other is not None and other.path.startswith(self.path)

    @staticmethod
    def subtree_clause(path: str, column=None):
        """SQL condition: ``column`` (a path column, default OrgUnit.path) lies under ``path``.

        Written as a range rather than LIKE so it uses the path index on both databases:
        every descendant path starts with ``path``, which ends in "/", and "/" sorts just
        before "0".
        """
        column = OrgUnit.path if column is None else column
        return and_(column >= path, column < path[:-1] + "0")


class CommunitySettings(Model):
    """Rules a community sets for itself; a community without a row uses the defaults."""

    __tablename__ = "community_settings"
    __table_args__ = (
        CheckConstraint("points_per_hour BETWEEN 0 AND 1000", name="points_per_hour_range"),
        CheckConstraint("cancel_cutoff_minutes BETWEEN 0 AND 10080", name="cutoff_range"),
        CheckConstraint("checkin_opens_minutes BETWEEN 0 AND 1440", name="checkin_opens_range"),
        CheckConstraint("rounding_minutes BETWEEN 1 AND 60", name="rounding_range"),
        CheckConstraint("auto_confirm_days BETWEEN 1 AND 30", name="auto_confirm_range"),
    )

    DEFAULT_POINTS_PER_HOUR = 10
    DEFAULT_CANCEL_CUTOFF_MINUTES = 120

    DEFAULT_CHECKIN_OPENS_MINUTES = 30
    DEFAULT_ROUNDING_MINUTES = 30
    DEFAULT_AUTO_CONFIRM_DAYS = 3

    community_id: Mapped[int] = mapped_column(
        ForeignKey("org_unit.id", ondelete="CASCADE"), primary_key=True
    )
    points_per_hour: Mapped[int] = mapped_column(default=DEFAULT_POINTS_PER_HOUR)
    # Volunteers may cancel a claim until this many minutes before the shift starts.
    cancel_cutoff_minutes: Mapped[int] = mapped_column(default=DEFAULT_CANCEL_CUTOFF_MINUTES)
    # Check-in opens this many minutes before a shift starts (and closes at its end).
    checkin_opens_minutes: Mapped[int] = mapped_column(default=DEFAULT_CHECKIN_OPENS_MINUTES)
    # Hours served are rounded down to this many minutes.
    rounding_minutes: Mapped[int] = mapped_column(default=DEFAULT_ROUNDING_MINUTES)
    # Attendance not confirmed by an admin within this many days is confirmed as recorded.
    auto_confirm_days: Mapped[int] = mapped_column(default=DEFAULT_AUTO_CONFIRM_DAYS)
    # Hours entered by hand (no scan) earn points; they are flagged for a second look.
    manual_hours_earn: Mapped[bool] = mapped_column(default=True)
