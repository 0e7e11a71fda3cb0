"""Demo: a few faked-looking entries, so the integrity review (防代刷时长) shows something real.

- 金叶社区, yesterday: 「敬老院集中慰问」, posted in the morning and completed the same
  evening; its admin entered eleven residents' check-ins by hand within a minute, and
  nobody scanned the code (entered by hand, many entries in a short time, an activity
  mostly entered by hand, created and completed the same day with no scans).
- 香城社区: a check-in entered today for a shift five days ago (back-dated), and a
  hand adjustment of 200 points.

Then the scan runs once, as the scheduler would. Runs once (the need's title marks it).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta

from sqlalchemy import select

from govhub.accounts.models import User, VolunteerProfile
from govhub.checkin import services as checkin
from govhub.checkin.models import Evidence
from govhub.clock import local_date, to_utc
from govhub.demo.history import _activity
from govhub.extensions import db
from govhub.integrity import services as integrity
from govhub.needs import claims, posting
from govhub.needs.models import Category, Need
from govhub.orgs.models import OrgUnit
from govhub.points import services as points

TITLE = "敬老院集中慰问"
LATE_TITLE = "社区环境整治"


def _residents(community: OrgUnit, count: int) -> list[User]:
    """Demo residents (13800000100 on) at home in ``community``."""
    return list(
        db.session.scalars(
            select(User)
            .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
            .where(VolunteerProfile.community_id == community.id, User.phone >= "13800000100")
            .order_by(User.phone)
            .limit(count)
        )
    )


def _need(community: OrgUnit, admin: User, title: str, begins: datetime, posted: datetime):
    category = db.session.scalars(select(Category).order_by(Category.id)).first()
    assert category is not None  # the demo seeds its categories first
    return _activity(community, admin, category.id, title, begins, capacity=15, posted=posted)


def seed_integrity(by_name: dict[str, OrgUnit], added: Counter, *, now: datetime) -> None:
    if db.session.scalar(select(Need.id).where(Need.title == TITLE)) is not None:
        return
    users = {u.phone: u for u in db.session.scalars(select(User))}

    # 金叶社区, yesterday: eleven check-ins typed in within a minute, no scans, completed
    # the evening of the day it was posted.
    jinye, jinye_admin = by_name["金叶社区"], users["13800000002"]
    day = local_date(now) - timedelta(days=1)
    posted = to_utc(datetime.combine(day, time(7, 30)))
    begins = to_utc(datetime.combine(day, time(9)))
    need = _need(jinye, jinye_admin, TITLE, begins, posted)
    shift = need.shifts[0]
    people = _residents(jinye, 11)
    for person in people:
        claims.claim_shift(person.id, shift.id, now=posted + timedelta(minutes=10))
    typed = begins + timedelta(hours=2, minutes=30)
    for n, person in enumerate(people):
        checkin.check_in(
            person.id,
            shift.id,
            now=typed + timedelta(seconds=5 * n),
            evidence=Evidence.manual,
            actor_id=jinye_admin.id,
            reason="现场网络不好，统一补登",
            at=begins,
        )
    checkin.auto_check_out(now=shift.ends_at)
    added["faked-looking attendances"] += checkin.confirm_shift(
        jinye_admin.id, shift.id, {}, now=shift.ends_at + timedelta(hours=1)
    )
    posting.complete(jinye_admin.id, need.id, now=shift.ends_at + timedelta(hours=2))

    # 香城社区: a check-in entered five days after its shift, and 200 points by hand.
    xiangcheng, xiangcheng_admin = by_name["香城社区"], users["13800000005"]
    late_day = local_date(now) - timedelta(days=5)
    late_begins = to_utc(datetime.combine(late_day, time(14)))
    late = _need(
        xiangcheng,
        xiangcheng_admin,
        LATE_TITLE,
        late_begins,
        late_begins - timedelta(days=3),
    )
    late_shift = late.shifts[0]
    residents = _residents(xiangcheng, 4)
    for person in residents:
        claims.claim_shift(person.id, late_shift.id, now=late_begins - timedelta(days=2))
    for person in residents[:3]:
        checkin.check_in(person.id, late_shift.id, now=late_begins, evidence=Evidence.code_scan)
    checkin.check_in(
        residents[3].id,
        late_shift.id,
        now=now - timedelta(hours=1),
        evidence=Evidence.manual,
        actor_id=xiangcheng_admin.id,
        reason="补录：当天忘记登记",
        at=late_begins,
    )
    added["faked-looking attendances"] += 1
    points.adjust(
        xiangcheng_admin.id,
        residents[0].id,
        200,
        "活动奖励",
        key="demo:integrity:adjust",
        now=now - timedelta(hours=2),
    )
    added["review items"] += integrity.scan(now=now)
