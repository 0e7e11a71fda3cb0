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


def test_the_counts_the_planner_leans_on_are_exact(app, backend):
    """A sampled ANALYZE guesses an index's first column from its first rows; the job
    writes the table's rows and the rows per value of that column exactly."""
    if backend != "sqlite":
        return
    tree = make_tree()
    for n in range(12):
        a = n < 9
        make_user(
            tree,
            community="community_a" if a else "community_b",
            grid="grid_a1" if a else "grid_b1",
        )
    db.session.commit()
    from govhub.database import refresh_sqlite_statistics

    written = refresh_sqlite_statistics(db.engine, sample_rows=4)
    db.session.commit()
    stat = db.session.execute(
        db.text("SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_volunteer_profile_community_id'")
    ).scalar_one()
    # 12 volunteers in 2 communities: 6 rows per community, whatever the sample saw
    # (4 rows: all of community A).
    assert stat.split(" ")[:2] == ["12", "6"]
    assert written["ix_volunteer_profile_community_id"] == stat


def test_it_is_scheduled_nightly():
    job = jobs.JOBS["refresh_statistics"]
    assert job.trigger == "cron" and job.misfire_grace_time >= 600
