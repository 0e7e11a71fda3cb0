"""The exports (数据导出) on a phone, in Chinese: 钱局长 (咸安区) goes from the dashboard to
the exports page, which fits 360 px, downloads the service records in the national
layout as CSV and as Excel, and both files open with the expected Chinese header."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, log_in, page_width

pytestmark = pytest.mark.browser

DISTRICT_ADMIN = ("13800000006", "demo-xianan-2026")  # 钱局长, oversight of 咸安区
NATIONAL_HEADER = [
    "志愿者姓名",
    "证件类型",
    "证件号码",
    "手机号",
    "项目名称",
    "服务开始时间",
    "服务结束时间",
    "服务时长（小时）",
    "服务地点",
    "服务类别",
    "所属组织",
    "记录方式",
    "确认时间",
    "govhub记录号",
]


def test_the_district_office_downloads_the_service_records_and_they_open(new_page):
    page, log = new_page(accept_downloads=True)
    log_in(page, *DISTRICT_ADMIN)
    page.goto("/oversight/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("咸安区")
    page.locator("#dashboard-exports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("数据导出 · 咸安区")
    # The last year of days: the demo's history is the twelve months before this one.
    today = date.today()
    page.locator("#period").select_option("dates")
    page.locator("#from").fill((today - timedelta(days=366)).isoformat())
    page.locator("#to").fill(today.isoformat())
    page.locator("#export-form").get_by_role("button", name="筛选").click()
    expect(page.locator("#period-label")).to_contain_text(today.isoformat())
    page.evaluate("document.fonts.ready")
    assert page_width(page) <= PHONE["width"]

    card = page.locator("#export-service-records")
    expect(card.get_by_role("heading")).to_have_text("志愿服务记录（全国系统格式）")
    for link in (card.get_by_role("link", name="CSV"), card.get_by_role("link", name="Excel")):
        box = link.bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44

    with page.expect_download() as csv_download:
        card.get_by_role("link", name="CSV").click()
    download = csv_download.value
    assert download.suggested_filename.startswith("咸安区-志愿服务记录")
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == NATIONAL_HEADER
    assert len(rows) > 10  # a year of the demo's service
    assert all(row[1] == row[2] == "" for row in rows[1:])  # no identity documents

    with page.expect_download() as xlsx_download:
        card.get_by_role("link", name="Excel").click()
    download = xlsx_download.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as handle:
        book = openpyxl.load_workbook(io.BytesIO(handle.read()), read_only=True)
    table = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    assert table[0] == NATIONAL_HEADER
    assert len(table) == len(rows)
    log.assert_clean()
