"""The demo's faked-looking entries put something real on the review queue."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from govhub import demo
from govhub.checkin.models import Attendance
from govhub.demo.integrity import LATE_TITLE, TITLE
from govhub.extensions import db
from govhub.integrity.models import ReviewItem, ReviewStatus
from govhub.needs.models import Need, Shift
from govhub.points import services as points


@pytest.fixture
def seeded(app):
    demo.seed()
    return app


def _items_of(title: str) -> list[ReviewItem]:
    return list(
        db.session.scalars(
            select(ReviewItem)
            .join(Attendance, Attendance.id == ReviewItem.attendance_id)
            .join(Shift, Shift.id == Attendance.shift_id)
            .join(Need, Need.id == Shift.need_id)
            .where(Need.title == title)
        )
    )


def test_the_demo_queue_shows_every_kind_of_signal(seeded):
    rushed = _items_of(TITLE)
    assert len(rushed) == 11
    for item in rushed:
        assert item.codes == {"manual", "burst", "mostly_manual", "same_day_no_scans"}
        assert item.status is ReviewStatus.pending and item.community.name == "金叶社区"
    (late,) = _items_of(LATE_TITLE)
    assert late.codes == {"manual", "back_dated"} and late.community.name == "香城社区"
    adjusted = db.session.scalars(select(ReviewItem).where(ReviewItem.entry_id.is_not(None))).all()
    assert [item.codes for item in adjusted] == [{"adjustment"}]
    # Nothing in the demo's history looks back-dated or bursty: only its hand entries.
    history = db.session.scalars(select(ReviewItem)).all()
    assert {c for item in history for c in item.codes} <= {
        "manual",
        "burst",
        "mostly_manual",
        "same_day_no_scans",
        "back_dated",
        "adjustment",
    }
    assert sum("back_dated" in item.codes for item in history) == 1
    assert sum("burst" in item.codes for item in history) == 11


def test_balances_still_equal_the_ledger(seeded):
    for item in db.session.scalars(select(ReviewItem)):
        assert points.account(item.volunteer_id).balance == points.ledger_sum(item.volunteer_id)
