"""Computed sizes on every main page at 360px, in normal and elder mode (适老化).

Measured in Chromium over everything visible: no text below 16px (in elder mode, none
below the body size), lines at least 1.3 high, h1 and h2 larger than body text, every
control a finger taps at least 44x44px (links inside a sentence excepted) and every button
at least 56px tall in elder mode. A failure names the element (a selector, its text and
its size), so it can be found and fixed.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import settled
from tests.browser.test_layout import (
    PUBLIC_PAGES,
    Volunteer,
    arrange_reporting_people,
    main_pages,
    make_volunteer,
    open_as,
    open_as_person,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 780}
MIN_TEXT = 16  # px, normal mode
MIN_TAP = 44  # px, both modes
ELDER_BUTTON = 56  # px, the height of every button in elder mode
MIN_LINE = 1.3  # line height / font size

MEASURE = """(elder) => {
  const body = parseFloat(getComputedStyle(document.body).fontSize);
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 1 && box.height > 1 && box.right > 0 && box.left < innerWidth
      && style.visibility !== 'hidden' && style.opacity !== '0';
  };
  const name = (el) => {
    const part = (e) => e.tagName.toLowerCase() + (e.id ? `#${e.id}` : '')
      + [...e.classList].map((c) => `.${c}`).join('');
    const chain = [];
    for (let e = el; e && e !== document.body && chain.length < 4; e = e.parentElement) {
      chain.unshift(part(e));
    }
    return chain.join(' > ');
  };
  const text = (el) => (el.innerText || el.value || el.getAttribute('aria-label') || '')
    .trim().replace(/\\s+/g, ' ').slice(0, 40);
  const px = (n) => Math.round(n * 10) / 10;

  // Text: every element with text of its own.
  const smallText = [], tightLines = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !shown(el)) continue;
    const style = getComputedStyle(el);
    const size = parseFloat(style.fontSize);
    const least = elder ? Math.max(body, 16) : 16;
    if (size < least - 0.05) {
      smallText.push(`${name(el)} "${text(el)}" ${px(size)}px < ${px(least)}px`);
    }
    const line = style.lineHeight === 'normal' ? 1.2 * size : parseFloat(style.lineHeight);
    if (line / size < 1.3 - 0.01) {
      tightLines.push(`${name(el)} "${text(el)}" line ${px(line)}px for ${px(size)}px text`);
    }
  }

  // Headings larger than body text.
  const flatHeadings = [...document.querySelectorAll('h1, h2')].filter(shown)
    .filter((h) => parseFloat(getComputedStyle(h).fontSize) <= body)
    .map((h) => `${name(h)} "${text(h)}" ${getComputedStyle(h).fontSize} <= body ${body}px`);

  // Tap targets. A link inside a sentence (its block has other words) is text, not a target.
  const blockOf = (el) => {
    for (let e = el.parentElement; e; e = e.parentElement) {
      if (!getComputedStyle(e).display.startsWith('inline')) return e;
    }
    return document.body;
  };
  const inSentence = (el) => {
    const rest = blockOf(el).innerText.replace(el.innerText, '');
    return (rest.match(/\\p{L}/gu) || []).length >= 2;
  };
  const isButton = (el) => el.matches('button, input[type=submit], input[type=button], .button');
  const smallTargets = [];
  const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  for (const control of document.body.querySelectorAll(controls)) {
    let el = control;
    if (control.matches('input[type=checkbox], input[type=radio]')) {
      el = control.closest('label') || control;  // the label is what a finger taps
    }
    if (!shown(el)) continue;
    if (el.matches('a') && inSentence(el)) continue;
    const box = el.getBoundingClientRect();
    const tall = elder && isButton(el) ? 56 : 44;
    if (box.height < tall - 0.5 || box.width < 44 - 0.5) {
      smallTargets.push(`${name(el)} "${text(el)}" ${px(box.width)}x${px(box.height)}px`
        + (tall > 44 ? ` (buttons >= ${tall}px tall)` : ''));
    }
  }
  return {body, smallText, tightLines, flatHeadings, smallTargets};
}"""


def measure(page, elder: bool) -> dict:
    settled(page)
    return page.evaluate(MEASURE, elder)


def assert_sizes(page, elder: bool) -> None:
    found = measure(page, elder)
    problems = {
        kind: found[kind]
        for kind in ("smallText", "tightLines", "flatHeadings", "smallTargets")
        if found[kind]
    }
    report = "\n".join(f"{kind}:\n  " + "\n  ".join(items) for kind, items in problems.items())
    assert not problems, f"{page.url} (body text {found['body']}px):\n{report}"


@pytest.fixture(scope="module")
def volunteer(live_app) -> Volunteer:
    return make_volunteer(live_app, "字号测试")


PAGES = [
    "home",
    "board",
    "need",
    "my tasks",
    "my points",
    "supermarket",
    "voucher",
    "profile",
    "notifications",
    "leaderboard",
]
MODES = [pytest.param(False, id="normal"), pytest.param(True, id="elder")]


@pytest.mark.parametrize("elder", MODES)
@pytest.mark.parametrize("name", PAGES)
def test_sizes_on_a_volunteers_page(new_page, live_app, volunteer, name, elder):
    page, log = open_as(new_page, live_app, volunteer, viewport=PHONE, locale="zh", elder=elder)
    path = main_pages(page, volunteer)[name]
    page.goto(path)
    assert_sizes(page, elder)
    log.assert_clean()


@pytest.mark.parametrize("elder", MODES)
@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
def test_sizes_on_a_visitors_page(new_page, name, elder):
    page, log = new_page(viewport=PHONE)
    page.goto(PUBLIC_PAGES[name])
    if elder:
        page.get_by_role("button", name="大字模式（适老化）").click()
        expect(page.locator("html.elder")).to_have_count(1)
    assert_sizes(page, elder)
    log.assert_clean()


def test_elder_mode_scales_every_size(new_page, live_app, volunteer):
    """The root size grows in elder mode, so everything set in rem grows with it: body
    text, headings, the tab bar, buttons."""
    sizes = {}
    for elder in (False, True):
        page, _log = open_as(
            new_page, live_app, volunteer, viewport=PHONE, locale="zh", elder=elder
        )
        page.goto("/account/profile")
        sizes[elder] = page.evaluate(
            """() => ({
              root: parseFloat(getComputedStyle(document.documentElement).fontSize),
              body: parseFloat(getComputedStyle(document.body).fontSize),
              h1: parseFloat(getComputedStyle(document.querySelector('main h1')).fontSize),
              tab: document.querySelector('nav.tabbar a').getBoundingClientRect().height,
              button: document.querySelector('main button').getBoundingClientRect().height,
            })"""
        )
    normal, elder = sizes[False], sizes[True]
    assert normal["body"] >= MIN_TEXT
    for key in normal:
        assert elder[key] > normal[key] * 1.15, (key, normal, elder)
    assert elder["button"] >= ELDER_BUTTON and elder["tab"] >= ELDER_BUTTON


def test_the_measurement_names_what_is_too_small(new_page):
    """The checks above can fail: a small link, small text and a flat heading planted in a
    page are each reported by selector, text and size."""
    page, _log = new_page(viewport=PHONE)
    page.goto("/login")
    page.evaluate(
        """() => {
          const main = document.querySelector('main');
          main.insertAdjacentHTML('beforeend', '<p><a href="/" class="planted">小链接</a></p>'
            + '<p class="planted-note">小字</p><h2 class="planted-heading">扁标题</h2>');
          const link = main.querySelector('.planted');  // set by CSSOM: the CSP allows it
          link.style.fontSize = '12px';
          link.style.display = 'inline';
          main.querySelector('.planted-note').style.fontSize = '14px';
          main.querySelector('.planted-heading').style.fontSize = '1rem';
        }"""
    )
    found = measure(page, elder=False)
    assert any('a.planted "小链接" 12px' in item for item in found["smallText"]), found
    assert any('p.planted-note "小字" 14px' in item for item in found["smallText"]), found
    assert any('a.planted "小链接"' in item for item in found["smallTargets"]), found
    assert any('h2.planted-heading "扁标题"' in item for item in found["flatHeadings"]), found


# --- 双报到 and the resources list: their pages of tests/main_pages.py ---------------------


@pytest.fixture(scope="module")
def reporting_people(live_app) -> list:
    return arrange_reporting_people(live_app)


@pytest.mark.parametrize("elder", MODES)
def test_sizes_on_the_reporting_pages(new_page, live_app, reporting_people, elder):
    """Every page of 双报到 and the resources list, as each person of tests/main_pages.py
    opens it; every problem of every page is reported at once."""
    problems = []
    for person in reporting_people:
        page, log = open_as_person(
            new_page, live_app, person, viewport="phone", locale="zh", elder=elder
        )
        for what, path in person.pages.items():
            response = page.goto(path)
            assert response is not None and response.status == 200, (person.name, what, path)
            try:
                assert_sizes(page, elder)
            except AssertionError as error:
                problems.append(f"{person.name}, {what}: {error}")
        log.assert_clean()
    assert not problems, "\n".join(problems)
