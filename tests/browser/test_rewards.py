"""The points supermarket end to end: the demo business lists a reward, a demo volunteer
redeems it with demo points, the business's staff read the voucher's QR code with their
own phone (here: the code's image on the volunteer's screen, decoded) and confirm it,
and the volunteer's voucher turns to "used" with the ledger entry in their history."""

from __future__ import annotations

import io
import re
import uuid

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import VOLUNTEER_PASSWORD, log_in

pytestmark = pytest.mark.browser

SHOP_STAFF = ("13800000020", "demo-business-2026")  # 周老板, owner of 香城惠民超市
OUR_REWARDS = "本店奖品"  # the tool on the shop workbench
CHEN = ("13800000011", VOLUNTEER_PASSWORD)  # 陈丽华, 金叶社区: 25 demo points or more
VOUCHER_POLL_WAIT_MS = 8_000  # the voucher page asks every 5 s


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 40, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def read_voucher_qr(page) -> str:
    image = page.locator("#voucher-qr")
    expect(image).to_be_visible()
    expect(image).to_have_js_property("complete", True)
    image.evaluate("(el) => el.scrollIntoView({block: 'center'})")  # clear of the tab bar
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.screenshot())))
    assert codes, "no QR code could be read from the voucher"
    return codes[0].text


def test_staff_list_a_reward_a_volunteer_redeems_it_and_staff_verify_the_qr(new_page, live_server):
    title = f"抽纸一提 {uuid.uuid4().hex[:4]}"

    # The business owner lists a reward with a photo.
    staff, staff_log = new_page()
    log_in(staff, *SHOP_STAFF)
    staff.goto("/workbench")  # the shop's tools are on its workbench (工作台)
    staff.get_by_role("link", name=OUR_REWARDS, exact=True).click()
    staff.get_by_role("link", name="上架奖品", exact=True).click()
    staff.get_by_label("奖品").fill(title)
    staff.get_by_label("照片（可选）").set_input_files(
        {"name": "paper.png", "mimeType": "image/png", "buffer": small_png()}
    )
    staff.get_by_label("积分", exact=True).fill("10")
    staff.get_by_label("库存").fill("5")
    staff.get_by_label("每位志愿者每月限兑次数").fill("2")
    staff.get_by_role("button", name="保存").click()
    listed = staff.locator("#rewards li", has_text=title)
    expect(listed).to_contain_text("剩余5份")

    # A volunteer finds it in the supermarket and redeems it.
    volunteer, volunteer_log = new_page()
    log_in(volunteer, *CHEN)
    volunteer.get_by_role("link", name="积分超市").first.click()
    card = volunteer.locator(".reward-card", has_text=title)
    expect(card.locator(".stock")).to_have_text("5")
    expect(card.locator(".allowance")).to_have_text("2")
    expect(card.locator("img.reward-photo")).to_have_js_property("naturalWidth", 640)
    balance_before = int(re.search(r"(\d+)", volunteer.locator(".balance-line").inner_text())[1])
    card.get_by_role("link", name=title).click()
    volunteer.get_by_role("button", name="用10积分兑换").click()
    expect(volunteer).to_have_url(re.compile(r"/my/vouchers/\d+$"))
    expect(volunteer.locator("#voucher-state")).to_have_text("待使用")
    code = volunteer.locator("#short-code").inner_text()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", code), code
    scanned = read_voucher_qr(volunteer)
    assert re.fullmatch(rf"{re.escape(live_server)}/v/[\w.-]+", scanned), scanned

    # The staff's phone opens the scanned address and confirms.
    staff.goto(scanned)
    expect(staff.locator("#volunteer-name")).to_have_text("陈丽华")
    expect(staff.locator("#volunteer-phone")).to_have_text("138****0011")
    expect(staff.locator("h1")).to_have_text(title)
    staff.get_by_role("button", name="交付奖品并确认核销").click()
    expect(staff.locator("#voucher-state")).to_have_text("已使用")
    expect(staff.locator("#fulfilled-note")).to_contain_text("周老板")

    # The volunteer's open voucher page turns to "used" by itself.
    expect(volunteer.locator("#voucher-state")).to_have_text(
        re.compile(r"^已使用 \d\d:\d\d$"), timeout=VOUCHER_POLL_WAIT_MS
    )
    expect(volunteer.locator("#voucher-qr")).to_have_count(0)
    volunteer.goto("/my/points")
    entry = volunteer.locator("li.entry", has_text=title).first
    expect(entry.locator(".amount")).to_have_text("-10")
    expect(volunteer.locator("#balance")).to_have_text(str(balance_before - 10))

    # The shop counts it.
    staff.goto("/workbench")
    staff.get_by_role("link", name=OUR_REWARDS, exact=True).click()
    expect(staff.locator("#rewards li", has_text=title)).to_contain_text("剩余4份")
    expect(staff.locator("#recent")).to_contain_text(code)

    staff_log.assert_clean()
    volunteer_log.assert_clean()


def test_another_volunteer_opening_a_voucher_link_learns_nothing(new_page, live_server):
    zhang = ("13800000010", VOLUNTEER_PASSWORD)  # 张晓明: 30 demo points or more
    volunteer, volunteer_log = new_page()
    log_in(volunteer, *zhang)
    volunteer.goto("/rewards")
    card = volunteer.locator(".reward-card", has_text="爱心早餐券")
    card.get_by_role("link").first.click()
    volunteer.get_by_role("button", name=re.compile(r"^用20积分兑换$")).click()
    expect(volunteer).to_have_url(re.compile(r"/my/vouchers/\d+$"))
    scanned = read_voucher_qr(volunteer)

    other, other_log = new_page()
    log_in(other, *CHEN)
    response = other.goto(scanned)
    assert response.status == 403
    body = other.locator("main").inner_text()
    assert "张晓明" not in body and "0010" not in body and "早餐" not in body
    expect(other.locator("h1")).to_have_text("只有该商家的店员可以打开这张兑换券。")

    # The holder gives the voucher back (a second tap confirms it): the points return.
    volunteer.get_by_text("取消这张兑换券").click()
    volunteer.get_by_role("button", name=re.compile("取消兑换券")).click()
    expect(volunteer.locator("#voucher-state")).to_have_text("已退回")
    expect(volunteer.locator("#voucher-status")).to_contain_text("已取消，积分已退回")
    volunteer_log.assert_clean()
    other_log.assert_clean(allow_statuses=(403,))
