"""Throttling with Flask-Limiter, per phone number and per client address.

Logins: only failed attempts are counted (``deduct_when``); once a limit is used up,
further attempts are refused before the password is even checked.

Forms anyone can send (sign-up, partner applications, resident requests): only accepted
submissions are counted, so a resident correcting a typo is never locked out, while a
script that files application after application is stopped.

Both answer with a translated "try again in N minutes" page (429). The client address is
the connection's, or the one the trusted proxies saw (``PROXY_COUNT``, ``create_app``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import current_app, request
from flask_babel import ngettext
from flask_limiter.util import get_remote_address

from govhub.accounts.validation import normalize_phone
from govhub.extensions import limiter


def phone_and_address_limits(name: str, per_phone: str, per_address: str, deduct_when):
    """A view decorator limiting POSTs per phone number (the form's ``phone``) and per
    client address, with the limits in the config keys ``per_phone`` and ``per_address``;
    only responses ``deduct_when`` says yes to are counted (``name`` scopes the counters)."""

    def phone_key() -> str:
        return f"{name}-phone:" + (
            normalize_phone(request.form.get("phone")) or get_remote_address()
        )

    def decorate(view):
        view = limiter.limit(
            lambda: current_app.config[per_phone],
            key_func=phone_key,
            methods=["POST"],
            deduct_when=deduct_when,
            scope=f"{name}-phone",
        )(view)
        return limiter.limit(
            lambda: current_app.config[per_address],
            methods=["POST"],
            deduct_when=deduct_when,
            scope=f"{name}-address",
        )(view)

    return decorate


def _failed(response) -> bool:
    return response.status_code == 422


# Logins: only failed attempts count.
login_limits = phone_and_address_limits(
    "login", "LOGIN_LIMIT_PER_PHONE", "LOGIN_LIMIT_PER_ADDRESS", _failed
)


def _accepted(response) -> bool:
    return response.status_code < 400


def submission_limits(
    form: str,
    phone: Callable[[], str | None],
    exempt_when: Callable[[], bool] | None = None,
):
    """Decorate the view of a form anyone can send with a limit per client address and one
    per phone number (``phone()`` reads it from the request; the address stands in when
    there is none). ``exempt_when()``: staff work that is not limited."""

    def phone_key() -> str:
        return f"{form}-phone:" + (normalize_phone(phone()) or get_remote_address())

    def decorate(view):
        view = limiter.limit(
            lambda: current_app.config["SUBMIT_LIMIT_PER_PHONE"],
            key_func=phone_key,
            methods=["POST"],
            deduct_when=_accepted,
            exempt_when=exempt_when,
            scope=f"submit-{form}-phone",
        )(view)
        return limiter.limit(
            lambda: current_app.config["SUBMIT_LIMIT_PER_ADDRESS"],
            methods=["POST"],
            deduct_when=_accepted,
            exempt_when=exempt_when,
            scope=f"submit-{form}-address",
        )(view)

    return decorate


def retry_message(error) -> str:
    current = limiter.current_limit
    seconds = max(current.reset_at - time.time(), 0) if current else 60
    minutes = max(1, round(seconds / 60))
    if str(getattr(getattr(error, "limit", None), "scope", "")).startswith("submit-"):
        return ngettext(
            "Too many submissions. Try again in %(num)d minute.",
            "Too many submissions. Try again in %(num)d minutes.",
            minutes,
        )
    return ngettext(
        "Too many failed attempts. Try again in %(num)d minute.",
        "Too many failed attempts. Try again in %(num)d minutes.",
        minutes,
    )
