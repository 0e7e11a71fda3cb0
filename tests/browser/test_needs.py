"""The needs list: admins post needs with shifts, volunteers find and claim them, residents
ask for help and the community turns the request into a need."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import JINYE_ADMIN, VOLUNTEER_PASSWORD, htmx_settled, log_in

pytestmark = pytest.mark.browser

# 金叶社区's volunteers (govhub/demo/city.json). Their demo claims are on Tue/Thu 19:00
# and Sun 09:00; the shifts made here avoid those hours (a claim may not overlap another).
ZHANG = ("13800000010", VOLUNTEER_PASSWORD, "张晓明")
CHEN = ("13800000011", VOLUNTEER_PASSWORD, "陈丽华")
CATEGORY = "助老服务"  # a demo category's Chinese name (data, not a UI string)
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the site's time zone: forms take local times

SAVE = "form.need-editor > button[type=submit].primary"
# UI strings, in Chinese or (while the catalog is being completed) English.
CLAIM_A_PLACE = re.compile("认领名额|Claim a place")
JOIN_WAITING_LIST = re.compile("加入候补|Join the waiting list")
YOU_CLAIMED = re.compile("您已认领这个时段|You claimed this shift")
YOU_WAIT = re.compile("您已加入候补|You are on the waiting list")


def local_day(days_ahead: int) -> date:
    return datetime.now(SHANGHAI).date() + timedelta(days=days_ahead)


def at(day: date, hhmm: str) -> str:
    """A value for <input type=datetime-local>: 'YYYY-MM-DDTHH:MM' in the site's zone."""
    return f"{day.isoformat()}T{hhmm}"


def shown(day: date, times: str = "") -> re.Pattern:
    """How a zh page shows ``day`` (and a span of ``times`` on it), with or without the
    year: "12月5日 周六 10:00–12:00"."""
    return re.compile(rf"{day.month}月{day.day}日 周. {times}".rstrip())


def unique_title(prefix: str) -> tuple[str, str]:
    """A need title no other test uses, and its ASCII tag (to search for)."""
    tag = uuid.uuid4().hex[:8]
    return f"{prefix}{tag}", tag


def unread(page) -> int:
    """The unread count on the bell of the page as loaded (0 without a badge)."""
    badge = page.locator("#bell .badge")
    return int(badge.inner_text()) if badge.count() else 0


def mark_document(page) -> None:
    """Tag the current document: the tag disappears if the page reloads or navigates."""
    page.evaluate("() => { window.__sameDocument = true; }")


def assert_same_document(page) -> None:
    assert page.evaluate("() => window.__sameDocument === true"), "the page reloaded"


def fill_shift(page, index: int, day: date, start: str, end: str, capacity: int) -> None:
    row = f"#shifts-{index}"
    page.locator(f"{row}-starts_at").fill(at(day, start))
    page.locator(f"{row}-ends_at").fill(at(day, end))
    page.locator(f"{row}-capacity").fill(str(capacity))


def save_and_publish(admin) -> int:
    """Save the need editor, then publish the draft; returns the need's id."""
    admin.locator(SAVE).click()
    expect(admin).to_have_url(re.compile(r"/manage/needs/\d+$"))
    expect(admin.locator("h1 .status")).to_have_class(re.compile(r"\bstatus-draft\b"))
    need_id = int(admin.url.rsplit("/", 1)[1])
    admin.locator('form[action$="/publish"] button').click()
    expect(admin.locator("h1 .status")).to_have_class(re.compile(r"\bstatus-open\b"))
    return need_id


def post_need(admin, title: str, day: date, start: str, end: str, capacity: int) -> int:
    """Post and publish a need with one shift through the editor; returns its id."""
    admin.goto("/manage/needs/new")
    admin.locator("#title").fill(title)
    admin.locator("#category_id").select_option(label=CATEGORY)
    admin.locator("#place").fill("金叶社区党群服务中心")
    fill_shift(admin, 0, day, start, end, capacity)
    return save_and_publish(admin)


def test_admin_posts_need_volunteer_claims_and_admin_sees_claimant(page, browser_log, new_page):
    title, tag = unique_title("陪老人散步")
    first_day, second_day = local_day(3), local_day(4)

    # The community admin posts a need with two shifts.
    admin = page
    log_in(admin, *JINYE_ADMIN)
    admin.goto("/manage/needs/new")
    editor_url = admin.url
    admin.locator("#title").fill(title)
    admin.locator("#category_id").select_option(label=CATEGORY)
    admin.locator("#place").fill("金叶小区 2 栋楼下")
    # The contact fields are the admin's own, already filled in.
    expect(admin.locator("#contact_name")).to_have_value("王书记")
    expect(admin.locator("#contact_phone")).to_have_value(JINYE_ADMIN[0])
    expect(admin.locator(".shift-row")).to_have_count(1)
    fill_shift(admin, 0, first_day, "10:00", "12:00", 3)

    mark_document(admin)
    with admin.expect_response(
        lambda r: r.url == editor_url and r.request.method == "POST"
    ) as added:
        admin.locator("button[name=add_shift]").click()
    assert added.value.status == 200
    expect(admin.locator(".shift-row")).to_have_count(2)
    # htmx swapped the shift section in place: same document, same address, and what was
    # typed above (and in the first shift) is still there.
    assert_same_document(admin)
    assert admin.url == editor_url
    expect(admin.locator("#title")).to_have_value(title)
    expect(admin.locator("#shifts-0-starts_at")).to_have_value(at(first_day, "10:00"))
    expect(admin.locator("#shifts-1-starts_at")).to_be_visible()
    fill_shift(admin, 1, second_day, "10:00", "12:00", 2)
    need_id = save_and_publish(admin)
    roster = admin.locator("section.roster")
    expect(roster).to_have_count(2)
    expect(roster.first.locator("h3")).to_contain_text(shown(first_day, "10:00–12:00"))
    browser_log.assert_clean()

    # A volunteer of the community finds it with the live search.
    volunteer, volunteer_log = new_page()
    log_in(volunteer, *ZHANG[:2])
    volunteer.goto("/needs")
    bell_before = unread(volunteer)
    expect(volunteer.locator("#board-results .need-card").first).to_be_visible()
    assert volunteer.locator("#board-results .need-card").count() > 1  # the demo needs too
    mark_document(volunteer)
    volunteer.locator("#q").press_sequentially(tag[:6])
    cards = volunteer.locator("#board-results .need-card")
    expect(cards).to_have_count(1)
    expect(cards.locator("h2")).to_have_text(title)
    expect(cards).to_contain_text("金叶小区 2 栋楼下")
    expect(volunteer).to_have_url(re.compile(rf"/needs\?(.*&)?q={tag[:6]}(&|$)"))
    assert_same_document(volunteer)
    # Leaving the box fires "change", which reloads the results once more: let that
    # finish before clicking into them.
    with volunteer.expect_response(lambda r: "/needs?" in r.url) as again:
        volunteer.locator("#q").blur()
    assert again.value.status == 200
    expect(cards).to_have_count(1)
    # The address can be shared: opened afresh, it shows the same search.
    volunteer.goto(volunteer.url)
    expect(volunteer.locator("#q")).to_have_value(tag[:6])
    expect(cards).to_have_count(1)
    expect(cards.locator("h2")).to_have_text(title)

    # It claims the first shift; htmx swaps that shift's row only.
    cards.get_by_role("link", name=title).click()
    expect(volunteer).to_have_url(re.compile(rf"/needs/{need_id}$"))
    expect(volunteer.locator("h1")).to_have_text(title)
    shifts = volunteer.locator("ul.shifts > li.shift")
    expect(shifts).to_have_count(2)
    first = shifts.first
    expect(first.locator(".when")).to_contain_text(shown(first_day, "10:00–12:00"))
    expect(first).to_contain_text(re.compile("已认领0/3|0 of 3 taken"))
    claim = first.locator('form[action$="/claim"] button')
    expect(claim).to_have_text(CLAIM_A_PLACE)
    mark_document(volunteer)
    with volunteer.expect_response(lambda r: r.url.endswith("/claim")) as claimed:
        claim.click()
    assert claimed.value.status == 200
    first = volunteer.locator("ul.shifts > li.shift").first
    expect(first.locator("p.ok")).to_have_text(YOU_CLAIMED)
    expect(first).to_contain_text(re.compile("已认领1/3|1 of 3 taken"))
    expect(first.locator('form[action$="/claim"]')).to_have_count(0)
    expect(first.locator('form[action*="/claims/"][action$="/cancel"] button')).to_be_visible()
    expect(first.locator('a[href$="/calendar.ics"]')).to_be_visible()
    # The second shift still offers a place, and the page did not reload.
    expect(shifts.nth(1).locator('form[action$="/claim"] button')).to_be_visible()
    assert_same_document(volunteer)
    assert volunteer.url.endswith(f"/needs/{need_id}")

    # My tasks lists it, and the bell counts the confirmation.
    volunteer.goto("/my/tasks")
    expect(volunteer.locator("main").get_by_role("link", name=title)).to_have_count(1)
    expect(volunteer.locator("main li", has_text=title)).to_contain_text(
        shown(first_day, "10:00–12:00")
    )
    expect(volunteer.locator("#bell .badge")).to_have_text(str(bell_before + 1))
    volunteer_log.assert_clean()

    # The admin sees who claimed, with the phone number.
    admin.goto(f"/manage/needs/{need_id}")
    first_roster = admin.locator("section.roster").first
    row = first_roster.locator("table.claimants tbody tr", has_text=ZHANG[2])
    expect(row).to_have_count(1)
    expect(row.locator(f'a[href="tel:{ZHANG[0]}"]')).to_have_text(ZHANG[0])
    expect(admin.locator("section.roster").nth(1)).not_to_contain_text(ZHANG[2])
    browser_log.assert_clean()


def test_inline_validation_marks_a_bad_shift_as_you_type(page, browser_log):
    log_in(page, *JINYE_ADMIN)
    page.goto("/manage/needs/new")
    editor_url = page.url
    mark_document(page)
    ends_error = page.locator("#shifts-0-ends_at-error")
    capacity_error = page.locator("#shifts-0-capacity-error")
    expect(ends_error).to_have_text("")
    expect(capacity_error).to_have_text("")

    day = local_day(5)
    page.locator("#shifts-0-starts_at").fill(at(day, "14:00"))
    page.locator("#shifts-0-ends_at").fill(at(day, "13:00"))
    expect(ends_error).to_have_text(re.compile(r"\S"))
    expect(ends_error).to_have_text(re.compile("结束|end", re.IGNORECASE))
    page.locator("#shifts-0-capacity").fill("600")
    expect(capacity_error).to_have_text(re.compile("500"))
    # Nothing was submitted: the same page, with no form-level error.
    assert_same_document(page)
    assert page.url == editor_url
    expect(page.locator("#shifts-0-starts_at-error")).to_have_text("")

    # Putting things right clears the errors, still without submitting.
    page.locator("#shifts-0-ends_at").fill(at(day, "16:00"))
    expect(ends_error).to_have_text("")
    page.locator("#shifts-0-capacity").fill("6")
    expect(capacity_error).to_have_text("")
    assert_same_document(page)
    browser_log.assert_clean()


def three_shifts_then_remove_the_first(page) -> date:
    """On a new need's editor: shifts at 08:00, 10:00 and 12:00, then remove the first."""
    log_in(page, *JINYE_ADMIN)
    page.goto("/manage/needs/new")
    day = local_day(3)
    for index, hour in enumerate((8, 10, 12)):
        if index:
            page.locator("button[name=add_shift]").click()
            expect(page.locator(".shift-row")).to_have_count(index + 1)
            htmx_settled(page)
        fill_shift(page, index, day, f"{hour:02d}:00", f"{hour:02d}:45", index + 2)
    mark_document(page)
    page.locator(".shift-row").first.locator("button[name=remove_shift]").click()
    rows = page.locator(".shift-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("input[type=datetime-local]").first).to_have_value(at(day, "10:00"))
    expect(rows.nth(1).locator("input[type=datetime-local]").first).to_have_value(at(day, "12:00"))
    htmx_settled(page)  # the new rows' inline checks are wired up
    assert_same_document(page)
    return day


def test_removing_a_shift_removes_that_shift(page, browser_log):
    day = three_shifts_then_remove_the_first(page)

    # Remove the 10:00 shift (now the first row): the 12:00 one stays.
    page.locator(".shift-row").first.locator("button[name=remove_shift]").click()
    rows = page.locator(".shift-row")
    expect(rows).to_have_count(1)  # the swap is done: no need to wait for the value
    assert rows.locator("input[type=datetime-local]").first.input_value() == at(day, "12:00")
    assert_same_document(page)
    browser_log.assert_clean()


def test_inline_validation_after_removing_a_shift(page, browser_log):
    day = three_shifts_then_remove_the_first(page)

    # The last row (12:00) gets an end before its start: its own error line says so.
    last = page.locator(".shift-row").last
    ends = last.locator("input[type=datetime-local]").nth(1)
    error_id = ends.get_attribute("id") + "-error"
    with page.expect_response(lambda r: r.url.endswith("/manage/needs/validate")) as checked:
        ends.fill(at(day, "11:00"))
    assert checked.value.status == 200
    expect(page.locator(f"#{error_id}")).to_have_text(re.compile(r"\S"))
    # The 10:00 row is fine and shows no error.
    expect(page.locator(".shift-row").first.locator("p.error").first).to_have_text("")
    assert_same_document(page)
    browser_log.assert_clean()


def test_recurring_shifts_preview_and_add(page, browser_log):
    log_in(page, *JINYE_ADMIN)
    page.goto("/manage/needs/new")
    title, _tag = unique_title("每周助学")
    page.locator("#title").fill(title)
    mark_document(page)

    first_day = local_day(2)
    recurring = page.locator("details.recurring")
    recurring.locator("summary").click()
    recurring.locator("input[name=rec_weekdays][value='1']").check()  # Tuesday
    recurring.locator("input[name=rec_weekdays][value='3']").check()  # Thursday
    page.locator("#rec_start").fill("19:00")
    page.locator("#rec_end").fill("21:00")
    page.locator("#rec_first_day").fill(first_day.isoformat())
    page.locator("#rec_weeks").fill("8")
    page.locator("button[name=preview_recurring]").click()

    dates = page.locator("#recurring-preview ul.dates li")
    expect(dates).to_have_count(16)
    expected = [
        first_day + timedelta(days=offset)
        for offset in range(8 * 7)
        if (first_day + timedelta(days=offset)).weekday() in (1, 3)
    ]
    expect(dates.first).to_contain_text(shown(expected[0]))
    expect(dates.first).to_contain_text("19:00–21:00")
    expect(dates.last).to_contain_text(shown(expected[-1]))
    expect(page.locator(".shift-row")).to_have_count(1)  # only previewed so far

    page.locator("button[name=add_recurring]").click()
    rows = page.locator(".shift-row")
    expect(rows).to_have_count(16)  # the empty starter row was replaced, not kept
    expect(page.locator("#shifts-0-starts_at")).to_have_value(at(expected[0], "19:00"))
    expect(page.locator("#shifts-0-ends_at")).to_have_value(at(expected[0], "21:00"))
    expect(page.locator("#shifts-15-starts_at")).to_have_value(at(expected[-1], "19:00"))
    assert_same_document(page)
    expect(page.locator("#title")).to_have_value(title)
    browser_log.assert_clean()


def test_resident_request_becomes_a_need(page, browser_log, new_page):
    what, _tag = unique_title("帮忙换灯泡")
    where = "金叶小区 7 栋 302"

    # A resident asks for help.
    resident = page
    log_in(resident, *CHEN[:2])
    resident.goto("/requests/new")
    resident.locator("#what").fill(what)
    resident.locator("#details").fill("厨房的灯坏了,够不着。")
    resident.locator("#place").fill(where)
    resident.locator("input[name=urgency][value=high]").check()
    resident.locator("main form button[type=submit]").click()
    expect(resident).to_have_url(re.compile(r"/requests/\d+$"))
    request_url = resident.url
    request_id = int(request_url.rsplit("/", 1)[1])
    expect(resident.locator("h1")).to_contain_text(what)
    expect(resident.locator("h1 .status")).to_have_class(re.compile(r"\bstatus-submitted\b"))
    expect(resident.locator("dl.facts")).to_contain_text(where)
    bell_before = unread(resident)
    browser_log.assert_clean()

    # The community admin turns it into a need.
    admin, admin_log = new_page()
    log_in(admin, *JINYE_ADMIN)
    admin.goto("/requests/review")
    admin.locator("main").get_by_role("link", name=what).click()
    expect(admin).to_have_url(re.compile(rf"/requests/{request_id}$"))
    admin.locator('a[href*="/manage/needs/new?request="]').click()
    expect(admin).to_have_url(re.compile(rf"/manage/needs/new\?request={request_id}$"))
    expect(admin.locator("#title")).to_have_value(what)
    expect(admin.locator("#place")).to_have_value(where)
    expect(admin.locator("#description")).to_have_value(re.compile("厨房的灯坏了"))
    expect(admin.locator("#description")).to_have_value(re.compile(CHEN[2]))
    admin.locator("#category_id").select_option(label=CATEGORY)
    fill_shift(admin, 0, local_day(6), "15:00", "16:00", 1)
    admin.locator(SAVE).click()
    expect(admin).to_have_url(re.compile(r"/manage/needs/\d+$"))
    expect(admin.locator("h1")).to_contain_text(what)
    expect(admin.locator(f'a[href$="/requests/{request_id}"]')).to_be_visible()
    # The request has left the review queue.
    admin.goto("/requests/review")
    expect(admin.locator("main").get_by_role("link", name=what)).to_have_count(0)
    admin_log.assert_clean()

    # The resident sees the request accepted, and is notified.
    resident.goto(request_url)
    expect(resident.locator("h1 .status")).to_have_class(re.compile(r"\bstatus-accepted\b"))
    expect(resident.locator("dl.facts").get_by_role("link", name=what)).to_be_visible()
    expect(resident.locator("#bell .badge")).to_have_text(str(bell_before + 1))
    browser_log.assert_clean()


def test_full_shift_offers_the_waiting_list(page, browser_log, new_page):
    title, _tag = unique_title("代取快递")
    day = local_day(5)

    admin = page
    log_in(admin, *JINYE_ADMIN)
    need_id = post_need(admin, title, day, "15:00", "17:00", capacity=1)
    browser_log.assert_clean()

    # The second volunteer opens the need while the place is still free ...
    second, second_log = new_page()
    log_in(second, *CHEN[:2])
    second.goto(f"/needs/{need_id}")
    claim = second.locator('li.shift form[action$="/claim"] button')
    expect(claim).to_have_text(CLAIM_A_PLACE)

    # ... and meanwhile the first takes it.
    first, first_log = new_page()
    log_in(first, *ZHANG[:2])
    first.goto(f"/needs/{need_id}")
    first.locator('form[action$="/claim"] button').click()
    expect(first.locator("li.shift p.ok")).to_have_text(YOU_CLAIMED)
    first_log.assert_clean()

    # The second's claim is refused in place, with the waiting list on offer.
    mark_document(second)
    with second.expect_response(lambda r: r.url.endswith("/claim")) as refused:
        claim.click()
    assert refused.value.status == 422
    shift = second.locator("li.shift")
    expect(shift.locator("[role=alert]")).to_have_text(
        re.compile("候补|waiting list", re.IGNORECASE)
    )
    expect(shift).to_contain_text(re.compile("已满|Full"))
    join = shift.locator('form[action$="/claim"] button')
    expect(join).to_have_text(JOIN_WAITING_LIST)
    expect(shift.locator("input[name=waitlist]")).to_have_value("1")
    assert_same_document(second)

    # A fresh look at the page offers the same.
    second.reload()
    expect(second.locator("li.shift [role=alert]")).to_have_count(0)
    join = second.locator('li.shift form[action$="/claim"] button')
    expect(join).to_have_text(JOIN_WAITING_LIST)
    mark_document(second)
    join.click()
    expect(second.locator("li.shift p.ok")).to_have_text(YOU_WAIT)
    expect(second.locator('li.shift form[action$="/cancel"] button')).to_be_visible()
    assert_same_document(second)

    second.goto("/my/tasks")
    entry = second.locator("main li", has=second.locator(".badge.wide")).filter(has_text=title)
    expect(entry).to_have_count(1)
    expect(entry.locator(".badge")).to_have_text(re.compile(r"候补第1位|Number 1 in line"))
    # It is not among the claimed shifts coming up.
    expect(second.locator("main section").first.get_by_role("link", name=title)).to_have_count(0)
    second_log.assert_clean(allow_statuses=(422,))

    # The admin's roster shows one claimant and one waiting.
    admin.goto(f"/manage/needs/{need_id}")
    roster = admin.locator("section.roster table.claimants tbody")
    expect(roster.locator("tr.confirmed")).to_contain_text(ZHANG[2])
    expect(roster.locator("tr.waitlisted")).to_contain_text(CHEN[2])
    browser_log.assert_clean()
