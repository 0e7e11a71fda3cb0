"""Browser fixtures: a live govhub server on the demo city, and Debian's Chromium.

The server is the real app with CSRF protection on, its schema built by the Alembic
migrations and the demo city seeded; it serves on 127.0.0.1 in a daemon thread for the
whole session. Every test gets a fresh browser context (a phone: 360x740, zh-CN) whose
console messages, page errors and Content-Security-Policy violations are recorded, so a
test can end with ``browser_log.assert_clean()``.

Without /usr/bin/chromium (or the playwright package) the tests are skipped, unless
GOVHUB_REQUIRE_BROWSER is set (to anything but "" or "0"), which makes them fail.
Never ``playwright install``: the tests drive the system Chromium only.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import TEST_CONFIG

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 360, "height": 740}
TIMEOUT_MS = 10_000  # generous: CI machines have 2 cores and run the whole suite
TRANSLATIONS = Path(__file__).resolve().parents[2] / "govhub" / "translations"

# Demo logins (govhub/demo/city.json).
SYSTEM_ADMIN = ("13800000001", "demo-admin-2026")
JINYE_ADMIN = ("13800000002", "demo-jinye-2026")  # community admin of 金叶社区
VOLUNTEER_PASSWORD = "demo-volunteer-2026"


def _required() -> bool:
    return os.environ.get("GOVHUB_REQUIRE_BROWSER", "") not in ("", "0")


@pytest.fixture(scope="session")
def chromium_available() -> None:
    """Skip (or, when GOVHUB_REQUIRE_BROWSER is set, fail) without a browser to drive."""
    problems = []
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        problems.append(f"{CHROMIUM} not found (Debian package chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright Python package is not installed")
    if problems:
        message = "; ".join(problems)
        if _required():
            pytest.fail(message + " and GOVHUB_REQUIRE_BROWSER is set")
        pytest.skip(message)


# --- The live server -----------------------------------------------------------------


def _compile_translations(target: Path) -> Path:
    """Compile every catalog into ``target`` (the .mo files are build output, not in git).

    The tests always see the catalogs as they are in the working tree, and nothing is
    written into the source tree.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        relative = po_path.relative_to(TRANSLATIONS)
        mo_path = (target / relative).with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as source:
            catalog = read_po(source, locale=relative.parts[0])
        with mo_path.open("wb") as out:
            write_mo(out, catalog)
    return target


@contextmanager
def _logging_kept():
    """Alembic's env.py calls logging.fileConfig, which disables every existing logger
    (the app's own among them) and adds a root handler; put things back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = {
        name: logger.disabled
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, logger in logging.Logger.manager.loggerDict.items():
            if isinstance(logger, logging.Logger):
                logger.disabled = loggers.get(name, False)


@contextmanager
def demo_server(tmp_path_factory, name: str, arrange=None):
    """Serve govhub on a fresh copy of the demo city (CSRF protection on) in a daemon
    thread; ``arrange()``, if given, adds data inside the app context after the seed.
    Yields (base URL, app)."""
    import flask_migrate
    from werkzeug.serving import make_server

    from govhub import create_app, demo
    from govhub.extensions import db

    root = tmp_path_factory.mktemp(name)
    config = {
        **TEST_CONFIG,
        "WTF_CSRF_ENABLED": True,
        "DATABASE_URL": f"sqlite:///{root / f'{name}.sqlite3'}",
        "BABEL_TRANSLATION_DIRECTORIES": str(_compile_translations(root / "translations")),
    }
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOVHUB_INSTANCE_PATH", str(root / "instance"))
        app = create_app(config)
    with app.app_context(), _logging_kept():
        flask_migrate.upgrade()
        demo.seed()
        if arrange is not None:
            arrange()
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"govhub-{name}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def _live(chromium_available, tmp_path_factory):
    with demo_server(tmp_path_factory, "browser") as served:
        yield served


@pytest.fixture(scope="session")
def live_server(_live) -> str:
    """The base URL of govhub serving the demo city, CSRF protection on."""
    return _live[0]


# --- The browser -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance(chromium_available):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


# Chromium logs every non-2xx document or fetch as a console error like this one.
HTTP_STATUS_MESSAGE = re.compile(
    r"Failed to load resource: the server responded with a status of (\d{3})"
)


@dataclass
class BrowserLog:
    """What one browser context reported: console messages, page errors, CSP violations."""

    console: list[tuple[str, str, str]] = field(default_factory=list)  # (type, text, url)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def console_errors(self, allow_statuses: tuple[int, ...] = ()) -> list[str]:
        errors = []
        for kind, text, url in self.console:
            if kind != "error":
                continue
            status = HTTP_STATUS_MESSAGE.search(text)
            if status and int(status.group(1)) in allow_statuses:
                continue
            errors.append(f"{text} ({url})" if url else text)
        return errors

    def csp_messages(self) -> list[str]:
        """Violations from the securitypolicyviolation event and from the console."""
        from_console = [
            text for _kind, text, _url in self.console if "Content Security Policy" in text
        ]
        return self.csp_violations + from_console

    def assert_clean(self, allow_statuses: tuple[int, ...] = ()) -> None:
        """No CSP violation, no uncaught JS error, no console error.

        ``allow_statuses``: HTTP statuses the test expects (a 422 form, a 400 page), whose
        "Failed to load resource" console line is not an error.
        """
        assert self.csp_messages() == [], "Content-Security-Policy violations"
        assert self.page_errors == [], "uncaught JavaScript errors"
        assert self.console_errors(allow_statuses) == [], "console errors"


# Runs in every document before its own scripts; reports violations to Python, so they
# survive navigations. Added by Playwright (CDP), so the page's CSP does not apply to it.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  const what = `${e.violatedDirective} blocked ${e.blockedURI || "inline"}`;
  window.__govhubCspViolation(`${what} at ${e.sourceFile || e.documentURI}:${e.lineNumber}`);
});
"""


def watched_page(context) -> tuple:
    """A new page of ``context`` with the tests' timeouts, whose console messages, page
    errors and CSP violations are recorded: ``(page, log)``."""
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(2 * TIMEOUT_MS)
    log = BrowserLog()
    context.expose_binding(
        "__govhubCspViolation", lambda _source, text: log.csp_violations.append(text)
    )
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("console", lambda m: log.console.append((m.type, m.text, m.location.get("url", ""))))
    page.on("pageerror", lambda error: log.page_errors.append(str(error)))
    return page, log


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a new browser context (its own cookies): ``page, log = new_page()``."""
    contexts = []

    def open_page(**options):
        settings = {"viewport": PHONE, "locale": "zh-CN", "base_url": live_server, **options}
        context = browser.new_context(**settings)
        contexts.append(context)
        return watched_page(context)

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page_and_log(new_page):
    return new_page()


@pytest.fixture
def page(page_and_log):
    """A phone-sized page in a fresh context: 360x740, zh-CN, base_url = the live server."""
    return page_and_log[0]


@pytest.fixture
def browser_log(page_and_log) -> BrowserLog:
    """What ``page`` reported; end a test with ``browser_log.assert_clean()``."""
    return page_and_log[1]


# --- Helpers for tests -------------------------------------------------------------------


def settled(page) -> None:
    """Wait until the page has loaded with its stylesheets and fonts, before measuring.

    A click that navigates returns once the new document has committed; under load its
    stylesheet may still be on the way, and a measurement then sees unstyled text (a
    13.3px button, a page wider than the phone)."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => document.readyState === 'complete'"
        " && [...document.querySelectorAll('link[rel=stylesheet]')].every((l) => l.sheet)"
        " && document.fonts.status === 'loaded'"
    )


def htmx_settled(page) -> None:
    """Wait until htmx has swapped and settled everything it was fetching.

    htmx wires up swapped-in content when it settles (some 20 ms after the swap, while the
    new elements carry ``htmx-added``): an input typed into before then has no listener
    yet, and its inline check is never sent."""
    busy = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"
    page.wait_for_function(f"() => !document.querySelector('{busy}')")


def page_width(page) -> int:
    """The page's scrolling width in CSS pixels, once it is styled (``settled``)."""
    settled(page)
    return page.evaluate("() => document.documentElement.scrollWidth")


def unique_phone() -> str:
    """A mobile number no demo account uses: 139 and eight random digits."""
    return f"139{uuid.uuid4().int % 10**8:08d}"


def choose_place(page, district: str, street: str, community: str, grid: str | None = None):
    """Pick a home through the cascading selects, waiting for each htmx reload.

    Each choice makes htmx fetch the selects again (GET /places) and swap them in; the
    next select must then offer the child units of the one just chosen.
    """
    from playwright.sync_api import expect

    chain = [("#district_id", district), ("#street_id", street), ("#community_id", community)]
    if grid is not None:
        chain.append(("#grid_id", grid))
    for selector, label in chain:
        select = page.locator(selector)
        expect(select.locator("option", has_text=label)).to_have_count(1)
        page.locator("#place-fields").evaluate("(el) => el.setAttribute('data-replaced', '')")
        with page.expect_response(lambda r: "/places?" in r.url) as reload:
            select.select_option(label=label)
        assert reload.value.status == 200
        # htmx swapped in new selects and has settled them: until it removes the
        # htmx-added class (some 20 ms) their change listener is not yet installed.
        expect(page.locator("#place-fields:not([data-replaced]):not(.htmx-added)")).to_have_count(1)
        # The new selects keep the choice.
        expect(page.locator(f"{selector} option:checked")).to_have_text(label)


def log_in(page, phone: str, password: str, remember: bool = False) -> None:
    """Log in through the login form (Chinese UI) and wait for the home page."""
    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(password)
    if remember:
        page.get_by_label("在这台设备上保持登录").check()
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("link", name="我的", exact=True)).to_be_visible()  # the tab bar


@pytest.fixture(scope="session")
def live_app(_live):
    """The Flask app behind ``live_server``, for arranging what the UI cannot (a shift
    running now): ``with live_app.app_context(): ...``."""
    return _live[1]
