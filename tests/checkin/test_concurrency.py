"""500 volunteers may scan the same code within minutes: 300 check in at once here."""

import threading

import pytest
from sqlalchemy import func, select

from govhub.checkin import services
from govhub.checkin.models import Attendance, Evidence
from govhub.extensions import db
from govhub.needs import claims
from tests.checkin.helpers import START
from tests.factories import NOW, make_admin, make_need, make_tree, make_user

VOLUNTEERS = 250
DUPLICATES = 50  # some volunteers' phones send the scan twice


@pytest.mark.app_config(DATABASE_POOL_SIZE=40)
def test_three_hundred_check_ins_at_once_record_everyone_exactly_once(app):
    tree = make_tree()
    need = make_need(tree, admin=make_admin(tree), shifts=((1, 2, 500),))
    shift_id = need.shifts[0].id
    volunteers = [make_user(tree, name=f"V{n}").id for n in range(VOLUNTEERS)]
    for volunteer_id in volunteers:
        claims.claim_shift(volunteer_id, shift_id, now=NOW)
    scans = volunteers + volunteers[:DUPLICATES]
    barrier = threading.Barrier(len(scans))
    outcomes, errors = [], []

    def scan(volunteer_id):
        with app.app_context():
            try:
                barrier.wait()
                result = services.check_in(
                    volunteer_id, shift_id, now=START, evidence=Evidence.code_scan
                )
                outcomes.append((volunteer_id, result.already))
            except Exception as error:  # noqa: BLE001 - every failure is reported below
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=scan, args=(v,)) for v in scans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert errors == []
    assert len(outcomes) == len(scans)  # nothing lost
    fresh = [v for v, already in outcomes if not already]
    assert len(fresh) == VOLUNTEERS, sorted(v for v in set(fresh) if fresh.count(v) > 1)[:5]
    db.session.rollback()
    rows = db.session.execute(select(Attendance.volunteer_id)).scalars().all()
    assert sorted(rows) == sorted(volunteers)  # everyone exactly once
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == VOLUNTEERS
