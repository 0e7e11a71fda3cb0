"""``make bench``: govhub at city scale under gunicorn, against this machine's ceilings.

    python -m bench [--db sqlite,postgres] [--scale 1.0] [--smoke] [--out bench/results]

For each database it builds the city (seed-city, timed; seed-demo where the command does
not exist), prepares the scenarios' volunteers, shift and reward (bench/fixtures.py),
starts govhub and the ceiling app (bench/ceiling_app.py) under gunicorn with the same
settings, and drives both from a separate load-generator process (bench/load.py), each
ceiling measured just before the scenario it is compared with. It writes
``<out>/<date>-<db>.json`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import report

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
CITY = {"volunteers": 320_000, "communities": 540}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_json(args: list[str], env: dict, timeout: float = 3600) -> dict:
    done = subprocess.run(
        args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "{}")


def flask(env: dict, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done


class Gunicorn:
    """One gunicorn server on 127.0.0.1 with its own control socket (gunicorn 27 shares
    ~/.gunicorn/gunicorn.ctl between servers otherwise)."""

    def __init__(self, app: str, env: dict, workdir: Path, workers: int, threads: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        name = app.split(":")[0].replace(".", "-")
        self.log = open(workdir / f"{name}.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w",
                str(workers),
                "--threads",
                str(threads),
                "-b",
                f"127.0.0.1:{self.port}",
                "--control-socket",
                str(workdir / f"{name}.ctl"),
                "--timeout",
                "300",
                "--graceful-timeout",
                "5",
                app,
            ],
            env={**env, "GOVHUB_BASE_URL": self.base},
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait(self, path: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.base + path, timeout=5):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer {path}; see {self.log.name}")

    def workers(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return sorted(children)

    def memory(self) -> list[dict]:
        """Peak and current resident memory of each worker (VmHWM, VmRSS)."""
        found = []
        for pid in self.workers():
            status = {}
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    status[key] = round(int(value.split()[0]) / 1024, 1)
            found.append(
                {"pid": pid, "peak_mb": status.get("VmHWM"), "rss_mb": status.get("VmRSS")}
            )
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def load(scenario: str, spec: dict, workdir: Path, env: dict) -> dict:
    """One scenario in the separate load-generator process."""
    path = workdir / f"spec-{scenario}.json"
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    return run_json([PYTHON, "-m", "bench.load", scenario, str(path)], env)


def ratio(measured: dict, ceiling: dict) -> float | None:
    if not ceiling.get("throughput_rps"):
        return None
    return round(measured["throughput_rps"] / ceiling["throughput_rps"], 3)


def page_list(fx: dict) -> list[dict]:
    """The issue's pages, each with the account that opens it (bench/fixtures.py)."""
    p = fx["pages"]
    org, typical, longest, admin = fx["organizer"], p["typical"], p["longest"], p["admin"]
    shop_owner = ["13800000020", "demo-business-2026"]
    system_admin = ["13800000001", "demo-admin-2026"]
    shift = fx["shift_id"]
    pages = [
        ("needs board", "/needs", typical),
        ("needs board, filtered", f"/needs?category={p['category']}&places=y", typical),
        ("为你推荐", "/matching/for-me", typical),
        ("my points (typical)", "/my/points", typical),
        ("my points (longest history)", "/my/points", longest),
        ("my tasks (typical)", "/my/tasks", typical),
        ("my tasks (longest history)", "/my/tasks", longest),
        ("check-in screen refresh", f"/manage/shifts/{shift}/checkin/code", org, True),
        ("check-in counter", f"/manage/shifts/{shift}/checkin/counter", org, True),
    ]
    for scope in ("community", "street"):
        for period in ("month", "year", "all"):
            for metric in ("hours", "points"):
                pages.append(
                    (
                        f"leaderboard {scope} {period} {metric}",
                        f"/leaderboard?scope={scope}&period={period}&by={metric}",
                        typical,
                    )
                )
    pages += [
        ("points supermarket", "/rewards", typical),
        ("shop home", f"/shop/{p['shop']}/", shop_owner),
        ("attendance (500 people)", f"/manage/shifts/{shift}/attendance", org),
    ]
    if p["need"]:
        pages.append(("matching candidates", f"/matching/needs/{p['need']}", admin))
    for level, (unit_id, who) in p["units"].items():
        if unit_id:
            pages.append((f"oversight {level}", f"/oversight/units/{unit_id}", who))
    pages.append(("economy report", "/manage/economy", system_admin))
    return [
        {
            "name": item[0],
            "path": item[1],
            "phone": item[2][0],
            "password": item[2][1],
            "htmx": len(item) > 3,
        }
        for item in pages
    ]


def export_list(fx: dict, admin: list) -> list[dict]:
    """City-wide exports of the last year (the seeded year of history)."""
    city = fx["pages"]["units"]["city"][0]
    today = dt.date.today()
    period = f"period=dates&from={today - dt.timedelta(days=365)}&to={today}"
    return [
        {
            "name": f"export {key} (city, last year)",
            "path": f"/oversight/exports/{key}.csv?unit={city}&{period}",
            "phone": admin[0],
            "password": admin[1],
        }
        for key in ("service-records", "volunteers", "points")
    ]


def seed(env: dict, scale: float, smoke: bool) -> dict:
    """Build the city: seed-city at ``scale`` of the issue's city, or seed-demo."""
    started = time.perf_counter()
    flask(env, "db", "upgrade")
    has_city = (
        subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", "seed-city", "--help"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    migrated = time.perf_counter() - started
    started = time.perf_counter()
    if has_city and not smoke:
        volunteers = max(1000, int(CITY["volunteers"] * scale))
        communities = max(4, int(CITY["communities"] * scale))
        flask(
            env,
            "seed-city",
            "--volunteers",
            str(volunteers),
            "--communities",
            str(communities),
            "--seed",
            "1",
            timeout=4 * 3600,
        )
        what = {"command": "seed-city", "volunteers": volunteers, "communities": communities}
    else:
        flask(env, "seed-demo")
        what = {"command": "seed-demo"}
    return {
        **what,
        "migrate_s": round(migrated, 1),
        "seed_s": round(time.perf_counter() - started, 1),
    }


def machine(pg_version: str | None) -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = int(
        next(
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version,
        "kernel": platform.release(),
    }


def bench_database(db: str, args: argparse.Namespace, workdir: Path, out: Path) -> dict:
    """Benchmark one database; ``out`` gets the results so far after every scenario (a
    run stopped half way keeps what it measured, marked incomplete)."""
    env = {
        **os.environ,
        "GOVHUB_ENV": "production",
        "GOVHUB_SECRET_KEY": secrets.token_hex(32),
        "PYTHONPATH": str(ROOT),
        # The kept dashboards of this database's run only (the app and the commands).
        "GOVHUB_CACHE_DIR": str(workdir / "cache"),
    }
    env.pop("GOVHUB_BASE_URL", None)
    server = None
    pg_version = None
    if db == "postgres":
        sys.path.insert(0, str(ROOT))
        from tests import pg

        server = pg.start_server(durable=True)
        if server is None:
            raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        env["GOVHUB_DATABASE_URL"] = server.create_database("govhub_bench")
        pg_version = subprocess.run(
            [str(server.bindir / "postgres"), "--version"], capture_output=True, text=True
        ).stdout.strip()
    else:
        env["GOVHUB_DATABASE_URL"] = f"sqlite:///{workdir / 'govhub.sqlite3'}"
    # Only for the one-off commands; each gunicorn gets its own address.
    env_cli = {**env, "GOVHUB_BASE_URL": "http://127.0.0.1"}
    result: dict = {
        "database": db,
        "scale": None if args.smoke else args.scale,
        "smoke": args.smoke,
        "complete": False,
        "started": dt.datetime.now(dt.UTC).isoformat(),
    }
    scenarios: dict = {}
    result["scenarios"] = scenarios

    def save() -> None:
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")

    servers: list[Gunicorn] = []
    try:
        result["machine"] = machine(pg_version)
        result["city"] = seed(env_cli, args.scale, args.smoke)
        if args.analyze:
            result["city"].update(
                run_json([PYTHON, "-m", "bench.fixtures", "analyze"], env_cli, timeout=3600)
            )
        result["city"]["analyzed"] = args.analyze
        log(f"[{db}] city built: {result['city']}")
        fixture_path = workdir / "fixture.json"
        started = time.perf_counter()
        run_json(
            [
                PYTHON,
                "-m",
                "bench.fixtures",
                "setup",
                str(fixture_path),
                str(args.checkins),
                str(args.redeemers),
                str(args.stock),
            ],
            env_cli,
        )
        result["fixture_setup_s"] = round(time.perf_counter() - started, 1)
        fx = json.loads(fixture_path.read_text(encoding="utf-8"))
        log(f"[{db}] scenarios prepared in {result['fixture_setup_s']} s")
        settings = {"workers": args.workers, "threads": args.threads}
        result["gunicorn"] = settings
        app = Gunicorn("wsgi:app", env, workdir, **settings)
        ceiling = Gunicorn("bench.ceiling_app:app", env, workdir, **settings)
        servers += [app, ceiling]
        app.wait("/healthz")
        ceiling.wait("/ping")
        log(f"[{db}] gunicorn serving govhub on {app.base}, the ceilings on {ceiling.base}")
        admin = ["13800000001", "demo-admin-2026"]

        def ceil(path: str, clients: int, per_client: int) -> dict:
            return load(
                "ceiling",
                {"base": ceiling.base, "path": path, "clients": clients, "per_client": per_client},
                workdir,
                env,
            )

        # Check-in burst, beside the single-INSERT ceiling at the same concurrency and
        # the same number of requests (3 per check-in).
        n = len(fx["checkin_phones"])
        insert_ceiling = ceil("/insert", n, 3)
        burst = load(
            "checkin",
            {
                "base": app.base,
                "organizer": fx["organizer"],
                "shift_id": fx["shift_id"],
                "volunteers": fx["checkin_phones"],
                "password": fx["password"],
            },
            workdir,
            env,
        )
        burst["verify"] = run_json(
            [PYTHON, "-m", "bench.fixtures", "verify-checkin", str(fixture_path)], env_cli
        )
        burst["ceiling"] = insert_ceiling
        burst["ratio"] = ratio(burst, insert_ceiling)
        scenarios["checkin_burst"] = burst
        save()
        log(f"[{db}] check-in burst: {report.brief(burst)}")

        n = len(fx["redeem_phones"])
        insert_ceiling = ceil("/insert", n, 2)
        rush = load(
            "redeem",
            {
                "base": app.base,
                "reward_id": fx["reward_id"],
                "volunteers": fx["redeem_phones"],
                "password": fx["password"],
            },
            workdir,
            env,
        )
        rush["verify"] = run_json(
            [PYTHON, "-m", "bench.fixtures", "verify-redeem", str(fixture_path)], env_cli
        )
        rush["ceiling"] = insert_ceiling
        rush["ratio"] = ratio(rush, insert_ceiling)
        scenarios["redemption_rush"] = rush
        save()
        log(f"[{db}] redemption rush: {report.brief(rush)}")

        # The scheduler counts the city's and the districts' dashboards when it starts
        # and every 5 minutes (jobs.refresh_dashboards); here, once, before the pages.
        scenarios["warm"] = run_json([PYTHON, "-m", "bench.fixtures", "warm"], env_cli)
        log(f"[{db}] dashboards kept: {scenarios['warm']}")
        save()

        # Pages: each beside a one-line-endpoint ceiling measured just before it (in a
        # smoke run, one ceiling for all of them, to keep it short).
        page_results: dict = {}
        scenarios["pages"] = page_results
        every = page_list(fx) + export_list(fx, admin)
        groups = [every] if args.smoke else [[page] for page in every]
        for group in groups:
            n_requests = args.exports if group[0]["name"].startswith("export") else args.requests
            clients = min(args.clients, n_requests)
            ping = ceil("/ping", clients, max(1, n_requests // clients))
            for page in group:
                page["n"] = args.exports if page["name"].startswith("export") else args.requests
            measured = load(
                "pages",
                {
                    "base": app.base,
                    "clients": clients,
                    "n": n_requests,
                    "pages": group,
                    "max_seconds": args.page_seconds,
                },
                workdir,
                env,
            )
            for name, page in measured.items():
                page["ceiling"] = ping
                page["ratio"] = ratio(page, ping)
                page_results[name] = page
                save()
                log(f"[{db}] {name}: {report.brief(page)}")
        scenarios["pages"] = page_results

        scenarios["memory"] = {"workers": app.memory(), "ceiling_workers": ceiling.memory()}
        log(f"[{db}] memory: {scenarios['memory']['workers']}")
        save()
        scenarios["jobs"] = run_json([PYTHON, "-m", "bench.fixtures", "jobs"], env_cli)
        log(f"[{db}] jobs: writer waited at most {scenarios['jobs']['writer_max_wait_ms']} ms")
        result["complete"] = True
    finally:
        for running in servers:  # SIGTERM to both first: they shut down side by side
            if running.process.poll() is None:
                running.process.send_signal(signal.SIGTERM)
        for running in servers:
            running.stop()
        if server is not None:
            server.stop()
        log(f"[{db}] servers stopped")
    result["finished"] = dt.datetime.now(dt.UTC).isoformat()
    save()
    return result


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the issue's city")
    parser.add_argument("--smoke", action="store_true", help="a tiny run: demo data, few clients")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    # README's production section: `gunicorn -w 4 -b ... wsgi:app` (sync workers).
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--checkins", type=int, default=500)
    parser.add_argument("--redeemers", type=int, default=200)
    parser.add_argument("--stock", type=int, default=50)
    parser.add_argument("--requests", type=int, default=100, help="requests per page")
    parser.add_argument("--exports", type=int, default=4, help="requests per export")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients per page")
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="measure the freshly built city without the planner statistics of a night",
    )
    parser.add_argument(
        "--page-seconds", type=float, default=20, help="stop a page's requests after this"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.checkins, args.redeemers, args.stock = 20, 12, 5
        args.requests, args.exports, args.clients = 2, 1, 1
        args.workers = min(args.workers, 2)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for db in [d.strip() for d in args.db.split(",") if d.strip()]:
        path = out / f"{dt.date.today().isoformat()}-{db}.json"
        with tempfile.TemporaryDirectory(prefix=f"govhub-bench-{db}-") as workdir:
            result = bench_database(db, args, Path(workdir), path)
        log(f"[{db}] written to {path}")
        results.append(result)
    print(report.table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
