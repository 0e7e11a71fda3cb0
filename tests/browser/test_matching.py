"""From a posted need to a completed project on the public page, on a phone, in Chinese:
the volunteer sees the need under 为你推荐 with its reasons; the admin opens the need's
matching page, sees the ranked volunteers with their reasons and invites one; the
volunteer accepts from the notification and is a claimant; the admin requests a unit's
resource and the unit accepts it; the need becomes a project with an outcome, and the
project is on the community's public page (居务公开) without the volunteer's name."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from govhub.demo.reporting import LIAISON_PASSWORD
from tests.browser.conftest import JINYE_ADMIN, PHONE, log_in, page_width, unique_phone

pytestmark = pytest.mark.browser

PASSWORD = "matching-2026"
JINYE_CODE = "421202001001"  # 金叶社区 (govhub/demo/city.json)
JINYE_GRID = "421202001001-01"  # 金叶一网格
TAX_LIAISON = ("13800000040", LIAISON_PASSWORD)  # 何晓东, staff of 咸安区税务局
SKILL = "陪伴聊天"
QUANTITY_LABEL = "请求数量"


def arrange(live_app) -> dict:
    """In 金叶社区: a new volunteer with the skill 陪伴聊天, an open need wanting it with one
    shift in three days, and a resource of 咸安区税务局 serving the community."""
    from sqlalchemy import select

    from govhub.accounts import services as accounts
    from govhub.accounts.models import Skill, User
    from govhub.database import utcnow
    from govhub.extensions import db
    from govhub.needs import posting
    from govhub.needs.models import Category
    from govhub.orgs import services as orgs
    from govhub.partners.models import Partner
    from govhub.resources import services as resources
    from govhub.resources.models import ResourceKind

    tag = uuid.uuid4().hex[:6]
    with live_app.app_context():
        now = utcnow()
        jinye, grid = orgs.find_by_code(JINYE_CODE), orgs.find_by_code(JINYE_GRID)
        assert jinye is not None and grid is not None
        admin = db.session.scalar(select(User).where(User.phone == JINYE_ADMIN[0]))
        skill = db.session.scalar(select(Skill).where(Skill.name == SKILL))
        volunteer = accounts.register(unique_phone(), f"欧阳{tag}", PASSWORD, jinye.id, grid.id)
        accounts.update_profile(
            volunteer.id,
            name=volunteer.name,
            community_id=jinye.id,
            grid_id=grid.id,
            skill_ids=[skill.id],
            is_party_member=False,
            employer_unit=None,
            availability=None,
            now=now,
        )
        category = db.session.scalar(select(Category).where(Category.code == "elderly"))
        start = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
        need = posting.save_need(
            admin.id,
            jinye.id,
            posting.NeedInput(
                title=f"陪伴独居老人{tag}",
                description="陪老人聊天，读报。",
                category_id=category.id,
                place="金叶小区7栋",
                contact_name="王书记",
                contact_phone="13812345678",
                skill_ids=[skill.id],
            ),
            [posting.ShiftInput(start, start + timedelta(hours=2), 3)],
            now=now,
        )
        posting.publish(admin.id, need.id, now=now)
        tax = db.session.scalar(select(Partner).where(Partner.name == "咸安区税务局"))
        liaison = db.session.scalar(select(User).where(User.phone == TAX_LIAISON[0]))
        resource = resources.offer(
            liaison.id,
            resources.Provider(partner_id=tax.id),
            resources.ResourceInput(
                kind=ResourceKind.goods,
                title=f"慰问品{tag}",
                description="牛奶和水果。",
                quantity=10,
                unit_label="份",
                area_id=jinye.id,
                contact_name=liaison.name,
                contact_phone=liaison.phone,
            ),
            now=now,
        )
        return {
            "need_id": need.id,
            "title": need.title,
            "volunteer": volunteer.phone,
            "name": volunteer.name,
            "resource": resource.title,
            "community_id": jinye.id,
        }


def no_horizontal_scroll(page) -> bool:
    return page_width(page) <= PHONE["width"]


def test_a_need_is_matched_invited_resourced_and_published_as_a_project(live_app, new_page):
    data = arrange(live_app)
    title, name = data["title"], data["name"]

    # 为你推荐: the volunteer sees the need on the board with why.
    volunteer, volunteer_log = new_page()
    log_in(volunteer, data["volunteer"], PASSWORD)
    volunteer.goto("/needs")
    recommended = volunteer.locator("section.recommended")
    expect(recommended.get_by_role("heading")).to_have_text("为你推荐")
    card = recommended.locator("li", has_text=title)
    expect(card).to_contain_text(f"{SKILL} ✓")
    expect(card).to_contain_text("同一社区")
    assert no_horizontal_scroll(volunteer)

    # The admin opens the need's matching page, sees the volunteer ranked with reasons.
    admin, admin_log = new_page()
    log_in(admin, *JINYE_ADMIN)
    admin.goto(f"/manage/needs/{data['need_id']}")
    admin.get_by_role("link", name="匹配志愿者和资源").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("匹配志愿者和资源")
    row = admin.locator("li.match-row", has_text=name)
    expect(row).to_contain_text(f"{SKILL} ✓")
    expect(row).to_contain_text("新志愿者")
    assert no_horizontal_scroll(admin)
    row.get_by_role("checkbox").check()
    admin.get_by_role("button", name="邀请勾选的志愿者").click()
    expect(admin.get_by_role("status").first).to_contain_text("已邀请1人")
    expect(admin.locator("li.match-row", has_text=name)).to_contain_text("等待回复")

    # The volunteer opens the notification, reads why and accepts in one tap.
    volunteer.goto("/notifications/")
    notice = volunteer.locator("ul.notifications li", has_text=title).first
    expect(notice).to_contain_text("邀请您参加")
    notice.get_by_role("button").click()
    expect(volunteer).to_have_url(re.compile(r"/matching/invitations/\d+$"))
    expect(volunteer.locator("#invitation-reasons")).to_contain_text(f"{SKILL} ✓")
    volunteer.get_by_role("button", name="接受").click()
    expect(volunteer.locator("#invitation-status")).to_have_text("已接受")
    volunteer_log.assert_clean()

    # The admin sees them among the need's claimants, and requests the unit's resource.
    admin.goto(f"/manage/needs/{data['need_id']}")
    expect(admin.locator("main")).to_contain_text(name)
    admin.goto(f"/matching/needs/{data['need_id']}")
    offer = admin.locator("li.match-row", has_text=data["resource"])
    offer.get_by_label(QUANTITY_LABEL).fill("2")
    offer.get_by_role("button", name="申请").click()
    expect(admin.get_by_role("status").first).to_contain_text("咸安区税务局")

    # The unit's staff accept the request: the quantity is committed to the need.
    unit, unit_log = new_page()
    log_in(unit, *TAX_LIAISON)
    unit.goto("/matching/resource-requests")
    unit.locator("li", has_text=data["resource"]).get_by_role("link").first.click()
    unit.get_by_role("button", name="接受并承诺").click()
    expect(unit.locator("main")).to_contain_text("已同意并承诺")
    unit_log.assert_clean()

    # The need becomes a project, completed with its outcome.
    admin.goto(f"/manage/needs/{data['need_id']}")
    admin.get_by_role("link", name="记为项目").click()
    expect(admin.get_by_label("项目名称")).to_have_value(title)
    admin.get_by_role("button", name="列入项目清单").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(title)
    expect(admin.locator("#project-resources")).to_contain_text(data["resource"])
    expect(admin.locator("#project-partners")).to_contain_text("咸安区税务局")
    admin.get_by_role("link", name="记录成果").click()
    admin.get_by_label(re.compile("服务人")).fill("12")
    admin.get_by_label("取得的成果").fill("十二位独居老人有人陪伴聊天，收到慰问品。")
    assert no_horizontal_scroll(admin)
    admin.get_by_role("button", name="完成项目").click()
    expect(admin.locator("#project-status")).to_have_text("已完成")
    expect(admin.locator("#project-published")).to_have_text("已公示")
    admin_log.assert_clean()

    # It is on the community's public page, with no volunteer's name.
    visitor, visitor_log = new_page()
    visitor.goto(f"/public/communities/{data['community_id']}")
    main = visitor.locator("main")
    expect(main).to_contain_text(title)
    expect(main).to_contain_text("十二位独居老人有人陪伴聊天")
    assert name not in visitor.content()
    visitor_log.assert_clean()
