"""QR check-in: the organizer's screen shows a rotating code, volunteers scan it with
their phone's camera (here: a screenshot of the code, decoded), and confirmed hours
become points."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import JINYE_ADMIN, PHONE, VOLUNTEER_PASSWORD, log_in, settled

pytestmark = pytest.mark.browser

# The two volunteers govhub.demo.start_activity claims the demo shift for.
ZHANG = ("13800000010", VOLUNTEER_PASSWORD, "张晓明")
CHEN = ("13800000011", VOLUNTEER_PASSWORD, "陈丽华")
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the site's time zone: times are shown in it
COUNTER_WAIT_MS = 8_000  # the live counter refreshes every 5 s

# UI strings (Chinese catalog). The points pages are still being translated: there,
# either language.
CHECKED_IN = re.compile(r"^签到成功，时间(\d\d:\d\d)$")
CHECKED_OUT = re.compile(r"^签退成功，时间(\d\d:\d\d)$")
HOURS = r"\s*(h|小时)"


@dataclass
class DemoShift:
    id: int
    title: str


@pytest.fixture
def demo_shift(live_app):
    """A 金叶社区 demo shift running now (walk-ins welcome), 张晓明 and 陈丽华 claimed."""
    from govhub.database import utcnow
    from govhub.demo import start_activity

    with live_app.app_context():
        need, shift_id = start_activity(now=utcnow())
        shift = DemoShift(shift_id, need.title)
    yield shift
    # start_activity claims the same two volunteers every time, and nobody may hold
    # overlapping claims: move this activity a day back, out of the next one's way.
    move_shift(live_app, shift.id, by=timedelta(days=-1))


def move_shift(live_app, shift_id: int, *, by=timedelta(0), ends_at: datetime | None = None):
    """Change a shift's times directly in the database (what no page does): move it by
    ``by``, or make it two hours long ending at ``ends_at``."""
    from govhub.database import transactional
    from govhub.extensions import db
    from govhub.needs.models import Shift

    @transactional
    def change():
        shift = db.session.get(Shift, shift_id)
        if ends_at is None:
            shift.starts_at, shift.ends_at = shift.starts_at + by, shift.ends_at + by
        else:
            shift.starts_at, shift.ends_at = ends_at - timedelta(hours=2), ends_at

    with live_app.app_context():
        change()


def local_minutes_now() -> set[str]:
    """'HH:MM' now in the site's zone, and a minute either side (a minute may turn)."""
    now = datetime.now(SHANGHAI)
    return {(now + timedelta(minutes=d)).strftime("%H:%M") for d in (-1, 0, 1)}


def read_code(screen) -> str:
    """What a phone's camera reads from the code on the organizer's screen: a screenshot
    of the <img> as the browser drew it, decoded. htmx swaps the block every 5 s, so a
    screenshot that catches the swap (or an image still loading) is taken again."""
    image = screen.locator("#code img")
    for _attempt in range(5):
        expect(image).to_be_visible()
        expect(image).to_have_js_property("complete", True)
        try:
            png = image.screenshot()
        except PlaywrightError:  # swapped out while being captured
            continue
        codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
        if codes:
            return codes[0].text
        screen.wait_for_timeout(300)
    raise AssertionError("no QR code could be read from the check-in screen")


def open_screen(admin, shift_id: int, mode: str = "in") -> None:
    admin.goto(f"/manage/shifts/{shift_id}/checkin" + ("?mode=out" if mode == "out" else ""))
    expect(admin.locator(".mode-switch a[aria-current=page]")).to_have_text(
        "签到码" if mode == "in" else "签退码"
    )


def scan(volunteer, url: str):
    """Open a scanned address; the confirm page posts itself (htmx, on load)."""
    volunteer.goto(url)
    expect(volunteer).to_have_url(url)  # logged in: the scanned address is the confirm page
    result = volunteer.locator("#result h1")
    expect(result).to_be_visible()
    return result


def test_admin_screen_qr_checks_in_a_volunteer_and_points_follow(
    page, browser_log, new_page, demo_shift, live_server, live_app
):
    shift_id = demo_shift.id
    scan_url = re.compile(rf"^{re.escape(live_server)}/s/{shift_id}/(in|out)/[\w.-]+$")

    # The community admin puts the check-in screen up.
    admin = page
    log_in(admin, *JINYE_ADMIN)
    open_screen(admin, shift_id)
    expect(admin.locator("h1")).to_have_text(demo_shift.title)
    counter = admin.locator("#counter")
    expect(counter).to_have_text("已签到0/2人")
    code = read_code(admin)
    assert scan_url.match(code) and f"/s/{shift_id}/in/" in code, code

    # 张晓明 scans it with his phone (logged in already).
    volunteer, volunteer_log = new_page()
    log_in(volunteer, *ZHANG[:2])
    # His points before, to compare after the confirmation.
    volunteer.goto("/my/points")
    balance_before = int(volunteer.locator("#balance").inner_text().replace(",", ""))
    checked_in = scan(volunteer, code)
    expect(checked_in).to_have_text(CHECKED_IN)
    time_in = CHECKED_IN.match(checked_in.inner_text()).group(1)
    assert time_in in local_minutes_now()
    expect(volunteer.locator("#result")).to_contain_text(demo_shift.title)

    # Scanning again (the code on the screen now) changes nothing.
    again = read_code(admin)
    assert scan_url.match(again) and f"/s/{shift_id}/in/" in again, again
    expect(scan(volunteer, again)).to_have_text(f"您已在{time_in}签到")

    # The organizer's counter catches up by itself.
    expect(counter).to_have_text("已签到1/2人", timeout=COUNTER_WAIT_MS)

    # Leaving: the organizer switches to the check-out code.
    admin.get_by_role("link", name="签退码").click()
    expect(admin).to_have_url(re.compile(rf"/manage/shifts/{shift_id}/checkin\?mode=out$"))
    expect(admin.locator(".mode-switch a[aria-current=page]")).to_have_text("签退码")
    expect(counter).to_have_text("已签退0/1人")
    out_code = read_code(admin)
    assert scan_url.match(out_code) and f"/s/{shift_id}/out/" in out_code, out_code
    checked_out = scan(volunteer, out_code)
    expect(checked_out).to_have_text(CHECKED_OUT)
    time_out = CHECKED_OUT.match(checked_out.inner_text()).group(1)
    assert time_out in local_minutes_now()
    expect(scan(volunteer, read_code(admin))).to_have_text(f"您已在{time_out}签退")
    expect(counter).to_have_text("已签退1/1人", timeout=COUNTER_WAIT_MS)

    # The shift is over (moved into the past here: it ran two hours, ended a minute ago).
    from govhub.database import utcnow

    move_shift(live_app, shift_id, ends_at=utcnow() - timedelta(minutes=1))
    admin.goto(f"/manage/shifts/{shift_id}/attendance")
    row = admin.locator("tr", has_text=ZHANG[2])
    expect(row).to_contain_text(time_in)
    # In and out a few seconds apart: 0 hours recorded (rounded down to half hours), so
    # the admin enters the hours served, with the reason the form asks for.
    hours = row.locator("input[name^=minutes-]")
    expect(hours).to_have_value("0")
    expect(row.locator("td").nth(4)).to_have_text("确认后得0积分")
    hours.fill("1.5")
    row.locator("input[name^=note-]").fill("签到后在现场服务了一个半小时")
    admin.get_by_role("button", name=re.compile(r"确认\d+人的时长并发放积分")).click()
    expect(admin.get_by_text("已确认1位志愿者的时长和积分。")).to_be_visible()
    expect(row.locator("td").nth(3)).to_contain_text("1小时30分钟 ✔")
    expect(row.locator("td").nth(4)).to_have_text("已发放15积分 ✔")  # the points given
    expect(admin.locator("#confirm-hours")).to_have_count(0)  # nothing left to confirm

    # 张晓明's points: a new entry for the demo activity, 1.5 h at 10 points an hour.
    volunteer.goto("/my/points")
    entry = volunteer.locator("#ledger li.entry", has_text=demo_shift.title)
    expect(entry).to_have_count(1)
    expect(entry.locator(".what")).to_have_text(demo_shift.title)
    expect(entry).to_contain_text(re.compile(rf"1\.5{HOURS}"))
    expect(entry.locator(".amount")).to_have_text("+15")
    expect(volunteer.locator("#balance")).to_have_text(str(balance_before + 15))

    browser_log.assert_clean()
    volunteer_log.assert_clean()


def test_expired_or_wrong_codes_explain_what_to_do(page, browser_log, demo_shift, live_app):
    from govhub.database import utcnow
    from govhub.tokens import Purpose, shift_token

    shift_id = demo_shift.id
    with live_app.app_context():
        now = utcnow()
        expired = shift_token(shift_id, Purpose.check_in, now - timedelta(minutes=2))
        check_out = shift_token(shift_id, Purpose.check_out, now)
        other_shift = shift_token(shift_id + 1, Purpose.check_in, now)

    log_in(page, *CHEN[:2])
    cases = [
        # (what was scanned, status, title, advice)
        ("not-a-code", 400, "二维码无效。", "请用手机相机重新扫描组织者屏幕上的二维码。"),
        (expired, 410, "二维码已过期。", "二维码每30秒更新一次，请重新扫描组织者屏幕上的二维码。"),
        (check_out, 400, "扫错了二维码。", "您用签退码签到，或用签到码签退了。"),
        (other_shift, 400, "这是其他活动的二维码。", "请扫描您所在活动的签到屏上的二维码。"),
    ]
    for token, status, title, advice in cases:
        response = page.goto(f"/s/{shift_id}/in/{token}")
        assert response.status == status, token
        expect(page).to_have_url(re.compile(rf"/s/{shift_id}/in/"))  # no redirect
        problem = page.locator("section.scan-result.problem")
        expect(problem).to_be_visible()
        expect(problem.locator("h1")).to_have_text(title)
        expect(problem).to_contain_text(advice)
        expect(problem.get_by_role("link", name="返回首页")).to_be_visible()

    # None of them left a check-in waiting to be confirmed.
    response = page.goto("/s/confirm")
    assert response.status == 410
    expect(page.locator("section.scan-result.problem h1")).to_have_text("二维码已过期。")

    browser_log.assert_clean(allow_statuses=(400, 410))


def test_anonymous_scan_logs_in_and_lands_back_on_the_check_in(
    page, browser_log, new_page, demo_shift
):
    admin = page
    log_in(admin, *JINYE_ADMIN)
    open_screen(admin, demo_shift.id)
    code = read_code(admin)

    # 陈丽华's phone is not logged in: the scan asks her to, then finishes the check-in.
    volunteer, volunteer_log = new_page()
    volunteer.goto(code)
    expect(volunteer).to_have_url(re.compile(r"/login\?next=(/|%2F)s(/|%2F)confirm$"))
    expect(volunteer.get_by_text("请登录以完成签到。")).to_be_visible()
    volunteer.get_by_label("手机号").fill(CHEN[0])
    volunteer.get_by_label("密码").fill(CHEN[1])
    volunteer.get_by_role("button", name="登录", exact=True).click()
    expect(volunteer).to_have_url(re.compile(r"/s/confirm$"))
    result = volunteer.locator("#result h1")
    expect(result).to_have_text(CHECKED_IN)
    assert CHECKED_IN.match(result.inner_text()).group(1) in local_minutes_now()
    expect(volunteer.locator("#result")).to_contain_text(demo_shift.title)

    expect(admin.locator("#counter")).to_have_text("已签到1/2人", timeout=COUNTER_WAIT_MS)
    browser_log.assert_clean()
    volunteer_log.assert_clean()


def test_check_in_screen_fits_a_phone(page, browser_log, demo_shift):
    log_in(page, *JINYE_ADMIN)
    for mode in ("in", "out"):
        open_screen(page, demo_shift.id, mode)
        settled(page)
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.body.scrollWidth]"
        )
        assert max(widths) <= PHONE["width"], f"the {mode} screen scrolls sideways: {widths}"
        image = page.locator("#code img")
        expect(image).to_have_js_property("complete", True)
        box = image.bounding_box()
        assert box["width"] >= 280, f"the {mode} code is only {box['width']} px wide"
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        # At that size a phone still reads it.
        assert f"/s/{demo_shift.id}/{mode}/" in read_code(page)
    browser_log.assert_clean()
