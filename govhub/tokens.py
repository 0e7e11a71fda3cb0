"""Signed tokens in QR codes: the rotating check-in/check-out code, volunteers' cards and
service records.

Each kind signs with its own salt, so the key is derived from the app secret per kind and
a token of one kind is never accepted as another. The rotating code names its shift, its
purpose (in or out) and a 30-second slot; it is accepted in its slot and the one after,
so a photo sent to someone at home stops working within a minute.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

SLOT_SECONDS = 30


class Purpose(enum.StrEnum):
    check_in = "in"
    check_out = "out"


class Problem(enum.StrEnum):
    forged = "forged"  # not signed by us, or altered
    expired = "expired"  # older than the previous slot
    wrong_purpose = "wrong_purpose"  # a check-out code used to check in, or the reverse
    wrong_shift = "wrong_shift"  # a code of another shift
    revoked = "revoked"  # a card that was replaced


class TokenRefused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def _serializer(kind: str) -> URLSafeSerializer:
    secret = current_app.secret_key
    if not secret:
        raise RuntimeError("SECRET_KEY is not set")
    return URLSafeSerializer(
        secret,
        salt=f"govhub.{kind}.v1",
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def slot(now: datetime) -> int:
    return int(now.replace(tzinfo=UTC).timestamp()) // SLOT_SECONDS


def slot_ends(now: datetime) -> int:
    """Seconds until the current slot ends (when the screen should show a new code)."""
    return SLOT_SECONDS - int(now.replace(tzinfo=UTC).timestamp()) % SLOT_SECONDS


def shift_token(shift_id: int, purpose: Purpose, now: datetime) -> str:
    return _serializer("shift").dumps([shift_id, purpose.value, slot(now)])


def read_shift_token(token: str, shift_id: int, purpose: Purpose, now: datetime) -> None:
    """Accept a rotating code for ``shift_id`` and ``purpose`` now, or raise TokenRefused."""
    try:
        payload = _serializer("shift").loads(token)
        token_shift, token_purpose, token_slot = payload
        token_shift, token_slot = int(token_shift), int(token_slot)
    except (BadSignature, ValueError, TypeError):
        raise TokenRefused(Problem.forged) from None
    if token_shift != shift_id:
        raise TokenRefused(Problem.wrong_shift)
    if token_purpose != purpose.value:
        raise TokenRefused(Problem.wrong_purpose)
    if not slot(now) - 1 <= token_slot <= slot(now):
        raise TokenRefused(Problem.expired)


def card_token(user_id: int, version: int) -> str:
    return _serializer("card").dumps([user_id, version])


def read_card_token(token: str) -> tuple[int, int]:
    """(user id, card version) of a card token, or TokenRefused (forged)."""
    try:
        user_id, version = _serializer("card").loads(token)
        return int(user_id), int(version)
    except (BadSignature, ValueError, TypeError):
        raise TokenRefused(Problem.forged) from None


def record_token(record_id: int) -> str:
    return _serializer("record").dumps(record_id)


def read_record_token(token: str) -> int:
    try:
        return int(_serializer("record").loads(token))
    except (BadSignature, ValueError, TypeError):
        raise TokenRefused(Problem.forged) from None


def voucher_token(redemption_id: int) -> str:
    """The reference in a voucher's QR code. It names the voucher only; who may act on it
    is decided when it is opened."""
    return _serializer("voucher").dumps(redemption_id)


def read_voucher_token(token: str) -> int:
    try:
        return int(_serializer("voucher").loads(token))
    except (BadSignature, ValueError, TypeError):
        raise TokenRefused(Problem.forged) from None


# -- liaison: the quarterly service cards (服务登记卡) --


def service_card_token(card_id: int) -> str:
    return _serializer("service_card").dumps(card_id)


def read_service_card_token(token: str) -> int:
    try:
        return int(_serializer("service_card").loads(token))
    except (BadSignature, ValueError, TypeError):
        raise TokenRefused(Problem.forged) from None


# -- units: a unit report's receipt (报到回执) ---------------------------------------------


def unit_report_token(report_id: int) -> str:
    """The reference in a unit report receipt's QR code. It names the report only; the
    verification page reads whether it counts on the day it is opened."""
    return _serializer("unit_report").dumps(report_id)


def read_unit_report_token(token: str) -> int:
    try:
        return int(_serializer("unit_report").loads(token))
    except (BadSignature, ValueError, TypeError):
        raise TokenRefused(Problem.forged) from None


# -- members: a community's reporting QR (在职党员报到) ---------------------------------


def community_report_token(community_id: int) -> str:
    """The reference in a community's reporting QR (在职党员报到): it names the community
    and never expires (the poster stays on the notice board)."""
    return _serializer("community-report").dumps(community_id)


def read_community_report_token(token: str) -> int:
    try:
        return int(_serializer("community-report").loads(token))
    except (BadSignature, ValueError, TypeError):
        raise TokenRefused(Problem.forged) from None
