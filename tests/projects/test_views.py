"""The projects list's pages: the community's list, recording a project from a need,
completing it with photos, a unit's proposal and the community's decision."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from govhub.extensions import db
from govhub.projects.models import Project, ProjectPhoto, ProjectStatus
from tests.factories import make_admin
from tests.projects.helpers import jpeg, record, world


@pytest.fixture
def w(app):
    return world()


def test_the_need_page_leads_to_recording_it_as_a_project(w, client, auth):
    auth.login(w.admin.phone)
    page = client.get(f"/manage/needs/{w.need.id}").text
    assert f"/projects/communities/{w.tree.community_a}/new?need={w.need.id}" in page
    form = client.get(f"/projects/communities/{w.tree.community_a}/new?need={w.need.id}")
    assert form.status_code == 200
    assert f'value="{w.need.id}" checked' in form.text and 'value="Tutoring"' in form.text
    sent = client.post(
        f"/projects/communities/{w.tree.community_a}/new",
        data={"title": "Homework club", "summary": "", "need_ids": [str(w.need.id)]},
    )
    assert sent.status_code == 303
    project = db.session.scalar(select(Project))
    assert sent.headers["Location"] == f"/projects/{project.id}"
    detail = client.get(f"/projects/{project.id}").text
    assert "Homework club" in detail and "张晓明" in detail and "李华" in detail
    assert f"/projects/{project.id}" in client.get(f"/manage/needs/{w.need.id}").text


def test_a_bad_project_form_answers_422_at_its_field(w, client, auth):
    auth.login(w.admin.phone)
    sent = client.post(
        f"/projects/communities/{w.tree.community_a}/new",
        data={"title": "Club", "need_ids": ["2147483647"]},
    )
    assert sent.status_code == 422
    assert 'id="need_ids-error"' in sent.text
    assert db.session.scalar(select(Project.id)) is None


def test_completing_with_a_photo_shows_the_outcome(w, client, auth):
    project = record(w)
    auth.login(w.admin.phone)
    sent = client.post(
        f"/projects/{project.id}/complete",
        data={
            "people_served": "36",
            "outcome": "36 children were helped.",
            "published": "y",
            "photos": [(io.BytesIO(jpeg()), "class.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 303
    page = client.get(f"/projects/{project.id}").text
    assert "36 children were helped." in page
    photo = db.session.scalar(select(ProjectPhoto))
    image = client.get(f"/projects/photos/{photo.id}.jpg")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert image.headers["Cache-Control"].startswith("private")


def test_a_bad_outcome_is_422_and_the_project_stays_under_way(w, client, auth):
    project = record(w)
    auth.login(w.admin.phone)
    sent = client.post(
        f"/projects/{project.id}/complete",
        data={"people_served": "-3", "outcome": ""},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 422
    assert db.session.get(Project, project.id).status is ProjectStatus.active


def test_admins_of_other_communities_and_volunteers_get_403(w, client, auth):
    project = record(w)
    outsider = make_admin(w.tree, scope="community_b")
    auth.login(outsider.phone)
    assert client.get(f"/projects/{project.id}").status_code == 403
    assert client.get(f"/projects/communities/{w.tree.community_a}").status_code == 403
    assert client.post(f"/projects/{project.id}/cancel", data={"reason": "x"}).status_code == 403
    auth.logout()
    auth.login(w.helpers[0].phone)
    assert client.get(f"/projects/{project.id}").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/projects/2147483647",
        "/projects/99999999999999999999",
        "/projects/photos/2147483647.jpg",
        "/projects/communities/2147483647",
        "/projects/units/2147483647/propose",
    ],
)
def test_hostile_ids_are_404(w, client, auth, path):
    auth.login(w.admin.phone)
    assert client.get(path).status_code == 404


def test_a_unit_proposes_and_the_community_declines_with_a_reason(w, client, auth):
    auth.login(w.unit_staff.phone)
    form = client.get(f"/projects/units/{w.unit.id}/propose")
    assert form.status_code == 200
    sent = client.post(
        f"/projects/units/{w.unit.id}/propose",
        data={
            "community_id": str(w.tree.community_a),
            "title": "Tax help desk",
            "offer": "Two staff on Saturdays.",
        },
    )
    assert sent.status_code == 303
    project = db.session.scalar(select(Project))
    assert "Tax help desk" in client.get(f"/projects/units/{w.unit.id}").text
    auth.logout()

    auth.login(w.admin.phone)
    listing = client.get(f"/projects/communities/{w.tree.community_a}?status=proposed").text
    assert "Tax help desk" in listing
    refused = client.post(f"/projects/{project.id}/decline", data={"reason": ""})
    assert refused.status_code == 422 and 'id="reason-error"' in refused.text
    declined = client.post(f"/projects/{project.id}/decline", data={"reason": "Not now."})
    assert declined.status_code == 303
    db.session.expire_all()
    assert db.session.get(Project, project.id).status is ProjectStatus.declined


def test_the_community_workbench_counts_proposals_and_links_the_list(w, client, auth):
    from govhub.projects import services
    from tests.factories import NOW

    services.propose(
        w.unit_staff.id,
        w.unit.id,
        w.tree.community_a,
        services.ProjectInput(title="Tax help desk"),
        "Two staff.",
        now=NOW,
    )
    auth.login(w.admin.phone)
    page = client.get(f"/workbench/community/{w.tree.community_a}").text
    assert (
        f'id="waiting-proposals" href="/projects/communities/{w.tree.community_a}?status=proposed"'
        in page
    )
    assert f"/projects/communities/{w.tree.community_a}" in page
