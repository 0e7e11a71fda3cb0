import re

import pytest
from sqlalchemy import func, select

from govhub.accounts.models import User
from govhub.extensions import db
from govhub.security import CONTENT_SECURITY_POLICY, safe_next
from tests.factories import make_tree, registration_form

CSRF_MESSAGE = "表单已过期或来源有误，请刷新页面后重试。"


def csrf_token_from(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_every_post_endpoint_refuses_a_missing_csrf_token(app, client):
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    assert len(posts) >= 10
    for rule in posts:
        url = re.sub(r"<any\(([^,)]+)[^)]*\):\w+>", r"\1", rule.rule)  # first choice
        url = re.sub(r"<(int:)?\w+>", "1", url)
        response = client.post(url, data={"locale": "en"})
        assert response.status_code == 400, url
        assert CSRF_MESSAGE in response.get_data(as_text=True), url


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_forged_csrf_token_writes_nothing(app, client):
    tree = make_tree()
    client.get("/register")
    response = client.post(
        "/register",
        data=registration_form(tree, csrf_token="forged." + "x" * 40, name="伪造"),
    )
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_htmx_requests_carry_the_token_in_a_header(app, client):
    page = client.get("/").get_data(as_text=True)
    header_token = re.search(r'data-hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    response = client.post(
        "/preferences/language",
        data={"locale": "en"},
        headers={"X-CSRFToken": header_token, "HX-Request": "true"},
    )
    assert response.status_code == 303
    response = client.post(
        "/preferences/language",
        data={"locale": "en"},
        headers={"X-CSRFToken": "garbage", "HX-Request": "true"},
    )
    assert response.status_code == 400
    # An htmx request gets its error where the page shows messages.
    assert response.headers["HX-Retarget"] == "#messages"


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_form_token_is_accepted(app, client):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/preferences/language", data={"locale": "en", "csrf_token": token})
    assert response.status_code == 303


def test_security_headers_on_every_response(app, client):
    for url in ("/", "/login", "/no-such-page", "/static/css/app.css"):
        headers = client.get(url).headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY


def test_no_inline_script_or_style_in_pages(app, client, auth):
    """The CSP forbids them, so a page that used one would break in the browser."""
    pages = [
        client.get(url).get_data(as_text=True)
        for url in ("/", "/login", "/register", "/partners/apply")
    ]
    for page in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)", page)
        assert " style=" not in page and "<style" not in page
        assert "hx-on" not in page and "onclick=" not in page


def test_session_cookies_are_httponly_and_samesite(app, client, auth):
    tree = make_tree()
    from tests.factories import make_user

    user = make_user(tree)
    response = auth.login(user.phone, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("session", "remember_token"):
        cookie = next(c for c in cookies if c.startswith(name + "="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
        assert "Secure" not in cookie  # development over plain HTTP


@pytest.mark.app_config(ENV="production", BASE_URL="https://govhub.example.cn")
def test_production_cookies_are_secure(app, client):
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    response = client.post("/preferences/language", data={"locale": "en"})
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in response.headers


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/needs?x=1", "/needs?x=1"),
        ("/", "/"),
        ("https://evil.example/", None),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("\\\\evil.example", None),
        ("javascript:alert(1)", None),
        ("/ok\r\nSet-Cookie: x=1", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected
