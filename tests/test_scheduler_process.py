"""Two real scheduler processes on one database: one runs, the other waits; SIGTERM stops
the runner cleanly and hands the lease back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime

from sqlalchemy import select

from govhub.extensions import db
from govhub.scheduler import LEASE_NAME, SchedulerLease


def start_scheduler(database_url, tmp_path, name):
    env = {
        **os.environ,
        "GOVHUB_DATABASE_URL": database_url,
        "GOVHUB_SECRET_KEY": "scheduler-test",
        "GOVHUB_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 (closed by the caller's process)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def lease():
    db.session.rollback()
    return db.session.scalar(select(SchedulerLease).where(SchedulerLease.name == LEASE_NAME))


def wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_one_scheduler_runs_a_second_waits_and_sigterm_releases_the_lease(
    app, database_url, tmp_path
):
    first = start_scheduler(database_url, tmp_path, "first")
    try:
        held = wait_for(lambda: (found := lease()) and f":{first.pid}:" in found.holder and found)
        assert held.expires_at > datetime(2020, 1, 1)
        second = start_scheduler(database_url, tmp_path, "second")
        try:
            wait_for(lambda: "starting" in (tmp_path / "second.log").read_text())
            time.sleep(3)  # long enough for its start-up run of every job to be refused
            assert f":{first.pid}:" in lease().holder  # the second did not take over
            assert second.poll() is None  # it waits, it does not exit
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(30) == 0
        assert f":{first.pid}:" in lease().holder  # stopping the idle one changes nothing

        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0, (tmp_path / "first.log").read_text()
        released = lease()
        assert f":{first.pid}:" in released.holder
        assert released.expires_at == datetime(2000, 1, 1)  # free for the next scheduler
    finally:
        for process in (first,):
            if process.poll() is None:
                process.kill()
