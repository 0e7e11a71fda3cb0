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
        # == units, members, liaison, holds: 双报到 ==
        liaison_phone, reporting = _arrange_reporting(admin.id, now)
        ids.update(reporting)
        # == public: 居务公开 ==
        ids.update(_arrange_public(community.id, now))
        # == invitations: an invitation waiting for the volunteer, a resource request ==
        from govhub.matching import invitations as matching_invitations
        from govhub.matching import resource_requests as matching_requests

        soon = now + timedelta(days=3)
        invited_need = posting.save_need(
            admin.id,
            community.id,
            posting.NeedInput(
                title="邀请检查活动",
                description="检查邀请页面。",
                category_id=db.session.scalar(select(Category.id).order_by(Category.id)),
                place="金叶社区党群服务中心",
                contact_name=admin.name,
                contact_phone=admin.phone,
                skill_ids=[],
            ),
            [posting.ShiftInput(soon, soon + timedelta(hours=2), 3)],
            now=now,
        )
        posting.publish(admin.id, invited_need.id, now=now)
        invited = matching_invitations.invite(
            admin.id,
            invited_need.shifts[0].id,
            [volunteer.id],
            reasons={volunteer.id: ["陪伴聊天 ✓", "同一社区"]},
            message="期待您来",
            key=uuid.uuid4().hex,
            now=now,
        )
        ids["invitation"] = invited.invited[0].id
        ids["resource request"] = matching_requests.request(
            admin.id, invited_need.id, ids["grain"], 1, "活动用", key=uuid.uuid4().hex, now=now
        ).id
        db.session.commit()
        # == end invitations ==
        people = (volunteer.phone, admin.phone, staff.phone, volunteer.phone[-4:])
        voucher_token = tokens.voucher_token(voucher.id)
        receipt_token = tokens.unit_report_token(ids["unit report"])
        card_token = tokens.service_card_token(ids["card"])
        db.session.remove()

    volunteer_phone, admin_phone, staff_phone, _tail = people
    persons = [
        Person(
            "visitor",
            None,
            {
                "welcome": "/",
                "login": "/login",
                "register": "/register",
                "partner apply": "/partners/apply",
                "a unit report's receipt, verified": f"/reporting/units/verify/{receipt_token}",
                "a service card, verified": f"/liaison/cards/verify/{card_token}",
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
                # A volunteer is the liaison of no unit: the page says so. (A liaison of
                # one unit is sent straight to its page, listed for the unit liaison.)
                "liaison units": "/liaison/",
                # == invitations ==
                "my invitations": "/matching/invitations",
                "an invitation": f"/matching/invitations/{ids['invitation']}",
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
                "unit reports to confirm": "/reporting/units/review",
                "a unit report (admin)": f"/reporting/units/{ids['unit report']}",
                "issue service cards": (
                    f"/liaison/communities/{ids['nanchang']}/cards?{ids['quarter query']}"
                ),
                "reporting figures": f"/liaison/figures/{ids['nanchang']}",
                "a member's report to decide": f"/reporting/members/review/{ids['pending']}",
                # == invitations ==
                "a resource request (requester)": (
                    f"/matching/resource-requests/{ids['resource request']}"
                ),
            },
        ),
        Person(
            "unit liaison",
            liaison_phone,
            {
                "home": "/",
                "liaison page": f"/liaison/units/{ids['unit']}",
                "the unit's service cards": (
                    f"/liaison/units/{ids['unit']}/cards?{ids['quarter query']}"
                ),
                "a service card": f"/liaison/cards/{ids['card']}",
                "the unit's reports": f"/reporting/units/partner/{ids['unit']}",
                "a unit report": f"/reporting/units/{ids['unit report']}",
                "a unit report's receipt": f"/reporting/units/{ids['unit report']}/receipt",
                "report the unit to a community": f"/reporting/units/partner/{ids['unit']}/new",
                "the unit's held places": f"/unit-holds/units/{ids['unit']}",
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
                # == invitations ==
                "resource requests": "/matching/resource-requests",
                "a resource request to decide": (
                    f"/matching/resource-requests/{ids['resource request']}"
                ),
            },
        ),
    ]
    # == matching and projects: the demo's matched need and projects ==
    persons[1].pages.update(
        {
            "recommended for me": "/matching/for-me",
            "the matched need": f"/needs/{ids['matched need']}",
        }
    )
    persons[2].pages.update(
        {
            "matching a need": f"/matching/needs/{ids['matched need']}",
            "projects list": f"/projects/communities/{ids['community']}",
            "a completed project": f"/projects/{ids['project']}",
            "a unit's proposal (admin)": f"/projects/{ids['proposal']}",
            "record a project": f"/projects/communities/{ids['community']}/new",
            "post a need (party task)": "/manage/needs/new",
        }
    )
    persons[3].pages.update(
        {
            "the unit's proposals": f"/projects/units/{ids['unit']}",
            "propose a project": f"/projects/units/{ids['unit']}/propose",
        }
    )
    # == public: 居务公开, the no-login pages ==
    persons[0].pages.update(
        {
            "public affairs index": "/public/",
            "a community's public affairs": f"/public/communities/{ids['community']}",
            "a street's public affairs": f"/public/streets/{ids['public street']}",
        }
    )
    # == dashboard: 监测调度, an oversight admin of the demo's street ==
    oversight_phone, dashboards = _arrange_dashboard(app, ids["community"])
    persons.append(Person("oversight admin", oversight_phone, dashboards["oversight admin"]))
    persons[2].pages.update(dashboards["community admin"])
    # == end dashboard ==
    return persons


# == dashboard: 监测调度 ==
def _arrange_dashboard(app, community_id: int) -> tuple[str, dict[str, dict[str, str]]]:
    """A new oversight admin of the street of 金叶社区, and the dashboards they and the
    community admin open (the demo's hours and points fill the charts)."""
    from govhub.accounts import services as accounts
    from govhub.accounts.models import Role, User
    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit

    with app.app_context():
        from sqlalchemy import select

        community = db.session.get(OrgUnit, community_id)
        street_id, grid = community.parent_id, community.children[0].id
        system = db.session.query(User).filter_by(phone="13800000001").one()
        admin = accounts.register(_phone(), "钱督导", PASSWORD, community_id, grid)
        db.session.commit()
        accounts.assign_role(system.id, admin.id, Role.oversight_admin, org_unit_id=street_id)
        db.session.commit()
        phone = admin.phone
        from govhub.integrity.models import ReviewItem

        # == integrity: an item of the demo's faked-looking entries at 金叶社区 ==
        item = db.session.scalars(
            select(ReviewItem)
            .where(ReviewItem.community_id == community_id)
            .order_by(ReviewItem.id.desc())
        ).first()
        assert item is not None, "the demo seeds items to review"
        item_id = item.id
        db.session.remove()
    return phone, {
        "oversight admin": {
            "dashboards to choose from or the street's": f"/oversight/units/{street_id}",
            "the street's dashboard for a year, sorted": (
                f"/oversight/units/{street_id}?period=year&year=2026&sort=hours&dir=desc"
            ),
            "a community's dashboard for a quarter": (
                f"/oversight/units/{community_id}?period=quarter&quarter=2026-4"
            ),
            "a grid's dashboard": f"/oversight/units/{grid}",
            "a dashboard with a bad period": f"/oversight/units/{street_id}?period=month&month=x",
            "the street's monthly report": f"/oversight/units/{street_id}/report",
            "a community's monthly report for November": (
                f"/oversight/units/{community_id}/report?month=2026-11"
            ),
            # == integrity and audit ==
            "the street's review queue": f"/integrity/?unit={street_id}",
            "the street's cleared items": f"/integrity/?unit={street_id}&status=cleared",
            "an item to review": f"/integrity/items/{item_id}",
            "the street's audit trail": f"/admin/audit?unit={street_id}",
            "the audit trail's check-ins": "/admin/audit?category=attendance",
        },
        "community admin": {
            "the community's dashboard": f"/oversight/units/{community_id}",
            "the community's review queue": f"/integrity/?unit={community_id}",
            "an item of the community": f"/integrity/items/{item_id}",
            "the community's audit trail": f"/admin/audit?unit={community_id}",
        },
    }


# == units, members, liaison, holds: 双报到 ==
UNIT = "咸安区税务局"
NANCHANG = "南昌路社区"
NANCHANG_ADMIN_PHONE = "13800000003"
REPORT_NOTE = "检查页面用的报到。"  # marks the report these checks file


def _arrange_reporting(admin_id: int, now) -> tuple[str, dict]:
    """A unit liaison and what their pages and the admin's show: a new liaison (staff of
    咸安区税务局) names themselves on the unit's new report to 南昌路社区, which 李主任
    confirmed in a quarter that has ended; a new member of the unit reported to 南昌路社区
    then too, so the quarter's service card is issued to them; another new member's report
    waits to be decided. The admin ``admin_id`` (of 金叶社区) is made an admin of 南昌路社区
    as well, to open its queue, cards and figures. Returns the liaison's phone and ids.

    A unit has one counting report per community, so a second arrangement on the same
    server (the browser tests share one) reuses the report, its liaison and the card."""
    from datetime import datetime, time

    from sqlalchemy import select

    from govhub.accounts import services as accounts
    from govhub.accounts.models import Role, User
    from govhub.clock import local_date, to_utc
    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit
    from govhub.partners import services as partners
    from govhub.partners.models import Partner
    from govhub.reporting import cards, figures, members, units
    from govhub.reporting.models import ReportStatus, ServiceCard, UnitReport

    nanchang = db.session.scalars(select(OrgUnit).where(OrgUnit.name == NANCHANG)).one()
    grid = db.session.scalars(
        select(OrgUnit).where(OrgUnit.parent_id == nanchang.id).order_by(OrgUnit.code)
    ).first()
    nanchang_admin = db.session.scalars(
        select(User).where(User.phone == NANCHANG_ADMIN_PHONE)
    ).one()
    unit = db.session.scalars(select(Partner).where(Partner.name == UNIT)).one()
    accounts.assign_role(nanchang_admin.id, admin_id, Role.community_admin, org_unit_id=nanchang.id)
    waiting = accounts.register(_phone(), "韩党员", PASSWORD, nanchang.id, grid.id)
    db.session.commit()

    # The quarter that held the day 120 days ago has ended (a quarter is at most 92 days);
    # the report confirmed on its second day still counts today (a 12-month term). The
    # demo's own reports were confirmed days ago, so no demo member gets a card of it.
    day = local_date(now) - timedelta(days=120)
    year, quarter = day.year, figures.quarter_of(day)
    first, _last = figures.quarter_days(year, quarter)
    then = to_utc(datetime.combine(first + timedelta(days=1), time(10, 0)))

    report = db.session.scalars(
        select(UnitReport).where(
            UnitReport.partner_id == unit.id,
            UnitReport.community_id == nanchang.id,
            UnitReport.note == REPORT_NOTE,
            UnitReport.status == ReportStatus.confirmed,
        )
    ).first()
    if report is None:
        liaison = accounts.register(_phone(), "宋联络", PASSWORD, nanchang.id, grid.id)
        member = accounts.register(_phone(), "罗党员", PASSWORD, nanchang.id, grid.id)
        db.session.commit()
        partners.invite_staff(unit.owner_id, unit.id, liaison.phone)
        report = units.submit(
            liaison.id,
            unit.id,
            units.ReportInput(nanchang.id, liaison.phone, 12, note=REPORT_NOTE),
            now=then,
        )
        units.confirm(nanchang_admin.id, report.id, now=then + timedelta(hours=1))
        reported = members.submit(
            member.id, community_id=nanchang.id, partner_id=unit.id, now=then + timedelta(hours=2)
        )
        members.confirm(
            nanchang_admin.id, reported.id, grid_id=grid.id, now=then + timedelta(hours=3)
        )
        cards.issue_quarter(admin_id, nanchang.id, year, quarter, now=now)
        db.session.commit()
    card = db.session.scalars(
        select(ServiceCard)
        .where(
            ServiceCard.partner_id == unit.id,
            ServiceCard.community_id == nanchang.id,
            ServiceCard.year == year,
            ServiceCard.quarter == quarter,
        )
        .order_by(ServiceCard.id)
    ).first()
    assert card is not None, "no service card was issued"
    pending = members.submit(waiting.id, community_id=nanchang.id, partner_id=unit.id, now=now)
    db.session.commit()
    return report.liaison.phone, {
        "nanchang": nanchang.id,
        "unit": unit.id,
        "unit report": report.id,
        "pending": pending.id,
        "card": card.id,
        "quarter query": f"year={year}&quarter={quarter}",
    }


# == public: 居务公开 ==
def _arrange_public(community_id: int, now) -> dict:
    """The demo's completed, published project of the community (it has a photo), its
    accepted unit proposal, and the street of the community."""
    from sqlalchemy import select

    from govhub.demo.matching import MATCHED_TITLE, PROJECT_TITLE, PROPOSALS
    from govhub.extensions import db
    from govhub.needs.models import Need
    from govhub.orgs.models import OrgUnit
    from govhub.projects.models import Project

    def project_id(title: str) -> int:
        return db.session.scalars(select(Project.id).where(Project.title == title)).one()

    return {
        "public street": db.session.get(OrgUnit, community_id).parent_id,
        "project": project_id(PROJECT_TITLE),
        "proposal": project_id(PROPOSALS[0][2]),
        "matched need": db.session.scalars(
            select(Need.id).where(Need.title == MATCHED_TITLE)
        ).one(),
    }
