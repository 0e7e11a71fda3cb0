"""The resources list (资源清单) on a phone, in Chinese: a unit's staff offers a resource
with a weekly window; a community admin records one on behalf of a unit without an
account and commits part of it to a need; the resource page shows what is left."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from govhub.demo.reporting import LIAISON_PASSWORD
from tests.browser.conftest import JINYE_ADMIN, PHONE, log_in, page_width

pytestmark = pytest.mark.browser

TAX_LIAISON = ("13800000040", LIAISON_PASSWORD)  # 何晓东, staff and liaison of 咸安区税务局


def no_horizontal_scroll(page) -> bool:
    return page_width(page) <= PHONE["width"]


def test_a_units_staff_offer_a_resource_with_a_weekly_window(page, browser_log):
    title = f"党员活动室{uuid.uuid4().hex[:4]}"
    log_in(page, *TAX_LIAISON)
    # The liaison is also the unit's staff: two workbenches, the unit's and the liaison's.
    page.goto("/workbench/")
    page.get_by_role("link", name="单位工作台 · 咸安区税务局").click()
    page.get_by_role("link", name="提供资源").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("提供资源")
    expect(page.locator("main")).to_contain_text("提供方：咸安区税务局。")

    page.get_by_label("场地或活动室").check()
    page.get_by_label("标题").fill(title)
    page.get_by_label("资源说明").fill("可容纳40人，周三下午开放。")
    page.get_by_label("数量或容量").fill("8")
    page.get_by_label("计量单位").fill("小时")
    page.locator("#windows-0-weekday").select_option(label="周三")
    page.locator("#windows-0-starts").fill("14:00")
    page.locator("#windows-0-ends").fill("17:00")
    page.get_by_label("服务范围").select_option(label="金叶社区（社区）")
    assert no_horizontal_scroll(page)
    page.get_by_role("button", name="列入资源清单").click()

    expect(page.get_by_role("status")).to_have_text(f"「{title}」已列入资源清单。")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("#resource-left")).to_have_text("剩余8/8小时")
    expect(page.locator("#resource-status")).to_have_text("上架中")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("咸安区税务局")
    expect(facts).to_contain_text("周三 14:00–17:00")
    assert no_horizontal_scroll(page)

    # It is on the list of 金叶社区 and among the unit's resources.
    page.goto("/resources/mine")
    expect(page.locator("main .resource-list")).to_contain_text(title)
    browser_log.assert_clean()


def test_an_admin_records_a_resource_for_a_unit_and_commits_part_of_it(page, browser_log):
    title = f"爱心车队{uuid.uuid4().hex[:4]}"
    log_in(page, *JINYE_ADMIN)
    page.goto("/workbench/community")
    page.get_by_role("link", name="代单位登记资源").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("代单位登记资源")

    page.get_by_label("提供资源的单位").fill("金叶出租车队")
    page.get_by_label("志愿服务队").check()
    page.get_by_label("标题").fill(title)
    page.get_by_label("数量或容量").fill("0")  # refused at the field, the input kept
    page.get_by_label("计量单位").fill("辆")
    page.get_by_label("服务范围").select_option(label="永安街道（街道）")
    page.get_by_role("button", name="列入资源清单").click()
    expect(page.locator("#quantity-error")).not_to_be_empty()
    expect(page.get_by_label("标题")).to_have_value(title)  # the input is kept

    page.get_by_label("数量或容量").fill("3")
    page.get_by_role("button", name="列入资源清单").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("dl.facts")).to_contain_text("金叶出租车队（社区代为登记）")
    expect(page.locator("#resource-left")).to_have_text("剩余3/3辆")

    page.get_by_role("link", name="对接资源").click()
    page.get_by_label("对接数量").fill("5")
    page.get_by_label("对接的需求").select_option(label="五彩夕阳：独居老人上门探访 · 金叶社区")
    page.get_by_role("button", name="确认对接").click()
    expect(page.locator("#quantity-error")).to_have_text("只剩3辆。")

    page.get_by_label("对接数量").fill("2")
    page.get_by_role("button", name="确认对接").click()
    expect(page.get_by_role("status")).to_have_text("对接成功，还剩1辆。")
    expect(page.locator("#resource-left")).to_have_text("剩余1/3辆")
    expect(page.locator("#resource-status")).to_have_text("部分已对接")
    commitments = page.locator("#commitments")
    expect(commitments).to_contain_text("2辆")
    expect(commitments).to_contain_text("五彩夕阳")
    assert no_horizontal_scroll(page)

    # The need's page lists the resource committed to it.
    commitments.get_by_role("link", name=re.compile("五彩夕阳")).click()
    expect(page.locator("#need-resources")).to_contain_text(title)
    browser_log.assert_clean(allow_statuses=(422,))
