"""The needs board with thousands of open needs (two queries per page, indexed filters).

3,000 open needs in one street (half visible street-wide), two upcoming shifts each,
every third need wanting a skill; then one page of the board for a volunteer, with and
without filters.
"""

from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from govhub.accounts import services as accounts
from govhub.accounts.models import User
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import board as needs_board
from govhub.needs.models import Need, NeedStatus, Shift, Visibility, need_skill
from tests.factories import make_category, make_tree, make_user

NEEDS = 3_000


@pytest.fixture
def board_world(app):
    tree = make_tree()
    category = make_category()
    skill = accounts.add_skill(None, "辅导作业")
    now = utcnow()
    communities = [tree.community_a, tree.community_b]
    rows = [
        dict(
            community_id=communities[n % 2],
            title=f"需求 {n}",
            description="社区服务",
            category_id=category,
            place="活动室",
            contact_name="组织者",
            contact_phone="13812345678",
            points_per_hour=10,
            status=NeedStatus.open,
            visibility=Visibility.street if n % 4 == 0 else Visibility.community,
        )
        for n in range(NEEDS)
    ]
    db.session.execute(insert(Need), rows)
    ids = list(db.session.scalars(select(Need.id).order_by(Need.id)))
    shifts = []
    for n, need_id in enumerate(ids):
        for k in range(2):
            start = now + timedelta(hours=2 + (n * 7 + k * 24 * 7) % (24 * 60))
            shifts.append(
                dict(
                    need_id=need_id,
                    starts_at=start,
                    ends_at=start + timedelta(hours=2),
                    capacity=10,
                    claimed=(n % 11),
                    walk_ins=False,
                )
            )
    db.session.execute(insert(Shift), shifts)
    db.session.execute(insert(need_skill), [dict(need_id=i, skill_id=skill.id) for i in ids[::3]])
    db.session.commit()
    volunteer = make_user(tree)
    accounts.update_profile(
        volunteer.id,
        name="V",
        community_id=tree.community_a,
        grid_id=tree.grid_a1,
        skill_ids=[skill.id],
        is_party_member=False,
        employer_unit=None,
        availability=None,
    )
    return db.session.get(User, volunteer.id), now


@pytest.mark.parametrize(
    "filters",
    [
        needs_board.BoardFilters(),
        needs_board.BoardFilters(q="需求 12"),
        needs_board.BoardFilters(has_places=True, my_skills=True),
        needs_board.BoardFilters(page=50),
    ],
    ids=["first-page", "text-search", "places-and-my-skills", "page-50"],
)
def test_board_page(benchmark, board_world, filters):
    volunteer, now = board_world
    page = benchmark(lambda: needs_board.board(volunteer, filters, now=now))
    assert page.cards
