"""扫一扫: the camera page, and the endpoint that decides which scanned texts it opens.

The browser side (the camera, decoding) is in tests/browser/test_scan.py; here is what
the server decides: a govhub code is followed, anything else is refused with a message.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from markupsafe import escape
from sqlalchemy import select

from govhub import tokens
from govhub.checkin import services as checkin
from govhub.checkin.models import Attendance
from govhub.checkin.views import scan_url
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import claims
from govhub.needs.models import Shift
from govhub.tokens import Purpose
from tests.factories import PASSWORD, make_admin, make_need, make_tree, make_user

JSON = {"Accept": "application/json"}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def follow(client, text: str, **kwargs):
    return client.get("/scan/follow?u=" + quote(text, safe=""), **kwargs)


@pytest.fixture
def running(app):
    """A shift running now (started 10 minutes ago) with one claimant, and its code."""
    tree = make_tree()
    admin = make_admin(tree)
    now = utcnow()
    need = make_need(tree, admin=admin, now=now - timedelta(hours=1), title="楼道清洁")
    shift = need.shifts[0]
    volunteer = make_user(tree, name="张晓明")
    claims.claim_shift(volunteer.id, shift.id, now=now - timedelta(hours=1))
    db.session.execute(
        db.update(Shift)
        .where(Shift.id == shift.id)
        .values(starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(minutes=110))
    )
    db.session.commit()
    token = tokens.shift_token(shift.id, Purpose.check_in, now)
    with app.test_request_context():
        url = scan_url(shift.id, Purpose.check_in, token)
    return shift.id, volunteer, url


# --- The page ------------------------------------------------------------------------


def test_the_scan_page_asks_an_anonymous_visitor_to_log_in(client):
    response = client.get("/scan")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fscan"


def test_a_volunteer_gets_the_camera_page_with_its_fallback_and_the_paste_form(client, auth):
    volunteer = make_user(make_tree(), name="张晓明")
    auth.login(volunteer.phone)
    response = client.get("/scan")
    assert response.status_code == 200
    page = text_of(response)
    assert "<h1>扫一扫</h1>" in page
    assert "<video" in page and 'data-follow-url="/scan/follow"' in page
    # Without JavaScript the start button stays hidden, the fallback shows.
    assert 'class="button primary scanner-start" hidden' in page
    assert "手机自带的相机或微信「扫一扫」扫码" in page
    assert '<form method="get" action="/scan/follow"' in page and 'name="u"' in page
    assert "vendor/jsQR-1.4.0.js" in page and "js/scan.js" in page


def test_my_tasks_leads_to_the_scanner(client, auth):
    auth.login(make_user(make_tree()).phone)
    page = text_of(client.get("/my/tasks"))
    assert 'class="scan-entry" href="/scan"' in page
    assert "扫活动现场的签到码" in page


# --- Following a code ----------------------------------------------------------------


def test_a_check_in_code_read_by_the_scanner_checks_in_through_the_login(running, client):
    """Followed while not logged in (a session that ended), the code is kept through the
    login and the check-in is recorded, as when a phone's own camera opens it."""
    shift_id, volunteer, url = running
    assert url.startswith("http://localhost/s/")
    response = follow(client, url)
    assert response.status_code == 303
    assert response.headers["Location"] == url.removeprefix("http://localhost")
    response = client.get(response.headers["Location"])
    assert response.headers["Location"] == "/login?next=/s/confirm"
    response = client.post(
        "/login", data={"phone": volunteer.phone, "password": PASSWORD, "next": "/s/confirm"}
    )
    assert response.headers["Location"] == "/s/confirm"
    assert "楼道清洁" in text_of(client.get("/s/confirm"))
    assert "签到成功" in text_of(client.post("/s/confirm"))
    assert checkin.attendance_of(shift_id, volunteer.id) is not None


def test_the_scanner_script_gets_the_verdict_without_leaving_the_page(running, client, auth):
    shift_id, volunteer, url = running
    auth.login(volunteer.phone)
    response = follow(client, url, headers=JSON)
    assert response.status_code == 200
    assert response.json == {"url": url.removeprefix("http://localhost")}
    # Asking does not open the code: nothing is recorded until the page goes there.
    assert db.session.scalars(select(Attendance)).all() == []
    refused = follow(client, "https://evil.example/s/1/in/abc", headers=JSON)
    assert refused.status_code == 200
    assert refused.json == {"refused": "这个二维码来自其他网站。这里只打开本平台的二维码。"}
    assert "Accept" in refused.headers["Vary"]


def _card(app):
    return "http://localhost/card/" + tokens.card_token(7, 1)


def _voucher(app):
    return "http://localhost/v/" + tokens.voucher_token(12)


def _record(app):
    return "http://localhost/records/verify/" + tokens.record_token(3)


def _check_out(app):
    return f"http://localhost/s/5/out/{tokens.shift_token(5, Purpose.check_out, utcnow())}"


@pytest.mark.parametrize(
    "make_url",
    [_check_out, _card, _voucher, _record],
    ids=["check-out", "card", "voucher", "record"],
)
def test_each_kind_of_govhub_code_is_followed(app, client, make_url):
    url = make_url(app)
    response = follow(client, url)
    assert response.status_code == 303
    assert response.headers["Location"] == url.removeprefix("http://localhost")


@pytest.mark.app_config(BASE_URL="https://govhub.example.cn/gh")
def test_codes_of_the_configured_address_are_followed_as_well_as_this_hosts(app, client):
    token = tokens.card_token(7, 1)
    for url in (
        f"https://govhub.example.cn/gh/card/{token}",
        f"HTTPS://GOVHUB.EXAMPLE.CN/gh/card/{token}",
        f"http://localhost/card/{token}",
        f"/card/{token}",
    ):
        response = follow(client, url)
        assert response.status_code == 303, url
        assert response.headers["Location"] == f"/card/{token}"
    # The configured address without its path is not govhub.
    response = follow(client, f"https://govhub.example.cn/card/{token}")
    assert response.status_code == 422
    assert "这个链接不是签到码、志愿者卡或兑换券" in text_of(response)


OTHER_SITE = "这个二维码来自其他网站。这里只打开本平台的二维码。"
NOT_A_LINK = "这不是本平台的二维码。请扫签到码、志愿者卡或兑换券。"
NOT_A_CODE = "这个链接不是签到码、志愿者卡或兑换券，这里不会打开。"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("https://evil.example/s/1/in/abc", OTHER_SITE),
        ("http://localhost.evil.example/card/abc", OTHER_SITE),
        ("http://localhost@evil.example/card/abc", OTHER_SITE),
        ("//evil.example/card/abc", NOT_A_LINK),
        ("///evil.example/card/abc", NOT_A_CODE),
        ("/\\evil.example/card/abc", NOT_A_LINK),
        ("javascript:alert(document.cookie)", NOT_A_LINK),
        ("data:text/html,<script>alert(1)</script>", NOT_A_LINK),
        ("ftp://localhost/card/abc", NOT_A_LINK),
        ("http://[::1/card/abc", NOT_A_LINK),
        ("志愿者张晓明 13800000010", NOT_A_LINK),
        ("http://localhost/needs", NOT_A_CODE),
        ("http://localhost/", NOT_A_CODE),
        ("http://localhost/scan/follow?u=/card/abc", NOT_A_CODE),
        ("http://localhost/s/1/in", NOT_A_CODE),
        ("http://localhost/s/1/sideways/abc", NOT_A_CODE),
        ("http://localhost/s/99999999999/in/abc", NOT_A_CODE),
        ("http://localhost/card/abc/in", NOT_A_CODE),
        ("http://localhost/card/a\u202eb\x07c", NOT_A_LINK),
        ("http://localhost/card/a%00b", NOT_A_LINK),
        ("http://localhost/card/a%E2%80%AEb", NOT_A_LINK),
        ("http://localhost/card/" + "x" * 3000, NOT_A_LINK),
        ("   ", "请扫二维码，或者输入、粘贴二维码里的链接。"),
    ],
)
def test_anything_else_is_refused_at_the_field_with_the_text_kept(client, text, message):
    response = follow(client, text)
    assert response.status_code == 422
    page = text_of(response)
    assert f'<p class="error" id="scan-code-error">{message}</p>' in page
    assert 'aria-invalid="true"' in page
    kept = str(escape(text)) if len(text) <= 2048 else ""
    assert f'name="u" value="{kept}"' in page


def test_a_nul_in_the_code_is_a_translated_bad_request(client):
    response = client.get("/scan/follow?u=http://localhost/card/a%00b")
    assert response.status_code == 400
    assert "请求" in text_of(response)
    response = client.get("/scan/follow?u=http://localhost/card/a%00b", headers=JSON)
    assert response.status_code == 400


def test_a_missing_code_is_refused_not_an_error(client):
    response = client.get("/scan/follow")
    assert response.status_code == 422
    assert "请扫二维码，或者输入、粘贴二维码里的链接。" in text_of(response)


def test_the_page_speaks_english_too(client, auth):
    volunteer = make_user(make_tree())
    auth.login(volunteer.phone)
    client.post("/preferences/language", data={"locale": "en", "next": "/scan"})
    page = text_of(client.get("/scan"))
    assert "<h1>Scan a code</h1>" in page
    refused = follow(client, "https://evil.example/", headers=JSON)
    assert refused.json == {
        "refused": "This code is from another website. Only govhub's own codes are opened here."
    }
