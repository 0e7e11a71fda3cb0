"""驻区单位到社区报到 on a phone, in Chinese: a unit's staff report to 金叶社区 with a
resource, the community admin confirms it, and the receipt (报到回执) shows its QR code,
prints on one A4 page and verifies without a login."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    JINYE_ADMIN,
    PHONE,
    choose_place,
    log_in,
    page_width,
    unique_phone,
)
from tests.browser.test_sizes import assert_sizes

pytestmark = pytest.mark.browser

# A stationed unit of 金叶社区 that has not reported yet (the demo's 咸安区税务局 already
# has: a second report to the same community is refused). Approved by 王书记 below.
UNIT = "咸安区实验小学"
PASSWORD = "tax-office-2026"


def arrange_unit_staff(live_app) -> tuple[str, str]:
    """A new stationed unit of 金叶社区, a staff member of it, and a resource it offers.
    Returns (phone, title)."""
    from sqlalchemy import select

    from govhub.accounts import services as accounts
    from govhub.accounts.models import Role, User
    from govhub.database import utcnow
    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit
    from govhub.partners import services as partners
    from govhub.partners.models import Partner, PartnerKind
    from govhub.resources.models import Resource, ResourceKind

    phone, title = unique_phone(), f"党员活动室{uuid.uuid4().hex[:4]}"
    with live_app.app_context():
        grid = db.session.scalars(select(OrgUnit).where(OrgUnit.name == "金叶一网格")).one()
        unit = db.session.scalars(select(Partner).where(Partner.name == UNIT)).first()
        if unit is None:
            unit = partners.apply(
                kind=PartnerKind.unit,
                name=UNIT,
                community_id=grid.parent_id,
                address="金叶路8号",
                contact_name="吴老师",
                contact_phone=unique_phone(),
                owner_id=None,
            )
            wang = db.session.scalars(select(User).where(User.phone == JINYE_ADMIN[0])).one()
            partners.decide(wang.id, unit.id, approve=True, now=utcnow())
        user = accounts.register(phone, "吴晓东", PASSWORD, unit.community_id, grid.id)
        accounts.assign_role(None, user.id, Role.partner_staff, partner_id=unit.id)
        db.session.add(
            Resource(
                kind=ResourceKind.venue,
                title=title,
                quantity=1,
                remaining=1,
                unit_label="间",
                area_id=unit.community_id,
                partner_id=unit.id,
            )
        )
        db.session.commit()
        db.session.remove()
    return phone, title


def fits_the_phone(page) -> None:
    """No sideways scrolling; text, lines and tap targets at the sizes every page keeps."""
    width = page_width(page)
    assert width <= PHONE["width"], f"{page.url} scrolls sideways ({width}px)"
    assert_sizes(page, elder=False)


def test_a_unit_reports_and_the_community_confirms_and_the_receipt_prints(
    page, browser_log, new_page, live_app
):
    phone, resource = arrange_unit_staff(live_app)

    # The unit's staff member reports to 金叶社区 from the unit's workbench.
    log_in(page, phone, PASSWORD)
    page.goto("/workbench/")
    page.get_by_role("link", name="到社区报到", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"「{UNIT}」的报到")
    fits_the_phone(page)
    page.locator("#new-unit-report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("到社区报到")
    choose_place(page, "咸安区", "永安街道", "金叶社区")
    # The liaison is the person filling it in: their number is there, their name masked.
    expect(page.get_by_label("联络员手机号")).to_have_value(phone)
    expect(page.locator("#liaison-found")).to_contain_text("联络员：吴*东")
    # Typing another number looks it up as it is typed (htmx), showing only a masked name.
    liaison = page.get_by_label("联络员手机号")
    with page.expect_response(lambda r: "/liaison?" in r.url):
        liaison.fill("13800000011")
    expect(page.locator("#liaison-found")).to_have_text("✓ 联络员：陈*华（138****0011）")
    with page.expect_response(lambda r: "/liaison?" in r.url):
        liaison.fill(phone)
    expect(page.locator("#liaison-found")).to_contain_text("联络员：吴*东")
    page.get_by_label("在职党员人数").fill("8")
    page.get_by_label(re.compile(resource)).check()
    page.get_by_label("助老服务").check()
    page.get_by_label("备注").fill("每周六上午开放活动室")
    fits_the_phone(page)
    page.get_by_role("button", name="提交报到").click()

    expect(page.get_by_role("status")).to_have_text("报到已提交至「金叶社区」。")
    expect(page.locator("#report-status")).to_have_text("待确认")
    report_url = page.url
    fits_the_phone(page)
    browser_log.assert_clean()

    # 王书记, the community admin, confirms it from the workbench on another phone.
    admin, admin_log = new_page()
    log_in(admin, *JINYE_ADMIN)
    admin.goto("/workbench/")
    admin.locator("#waiting-unit-reports").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("待确认的单位报到")
    fits_the_phone(admin)
    admin.locator("ul.unit-review").get_by_role("link", name=UNIT).last.click()
    expect(admin.locator(".report-resources")).to_contain_text(f"{resource}（1间）")
    expect(admin.locator(".report-liaison")).to_have_text("吴晓东")
    fits_the_phone(admin)
    admin.get_by_role("button", name="确认报到").click()
    expect(admin.get_by_role("status")).to_contain_text(f"已确认「{UNIT}」的报到，有效期至")
    admin_log.assert_clean()

    # The unit opens its receipt: the QR code is drawn, and it prints on one A4 page.
    page.goto(report_url)
    expect(page.locator("#report-status")).to_have_text("已确认")
    page.locator("#open-receipt").click()
    receipt = page.locator("#receipt")
    expect(receipt.get_by_role("heading", level=1)).to_have_text("报到回执")
    expect(receipt.locator(".report-unit")).to_have_text(UNIT)
    expect(receipt.locator("#receipt-confirmed-by")).to_have_text("金叶社区 · 王书记")
    qr = receipt.locator(".receipt-qr img")
    expect(qr).to_be_visible()
    # The QR image loads after the page: wait for it (a loaded machine takes a while).
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    fits_the_phone(page)

    page.emulate_media(media="print")
    for hidden in (".site-header", ".site-footer", ".no-print"):
        for element in page.locator(hidden).all():
            expect(element).to_be_hidden()
    expect(receipt).to_be_visible()
    expect(qr).to_be_visible()
    box = receipt.bounding_box()
    assert box is not None and box["x"] < 30  # the page's margins only: no card frame
    pdf = page.pdf(format="A4", print_background=False)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1, f"the receipt prints on {pages} pages"
    page.emulate_media(media="screen")
    verify_url = receipt.locator(".verify-url").inner_text()
    browser_log.assert_clean()

    # Anyone scanning the code, without logging in, sees that the report counts today.
    visitor, visitor_log = new_page()
    visitor.goto(verify_url)
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("该报到今日有效")
    expect(visitor.locator("main")).to_contain_text(UNIT)
    expect(visitor.locator("main")).not_to_contain_text("吴晓东")
    fits_the_phone(visitor)
    visitor.goto(verify_url[:-3] + "xyz")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("无法核验此报到回执")
    visitor_log.assert_clean(allow_statuses=(404,))
