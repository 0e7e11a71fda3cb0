"""Which scanned texts the in-app scanner opens: the one rule, decided on the server.

A govhub code is an ordinary link (so a phone's own camera or WeChat's 扫一扫 opens it
too). The scanner opens a text only when it is a link to this site (the address the
page was opened at, or the configured ``BASE_URL``) whose path is one of the codes
govhub prints: a shift's check-in or check-out code, a volunteer's card, a voucher, a
service record's verification code. Anything else is refused with a message, and the
camera keeps scanning.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from govhub.database import BIDI_CONTROLS

# The endpoints whose links are printed as QR codes (check-in screen, volunteer card,
# voucher, service record). Each decides for itself who may act on it, and a visitor
# who is not logged in is sent through the login and back.
SCAN_ENDPOINTS = frozenset(
    {"checkin.scan", "checkin.card", "rewards.open_voucher", "points.verify_record"}
)

# Longer than any code govhub prints (under 200 characters with a long BASE_URL).
MAX_LENGTH = 2048

EMPTY = _l("Scan a code, or type or paste its link.")
NOT_A_LINK = _l("This is not a govhub code. Scan a check-in code, a volunteer card or a voucher.")
OTHER_SITE = _l("This code is from another website. Only govhub's own codes are opened here.")
NOT_A_CODE = _l(
    "This link is not a check-in code, a volunteer card or a voucher, so it is not opened here."
)


class CodeRefused(Exception):
    """A scanned or typed text that is not a govhub code; ``message`` says why."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Site:
    """An address this site is reached at: ``host`` ("example.cn:8443", lower case) and
    the ``prefix`` its paths start with ("" or "/govhub")."""

    host: str
    prefix: str = ""


def sites(base_url: str, request_host: str, script_root: str) -> list[Site]:
    """The addresses whose links count as this site's: the configured public address and
    the one the page was opened at (development, a phone on the LAN)."""
    found = [Site(request_host.lower(), script_root.rstrip("/"))]
    if base_url:
        parts = urlsplit(base_url)
        found.insert(0, Site(parts.netloc.lower(), parts.path.rstrip("/")))
    return found


def target_of(text: str | None, known_sites: list[Site]) -> str:
    """The path (on this site, rebuilt by ``url_for``) that the scanned ``text`` opens,
    or :class:`CodeRefused`."""
    text = (text or "").strip()
    if not text:
        raise CodeRefused(EMPTY)
    if len(text) > MAX_LENGTH or "\\" in text or any(_unprintable(c) for c in text):
        raise CodeRefused(NOT_A_LINK)
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. "http://[::1" (an unclosed IPv6 address)
        raise CodeRefused(NOT_A_LINK) from None
    if parts.scheme or parts.netloc:
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise CodeRefused(NOT_A_LINK)
        if "@" in parts.netloc:  # "https://this.site@evil.example/": not this site
            raise CodeRefused(OTHER_SITE)
        prefixes = [s.prefix for s in known_sites if s.host == parts.netloc.lower()]
        if not prefixes:
            raise CodeRefused(OTHER_SITE)
    elif text.startswith("/"):
        # A path typed by hand: on the site the page was opened at.
        prefixes = [known_sites[-1].prefix]
    else:
        raise CodeRefused(NOT_A_LINK)
    path = unquote(parts.path)
    if any(_unprintable(c) for c in path):  # "%00", "%E2%80%AE" in the link
        raise CodeRefused(NOT_A_LINK)
    for prefix in prefixes:
        if prefix and not path.startswith(prefix + "/"):
            continue
        endpoint_and_values = _match(path[len(prefix) :])
        if endpoint_and_values is not None:
            endpoint, values = endpoint_and_values
            return url_for(endpoint, **values)
    raise CodeRefused(NOT_A_CODE)


def _unprintable(char: str) -> bool:
    """Control characters (NUL among them) and bidi overrides: never in a govhub link."""
    return unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS


def _match(path: str) -> tuple[str, Mapping[str, Any]] | None:
    """(endpoint, values) of a GET of ``path`` when it is one of the scan endpoints."""
    adapter = current_app.url_map.bind("scan.invalid")
    try:
        endpoint, values = adapter.match(path, method="GET")
    except (HTTPException, RequestRedirect):
        return None
    if endpoint not in SCAN_ENDPOINTS:
        return None
    return str(endpoint), values
