import re

import pytest
from sqlalchemy import func, select

from govhub.accounts import services
from govhub.accounts.models import User
from govhub.extensions import db
from tests.factories import PASSWORD, make_tree, make_user, next_phone, registration_form


def text_of(response) -> str:
    return response.get_data(as_text=True)


def use_english(client):
    client.post("/preferences/language", data={"locale": "en"})


def test_register_logs_the_volunteer_in(app, client):
    tree = make_tree()
    response = client.post("/register", data=registration_form(tree), follow_redirects=True)
    assert response.status_code == 200
    assert "王小红，您好" in text_of(response)
    assert "退出登录" in text_of(client.get("/account/profile"))  # log out is on 我的


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"phone": "12345"}, "请输入以1开头的11位手机号。"),
        ({"password": "abc", "confirm": "abc"}, "至少需要8个字符。"),
        ({"confirm": "walk-cat-2026"}, "两次输入的密码不一致。"),
        ({"grid_id": ""}, None),
        ({"community_id": ""}, None),
    ],
)
def test_register_shows_the_error_at_the_field_and_keeps_the_input(app, client, overrides, message):
    tree = make_tree()
    data = registration_form(tree, **overrides)
    response = client.post("/register", data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert 'aria-invalid="true"' in page
    if message:
        assert message in page
    assert 'value="王小红"' in page  # the name typed is kept
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_register_duplicate_phone_is_refused_in_english_too(app, client):
    tree = make_tree()
    user = make_user(tree)
    use_english(client)
    response = client.post("/register", data=registration_form(tree, phone=user.phone))
    assert response.status_code == 422
    assert "This phone number is already registered." in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_register_without_javascript_refreshes_the_place_lists(app, client):
    tree = make_tree()
    data = {"district_id": tree.district, "refresh_places": "1", "name": "王小红"}
    response = client.post("/register", data=data)
    assert response.status_code == 200
    page = text_of(response)
    assert "North Street" in page and "South Street" in page
    assert "aria-invalid" not in page


def test_place_fields_fragment_cascades(app, client):
    tree = make_tree()
    response = client.get(
        f"/places?district_id={tree.district}&street_id={tree.street}",
        headers={"HX-Request": "true"},
    )
    page = text_of(response)
    assert response.status_code == 200
    assert "<html" not in page  # a fragment
    assert "HX-Request" in response.headers["Vary"]
    assert "Alpha Community" in page and "Beta Community" in page
    assert "Gamma Community" not in page  # another street's
    # Changing the district clears a street that is not under it.
    response = client.get(
        f"/places?district_id=999&street_id={tree.street}", headers={"HX-Request": "true"}
    )
    assert "Alpha Community" not in text_of(response)


def test_login_and_logout(app, client, auth):
    tree = make_tree()
    user = make_user(tree, name="赵六")
    response = auth.login(user.phone)
    assert response.status_code == 303
    assert "赵六，您好" in text_of(client.get("/"))
    response = auth.logout()
    assert response.status_code == 303
    assert "赵六" not in text_of(client.get("/"))


def test_wrong_password_is_refused_without_saying_which_part_is_wrong(app, client, auth):
    tree = make_tree()
    user = make_user(tree)
    for phone in (user.phone, "13000000000"):
        response = auth.login(phone, "wrong-pass-9")
        assert response.status_code == 422
        assert "手机号或密码不正确。" in text_of(response)


@pytest.mark.parametrize(
    ("next_value", "expected"),
    [
        ("/account/profile", "/account/profile"),
        ("/account/profile?tab=1", "/account/profile?tab=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("http:/evil.example", "/"),
    ],
)
def test_login_honours_next_only_for_same_site_paths(app, client, next_value, expected):
    tree = make_tree()
    user = make_user(tree)
    response = client.post(
        "/login", data={"phone": user.phone, "password": PASSWORD, "next": next_value}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == expected


def test_protected_page_sends_to_login_and_back(app, client, auth):
    tree = make_tree()
    user = make_user(tree)
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert "/login?next=%2Faccount%2Fprofile" in response.headers["Location"]
    page = text_of(client.get(response.headers["Location"]))
    assert "请先登录。" in page
    assert 'value="/account/profile"' in page
    response = client.post(
        "/login", data={"phone": user.phone, "password": PASSWORD, "next": "/account/profile"}
    )
    assert response.headers["Location"] == "/account/profile"


def _cookie(client, name):
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def test_logout_voids_a_replayed_session_and_remember_cookie(app, client, auth):
    tree = make_tree()
    user = make_user(tree, name="钱七")
    auth.login(user.phone, remember=True)
    old_session, old_remember = _cookie(client, "session"), _cookie(client, "remember_token")
    assert old_session and old_remember
    auth.logout()

    for name, value in (("session", old_session), ("remember_token", old_remember)):
        replay = app.test_client()
        replay.set_cookie(name, value)
        assert "钱七" not in text_of(replay.get("/")), name


def test_remember_me_cookie_logs_in_a_new_browser_session(app, client, auth):
    tree = make_tree()
    user = make_user(tree, name="孙八")
    auth.login(user.phone, remember=True)
    fresh = app.test_client()
    fresh.set_cookie("remember_token", _cookie(client, "remember_token"))
    assert "孙八" in text_of(fresh.get("/"))


def test_changing_password_ends_other_sessions_but_keeps_this_one(app, client, auth):
    tree = make_tree()
    user = make_user(tree, name="周九")
    other_device = app.test_client()
    AuthOther = type(auth)
    AuthOther(other_device).login(user.phone, remember=True)
    auth.login(user.phone)
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "new-pass-2026",
            "confirm": "new-pass-2026",
        },
    )
    assert response.status_code == 303
    assert "周九" in text_of(client.get("/"))
    assert "周九" not in text_of(other_device.get("/"))
    replay = app.test_client()
    replay.set_cookie("remember_token", _cookie(other_device, "remember_token") or "")
    assert "周九" not in text_of(replay.get("/"))


def test_change_password_refuses_a_wrong_current_password(app, client, auth):
    tree = make_tree()
    user = make_user(tree)
    auth.login(user.phone)
    response = client.post(
        "/account/password",
        data={
            "current_password": "nope-nope-1",
            "new_password": "new-pass-2026",
            "confirm": "new-pass-2026",
        },
    )
    assert response.status_code == 422
    assert services.authenticate(user.phone, PASSWORD) is not None


@pytest.mark.app_config(LOGIN_LIMIT_PER_PHONE="3 per 15 minutes")
def test_login_attempts_are_limited_per_phone(app, client):
    tree = make_tree()
    user = make_user(tree)
    use_english(client)
    for _ in range(3):
        assert (
            client.post("/login", data={"phone": user.phone, "password": "bad-pass-1"}).status_code
            == 422
        )
    # Even the right password is refused now, with a clear message rather than an error.
    response = client.post("/login", data={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 429
    assert re.search(r"Too many failed attempts\. Try again in 1[45] minutes\.", text_of(response))
    # Another phone from the same address is not locked out by this limit.
    other = make_user(tree)
    assert (
        client.post("/login", data={"phone": other.phone, "password": PASSWORD}).status_code == 303
    )


@pytest.mark.app_config(LOGIN_LIMIT_PER_ADDRESS="4 per 15 minutes")
def test_login_attempts_are_limited_per_address(app, client):
    tree = make_tree()
    user = make_user(tree)
    for _ in range(4):
        client.post("/login", data={"phone": next_phone(), "password": "bad-pass-1"})
    response = client.post("/login", data={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 429
    assert "失败次数过多" in text_of(response)


def _fail_login(client, forwarded_for: str):
    return client.post(
        "/login",
        data={"phone": next_phone(), "password": "bad-pass-1"},
        headers={"X-Forwarded-For": forwarded_for},
    )


@pytest.mark.app_config(LOGIN_LIMIT_PER_ADDRESS="2 per 15 minutes")
def test_without_a_proxy_x_forwarded_for_is_ignored_by_the_throttle(app, client):
    # A client cannot dodge the limit by sending a new X-Forwarded-For each time.
    assert _fail_login(client, "198.51.100.1").status_code == 422
    assert _fail_login(client, "198.51.100.2").status_code == 422
    assert _fail_login(client, "198.51.100.3").status_code == 429


@pytest.mark.app_config(LOGIN_LIMIT_PER_ADDRESS="2 per 15 minutes", PROXY_COUNT=1)
def test_behind_one_proxy_the_throttle_counts_the_address_the_proxy_saw(app, client):
    # The proxy appends the address it saw; what the client wrote before it is not trusted.
    assert _fail_login(client, "10.9.9.9, 203.0.113.7").status_code == 422
    assert _fail_login(client, "10.1.1.1, 203.0.113.7").status_code == 422
    assert _fail_login(client, "10.2.2.2, 203.0.113.7").status_code == 429
    # Another client behind the same proxy is not locked out.
    assert _fail_login(client, "203.0.113.8").status_code == 422


def test_successful_logins_do_not_count_towards_the_limit(app, client, auth):
    tree = make_tree()
    user = make_user(tree)
    for _ in range(8):
        assert auth.login(user.phone).status_code == 303
        auth.logout()


def test_language_is_kept_in_the_session_for_visitors(app, client):
    assert "登录" in text_of(client.get("/login"))
    response = client.post("/preferences/language", data={"locale": "en", "next": "/login"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    page = text_of(client.get("/login"))
    assert '<html lang="en">' in page
    assert "Log in" in page


def test_language_is_kept_per_user_across_sessions(app, client, auth):
    tree = make_tree()
    user = make_user(tree)
    auth.login(user.phone)
    client.post("/preferences/language", data={"locale": "en"})
    assert db.session.get(User, user.id).locale == "en"
    other = app.test_client()
    other.post("/login", data={"phone": user.phone, "password": PASSWORD})
    assert "Log out" in text_of(other.get("/account/profile"))


def test_language_chosen_before_login_is_saved_on_login(app, client, auth):
    tree = make_tree()
    user = make_user(tree)
    use_english(client)
    auth.login(user.phone)
    assert db.session.get(User, user.id).locale == "en"


def test_unknown_language_is_refused(app, client):
    assert client.post("/preferences/language", data={"locale": "xx"}).status_code == 400


def test_language_switch_does_not_redirect_off_site(app, client):
    response = client.post(
        "/preferences/language", data={"locale": "en", "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"


def test_elder_mode_is_remembered(app, client, auth):
    assert '<body class=""' in text_of(client.get("/"))
    client.post("/preferences/elder-mode", data={"enabled": "1"})
    assert '<body class="elder"' in text_of(client.get("/"))
    tree = make_tree()
    user = make_user(tree)
    auth.login(user.phone)
    client.post("/preferences/elder-mode", data={"enabled": "1"})
    assert db.session.get(User, user.id).elder_mode is True
    other = app.test_client()
    other.post("/login", data={"phone": user.phone, "password": PASSWORD})
    assert '<body class="elder"' in text_of(other.get("/"))


def test_profile_edit(app, client, auth):
    tree = make_tree()
    user = make_user(tree)
    skill = services.add_skill(None, "理发")
    auth.login(user.phone)
    page = text_of(client.get("/account/profile"))
    assert "理发" in page
    response = client.post(
        "/account/profile",
        data={
            "name": "新名字",
            "district_id": tree.district,
            "street_id": tree.street,
            "community_id": tree.community_b,
            "grid_id": tree.grid_b1,
            "skills": [skill.id],
            "is_party_member": "y",
            "employer_unit": "区税务局",
            "availability": "周末上午",
        },
    )
    assert response.status_code == 303
    user = db.session.get(User, user.id)
    assert (user.name, user.profile.community_id, user.profile.employer_unit) == (
        "新名字",
        tree.community_b,
        "区税务局",
    )
    assert [s.name for s in user.profile.skills] == ["理发"]


def test_html_in_a_name_is_escaped(app, client, auth):
    tree = make_tree()
    user = make_user(tree, name="<script>alert(1)</script>")
    auth.login(user.phone)
    page = text_of(client.get("/"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
