"""The strict Content-Security-Policy holds, htmx works under it, and sends the CSRF token."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SYSTEM_ADMIN, choose_place, log_in

pytestmark = pytest.mark.browser


def test_pages_run_without_csp_violations_or_js_errors(page, browser_log):
    for path in ["/", "/login", "/register", "/partners/apply", "/places"]:
        response = page.goto(path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        # The vendored htmx loaded and initialised (it is a deferred, same-origin script).
        page.wait_for_function("() => window.htmx && window.htmx.version.startsWith('2.')")

    choose_place(page, "咸安区", "永安街道", "南昌路社区", "南昌路一网格")

    log_in(page, *SYSTEM_ADMIN)
    expect(page.get_by_role("heading", level=2, name="系统管理工作台")).to_be_visible()
    for link in ["组织架构", "用户和角色", "特长列表", "共建单位申请"]:
        page.goto("/workbench/system")
        page.locator("main").get_by_role("link", name=link).first.click()
        expect(page.locator("main h1")).to_be_visible()
    page.goto("/no-such-page")
    expect(page.locator("main h1")).to_have_text("页面不存在")
    browser_log.assert_clean(allow_statuses=(404,))


def test_csp_blocks_inline_script_and_the_log_reports_it(page, browser_log):
    """The detector the other tests rely on does catch a violation."""
    page.goto("/")
    page.evaluate(
        """() => {
            const script = document.createElement('script');
            script.textContent = 'window.inlineRan = true';
            document.body.appendChild(script);
        }"""
    )
    assert page.evaluate("() => window.inlineRan === true") is False
    for _ in range(20):  # the report reaches Python asynchronously
        if browser_log.csp_violations:
            break
        page.wait_for_timeout(100)
    assert any("script-src" in v for v in browser_log.csp_violations), browser_log.csp_violations
    with pytest.raises(AssertionError, match="Content-Security-Policy"):
        browser_log.assert_clean()


def test_htmx_requests_carry_the_csrf_token(page, browser_log):
    """htmx sends X-CSRFToken from <body hx-headers>, and the server accepts it on a POST."""
    page.goto("/register")
    form_token = page.locator("main form input[name=csrf_token]").input_value()

    # Wait for the answer too: it carries the session cookie as it was before the POST
    # below, and arriving late it would overwrite the one the POST sets.
    with page.expect_response(lambda r: "/places?" in r.url) as swap:
        page.locator("#district_id").select_option(label="咸安区")
    assert swap.value.request.headers.get("x-csrftoken") == form_token
    assert swap.value.request.headers.get("hx-request") == "true"

    # A POST issued by htmx passes CSRF protection (303 to the next page, not 400) ...
    with page.expect_response(lambda r: r.url.endswith("/preferences/elder-mode")) as answer:
        page.evaluate(  # returns htmx's promise, which Playwright awaits
            """() => htmx.ajax('POST', '/preferences/elder-mode',
                {source: 'body', swap: 'none', values: {enabled: '1', next: '/register'}})"""
        )
    assert answer.value.status == 303
    page.reload()
    expect(page.locator("body")).to_have_class(re.compile(r"\belder\b"))

    # ... and the same POST without the token is refused: protection is really on.
    status = page.evaluate(
        """() => fetch('/preferences/elder-mode', {method: 'POST', redirect: 'manual',
              headers: {'Content-Type': 'application/x-www-form-urlencoded'},
              body: 'enabled=0&next=/register'}).then((r) => r.status)"""
    )
    assert status == 400
    page.reload()
    expect(page.locator("body")).to_have_class(re.compile(r"\belder\b"))
    browser_log.assert_clean(allow_statuses=(400,))
