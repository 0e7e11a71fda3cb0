"""The liaison of a unit sees its member's hours and prints their quarterly service card
(服务登记卡) on a phone, in Chinese."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, demo_server, log_in, page_width, watched_page

pytestmark = pytest.mark.browser

LIAISON = ("13900007001", "liaison-pass-2026")
MEMBER_NAME = "刘在职"
UNIT = "咸宁市税务局"


def _arrange() -> None:
    """A unit reported to 金叶社区 with its liaison; a member reported there, placed in
    金叶一网格, with confirmed service last quarter and today; last quarter's cards issued
    by the community's admin."""
    from sqlalchemy import select

    from govhub.accounts import services as accounts
    from govhub.accounts.models import User
    from govhub.clock import local_date
    from govhub.database import utcnow
    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit
    from govhub.reporting import cards, figures
    from tests.reporting.rows import make_unit, member_report, served, shift_on, unit_report

    def unit_id(name: str) -> int:
        return db.session.scalars(select(OrgUnit.id).where(OrgUnit.name == name)).one()

    community, grid = unit_id("金叶社区"), unit_id("金叶一网格")
    today = local_date(utcnow())
    tax = make_unit(SimpleNamespace(community_a=community), UNIT)
    liaison = accounts.register(LIAISON[0], "张联络", LIAISON[1], community, grid)
    unit_report(tax, community, liaison, party_members=3, confirmed_on=today - timedelta(days=200))
    member = accounts.register("13900007002", MEMBER_NAME, "member-pass-2026", community, grid)
    member_report(member, community, tax, confirmed_on=today - timedelta(days=200), grid_id=grid)
    year, quarter = cards.last_ended_quarter(today)
    last_day = figures.quarter_days(year, quarter)[1]
    served(member, shift_on(community, last_day, title="河道清洁"), 180)
    served(member, shift_on(community, today, title="敬老院探访"), 90)
    admin = db.session.scalars(select(User).where(User.phone == "13800000002")).one()
    cards.issue_quarter(admin.id, community, year, quarter, now=utcnow())


@pytest.fixture(scope="module")
def liaison_server(chromium_available, tmp_path_factory):
    with demo_server(tmp_path_factory, "liaison", _arrange) as (url, _app):
        yield url


@pytest.fixture
def phone(browser, liaison_server):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=liaison_server)
    page, log = watched_page(context)
    yield page, log
    context.close()


def test_the_liaison_sees_the_members_hours_and_prints_the_card(phone):
    page, log = phone
    log_in(page, *LIAISON)

    # 首页 leads to the liaison's workbench: the unit's page.
    page.get_by_role("link", name=f"联络员 · {UNIT}").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(UNIT)
    member = page.locator("article.liaison-member", has_text=MEMBER_NAME)
    expect(member).to_contain_text("金叶社区")
    expect(member).to_contain_text("金叶一网格")
    expect(member.locator(".member-quarter-hours")).to_have_text("1.5小时")
    expect(member.locator(".member-year-hours")).to_contain_text("/ 50小时")
    expect(member).not_to_contain_text("13900007002")
    assert page_width(page) <= PHONE["width"]

    # The cards to receive: last quarter's card of the member.
    page.get_by_role("link", name=re.compile("服务登记卡")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("服务登记卡")
    page.locator(".card-list").get_by_role("link", name=MEMBER_NAME).click()
    card = page.locator("#service-card")
    expect(card.get_by_role("heading", level=1)).to_have_text("在职党员到社区报到服务登记卡")
    expect(card.locator("#card-member")).to_have_text(MEMBER_NAME)
    expect(card.locator("#card-employer")).to_have_text(UNIT)
    expect(card.locator("#card-grid")).to_have_text("金叶一网格")
    expect(card.locator("#card-quarter-hours")).to_have_text("3小时")
    expect(card.locator("#card-target")).to_have_text("未达标")
    expect(card.get_by_role("img", name="核验此登记卡的二维码")).to_be_visible()
    assert page_width(page) <= PHONE["width"]

    # Printed: the navigation is hidden and the card fits one A4 page.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".no-print").first).to_be_hidden()
    expect(card).to_be_visible()
    pdf = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    page.emulate_media(media="screen")

    # Received, once.
    page.get_by_role("button", name="签收").click()
    expect(page.get_by_role("status")).to_contain_text(f"已签收{MEMBER_NAME}的服务登记卡。")
    expect(page.locator(".card-list li", has_text=MEMBER_NAME)).to_contain_text("签收")
    expect(page.locator(".card-list").get_by_role("button", name="签收")).to_have_count(0)
    log.assert_clean()
