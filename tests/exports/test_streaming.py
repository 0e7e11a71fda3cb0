"""Exports stream: 20,000 service records inserted with bulk SQL go out as CSV and
Excel while the worker's Python memory stays bounded (tracemalloc's peak), far below
what holding the file, let alone its rows, would take."""

from __future__ import annotations

import io
import tracemalloc
from datetime import datetime, time, timedelta

import openpyxl
import pytest
from sqlalchemy import func, insert, select

from govhub.accounts.models import User, VolunteerProfile
from govhub.checkin.models import Attendance, AttendanceStatus, Evidence
from govhub.clock import to_utc
from govhub.extensions import db
from govhub.needs.models import Need, NeedStatus, Shift
from tests.exports.helpers import period_args
from tests.factories import PASSWORD, make_category

VOLUNTEERS = 200
SHIFTS = 100  # 200 x 100 = 20,000 attendance rows
# The bound on the Python memory in use while the export is sent (tracemalloc's peak):
# one batch of rows from the database and one chunk of the file, about 1.5 MB on either
# database, whatever the number of rows; the CSV of 20,000 rows is about 3.6 MB.
PEAK_BYTES = 2_000_000
EARLY = 10  # chunks read before the first measure (2,000 rows of 20,000)
GROWTH_BYTES = 100_000  # how much the peak may grow from then to the end


def insert_service(world, volunteers: int = VOLUNTEERS, shifts: int = SHIFTS) -> int:
    """``volunteers`` volunteers of community A, each confirmed at ``shifts`` shifts of
    one need (bulk INSERTs, not the services: this is about reading many rows)."""
    day = world.today - timedelta(days=3)
    first_id = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    users = [
        dict(
            id=first_id + n,
            phone=f"137{n:08d}",
            name=f"志愿者{n:03d}",
            password_hash="!",
            session_token=f"bulk-{n}",
        )
        for n in range(volunteers)
    ]
    db.session.execute(insert(User), users)
    db.session.execute(
        insert(VolunteerProfile),
        [dict(user_id=u["id"], community_id=world.tree.community_a) for u in users],
    )
    need = Need(
        community_id=world.tree.community_a,
        title="楼道清洁",
        category_id=make_category(),
        place="金叶社区活动中心",
        contact_name="Organizer",
        contact_phone="13812345678",
        status=NeedStatus.completed,
    )
    db.session.add(need)
    db.session.flush()
    starts = to_utc(datetime.combine(day, time(8)))
    shift_ids = []
    for n in range(shifts):
        shift = Shift(
            need_id=need.id,
            starts_at=starts + timedelta(minutes=n),
            ends_at=starts + timedelta(minutes=n, hours=1),
            capacity=volunteers,
        )
        db.session.add(shift)
        db.session.flush()
        shift_ids.append(shift.id)
    for shift_id in shift_ids:
        db.session.execute(
            insert(Attendance),
            [
                dict(
                    shift_id=shift_id,
                    volunteer_id=u["id"],
                    checked_in_at=starts,
                    checked_out_at=starts + timedelta(hours=1),
                    check_in_evidence=Evidence.code_scan,
                    check_out_evidence=Evidence.code_scan,
                    status=AttendanceStatus.confirmed,
                    minutes=60,
                    confirmed_at=starts + timedelta(hours=2),
                )
                for u in users
            ],
        )
    db.session.commit()
    return volunteers * shifts


def measured(response) -> tuple[int, int, int, int]:
    """(bytes sent, chunks, tracemalloc's peak after the first EARLY chunks, its peak at
    the end) while reading the streamed body."""
    size = chunks = early = 0
    tracemalloc.start()
    try:
        for chunk in response.response:
            size += len(chunk)
            chunks += 1
            if chunks == EARLY:
                early = tracemalloc.get_traced_memory()[1]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        response.close()
    return size, chunks, early, peak


def address(world, fmt: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in period_args(world).items())
    return f"/oversight/exports/service-records.{fmt}?unit={world.tree.street}&{query}"


def login(plain_client, world) -> None:
    plain_client.post("/login", data={"phone": world.north.phone, "password": PASSWORD})


@pytest.mark.usefixtures("app")
def test_a_csv_of_20000_service_records_streams_in_bounded_memory(plain_client, world):
    count = insert_service(world)
    login(plain_client, world)
    response = plain_client.get(address(world, "csv"))
    assert response.status_code == 200 and response.is_streamed
    size, chunks, early, peak = measured(response)
    # Every row went out, in many pieces...
    assert chunks > count // 1000
    assert size > 1.5 * PEAK_BYTES
    # ...while the memory in use stayed under the bound, and did not grow with the rows.
    assert peak < PEAK_BYTES, f"peak {peak} bytes for a {size}-byte CSV"
    assert peak - early < GROWTH_BYTES, f"the peak grew from {early} to {peak} bytes"


@pytest.mark.usefixtures("app")
def test_an_excel_file_of_20000_service_records_is_written_in_bounded_memory(plain_client, world):
    count = insert_service(world)
    login(plain_client, world)
    tracemalloc.start()
    try:
        response = plain_client.get(address(world, "xlsx"))
        peak = tracemalloc.get_traced_memory()[1]  # the workbook was written
    finally:
        tracemalloc.stop()
    assert response.status_code == 200
    size, chunks, _early, read_peak = measured(response)
    assert int(response.headers["Content-Length"]) == size
    assert chunks > 1 and size > 500_000
    assert peak < 2 * PEAK_BYTES and read_peak < PEAK_BYTES
    response = plain_client.get(address(world, "xlsx"))
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert book.worksheets[0].max_row == count + 1 + 1  # the rows, the fixture's, the header
