"""A need's ranked candidates: volunteers for one of its shifts, and resources for it.

Candidates are narrowed with indexed queries before they are scored (volunteers living
in the need's street, plus those elsewhere in its district with a wanted skill; resources
serving the need's community), scored in SQL by ``scoring``'s terms, ranked by the total
with ``LIMIT``: nobody is loaded into Python who is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, literal, literal_column, or_, select
from sqlalchemy.orm import aliased

from govhub.accounts.models import User, VolunteerProfile, profile_skill
from govhub.clock import local_date, to_local
from govhub.extensions import db
from govhub.matching import scoring
from govhub.matching.models import Invitation, InvitationStatus
from govhub.needs.models import Need, Shift, need_skill
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.resources.models import Resource, ResourceStatus, ResourceWindow
from govhub.resources.services import serves_clause

DEFAULT_LIMIT = 30
MAX_LIMIT = 300
VOLUNTEER_TERMS = ["skills", "distance", "reliability", "fairness", "party", "unit"]
RESOURCE_TERMS = ["distance", "unit"]


@dataclass
class VolunteerCandidate:
    user_id: int
    name: str
    scored: scoring.Scored
    invitation: InvitationStatus | None = None


@dataclass
class ResourceCandidate:
    resource: Resource
    scored: scoring.Scored


def volunteer_query(
    need: Need, shift: Shift, *, now: datetime, exclude_user_id=None, only: list[int] | None = None
):
    """The SELECT of the scored, narrowed, ranked volunteers for ``shift`` (no LIMIT);
    ``only``: of these people.

    Each term's value (a correlated count) is worked out once per volunteer, in a
    materialized CTE, and the points and the total from those values: written in one
    SELECT, a database works out each count again for every column that uses it (its
    points, the total, the order), three times the work."""
    home_community = aliased(OrgUnit)
    home_street = aliased(OrgUnit)
    user_id = VolunteerProfile.user_id
    home = scoring.Place(
        grid=VolunteerProfile.grid_id,
        community=VolunteerProfile.community_id,
        street=home_community.parent_id,
        district=home_street.parent_id,
    )
    there = scoring.need_place(need)
    values = {
        "skills": scoring.skills_value(need.id, user_id),
        "distance": scoring.distance_value(home, there),
        "reliability": (
            scoring.checked_in_value(user_id, now),
            scoring.claimed_value(user_id, now),
        ),
        "fairness": scoring.minutes_value(user_id, now),
        "party": scoring.party_value(
            literal(bool(need.party_task)), VolunteerProfile.is_party_member
        ),
        "unit": scoring.unit_value(user_id, need.category_id, need.community_id, local_date(now)),
    }
    district = db.session.get(OrgUnit, there.district) if there.district else None
    has_wanted_skill = exists().where(
        profile_skill.c.profile_id == user_id,
        profile_skill.c.skill_id.in_(
            select(need_skill.c.skill_id).where(need_skill.c.need_id == need.id)
        ),
    )
    narrow = home_community.parent_id == there.street
    if district is not None:
        narrow = or_(
            narrow,
            and_(OrgUnit.subtree_clause(district.path, home_community.path), has_wanted_skill),
        )
    query = (
        select(User.id.label("id"), User.name.label("name"), *scoring.value_columns(values))
        .select_from(VolunteerProfile)
        .join(User, User.id == user_id)
        .join(home_community, home_community.id == VolunteerProfile.community_id)
        .join(home_street, home_street.id == home_community.parent_id)
        .where(
            User.active.is_(True),
            narrow,
            scoring.not_on_shift_clause(user_id, shift.id),
            scoring.not_busy_clause(user_id, shift.starts_at, shift.ends_at, shift.id),
            scoring.available_clause(scoring.availability_mask(shift.starts_at, shift.ends_at)),
        )
    )
    if exclude_user_id is not None:
        query = query.where(User.id != exclude_user_id)
    if only is not None:
        query = query.where(User.id.in_(only))
    scored = query.cte("scored").prefix_with("MATERIALIZED")
    columns, total = scoring.labelled(scoring.values_in(scored, list(values)))
    return select(scored.c.id, scored.c.name, *columns, total.label("total")).order_by(
        literal_column("total").desc(), scored.c.id
    )


def ranked_volunteers(
    need: Need,
    shift: Shift,
    *,
    now: datetime,
    limit: int = DEFAULT_LIMIT,
    exclude_user_id: int | None = None,
) -> tuple[list[VolunteerCandidate], bool]:
    """The top ``limit`` volunteers for ``shift`` with their reasons, and whether there
    are more."""
    limit = max(1, min(limit, MAX_LIMIT))
    query = volunteer_query(need, shift, now=now, exclude_user_id=exclude_user_id)
    rows = db.session.execute(query.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    names = scoring.matched_skills([(need.id, row.id) for row in rows])
    invited = dict(
        db.session.execute(
            select(Invitation.volunteer_id, Invitation.status).where(
                Invitation.shift_id == shift.id,
                Invitation.volunteer_id.in_([row.id for row in rows]),
            )
        ).all()
    )
    found = []
    for row in rows:
        scored = scoring.scored_from(row, VOLUNTEER_TERMS)
        scored.skill_names = names.get((need.id, row.id), [])
        found.append(VolunteerCandidate(row.id, row.name, scored, invited.get(row.id)))
    return found, more


def reasons_for(need: Need, shift: Shift, user_ids: list[int], *, now: datetime) -> dict:
    """Each of ``user_ids``' reasons as the ranking gives them now (kept on the invitation,
    so the invitee reads why they were asked); people who are no longer candidates get none."""
    ids = list(dict.fromkeys(user_ids))[:MAX_LIMIT]
    if not ids:
        return {}
    rows = db.session.execute(volunteer_query(need, shift, now=now, only=ids).limit(len(ids))).all()
    names = scoring.matched_skills([(need.id, row.id) for row in rows])
    found = {}
    for row in rows:
        scored = scoring.scored_from(row, VOLUNTEER_TERMS)
        scored.skill_names = names.get((need.id, row.id), [])
        found[row.id] = scored.reasons
    return found


def _window_clause(shift: Shift):
    start, end = to_local(shift.starts_at), to_local(shift.ends_at)
    if start.date() != end.date():
        return ~exists().where(ResourceWindow.resource_id == Resource.id)
    return or_(
        ~exists().where(ResourceWindow.resource_id == Resource.id),
        exists().where(
            ResourceWindow.resource_id == Resource.id,
            ResourceWindow.weekday == start.weekday(),
            ResourceWindow.starts <= start.time(),
            ResourceWindow.ends >= end.time(),
        ),
    )


def resource_query(need: Need, shift: Shift | None, *, now: datetime):
    area = OrgUnit  # serves_clause speaks of the joined area as OrgUnit
    there = scoring.need_place(need)
    home = scoring.Place(
        grid=case((area.level == OrgLevel.grid, area.id)),
        community=case(
            (area.level == OrgLevel.community, area.id),
            (area.level == OrgLevel.grid, area.parent_id),
        ),
        street=case((area.level == OrgLevel.street, area.id)),
        district=case((area.level == OrgLevel.district, area.id)),
    )
    # A grid of the need's community serves the whole community: compare as communities.
    home.grid = None
    today = local_date(now)
    takes_on = scoring.unit_takes_on(
        Resource.partner_id, need.category_id, need.community_id, today
    )
    unit = case((exists().where(takes_on), 1), else_=0)
    columns, total = scoring.labelled(
        {"distance": scoring.distance_value(home, there), "unit": unit}
    )
    day = local_date(shift.starts_at) if shift is not None else today
    query = (
        select(Resource, *columns, total.label("total"))
        .join(area, area.id == Resource.area_id)
        .where(
            serves_clause(need.community),
            Resource.status.in_([ResourceStatus.offered, ResourceStatus.committed]),
            Resource.remaining > 0,
            or_(Resource.available_from.is_(None), Resource.available_from <= day),
            or_(Resource.available_until.is_(None), Resource.available_until >= day),
        )
        .order_by(literal_column("total").desc(), Resource.id.desc())
    )
    if shift is not None:
        query = query.where(_window_clause(shift))
    return query


def ranked_resources(
    need: Need, shift: Shift | None, *, now: datetime, limit: int = DEFAULT_LIMIT
) -> tuple[list[ResourceCandidate], bool]:
    limit = max(1, min(limit, MAX_LIMIT))
    rows = db.session.execute(resource_query(need, shift, now=now).limit(limit + 1)).all()
    more = len(rows) > limit
    return [
        ResourceCandidate(row[0], scoring.scored_from(row, RESOURCE_TERMS)) for row in rows[:limit]
    ], more


def default_shift(need: Need, *, now: datetime) -> Shift | None:
    """The next upcoming shift with places left, else the next upcoming one."""
    upcoming = [shift for shift in need.shifts if shift.starts_at > now]
    upcoming.sort(key=lambda shift: shift.starts_at)
    with_places = [shift for shift in upcoming if shift.places_left > 0]
    chosen = with_places or upcoming
    return chosen[0] if chosen else None
