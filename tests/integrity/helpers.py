"""Activities in the recent past (the review reads the trail's real clock), built with the
services: claims, scans, hand entries, confirmations."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from govhub.checkin import services as checkin
from govhub.checkin.models import Evidence
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import claims
from govhub.needs.models import Shift
from tests.factories import make_need, make_user

HOUR = timedelta(hours=1)


def past_shift(tree, admin, *, starts_ago=timedelta(hours=3), hours=2, people=3, title="助老"):
    """A need of community A whose one shift started ``starts_ago`` and lasts ``hours``,
    claimed by ``people`` new volunteers."""
    now = utcnow()
    posted = now - starts_ago - HOUR
    need = make_need(
        tree, admin=admin, now=posted, title=title, shifts=((0.01, hours, people + 5),)
    )
    shift = need.shifts[0]
    volunteers = [make_user(tree, name=f"{title}志愿者{n}") for n in range(people)]
    for person in volunteers:
        claims.claim_shift(person.id, shift.id, now=posted)
    shift = db.session.get(Shift, shift.id)
    shift.starts_at = now - starts_ago
    shift.ends_at = shift.starts_at + timedelta(hours=hours)
    db.session.commit()
    return SimpleNamespace(need=need, shift=db.session.get(Shift, shift.id), people=volunteers)


def scanned(activity, person) -> None:
    """In and out by scanning the code, at the start and the end of the shift."""
    shift = activity.shift
    checkin.check_in(person.id, shift.id, now=shift.starts_at, evidence=Evidence.code_scan)
    checkin.check_out(person.id, shift.id, now=shift.ends_at, evidence=Evidence.code_scan)


def by_hand(activity, person, admin, *, reason="老人没有手机") -> None:
    """A check-in entered by an admin now, for the shift's start."""
    shift = activity.shift
    checkin.check_in(
        person.id,
        shift.id,
        now=utcnow(),
        evidence=Evidence.manual,
        actor_id=admin.id,
        reason=reason,
        at=shift.starts_at,
    )


def confirm(activity, admin, decisions=None) -> None:
    checkin.confirm_shift(admin.id, activity.shift.id, decisions or {}, now=utcnow())
