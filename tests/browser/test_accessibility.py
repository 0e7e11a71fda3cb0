"""axe-core finds no accessibility problem on the main pages, on a phone, in both modes.

Every page of tests/main_pages.py is opened as the person who uses it (a visitor, a
volunteer, a community admin, a shop's staff member) at 360x780, in normal and in elder
mode, and ``axe.run()`` checks it with all of axe's default rules (WCAG A/AA and best
practices): no violation of any impact is allowed. The failure lists each one's rule,
impact, the elements (CSS selectors) and axe's help text.

axe-core is vendored for the tests only (tests/vendor/axe-core-<version>/, from npm,
with its licence) and never served by the app. It is injected into each page with
Playwright's ``add_script_tag``; the app's Content-Security-Policy forbids inline
scripts, so THIS test's browser context is opened with ``bypass_csp=True`` (the other
browser tests keep the CSP, and test_csp_and_htmx.py checks it holds).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.main_pages import PASSWORD, arrange

pytestmark = pytest.mark.browser

AXE_VERSION = "4.14.1"
AXE = Path(__file__).resolve().parents[1] / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
VIEWPORT = {"width": 360, "height": 780}
PEOPLE = [
    "visitor",
    "volunteer",
    "community admin",
    "shop staff",
    "unit liaison",
    "oversight admin",
]


@pytest.fixture(scope="module")
def people(live_app):
    """The people of tests/main_pages.py, arranged in the live server's demo city."""
    return {person.name: person for person in arrange(live_app)}


def violations_on(page) -> list[str]:
    """Inject axe into the page and run it: one line per violation and element."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ['violations']});
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map((n) => n.target.join(' ')),
            }));
        }"""
    )
    return [
        f"{v['id']} ({v['impact']}) at {target}: {v['help']}"
        for v in found
        for target in v["targets"]
    ]


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
@pytest.mark.parametrize("who", PEOPLE)
def test_main_pages_have_no_accessibility_violations(new_page, people, who, elder):
    person = people[who]
    page, _log = new_page(viewport=VIEWPORT, bypass_csp=True)
    if person.phone is not None:
        log_in(page, person.phone, PASSWORD)
    page.goto("/")
    elder_toggle = page.locator("form[action$='/preferences/elder-mode'] button").first
    if elder:
        elder_toggle.click()
        expect(page.locator("body.elder")).to_have_count(1)
    else:
        expect(page.locator("body.elder")).to_have_count(0)

    problems = []
    for what, path in person.pages.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{what} ({path})"
        problems += [f"{what} ({path}): {line}" for line in violations_on(page)]
    mode = "elder" if elder else "normal"
    assert not problems, f"axe, {who}, {mode} mode:\n" + "\n".join(problems)
