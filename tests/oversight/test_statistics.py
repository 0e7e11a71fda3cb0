"""The nightly job that keeps SQLite's planner statistics (govhub/jobs.py)."""

from __future__ import annotations

from govhub import jobs
from govhub.extensions import db
from tests.factories import NOW, make_tree, make_user


def test_sqlite_gets_its_statistics_and_postgresql_needs_none(app, backend):
    tree = make_tree()
    make_user(tree)
    ran = jobs.refresh_statistics(now=NOW)
    if backend == "sqlite":
        assert ran == 1
        db.session.commit()  # end the session's read transaction: see the job's commit
        tables = {row[0] for row in db.session.execute(db.text("SELECT tbl FROM sqlite_stat1"))}
        assert {"org_unit", "user_account", "volunteer_profile"} <= tables
    else:
        assert ran == 0
    assert jobs.refresh_statistics(now=NOW) == ran  # idempotent


def test_it_is_scheduled_nightly():
    job = jobs.JOBS["refresh_statistics"]
    assert job.trigger == "cron" and job.misfire_grace_time >= 600
