"""The dashboards of a street, a district and the city are counted once per
``DASHBOARD_CACHE_SECONDS`` and kept (govhub/oversight/snapshot.py): a second view within
that time shows the same figures with the time they were counted, another period or
another unit is counted on its own, and a community's dashboard is counted on every view.
An older snapshot is shown to everyone but the one view that counts it again; a cache
that cannot be reached means counting now. Here the cache is Flask-Caching's in-process
SimpleCache (tests/conftest.py turns it off for every other test)."""

from __future__ import annotations

import logging
import re
import socket
import time
from dataclasses import replace
from datetime import timedelta

import pytest

from govhub.accounts.models import Role
from govhub.clock import local_today
from govhub.database import utcnow
from govhub.extensions import cache
from govhub.oversight import snapshot
from govhub.oversight.period import Period
from tests.factories import make_admin, make_tree
from tests.oversight.test_dashboard_views import figure, served, text_of

pytestmark = pytest.mark.app_config(CACHE_TYPE="SimpleCache", DASHBOARD_CACHE_SECONDS=600)


def _closed_port() -> int:
    """A local port where nothing listens (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Sockets that accept a connection and never answer, kept open for the whole session.
_SILENT: list[socket.socket] = []


def _silent_port() -> int:
    """A local port where something listens but never answers (the kernel completes the
    connection; nobody reads or writes): a Redis that hangs."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    _SILENT.append(listener)
    return listener.getsockname()[1]


def counted_at(page: str) -> str:
    match = re.search(r'id="counted-at">(.*?)</p>', page, re.S)
    assert match, "no time of counting"
    return match.group(1)


@pytest.fixture
def tree(app):
    cache.clear()
    return make_tree()


def served_this_month(tree, admin):
    """A volunteer who served two hours this month (confirmed)."""
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=6)
    if start.date() < local_today().replace(day=1):  # the first hours of a month
        start = utcnow().replace(microsecond=0) - timedelta(hours=2, minutes=20)
    return served(tree, admin, start=start)


def test_a_street_dashboard_is_kept_and_says_when_it_was_counted(client, auth, tree):
    community_admin = make_admin(tree, Role.community_admin, "community_a")
    street_admin = make_admin(tree, Role.oversight_admin, "street")
    auth.login(street_admin.phone)
    first = text_of(client.get(f"/oversight/units/{tree.street}"))
    assert figure(first, "hours") == "0.0小时"
    assert 'id="counted-at"' in first
    assert "每10分钟重新统计一次" in first

    served_this_month(tree, community_admin)
    # Within the ten minutes the street shows what it counted; the community, counted on
    # every view, shows the new hours at once and no time of counting.
    again = text_of(client.get(f"/oversight/units/{tree.street}"))
    assert figure(again, "hours") == "0.0小时"
    community = text_of(client.get(f"/oversight/units/{tree.community_a}"))
    assert figure(community, "hours") == "2.0小时"
    assert 'id="counted-at"' not in community

    # Counted again (as when the ten minutes are up): the street has the hours too.
    cache.clear()
    fresh = text_of(client.get(f"/oversight/units/{tree.street}"))
    assert figure(fresh, "hours") == "2.0小时"


def test_each_unit_and_period_is_kept_on_its_own(client, auth, tree):
    community_admin = make_admin(tree, Role.community_admin, "community_a")
    city_admin = make_admin(tree, Role.oversight_admin, "city")
    auth.login(city_admin.phone)
    client.get(f"/oversight/units/{tree.street}")
    served_this_month(tree, community_admin)
    # The district and this year were not counted before: they count the new hours.
    assert figure(text_of(client.get(f"/oversight/units/{tree.district}")), "hours") == "2.0小时"
    year = f"/oversight/units/{tree.street}?period=year&year={local_today().year}"
    assert figure(text_of(client.get(year)), "hours") == "2.0小时"
    assert figure(text_of(client.get(f"/oversight/units/{tree.street}")), "hours") == "0.0小时"
    # The monthly report of the street reads the same kept figures as its dashboard.
    month = local_today().strftime("%Y-%m")
    report = client.get(f"/oversight/units/{tree.street}/report?month={month}")
    assert report.status_code == 200
    assert 'id="counted-at"' in report.text  # the street's report says when it was counted
    community = client.get(f"/oversight/units/{tree.community_a}/report?month={month}")
    assert 'id="counted-at"' not in community.text  # a community's is counted now


def test_refresh_counts_again_and_keeps(app, tree):
    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit

    community_admin = make_admin(tree, Role.community_admin, "community_a")
    street = db.session.get(OrgUnit, tree.street)
    period = Period.month(local_today())
    assert snapshot.dashboard(street, period).figures.minutes == 0
    served_this_month(tree, community_admin)
    assert snapshot.dashboard(street, period).figures.minutes == 0  # kept
    assert snapshot.refresh([street], period) == 1
    kept = snapshot.dashboard(street, period)
    assert kept.figures.minutes == 120


def test_a_kept_entry_of_another_release_is_not_read(app, tree):
    """The key holds the figures' field names: a release that changes them counts anew."""
    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit

    street = db.session.get(OrgUnit, tree.street)
    period = Period.month(local_today())
    assert snapshot.key(street, period).startswith(f"oversight:{snapshot.SHAPE}:{street.id}:")
    cache.set(snapshot.key(street, period), "written by another release")
    assert isinstance(snapshot.dashboard(street, period), snapshot.Snapshot)


def test_the_job_keeps_the_city_and_the_districts_of_this_month(app, tree):
    from govhub import jobs
    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit

    community_admin = make_admin(tree, Role.community_admin, "community_a")
    served_this_month(tree, community_admin)
    assert jobs.refresh_dashboards(now=utcnow()) == 2  # the city and its one district
    this_month = Period.month(local_today())
    for unit_id in (tree.city, tree.district):
        unit = db.session.get(OrgUnit, unit_id)
        assert cache.get(snapshot.key(unit, this_month)).figures.minutes == 120
    street = db.session.get(OrgUnit, tree.street)
    assert cache.get(snapshot.key(street, this_month)) is None  # counted when opened
    assert jobs.JOBS["refresh_dashboards"].options == {"minutes": 5}


def test_a_dashboard_being_counted_elsewhere_is_waited_for_not_counted_again(
    app, tree, monkeypatch
):
    """Nothing is kept yet (a cold start) and another worker holds the mark, keeping its
    result a moment later: this view shows that result and counts nothing itself."""
    import threading

    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit

    street = db.session.get(OrgUnit, tree.street)
    period = Period.month(local_today())
    theirs = snapshot.count(street, period)
    name = snapshot.key(street, period)
    assert cache.add(f"{name}:counting", True, timeout=30)
    monkeypatch.setattr(snapshot, "POLL_SECONDS", 0.05)
    later = threading.Timer(0.3, lambda: cache.set(name, theirs))
    counted = []
    monkeypatch.setattr(snapshot, "count", lambda *a, **k: counted.append(a))
    later.start()
    try:
        assert snapshot.dashboard(street, period).counted_at == theirs.counted_at
    finally:
        later.join()
    assert counted == []


def test_a_mark_left_by_a_worker_that_died_is_waited_for_a_few_seconds_only(app, tree):
    """On a cold start a view waits at most COLD_WAIT_SECONDS for a mark's holder, then
    counts and keeps the figures itself."""
    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit

    street = db.session.get(OrgUnit, tree.street)
    period = Period.month(local_today())
    name = snapshot.key(street, period)
    assert cache.add(f"{name}:counting", True, timeout=30)  # nobody will keep anything
    began = time.monotonic()
    found = snapshot.dashboard(street, period)
    waited = time.monotonic() - began
    assert snapshot.COLD_WAIT_SECONDS <= waited < snapshot.COLD_WAIT_SECONDS + 2
    assert cache.get(name).counted_at == found.counted_at  # counted here, and kept


def test_an_older_snapshot_is_shown_at_once_while_another_worker_counts_it_again(
    client, auth, tree, monkeypatch
):
    """Stale-while-revalidate: a street counted 20 minutes ago (past its 10) is shown to
    a second viewer as it is, with its time, while the first viewer's worker holds the
    mark and counts; once the mark is gone the next view counts the new hours."""
    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit

    community_admin = make_admin(tree, Role.community_admin, "community_a")
    street_admin = make_admin(tree, Role.oversight_admin, "street")
    street = db.session.get(OrgUnit, tree.street)
    period = Period.month(local_today())
    name = snapshot.key(street, period)
    older = replace(snapshot.count(street, period), counted_at=utcnow() - timedelta(minutes=20))
    cache.set(name, older, timeout=snapshot.KEEP_SECONDS)
    served_this_month(tree, community_admin)
    assert cache.add(f"{name}:counting", True, timeout=30)  # another worker is counting
    auth.login(street_admin.phone)

    began = time.monotonic()
    stale = text_of(client.get(f"/oversight/units/{tree.street}"))
    assert time.monotonic() - began < snapshot.POLL_SECONDS + 1  # not kept waiting
    assert figure(stale, "hours") == "0.0小时"  # the older figures
    assert cache.get(name).counted_at == older.counted_at  # nothing counted over them

    cache.delete(f"{name}:counting")  # that worker is done (here: it died)
    fresh = text_of(client.get(f"/oversight/units/{tree.street}"))
    assert figure(fresh, "hours") == "2.0小时"
    assert counted_at(fresh) != counted_at(stale)  # the page says the figures are newer
    assert cache.get(name).counted_at > older.counted_at  # and they are kept


def test_a_snapshot_within_its_minutes_is_shown_though_nobody_counts(app, tree, monkeypatch):
    from govhub.extensions import db
    from govhub.orgs.models import OrgUnit

    street = db.session.get(OrgUnit, tree.street)
    period = Period.month(local_today())
    recent = replace(snapshot.count(street, period), counted_at=utcnow() - timedelta(minutes=9))
    cache.set(snapshot.key(street, period), recent)
    counted = []
    monkeypatch.setattr(snapshot, "count", lambda *a, **k: counted.append(a))
    assert snapshot.dashboard(street, period).counted_at == recent.counted_at
    assert counted == []


@pytest.mark.app_config(
    CACHE_TYPE="RedisCache",
    CACHE_REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0",
    DASHBOARD_CACHE_SECONDS=600,
)
def test_a_street_dashboard_is_counted_now_when_redis_cannot_be_reached(app, client, auth, caplog):
    tree = make_tree()
    community_admin = make_admin(tree, Role.community_admin, "community_a")
    street_admin = make_admin(tree, Role.oversight_admin, "street")
    served_this_month(tree, community_admin)
    auth.login(street_admin.phone)
    with caplog.at_level(logging.WARNING, logger="govhub.oversight.snapshot"):
        response = client.get(f"/oversight/units/{tree.street}")
        report = client.get(f"/oversight/units/{tree.street}/report")
    assert response.status_code == 200
    assert figure(text_of(response), "hours") == "2.0小时"
    assert report.status_code == 200
    warnings = [r for r in caplog.records if r.name == "govhub.oversight.snapshot"]
    assert warnings and all(r.levelno == logging.WARNING for r in warnings)
    assert "cannot be reached" in warnings[0].getMessage()


@pytest.mark.app_config(
    CACHE_TYPE="RedisCache",
    CACHE_REDIS_URL=f"redis://127.0.0.1:{_silent_port()}/0",
    DASHBOARD_CACHE_SECONDS=600,
)
def test_a_redis_that_does_not_answer_costs_a_second_not_the_page(app, client, auth):
    """redis-py waits without limit by default: the cache's client is given
    ``REDIS_CACHE_TIMEOUT``, and the dashboard is then counted without the cache."""
    import threading

    tree = make_tree()
    community_admin = make_admin(tree, Role.community_admin, "community_a")
    street_admin = make_admin(tree, Role.oversight_admin, "street")
    served_this_month(tree, community_admin)
    auth.login(street_admin.phone)
    responses = []

    def view():
        with app.app_context():
            responses.append(client.get(f"/oversight/units/{tree.street}"))

    viewer = threading.Thread(target=view, daemon=True)
    viewer.start()
    viewer.join(30)
    assert responses, "the dashboard waited on the silent Redis"
    assert responses[0].status_code == 200
    assert figure(text_of(responses[0]), "hours") == "2.0小时"
