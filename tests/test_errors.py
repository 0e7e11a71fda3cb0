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
