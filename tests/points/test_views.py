"""The points pages as people use them: volunteers see their points, admins adjust and
issue service records, anyone checks a record's QR code, everyone sees the leaderboard."""

import io
import re
from datetime import timedelta

import pytest
import zxingcpp
from flask import url_for
from PIL import Image
from sqlalchemy import select, text

from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import claims
from govhub.points import leaderboard as boards
from govhub.points import records
from govhub.points import services as points
from govhub.points.models import EntryKind, LedgerEntry, ServiceRecord
from govhub.tokens import card_token, record_token
from tests.factories import NOW, PASSWORD, make_admin, make_need, make_tree, make_user, shown_day
from tests.points.helpers import balance, earn, english, entry_count, redeem, serve


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def world(app):
    tree = make_tree()
    people = {
        "tree": tree,
        "admin": make_admin(tree, scope="community_a", name="王书记"),
        "other_admin": make_admin(tree, scope="community_b", name="李主任"),
        "volunteer": make_user(tree, name="张晓明"),
        "other": make_user(tree, name="Other Volunteer"),
    }
    for key in ("admin", "other_admin", "volunteer", "other"):
        english(people[key])
    return people


def issue(world, **kwargs) -> ServiceRecord:
    return records.issue_record(
        world["admin"].id, world["volunteer"].id, key=kwargs.get("key", "e" * 32), now=NOW
    )


# --- My points -----------------------------------------------------------------------


def test_my_points_shows_balance_hours_stars_and_what_each_entry_was_for(world, client, auth):
    volunteer, admin = world["volunteer"], world["admin"]
    serve(world["tree"], volunteer, admin, at=NOW - timedelta(days=3), title="Sweep the park")
    points.adjust(admin.id, volunteer.id, 15, "Brought the tea urn", key="a1")
    auth.login(volunteer.phone)
    response = client.get("/my/points")
    assert response.status_code == 200
    page = text_of(response)
    assert re.search(r'id="balance">\s*35\s*<', page)  # 2 h × 10 + 15
    assert re.search(r'id="total-hours">\s*2\s*<', page)
    assert "☆☆☆☆☆" in page and "No star yet" in page
    assert "98 more hours to the next star" in page
    # The earn entry: the need, the shift's date, the hours and how the check-in was made.
    assert "Sweep the park" in page
    assert shown_day(NOW - timedelta(days=3)) in page
    assert "2 h" in page and "Scanned the code" in page
    # The adjustment: its reason and the admin.
    assert "Brought the tea urn" in page and "By 王书记" in page
    ledger = page[page.index('id="ledger"') :]
    assert ledger.index("Brought the tea urn") < ledger.index("Sweep the park")  # newest first
    assert "+15" in page and "+20" in page


def test_my_points_shows_stars_for_screen_readers(world, client, auth):
    volunteer = world["volunteer"]
    earn(volunteer.id, 10, minutes=300 * 60)
    auth.login(volunteer.phone)
    page = text_of(client.get("/my/points"))
    assert '<span class="stars" aria-hidden="true">★★☆☆☆</span>' in page
    assert "2 stars of 5" in page
    assert "300 more hours to the next star" in page


def test_my_points_lists_upcoming_shifts_and_records(world, client, auth):
    volunteer, admin = world["volunteer"], world["admin"]
    serve(world["tree"], volunteer, admin)
    record = issue(world)
    now = utcnow()
    need = make_need(world["tree"], admin=admin, title="Library reading hour", now=now)
    claims.claim_shift(volunteer.id, need.shifts[0].id, now=now)
    auth.login(volunteer.phone)
    page = text_of(client.get("/my/points"))
    assert "Library reading hour" in page
    assert record.number in page
    assert f"/records/{record.id}" in page


def test_load_more_continues_the_history(world, client, auth):
    volunteer = world["volunteer"]
    for n in range(1, 26):
        earn(volunteer.id, n)
    auth.login(volunteer.phone)
    page = text_of(client.get("/my/points"))
    assert page.count('class="entry"') == points.HISTORY_PAGE_SIZE
    more = re.search(r'data-hx-get="(/my/points\?before=\d+)"', page).group(1)
    response = client.get(more, headers={"HX-Request": "true"})
    fragment = text_of(response)
    assert response.status_code == 200
    assert "Vary" in response.headers and "HX-Request" in response.headers["Vary"]
    assert fragment.lstrip().startswith("<li")
    assert "<html" not in fragment
    assert fragment.count('class="entry"') == 5
    assert ">+1<" in fragment and ">+5<" in fragment and ">+6<" not in fragment
    assert "Load more" not in fragment
    # Without JavaScript the link opens the full page at that point.
    full = text_of(client.get(more))
    assert "<html" in full and full.count('class="entry"') == 5


def test_my_points_needs_a_login(world, client):
    response = client.get("/my/points")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]


# --- Admins: a volunteer's page --------------------------------------------------------


def test_admin_sees_a_volunteers_points_and_history(world, client, auth):
    volunteer = world["volunteer"]
    serve(world["tree"], volunteer, world["admin"], title="Sweep the park")
    auth.login(world["admin"].phone)
    response = client.get(f"/manage/volunteers/{volunteer.id}")
    assert response.status_code == 200
    page = text_of(response)
    assert "张晓明" in page and volunteer.masked_phone in page
    assert re.search(r'id="balance">\s*20\s*<', page)
    assert "Sweep the park" in page
    assert re.search(r'name="key" type="hidden" value="[0-9a-f]{32}"', page)


def test_admin_loads_more_of_a_volunteers_history(world, client, auth):
    volunteer = world["volunteer"]
    for n in range(1, 23):
        earn(volunteer.id, n)
    auth.login(world["admin"].phone)
    page = text_of(client.get(f"/manage/volunteers/{volunteer.id}"))
    more = re.search(rf'data-hx-get="(/manage/volunteers/{volunteer.id}\?before=\d+)"', page).group(
        1
    )
    fragment = text_of(client.get(more, headers={"HX-Request": "true"}))
    assert fragment.count('class="entry"') == 2 and "<html" not in fragment


@pytest.mark.parametrize("who", ["other", "volunteer", "other_admin"])
def test_only_an_admin_of_the_volunteers_community_opens_their_page(world, client, auth, who):
    volunteer = world["volunteer"]
    auth.login(world[who].phone)
    assert client.get(f"/manage/volunteers/{volunteer.id}").status_code == 403
    response = client.post(
        f"/manage/volunteers/{volunteer.id}/adjust",
        data={"amount": "50", "reason": "Sneaky", "key": "d" * 32},
    )
    assert response.status_code == 403
    assert entry_count() == 0
    assert client.get("/manage/volunteers?phone=" + volunteer.phone).status_code == (
        200 if who == "other_admin" else 403
    )


def test_admin_adjusts_points_and_the_volunteer_sees_why(world, client, auth):
    volunteer = world["volunteer"]
    auth.login(world["admin"].phone)
    response = client.post(
        f"/manage/volunteers/{volunteer.id}/adjust",
        data={"amount": "25", "reason": "Organised the book swap", "key": "1" * 32},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/manage/volunteers/{volunteer.id}")
    assert balance(volunteer.id) == 25
    entry = db.session.scalars(select(LedgerEntry)).one()
    assert (entry.kind, entry.actor_id, entry.idempotency_key) == (
        EntryKind.adjust,
        world["admin"].id,
        "adjust:" + "1" * 32,
    )
    auth.logout()
    auth.login(volunteer.phone)
    page = text_of(client.get("/my/points"))
    assert "Organised the book swap" in page and "By 王书记" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "0", "reason": "Nothing"}, "amount", "The amount cannot be zero."),
        ({"amount": "", "reason": "Nothing"}, "amount", "Enter a number of points."),
        ({"amount": "abc", "reason": "Nothing"}, "amount", "integer"),
        ({"amount": "10", "reason": ""}, "reason", "Give a reason for the adjustment."),
        ({"amount": "10", "reason": "x" * 501}, "reason", "At most 500 characters."),
        (
            {"amount": "-11", "reason": "Correction"},
            "amount",
            "The volunteer has only 10 points; a deduction cannot be larger than the balance.",
        ),
    ],
)
def test_adjustment_errors_are_shown_at_the_field(world, client, auth, data, field, message):
    volunteer = world["volunteer"]
    earn(volunteer.id, 10)
    auth.login(world["admin"].phone)
    response = client.post(
        f"/manage/volunteers/{volunteer.id}/adjust", data={**data, "key": "2" * 32}
    )
    assert response.status_code == 422
    page = text_of(response)
    error = re.search(rf'<p class="error" id="{field}-error"[^>]*>(.*?)</p>', page, re.S)
    assert error and message in error.group(1)
    assert 'aria-invalid="true"' in page
    assert f'value="{"2" * 32}"' in page  # the same key: nothing was written
    if data["reason"] and len(data["reason"]) < 100:
        assert data["reason"] in page  # input kept
    assert balance(volunteer.id) == 10
    assert entry_count(volunteer.id) == 1


def test_a_double_submit_with_the_same_key_writes_once(world, client, auth):
    volunteer = world["volunteer"]
    auth.login(world["admin"].phone)
    form = {"amount": "-5", "reason": "Returned a borrowed tool late", "key": "3" * 32}
    earn(volunteer.id, 20)
    first = client.post(f"/manage/volunteers/{volunteer.id}/adjust", data=form)
    second = client.post(f"/manage/volunteers/{volunteer.id}/adjust", data=form)
    assert (first.status_code, second.status_code) == (303, 303)
    assert balance(volunteer.id) == 15
    assert entry_count(volunteer.id) == 2  # the earn and one adjustment
    # The same key with another amount (the form edited after sending) is refused.
    response = client.post(
        f"/manage/volunteers/{volunteer.id}/adjust", data={**form, "amount": "-6"}
    )
    assert response.status_code == 422
    assert "already used" in text_of(response)
    assert f'value="{"3" * 32}"' not in text_of(response)  # a fresh key to send again
    assert balance(volunteer.id) == 15


def test_a_form_without_a_valid_key_is_refused_and_gets_a_new_one(world, client, auth):
    volunteer = world["volunteer"]
    auth.login(world["admin"].phone)
    response = client.post(
        f"/manage/volunteers/{volunteer.id}/adjust", data={"amount": "5", "reason": "Thanks"}
    )
    assert response.status_code == 422
    assert "out of date" in text_of(response)
    assert re.search(r'name="key" type="hidden" value="[0-9a-f]{32}"', text_of(response))
    assert entry_count() == 0


def test_find_a_volunteer_by_phone_in_the_admins_communities(world, client, auth):
    volunteer = world["volunteer"]
    outsider = make_user(world["tree"], community="community_b", grid="grid_b1", name="Outsider")
    auth.login(world["admin"].phone)
    page = text_of(client.get("/manage/volunteers", query_string={"phone": volunteer.phone}))
    assert "张晓明" in page
    assert f"/manage/volunteers/{volunteer.id}" in page
    page = text_of(client.get("/manage/volunteers", query_string={"phone": volunteer.phone[-4:]}))
    assert "张晓明" in page
    page = text_of(client.get("/manage/volunteers", query_string={"phone": outsider.phone}))
    assert "Outsider" not in page
    assert "No volunteer in your communities has this number." in page
    page = text_of(client.get("/manage/volunteers"))
    assert 'name="phone"' in page and "No volunteer" not in page
    response = client.get("/manage/volunteers", query_string={"phone": "12"})
    assert 'id="phone-error"' in text_of(response) and "at least its last 4" in text_of(response)


# --- Service records -----------------------------------------------------------------


def test_admin_issues_a_record_once_per_form(world, client, auth):
    volunteer = world["volunteer"]
    serve(world["tree"], volunteer, world["admin"])
    auth.login(world["admin"].phone)
    form = {"issue-key": "4" * 32}
    first = client.post(f"/manage/volunteers/{volunteer.id}/records", data=form)
    second = client.post(f"/manage/volunteers/{volunteer.id}/records", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    record = db.session.scalars(select(ServiceRecord)).one()
    assert first.headers["Location"].endswith(f"/records/{record.id}")


def test_no_record_without_confirmed_service_says_why(world, client, auth):
    volunteer = world["volunteer"]
    auth.login(world["admin"].phone)
    response = client.post(
        f"/manage/volunteers/{volunteer.id}/records", data={"issue-key": "5" * 32}
    )
    assert response.status_code == 422
    assert "no confirmed service" in text_of(response)
    assert db.session.scalar(select(ServiceRecord)) is None


def test_the_record_page_lists_the_service_and_masks_the_phone(world, client, auth):
    volunteer = world["volunteer"]
    serve(world["tree"], volunteer, world["admin"], at=NOW - timedelta(days=9), title="Sweep")
    serve(world["tree"], volunteer, world["admin"], at=NOW - timedelta(days=2), hours=3)
    record = issue(world)
    for who in ("volunteer", "admin"):
        auth.login(world[who].phone)
        response = client.get(f"/records/{record.id}")
        assert response.status_code == 200
        page = text_of(response)
        assert record.number in page
        assert "张晓明" in page
        assert volunteer.masked_phone in page
        assert volunteer.phone not in page
        assert "Sweep" in page and "Visit lonely elders" in page
        assert shown_day(NOW - timedelta(days=9)) in page
        assert "Alpha Community" in page and "王书记" in page
        assert "Scanned the code" in page
        assert re.search(r'id="record-total">\s*5 h\s*<', page)
        assert f"/records/{record.id}/qr.png" in page
        assert "@media print" not in page  # the print styles live in the stylesheet
        auth.logout()


@pytest.mark.parametrize("who", ["other", "other_admin"])
def test_others_cannot_see_a_record(world, client, auth, who):
    serve(world["tree"], world["volunteer"], world["admin"])
    record = issue(world)
    auth.login(world[who].phone)
    assert client.get(f"/records/{record.id}").status_code == 403
    assert client.get(f"/records/{record.id}/qr.png").status_code == 403


def test_the_qr_code_decodes_to_the_public_verify_page(world, client, auth):
    serve(world["tree"], world["volunteer"], world["admin"])
    record = issue(world)
    auth.login(world["volunteer"].phone)
    response = client.get(f"/records/{record.id}/qr.png")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.data)))[0].text
    with client.application.test_request_context():
        expected = url_for("points.verify_record", token=record_token(record.id), _external=True)
    assert decoded == expected
    assert f"/records/verify/{record_token(record.id)}" in decoded


def test_the_verify_page_confirms_only_four_facts(world, client):
    volunteer = world["volunteer"]
    serve(world["tree"], volunteer, world["admin"], title="Sweep the park", hours=3)
    record = issue(world)
    response = client.get(f"/records/verify/{record_token(record.id)}")  # not logged in
    assert response.status_code == 200
    page = text_of(response)  # a visitor sees the default language, Chinese
    assert "张晓明" in page
    assert record.number in page
    assert "3小时" in page
    assert shown_day(record.issued_at, "zh") in page
    assert volunteer.phone not in page and volunteer.masked_phone not in page
    assert "Sweep the park" not in page  # no activities
    assert "Alpha Community" not in page and "王书记" not in page


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "MQ.forged-signature-aaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "altered",  # a real token with one character changed
        "card",  # a token of another kind, validly signed
        "missing",  # a genuine token for a record that does not exist
    ],
)
def test_a_forged_or_altered_code_gets_an_explanation_not_an_error(world, client, token):
    serve(world["tree"], world["volunteer"], world["admin"])
    record = issue(world)
    real = record_token(record.id)
    token = {
        "altered": real[:-3] + ("AAA" if not real.endswith("AAA") else "BBB"),
        "card": card_token(world["volunteer"].id, 1),
        "missing": record_token(record.id + 1000),
    }.get(token, token)
    response = client.get(f"/records/verify/{token}")
    assert response.status_code == 404
    page = text_of(response)
    # Visitors see Chinese by default: the page explains itself in the visitor's language.
    assert "<h1>" in page and "张晓明" not in page and record.number not in page
    client.post("/preferences/language", data={"locale": "en"})
    page = text_of(client.get(f"/records/verify/{token}"))
    assert "This record cannot be confirmed" in page
    # The same problem page as a bad check-in code or voucher link.
    assert '<section class="card scan-result problem">' in page


# --- Leaderboard ---------------------------------------------------------------------


def test_the_leaderboard_ranks_by_hours_and_by_points_earned(world, client, auth):
    tree, volunteer = world["tree"], world["volunteer"]
    now = utcnow()
    year_start = boards.period_start(boards.Period.year, now)
    month_start = boards.period_start(boards.Period.month, now)
    spender = make_user(tree, name="Spender")
    veteran = make_user(tree, name="Veteran")
    earn(volunteer.id, 40, minutes=240, now=now)
    earn(spender.id, 100, minutes=60, now=now)
    redeem(spender.id, 95, now=now)  # spent: earned rank kept
    earn(veteran.id, 500, minutes=3000, now=year_start - timedelta(days=1))
    if month_start > year_start:
        earn(veteran.id, 10, minutes=30, now=month_start - timedelta(hours=1))

    auth.login(volunteer.phone)

    def names(**args):
        page = text_of(client.get("/leaderboard", query_string=args))
        table = page[page.index("<tbody>") : page.index("</tbody>")] if "<tbody>" in page else ""
        return re.findall(r"<td[^>]*>\d+</td><td[^>]*>([^<]+?)\s*(?:<|$)", table), page

    ranked, page = names(period="month", by="hours")
    assert ranked == ["张晓明", "Spender"]
    assert "You are number 1 of 2, with 4 h." in page
    ranked, page = names(period="month", by="points")
    assert ranked == ["Spender", "张晓明"]
    assert "You are number 2 of 2, with 40 points." in page
    ranked, _ = names(period="year", by="points")
    assert ranked == (
        ["Spender", "张晓明", "Veteran"] if month_start > year_start else ["Spender", "张晓明"]
    )
    ranked, page = names(period="all", by="hours")
    assert ranked == ["Veteran", "张晓明", "Spender"]
    assert "You are number 2 of 3, with 4 h." in page
    ranked, _ = names(period="all", by="points")
    assert ranked == ["Veteran", "Spender", "张晓明"]
    # The filters are links that keep the others.
    assert 'href="/leaderboard?scope=street&amp;period=all&amp;by=hours"' in page
    assert 'href="/leaderboard?scope=community&amp;period=all&amp;by=points"' in page


def test_the_viewer_sees_their_own_rank_below_the_top_twenty(world, client, auth):
    tree, volunteer = world["tree"], world["volunteer"]
    now = utcnow()
    for n in range(21):
        earn(make_user(tree, name=f"Helper {n:02d}").id, 100 + n, now=now)
    earn(volunteer.id, 5, now=now)
    auth.login(volunteer.phone)
    page = text_of(client.get("/leaderboard?scope=community&period=month&by=points"))
    assert page.count("<tr>") + page.count('<tr class="me"') == 21  # the header + top 20
    assert "Helper 20" in page and "Helper 00" not in page
    assert "张晓明" not in page[page.index("<tbody>") : page.index("</tbody>")]
    assert "You are number 22 of 22, with 5 points." in page


def test_the_street_board_includes_the_neighbouring_community(world, client, auth):
    tree, volunteer = world["tree"], world["volunteer"]
    neighbour = make_user(tree, community="community_b", grid="grid_b1", name="Neighbour")
    far = make_user(tree, community="community_c", grid=None, name="Faraway")
    now = utcnow()
    for person, amount in ((volunteer, 10), (neighbour, 20), (far, 30)):
        earn(person.id, amount, minutes=amount * 6, now=now)
    auth.login(volunteer.phone)
    page = text_of(client.get("/leaderboard?scope=street&period=all&by=points"))
    assert "Neighbour" in page and "Faraway" not in page and "North Street" in page
    page = text_of(client.get("/leaderboard?scope=community&period=all&by=points"))
    assert "Neighbour" not in page and "Alpha Community" in page


def test_leaderboard_tabs_swap_the_board_with_htmx(world, client, auth):
    auth.login(world["volunteer"].phone)
    response = client.get("/leaderboard?period=year", headers={"HX-Request": "true"})
    fragment = text_of(response)
    assert fragment.lstrip().startswith('<section id="leaderboard"')
    assert "HX-Request" in response.headers["Vary"]
    assert 'aria-current="page">This year<' in fragment
    # Unknown filters fall back to the defaults instead of failing.
    assert client.get("/leaderboard?scope=galaxy&period=x&by=y").status_code == 200


# --- Ledger audit --------------------------------------------------------------------


def test_admins_see_the_ledger_audit_and_its_mismatches(world, client, auth):
    volunteer = world["volunteer"]
    earn(volunteer.id, 30)
    db.session.execute(
        text("UPDATE points_account SET balance = 99 WHERE volunteer_id = :id"),
        {"id": volunteer.id},
    )
    db.session.commit()
    points.audit_ledger(now=NOW)
    auth.login(world["admin"].phone)
    page = text_of(client.get("/manage/ledger-audit"))
    assert "1 mismatch" in page
    assert f"/manage/volunteers/{volunteer.id}" in page and "张晓明" in page
    assert ">99<" in page and ">30<" in page
    auth.logout()
    auth.login(world["other_admin"].phone)
    page = text_of(client.get("/manage/ledger-audit"))
    assert "1 mismatch" in page and "张晓明" not in page  # outside their area
    auth.logout()
    auth.login(volunteer.phone)
    assert client.get("/manage/ledger-audit").status_code == 403


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_both_forms_on_the_volunteer_page_work_with_csrf(world, client, auth):
    volunteer = world["volunteer"]
    serve(world["tree"], volunteer, world["admin"])
    login_page = text_of(client.get("/login"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    client.post(
        "/login",
        data={"phone": world["admin"].phone, "password": PASSWORD, "csrf_token": token},
    )
    page = text_of(client.get(f"/manage/volunteers/{volunteer.id}"))
    assert page.count('id="csrf_token"') <= 1  # no duplicate ids between the two forms
    adjust_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    issue_token = re.search(r'name="issue-csrf_token" type="hidden" value="([^"]+)"', page)
    adjust_key = re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1)
    issue_key = re.search(r'name="issue-key" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        f"/manage/volunteers/{volunteer.id}/adjust",
        data={
            "csrf_token": adjust_token.group(1),
            "key": adjust_key,
            "amount": "3",
            "reason": "Thanks",
        },
    )
    assert response.status_code == 303
    response = client.post(
        f"/manage/volunteers/{volunteer.id}/records",
        data={"issue-csrf_token": issue_token.group(1), "issue-key": issue_key},
    )
    assert response.status_code == 303
    assert balance(volunteer.id) == 23
    assert db.session.scalar(select(ServiceRecord.id)) is not None


@pytest.mark.app_config(BASE_URL="https://govhub.example.cn/city")
def test_record_qr_code_uses_the_configured_address_not_a_forged_host(world, client):
    serve(world["tree"], world["volunteer"], world["admin"])
    record = issue(world)
    forged = "http://evil.example"  # what a client sends in its Host header
    login = {"phone": world["volunteer"].phone, "password": PASSWORD}
    assert client.post("/login", data=login, base_url=forged).status_code == 303
    response = client.get(f"/records/{record.id}/qr.png", base_url=forged)
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.data)))[0].text
    assert decoded == f"https://govhub.example.cn/city/records/verify/{record_token(record.id)}"
