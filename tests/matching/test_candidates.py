"""The resources ranked for a need, and 为你推荐 from the volunteer's side: who and what
is left out, and that the nearer ranks higher with the reasons of its score."""

from __future__ import annotations

from datetime import time

import pytest

from govhub.clock import to_local
from govhub.matching import candidates, recommend
from govhub.needs import claims
from govhub.resources import services as resources
from tests.factories import NOW, make_admin, make_need, make_tree
from tests.matching.scoring_helpers import skill, volunteer
from tests.resources.helpers import make_unit, offer


@pytest.fixture
def w(app):
    tree = make_tree()
    admin = make_admin(tree)
    unit, staff = make_unit(tree)
    return tree, admin, unit, staff


def titles(need, shift=None):
    found, _more = candidates.ranked_resources(need, shift or need.shifts[0], now=NOW)
    return [c.resource.title for c in found]


def test_the_communitys_own_resource_ranks_above_the_streets(w):
    tree, admin, unit, staff = w
    need = make_need(tree, admin=admin)
    offer(staff, tree, partner=unit, title="Street hall", area_id=tree.street)
    offer(staff, tree, partner=unit, title="Own room", area_id=tree.community_a)
    assert titles(need) == ["Own room", "Street hall"]
    found, _ = candidates.ranked_resources(need, need.shifts[0], now=NOW)
    assert found[0].scored.total > found[1].scored.total
    assert found[0].scored.total == sum(found[0].scored.points.values())


def test_resources_not_serving_withdrawn_or_used_up_are_left_out(w):
    tree, admin, unit, staff = w
    need = make_need(tree, admin=admin)
    far_unit, far_staff = make_unit(tree, community="community_c", name="Far Bureau")
    offer(far_staff, tree, partner=far_unit, title="Elsewhere", area_id=tree.community_c)
    gone = offer(staff, tree, partner=unit, title="Withdrawn", area_id=tree.community_a)
    resources.withdraw(staff.id, gone.id, "Sold", now=NOW)
    used = offer(staff, tree, partner=unit, title="Used up", area_id=tree.community_a, quantity=1)
    resources.commit(staff.id, used.id, 1, purpose="Given", key="k" * 32, now=NOW)
    offer(staff, tree, partner=unit, title="Free", area_id=tree.community_a)
    assert titles(need) == ["Free"]


def test_a_resource_whose_weekly_window_misses_the_shift_is_left_out(w):
    tree, admin, unit, staff = w
    need = make_need(tree, admin=admin, shifts=((2, 2, 5),))
    start = to_local(need.shifts[0].starts_at)
    day = start.weekday()
    fits = resources.WindowInput(day, time(0, 0), time(23, 59))
    other_day = resources.WindowInput((day + 1) % 7, time(0, 0), time(23, 59))
    offer(staff, tree, partner=unit, title="Fits", windows=[fits])
    offer(staff, tree, partner=unit, title="Other day", windows=[other_day])
    assert titles(need) == ["Fits"]


def test_recommended_shifts_rank_the_volunteers_skills_first_and_leave_out_busy_ones(w):
    tree, admin, _unit, _staff = w
    person = volunteer(tree, skills=["Tutoring"], name="Reader")
    make_need(tree, admin=admin, title="Plain", shifts=((3, 2, 5),))
    make_need(
        tree, admin=admin, title="Tutoring", skill_ids=[skill("Tutoring")], shifts=((4, 2, 5),)
    )
    make_need(tree, admin=admin, title="Busy", shifts=((5, 2, 5),))
    clash = make_need(tree, admin=admin, title="Clash", shifts=((5, 1, 5),))
    claims.claim_shift(person.id, clash.shifts[0].id, now=NOW)
    found = recommend.recommended(person.profile, now=NOW)
    names = [item.shift.need.title for item in found]
    assert names[:2] == ["Tutoring", "Plain"]
    assert "Busy" not in names and "Clash" not in names  # clashing, and already claimed
    assert "Tutoring ✓" in found[0].scored.reasons


def test_recommendations_respect_the_weekly_availability(w):
    tree, admin, _unit, _staff = w
    need = make_need(tree, admin=admin, title="Morning", shifts=((3, 2, 5),))
    start = to_local(need.shifts[0].starts_at)
    part = 0 if start.hour < 12 else 1 if start.hour < 18 else 2
    bit = start.weekday() * 3 + part
    free = volunteer(tree, name="Free then", weekly=1 << bit)
    away = volunteer(tree, name="Away then", weekly=(1 << 21) - 1 - (1 << bit))
    assert [i.shift.need.title for i in recommend.recommended(free.profile, now=NOW)] == ["Morning"]
    assert recommend.recommended(away.profile, now=NOW) == []


def test_a_unit_that_takes_on_the_needs_kind_ranks_its_resource_first(w):
    from sqlalchemy import select

    from govhub.extensions import db
    from govhub.needs.models import Category
    from govhub.reporting.models import UnitReport
    from tests.resources.helpers import make_liaison

    tree, admin, unit, staff = w
    need = make_need(tree, admin=admin)
    other, other_staff = make_unit(tree, name="Other Bureau")
    offer(staff, tree, partner=unit, title="Committed unit's room", area_id=tree.community_a)
    offer(other_staff, tree, partner=other, title="Other's room", area_id=tree.community_a)
    assert titles(need)[0] == "Other's room"  # the newer first while nothing tells them apart
    make_liaison(tree, unit, community="community_a", liaison=staff, today=NOW.date())
    report = db.session.scalars(select(UnitReport).where(UnitReport.partner_id == unit.id)).one()
    report.categories.append(db.session.get(Category, need.category_id))
    db.session.commit()
    found, _ = candidates.ranked_resources(need, need.shifts[0], now=NOW)
    assert [c.resource.title for c in found] == ["Committed unit's room", "Other's room"]
    assert "单位认领此类需求" in found[0].scored.reasons
    assert "单位认领此类需求" not in found[1].scored.reasons
