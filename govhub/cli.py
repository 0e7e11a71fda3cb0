"""Operations commands: ``flask --app wsgi seed-demo | create-admin``."""

from __future__ import annotations

import click
from flask import Flask

from govhub.database import ServiceError


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

    @app.cli.command("demo-activity")
    def demo_activity() -> None:
        """Start a demo shift now (金叶社区) to try QR check-in live."""
        from govhub import demo
        from govhub.database import utcnow
        from govhub.urls import external_url

        try:
            need, shift_id = demo.start_activity(now=utcnow())
        except ServiceError as error:
            raise click.ClickException(error.message) from error
        with app.test_request_context(
            base_url=f"http://{app.config.get('SERVER_NAME') or '127.0.0.1:5000'}"
        ):
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
        click.echo(f"Scheduler {runner.holder} starting (Ctrl-C to stop).")
        try:
            runner.start()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            runner.shutdown()

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
