"""Translated error pages; htmx requests get the message in the page's message area."""

from __future__ import annotations

from flask import Flask, abort, make_response, render_template, request
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from govhub.htmx import wants_fragment


def _titles():
    return {
        400: (
            _("Bad request"),
            _("The request could not be understood. Please go back and try again."),
        ),
        403: (_("Not allowed"), _("You do not have permission to see this page or do this.")),
        404: (_("Page not found"), _("The page you asked for does not exist or has been removed.")),
        405: (_("Not allowed"), _("This action cannot be done this way.")),
        413: (_("File too large"), _("The file you sent is too large.")),
        429: (_("Too many attempts"), _("Please wait a moment and try again.")),
        500: (
            _("Something went wrong"),
            _("An error occurred on our side. It has been logged; please try again later."),
        ),
    }


def _end_failed_transaction() -> None:
    """Roll the request's session back before the page is rendered: after a database
    error PostgreSQL refuses every statement of the aborted transaction, and rendering
    (the logged-in user, the unread bell) reads the database."""
    from govhub.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection itself may be gone; render anyway
        db.session.remove()


def error_response(code: int, message: str | None = None):
    _end_failed_transaction()
    title, default_message = _titles().get(code, _titles()[500])
    context = {"code": code, "title": title, "message": message or default_message}
    if wants_fragment():
        response = make_response(render_template("errors/_message.html", **context), code)
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        response = make_response(render_template("errors/error.html", **context), code)
    response.vary.add("HX-Request")
    return response


def _refuse_nul_in_query() -> None:
    """A NUL in the query string (a search box, a filter) cannot be stored or searched
    for (PostgreSQL refuses it): answer 400 before any view reads it."""
    query = request.query_string
    if b"\x00" in query or b"%00" in query.lower():
        abort(400)


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul_in_query)

    @app.errorhandler(CSRFError)
    def _csrf(_error):
        return error_response(
            400,
            _(
                "This form has expired or did not come from this site. "
                "Please reload the page and try again."
            ),
        )

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(error):
        from govhub.accounts.throttle import retry_message

        return error_response(429, retry_message(error))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code is None or error.code < 400 or error.response is not None:
            return error
        return error_response(error.code)

    @app.errorhandler(InternalServerError)
    def _internal(_error):
        return error_response(500)
