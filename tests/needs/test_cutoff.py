"""The need page after the cancellation cut-off (issue 10): no cancel button that only
refuses after the tap, the organizer's phone instead, and a warning before claiming."""

import re
from datetime import timedelta

import pytest

from govhub.accounts import services as accounts
from govhub.database import utcnow
from govhub.needs import claims
from tests.factories import make_admin, make_need, make_tree, make_user


def text_of(response) -> str:
    return response.get_data(as_text=True)


def shift_block(page: str, shift_id: int) -> str:
    return re.search(rf'<li class="card shift" id="shift-{shift_id}">(.*?)</li>', page, re.S).group(
        1
    )


@pytest.fixture
def world(app):
    """A need with a shift starting in an hour (past the 2-hour cut-off) and one in two
    days; a volunteer who claimed both, another who claimed neither."""
    tree = make_tree()
    admin = make_admin(tree)
    need = make_need(tree, admin=admin, now=utcnow(), shifts=((1 / 24, 2, 5), (2, 2, 5)))
    soon, later = sorted(need.shifts, key=lambda s: s.starts_at)
    volunteer, newcomer = make_user(tree, name="张晓明"), make_user(tree, name="陈丽华")
    for person in (volunteer, newcomer):
        accounts.set_preferences(person.id, locale="en")
    now = utcnow() - timedelta(hours=3)  # claimed before the cut-off
    claims.claim_shift(volunteer.id, soon.id, now=now)
    claims.claim_shift(volunteer.id, later.id, now=now)
    return need, soon, later, volunteer, newcomer


def test_the_rule_is_a_service_function(world):
    need, soon, later, volunteer, newcomer = world
    assert claims.can_cancel_online(later, now=utcnow())
    assert not claims.can_cancel_online(soon, now=utcnow())
    assert claims.can_cancel_online(soon, now=soon.starts_at - timedelta(hours=3))


def test_after_the_cut_off_the_need_page_shows_the_organizers_phone_not_cancel(world, client, auth):
    need, soon, later, volunteer, newcomer = world
    auth.login(volunteer.phone)
    page = text_of(client.get(f"/needs/{need.id}"))
    past = shift_block(page, soon.id)
    assert "Cancel my claim" not in past
    assert "To cancel now, call Organizer: 13812345678" in past
    before = shift_block(page, later.id)
    assert "Cancel my claim" in before and "To cancel now" not in before


def test_the_claim_button_warns_when_the_cut_off_has_passed(world, client, auth):
    need, soon, later, volunteer, newcomer = world
    auth.login(newcomer.phone)
    page = text_of(client.get(f"/needs/{need.id}"))
    past = shift_block(page, soon.id)
    assert "Claim a place" in past
    assert "you cannot cancel it online" in past
    assert "you cannot cancel it online" not in shift_block(page, later.id)
    # Claiming is still allowed then; the fragment htmx swaps in offers the phone.
    response = client.post(f"/shifts/{soon.id}/claim", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "To cancel now, call Organizer" in text_of(response)
    assert "Cancel my claim" not in text_of(response)


def test_my_tasks_follow_the_same_cut_off_rule(world, client, auth):
    need, soon, later, volunteer, newcomer = world
    auth.login(volunteer.phone)
    page = text_of(client.get("/my/tasks"))
    items = re.findall(r"<li>(.*?)</li>", page, re.S)
    [past] = [item for item in items if f"/shifts/{soon.id}/calendar.ics" in item]
    [ahead] = [item for item in items if f"/shifts/{later.id}/calendar.ics" in item]
    assert "To cancel now, call Organizer: 13812345678" in past and "/cancel" not in past
    assert "/cancel" in ahead and "To cancel now" not in ahead
