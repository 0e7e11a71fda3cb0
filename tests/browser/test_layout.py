"""The app shell on a phone and a wide screen: the slim top bar, the tab bar (首页 · 需求 ·
任务 · 积分 · 我的) that marks the current page and never covers content, no horizontal
scrolling on the main pages, and tap targets a finger can hit. Chinese and English,
normal and elder mode."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    JINYE_ADMIN,
    PHONE,
    VOLUNTEER_PASSWORD,
    log_in,
    settled,
    unique_phone,
)

pytestmark = pytest.mark.browser

TAP = 44  # px, STYLE.md: tap targets >= 44px
VIEWPORTS = {"phone": {"width": 360, "height": 780}, "wide": {"width": 1280, "height": 720}}
MAIN_NAV = {"zh": "主菜单", "en": "Main"}
LOCALES = {"zh": "zh_Hans_CN", "en": "en"}
TAB_LABELS = {
    "zh": {"home": "首页", "needs": "需求", "tasks": "任务", "points": "积分", "me": "我的"},
    "en": {"home": "Home", "needs": "Needs", "tasks": "Tasks", "points": "Points", "me": "Me"},
}


# --- A volunteer of the layout tests' own ------------------------------------------------


@dataclass(frozen=True)
class Volunteer:
    """A volunteer of 金叶社区 whose language and text size the tests change (so no other
    test's demo account is touched), with points and one voucher."""

    phone: str
    user_id: int
    voucher_id: int


def make_volunteer(live_app, name: str) -> Volunteer:
    from sqlalchemy import select

    from govhub.accounts import services as accounts
    from govhub.database import utcnow
    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit
    from govhub.points import services as points
    from govhub.rewards import vouchers
    from govhub.rewards.models import Reward

    phone = unique_phone()
    with live_app.app_context():
        grid = db.session.scalar(select(OrgUnit).where(OrgUnit.name == "金叶一网格"))
        user = accounts.register(phone, name, VOLUNTEER_PASSWORD, grid.parent_id, grid.id)
        db.session.commit()
        admin = accounts.find_by_phone(JINYE_ADMIN[0])
        points.adjust(admin.id, user.id, 100, "layout tests", key=uuid.uuid4().hex)
        breakfast = db.session.scalar(select(Reward).where(Reward.title.contains("早餐")))
        settled = live_app.config["REWARD_AREA_SETTLED_DAYS"]
        live_app.config["REWARD_AREA_SETTLED_DAYS"] = 0  # a newcomer, in the demo's area
        try:
            voucher = vouchers.redeem(user.id, breakfast.id, key=uuid.uuid4().hex, now=utcnow())
        finally:
            live_app.config["REWARD_AREA_SETTLED_DAYS"] = settled
        volunteer = Volunteer(phone, user.id, voucher.id)
        db.session.remove()
    return volunteer


def set_preferences(live_app, volunteer: Volunteer, *, locale: str, elder: bool) -> None:
    from govhub.accounts import services as accounts
    from govhub.extensions import db

    with live_app.app_context():
        accounts.set_preferences(volunteer.user_id, locale=LOCALES[locale], elder_mode=elder)
        db.session.commit()
        db.session.remove()


@pytest.fixture(scope="module")
def volunteer(live_app) -> Volunteer:
    return make_volunteer(live_app, "布局测试")


def open_as(new_page, live_app, volunteer: Volunteer, *, viewport, locale: str, elder: bool):
    """A page logged in as ``volunteer`` with the given language and text size."""
    page, log = new_page(viewport=VIEWPORTS[viewport] if isinstance(viewport, str) else viewport)
    set_preferences(live_app, volunteer, locale="zh", elder=False)
    log_in(page, volunteer.phone, VOLUNTEER_PASSWORD)
    set_preferences(live_app, volunteer, locale=locale, elder=elder)
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if locale == "zh" else "en")
    return page, log


def main_pages(page, volunteer: Volunteer) -> dict[str, str]:
    """The pages a volunteer uses, by name: path (a need's page found on the board)."""
    page.goto("/needs")
    need = page.locator("main a[href*='/needs/']").first.get_attribute("href")
    assert need and re.search(r"/needs/\d+$", need), need
    return {
        "home": "/",
        "board": "/needs",
        "need": need,
        "my tasks": "/my/tasks",
        "my points": "/my/points",
        "supermarket": "/rewards",
        "voucher": f"/my/vouchers/{volunteer.voucher_id}",
        "profile": "/account/profile",
        "notifications": "/notifications/",
        "leaderboard": "/leaderboard",
    }


PUBLIC_PAGES = {"login": "/login", "register": "/register"}

MODES = [
    pytest.param(
        viewport, locale, elder, id=f"{viewport}-{locale}-{'elder' if elder else 'normal'}"
    )
    for viewport in VIEWPORTS
    for locale in ("zh", "en")
    for elder in (False, True)
]


# --- The tab bar ---------------------------------------------------------------------------

CURRENT_TABS = [
    ("/", "home", "page"),
    ("/needs", "needs", "page"),
    ("/my/tasks", "tasks", "page"),
    ("/my/points", "points", "page"),
    ("/account/profile", "me", "page"),
    ("/rewards", "points", "true"),  # the points supermarket sits under 积分
    ("/leaderboard", "points", "true"),
    ("/notifications/", "me", "true"),
]


@pytest.mark.parametrize(("viewport", "locale", "elder"), MODES)
def test_tab_bar_marks_the_current_page(new_page, live_app, volunteer, viewport, locale, elder):
    page, log = open_as(
        new_page, live_app, volunteer, viewport=viewport, locale=locale, elder=elder
    )
    labels = TAB_LABELS[locale]
    nav = page.get_by_role("navigation", name=MAIN_NAV[locale])
    size = VIEWPORTS[viewport]
    least = 56 if elder else 48
    for path, tab, current in CURRENT_TABS:
        page.goto(path)
        expect(nav.get_by_role("link")).to_have_text(list(labels.values()))
        marked = nav.locator("a[aria-current]")
        expect(marked).to_have_count(1)
        expect(marked).to_have_text(labels[tab])
        expect(marked).to_have_attribute("aria-current", current)
        boxes = nav.get_by_role("link").evaluate_all(
            "(links) => links.map((a) => a.getBoundingClientRect().toJSON())"
        )
        small = [b for b in boxes if b["height"] < least or b["width"] < least]
        assert small == [], f"tabs under {least}px on {path}"
        if viewport == "phone":  # along the bottom of the screen
            assert all(abs(b["bottom"] - size["height"]) < 2 for b in boxes), (path, boxes)
        else:  # in the top bar
            assert all(b["top"] < 64 for b in boxes), (path, boxes)

    # A need's page sits under 需求.
    page.goto("/needs")
    page.locator("main a[href*='/needs/']").first.click()
    expect(page).to_have_url(re.compile(r"/needs/\d+$"))
    expect(nav.locator("a[aria-current]")).to_have_text(labels["needs"])
    log.assert_clean()


def test_a_tab_leads_to_its_page_without_javascript(new_page, live_app, volunteer):
    page, _log = new_page(java_script_enabled=False)
    set_preferences(live_app, volunteer, locale="zh", elder=False)
    log_in(page, volunteer.phone, VOLUNTEER_PASSWORD)
    nav = page.get_by_role("navigation", name="主菜单")
    nav.get_by_role("link", name="积分").click()
    expect(page).to_have_url(re.compile(r"/my/points$"))
    expect(nav.locator("a[aria-current=page]")).to_have_text("积分")


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
@pytest.mark.parametrize("path", ["/needs", "/account/profile", "/rewards"])
def test_tab_bar_never_covers_the_end_of_a_page(new_page, live_app, volunteer, path, elder):
    page, log = open_as(new_page, live_app, volunteer, viewport="phone", locale="zh", elder=elder)
    page.goto(path)
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    bar = page.locator("nav.tabbar").bounding_box()
    # The last thing in the page, and the last thing in <main>.
    last = page.evaluate(
        """() => [document.querySelector('.site-footer a'),
                  [...document.querySelectorAll('main *')].filter((el) => el.offsetParent)
                    .pop()].map((el) => ({what: el.outerHTML.slice(0, 80),
                                          bottom: el.getBoundingClientRect().bottom}))"""
    )
    covered = [item for item in last if item["bottom"] > bar["y"] + 0.5]
    assert covered == [], f"the tab bar (top {bar['y']}) covers the end of {path}"
    log.assert_clean()


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_top_bar_is_slim_on_a_phone(new_page, live_app, volunteer, elder):
    """The header took 272px (35 %) of a volunteer's first screen; now one slim row."""
    page, log = open_as(new_page, live_app, volunteer, viewport="phone", locale="zh", elder=elder)
    for path in ("/", "/needs", "/account/profile"):
        page.goto(path)
        header = page.locator("header.site-header").bounding_box()
        assert header["height"] <= 64, f"the header is {header['height']}px high on {path}"
    log.assert_clean()


def test_log_out_is_on_the_me_page(new_page, live_app, volunteer):
    page, log = open_as(new_page, live_app, volunteer, viewport="phone", locale="zh", elder=False)
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)  # not on 首页
    page.get_by_role("link", name="我的", exact=True).click()
    log_out = page.get_by_role("button", name="退出登录")
    box = log_out.bounding_box()
    assert box["height"] >= TAP and box["x"] + box["width"] <= PHONE["width"]
    log_out.click()
    expect(page.get_by_role("status")).to_have_text("您已退出登录。")
    account = page.get_by_role("navigation", name="账号")
    expect(account.get_by_role("link", name="登录")).to_be_visible()
    expect(account.get_by_role("link", name="注册")).to_be_visible()
    log.assert_clean()


# --- No sideways scrolling ---------------------------------------------------------------

SIDEWAYS = """() => ({scroll: document.documentElement.scrollWidth,
                     body: document.body.scrollWidth, inner: window.innerWidth})"""


@pytest.mark.parametrize(("viewport", "locale", "elder"), MODES)
def test_no_main_page_scrolls_sideways(new_page, live_app, volunteer, viewport, locale, elder):
    page, log = open_as(
        new_page, live_app, volunteer, viewport=viewport, locale=locale, elder=elder
    )
    wide = {}
    for name, path in main_pages(page, volunteer).items():
        response = page.goto(path)
        assert response.status == 200, (name, path)
        widths = page.evaluate(SIDEWAYS)
        if max(widths["scroll"], widths["body"]) > widths["inner"]:
            wide[name] = widths
    visitor, visitor_log = new_page(viewport=VIEWPORTS[viewport])
    visitor.goto("/")
    if locale == "en":
        visitor.get_by_role("button", name="English").click()
    if elder:
        visitor.get_by_role("button", name=re.compile("^(大字模式|Large text)")).click()
    expect(visitor.locator("html.elder")).to_have_count(1 if elder else 0)
    for name, path in PUBLIC_PAGES.items():
        visitor.goto(path)
        widths = visitor.evaluate(SIDEWAYS)
        if max(widths["scroll"], widths["body"]) > widths["inner"]:
            wide[name] = widths
    assert wide == {}, "pages wider than the screen"
    log.assert_clean()
    visitor_log.assert_clean()


@pytest.mark.parametrize("width", [600, 900, 1000])
def test_the_top_bar_fits_between_a_phone_and_a_wide_screen(new_page, live_app, volunteer, width):
    """Where the tabs join the top bar it may take a second row, never a sideways scroll."""
    for locale, elder in (("zh", False), ("en", True)):
        page, log = open_as(
            new_page,
            live_app,
            volunteer,
            viewport={"width": width, "height": 740},
            locale=locale,
            elder=elder,
        )
        page.goto("/needs")
        widths = page.evaluate(SIDEWAYS)
        assert widths["scroll"] <= width, (locale, elder, widths)
        header = page.locator("header.site-header").bounding_box()
        assert header["height"] <= (140 if elder else 64), (locale, elder, header)
        log.assert_clean()


# --- Tap targets (the whole page: tests/browser/test_sizes.py) ------------------------------

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
    settled(page)
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
    page.goto("/account/profile")
    _check_phone_layout(page)
    browser_log.assert_clean()


def test_admin_pages_fit_a_phone(page, browser_log):
    log_in(page, *JINYE_ADMIN)
    page.get_by_role("link", name="进入工作台").click()  # 首页 shows only what waits
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
    expect(page.locator("html.elder body.elder")).to_have_count(1)
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


@pytest.mark.parametrize("viewport", ["phone", "wide"])
@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_header_text_is_readable(new_page, live_app, volunteer, elder, viewport):
    """Top bar and tab bar links and buttons keep WCAG AA contrast (4.5:1), in elder mode
    too, for visitors and logged in."""
    visitor, visitor_log = new_page(viewport=VIEWPORTS[viewport])
    visitor.goto("/")
    if elder:
        visitor.get_by_role("button", name="大字模式（适老化）").click()
        expect(visitor.locator("body.elder")).to_have_count(1)
    member, member_log = open_as(
        new_page, live_app, volunteer, viewport=viewport, locale="zh", elder=elder
    )
    member.goto("/needs")  # a tab marked current
    for page, least in ((visitor, 5), (member, 9)):  # brand, tabs or log in / register, switches
        items = page.evaluate(HEADER_COLOURS)
        assert len(items) >= least
        poor = [
            {**item, "contrast": round(_contrast(item["color"], item["background"]), 2)}
            for item in items
            if _contrast(item["color"], item["background"]) < 4.5
        ]
        assert poor == [], "header text without enough contrast"
    visitor_log.assert_clean()
    member_log.assert_clean()


# --- 双报到 and the resources list: their pages of tests/main_pages.py ---------------------

# The pages of these parts, as tests/main_pages.py lists them for each person.
REPORTING_PREFIXES = ("/resources", "/reporting", "/liaison", "/unit-holds")


def arrange_reporting_people(live_app) -> list:
    """The people of tests/main_pages.py, each with only their pages of 双报到 and the
    resources list (a second arrangement on the same server reuses the records)."""
    from tests.main_pages import Person, arrange

    people = [
        Person(
            person.name,
            person.phone,
            {
                what: path
                for what, path in person.pages.items()
                if path.startswith(REPORTING_PREFIXES)
            },
        )
        for person in arrange(live_app)
    ]
    return [person for person in people if person.pages]


@pytest.fixture(scope="module")
def reporting_people(live_app) -> list:
    return arrange_reporting_people(live_app)


def open_as_person(new_page, live_app, person, *, viewport, locale: str, elder: bool):
    """A page for ``person`` of tests/main_pages.py (logged in unless a visitor) with the
    given language and text size."""
    from govhub.accounts import services as accounts
    from govhub.extensions import db
    from tests.main_pages import PASSWORD

    page, log = new_page(viewport=VIEWPORTS[viewport])
    if person.phone is None:
        page.goto("/")
        if locale == "en":
            page.get_by_role("button", name="English").click()
        if elder:
            page.get_by_role("button", name=re.compile("^(大字模式|Large text)")).click()
        expect(page.locator("html.elder")).to_have_count(1 if elder else 0)
        return page, log

    def prefer(locale: str, elder: bool) -> None:
        with live_app.app_context():
            user = accounts.find_by_phone(person.phone)
            accounts.set_preferences(user.id, locale=LOCALES[locale], elder_mode=elder)
            db.session.commit()
            db.session.remove()

    prefer("zh", False)
    log_in(page, person.phone, PASSWORD)
    prefer(locale, elder)
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if locale == "zh" else "en")
    return page, log


@pytest.mark.parametrize(("viewport", "locale", "elder"), MODES)
def test_no_reporting_page_scrolls_sideways(
    new_page, live_app, reporting_people, viewport, locale, elder
):
    wide = {}
    for person in reporting_people:
        page, log = open_as_person(
            new_page, live_app, person, viewport=viewport, locale=locale, elder=elder
        )
        for what, path in person.pages.items():
            response = page.goto(path)
            assert response is not None and response.status == 200, (person.name, what, path)
            widths = page.evaluate(SIDEWAYS)
            if max(widths["scroll"], widths["body"]) > widths["inner"]:
                wide[f"{person.name}, {what} ({path})"] = widths
        log.assert_clean()
    assert wide == {}, "pages wider than the screen"
