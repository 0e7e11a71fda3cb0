"""Rules for phone numbers and passwords, shared by forms and services."""

from __future__ import annotations

import re

from flask_babel import gettext as _

PHONE_RE = re.compile(r"^1\d{10}$")
MIN_PASSWORD_LENGTH = 8


def normalize_phone(raw: str | None) -> str:
    """Strip spaces, dashes and a +86 prefix that people commonly type."""
    phone = re.sub(r"[\s-]", "", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    return phone


def phone_error(phone: str) -> str | None:
    if not PHONE_RE.fullmatch(phone):
        return _("Enter an 11-digit mainland mobile number starting with 1.")
    return None


def password_error(password: str, phone: str | None = None) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        return _("Use both letters and digits.")
    if phone and phone in password:
        return _("Do not use your phone number in the password.")
    return None
