"""The public page (居务公开) printed for the notice board: A4 portrait, the community's
name, the date, and a QR code that reads back as the live page's address."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, page_width

pytestmark = pytest.mark.browser

JINYE = "金叶社区"
# A4 in PDF points (1/72 inch): 210 × 297 mm.
A4 = (595.28, 841.89)


def test_the_notice_prints_on_a4_with_a_qr_code_to_the_live_page(new_page, live_server):
    page, log = new_page(viewport=PHONE)
    page.goto("/public/")
    page.get_by_role("link", name=JINYE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(JINYE)
    live_url = page.url
    assert page_width(page) <= PHONE["width"]
    for heading in ("需求清单", "资源清单", "项目清单", "光荣榜"):
        expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()

    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".public-year")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_contain_text(JINYE)
    expect(page.locator(".public-head")).to_contain_text("截至")
    qr = page.locator(".public-qr img")
    expect(qr).to_be_visible()
    expect(qr).to_have_js_property("complete", True)
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot(scale="device"))))
    assert codes, "no QR code could be read from the notice"
    assert codes[0].text == live_url

    pdf = page.pdf(prefer_css_page_size=True, print_background=False)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes, "no page size in the PDF"
    for width, height in boxes:
        assert abs(float(width) - A4[0]) < 2 and abs(float(height) - A4[1]) < 2, (width, height)
    page.emulate_media(media="screen")
    log.assert_clean()
