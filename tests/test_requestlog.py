"""Request logging: one line per request, tied to the proxy's log by a request id."""

from __future__ import annotations

import logging
import re

import pytest

from govhub.requestlog import FORMAT, RequestIdFilter
from tests.factories import make_tree, make_user


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger="govhub.requests")

    def read():
        return [r for r in caplog.records if r.name == "govhub.requests"]

    return read


def test_each_request_gets_one_line_and_an_id_in_the_response(client, lines):
    response = client.get("/healthz?code=SECRET123")
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [line] = lines()
    message = line.getMessage()
    assert message.startswith("GET /healthz 200 ")
    assert message.endswith("ms user=-")
    assert "SECRET123" not in message  # the query string (one-time codes) is never logged
    assert line.request_id == request_id


def test_a_proxy_request_id_is_kept_and_a_hostile_one_replaced(client, lines):
    given = "nginx-0a1b2c3d4e5f"
    assert client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given
    for hostile in ["short", "x" * 65, "bad id with spaces", "id;forged=1", "编号12345678"]:
        sent_back = client.get("/healthz", headers={"X-Request-ID": hostile}).headers[
            "X-Request-ID"
        ]
        assert sent_back != hostile
        assert re.fullmatch(r"[0-9a-f]{32}", sent_back)
    assert [line.request_id for line in lines()][0] == given


def test_the_line_names_the_user_and_the_status(app, client, auth, lines):
    user = make_user(make_tree(), phone="13900000001")
    auth.login("13900000001")
    client.get("/no-such-page")
    message = lines()[-1].getMessage()
    assert message.startswith("GET /no-such-page 404 ")
    assert message.endswith(f"user={user.id}")  # the id only: never the session token in get_id()


def test_a_request_refused_before_the_view_still_has_its_line(client, lines):
    response = client.get("/needs/?q=%00")
    assert response.status_code == 400
    assert response.headers["X-Request-ID"]
    assert lines()[-1].getMessage().startswith("GET /needs/ 400 ")


@pytest.mark.app_config(REQUEST_LOG=False)
def test_request_lines_can_be_turned_off(client, lines):
    response = client.get("/healthz")
    assert response.headers["X-Request-ID"]  # the id is still given
    assert lines() == []


def test_log_lines_outside_a_request_carry_a_dash():
    record = logging.LogRecord("govhub", logging.WARNING, __file__, 1, "job done", None, None)
    assert RequestIdFilter().filter(record)
    assert logging.Formatter(FORMAT).format(record).endswith("WARNING [-] govhub: job done")
