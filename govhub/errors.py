"""Translated error pages; htmx requests get the message in the page's message area."""

from __future__ import annotations

from flask import Flask, make_response, render_template
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


def error_response(code: int, message: str | None = None):
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


def init_app(app: Flask) -> None:
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
