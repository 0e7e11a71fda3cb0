"""Registration, logging in and out, language and elder mode, driven in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import VOLUNTEER_PASSWORD, choose_place, log_in, unique_phone

pytestmark = pytest.mark.browser


def test_register_through_cascading_selects_then_log_out_and_in(page, browser_log):
    phone, password = unique_phone(), "walk-dog-2026"
    page.goto("/register")
    expect(page.get_by_role("heading", level=1)).to_have_text("注册成为志愿者")
    page.get_by_label("手机号").fill(phone)
    page.locator("#name").fill("测试志愿者")
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_label("再次输入密码").fill(password)
    # Until a district is chosen, the lower levels offer nothing to choose.
    expect(page.locator("#street_id option")).to_have_count(1)
    choose_place(page, "咸安区", "永安街道", "金叶社区", "金叶一网格")
    page.get_by_role("button", name="注册", exact=True).click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("测试志愿者，您好")
    expect(page.get_by_role("status")).to_contain_text("欢迎您，测试志愿者！账号已开通。")
    expect(page.locator("#volunteer-card")).to_contain_text("金叶社区 · 金叶一网格")

    page.get_by_role("link", name="我的", exact=True).click()  # log out is on 我的
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("status")).to_have_text("您已退出登录。")
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)
    account = page.get_by_role("navigation", name="账号")
    expect(account.get_by_role("link", name="登录")).to_be_visible()
    expect(account.get_by_role("link", name="注册")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("测试志愿者")
    page.goto("/account/profile")  # a logged-out visitor is sent to the login page
    expect(page).to_have_url(re.compile(r"/login\?next="))

    log_in(page, phone, password, remember=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("测试志愿者，您好")
    assert "remember_token" in {c["name"] for c in page.context.cookies()}
    browser_log.assert_clean()


def test_register_mistake_is_shown_beside_the_field(page, browser_log):
    phone = unique_phone()
    page.goto("/register")
    page.get_by_label("手机号").fill(phone)
    page.locator("#name").fill("粗心志愿者")
    page.get_by_label("密码", exact=True).fill("walk-dog-2026")
    page.get_by_label("再次输入密码").fill("walk-cat-2026")
    choose_place(page, "咸安区", "永安街道", "金叶社区", "金叶二网格")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="注册", exact=True).click()

    assert answer.value.status == 422
    confirm = page.get_by_label("再次输入密码")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#confirm-error")).to_have_text("两次输入的密码不一致。")
    expect(confirm).to_have_attribute("aria-describedby", "confirm-error")
    # What was typed and chosen is still there.
    expect(page.get_by_label("手机号")).to_have_value(phone)
    expect(page.locator("#name")).to_have_value("粗心志愿者")
    expect(page.locator("#grid_id option:checked")).to_have_text("金叶二网格")
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)
    browser_log.assert_clean(allow_statuses=(422,))


def test_register_works_without_javascript(new_page):
    """The basic flow works without JavaScript: a "刷新选项" button fills the next select."""
    page, _log = new_page(java_script_enabled=False)
    phone, password = unique_phone(), "slow-walk-2026"
    page.goto("/register")
    page.get_by_label("手机号").fill(phone)
    page.locator("#name").fill("无脚本志愿者")
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_label("再次输入密码").fill(password)
    for selector, label in [
        ("#district_id", "咸安区"),
        ("#street_id", "永安街道"),
        ("#community_id", "金叶社区"),
    ]:
        page.locator(selector).select_option(label=label)
        page.get_by_role("button", name="刷新选项").click()
        expect(page.locator(f"{selector} option:checked")).to_have_text(label)
        expect(page.locator("#phone")).to_have_value(phone)  # the rest of the form is kept
    page.locator("#grid_id").select_option(label="金叶二网格")
    # The password fields come back empty after a refresh, as password fields do.
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_label("再次输入密码").fill(password)
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("无脚本志愿者，您好")
    expect(page.locator("#volunteer-card")).to_contain_text("金叶社区 · 金叶二网格")


def test_register_form_asks_for_a_persons_name(page):
    """The volunteer's own name is 姓名; 名称 is the name of a thing (a unit, a shop)."""
    page.goto("/register")
    expect(page.locator("label[for=name]")).to_have_text("姓名")


def test_language_choice_is_saved_for_the_user(page, browser_log, new_page):
    log_in(page, "13800000011", VOLUNTEER_PASSWORD)  # 陈丽华
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("link", name="Me", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, 陈丽华")

    page.goto("/account/profile")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # Saved with the account: another device shows English after logging in.
    other, other_log = new_page()
    other.goto("/login")
    expect(other.locator("html")).to_have_attribute("lang", "zh-CN")  # a visitor, so far
    other.get_by_label("手机号").fill("13800000011")
    other.get_by_label("密码").fill(VOLUNTEER_PASSWORD)
    other.get_by_role("button", name="登录", exact=True).click()
    expect(other.get_by_role("link", name="Me", exact=True)).to_be_visible()
    expect(other.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("link", name="我的", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("个人资料")  # same page, back
    browser_log.assert_clean()
    other_log.assert_clean()


def test_visitor_language_choice_lasts_for_the_session(page, browser_log):
    page.goto("/")
    expect(
        page.get_by_role("navigation", name="账号").get_by_role("link", name="登录")
    ).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(
        page.get_by_role("navigation", name="Account").get_by_role("link", name="Log in")
    ).to_be_visible()

    page.goto("/partners/apply")
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply to become a partner")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Mobile number")).to_be_visible()

    page.get_by_role("button", name="简体中文").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_label("手机号")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    browser_log.assert_clean()


def _body_text_metrics(page) -> dict:
    # After a navigation the new document's body (and its class) exists before its
    # stylesheet has loaded: measure once the page has loaded, CSS included.
    page.wait_for_load_state("load")
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.body);
            return {fontSize: parseFloat(style.fontSize), lineHeight: style.lineHeight};
        }"""
    )


def test_elder_mode_is_one_tap_and_persists(page, browser_log):
    page.goto("/")
    expect(page.locator("body")).not_to_have_class(re.compile(r"\belder\b"))
    before = _body_text_metrics(page)

    page.get_by_role("button", name=re.compile("^大字模式")).click()
    expect(page.locator("body")).to_have_class(re.compile(r"\belder\b"))
    after = _body_text_metrics(page)
    assert after["fontSize"] > before["fontSize"]
    assert after["lineHeight"].endswith("px"), after
    assert float(after["lineHeight"][:-2]) / after["fontSize"] >= 1.3
    switch_off = page.get_by_role("button", name="标准字号")
    expect(switch_off).to_have_attribute("aria-pressed", "true")

    page.goto("/register")
    expect(page.locator("body")).to_have_class(re.compile(r"\belder\b"))
    assert _body_text_metrics(page)["fontSize"] == after["fontSize"]

    page.get_by_role("button", name="标准字号").click()
    expect(page).to_have_url(re.compile(r"/register$"))
    expect(page.locator("body")).not_to_have_class(re.compile(r"\belder\b"))
    assert _body_text_metrics(page)["fontSize"] == before["fontSize"]
    expect(page.get_by_role("button", name=re.compile("^大字模式"))).to_have_attribute(
        "aria-pressed", "false"
    )
    browser_log.assert_clean()


def test_elder_mode_is_saved_for_the_user(page, browser_log, new_page):
    log_in(page, "13800000012", VOLUNTEER_PASSWORD)  # 刘建国
    page.get_by_role("button", name=re.compile("^大字模式")).click()
    expect(page.locator("body")).to_have_class(re.compile(r"\belder\b"))

    other, other_log = new_page()
    other.goto("/login")
    expect(other.locator("body")).not_to_have_class(re.compile(r"\belder\b"))
    log_in(other, "13800000012", VOLUNTEER_PASSWORD)
    expect(other.locator("body")).to_have_class(re.compile(r"\belder\b"))

    other.get_by_role("button", name="标准字号").click()
    expect(other.locator("body")).not_to_have_class(re.compile(r"\belder\b"))
    browser_log.assert_clean()
    other_log.assert_clean()


def test_forged_csrf_token_shows_translated_error_page(page, browser_log):
    page.goto("/login")
    page.get_by_label("手机号").fill("13800000010")
    page.get_by_label("密码").fill(VOLUNTEER_PASSWORD)
    page.locator("main form input[name=csrf_token]").evaluate("(el) => { el.value = 'forged'; }")
    with page.expect_response(
        lambda r: r.url.endswith("/login") and r.request.method == "POST"
    ) as answer:
        page.get_by_role("button", name="登录", exact=True).click()

    assert answer.value.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("请求有误")
    expect(page.locator("main")).to_contain_text("表单已过期或来源有误，请刷新页面后重试。")
    expect(page.get_by_role("link", name="返回首页")).to_be_visible()
    # Not logged in by the forged request.
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)
    browser_log.assert_clean(allow_statuses=(400,))
