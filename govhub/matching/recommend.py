"""为你推荐: upcoming shifts a volunteer may claim, ranked by the same terms from their side.

Reliability and fairness are the same for every shift of one volunteer, so they are not
terms here (and not among the volunteer's reasons): skills, distance, party and unit are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import literal_column, select
from sqlalchemy.orm import aliased, contains_eager

from govhub.accounts.models import VolunteerProfile
from govhub.clock import local_date
from govhub.extensions import db
from govhub.matching import scoring
from govhub.needs.models import Need, NeedStatus, Shift
from govhub.orgs.models import OrgUnit
from govhub.permissions import visible_clause

TERMS = ["skills", "distance", "party", "unit"]
DEFAULT_LIMIT = 5
SCAN_LIMIT = 200  # upcoming shifts looked at before the availability check


@dataclass
class Recommendation:
    shift: Shift
    scored: scoring.Scored


def recommended(
    profile: VolunteerProfile, *, now: datetime, limit: int = DEFAULT_LIMIT
) -> list[Recommendation]:
    user_id = profile.user_id
    need_street = aliased(OrgUnit)
    home = scoring.volunteer_place(profile)
    there = scoring.Place(
        grid=Need.grid_id,
        community=Need.community_id,
        street=OrgUnit.parent_id,
        district=need_street.parent_id,
    )
    values = {
        "skills": scoring.skills_value(Need.id, user_id),
        "distance": scoring.distance_value(home, there),
        "party": scoring.party_value(Need.party_task, bool(profile.is_party_member)),
        "unit": scoring.unit_value(user_id, Need.category_id, Need.community_id, local_date(now)),
    }
    columns, total = scoring.labelled(values)
    query = (
        select(Shift, Need.id.label("need_id"), *columns, total.label("total"))
        .join(Need, Need.id == Shift.need_id)
        .join(OrgUnit, OrgUnit.id == Need.community_id)
        .join(need_street, need_street.id == OrgUnit.parent_id)
        .where(
            Need.status == NeedStatus.open,
            visible_clause(profile.community),
            Shift.starts_at > now,
            Shift.claimed < Shift.capacity,
            scoring.not_on_shift_clause(user_id, Shift.id),
            scoring.not_busy_clause(user_id, Shift.starts_at, Shift.ends_at, Shift.id),
        )
        .order_by(literal_column("total").desc(), Shift.starts_at, Shift.id)
        .limit(SCAN_LIMIT)
        # The need is joined already: load it from the same rows (the page shows each
        # shift's need; read one by one, that was a query per recommendation).
        .options(contains_eager(Shift.need))
    )
    found: list[Recommendation] = []
    rows = db.session.execute(query).all()
    wanted = profile.weekly_availability
    for row in rows:
        shift = row[0]
        mask = scoring.availability_mask(shift.starts_at, shift.ends_at)
        if wanted is not None and wanted & mask != mask:
            continue
        found.append(Recommendation(shift, scoring.scored_from(row, TERMS)))
        if len(found) >= limit:
            break
    names = scoring.matched_skills([(r.shift.need_id, user_id) for r in found])
    for item in found:
        item.scored.skill_names = names.get((item.shift.need_id, user_id), [])
    return found
