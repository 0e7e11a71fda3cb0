"""govhub: community volunteer points and resource matching."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from govhub import config as default_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says what to set."""


def create_app(config_overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, CLI. Starts nothing."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("GOVHUB_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_object(default_config)
    app.config.from_prefixed_env("GOVHUB")
    app.config.update(config_overrides or {})
    _configure(app)

    from govhub import (  # noqa: F401  (models: every table)
        cli,
        errors,
        i18n,
        models,
        navigation,
        requestlog,
        security,
        templating,
    )
    from govhub.accounts.views import bp as accounts_bp
    from govhub.audit.views import bp as audit_bp
    from govhub.checkin.views import bp as checkin_bp
    from govhub.exports.views import bp as exports_bp
    from govhub.extensions import (
        babel,
        cache,
        csrf,
        db,
        htmx,
        limiter,
        login_manager,
        migrate,
    )
    from govhub.help.views import bp as help_bp
    from govhub.integrity.views import bp as integrity_bp
    from govhub.main.views import bp as main_bp
    from govhub.matching.invitation_views import bp as invitations_bp
    from govhub.matching.views import bp as matching_bp
    from govhub.needs.manage_views import bp as manage_bp
    from govhub.needs.request_views import bp as requests_bp
    from govhub.needs.unit_hold_views import bp as unit_holds_bp
    from govhub.needs.views import bp as needs_bp
    from govhub.notifications import views as notifications
    from govhub.orgs.views import bp as orgs_bp
    from govhub.oversight.views import bp as oversight_bp
    from govhub.partners.views import bp as partners_bp
    from govhub.points.views import bp as points_bp
    from govhub.projects.views import bp as projects_bp
    from govhub.public.views import bp as public_bp
    from govhub.reporting.liaison_views import bp as liaison_bp
    from govhub.reporting.member_views import bp as member_reports_bp
    from govhub.reporting.unit_views import bp as unit_reports_bp
    from govhub.resources.views import bp as resources_bp
    from govhub.rewards.shop_views import bp as shop_bp
    from govhub.rewards.views import bp as rewards_bp
    from govhub.rewards.vouchers import connect_signals as connect_reward_signals
    from govhub.roster.views import bp as roster_bp
    from govhub.scan.views import bp as scan_bp
    from govhub.workbench.views import bp as workbench_bp

    # Cross-domain reactions (a suspended partner's vouchers are refunded): connected
    # here rather than as a side effect of importing rewards, so they are in place for
    # every app (a CLI command, a job) whatever it imported first.
    connect_reward_signals()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    htmx.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)

    from govhub.database import configure_engine

    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])

    # Every <int:...> of every route: 1..2147483647, else 404 (govhub/forms.py).
    from govhub.forms import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter

    blueprints = (
        main_bp,
        accounts_bp,
        orgs_bp,
        partners_bp,
        needs_bp,
        manage_bp,
        requests_bp,
        notifications.bp,
        points_bp,
        checkin_bp,
        audit_bp,
        rewards_bp,
        shop_bp,
        workbench_bp,
        scan_bp,
        help_bp,
        resources_bp,
        unit_reports_bp,
        member_reports_bp,
        liaison_bp,
        unit_holds_bp,
        matching_bp,
        invitations_bp,
        projects_bp,
        public_bp,
        oversight_bp,
        integrity_bp,
        roster_bp,
        exports_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)

    i18n.init_app(app)
    navigation.init_app(app)
    templating.init_app(app)
    notifications.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    requestlog.init_app(app)
    cli.init_app(app)
    return app


def _configure(app: Flask) -> None:
    os.makedirs(app.instance_path, exist_ok=True)
    production = app.config["ENV"] == "production"

    if not app.config.get("SECRET_KEY"):
        if production:
            raise ConfigError(
                "GOVHUB_SECRET_KEY is not set. In production the secret key must come from "
                "the environment, e.g. GOVHUB_SECRET_KEY=$(python -c 'import secrets; "
                "print(secrets.token_hex(32))')."
            )
        app.config["SECRET_KEY"] = _development_secret(Path(app.instance_path))

    if production:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    _configure_public_address(app, production)

    url = app.config.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(app.instance_path) / "govhub.sqlite3")
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options: dict[str, Any] = {"pool_pre_ping": True}
    if app.config.get("DATABASE_POOL_SIZE"):
        options["pool_size"] = int(app.config["DATABASE_POOL_SIZE"])
    if url.startswith("sqlite"):
        # The busy timeout is set again per connection as a PRAGMA (database.py).
        options = {
            "connect_args": {"timeout": app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000},
            # A connection reads the planner's statistics when it opens: reopened hourly,
            # each one sees the nightly refresh (jobs.refresh_statistics).
            "pool_recycle": 3600,
        }
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", options)

    if app.config.get("CACHE_TYPE") == "FileSystemCache" and not app.config.get("CACHE_DIR"):
        app.config["CACHE_DIR"] = str(Path(app.instance_path) / "cache")
    if app.config.get("CACHE_TYPE") == "RedisCache":
        # A Redis that does not answer costs a dashboard view REDIS_CACHE_TIMEOUT seconds
        # (then it is counted without the cache, oversight.snapshot), not the operating
        # system's TCP timeout: redis-py waits without limit by default.
        seconds = app.config["REDIS_CACHE_TIMEOUT"]
        app.config.setdefault(
            "CACHE_OPTIONS", {"socket_connect_timeout": seconds, "socket_timeout": seconds}
        )


def _configure_public_address(app: Flask, production: bool) -> None:
    """Absolute URLs come from BASE_URL (urls.py); the client address from the proxies."""
    base_url = (app.config.get("BASE_URL") or "").strip().rstrip("/")
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ConfigError(
                f"GOVHUB_BASE_URL={base_url!r} is not a site address. Set it to the address "
                "people use, e.g. GOVHUB_BASE_URL=https://govhub.example.cn."
            )
    elif production and not (app.config.get("SERVER_NAME") and app.config.get("TRUSTED_HOSTS")):
        raise ConfigError(
            "GOVHUB_BASE_URL is not set. In production the QR codes and links must not take "
            "their address from the request's Host header: set GOVHUB_BASE_URL to the site's "
            "address, e.g. GOVHUB_BASE_URL=https://govhub.example.cn (or set both "
            "GOVHUB_SERVER_NAME and GOVHUB_TRUSTED_HOSTS)."
        )
    app.config["BASE_URL"] = base_url

    try:
        proxies = int(app.config.get("PROXY_COUNT") or 0)
    except (TypeError, ValueError):
        proxies = -1
    if proxies < 0:
        raise ConfigError(
            "GOVHUB_PROXY_COUNT must be the number of reverse proxies in front of the app "
            "(0 when clients connect directly)."
        )
    app.config["PROXY_COUNT"] = proxies
    if proxies:
        # The client address and scheme as the proxies saw them; the host is not taken
        # from X-Forwarded-Host (absolute URLs use BASE_URL anyway). Wrapping wsgi_app
        # is how Flask's documentation applies middleware; mypy sees a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0
        )


def _development_secret(instance: Path) -> str:
    """Generate the development secret key once and keep it in the instance folder."""
    path = instance / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made earlier, or by a process starting at the same moment
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
