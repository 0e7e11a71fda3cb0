"""Login throttling with Flask-Limiter: per phone number and per client address.

Only failed attempts are counted (``deduct_when``); once a limit is used up, further
attempts are refused before the password is even checked, with a translated
"try again in N minutes" page.
"""

from __future__ import annotations

import time

from flask import current_app, request
from flask_babel import ngettext
from flask_limiter.util import get_remote_address

from govhub.accounts.validation import normalize_phone
from govhub.extensions import limiter


def _phone_key() -> str:
    return "login-phone:" + (normalize_phone(request.form.get("phone")) or get_remote_address())


def _failed(response) -> bool:
    return response.status_code == 422


def login_limits(view):
    """Decorate the login view with both limits."""
    view = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_PHONE"],
        key_func=_phone_key,
        methods=["POST"],
        deduct_when=_failed,
        scope="login-phone",
    )(view)
    return limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
        methods=["POST"],
        deduct_when=_failed,
        scope="login-address",
    )(view)


def retry_message(_error) -> str:
    current = limiter.current_limit
    seconds = max(current.reset_at - time.time(), 0) if current else 60
    minutes = max(1, round(seconds / 60))
    return ngettext(
        "Too many failed attempts. Try again in %(num)d minute.",
        "Too many failed attempts. Try again in %(num)d minutes.",
        minutes,
    )
