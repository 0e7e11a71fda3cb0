"""One log line per request, and a request id that ties it to the proxy's log.

The id is the proxy's ``X-Request-ID`` when it sent a sensible one (nginx:
``proxy_set_header X-Request-ID $request_id;``), else a fresh one. It is sent back in the
response's ``X-Request-ID`` and stamped on every log line written while the request runs,
so a 500 in the error log can be found in the access log and the other way round.

Only the path is logged, never the query string: links carry one-time codes
(``/activate?code=…``) and check-in tokens that a log must not keep.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, current_app, g, has_request_context, request
from flask.logging import default_handler
from flask_login import current_user

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"

logger = logging.getLogger("govhub.requests")


class RequestIdFilter(logging.Filter):
    """Gives every record a ``request_id``: the request's, or ``-`` outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            request_id = g.get("request_id") if has_request_context() else None
            record.request_id = request_id or "-"
        return True


def request_id() -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _start() -> None:
    g.request_id = request_id()
    g.request_started = time.perf_counter()


def _finish(response):
    g.request_id = g.get("request_id") or request_id()
    response.headers["X-Request-ID"] = g.request_id
    started = g.get("request_started")
    if started is not None and current_app.config["REQUEST_LOG"]:
        # The account's id, not get_id(): that one carries the session token.
        user = current_user.id if current_user and current_user.is_authenticated else "-"
        logger.info(
            "%s %s %s %.1fms user=%s",
            request.method,
            request.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
            user,
            extra={"request_id": g.request_id},
        )
    return response


def init_app(app: Flask) -> None:
    # First of all before-request functions, so a request refused by one (a NUL in the
    # query, a throttle) still has its id and its line.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.logger  # noqa: B018  (made on first use: it attaches Flask's default handler)
    default_handler.setFormatter(logging.Formatter(FORMAT))
    if not any(isinstance(f, RequestIdFilter) for f in default_handler.filters):
        default_handler.addFilter(RequestIdFilter())
    if logger.level == logging.NOTSET:  # unless the deployment set it
        logger.setLevel(logging.INFO)
