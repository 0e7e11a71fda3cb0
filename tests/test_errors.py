import pytest


def test_404_is_translated(app, client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
    client.post("/preferences/language", data={"locale": "en"})
    assert "Page not found" in client.get("/no-such-page").get_data(as_text=True)


@pytest.mark.app_config(TESTING=False)
def test_an_unexpected_error_shows_a_translated_500_page(app, client):
    def boom():
        raise RuntimeError("bug")

    app.add_url_rule("/boom", "boom", boom)
    response = client.get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "出错了" in page
    assert "RuntimeError" not in page and "Traceback" not in page


def test_405_has_a_page(app, client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "<html" in response.get_data(as_text=True)


def test_htmx_errors_go_to_the_message_area(app, client):
    response = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#messages"
    assert "<html" not in response.get_data(as_text=True)


@pytest.mark.app_config(TESTING=False)
def test_a_database_error_inside_a_request_shows_the_translated_500_page_with_security_headers(
    app, client, auth, backend
):
    """On PostgreSQL a failed statement aborts the transaction: the error page must not
    render (the logged-in user, the bell) in it, or the handler itself crashes."""
    from sqlalchemy import text

    from govhub.extensions import db
    from tests.factories import make_tree, make_user

    def broken_query():
        db.session.execute(text("SELECT * FROM no_such_table")).scalar()
        return "unreachable"

    app.add_url_rule("/broken-query", "broken_query", broken_query)
    user = make_user(make_tree())
    auth.login(user.phone)
    response = client.get("/broken-query")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "出错了" in page and 'aria-label="主菜单"' in page  # with the user's tab bar
    assert "no_such_table" not in page
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_an_int_path_parameter_beyond_the_database_integer_is_404(app, client, auth):
    from tests.factories import make_system_admin, make_tree

    auth.login(make_system_admin(make_tree()).phone)
    for url in ("/needs/2147483648", "/needs/9223372036854775808", "/admin/orgs/2147483648"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "页面不存在" in response.get_data(as_text=True)
    assert client.get("/needs/١٢").status_code == 404  # Unicode digits are no id either


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b", "phone=%00"])
def test_a_nul_in_the_query_string_is_a_400_page(app, client, auth, query):
    from tests.factories import make_system_admin, make_tree

    auth.login(make_system_admin(make_tree()).phone)
    for path in ("/needs", "/admin/orgs", "/admin/users"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert "请求有误" in response.get_data(as_text=True)
