from datetime import timedelta

import pytest

from govhub import tokens
from govhub.tokens import Problem, Purpose, TokenRefused
from tests.factories import NOW


@pytest.fixture
def ctx(make_app):
    app = make_app()
    with app.app_context():
        yield app


def refusal(token, shift_id, purpose, now) -> Problem:
    with pytest.raises(TokenRefused) as refused:
        tokens.read_shift_token(token, shift_id, purpose, now)
    return refused.value.problem


def test_a_token_is_accepted_in_its_slot_and_the_next(ctx):
    token = tokens.shift_token(7, Purpose.check_in, NOW)
    tokens.read_shift_token(token, 7, Purpose.check_in, NOW)
    tokens.read_shift_token(token, 7, Purpose.check_in, NOW + timedelta(seconds=30))


def test_a_token_from_two_slots_ago_has_expired(ctx):
    token = tokens.shift_token(7, Purpose.check_in, NOW)
    assert refusal(token, 7, Purpose.check_in, NOW + timedelta(seconds=60)) is Problem.expired


def test_a_token_of_another_shift_is_refused(ctx):
    token = tokens.shift_token(7, Purpose.check_in, NOW)
    assert refusal(token, 8, Purpose.check_in, NOW) is Problem.wrong_shift


def test_a_token_with_a_changed_byte_is_forged(ctx):
    token = tokens.shift_token(7, Purpose.check_in, NOW)
    for position in (0, len(token) // 2, len(token) - 1):
        changed = (
            token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]
        )
        assert refusal(changed, 7, Purpose.check_in, NOW) is Problem.forged


def test_a_check_out_token_is_not_a_check_in_token(ctx):
    token = tokens.shift_token(7, Purpose.check_out, NOW)
    assert refusal(token, 7, Purpose.check_in, NOW) is Problem.wrong_purpose


def test_tokens_of_other_kinds_or_keys_are_forged(ctx, make_app):
    card = tokens.card_token(7, 1)
    assert refusal(card, 7, Purpose.check_in, NOW) is Problem.forged
    other = make_app(SECRET_KEY="another-secret")
    with other.app_context():
        foreign = tokens.shift_token(7, Purpose.check_in, NOW)
    assert refusal(foreign, 7, Purpose.check_in, NOW) is Problem.forged
