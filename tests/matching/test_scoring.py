"""Ranking properties of the matching score, and that the reasons are the score's terms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govhub.database import ServiceError
from govhub.matching import candidates, scoring
from govhub.needs import claims
from tests.factories import NOW, make_admin, make_need, make_tree
from tests.matching.scoring_helpers import served, skill, volunteer


@pytest.fixture
def w(app):
    tree = make_tree()
    admin = make_admin(tree)
    return tree, admin


def ranked(need, shift=None):
    found, _more = candidates.ranked_volunteers(need, shift or need.shifts[0], now=NOW)
    return found


def order(need, *users):
    ids = [c.user_id for c in ranked(need)]
    return [ids.index(u.id) for u in users]


def test_the_weights_table_documents_every_term():
    assert [t.key for t in scoring.TERMS] == list(candidates.VOLUNTEER_TERMS)
    for term in scoring.TERMS:
        assert term.key in scoring.__doc__ and str(term.weight) in scoring.__doc__


def test_a_superset_of_the_wanted_skills_ranks_above_a_subset(app):
    tree = make_tree()
    admin = make_admin(tree)

    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sets(st.sampled_from(["Tutoring", "Cooking", "Driving", "First aid"]), min_size=1))
    def check(wanted):
        superset_ranks_above(tree, admin, sorted(wanted))

    check()


def superset_ranks_above(tree, admin, wanted):
    need = make_need(tree, admin=admin, skill_ids=[skill(s) for s in wanted])
    fewer = volunteer(tree, skills=wanted[:-1], name="Fewer")
    more = volunteer(tree, skills=[*wanted, "Singing"], name="More")
    rank_more, rank_fewer = order(need, more, fewer)
    assert rank_more < rank_fewer
    top = next(c for c in ranked(need) if c.user_id == more.id)
    assert top.scored.points["skills"] == len(wanted) * scoring.WEIGHT["skills"]
    assert [r for r in top.scored.reasons if r.endswith("✓")] == [f"{s} ✓" for s in wanted]


def test_nearer_ranks_higher_same_community_above_same_street_above_same_district(w):
    tree, admin = w
    need = make_need(tree, admin=admin, skill_ids=[skill("Tutoring")])
    here = volunteer(tree, skills=["Tutoring"], name="Here")
    street = volunteer(tree, skills=["Tutoring"], community="community_b", grid="grid_b1")
    district = volunteer(tree, skills=["Tutoring"], community="community_c", grid=None)
    assert order(need, here, street, district) == [0, 1, 2]
    reasons = {c.user_id: c.scored.reasons for c in ranked(need)}
    assert "同一社区" in reasons[here.id] and "同一街道" in reasons[street.id]
    assert "同一区" in reasons[district.id]


def test_a_need_of_one_grid_ranks_that_grids_volunteers_above_the_rest_of_the_community(w):
    tree, admin = w
    need = make_need(tree, admin=admin, skill_ids=[skill("Tutoring")], grid_id=tree.grid_a2)
    same_grid = volunteer(tree, skills=["Tutoring"], grid="grid_a2", name="Same grid")
    other_grid = volunteer(tree, skills=["Tutoring"], grid="grid_a1", name="Other grid")
    street = volunteer(tree, skills=["Tutoring"], community="community_b", grid="grid_b1")
    assert order(need, same_grid, other_grid, street) == [0, 1, 2]
    reasons = {c.user_id: c.scored.reasons for c in ranked(need)}
    assert "同一网格" in reasons[same_grid.id] and "同一社区" in reasons[other_grid.id]


def test_a_grid_of_another_community_is_refused_at_its_field(w):
    tree, admin = w
    with pytest.raises(ServiceError) as refused:
        make_need(tree, admin=admin, grid_id=tree.grid_b1)
    assert refused.value.field == "grid_id"


def test_elsewhere_in_the_district_without_a_wanted_skill_is_not_a_candidate(w):
    tree, admin = w
    need = make_need(tree, admin=admin, skill_ids=[skill("Tutoring")])
    far = volunteer(tree, community="community_c", grid=None)
    assert far.id not in [c.user_id for c in ranked(need)]


def test_busy_at_the_shift_time_is_excluded_not_down_ranked(w):
    tree, admin = w
    need = make_need(tree, admin=admin, shifts=((1, 2, 5),))
    other = make_need(tree, admin=admin, title="Other", shifts=((1, 3, 5),))
    busy, free = volunteer(tree, name="Busy"), volunteer(tree, name="Free")
    claims.claim_shift(busy.id, other.shifts[0].id, now=NOW)
    ids = [c.user_id for c in ranked(need)]
    assert free.id in ids and busy.id not in ids


def test_already_on_the_shift_or_outside_the_weekly_grid_is_excluded(w):
    tree, admin = w
    need = make_need(tree, admin=admin, shifts=((1, 2, 5),))
    shift = need.shifts[0]
    mask = scoring.availability_mask(shift.starts_at, shift.ends_at)
    claimed = volunteer(tree, name="Claimed")
    claims.claim_shift(claimed.id, shift.id, now=NOW)
    away = volunteer(tree, name="Away", weekly=(2**21 - 1) & ~mask)
    there = volunteer(tree, name="There", weekly=mask)
    ids = [c.user_id for c in ranked(need)]
    assert there.id in ids and away.id not in ids and claimed.id not in ids


def test_fairness_moves_a_frequently_used_volunteer_below_an_equal_one(w):
    tree, admin = w
    busy_bee, rested = volunteer(tree, name="Bee"), volunteer(tree, name="Rested")
    for _ in range(3):
        served(tree, busy_bee, minutes=240)
        served(tree, rested, minutes=0, days_ago=60)
    need = make_need(tree, admin=admin)
    first, second = order(need, rested, busy_bee)
    assert first < second
    bee = next(c for c in ranked(need) if c.user_id == busy_bee.id)
    assert "近30天已服务12小时" in bee.scored.reasons
    assert bee.scored.points["fairness"] == 0


def test_reliability_shows_a_rate_or_new_volunteer(w):
    tree, admin = w
    steady, new = volunteer(tree, name="Steady"), volunteer(tree, name="New")
    for _ in range(3):
        served(tree, steady, minutes=60, days_ago=60)
    served(tree, steady, minutes=0, days_ago=70, checked_in=False)
    need = make_need(tree, admin=admin)
    by_id = {c.user_id: c for c in ranked(need)}
    assert "到岗率75%" in by_id[steady.id].scored.reasons
    assert "新志愿者" in by_id[new.id].scored.reasons
    assert by_id[steady.id].scored.points["reliability"] == 20 * (3 + 2) // (4 + 3)


def test_party_task_scores_party_members(w):
    tree, admin = w
    need = make_need(tree, admin=admin)
    need.party_task = True  # the posting form's checkbox is not built yet
    from govhub.extensions import db

    db.session.commit()
    member, other = volunteer(tree, party=True, name="Member"), volunteer(tree, name="Other")
    first, second = order(need, member, other)
    assert first < second
    assert "党员" in next(c for c in ranked(need) if c.user_id == member.id).scored.reasons


def test_the_explanation_always_matches_the_score(app):
    tree = make_tree()
    admin = make_admin(tree)

    @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.lists(st.sets(st.sampled_from(["A", "B", "C"])), min_size=1, max_size=4),
        st.booleans(),
    )
    def check(skill_sets, party):
        explanation_matches(tree, admin, skill_sets, party)

    check()


def explanation_matches(tree, admin, skill_sets, party):
    need = make_need(tree, admin=admin, skill_ids=[skill("A"), skill("B")])
    for index, skills in enumerate(skill_sets):
        volunteer(tree, skills=sorted(skills), party=party and index % 2 == 0, name=f"V{index}")
    found = ranked(need)
    totals = [c.scored.total for c in found]
    assert totals == sorted(totals, reverse=True)
    for candidate in found:
        scored = candidate.scored
        assert scored.total == sum(scored.points.values())
        assert len(scored.skill_names) == scored.values["skills"]
        explained = set(scored.reason_keys)
        for key, points in scored.points.items():
            if points and key not in ("reliability", "fairness"):
                assert key in explained
            if key in explained and key not in ("reliability", "fairness"):
                assert points > 0
        assert {"reliability", "fairness"} <= explained


def test_candidates_are_narrowed_and_limited_in_sql(w, app):
    tree, admin = w
    need = make_need(tree, admin=admin, shifts=((2, 2, 5),))
    for index in range(5):
        volunteer(tree, name=f"V{index}")
    from sqlalchemy import event

    from govhub.extensions import db

    statements = []

    def log(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", log)
    try:
        found, more = candidates.ranked_volunteers(need, need.shifts[0], now=NOW, limit=2)
    finally:
        event.remove(db.engine, "before_cursor_execute", log)
    assert len(found) == 2 and more
    ranking = [s for s in statements if "volunteer_profile" in s and "ORDER BY" in s]
    assert len(ranking) == 1 and "LIMIT" in ranking[0]
    assert "org_unit_1.parent_id =" in ranking[0] or "parent_id" in ranking[0]
    assert len(statements) <= 8


def test_the_shift_time_bits(app):
    # NOW + 1 day is Wednesday 2 Dec 2026 10:00 in Shanghai: Wednesday morning, bit 2*3+0.
    start = NOW + timedelta(days=1)
    assert scoring.availability_mask(start, start + timedelta(hours=1)) == 1 << 6
    assert scoring.availability_mask(start, start + timedelta(hours=3)) == (1 << 6) | (1 << 7)
