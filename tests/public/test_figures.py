"""The year's figures on the public page (govhub/public/figures.py, whose docstring
defines each one)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from govhub.checkin.models import AttendanceStatus
from govhub.extensions import db
from govhub.needs.models import NeedStatus
from govhub.points.models import EntryKind, LedgerEntry
from govhub.projects.models import ProjectStatus
from govhub.public import figures
from tests.factories import make_tree, make_user
from tests.public.helpers import make_project
from tests.reporting.rows import at, served, shift_on

YEAR = 2026


def entry(user, kind: EntryKind, amount: int, day: date, n: list[int] = [0]) -> None:  # noqa: B006
    n[0] += 1
    db.session.add(
        LedgerEntry(
            volunteer_id=user.id,
            amount=amount,
            kind=kind,
            created_at=at(day),
            idempotency_key=f"public-test-{n[0]}",
        )
    )
    db.session.commit()


@pytest.fixture
def tree(app):
    tree = make_tree()
    a, b = tree.community_a, tree.community_b
    alice = make_user(tree, name="Alice")
    bob = make_user(tree, name="Bob", community="community_b", grid="grid_b1")

    done = shift_on(a, date(YEAR, 5, 1), hours=2)
    served(alice, done, 90)
    served(bob, done, 30)  # served in A: A's hours
    served(make_user(tree), done, 0, status=AttendanceStatus.present)  # not confirmed
    shift_on(a, date(YEAR, 6, 1))  # completed, nobody served: still fulfilled
    shift_on(a, date(YEAR, 7, 1), status=NeedStatus.open)  # not fulfilled yet
    served(alice, shift_on(a, date(YEAR - 1, 12, 1)), 600)  # last year
    shift_on(b, date(YEAR, 3, 1))

    entry(alice, EntryKind.earn, 20, date(YEAR, 5, 1))
    entry(alice, EntryKind.redeem, -15, date(YEAR, 5, 2))
    entry(alice, EntryKind.refund, 5, date(YEAR, 5, 3))
    entry(alice, EntryKind.adjust, 100, date(YEAR, 5, 3))  # not issued
    entry(alice, EntryKind.earn, 1000, date(YEAR - 1, 5, 1))  # last year
    entry(bob, EntryKind.earn, 7, date(YEAR, 5, 1))  # Bob's home is B

    make_project(a, completed_at=at(date(YEAR, 8, 1)), people_served=40)
    make_project(a, completed_at=at(date(YEAR, 9, 1)), people_served=None)
    make_project(a, completed_at=at(date(YEAR, 9, 1)), people_served=99, published=False)
    make_project(a, status=ProjectStatus.active, people_served=99)
    make_project(a, completed_at=at(date(YEAR - 1, 9, 1)), people_served=99)
    return tree


def test_the_figures_of_a_year(tree):
    result = figures.year_figures([tree.community_a, tree.community_b, tree.community_c], YEAR)
    a = result[tree.community_a]
    assert a == figures.Figures(
        needs_fulfilled=2,
        minutes_served=120,
        points_issued=20,
        points_redeemed=10,
        projects_completed=2,
        people_served=40,
    )
    assert a.hours_served == 2.0
    assert result[tree.community_b] == figures.Figures(needs_fulfilled=1, points_issued=7)
    assert result[tree.community_c] == figures.Figures()
    assert figures.total(result).needs_fulfilled == 3


def test_last_year(tree):
    a = figures.year_figures([tree.community_a], YEAR - 1)[tree.community_a]
    assert (a.needs_fulfilled, a.minutes_served, a.points_issued, a.projects_completed) == (
        1,
        600,
        1000,
        1,
    )


def test_a_bounded_number_of_statements(tree):
    statements = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        figures.year_figures([tree.community_a, tree.community_b, tree.community_c], YEAR)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 4, statements


def test_no_communities_no_statements(app):
    assert figures.year_figures([], YEAR) == {}
