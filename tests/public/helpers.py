"""Data for the public page's tests. The projects' services are written beside this
work, so projects are ``Project`` rows written directly, exactly as the model defines a
completed one (status ``completed``, ``completed_at``, outcome, people served;
``published`` puts it on the public page)."""

from __future__ import annotations

from datetime import datetime

from govhub.extensions import db
from govhub.projects.models import Project, ProjectPhoto, ProjectStatus, project_need
from tests.factories import NOW

# A tiny valid JPEG is not needed: the photo route serves the stored bytes as they are.
PHOTO_BYTES = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9"


def make_project(
    community_id: int,
    *,
    title: str = "Riverside clean-up",
    status: ProjectStatus = ProjectStatus.completed,
    published: bool = True,
    completed_at: datetime | None = NOW,
    people_served: int | None = 40,
    outcome: str = "Two kilometres of riverbank cleaned.",
    partners=(),
    needs=(),
    photo: bool = False,
) -> Project:
    project = Project(
        community_id=community_id,
        title=title,
        status=status,
        published=published,
        completed_at=completed_at if status is ProjectStatus.completed else None,
        people_served=people_served,
        outcome=outcome,
    )
    project.partners = list(partners)
    db.session.add(project)
    db.session.flush()
    for need in needs:
        db.session.execute(project_need.insert().values(project_id=project.id, need_id=need.id))
    if photo:
        db.session.add(
            ProjectPhoto(project_id=project.id, data=PHOTO_BYTES, width=4, height=3, caption="")
        )
    db.session.commit()
    return project
