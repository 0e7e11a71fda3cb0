"""导入花名册 on a phone (360 px, Chinese): the community admin uploads a roster, sees the
preview with its error row, confirms, prints the activation slips; the person scans the
slip's QR and activates their account."""

from __future__ import annotations

import base64
import io
import re

import openpyxl
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import JINYE_ADMIN, PHONE, log_in, page_width, unique_phone

pytestmark = pytest.mark.browser

JINYE = "421202001001"  # 金叶社区's code (govhub/demo/city.json)
PASSWORD = "slip-activated-2026"


def _roster(phone: str, name: str) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机号", "社区编码", "网格编码", "技能", "党员", "工作单位"])
    sheet.append([name, phone, JINYE, f"{JINYE}-01", None, "否", None])
    sheet.append(["错号码", "12345", JINYE, None, None, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fits(page) -> None:
    width = page_width(page)
    assert width <= PHONE["width"], f"{page.url} scrolls sideways ({width}px)"


def test_an_admin_imports_a_roster_and_the_person_activates_with_the_slip(new_page):
    phone, name = unique_phone(), "花名册新人"
    admin, admin_log = new_page()
    log_in(admin, *JINYE_ADMIN)
    admin.goto("/workbench/community")
    admin.get_by_role("link", name="导入花名册").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("导入花名册")
    _fits(admin)
    admin.get_by_label("花名册（.xlsx）").set_input_files(
        {
            "name": "金叶社区花名册.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": _roster(phone, name),
        }
    )
    admin.get_by_role("button", name="上传并预览").click()

    # The preview: one person to create, one row with its error; nothing imported yet.
    expect(admin.get_by_role("heading", level=1)).to_contain_text("预览")
    expect(admin.locator("#count-create")).to_have_text("1人")
    expect(admin.locator("#count-error")).to_have_text("1行")
    expect(admin.locator("#row-3")).to_contain_text("第3行")
    expect(admin.locator("#row-3")).to_contain_text("手机号「12345」不是11位大陆手机号")
    expect(admin.locator("#rows-create")).to_contain_text(name)
    _fits(admin)
    admin.get_by_role("button", name="确认：导入1人").click()
    expect(admin.get_by_role("status")).to_contain_text("新建1人")
    expect(admin.locator("#roster-members")).to_contain_text("尚未打印激活单")
    _fits(admin)

    # The slips open in a new tab, ready to print.
    with admin.context.expect_page() as opened:
        admin.get_by_role("button", name="打印激活单（1人还没有）").click()
    slips = opened.value
    slips.set_default_timeout(10_000)
    slip = slips.locator(".activation-slip")
    expect(slip).to_have_count(1)
    expect(slip).to_contain_text(name)
    expect(slip).to_contain_text(f"{phone[:3]}****{phone[-4:]}")
    expect(slip).to_contain_text("金叶社区")
    code = slip.locator(".slip-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", code), code
    _fits(slips)
    png = slip.locator(".slip-qr img").get_attribute("src").split(",", 1)[1]
    (qr,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(png))))
    assert qr.text.endswith("/activate?code=" + code.replace("-", ""))
    # On paper: no site chrome, two slips side by side.
    slips.emulate_media(media="print")
    expect(slips.locator(".site-header")).to_be_hidden()
    columns = slips.locator(".activation-slips").evaluate(
        "(el) => getComputedStyle(el).gridTemplateColumns.split(' ').length"
    )
    assert columns == 2
    admin_log.assert_clean()

    # The person scans the QR: the code is filled in; phone and a password activate.
    person, person_log = new_page()
    person.goto(qr.text)
    expect(person.get_by_role("heading", level=1)).to_have_text("激活账号")
    expect(person.get_by_label("激活码")).to_have_value(code)
    _fits(person)
    person.get_by_label("手机号").fill(phone)
    person.get_by_label("设置密码").fill(PASSWORD)
    person.get_by_label("再次输入密码").fill(PASSWORD)
    person.get_by_role("button", name="激活", exact=True).click()
    expect(person.get_by_role("status")).to_contain_text(f"欢迎您，{name}！您的账号已激活。")
    expect(person.get_by_role("link", name="我的", exact=True)).to_be_visible()
    person_log.assert_clean()

    # The admin's roster page now says so.
    admin.reload()
    expect(admin.locator("#roster-members")).to_contain_text("已激活")
