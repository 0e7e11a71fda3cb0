"""The projects list (项目清单): recording a project from needs, completing it with its
outcome, what it brought together, and the community's figures."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from govhub.audit.models import AuditEvent
from govhub.database import ServiceError
from govhub.extensions import db
from govhub.projects import services
from govhub.projects.models import Project, ProjectPhoto, ProjectStatus
from govhub.resources.models import ResourceCommitment
from tests.factories import NOW, make_need
from tests.projects.helpers import jpeg, record, world
from tests.resources.helpers import commit, offer


@pytest.fixture
def w(app):
    return world()


def test_a_project_recorded_from_a_served_need_lists_its_volunteers_and_hours(w):
    project = record(w)
    assert project.status is ProjectStatus.active
    assert [n.id for n in project.needs] == [w.need.id]
    info = services.detail(project)
    assert sorted(v.name for v in info.volunteers) == ["张晓明", "李华"]
    assert info.minutes == 2 * 120
    assert (
        db.session.scalar(
            select(AuditEvent.action).where(
                AuditEvent.target_type == "project", AuditEvent.target_id == project.id
            )
        )
        == "project.recorded"
    )


def test_a_need_is_in_at_most_one_project(w):
    record(w)
    with pytest.raises(ServiceError) as refused:
        record(w, title="Second")
    assert refused.value.field == "need_ids"
    assert "Tutoring" in refused.value.message


def test_needs_of_another_community_drafts_and_no_need_are_refused(w):
    other = make_need(w.tree, community="community_b", title="Elsewhere")
    draft = make_need(w.tree, admin=w.admin, title="Draft", publish=False)
    for need_ids in ([other.id], [draft.id], [], [2**31 - 1]):
        with pytest.raises(ServiceError) as refused:
            record(w, need_ids=need_ids)
        assert refused.value.field == "need_ids"
    assert db.session.scalar(select(Project.id)) is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (services.ProjectInput(title=""), "title"),
        (services.ProjectInput(title="x" * 81), "title"),
        (services.ProjectInput(title="ok", summary="y" * 2001), "summary"),
        (
            services.ProjectInput(
                title="ok", starts_on=NOW.date(), ends_on=NOW.date() - timedelta(days=1)
            ),
            "ends_on",
        ),
        (services.ProjectInput(title="ok", starts_on=NOW.date().replace(year=1900)), "starts_on"),
    ],
)
def test_bad_input_is_refused_at_its_field(w, data, field):
    with pytest.raises(ServiceError) as refused:
        services.record(w.admin.id, w.tree.community_a, data, [w.need.id], [], now=NOW)
    assert refused.value.field == field


def test_completing_records_the_outcome_with_photos_re_encoded(w):
    project = record(w)
    png = io.BytesIO()
    Image.new("RGB", (3000, 1000), (0, 0, 255)).save(png, format="PNG")
    services.complete(
        w.admin.id,
        project.id,
        people_served=36,
        outcome="36 children did their homework with us.",
        photos=[jpeg(), png.getvalue()],
        published=True,
        now=NOW,
    )
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert project.status is ProjectStatus.completed
    assert (project.people_served, project.published) == (36, True)
    assert project.completed_at == NOW and project.completed_by_id == w.admin.id
    photos = db.session.scalars(select(ProjectPhoto).where(ProjectPhoto.project_id == project.id))
    sizes = sorted((p.width, p.height) for p in photos)
    assert sizes == [(640, 480), (1200, 400)]  # the large one scaled down, both JPEG
    assert all(p.data[:2] == b"\xff\xd8" for p in project.photos)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"people_served": None, "outcome": "ok"}, "people_served"),
        ({"people_served": -1, "outcome": "ok"}, "people_served"),
        ({"people_served": 1_000_001, "outcome": "ok"}, "people_served"),
        ({"people_served": 3, "outcome": "  "}, "outcome"),
        ({"people_served": 3, "outcome": "ok", "photos": [b"not an image"]}, "photos"),
        ({"people_served": 3, "outcome": "ok", "photos": [jpeg()] * 7}, "photos"),
    ],
)
def test_a_bad_outcome_is_refused_and_nothing_changes(w, kwargs, field):
    project = record(w)
    with pytest.raises(ServiceError) as refused:
        services.complete(w.admin.id, project.id, now=NOW, **kwargs)
    assert refused.value.field == field
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert project.status is ProjectStatus.active and not project.photos


def test_a_project_is_completed_once(w):
    project = record(w)
    services.complete(w.admin.id, project.id, people_served=3, outcome="Done.", now=NOW)
    with pytest.raises(ServiceError):
        services.complete(w.admin.id, project.id, people_served=4, outcome="Again.", now=NOW)
    with pytest.raises(ServiceError):
        services.cancel(w.admin.id, project.id, "Too late", now=NOW)
    assert db.session.get(Project, project.id).people_served == 3


def test_publishing_is_for_completed_projects_and_can_be_undone(w):
    project = record(w)
    with pytest.raises(ServiceError):
        services.set_published(w.admin.id, project.id, True, now=NOW)
    services.complete(
        w.admin.id, project.id, people_served=3, outcome="Done.", published=False, now=NOW
    )
    assert not db.session.get(Project, project.id).published
    services.set_published(w.admin.id, project.id, True, now=NOW)
    assert db.session.get(Project, project.id).published


def test_cancelling_needs_a_reason(w):
    project = record(w)
    with pytest.raises(ServiceError) as refused:
        services.cancel(w.admin.id, project.id, " ", now=NOW)
    assert refused.value.field == "reason"
    services.cancel(w.admin.id, project.id, "The school closed.", now=NOW)
    project = db.session.get(Project, project.id)
    assert (project.status, project.reason) == (ProjectStatus.cancelled, "The school closed.")


def test_a_resource_committed_to_the_project_or_its_need_and_its_provider_show(w):
    project = record(w)
    room = offer(w.unit_staff, w.tree, partner=w.unit, title="Meeting room", quantity=10)
    commit(w.unit_staff, room, 3, purpose="", project_id=project.id)
    commitment = db.session.scalar(select(ResourceCommitment))
    assert commitment.project_id == project.id
    info = services.detail(db.session.get(Project, project.id))
    assert [(c.resource.title, c.quantity) for c in info.commitments] == [("Meeting room", 3)]
    assert [p.name for p in info.partners] == ["Tax Bureau"]


def test_a_resource_cannot_be_committed_to_a_finished_project(w):
    project = record(w)
    services.cancel(w.admin.id, project.id, "No longer needed", now=NOW)
    room = offer(w.unit_staff, w.tree, partner=w.unit, quantity=10)
    with pytest.raises(ServiceError) as refused:
        commit(w.unit_staff, room, 3, purpose="", project_id=project.id)
    assert refused.value.field == "project_id"
    assert db.session.get(type(room), room.id).remaining == 10


def test_the_figures_count_projects_completed_in_the_year_and_people_served(w):
    first = record(w)
    services.complete(w.admin.id, first.id, people_served=30, outcome="Done.", now=NOW)
    later = make_need(w.tree, admin=w.admin, title="Painting")
    second = record(w, title="Mural", need_ids=[later.id])
    services.complete(
        w.admin.id, second.id, people_served=12, outcome="Done.", now=NOW + timedelta(days=40)
    )
    record(w, title="Still going", need_ids=[make_need(w.tree, admin=w.admin, title="Other").id])
    assert services.figures(w.tree.community_a, NOW.year) == services.Figures(1, 30)
    assert services.figures(w.tree.community_a, NOW.year + 1) == services.Figures(1, 12)
    assert services.figures(w.tree.community_b, NOW.year) == services.Figures(0, 0)
