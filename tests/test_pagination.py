"""Keyset paging (govhub/pagination.py) and the lists paged with it."""

import re

import pytest
from sqlalchemy import select

from govhub.audit import services as audit
from govhub.audit.models import AuditEvent
from govhub.extensions import db
from govhub.notifications import services as notifications
from govhub.notifications.kinds import NotificationKind
from govhub.pagination import Cursor, keyset_page, parse_cursor
from tests.factories import make_tree, make_user
from tests.points.helpers import earn


def text_of(response) -> str:
    return response.get_data(as_text=True)


def link(page: str, param: str) -> str | None:
    found = re.search(rf'href="([^"]*[?&](?:amp;)?{param}=[^"]*)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("12", (12,)),
        ("0012", (12,)),
        ("", None),
        (None, None),
        ("x", None),
        ("-1", None),
        ("1.5", None),
        ("2147483648", None),
        ("²", None),
        ("12 ", None),
    ],
)
def test_cursors_from_the_url_are_parsed_safely(value, key):
    assert parse_cursor(value) == key


def test_two_key_cursor_needs_both_numbers():
    assert parse_cursor("3.41", 2) == (3, 41)
    assert parse_cursor("3", 2) is None


def test_keyset_pages_walk_a_two_key_order_down_and_back_up(app):
    # 7 events over 3 targets: ordered by (target_id, id), 3 a page.
    for target in (2, 1, 3, 1, 2, 3, 1):
        audit.record(None, "paging.two", "thing", target)
    db.session.commit()
    query = select(AuditEvent).where(AuditEvent.action == "paging.two")
    columns = [AuditEvent.target_id, AuditEvent.id]
    expected = [e.id for e in db.session.scalars(query.order_by(*columns))]

    def page(cursor):
        return keyset_page(query, columns, cursor, descending=False, limit=3)

    pages = [page(None)]
    while pages[-1].older:
        pages.append(page(Cursor(parse_cursor(pages[-1].older, 2))))
    assert [[e.id for e in p.items] for p in pages] == [expected[:3], expected[3:6], expected[6:]]
    assert [p.newer is not None for p in pages] == [False, True, True]
    # Back up from the last page gives the middle page again, then the first.
    middle = page(Cursor(parse_cursor(pages[-1].newer, 2), down=False))
    assert [e.id for e in middle.items] == expected[3:6]
    assert middle.older and middle.newer
    first = page(Cursor(parse_cursor(middle.newer, 2), down=False))
    assert [e.id for e in first.items] == expected[:3]
    assert first.newer is None and first.older


def test_a_cursor_past_the_end_offers_the_first_page(app):
    audit.record(None, "paging.end", "thing", 1)
    db.session.commit()
    query = select(AuditEvent).where(AuditEvent.action == "paging.end")
    page = keyset_page(query, [AuditEvent.id], Cursor((1,)), descending=True)
    assert page.items == [] and page.past_the_end and page.older is None


def test_notifications_are_paged_with_older_and_newer_links(app, client, auth):
    user = make_user(make_tree())
    for n in range(notifications.PAGE_SIZE + 1):
        notifications.notify(
            user.id, NotificationKind.need_changed, "need", n, title=f"activity_{n:02d}"
        )
    db.session.commit()
    auth.login(user.phone)
    first = text_of(client.get("/notifications/"))
    assert first.count("activity_") == notifications.PAGE_SIZE and "activity_00" not in first
    assert link(first, "after") is None
    older = text_of(client.get(link(first, "before")))
    assert older.count("activity_") == 1 and "activity_00" in older
    assert link(older, "before") is None
    newer = text_of(client.get(link(older, "after")))
    assert f"activity_{notifications.PAGE_SIZE:02d}" in newer and "activity_00" not in newer


@pytest.mark.parametrize("cursor", ["99999999999999999999", "abc", "-3"])
def test_ledger_load_more_with_a_bad_cursor_shows_the_first_page(app, client, auth, cursor):
    volunteer = make_user(make_tree())
    earn(volunteer.id, 7)
    auth.login(volunteer.phone)
    response = client.get("/my/points", query_string={"before": cursor})
    assert response.status_code == 200
    assert text_of(response).count('class="entry"') == 1
