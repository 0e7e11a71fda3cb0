"""The workbenches on a 360px phone: reached from 首页, the main action on the first screen,
no sideways scrolling, every link and button a finger can hit."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import JINYE_ADMIN, PHONE, VOLUNTEER_PASSWORD, log_in, page_width

pytestmark = pytest.mark.browser

TAP = 44  # px
SHOP_OWNER = ("13800000020", "demo-business-2026")  # 周老板, 香城惠民超市

# Links and buttons in <main> outside running text, with their size.
TARGETS = """() => [...document.querySelectorAll('main a, main button')]
  .filter((el) => el.offsetParent !== null && !el.closest('p.muted, .flash, .note'))
  .map((el) => {
    const box = el.getBoundingClientRect();
    return {what: el.innerText.trim().slice(0, 30), height: box.height, right: box.right};
  })"""


def _check_fits(page) -> None:
    width = page_width(page)
    assert width <= PHONE["width"], f"{page.url} scrolls sideways ({width}px)"
    targets = page.evaluate(TARGETS)
    assert targets, f"no links on {page.url}"
    small = [t for t in targets if t["height"] < TAP]
    assert small == [], f"tap targets under {TAP}px on {page.url}"


def _on_first_screen(locator) -> None:
    box = locator.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= PHONE["height"], f"below the fold: {box}"


def test_a_community_admin_goes_from_home_to_the_waiting_work(page, browser_log):
    log_in(page, *JINYE_ADMIN)
    card = page.locator(".workbench-card").first
    expect(card).to_contain_text("社区工作台 · 金叶社区")
    # The demo has two resident requests waiting in 金叶社区.
    expect(card).to_contain_text("待审核的居民诉求")
    _on_first_screen(card.get_by_role("link", name="社区工作台 · 金叶社区"))
    _check_fits(page)

    card.get_by_role("link", name="进入工作台").click()
    expect(page).to_have_url(re.compile(r"/workbench/community/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("社区工作台 · 金叶社区")
    requests = page.locator("#waiting-requests")
    expect(requests).to_contain_text("2条")
    _on_first_screen(requests)
    _check_fits(page)

    requests.click()
    expect(page).to_have_url(re.compile(r"/requests/review$"))
    browser_log.assert_clean()


def test_a_volunteers_home_leads_with_their_tasks(page, browser_log):
    log_in(page, "13800000010", VOLUNTEER_PASSWORD)  # 张晓明, who has claimed shifts
    tasks = page.locator("#upcoming-tasks")
    expect(tasks.locator("li").first).to_be_visible()
    _on_first_screen(tasks.locator("li").first)
    expect(page.locator(".workbench-card")).to_have_count(0)
    _check_fits(page)
    page.goto("/workbench/")
    expect(page.get_by_role("heading", level=1)).to_have_text("工作台")
    expect(page.locator("main")).to_contain_text("您目前没有工作台")
    browser_log.assert_clean()


def test_the_shop_owner_verifies_from_the_first_screen(page, browser_log):
    log_in(page, *SHOP_OWNER)
    card = page.locator(".workbench-card").first
    verify = card.get_by_role("link", name="核销兑换券")
    _on_first_screen(verify)
    _check_fits(page)

    card.get_by_role("link", name="进入工作台").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("店铺工作台 · 香城惠民超市")
    big = page.locator("#verify-voucher")
    _on_first_screen(big)
    assert big.bounding_box()["height"] >= 48
    _check_fits(page)
    big.click()
    expect(page).to_have_url(re.compile(r"/shop/\d+/verify$"))
    browser_log.assert_clean()
