"""项目认领: a stationed unit proposes what it will do to a community it reported to;
the community's admins take it onto the projects list or decline it with a reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from govhub import permissions
from govhub.database import ServiceError
from govhub.extensions import db
from govhub.notifications.models import Notification
from govhub.permissions import Action
from govhub.projects import services
from govhub.projects.models import Project, ProjectOrigin, ProjectStatus
from tests.factories import NOW
from tests.projects.helpers import world


@pytest.fixture
def w(app):
    return world()


def propose(w, community=None, **kwargs):
    project = services.propose(
        w.unit_staff.id,
        w.unit.id,
        community or w.tree.community_a,
        services.ProjectInput(title="Tax help desk", summary="Answer residents' questions."),
        kwargs.pop("offer", "Two staff every Saturday morning."),
        now=NOW,
    )
    return db.session.get(Project, project.id)


def kinds(user_id):
    return list(
        db.session.scalars(select(Notification.kind).where(Notification.user_id == user_id))
    )


def test_a_unit_proposes_to_a_community_it_reported_to_and_its_admins_are_told(w):
    project = propose(w)
    assert (project.status, project.origin) == (ProjectStatus.proposed, ProjectOrigin.proposal)
    assert project.proposed_by_partner_id == w.unit.id
    assert [p.name for p in project.partners] == ["Tax Bureau"]
    assert "project_proposed" in kinds(w.admin.id)
    assert services.proposals_waiting(w.tree.community_a) == 1


def test_a_unit_cannot_propose_to_a_community_it_did_not_report_to(w):
    with pytest.raises(ServiceError) as refused:
        propose(w, community=w.tree.community_b)
    assert refused.value.field == "community_id"
    with pytest.raises(ServiceError) as refused:
        propose(w, offer="")
    assert refused.value.field == "offer"
    assert db.session.scalar(select(Project.id)) is None


def test_accepting_puts_it_on_the_list_and_tells_the_unit(w):
    project = propose(w)
    services.accept_proposal(w.admin.id, project.id, now=NOW)
    project = db.session.get(Project, project.id)
    assert project.status is ProjectStatus.active and project.decided_by_id == w.admin.id
    assert "project_proposal_accepted" in kinds(w.unit_staff.id)
    assert services.proposals_waiting(w.tree.community_a) == 0
    with pytest.raises(ServiceError):  # decided once
        services.decline_proposal(w.other_admin.id, project.id, "No", now=NOW)


def test_declining_needs_a_reason_and_the_unit_reads_it(w):
    project = propose(w)
    with pytest.raises(ServiceError) as refused:
        services.decline_proposal(w.admin.id, project.id, "", now=NOW)
    assert refused.value.field == "reason"
    services.decline_proposal(w.admin.id, project.id, "We have a tax desk already.", now=NOW)
    project = db.session.get(Project, project.id)
    assert (project.status, project.reason) == (
        ProjectStatus.declined,
        "We have a tax desk already.",
    )
    notice = db.session.scalar(
        select(Notification).where(Notification.kind == "project_proposal_declined")
    )
    assert notice.user_id == w.unit_staff.id
    assert notice.params["reason"] == "We have a tax desk already."


def test_the_proposer_never_decides_their_own_proposal(w):
    project = propose(w)
    assert permissions.can(w.unit_staff, Action.PROPOSE_PROJECT, w.unit)
    assert not permissions.can(w.unit_staff, Action.DECIDE_PROPOSAL, project)
    assert permissions.can(w.unit_staff, Action.VIEW_PROJECT, project)
    assert permissions.can(w.admin, Action.DECIDE_PROPOSAL, project)
