"""A shift to check in to: a need in community A, one shift of 2 hours."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from govhub.checkin import services
from govhub.checkin.models import Evidence
from govhub.extensions import db
from govhub.needs import claims
from govhub.needs.models import Shift
from tests.factories import NOW, make_admin, make_need, make_tree, make_user

START = NOW + timedelta(days=1)  # the shift: START .. START + 2 h
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def shift_world(*, capacity: int = 10, volunteers: int = 2, walk_ins: bool = False, **need_fields):
    tree = make_tree()
    admin = make_admin(tree)
    need = make_need(tree, admin=admin, shifts=((1, 2, capacity),), **need_fields)
    shift = need.shifts[0]
    if walk_ins:
        shift.walk_ins = True
        db.session.commit()
    people = [make_user(tree, name=f"志愿者{n}") for n in range(volunteers)]
    for person in people:
        claims.claim_shift(person.id, shift.id, now=NOW)
    return SimpleNamespace(
        tree=tree, admin=admin, need=need, shift=db.session.get(Shift, shift.id), volunteers=people
    )


def scan_in(user, shift, at):
    return services.check_in(user.id, shift.id, now=at, evidence=Evidence.code_scan)


def scan_out(user, shift, at):
    return services.check_out(user.id, shift.id, now=at, evidence=Evidence.code_scan)
