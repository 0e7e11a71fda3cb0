"""A community's settings: points per hour, category coefficients, the cut-off for
cancelling, the check-in window, rounding and the confirmation grace period.

Every function that changes something is one transaction (``@transactional``).
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from govhub.audit import services as audit
from govhub.database import ServiceError, transactional
from govhub.extensions import db
from govhub.needs.models import (
    Category,
    CategoryRate,
)
from govhub.orgs.models import CommunitySettings
from govhub.references import RefType

# Communities found to have no settings row in the session's current transaction: a page
# that asks for each of its rows' settings (a list of shifts) would otherwise look the
# same missing row up again for every one (a row found is kept by the identity map).
_NO_ROW = "govhub_communities_without_settings"


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_missing_settings(session, *_args) -> None:
    """A flush may have inserted the row, and another transaction may see one."""
    session.info.pop(_NO_ROW, None)


def community_settings(community_id: int) -> CommunitySettings:
    """The community's settings row, or an unsaved one with the defaults."""
    missing: set[int] = db.session.info.setdefault(_NO_ROW, set())
    row = None if community_id in missing else db.session.get(CommunitySettings, community_id)
    if row is not None:
        return row
    missing.add(community_id)
    return CommunitySettings(
        community_id=community_id,
        points_per_hour=CommunitySettings.DEFAULT_POINTS_PER_HOUR,
        cancel_cutoff_minutes=CommunitySettings.DEFAULT_CANCEL_CUTOFF_MINUTES,
        checkin_opens_minutes=CommunitySettings.DEFAULT_CHECKIN_OPENS_MINUTES,
        rounding_minutes=CommunitySettings.DEFAULT_ROUNDING_MINUTES,
        auto_confirm_days=CommunitySettings.DEFAULT_AUTO_CONFIRM_DAYS,
        manual_hours_earn=True,
    )


def category_percents(community_id: int) -> dict[int, int]:
    rows = db.session.execute(
        select(CategoryRate.category_id, CategoryRate.percent).where(
            CategoryRate.community_id == community_id
        )
    )
    return dict(rows.all())


def default_points_per_hour(community_id: int, category_id: int | None) -> int:
    """The community's points per hour (10 if unset) times the category's coefficient."""
    base = community_settings(community_id).points_per_hour
    percent = category_percents(community_id).get(category_id, 100) if category_id else 100
    return base * percent // 100


# Each setting a community may change: its range, and the field its refusal is shown at.
SETTING_RANGES = {
    "points_per_hour": (0, 1000),
    "cancel_cutoff_minutes": (0, 7 * 24 * 60),
    "checkin_opens_minutes": (0, 24 * 60),
    "rounding_minutes": (1, 60),
    "auto_confirm_days": (1, 30),
}


SETTING_NAMES = (*SETTING_RANGES, "manual_hours_earn")


def _settings_values(settings: CommunitySettings) -> dict:
    return {name: getattr(settings, name) for name in SETTING_NAMES}


@transactional
def save_settings(
    actor_id: int,
    community_id: int,
    *,
    points_per_hour: int,
    cancel_cutoff_minutes: int,
    percents: dict[int, int],
    checkin_opens_minutes: int | None = None,
    rounding_minutes: int | None = None,
    auto_confirm_days: int | None = None,
    manual_hours_earn: bool | None = None,
) -> CommunitySettings:
    """Save a community's settings (None keeps a setting as it is), audited old → new."""
    given = {
        "points_per_hour": points_per_hour,
        "cancel_cutoff_minutes": cancel_cutoff_minutes,
        "checkin_opens_minutes": checkin_opens_minutes,
        "rounding_minutes": rounding_minutes,
        "auto_confirm_days": auto_confirm_days,
        "manual_hours_earn": manual_hours_earn,
    }
    for name, (low, high) in SETTING_RANGES.items():
        value = given[name]
        if value is not None and not low <= value <= high:
            raise ServiceError(_("Between %(low)d and %(high)d.", low=low, high=high), field=name)
    before = _settings_values(community_settings(community_id))
    old_percents = category_percents(community_id)
    settings = db.session.get(CommunitySettings, community_id)
    if settings is None:
        settings = CommunitySettings(community_id=community_id, **before)
        db.session.add(settings)
    for name, value in given.items():
        if value is not None:
            setattr(settings, name, value)
    known = set(db.session.scalars(select(Category.id)))
    for category_id, percent in percents.items():
        if category_id not in known:
            continue
        if not 10 <= percent <= 1000:
            raise ServiceError(
                _("Between %(low)d and %(high)d.", low=10, high=1000), field=f"rate_{category_id}"
            )
        rate = db.session.get(CategoryRate, (community_id, category_id))
        if rate is None:
            db.session.add(
                CategoryRate(community_id=community_id, category_id=category_id, percent=percent)
            )
        else:
            rate.percent = percent
    after = _settings_values(settings)
    for category_id, percent in percents.items():
        if category_id in known:
            before[f"rate_{category_id}"] = old_percents.get(category_id, 100)
            after[f"rate_{category_id}"] = percent
    changed = [name for name in after if before[name] != after[name]]
    audit.record(
        actor_id,
        "community.settings_saved",
        RefType.org_unit,
        community_id,
        points_per_hour=settings.points_per_hour,
        cancel_cutoff_minutes=settings.cancel_cutoff_minutes,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    return settings
