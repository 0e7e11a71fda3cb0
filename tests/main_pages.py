"""The main pages of govhub, as the markup checks visit them: who is logged in, and where.

``arrange(app)`` adds to a database seeded with the demo city (``govhub.demo.seed``) the
people and records that make every main page show its full content: a volunteer of
金叶社区 with points, an upcoming claim, a voucher and hours waiting to be confirmed;
a community admin of 金叶社区; a staff member of 香城惠民超市. They are new accounts
(random phones), so the checks change no demo account another test relies on (their
points, their elder-mode setting). It returns the pages per person, used by
tests/test_markup.py (the Nu HTML Checker) and tests/browser/test_accessibility.py (axe).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

PASSWORD = "demo-volunteer-2026"
JINYE = "金叶社区"
SHOP = "香城惠民超市"
SHOP_OWNER_PHONE = "13800000020"
BREAKFAST = "爱心早餐券：包子加豆浆"
TITLE = "无障碍检查活动"


@dataclass
class Person:
    """Someone to log in as (``phone`` None: nobody) and the pages they open."""

    name: str
    phone: str | None
    pages: dict[str, str] = field(default_factory=dict)  # what it is -> path


def _phone() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


def arrange(app) -> list[Person]:
    """Create the records the pages need and list the pages, person by person."""
    from sqlalchemy import select

    from govhub import tokens
    from govhub.accounts import services as accounts
    from govhub.accounts.models import Role, User
    from govhub.checkin import services as checkin
    from govhub.checkin.models import Evidence
    from govhub.database import utcnow
    from govhub.extensions import db
    from govhub.needs import claims, posting
    from govhub.needs.models import Category, Need, NeedStatus
    from govhub.orgs.models import OrgUnit
    from govhub.partners import services as partners
    from govhub.partners.models import Partner
    from govhub.points import services as points
    from govhub.rewards import vouchers
    from govhub.rewards.models import Reward

    with app.app_context():
        now = utcnow()
        community = db.session.scalars(select(OrgUnit).where(OrgUnit.name == JINYE)).one()
        grid = db.session.scalars(
            select(OrgUnit).where(OrgUnit.parent_id == community.id).order_by(OrgUnit.code)
        ).first()
        demo_admin = db.session.scalars(select(User).where(User.phone == "13800000002")).one()

        volunteer = accounts.register(_phone(), "林小雨", PASSWORD, community.id, grid.id)
        admin = accounts.register(_phone(), "黄干事", PASSWORD, community.id, grid.id)
        staff = accounts.register(_phone(), "何店员", PASSWORD, community.id, grid.id)
        db.session.commit()
        accounts.assign_role(
            demo_admin.id, admin.id, Role.community_admin, org_unit_id=community.id
        )
        shop = db.session.scalars(select(Partner).where(Partner.name == SHOP)).one()
        partners.invite_staff(shop.owner_id, shop.id, staff.phone)
        db.session.commit()

        # Points to spend, and a voucher.
        points.adjust(demo_admin.id, volunteer.id, 100, "无障碍检查", key=uuid.uuid4().hex, now=now)
        breakfast = db.session.scalars(select(Reward).where(Reward.title == BREAKFAST)).one()
        voucher = vouchers.redeem(volunteer.id, breakfast.id, key=uuid.uuid4().hex, now=now)
        db.session.commit()

        # An upcoming claim on a demo need: a later shift, which has places.
        need = db.session.scalars(
            select(Need)
            .where(Need.community_id == community.id, Need.status == NeedStatus.open)
            .order_by(Need.id)
        ).first()
        upcoming = sorted(need.shifts, key=lambda s: s.starts_at)[-1]
        claims.claim_shift(volunteer.id, upcoming.id, now=now)
        db.session.commit()

        # An activity of the new admin: a shift that ended with hours to confirm, and one
        # running now, for its check-in screen. Posted two days ago.
        then = now - timedelta(days=2)
        ended_start = now - timedelta(hours=5)
        running_start = now - timedelta(minutes=10)
        activity = posting.save_need(
            admin.id,
            community.id,
            posting.NeedInput(
                title=TITLE,
                description="检查页面的无障碍和标记。",
                category_id=db.session.scalar(select(Category.id).order_by(Category.id)),
                place="金叶社区党群服务中心",
                contact_name=admin.name,
                contact_phone=admin.phone,
                skill_ids=[],
            ),
            [
                posting.ShiftInput(ended_start, ended_start + timedelta(hours=2), 5),
                posting.ShiftInput(running_start, running_start + timedelta(hours=2), 5, True),
            ],
            now=then,
        )
        posting.publish(admin.id, activity.id, now=then)
        ended, running = sorted(activity.shifts, key=lambda s: s.starts_at)
        claims.claim_shift(volunteer.id, ended.id, now=then)
        checkin.check_in(volunteer.id, ended.id, now=ended_start, evidence=Evidence.code_scan)
        checkin.check_out(
            volunteer.id,
            ended.id,
            now=ended_start + timedelta(minutes=100),
            evidence=Evidence.code_scan,
        )
        db.session.commit()

        ids = {
            "need": need.id,
            "activity": activity.id,
            "ended": ended.id,
            "running": running.id,
            "reward": breakfast.id,
            "voucher": voucher.id,
            "volunteer": volunteer.id,
            "shop": shop.id,
            "community": community.id,
        }
        # == resources: the demo's resources list ==
        from govhub.resources.models import Resource

        for key, title in (("grain", "爱心粮油"), ("room", "物业二楼会议室")):
            ids[key] = db.session.scalars(select(Resource.id).where(Resource.title == title)).one()
        people = (volunteer.phone, admin.phone, staff.phone, volunteer.phone[-4:])
        voucher_token = tokens.voucher_token(voucher.id)
        db.session.remove()

    volunteer_phone, admin_phone, staff_phone, _tail = people
    return [
        Person(
            "visitor",
            None,
            {
                "welcome": "/",
                "login": "/login",
                "register": "/register",
                "partner apply": "/partners/apply",
            },
        ),
        Person(
            "volunteer",
            volunteer_phone,
            {
                "home": "/",
                "needs board": "/needs",
                "a need": f"/needs/{ids['need']}",
                "my tasks": "/my/tasks",
                "my points": "/my/points",
                "points supermarket": "/rewards",
                "a reward": f"/rewards/{ids['reward']}",
                "my vouchers": "/my/vouchers",
                "a voucher": f"/my/vouchers/{ids['voucher']}",
                "notifications": "/notifications/",
                "leaderboard": "/leaderboard?period=all",
                "profile": "/account/profile",
                "ask for help": "/requests/new",
                "partner apply": "/partners/apply",
                "resources list": "/resources/",
                "my resources": "/resources/mine",
                "a resource": f"/resources/{ids['grain']}",
                "offer a resource": "/resources/new",
                "report to the community": "/reporting/members/new",
                "my report to the community": "/reporting/members/",
            },
        ),
        Person(
            "community admin",
            admin_phone,
            {
                "home": "/",
                "manage needs": "/manage/needs",
                "a managed need": f"/manage/needs/{ids['activity']}",
                "a need (admin)": f"/needs/{ids['need']}",
                "attendance to confirm": f"/manage/shifts/{ids['ended']}/attendance",
                "check-in screen": f"/manage/shifts/{ids['running']}/checkin",
                "check-out screen": f"/manage/shifts/{ids['running']}/checkin?mode=out",
                "volunteers' points": f"/manage/volunteers?phone={volunteer_phone}",
                "a volunteer's points": f"/manage/volunteers/{ids['volunteer']}",
                "points economy": "/manage/economy",
                "resources of the area": "/resources/area",
                "record a resource for a unit": "/resources/new?behalf=1",
                "a resource (admin)": f"/resources/{ids['room']}",
                "members' reports": "/reporting/members/review?status=",
                "members' reporting QR": f"/reporting/members/qr/{ids['community']}",
            },
        ),
        Person(
            "shop staff",
            staff_phone,
            {
                "home": "/",
                "shop home": f"/shop/{ids['shop']}/",
                "verify page": f"/shop/{ids['shop']}/verify",
                "a voucher at the counter": f"/v/{voucher_token}",
                "offer a resource for the shop": f"/resources/new?partner={ids['shop']}",
                "commit a resource": f"/resources/{ids['grain']}/commit",
            },
        ),
    ]
