"""扫一扫 in Chromium: the page opens the camera, decodes what it films and follows a
govhub code. The camera is Chromium's fake capture device playing a video made here from
a QR image (``--use-file-for-fake-video-capture``), so the check-in below only happens
if the page really decodes the frames."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import qrcode
from playwright.sync_api import expect

from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    VOLUNTEER_PASSWORD,
    BrowserLog,
    log_in,
    page_width,
    watched_page,
)

pytestmark = pytest.mark.browser

ZHANG = ("13800000010", VOLUNTEER_PASSWORD)  # claimed by govhub.demo.start_activity
CHECKED_IN = re.compile(r"^签到成功，时间\d\d:\d\d$")
START = "打开摄像头扫码"
FALLBACK = "改用手机相机扫码"
DENIED_OR_NO_CAMERA = re.compile(
    r"^(浏览器没有允许这个页面使用摄像头。|这台设备上没有找到摄像头。)$"
)


# --- A video of a QR code ------------------------------------------------------------

WIDTH, HEIGHT = 640, 480


def qr_frame(text: str) -> bytes:
    """One grey 640x480 frame (the Y plane) with the QR code of ``text`` in the middle."""
    code = qrcode.QRCode(border=4, box_size=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    image = code.make_image().get_image().convert("L")
    scale = (HEIGHT - 80) // image.height
    image = image.resize((image.width * scale, image.height * scale), resample=0)
    from PIL import Image

    frame = Image.new("L", (WIDTH, HEIGHT), 200)
    frame.paste(image, ((WIDTH - image.width) // 2, (HEIGHT - image.height) // 2))
    return frame.tobytes()


def write_y4m(path: Path, text: str, frames: int = 10) -> Path:
    """A Y4M video (a text header, then raw I420 frames) of the QR code of ``text``.

    Grey only: the colour planes (a quarter of the luma each) are all 128 (no colour).
    Chromium's fake camera plays it in a loop."""
    luma = qr_frame(text)
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)
    return path


# --- A browser whose camera films that video ---------------------------------------------


@dataclass
class Opened:
    page: object
    log: BrowserLog


@pytest.fixture
def camera_browser(playwright_instance, live_server, tmp_path):
    """``open_page(text, **launch)``: a phone page in a Chromium whose camera films the QR
    code of ``text`` (camera permission granted, as a person who taps "allow")."""
    browsers = []

    def open_page(text: str, *, extra_args=(), **context_options) -> Opened:
        video = write_y4m(tmp_path / f"code-{len(browsers)}.y4m", text)
        browser = playwright_instance.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
                *extra_args,
            ],
        )
        browsers.append(browser)
        settings = {"viewport": PHONE, "locale": "zh-CN", "base_url": live_server}
        context = browser.new_context(**{**settings, **context_options})
        return Opened(*watched_page(context))

    yield open_page
    for browser in browsers:
        browser.close()


@dataclass
class DemoShift:
    id: int
    title: str


@pytest.fixture
def demo_shift(live_app):
    """A 金叶社区 demo shift running now, 张晓明 claimed; moved a day back afterwards (the
    next demo activity claims him again, and nobody holds overlapping shifts)."""
    from govhub.database import transactional, utcnow
    from govhub.demo import start_activity
    from govhub.extensions import db
    from govhub.needs.models import Shift

    with live_app.app_context():
        need, shift_id = start_activity(now=utcnow())
        shift = DemoShift(shift_id, need.title)
    yield shift

    @transactional
    def move_back():
        row = db.session.get(Shift, shift_id)
        row.starts_at, row.ends_at = (
            row.starts_at - timedelta(days=1),
            row.ends_at - timedelta(days=1),
        )

    with live_app.app_context():
        move_back()


def check_in_url(live_app, live_server: str, shift_id: int) -> str:
    """The check-in code's link, as the organizer's screen shows it now."""
    from govhub import tokens
    from govhub.checkin.views import scan_url
    from govhub.database import utcnow

    with live_app.test_request_context(base_url=live_server):
        token = tokens.shift_token(shift_id, tokens.Purpose.check_in, utcnow())
        return scan_url(shift_id, tokens.Purpose.check_in, token)


# --- The tests -------------------------------------------------------------------------


def test_the_camera_reads_a_check_in_code_and_checks_the_volunteer_in(
    camera_browser, demo_shift, live_app, live_server
):
    url = check_in_url(live_app, live_server, demo_shift.id)
    assert url.startswith(f"{live_server}/s/{demo_shift.id}/in/")
    opened = camera_browser(url)
    page = opened.page
    log_in(page, *ZHANG)
    page.goto("/my/tasks")
    page.locator("a.scan-entry").click()
    expect(page).to_have_url(re.compile(r"/scan$"))
    expect(page.locator("h1")).to_have_text("扫一扫")
    start = page.get_by_role("button", name=START)
    expect(start).to_be_visible()
    assert start.bounding_box()["height"] >= 56
    start.click()
    # The page decodes the code, asks the server, opens it: the confirmation posts itself.
    expect(page).to_have_url(re.compile(r"/s/\d+/in/[^/]+$"))  # the confirm page itself
    expect(page.locator("#result h1")).to_have_text(CHECKED_IN)
    expect(page.locator("#result")).to_contain_text(demo_shift.title)
    opened.log.assert_clean()


def test_a_code_of_another_site_is_refused_and_the_camera_keeps_scanning(
    camera_browser, live_server
):
    opened = camera_browser("https://evil.example/s/1/in/abc")
    page = opened.page
    log_in(page, *ZHANG)
    page.goto("/scan")
    page.get_by_role("button", name=START).click()
    status = page.locator("#scanner-status")
    expect(status).to_have_text("这个二维码来自其他网站。这里只打开本平台的二维码。")
    expect(page).to_have_url(f"{live_server}/scan")
    video = page.locator("video.scanner-video")
    expect(video).to_be_visible()
    # The camera is still on: its stream is live and the video plays.
    assert video.evaluate(
        "v => v.srcObject !== null && v.srcObject.getVideoTracks()[0].readyState === 'live'"
        " && !v.paused"
    )
    page.get_by_role("button", name="关闭摄像头").click()
    expect(status).to_have_text("摄像头已关闭。")
    assert video.evaluate("v => v.srcObject === null")
    opened.log.assert_clean()


def test_without_a_camera_the_page_says_to_use_the_phones_camera(page, browser_log):
    log_in(page, *ZHANG)
    page.goto("/scan")
    page.get_by_role("button", name=START).click()
    # No camera here (and no permission given): the reason, then the other ways.
    expect(page.locator("#scanner-status")).to_have_text(DENIED_OR_NO_CAMERA)
    fallback = page.locator("#scanner-fallback")
    expect(fallback.get_by_role("heading", name=FALLBACK)).to_be_visible()
    expect(fallback).to_contain_text("微信「扫一扫」")
    expect(page.locator("video.scanner-video")).to_be_hidden()
    expect(page.get_by_role("button", name=START)).to_be_visible()  # to try again
    browser_log.assert_clean()


def test_the_scanner_is_large_in_both_modes(page, browser_log):
    """The start button at least 56 px tall, no text below 16 px (the body size in elder
    mode), no horizontal scroll, at 360 px."""
    log_in(page, *ZHANG)
    for elder in (False, True):
        if elder:
            page.locator("form[action$='/preferences/elder-mode'] button").click()
            expect(page.locator("body.elder")).to_have_count(1)
        page.goto("/scan")
        body_px = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        start = page.get_by_role("button", name=START)
        expect(start).to_be_visible()
        assert start.bounding_box()["height"] >= 56
        sizes = page.locator(
            "#scanner .scanner-status, #scanner button, .scan-type label, .scan-type input,"
            " .scan-type button, .scan-intro"
        ).evaluate_all("els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
        assert min(sizes) >= (body_px if elder else 16), sizes
        for selector in (".scan-type input", ".scan-type button"):
            assert page.locator(selector).bounding_box()["height"] >= (56 if elder else 44)
        assert page_width(page) <= 360
        page.goto("/my/tasks")
        entry = page.locator("a.scan-entry")
        assert entry.bounding_box()["height"] >= 56
        note_px = entry.locator(".scan-entry-note").evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)"
        )
        assert note_px >= (body_px if elder else 16)
    browser_log.assert_clean()


def test_on_a_plain_http_lan_address_the_page_says_the_camera_needs_https(
    camera_browser, live_server
):
    """A phone opening the site by a LAN address over http:// is not a secure context:
    browsers keep the camera from the page, so it says so and shows the other ways."""
    port = live_server.rsplit(":", 1)[1]
    lan = f"http://govhub.lan:{port}"
    opened = camera_browser(
        "irrelevant",
        extra_args=["--host-resolver-rules=MAP govhub.lan 127.0.0.1"],
        base_url=lan,
    )
    page = opened.page
    log_in(page, *ZHANG)
    page.goto("/scan")
    expect(page.locator("#scanner-status")).to_have_text(
        "这个浏览器只允许安全（https）网页使用摄像头。"
    )
    expect(page.locator("#scanner-fallback")).to_be_visible()
    expect(page.get_by_role("button", name=START)).to_be_hidden()
    opened.log.assert_clean()


def test_without_javascript_the_code_can_be_pasted(new_page, demo_shift, live_app, live_server):
    page, log = new_page(java_script_enabled=False)
    log_in(page, *ZHANG)
    page.goto("/scan")
    expect(page.get_by_role("heading", name=FALLBACK)).to_be_visible()
    expect(page.get_by_role("button", name=START)).to_be_hidden()
    field = page.get_by_label("或者输入、粘贴二维码里的链接")
    field.fill("https://evil.example/")
    page.get_by_role("button", name="打开链接").click()
    expect(page.locator("#scan-code-error")).to_have_text(
        "这个二维码来自其他网站。这里只打开本平台的二维码。"
    )
    expect(field).to_have_value("https://evil.example/")
    field.fill(check_in_url(live_app, live_server, demo_shift.id))
    page.get_by_role("button", name="打开链接").click()
    expect(page).to_have_url(re.compile(r"/s/\d+/in/[^/]+$"))  # the confirm page itself
    page.get_by_role("button", name="立即签到").click()
    expect(page.locator("#result h1")).to_have_text(CHECKED_IN)
    log.assert_clean(allow_statuses=(422,))
