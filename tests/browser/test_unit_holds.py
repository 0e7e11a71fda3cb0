"""一键认领 on a phone: a unit's liaison holds two places of a shift; a member of the unit
opens the notification, takes a held place with one tap, and the need page shows it."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import JINYE_ADMIN, log_in, page_width, unique_phone

pytestmark = pytest.mark.browser

PASSWORD = "unit-hold-2026"
JINYE_CODE = "421202001001"  # 金叶社区 (govhub/demo/city.json)
JINYE_GRID = "421202001001-01"  # 金叶一网格


def arrange(live_app) -> dict:
    """In 金叶社区: an approved stationed unit reported to it (its liaison named), one of
    its in-service party members who reported to 金叶社区, and an open need with one
    shift for four people in two days. (The reports are written as the reporting pages
    leave them: confirmed.)"""
    from sqlalchemy import select

    from govhub.accounts import services as accounts
    from govhub.accounts.models import User
    from govhub.clock import local_date
    from govhub.database import utcnow
    from govhub.extensions import db
    from govhub.needs import posting
    from govhub.needs.models import Category
    from govhub.orgs import services as orgs
    from govhub.partners import services as partners
    from govhub.partners.models import PartnerKind
    from govhub.reporting.models import MemberReport, ReportStatus, UnitReport

    tag = uuid.uuid4().hex[:6]
    with live_app.app_context():
        now = utcnow()
        until = local_date(now) + timedelta(days=300)
        jinye, grid = orgs.find_by_code(JINYE_CODE), orgs.find_by_code(JINYE_GRID)
        assert jinye is not None and grid is not None
        admin = db.session.scalar(select(User).where(User.phone == JINYE_ADMIN[0]))
        liaison = accounts.register(unique_phone(), f"联络员{tag}", PASSWORD, jinye.id, grid.id)
        member = accounts.register(unique_phone(), f"党员{tag}", PASSWORD, jinye.id, grid.id)
        unit = partners.apply(
            kind=PartnerKind.unit,
            name=f"区税务局{tag}",
            community_id=jinye.id,
            address="永安大道1号",
            contact_name="刘科长",
            contact_phone=unique_phone(),
            owner_id=None,
        )
        partners.decide(admin.id, unit.id, approve=True, now=now)
        db.session.add(
            UnitReport(
                partner_id=unit.id,
                community_id=jinye.id,
                liaison_id=liaison.id,
                submitted_by_id=liaison.id,
                status=ReportStatus.confirmed,
                decided_by_id=admin.id,
                decided_at=now,
                valid_until=until,
            )
        )
        db.session.add(
            MemberReport(
                user_id=member.id,
                community_id=jinye.id,
                partner_id=unit.id,
                status=ReportStatus.confirmed,
                decided_by_id=admin.id,
                decided_at=now,
                valid_until=until,
            )
        )
        db.session.commit()
        category = db.session.scalars(select(Category).order_by(Category.id)).first()
        start = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        need = posting.save_need(
            admin.id,
            jinye.id,
            posting.NeedInput(
                title=f"社区助老{tag}",
                description="陪老人聊天。",
                category_id=category.id,
                place="金叶社区服务中心",
                contact_name="王书记",
                contact_phone="13812345678",
            ),
            [posting.ShiftInput(start, start + timedelta(hours=2), 4)],
            now=now,
        )
        posting.publish(admin.id, need.id, now=now)
        return {
            "need_id": need.id,
            "title": need.title,
            "unit": unit.name,
            "liaison": liaison.phone,
            "member": member.phone,
            "member_name": member.name,
        }


def test_a_liaison_holds_two_places_and_a_member_takes_one(live_app, new_page):
    data = arrange(live_app)
    need_url = f"/needs/{data['need_id']}"

    # The unit's liaison opens the need and claims two places as the unit.
    liaison, liaison_log = new_page()
    log_in(liaison, data["liaison"], PASSWORD)
    liaison.goto(need_url)
    shift = liaison.locator("li.shift").first
    shift.get_by_text("以单位名义认领").click()
    expect(shift).to_contain_text(f"认领单位：{data['unit']}")
    shift.get_by_label("为本单位成员保留的名额（共计）").fill("2")
    shift.get_by_role("button", name="认领这些名额").click()
    shift = liaison.locator("li.shift").first
    expect(shift).to_contain_text(f"{data['unit']}认领2个名额，成员已认领0个。")
    expect(shift).to_contain_text("单位认领2个")
    expect(shift.get_by_role("button", name="释放2个未使用的名额")).to_be_visible()
    liaison_log.assert_clean()

    # A member of the unit opens the notification and takes a held place with one tap.
    member, member_log = new_page()
    log_in(member, data["member"], PASSWORD)
    member.goto("/notifications/")
    notice = member.locator("ul.notifications li", has_text=data["title"]).first
    expect(notice).to_contain_text(f"{data['unit']}以单位名义认领了「{data['title']}」")
    notice.get_by_role("button").click()
    expect(member).to_have_url(re.compile(rf"{need_url}$"))
    shift = member.locator("li.shift").first
    expect(shift).to_contain_text(f"{data['unit']}为您保留的名额：2")
    expect(shift.get_by_role("button", name="认领名额")).to_have_count(0)
    shift.get_by_role("button", name="认领单位保留的名额").click()

    shift = member.locator("li.shift").first
    expect(shift).to_contain_text(re.compile("您已认领这个时段|You claimed this shift"))
    expect(shift).to_contain_text("单位保留名额")
    expect(shift).to_contain_text("单位认领2个")
    expect(shift).not_to_contain_text("为您保留的名额")
    member_log.assert_clean()

    # The liaison's page of the unit's holds shows the member by name.
    liaison.reload()
    expect(liaison.locator("li.shift").first).to_contain_text("成员已认领1个")
    assert page_width(liaison) <= 360
