"""在职党员报到 on a phone: a party member opens the community's reporting QR link, logs
in, reports with an employer from the list; the community admin confirms and places them
in a grid; the member sees 已报到 and the grid."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import JINYE_ADMIN, PHONE, log_in, page_width, unique_phone

pytestmark = pytest.mark.browser

UNIT = "咸安区税务局"  # a stationed unit of the demo city, in 金叶社区
PASSWORD = "party-member-2026"


def _arrange(live_app) -> tuple[str, str]:
    """A new party member living in 金叶社区, and a counting report of 咸安区税务局 to it
    (unit reports have their own pages; this test needs one that counts). Returns the
    member's (phone, name)."""
    from sqlalchemy import select

    from govhub.accounts import services as accounts
    from govhub.clock import local_date
    from govhub.database import utcnow
    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit
    from govhub.partners.models import Partner
    from govhub.reporting import terms
    from govhub.reporting.models import ReportStatus, UnitReport

    phone = unique_phone()
    name = f"党员{phone[-4:]}"
    with live_app.app_context():
        community = db.session.scalars(select(OrgUnit).where(OrgUnit.name == "金叶社区")).one()
        unit = db.session.scalars(select(Partner).where(Partner.name == UNIT)).one()
        today = local_date(utcnow())
        if terms.unit_reported_to(unit.id, community.id, today) is None:
            admin = accounts.find_by_phone(JINYE_ADMIN[0])
            assert admin is not None
            db.session.add(
                UnitReport(
                    partner_id=unit.id,
                    community_id=community.id,
                    liaison_id=admin.id,
                    status=ReportStatus.confirmed,
                    submitted_by_id=admin.id,
                    decided_by_id=admin.id,
                    decided_at=utcnow(),
                    valid_until=today + timedelta(days=300),
                )
            )
            db.session.commit()
        accounts.register(phone, name, PASSWORD, community.id, community.children[0].id)
        db.session.remove()
    return phone, name


def _fits(page) -> None:
    width = page_width(page)
    assert width <= PHONE["width"], f"{page.url} scrolls sideways ({width}px)"


def test_a_party_member_reports_by_the_qr_and_is_placed_in_a_grid(new_page, live_app):
    phone, name = _arrange(live_app)

    # The community admin opens the reporting QR from the workbench.
    admin, admin_log = new_page()
    log_in(admin, *JINYE_ADMIN)
    admin.goto("/workbench/community")
    admin.get_by_role("link", name="在职党员报到码").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("金叶社区")
    expect(admin.locator(".poster-qr img")).to_be_visible()
    join_url = admin.locator(".reporting-poster .verify-url").inner_text().strip()
    assert "/reporting/members/join/" in join_url

    # The member scans it, logged out: logs in, and lands on the report form.
    member, member_log = new_page()
    member.goto(join_url)
    expect(member).to_have_url(re.compile(r"/login\?next="))
    member.get_by_label("手机号").fill(phone)
    member.get_by_label("密码").fill(PASSWORD)
    member.get_by_role("button", name="登录", exact=True).click()
    expect(member.get_by_role("heading", level=1)).to_have_text("向金叶社区报到")
    _fits(member)

    # The live search narrows the list of reported units.
    with member.expect_response(lambda r: "/reporting/members/join/" in r.url and "q=" in r.url):
        member.get_by_label("查找工作单位").fill("税务")
    choices = member.locator("#employer-choices")
    expect(choices.get_by_label(UNIT)).to_be_visible()
    choices.get_by_label(UNIT).check()
    member.get_by_role("button", name="报到", exact=True).click()
    expect(member.get_by_role("status")).to_contain_text("已向金叶社区报到")
    expect(member.locator(".member-report").first).to_contain_text("待确认")
    expect(member.locator(".member-report").first).to_contain_text(UNIT)
    _fits(member)

    # The admin sees it waiting on the workbench, confirms it and places the member.
    admin.goto("/workbench/community")
    admin.locator("#waiting-member-reports").click()
    expect(admin).to_have_url(re.compile(r"/reporting/members/review$"))
    admin.locator("main ul.rows").get_by_role("link", name=name).click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(f"{name}的报到")
    admin.get_by_label("下沉网格").select_option(label="金叶二网格")
    admin.get_by_role("button", name="确认报到").click()
    expect(admin.get_by_role("status")).to_contain_text(f"已确认{name}的报到")
    _fits(admin)
    admin_log.assert_clean()

    # The member sees 已报到 and the grid, on their page and on 我的.
    member.goto("/reporting/members/")
    report = member.locator(".member-report").first
    expect(report.locator(".status")).to_have_text("已报到")
    expect(report.locator(".member-grid")).to_have_text("金叶二网格")
    member.get_by_role("link", name="我的", exact=True).click()
    expect(member.locator("#member-entry")).to_contain_text("已报到")
    expect(member.locator("#member-entry")).to_contain_text("金叶二网格")
    member_log.assert_clean()
