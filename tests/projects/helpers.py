"""Data for the projects-list tests, built through the services."""

from __future__ import annotations

import io
from datetime import timedelta
from types import SimpleNamespace

from PIL import Image

from govhub.checkin import services as checkin
from govhub.checkin.models import Evidence
from govhub.extensions import db
from govhub.needs import claims
from govhub.projects import services
from govhub.projects.models import Project
from tests.factories import NOW, make_admin, make_need, make_tree, make_user
from tests.resources.helpers import make_liaison, make_unit


def world() -> SimpleNamespace:
    """Community A with two admins, a need whose shift was served (two volunteers,
    confirmed), and a stationed unit reported to A whose staff is ``unit_staff``."""
    tree = make_tree()
    admin = make_admin(tree, scope="community_a", name="Admin One")
    other_admin = make_admin(tree, scope="community_a", name="Admin Two")
    then = NOW - timedelta(days=10)
    need = make_need(tree, admin=admin, title="Tutoring", shifts=((1, 2, 5),), now=then)
    shift = need.shifts[0]
    helpers = [make_user(tree, name="张晓明"), make_user(tree, name="李华")]
    for person in helpers:
        claims.claim_shift(person.id, shift.id, now=then)
        checkin.check_in(person.id, shift.id, now=shift.starts_at, evidence=Evidence.code_scan)
        checkin.check_out(person.id, shift.id, now=shift.ends_at, evidence=Evidence.code_scan)
    checkin.confirm_shift(admin.id, shift.id, {}, now=shift.ends_at + timedelta(hours=1))
    unit, unit_staff = make_unit(tree, community="community_a", name="Tax Bureau")
    make_liaison(tree, unit, community="community_a", liaison=unit_staff, today=NOW.date())
    return SimpleNamespace(
        tree=tree,
        admin=admin,
        other_admin=other_admin,
        need=db.session.get(type(need), need.id),
        helpers=helpers,
        unit=unit,
        unit_staff=unit_staff,
    )


def record(w, *, title="Homework club", need_ids=None, **kwargs) -> Project:
    project = services.record(
        w.admin.id,
        w.tree.community_a,
        services.ProjectInput(title=title, summary="Evenings, twice a week."),
        need_ids if need_ids is not None else [w.need.id],
        kwargs.pop("partner_ids", []),
        now=kwargs.pop("now", NOW),
    )
    return db.session.get(Project, project.id)


def jpeg(size=(640, 480), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()
