"""A business applies to become a partner; its community admin approves it."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import JINYE_ADMIN, choose_place, log_in

pytestmark = pytest.mark.browser


def test_community_admin_approves_a_business_application(page, browser_log, new_page):
    name = f"测试爱心面馆{uuid.uuid4().hex[:4]}"

    # A visitor applies.
    page.goto("/partners/apply")
    expect(page.get_by_role("heading", level=1)).to_have_text("申请成为共建单位")
    page.get_by_label("驻区单位").check()
    page.get_by_label("爱心商家").check()
    expect(page.get_by_label("驻区单位")).not_to_be_checked()
    page.get_by_label("单位或商家名称").fill(name)
    choose_place(page, "咸安区", "永安街道", "金叶社区")
    page.get_by_label("地址", exact=True).fill("永安大道 100 号")
    page.get_by_label("联系人", exact=True).fill("孙老板")
    page.get_by_label("联系人手机号").fill("13912345678")
    page.get_by_role("button", name="提交申请").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("申请已提交")
    expect(page.locator("main")).to_contain_text(
        f"金叶社区将审核「{name}」的申请，并与孙老板联系。"
    )
    browser_log.assert_clean()

    # The community admin of 金叶社区 reviews it, on another device.
    admin, admin_log = new_page()
    log_in(admin, *JINYE_ADMIN)
    admin.get_by_role("link", name="共建单位申请").click()
    expect(admin).to_have_url(re.compile(r"/partners/review"))
    pending = admin.locator("main ul.rows")
    expect(pending.get_by_role("link", name=name)).to_be_visible()
    expect(pending.locator("li", has_text=name)).to_contain_text("爱心商家 · 金叶社区")

    pending.get_by_role("link", name=name).click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(name)
    facts = admin.locator("dl.facts")
    expect(facts).to_contain_text("爱心商家")
    expect(facts).to_contain_text("待审核")
    expect(facts).to_contain_text("永安大道 100 号")
    expect(facts).to_contain_text("孙老板 13912345678")
    admin.get_by_role("button", name="通过").click()

    expect(admin.get_by_role("status")).to_have_text(f"已通过「{name}」的申请。")
    expect(admin).to_have_url(re.compile(r"/partners/review$"))
    expect(admin.locator("nav.tabs [aria-current=page]")).to_have_text("待审核")
    expect(admin.locator("main ul.rows").get_by_role("link", name=name)).to_have_count(0)

    admin.locator("nav.tabs").get_by_role("link", name="已通过").click()
    expect(admin.locator("nav.tabs [aria-current=page]")).to_have_text("已通过")
    expect(admin.locator("main ul.rows").get_by_role("link", name=name)).to_be_visible()
    admin_log.assert_clean()
