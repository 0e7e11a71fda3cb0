"""`make bench` end to end at a tiny size on SQLite, so the harness cannot rot: gunicorn,
the load generator, the ceilings and every scenario run, and what the scenarios must
keep exactly (every check-in once, no oversold reward, balances equal to the ledger) is
checked. Never the times: the benchmark measures those."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_smoke_run_writes_every_scenario_with_exact_results(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVHUB_")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--db", "sqlite", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    (written,) = tmp_path.glob("*-sqlite.json")
    result = json.loads(written.read_text(encoding="utf-8"))
    assert result["database"] == "sqlite"
    assert {"cpu", "cores", "ram_gb", "python", "sqlite"} <= result["machine"].keys()
    scenarios = result["scenarios"]
    assert set(scenarios) == {
        "checkin_burst",
        "redemption_rush",
        "warm",
        "pages",
        "memory",
        "jobs",
    }
    # The scheduler's dashboards (the demo's city and its district) were kept first.
    assert scenarios["warm"]["dashboards"] >= 2

    burst = scenarios["checkin_burst"]
    assert burst["errors"] == 0, burst["error_samples"]
    assert burst["checked_in"] == burst["volunteers"] == 20
    assert burst["verify"]["exactly_once"], burst["verify"]
    assert burst["requests_per_checkin"] == 2  # the scanned page, and its POST
    assert burst["ceiling"]["errors"] == 0 and burst["ratio"] > 0

    rush = scenarios["redemption_rush"]
    assert rush["errors"] == 0 and rush["server_errors"] == 0, rush["error_samples"]
    assert rush["outcomes"] == {"303": 5, "422": 7}
    assert rush["verify"]["exact"], rush["verify"]
    assert rush["verify"]["stock_left"] == 0 and not rush["verify"]["oversold"]

    pages = scenarios["pages"]
    for name in (
        "needs board, filtered",
        "为你推荐",
        "my points (longest history)",
        "my tasks (typical)",
        "check-in screen refresh",
        "leaderboard street all points",
        "points supermarket",
        "shop home",
        "attendance (500 people)",
        "matching candidates",
        "oversight city",
        "oversight community",
        "export service-records (city, last year)",
    ):
        assert name in pages
    for name, page in pages.items():
        assert page["errors"] == 0, (name, page["path"], page["error_samples"])
        assert page["requests"] > 0 and page["ratio"] is not None

    assert scenarios["jobs"]["jobs"]["audit_ledger"]["result"] == 0  # no mismatch
    assert list(scenarios["jobs"]["jobs"])[0] == "audit_ledger"
    assert all(w["peak_mb"] > 0 for w in scenarios["memory"]["workers"])
    assert "| check-in burst |" in done.stdout
