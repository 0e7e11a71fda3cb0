"""The attendance page of a large shift: 50 people a page, a status filter with counts, a
search, and a confirm button that confirms the rows shown (issue 16)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from govhub.accounts.models import Role
from govhub.checkin import services
from govhub.checkin.models import Attendance, AttendanceStatus, Evidence
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import claims
from govhub.points import services as points
from govhub.points.models import LedgerEntry
from tests.factories import make_admin, make_need, make_tree, make_user


def ended_shift(capacity: int, checked_in: int, *, absent: int = 0):
    """A shift that ended hours ago: ``checked_in`` claimants scanned in at its start
    (志愿者00, 志愿者01, …), ``absent`` more claimed it and never came (缺席00, …)."""
    tree = make_tree()
    admin = make_admin(tree, name="王书记")
    past = utcnow() - timedelta(days=1)
    shift = make_need(tree, admin=admin, now=past, shifts=((0.5, 2, capacity),)).shifts[0]
    people = []
    for n in range(checked_in):
        person = make_user(tree, name=f"志愿者{n:02d}")
        claims.claim_shift(person.id, shift.id, now=past)
        services.check_in(person.id, shift.id, now=shift.starts_at, evidence=Evidence.code_scan)
        people.append(person)
    for n in range(absent):
        person = make_user(tree, name=f"缺席{n:02d}")
        claims.claim_shift(person.id, shift.id, now=past)
        people.append(person)
    return tree, admin, shift, people


def url(shift, query: str = "") -> str:
    return f"/manage/shifts/{shift.id}/attendance" + (f"?{query}" if query else "")


def shown(page: str) -> list[int]:
    """The volunteers' ids of the rows on the page, in order."""
    return [int(n) for n in re.findall(r'<tr id="volunteer-(\d+)"', page)]


def link(page: str, rel: str) -> str:
    href = re.search(rf'rel="{rel}" href="([^"]+)"', page)
    assert href, f"no {rel} link"
    return html.unescape(href.group(1))


def confirm_form(page: str) -> tuple[str, dict]:
    """The confirm form's address and the fields a browser posts, untouched."""
    action = re.search(r'<form method="post" action="([^"]+)" id="confirm-form"', page)
    assert action
    data: dict = {"attendance": re.findall(r'name="attendance" value="(\d+)"', page)}
    for name, value in re.findall(
        r'name="(minutes-\d+)" inputmode="decimal" value="([^"]*)"', page
    ):
        data[name] = value
    return html.unescape(action.group(1)), data


def same_address(one: str, other: str) -> bool:
    """The same path and the same query arguments, in any order."""
    a, b = urlsplit(one), urlsplit(other)
    return (a.path, parse_qs(a.query)) == (b.path, parse_qs(b.query))


def count_of(page: str, status: str) -> int:
    found = re.search(rf'id="filter-{status}"[^>]*>[^<（]*（(\d+)人）', page)
    assert found, status
    return int(found.group(1))


def status_of(shift, person) -> AttendanceStatus | None:
    attendance = services.attendance_of(shift.id, person.id)
    return attendance.status if attendance else None


def test_fifty_three_people_are_two_pages_and_the_second_shows_the_rest(app, client, auth):
    tree, admin, shift, people = ended_shift(60, 53)
    auth.login(admin.phone)
    first = client.get(url(shift)).text
    assert shown(first) == [p.id for p in people[:50]]  # in the order they claimed
    assert 'rel="prev"' not in first
    second = client.get(link(first, "next")).text
    assert shown(second) == [p.id for p in people[50:]]
    assert 'rel="next"' not in second
    assert count_of(second, "everyone") == 53
    # Back up: the first page again, not a page of its own.
    assert shown(client.get(link(second, "prev")).text) == shown(first)


def test_each_filter_lists_its_people_and_counts_them(app, client, auth):
    tree, admin, shift, people = ended_shift(10, 4, absent=2)
    waiting_a, waiting_b, done, gone, never, marked = people
    services.confirm_shift(
        admin.id,
        shift.id,
        {},
        now=utcnow(),
        attendance_ids=[services.attendance_of(shift.id, done.id).id],
    )
    gone_id = services.attendance_of(shift.id, gone.id).id
    services.confirm_shift(
        admin.id,
        shift.id,
        {gone_id: services.Decision(no_show=True, note="扫码后离开")},
        now=utcnow(),
        attendance_ids=[gone_id],
    )
    services.mark_no_show(admin.id, shift.id, marked.id, "没有来", now=utcnow())
    auth.login(admin.phone)
    expected = {
        "everyone": [waiting_a, waiting_b, done, gone, never, marked],
        "present": [waiting_a, waiting_b],
        "not_arrived": [never],
        "confirmed": [done],
        "no_show": [gone, marked],
    }
    labels = {"everyone": "全部", "present": "待确认", "not_arrived": "未签到"}
    for status, listed in expected.items():
        page = client.get(url(shift, f"status={status}")).text
        assert shown(page) == [p.id for p in listed], status
        for other, its in expected.items():
            assert count_of(page, other) == len(its), (status, other)
        assert f'id="filter-{status}" aria-current="page"' in page
    page = client.get(url(shift)).text
    for status, label in labels.items():
        assert re.search(rf'id="filter-{status}"[^>]*>{label}（', page), label


def test_search_by_name_or_phone_within_the_shift(app, client, auth):
    tree, admin, shift, people = ended_shift(10, 3)
    someone_else = make_user(tree, name="志愿者01号")  # not at this shift
    auth.login(admin.phone)
    assert shown(client.get(url(shift, "q=志愿者01")).text) == [people[1].id]
    assert someone_else.id not in shown(client.get(url(shift, "q=志愿者")).text)
    phone = people[2].phone
    assert shown(client.get(url(shift, f"q={phone[-6:]}")).text) == [people[2].id]
    # The filter and the search together; the filter links keep the search.
    page = client.get(url(shift, "status=confirmed&q=志愿者01")).text
    assert shown(page) == []
    assert "没有符合条件的人" in page
    present = re.search(r'href="([^"]+)"[^>]*id="filter-present"', page)
    assert present and "q=%E5%BF%97%E6%84%BF%E8%80%8501" in present.group(1)


def test_an_overseer_searches_by_name_not_by_the_phones_they_see_masked(app, client, auth):
    tree, admin, shift, people = ended_shift(10, 2)
    overseer = make_admin(tree, Role.oversight_admin, "street", name="街道管理员")
    auth.login(overseer.phone)
    assert shown(client.get(url(shift, "q=志愿者00")).text) == [people[0].id]
    assert shown(client.get(url(shift, f"q={people[0].phone[-6:]}")).text) == []


def test_confirm_confirms_the_rows_of_the_page_and_no_others(app, client, auth):
    tree, admin, shift, people = ended_shift(60, 53)
    auth.login(admin.phone)
    page = client.get(url(shift)).text
    assert "确认50人的时长并发放积分" in page
    action, data = confirm_form(page)
    assert len(data["attendance"]) == 50
    response = client.post(action, data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == url(shift)
    assert [status_of(shift, p) for p in people] == [AttendanceStatus.confirmed] * 50 + [
        AttendanceStatus.present
    ] * 3
    assert points.ledger_sum(people[0].id) > 0 and points.ledger_sum(people[50].id) == 0
    # The first page has nothing left to confirm and says where the others are.
    page = client.get(url(shift)).text
    assert 'id="confirm-hours"' not in page and 'id="all-confirmed"' not in page
    assert "3人等待确认" in page
    second = client.get(link(page, "next")).text
    assert "确认3人的时长并发放积分" in second
    action, data = confirm_form(second)
    client.post(action, data=data)
    assert {status_of(shift, p) for p in people} == {AttendanceStatus.confirmed}
    # Posting the same form again confirms nothing twice.
    client.post(action, data=data)
    assert db.session.scalar(select(db.func.count(Attendance.id))) == 53
    assert 'id="all-confirmed"' in client.get(url(shift)).text


def test_confirming_returns_to_the_same_filter_search_and_page(app, client, auth):
    tree, admin, shift, people = ended_shift(60, 52, absent=1)
    auth.login(admin.phone)
    first = client.get(url(shift, "status=present&q=志愿者")).text
    second_url = link(first, "next")
    assert "status=present" in second_url and "q=" in second_url
    page = client.get(second_url).text
    assert shown(page) == [p.id for p in people[50:52]]
    action, data = confirm_form(page)
    response = client.post(action, data=data)
    assert same_address(response.headers["Location"], second_url)
    assert [status_of(shift, p) for p in people[49:]] == [
        AttendanceStatus.present,
        AttendanceStatus.confirmed,
        AttendanceStatus.confirmed,
        None,
    ]


def test_a_form_naming_no_rows_confirms_nothing(app, client, auth):
    tree, admin, shift, people = ended_shift(10, 2)
    auth.login(admin.phone)
    response = client.post(f"/manage/shifts/{shift.id}/confirm", data={"attendance": ["x", "\x00"]})
    assert response.status_code == 303
    assert {status_of(shift, p) for p in people} == {AttendanceStatus.present}
    assert "本页没有需要确认的人" in client.get(response.headers["Location"]).text


@pytest.mark.parametrize(
    "query",
    [
        "before=abc",
        "before=0.abc",
        "before=1.2.3",
        "after=-1.5",
        "before=0.99999999999999999999999",
        "after=0.2147483648",
        "before=0.%01",
        "status=bogus",
        "status=%E5%85%A8%E9%83%A8",
        "q=%01",
        "q=%E5%BF%97%1B",
        "q=" + "志" * 5000,
    ],
)
def test_hostile_input_shows_the_first_page_of_everyone(app, client, auth, query):
    tree, admin, shift, people = ended_shift(60, 52)
    auth.login(admin.phone)
    response = client.get(url(shift, query))
    assert response.status_code == 200
    assert shown(response.text) == [p.id for p in people[:50]]
    assert 'id="filter-everyone" aria-current="page"' in response.text


@pytest.mark.parametrize("query", ["before=0.%00", "status=%00", "q=%E5%BF%97%00"])
def test_a_nul_in_the_address_is_a_bad_request_not_an_error(app, client, auth, query):
    """The app refuses a NUL in any query string before a view reads it (govhub/errors.py)."""
    tree, admin, shift, people = ended_shift(10, 1)
    auth.login(admin.phone)
    assert client.get(url(shift, query)).status_code == 400


@pytest.mark.parametrize("wildcard", ["%25", "_"])
def test_a_like_wildcard_is_searched_for_not_obeyed(app, client, auth, wildcard):
    tree, admin, shift, people = ended_shift(10, 2)
    auth.login(admin.phone)
    assert shown(client.get(url(shift, f"q={wildcard}")).text) == []


def test_confirm_shift_decides_only_the_ids_given_of_that_shift(app):
    tree, admin, shift, people = ended_shift(10, 3)
    # Another ended shift, earlier the same day (not overlapping: one can claim both).
    other = make_need(tree, admin=admin, now=utcnow() - timedelta(days=1), shifts=((0.2, 2, 5),))
    other_shift = other.shifts[0]
    claims.claim_shift(people[1].id, other_shift.id, now=utcnow() - timedelta(days=1))
    services.check_in(
        people[1].id, other_shift.id, now=other_shift.starts_at, evidence=Evidence.code_scan
    )
    elsewhere = services.attendance_of(other_shift.id, people[1].id)
    first = services.attendance_of(shift.id, people[0].id).id
    ids = [first, elsewhere.id, 0]
    assert services.confirm_shift(admin.id, shift.id, {}, now=utcnow(), attendance_ids=ids) == 1
    assert services.confirm_shift(admin.id, shift.id, {}, now=utcnow(), attendance_ids=ids) == 0
    assert [status_of(shift, p) for p in people] == [
        AttendanceStatus.confirmed,
        AttendanceStatus.present,
        AttendanceStatus.present,
    ]
    assert status_of(other_shift, people[1]) is AttendanceStatus.present
    assert points.ledger_sum(people[0].id) > 0
    entries = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.volunteer_id == people[0].id)
    ).all()
    assert len(entries) == 1  # confirming twice wrote once
