"""Operations commands: ``flask --app wsgi seed-demo | scheduler | backup | audit-ledger |
create-admin``."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import click
from flask import Flask

from govhub.database import ServiceError

ALL_INTERFACES = ("0.0.0.0", "::", "")  # noqa: S104 (compared with, never bound)


def reachable(host: str) -> str:
    """``host`` as a link can use it: a server on every interface (0.0.0.0, ::) is linked
    by this computer's LAN address, the one phones on the same network reach."""
    if host not in ALL_INTERFACES:
        return f"[{host}]" if ":" in host else host
    # Connecting a UDP socket sends nothing; it only picks the interface of the route.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
        except OSError:
            return socket.gethostname()


def _exit_cleanly(_signal: int, _frame: object) -> None:
    raise SystemExit(0)


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only seed when the database has no org units.")
    def seed_demo(if_empty: bool) -> None:
        """Load the demo city (idempotent: running it twice changes nothing)."""
        from govhub import demo

        if if_empty and demo.has_data():
            click.echo("The database already has data; demo not loaded.")
        else:
            summary = demo.seed()
            added = ", ".join(f"{count} {what}" for what, count in summary.items())
            click.echo(
                f"Demo loaded: added {added}." if added else "Demo already loaded; nothing changed."
            )
        click.echo(demo.logins_table())

    @app.cli.command("seed-city")
    @click.option("--volunteers", default=320_000, show_default=True, type=click.IntRange(10))
    @click.option("--communities", default=540, show_default=True, type=click.IntRange(1))
    @click.option("--seed", default=1, show_default=True, help="Same seed, same city.")
    @click.option(
        "--today",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="The local date the year of history ends on (default: today).",
    )
    def seed_city(volunteers: int, communities: int, seed: int, today) -> None:
        """Generate a whole city (the demo first) for measuring at scale."""
        from govhub.clock import local_today
        from govhub.demo import city

        if volunteers < communities * 10:
            raise click.ClickException("Give at least 10 volunteers per community.")
        if city.has_city():
            raise click.ClickException(
                "This database already has the generated city; seed-city runs once, "
                "on an empty database."
            )
        day = today.date() if today else local_today()
        result = city.seed_city(
            volunteers=volunteers, communities=communities, seed=seed, today=day
        )
        click.echo(f"City generated for {day.isoformat()} (seed {seed}).")
        for table, count in sorted(city.totals().items()):
            click.echo(f"  {table:<32} {count:>10,}")
        click.echo(f"Long histories (password {city.PASSWORD}):")
        for phone, name, claims, entries in result.long_histories:
            click.echo(f"  {phone}  {name}  {claims:,} claims, {entries:,} ledger entries")
        click.echo(f"Every generated account's password: {city.PASSWORD}")
        phases = ", ".join(f"{name} {at}s" for name, at in result.phases.items())
        click.echo(f"Done in {result.seconds:.1f} s ({phases}).")

    @app.cli.command("demo-activity")
    @click.option(
        "--base-url",
        envvar="GOVHUB_BASE_URL",
        default=None,
        help="The address phones use to reach the site, e.g. http://192.168.1.20:5000 "
        "(default: GOVHUB_BASE_URL, else SERVER_NAME, else --host and --port).",
    )
    @click.option("--host", default="127.0.0.1", show_default=True, help="As given to flask run.")
    @click.option("--port", default=5000, show_default=True, help="As given to flask run.")
    def demo_activity(base_url: str | None, host: str, port: int) -> None:
        """Start a demo shift now (金叶社区) to try QR check-in live."""
        from govhub import demo
        from govhub.database import utcnow
        from govhub.urls import external_url

        try:
            need, shift_id = demo.start_activity(now=utcnow())
        except ServiceError as error:
            raise click.ClickException(error.message) from error
        if not base_url:
            server = app.config.get("SERVER_NAME")
            base_url = f"http://{server}" if server else f"http://{reachable(host)}:{port}"
        with app.test_request_context(base_url=base_url.rstrip("/")):
            screen = external_url("checkin.screen", shift_id=shift_id)
        click.echo(
            f"Demo activity {need.title!r} is running. Log in as 13800000002 "
            f"(demo-jinye-2026) and open the check-in screen: {screen}"
        )

    @app.cli.command("scheduler")
    def scheduler() -> None:
        """Run the scheduled jobs (one scheduler per deployment; a second one waits)."""
        from govhub.scheduler import Runner

        runner = Runner(app)
        # A service manager stops it with SIGTERM: leave as after Ctrl-C, letting a running
        # job finish and releasing the lease, so another scheduler can take over at once.
        signal.signal(signal.SIGTERM, _exit_cleanly)
        click.echo(f"Scheduler {runner.holder} starting (Ctrl-C to stop).", err=True)
        try:
            runner.start()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            runner.shutdown()

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path) -> None:
        """Copy the database to PATH while the site runs (SQLite file, or a pg_dump
        archive for pg_restore)."""
        from govhub import backup

        try:
            backup.backup(app.config["SQLALCHEMY_DATABASE_URI"], path)
        except backup.BackupError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Backup written to {path} ({path.stat().st_size} bytes).")

    @app.cli.command("audit-ledger")
    def audit_ledger_command() -> None:
        """Compare every balance with its ledger now (the nightly job); exit 1 on a mismatch."""
        from govhub.database import utcnow
        from govhub.points import services as points

        run = points.audit_ledger(now=utcnow())
        click.echo(f"{run.accounts_checked} accounts checked, {len(run.mismatches)} mismatches.")
        for mismatch in run.mismatches:
            click.echo(f"  {mismatch}")
        if run.mismatches:
            raise SystemExit(1)

    @app.cli.command("create-admin")
    @click.option("--phone", prompt="Mobile number")
    @click.option("--name", prompt="Name")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--org-code", default=None, help="Code of the org unit (default: none, global).")
    def create_admin(phone: str, name: str, password: str, org_code: str | None) -> None:
        """Create a system admin, or give an existing account the system admin role."""
        from govhub.accounts import services as accounts
        from govhub.orgs import services as orgs

        unit_id = None
        if org_code:
            unit = orgs.find_by_code(org_code)
            if unit is None:
                raise click.ClickException(f"No org unit has the code {org_code}.")
            unit_id = unit.id
        try:
            user = accounts.create_admin(phone, name, password, unit_id)
        except ServiceError as error:
            raise click.ClickException(error.message) from error
        click.echo(f"System admin ready: {user.name} ({user.phone}).")
