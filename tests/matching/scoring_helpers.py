"""Arranging volunteers and their history for the matching scores."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from govhub.accounts import services as accounts
from govhub.accounts.models import Skill, User
from govhub.checkin.models import Attendance, AttendanceStatus
from govhub.extensions import db
from govhub.needs.models import Claim, ClaimStatus
from tests.factories import NOW, make_need, make_user


def skill(name: str) -> int:
    found = db.session.scalar(select(Skill).where(Skill.name == name))
    return found.id if found else accounts.add_skill(None, name).id


def volunteer(
    tree,
    *,
    skills=(),
    community="community_a",
    grid="grid_a1",
    party=False,
    name="Volunteer",
    weekly=None,
) -> User:
    user = make_user(tree, community=community, grid=grid, name=name)
    accounts.update_profile(
        user.id,
        name=name,
        community_id=getattr(tree, community),
        grid_id=getattr(tree, grid) if grid else None,
        skill_ids=[skill(s) for s in skills],
        is_party_member=party,
        employer_unit="Bureau" if party else None,
        availability=None,
        now=NOW,
    )
    if weekly is not None:
        # No service sets the weekly grid yet (the profile form's part): arrange it here.
        user = db.session.get(User, user.id)
        user.profile.weekly_availability = weekly
        db.session.commit()
    return db.session.get(User, user.id)


def served(tree, user, *, minutes: int, days_ago: int = 3, checked_in: bool = True):
    """A past shift the volunteer claimed, with a confirmed attendance of ``minutes``
    (history arranged directly: the check-in flow is tested in tests/checkin)."""
    past = NOW - timedelta(days=days_ago)
    need = make_need(tree, title="Past", shifts=((30, 2, 5),), now=past - timedelta(days=30))
    shift = need.shifts[0]
    db.session.add(Claim(shift_id=shift.id, volunteer_id=user.id, status=ClaimStatus.confirmed))
    if checked_in:
        db.session.add(
            Attendance(
                shift_id=shift.id,
                volunteer_id=user.id,
                checked_in_at=shift.starts_at,
                status=AttendanceStatus.confirmed,
                minutes=minutes,
                confirmed_at=shift.ends_at,
            )
        )
    db.session.commit()
