"""Fixtures: ``app``, ``client``, ``runner``, ``auth`` and ``db_session``.

Every test that takes ``app`` runs twice: on SQLite (a fresh file per test) and on
PostgreSQL (a server started for the session; tables are emptied after each test).
Without PostgreSQL's binaries the PostgreSQL runs are skipped, unless
GOVHUB_REQUIRE_POSTGRES=1, which makes them fail instead.
"""

from __future__ import annotations

import contextvars
import os

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import text

from govhub import create_app
from govhub.extensions import db
from tests import pg
from tests import redis_server as redis_server_module
from tests.factories import PASSWORD

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "WTF_CSRF_ENABLED": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashing; production uses scrypt
    "RATELIMIT_STORAGE_URI": "memory://",
    # Each test sees the figures it just made; tests/oversight/test_snapshot.py turns the
    # dashboards' cache on.
    "CACHE_TYPE": "NullCache",
}

BACKENDS = ["sqlite", "postgresql"]


def _required(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def _started(start, missing: str, required: str):
    """A server ``start()`` made, or a skip when its binaries are missing (a failure when
    the environment variable ``required`` says it is required, as in CI)."""
    server = start()
    if server is None:
        if _required(required):
            pytest.fail(f"{missing} and {required}=1")
        pytest.skip(missing)
    return server


@pytest.fixture(scope="session")
def postgres():
    """The session's PostgreSQL server, or a skip (a failure when it is required)."""
    server = _started(
        pg.start_server,
        "PostgreSQL binaries (Debian package postgresql) not found",
        "GOVHUB_REQUIRE_POSTGRES",
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    """The session's Redis server (the shared rate-limit store of a multi-server site)."""
    server = _started(
        redis_server_module.start_server,
        "redis-server (Debian package redis-server) not found",
        "GOVHUB_REQUIRE_REDIS",
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres):
    """A database with the schema built once for the session."""
    url = postgres.create_database("govhub_test")
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    with app.app_context():
        build_schema()
        db.engine.dispose()
    return url


def build_schema() -> None:
    """The tables from the models, stamped as migrated to the head revision (as ``flask db
    upgrade`` leaves them), so /healthz finds the schema current."""
    from govhub.main.health import head_revision

    db.create_all()
    db.session.execute(
        text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
    )
    db.session.execute(text("DELETE FROM alembic_version"))
    stamp = text("INSERT INTO alembic_version VALUES (:head)")
    db.session.execute(stamp, {"head": head_revision()})
    db.session.commit()


def _empty_all_tables() -> None:
    names = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(request, backend, tmp_path) -> str:
    if backend == "postgresql":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'govhub.sqlite3'}"


@pytest.fixture
def make_app(tmp_path, database_url):
    """Build an app on the test database with extra settings."""
    made = []

    def make(**overrides):
        config = {**TEST_CONFIG, "DATABASE_URL": database_url, **overrides}
        os.environ["GOVHUB_INSTANCE_PATH"] = str(tmp_path / "instance")
        app = create_app(config)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own app context, as in production.

    The ``app`` fixture keeps an app context open so tests can call services directly;
    without this, requests would share its ``g`` (the logged-in user, the locale) and its
    database session. After each request the test's own session is rolled back, so what
    the test reads next comes from the database, not from a stale snapshot.
    """

    def open(self, *args, **kwargs):
        def in_fresh_context():
            _cv_app.set(None)
            return super(IsolatedClient, self).open(*args, **kwargs)

        response = contextvars.copy_context().run(in_fresh_context)
        if _cv_app.get(None) is not None:
            db.session.rollback()
        return response


@pytest.fixture
def app(make_app, backend, request):
    marker = request.node.get_closest_marker("app_config")
    app = make_app(**(marker.kwargs if marker else {}))
    app.test_client_class = IsolatedClient
    with app.app_context():
        if backend == "sqlite":
            build_schema()
        yield app
        db.session.remove()
        if backend == "postgresql":
            _empty_all_tables()
            db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, phone: str, password: str = PASSWORD, remember: bool = False):
        data = {"phone": phone, "password": password}
        if remember:
            data["remember"] = "y"
        return self._client.post("/login", data=data)

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)
