"""Data for the invitation and resource-request tests, built through the services."""

from __future__ import annotations

import itertools

from govhub.extensions import db
from govhub.matching import invitations
from govhub.matching.models import Invitation
from tests.factories import NOW

_keys = itertools.count(1)


def key() -> str:
    return f"test-invite-{next(_keys)}"


def invite(admin, shift, *volunteers, now=NOW, **kwargs):
    result = invitations.invite(
        admin.id, shift.id, [v.id for v in volunteers], key=key(), now=now, **kwargs
    )
    return result


def invitation_of(shift, volunteer) -> Invitation:
    return (
        db.session.query(Invitation).filter_by(shift_id=shift.id, volunteer_id=volunteer.id).one()
    )
