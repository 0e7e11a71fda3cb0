"""What matching reads from people's own forms: a need marked as a party task
(党员先锋岗) on the posting form, and a volunteer's weekly availability grid."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from govhub.accounts.models import VolunteerProfile
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import posting
from govhub.needs.models import Need
from tests.factories import make_admin, make_category, make_tree, make_user
from tests.needs.test_views import need_form


@pytest.fixture
def world(app):
    tree = make_tree()
    return {
        "tree": tree,
        "category": make_category(),
        "admin": make_admin(tree, scope="community_a", name="王书记"),
        "volunteer": make_user(tree, name="张晓明"),
    }


def test_a_need_posted_as_a_party_task_is_marked_on_the_board(world, client, auth):
    auth.login(world["admin"].phone)
    data = need_form(world["tree"], world["category"], party_task="y")
    assert client.post("/manage/needs/new", data=data).status_code == 303
    need = db.session.scalar(select(Need))
    assert need.party_task is True
    edit = client.get(f"/manage/needs/{need.id}/edit").text
    assert re.search(
        r'<input[^>]*checked[^>]*name="party_task"|<input[^>]*name="party_task"[^>]*checked', edit
    )
    posting.publish(world["admin"].id, need.id, now=utcnow())
    auth.logout()
    auth.login(world["volunteer"].phone)
    assert "党员先锋岗" in client.get(f"/needs/{need.id}").text
    assert "党员先锋岗" in client.get("/needs").text


def test_the_weekly_grid_is_saved_as_the_bits_ticked_and_shown_again(world, client, auth):
    volunteer = world["volunteer"]
    auth.login(volunteer.phone)
    page = client.get("/account/profile").text
    assert page.count('name="weekly"') == 21
    form = {
        "name": volunteer.name,
        "district_id": str(world["tree"].district),
        "street_id": str(world["tree"].street),
        "community_id": str(world["tree"].community_a),
        "grid_id": str(world["tree"].grid_a1),
        "weekly": ["2", "17"],  # Monday evening, Saturday evening
    }
    assert client.post("/account/profile", data=form).status_code == 303
    profile = db.session.get(VolunteerProfile, volunteer.id)
    db.session.refresh(profile)
    assert profile.weekly_availability == (1 << 2) | (1 << 17)
    page = client.get("/account/profile").text
    ticked = re.findall(r'<input type="checkbox" name="weekly" value="(\d+)"[^>]* checked>', page)
    assert ticked == ["2", "17"]

    form["weekly"] = []
    assert client.post("/account/profile", data=form).status_code == 303
    db.session.refresh(profile)
    assert profile.weekly_availability is None


@pytest.mark.parametrize("slot", ["21", "-1", "999999999999", "x"])
def test_a_slot_off_the_grid_is_refused_at_the_grid(world, client, auth, slot):
    volunteer = world["volunteer"]
    auth.login(volunteer.phone)
    form = {
        "name": volunteer.name,
        "district_id": str(world["tree"].district),
        "street_id": str(world["tree"].street),
        "community_id": str(world["tree"].community_a),
        "grid_id": str(world["tree"].grid_a1),
        "weekly": [slot],
    }
    response = client.post("/account/profile", data=form)
    assert response.status_code == 422
    assert 'id="weekly-error"' in response.text
    assert db.session.get(VolunteerProfile, volunteer.id).weekly_availability is None
