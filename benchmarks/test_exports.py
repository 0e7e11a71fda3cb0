"""A city-wide export: 100,000 confirmed service records (500 volunteers at 200 shifts,
bulk INSERTs) of the whole city for the period, as CSV and as Excel, through the same
writer and dataset query as the download. Measures the time of the whole file, and
asserts that the worker's Python memory (tracemalloc's peak) stays bounded while it is
written: it does not grow with the rows."""

from __future__ import annotations

import tempfile
import tracemalloc
from datetime import timedelta
from functools import partial

import pytest

from govhub import permissions
from govhub.exports import datasets, writer
from govhub.extensions import db
from govhub.orgs.models import OrgUnit
from govhub.oversight.period import Kind, Period
from tests.exports.helpers import make_world
from tests.exports.test_streaming import insert_service

VOLUNTEERS, SHIFTS = 500, 200
PEAK_BYTES = 3_000_000  # a few batches of rows, whatever their number


@pytest.fixture
def city(app):
    world = make_world()
    count = insert_service(world, VOLUNTEERS, SHIFTS)
    unit = db.session.get(OrgUnit, world.tree.city)
    period = Period(Kind.dates, world.today - timedelta(days=30), world.today)
    phones = partial(permissions.sees_phones_clause, world.north)
    scope = datasets.Scope.of(unit, period, world.today, phones)
    return app, scope, count


def export(app, scope, fmt: str, *, trace: bool = False) -> tuple[int, int]:
    """(bytes written, tracemalloc's peak or 0) of the city's service records as ``fmt``
    (tracemalloc slows Python several times: the timed runs go without it)."""
    dataset = datasets.DATASETS["service-records"]
    if trace:
        tracemalloc.start()
    try:
        with app.test_request_context():
            rows = datasets.rows(dataset, scope)
            if fmt == "csv":
                size = sum(len(c.encode()) for c in writer.csv_chunks(dataset.header(), rows))
            else:
                with tempfile.TemporaryFile() as target:
                    writer.write_xlsx(target, dataset.header(), rows, title="bench")
                    size = target.tell()
            peak = tracemalloc.get_traced_memory()[1] if trace else 0
    finally:
        if trace:
            tracemalloc.stop()
    return size, peak


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_city_export(benchmark, city, fmt):
    app, scope, count = city
    size, peak = export(app, scope, fmt, trace=True)
    assert size > count * 20  # every row went out
    assert peak < PEAK_BYTES, f"peak {peak} bytes for a {size}-byte {fmt}"
    benchmark.extra_info.update(rows=count, bytes=size, peak_bytes=peak)
    benchmark.pedantic(lambda: export(app, scope, fmt), rounds=3, iterations=1)
