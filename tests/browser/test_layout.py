"""Phone layout: no horizontal scrolling at 360px, and tap targets a finger can hit."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import JINYE_ADMIN, PHONE, VOLUNTEER_PASSWORD, log_in

pytestmark = pytest.mark.browser

TAP = 44  # px, STYLE.md: tap targets >= 44px

# Every visible button-like control in the page body, with its height.
MAIN_CONTROLS = """() => [...document.querySelectorAll([
    'main button', 'main .button', 'main input[type=submit]', 'main select', 'main .check',
    'main input:not([type=hidden]):not([type=checkbox]):not([type=radio])',
  ].join(', '))].filter((el) => el.offsetParent !== null).map((el) => ({
    what: `${el.tagName}.${el.className} ${(el.innerText || el.name || '').slice(0, 30)}`,
    height: el.getBoundingClientRect().height,
  }))"""

HEADER_CONTROLS = """() => [...document.querySelectorAll('header button, header a')]
  .filter((el) => el.offsetParent !== null).map((el) => ({
    what: `${el.tagName.toLowerCase()}.${el.className || ''} "${el.innerText.trim().slice(0, 30)}"`,
    height: el.getBoundingClientRect().height,
  }))"""


def _check_no_sideways_scroll(page) -> None:
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, body: document.body.scrollWidth})"
    )
    assert widths["scroll"] <= PHONE["width"], f"{page.url} scrolls sideways: {widths}"
    assert widths["body"] <= PHONE["width"], f"{page.url} scrolls sideways: {widths}"


def _check_phone_layout(page) -> None:
    _check_no_sideways_scroll(page)
    controls = page.evaluate(MAIN_CONTROLS)
    assert controls, f"no buttons found on {page.url}"
    small = [c for c in controls if c["height"] < TAP]
    assert small == [], f"tap targets under {TAP}px on {page.url}"


@pytest.mark.parametrize("path", ["/", "/register", "/login", "/partners/apply"])
def test_public_pages_fit_a_phone(page, browser_log, path):
    page.goto(path)
    expect(page.locator("main h1")).to_be_visible()
    _check_phone_layout(page)
    browser_log.assert_clean()


def test_volunteer_home_fits_a_phone(page, browser_log):
    log_in(page, "13800000010", VOLUNTEER_PASSWORD)
    expect(page.locator("#volunteer-card")).to_be_visible()
    _check_no_sideways_scroll(page)  # the home page has links, not buttons, in <main>
    log_out = page.get_by_role("button", name="退出登录").bounding_box()
    assert log_out["height"] >= TAP
    assert log_out["x"] + log_out["width"] <= PHONE["width"]
    page.goto("/account/profile")
    _check_phone_layout(page)
    browser_log.assert_clean()


def test_admin_pages_fit_a_phone(page, browser_log):
    log_in(page, *JINYE_ADMIN)
    page.get_by_role("link", name="共建单位申请").click()
    expect(page.locator("nav.tabs")).to_be_visible()
    _check_no_sideways_scroll(page)
    tabs = page.locator("nav.tabs a").evaluate_all(
        "(links) => links.map((a) => a.getBoundingClientRect().height)"
    )
    assert len(tabs) == 4 and min(tabs) >= TAP, tabs
    browser_log.assert_clean()


def test_elder_mode_pages_fit_a_phone(page, browser_log):
    """Elder mode makes everything bigger; it must still not scroll sideways."""
    page.goto("/partners/apply")
    page.get_by_role("button", name="大字模式（适老化）").click()
    expect(page.locator("body.elder")).to_have_count(1)
    _check_phone_layout(page)
    page.goto("/register")
    _check_phone_layout(page)
    browser_log.assert_clean()


@pytest.mark.parametrize("path", ["/", "/login"])
def test_header_controls_are_full_size_tap_targets(page, path):
    """The language and large-text switches are for the users who most need big targets."""
    page.goto(path)
    controls = page.evaluate(HEADER_CONTROLS)
    assert controls
    small = [c for c in controls if c["height"] < TAP]
    assert small == [], f"header tap targets under {TAP}px on {path}"


# The text colour of each visible header link and button, and the first opaque
# background behind it.
HEADER_COLOURS = """() => {
  const opaque = (el) => {
    for (; el; el = el.parentElement) {
      const bg = getComputedStyle(el).backgroundColor;
      if (!/rgba\\(.*, 0\\)$/.test(bg) && bg !== 'transparent') return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  return [...document.querySelectorAll('header a, header button')]
    .filter((el) => el.offsetParent !== null)
    .map((el) => ({
      what: el.innerText.trim(), color: getComputedStyle(el).color, background: opaque(el),
    }));
}"""


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(foreground: str, background: str) -> float:
    light, dark = sorted([_luminance(foreground), _luminance(background)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_header_text_is_readable(page, browser_log, elder):
    """Header links and buttons keep WCAG AA contrast (4.5:1), in elder mode too."""
    page.goto("/")
    if elder:
        page.get_by_role("button", name="大字模式（适老化）").click()
        expect(page.locator("body.elder")).to_have_count(1)
    items = page.evaluate(HEADER_COLOURS)
    assert len(items) >= 5  # brand, log in, register, language, text size
    poor = [
        {**item, "contrast": round(_contrast(item["color"], item["background"]), 2)}
        for item in items
        if _contrast(item["color"], item["background"]) < 4.5
    ]
    assert poor == [], "header text without enough contrast"
    browser_log.assert_clean()
