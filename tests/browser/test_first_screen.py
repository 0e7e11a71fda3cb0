"""The main action of each step at the activity and at the counter is on a phone's first
screen (360x780, Chinese), in normal and elder mode: the claim button on a need's page,
the voucher's QR code and short code, the staff's confirm button. The check-in screen's
code fills a phone held up and a laptop on a projector.

"The first screen" is the part of the viewport between the bottom of the site header
(``header.site-header``, whatever its height) and the top of a tab bar fixed to the
bottom (``nav.tabbar``, when there is one), with the page scrolled to the top.
"""

from __future__ import annotations

import io
import re
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import (
    JINYE_ADMIN,
    VOLUNTEER_PASSWORD,
    log_in,
    page_width,
    unique_phone,
)
from tests.browser.test_checkin import demo_shift, read_code  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 780}
LAPTOP = {"width": 1280, "height": 720}
MODES = ["normal", "elder"]
SHOP_STAFF = ("13800000020", "demo-business-2026")  # 周老板, 香城惠民超市
ZHANG = ("13800000010", VOLUNTEER_PASSWORD)  # 张晓明, 金叶社区
CHEN = ("13800000011", VOLUNTEER_PASSWORD)  # 陈丽华, 金叶社区
REWARD = "5公斤大米"  # 300 points, 1 per person a month: no other test redeems it
NEED = "九点伴课堂：晚间作业辅导"  # 金叶社区, 8 shifts

FIRST_SCREEN = """() => {
  window.scrollTo(0, 0);
  const header = document.querySelector("header.site-header");
  const bar = document.querySelector("nav.tabbar");
  let bottom = window.innerHeight;
  if (bar && getComputedStyle(bar).position === "fixed") {
    bottom = Math.min(bottom, bar.getBoundingClientRect().top);
  }
  return {top: header ? header.getBoundingClientRect().bottom : 0, bottom: bottom};
}"""


def assert_on_first_screen(page, locator, what: str) -> None:
    expect(locator).to_be_visible()
    screen = page.evaluate(FIRST_SCREEN)
    box = locator.bounding_box()
    assert box is not None, what
    top, bottom = box["y"], box["y"] + box["height"]
    assert top >= screen["top"] - 0.5, f"{what} starts at {top}, under the header ({screen})"
    assert bottom <= screen["bottom"] + 0.5, f"{what} ends at {bottom}, below {screen}"
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"] + 0.5


def font_px(locator) -> float:
    return float(locator.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)"))


def root_px(page) -> float:
    return float(
        page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    )


@contextmanager
def text_size(live_app, phone: str, mode: str):
    """The user's saved text size for the test (the saved one wins over the session's),
    normal again afterwards: other tests log in as the same demo users."""
    from govhub.accounts import services as accounts

    with live_app.app_context():
        user_id = accounts.find_by_phone(phone).id
        accounts.set_preferences(user_id, elder_mode=mode == "elder")
    try:
        yield
    finally:
        with live_app.app_context():
            accounts.set_preferences(user_id, elder_mode=False)


def elder_shown(page, mode: str) -> None:
    expect(page.locator("body")).to_have_class(
        re.compile(r"\belder\b") if mode == "elder" else re.compile(r"^(?!.*\belder\b)")
    )


@dataclass
class Voucher:
    id: int
    code: str
    token: str


def issue_voucher(live_app, phone: str) -> Voucher:
    """A voucher for REWARD, the points for it credited first (an adjustment)."""
    from sqlalchemy import select

    from govhub.accounts import services as accounts
    from govhub.database import transactional, utcnow
    from govhub.extensions import db
    from govhub.points import services as points
    from govhub.points.models import EntryKind
    from govhub.rewards import vouchers
    from govhub.rewards.models import Reward
    from govhub.tokens import voucher_token

    @transactional
    def credit(user_id: int, admin_id: int, key: str) -> None:
        points.post_entry(
            user_id, 400, EntryKind.adjust, key=key, actor_id=admin_id, reason="测试：补足积分"
        )

    with live_app.app_context():
        user = accounts.find_by_phone(phone)
        admin = accounts.find_by_phone(JINYE_ADMIN[0])
        reward_id = db.session.scalars(select(Reward.id).where(Reward.title == REWARD)).one()
        credit(user.id, admin.id, f"first-screen:{phone}:{unique_phone()}")
        redemption = vouchers.redeem(
            user.id, reward_id, key=f"first-screen:{unique_phone()}", now=utcnow()
        )
        return Voucher(redemption.id, redemption.display_code, voucher_token(redemption.id))


@pytest.fixture(scope="module")
def zhang_voucher(live_app) -> Voucher:
    return issue_voucher(live_app, ZHANG[0])


@pytest.fixture(scope="module")
def volunteer(live_app) -> tuple[str, str]:
    """A new volunteer of 金叶社区 who has claimed nothing."""
    from sqlalchemy import select

    from govhub.accounts import services as accounts
    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit

    phone = unique_phone()
    with live_app.app_context():
        grid = db.session.scalars(select(OrgUnit).where(OrgUnit.name == "金叶一网格")).one()
        accounts.register(phone, "首屏测试", VOLUNTEER_PASSWORD, grid.parent_id, grid.id)
    return phone, VOLUNTEER_PASSWORD


def need_id(live_app) -> int:
    from sqlalchemy import select

    from govhub.extensions import db
    from govhub.needs.models import Need

    with live_app.app_context():
        return db.session.scalars(select(Need.id).where(Need.title == NEED)).one()


# --- The first screen, normal and elder mode -------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_the_claim_button_is_on_a_needs_first_screen(new_page, live_app, volunteer, mode):
    page, log = new_page(viewport=PHONE)
    with text_size(live_app, volunteer[0], mode):
        log_in(page, *volunteer)
        page.goto(f"/needs/{need_id(live_app)}")
        elder_shown(page, mode)
        expect(page.locator("h1")).to_have_text(NEED)
        claim = page.locator('ul.shifts form[action$="/claim"] button').first
        expect(claim).to_have_text("认领名额")
        assert_on_first_screen(page, claim, "the first claim button")
        # What the need is about is still there, after the shifts.
        about = page.locator(".need-about")
        assert about.bounding_box()["y"] > claim.bounding_box()["y"]
        expect(about).to_contain_text("作业辅导")
    log.assert_clean()


@pytest.mark.parametrize("mode", MODES)
def test_the_vouchers_qr_and_code_are_on_its_first_screen(new_page, live_app, zhang_voucher, mode):
    page, log = new_page(viewport=PHONE)
    with text_size(live_app, ZHANG[0], mode):
        log_in(page, *ZHANG)
        page.goto(f"/my/vouchers/{zhang_voucher.id}")
        elder_shown(page, mode)
        qr = page.locator("#voucher-qr")
        expect(qr).to_have_js_property("complete", True)
        assert_on_first_screen(page, qr, "the voucher's QR code")
        code = page.locator("#short-code")
        expect(code).to_have_text(zhang_voucher.code)
        assert_on_first_screen(page, code, "the short code")
        assert font_px(code) >= 1.8 * root_px(page)
        # The state is large and coloured, not a small badge.
        state = page.locator("#voucher-state")
        expect(state).to_have_text("待使用")
        assert_on_first_screen(page, state, "the voucher's state")
        assert font_px(state) >= 1.6 * root_px(page)
        assert state.evaluate("(el) => getComputedStyle(el).color") != "rgb(29, 29, 31)"
        # A staff phone reads the code from the screen.
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
        assert decoded and decoded[0].text.endswith(f"/v/{zhang_voucher.token}")
        # Cancelling sits well below the code.
        cancel = page.locator("details.voucher-cancel > summary")
        assert cancel.bounding_box()["y"] > code.bounding_box()["y"] + 150
    log.assert_clean()


@pytest.mark.parametrize("mode", MODES)
def test_the_staffs_confirm_button_is_on_the_verify_pages_first_screen(
    new_page, live_app, zhang_voucher, mode
):
    page, log = new_page(viewport=PHONE)
    with text_size(live_app, SHOP_STAFF[0], mode):
        log_in(page, *SHOP_STAFF)
        page.goto(f"/v/{zhang_voucher.token}")
        elder_shown(page, mode)
        expect(page.locator("h1")).to_have_text(REWARD)
        name, phone = page.locator("#volunteer-name"), page.locator("#volunteer-phone")
        expect(name).to_have_text("张晓明")
        expect(phone).to_have_text("138****0010")
        confirm = page.locator("#confirm-voucher")
        expect(confirm).to_have_text("交付奖品并确认核销")
        for what, locator in [
            ("the reward", page.locator("h1")),
            ("the volunteer's name", name),
            ("the masked phone", phone),
            ("the confirm button", confirm),
        ]:
            assert_on_first_screen(page, locator, what)
        # Numbers and dates never break across lines.
        for value in page.locator(".counter-facts dd.nowrap").all():
            height, line = value.evaluate(
                "(el) => [el.getBoundingClientRect().height,"
                " parseFloat(getComputedStyle(el).lineHeight)]"
            )
            assert height < 1.5 * line, f"{value.inner_text()!r} wraps"
            assert value.evaluate("(el) => el.scrollWidth <= el.clientWidth + 1")
        # Turning it down is a separate, secondary button, well apart from confirming.
        refuse = page.locator("details.reject > summary")
        expect(refuse).to_contain_text("拒绝")
        refuse_box, confirm_box = refuse.bounding_box(), confirm.bounding_box()
        assert refuse_box["y"] >= confirm_box["y"] + confirm_box["height"] + 24
        assert refuse.evaluate("(el) => getComputedStyle(el).backgroundColor") != (
            confirm.evaluate("(el) => getComputedStyle(el).backgroundColor")
        )
    log.assert_clean()


# --- The voucher: full screen, cancelling -----------------------------------------------


def test_tapping_the_voucher_qr_opens_a_full_screen_view(new_page, zhang_voucher):
    page, log = new_page(viewport=PHONE)
    log_in(page, *ZHANG)
    page.goto(f"/my/vouchers/{zhang_voucher.id}")
    page.locator("#voucher-qr").click()
    expect(page).to_have_url(re.compile(rf"/my/vouchers/{zhang_voucher.id}/full$"))
    expect(page.locator("header.site-header")).to_have_count(0)
    qr = page.locator("#voucher-full-qr")
    expect(qr).to_have_js_property("complete", True)
    assert_on_first_screen(page, qr, "the full-screen QR code")
    assert qr.bounding_box()["width"] >= 0.85 * PHONE["width"]
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    assert decoded and decoded[0].text.endswith(f"/v/{zhang_voucher.token}")
    code = page.locator("#full-code")
    expect(code).to_have_text(zhang_voucher.code)
    assert_on_first_screen(page, code, "the code in huge letters")
    assert font_px(code) >= 2.4 * root_px(page)
    expect(page.locator("#brightness-hint")).to_contain_text("调高屏幕亮度")
    # With JavaScript, a button fills the screen (the Fullscreen API).
    expect(page.get_by_role("button", name="全屏显示")).to_be_visible()
    log.assert_clean()


def test_cancelling_a_voucher_asks_first(new_page, live_app):
    from govhub.extensions import db
    from govhub.rewards.models import Redemption, VoucherStatus

    def status() -> VoucherStatus:
        with live_app.app_context():
            return db.session.get(Redemption, voucher.id).status

    voucher = issue_voucher(live_app, CHEN[0])
    page, log = new_page(viewport=PHONE)
    log_in(page, *CHEN)
    page.goto(f"/my/vouchers/{voucher.id}")
    confirm = page.get_by_role("button", name=re.compile("取消兑换券"))
    expect(confirm).to_be_hidden()
    page.get_by_text("取消这张兑换券").click()  # the first tap only asks
    expect(confirm).to_be_visible()
    expect(page.locator("#voucher-state")).to_have_text("待使用")
    assert status() is VoucherStatus.issued
    confirm.click()
    expect(page.locator("#voucher-state")).to_have_text("已退回")
    expect(page.locator("#voucher-status")).to_contain_text("已取消，积分已退回")
    assert status() is VoucherStatus.cancelled
    log.assert_clean()


# --- The check-in screen: a phone held up, a laptop on a projector ---------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_the_check_in_code_fills_the_screen_and_the_modes_differ(
    new_page,
    live_app,
    demo_shift,  # noqa: F811 (the fixture imported above)
    viewport,
    mode,
):
    page, log = new_page(viewport=viewport)
    limit = min(viewport["width"], viewport["height"])
    looks = {}
    with text_size(live_app, JINYE_ADMIN[0], mode):
        log_in(page, *JINYE_ADMIN)
        for purpose, word in (("in", "签到"), ("out", "签退")):
            query = "?mode=out" if purpose == "out" else ""
            page.goto(f"/manage/shifts/{demo_shift.id}/checkin{query}")
            elder_shown(page, mode)
            image = page.locator("#code img")
            expect(image).to_have_js_property("complete", True)
            box = image.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 0.5
            assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"] + 0.5
            assert min(box["width"], box["height"]) >= 0.8 * limit, (purpose, box)
            label = page.locator("#screen-mode")
            expect(label).to_have_text(word)
            assert_on_first_screen(page, label, f"the {word} label")
            assert font_px(label) >= 2 * root_px(page)
            expect(page.locator("h1")).to_have_text(demo_shift.title)
            assert font_px(page.locator("#counter")) >= 1.8 * root_px(page)
            assert f"/s/{demo_shift.id}/{purpose}/" in read_code(page)
            looks[purpose] = label.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert looks["in"] != looks["out"], looks
    log.assert_clean()


# --- Attendance on a phone ------------------------------------------------------------


def test_attendance_cells_carry_their_labels_and_rows_stand_apart(
    new_page,
    demo_shift,  # noqa: F811 (the fixture imported above)
):
    page, log = new_page(viewport=PHONE)
    log_in(page, *JINYE_ADMIN)
    page.goto(f"/manage/shifts/{demo_shift.id}/attendance")
    rows = page.locator("table.attendance tbody tr")
    expect(rows.first).to_be_visible()
    for label in ("签到", "签退", "时长", "积分", "凭据"):
        cell = rows.first.locator(f'td[data-label="{label}"]')
        expect(cell).to_be_visible()
        shown = cell.evaluate("(el) => getComputedStyle(el, '::before').content")
        assert label in shown, (label, shown)
    boxes = [row.bounding_box() for row in rows.all()]
    for upper, lower in zip(boxes, boxes[1:], strict=False):
        assert lower["y"] >= upper["y"] + upper["height"] + 4, "rows touch"
    widths = page_width(page)
    assert widths <= PHONE["width"]
    log.assert_clean()
