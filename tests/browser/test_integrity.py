"""The integrity review on a phone, in Chinese (防代刷时长): the street office of the demo
(赵科长, 永安街道) opens the review queue from its workbench, opens one of the demo's
faked-looking check-ins at 金叶社区 and rejects it with a reason; the community admin who
typed them in is told someone else decides; a second admin of the community clears
another. The points of the rejected one are gone, through the ledger."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import JINYE_ADMIN, PHONE, log_in, page_width, unique_phone

pytestmark = pytest.mark.browser

STREET_ADMIN = ("13800000004", "demo-yongan-2026")  # 赵科长, oversight of 永安街道
TITLE = "敬老院集中慰问"  # govhub/demo/integrity.py
PASSWORD = "walk-dog-2026"


def second_admin(live_app) -> str:
    """A new community admin of 金叶社区 who had no hand in the demo's entries."""
    from govhub.accounts import services as accounts
    from govhub.accounts.models import Role
    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit

    phone = unique_phone()
    with live_app.app_context():
        grid = db.session.scalars(select(OrgUnit).where(OrgUnit.name == "金叶一网格")).one()
        user = accounts.register(phone, "周委员", PASSWORD, grid.parent_id, grid.id)
        accounts.assign_role(None, user.id, Role.community_admin, org_unit_id=grid.parent_id)
        db.session.remove()
    return phone


def balance_of_item(live_app, item_id: int) -> tuple[int, int, str]:
    """(the volunteer's balance, the sum of their ledger, the item's status)."""
    from govhub.extensions import db
    from govhub.integrity.models import ReviewItem
    from govhub.points import services as points

    with live_app.app_context():
        item = db.session.get(ReviewItem, item_id)
        found = (
            points.account(item.volunteer_id).balance,
            points.ledger_sum(item.volunteer_id),
            item.status.value,
        )
        db.session.remove()
    return found


def test_the_street_rejects_a_flagged_check_in_and_a_second_admin_clears_another(
    new_page, live_app
):
    page, log = new_page()
    log_in(page, *STREET_ADMIN)
    page.goto("/workbench/")
    page.get_by_role("link", name="防代刷复核").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("防代刷复核")
    items = page.locator("li.review-item", has_text=TITLE)
    expect(items.first).to_be_visible()
    expect(items.first).to_contain_text("10分钟内手工登记了11条签到")  # the burst, in words
    assert page_width(page) <= PHONE["width"]

    # Open one: its signals in words, its evidence, the decision form.
    items.first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("防代刷复核")
    expect(page.locator("ul.signals")).to_contain_text("手工签到")
    expect(page.locator("ul.signals")).to_contain_text("当天发布当天完成")
    expect(page.get_by_role("link", name="班次签到记录")).to_be_visible()
    item_id = int(re.search(r"/integrity/items/(\d+)", page.url).group(1))
    before, ledger, status = balance_of_item(live_app, item_id)
    assert status == "pending" and before == ledger
    assert page_width(page) <= PHONE["width"]

    # A rejection needs a reason; then the hours earn nothing.
    page.get_by_role("button", name="驳回：不计时长积分").click()
    expect(page.locator("p.error").first).to_contain_text("驳回理由")
    page.get_by_label("理由").fill("当天敬老院未开放，签到无法核实")
    page.get_by_role("button", name="驳回：不计时长积分").click()
    expect(page.locator(".flash").first).to_contain_text("已驳回")
    after, ledger, status = balance_of_item(live_app, item_id)
    assert status == "rejected" and after == ledger == before - 20
    page.goto(f"/integrity/items/{item_id}")
    expect(page.locator("#review-status")).to_have_text("已驳回：不计时长积分")
    expect(page.locator(".review-decision")).to_contain_text("-20积分")
    log.assert_clean(allow_statuses=(422,))  # the rejection without a reason

    # The admin who typed the check-ins in cannot decide them.
    typist, typist_log = new_page()
    log_in(typist, *JINYE_ADMIN)
    typist.goto("/integrity/")
    other = typist.locator("li.review-item", has_text=TITLE).first
    other.get_by_role("link").first.click()
    expect(typist.locator("#review-hands-on")).to_contain_text("您经手了")
    expect(typist.get_by_role("button", name="核实通过：时长有效")).to_have_count(0)
    other_url = typist.url
    typist_log.assert_clean()

    # A second admin of the community clears it.
    second, second_log = new_page()
    log_in(second, second_admin(live_app), PASSWORD)
    second.goto(other_url)
    second.get_by_role("button", name="核实通过：时长有效").click()
    expect(second.locator(".flash").first).to_contain_text("已核实通过")
    other_id = int(re.search(r"/integrity/items/(\d+)", other_url).group(1))
    assert balance_of_item(live_app, other_id)[2] == "cleared"
    second_log.assert_clean()
