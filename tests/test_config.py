import os
import stat
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from govhub import ConfigError, create_app
from govhub.database import transactional
from govhub.extensions import db


@pytest.fixture
def instance(tmp_path, monkeypatch):
    path = tmp_path / "instance"
    monkeypatch.setenv("GOVHUB_INSTANCE_PATH", str(path))
    for name in (
        "GOVHUB_SECRET_KEY",
        "GOVHUB_DATABASE_URL",
        "GOVHUB_ENV",
        "GOVHUB_BASE_URL",
        "GOVHUB_PROXY_COUNT",
    ):
        monkeypatch.delenv(name, raising=False)
    return path


def test_development_secret_is_generated_once_into_the_instance_folder(instance):
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second and len(first) == 64
    key_file = instance / "secret_key"
    assert key_file.read_text() == first
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_production_without_a_secret_key_refuses_to_start(instance, monkeypatch):
    monkeypatch.setenv("GOVHUB_ENV", "production")
    with pytest.raises(ConfigError, match="GOVHUB_SECRET_KEY is not set"):
        create_app()
    assert not (instance / "secret_key").exists()


def test_settings_come_from_govhub_environment_variables(instance, monkeypatch, tmp_path):
    monkeypatch.setenv("GOVHUB_ENV", "production")
    monkeypatch.setenv("GOVHUB_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("GOVHUB_BASE_URL", "https://govhub.example.cn")
    monkeypatch.setenv("GOVHUB_DATABASE_URL", f"sqlite:///{tmp_path}/other.sqlite3")
    monkeypatch.setenv("GOVHUB_BABEL_DEFAULT_LOCALE", "en")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/other.sqlite3"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["BABEL_DEFAULT_LOCALE"] == "en"


def test_production_without_a_public_address_refuses_to_start(instance, monkeypatch):
    monkeypatch.setenv("GOVHUB_ENV", "production")
    monkeypatch.setenv("GOVHUB_SECRET_KEY", "from-the-environment")
    with pytest.raises(ConfigError, match="GOVHUB_BASE_URL is not set"):
        create_app()
    # SERVER_NAME alone does not do: without TRUSTED_HOSTS any Host header is served.
    monkeypatch.setenv("GOVHUB_SERVER_NAME", "govhub.example.cn")
    with pytest.raises(ConfigError, match="GOVHUB_TRUSTED_HOSTS"):
        create_app()
    monkeypatch.setenv("GOVHUB_TRUSTED_HOSTS", '["govhub.example.cn"]')
    assert create_app().config["TRUSTED_HOSTS"] == ["govhub.example.cn"]


@pytest.mark.parametrize("value", ["govhub.example.cn", "ftp://govhub.example.cn", "https://"])
def test_a_base_url_that_is_no_site_address_refuses_to_start(instance, monkeypatch, value):
    monkeypatch.setenv("GOVHUB_BASE_URL", value)
    with pytest.raises(ConfigError, match="is not a site address"):
        create_app()


def test_absolute_urls_come_from_the_base_url_not_the_host_header(instance):
    from govhub.urls import external_url

    app = create_app({"BASE_URL": "https://govhub.example.cn/"})
    with app.test_request_context("/", base_url="http://evil.example"):
        assert external_url("partners.apply") == "https://govhub.example.cn/partners/apply"
    with app.app_context():  # CLI commands and jobs have no request at all
        assert external_url("partners.apply", _anchor="form") == (
            "https://govhub.example.cn/partners/apply#form"
        )


def test_in_development_without_a_base_url_absolute_urls_follow_the_request(instance):
    from govhub.urls import external_url

    app = create_app()
    with app.test_request_context("/", base_url="http://127.0.0.1:5000"):
        assert external_url("partners.apply") == "http://127.0.0.1:5000/partners/apply"


def test_a_proxy_count_that_is_not_a_number_refuses_to_start(instance, monkeypatch):
    with pytest.raises(ConfigError, match="GOVHUB_PROXY_COUNT"):
        create_app({"PROXY_COUNT": "two"})


def test_default_database_is_sqlite_in_the_instance_folder(instance):
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'govhub.sqlite3'}"


def test_create_app_leaves_no_thread_running(instance):
    """No scheduler or worker starts with the app (the scheduler is its own process).

    The in-memory rate-limit store arms a 10 ms expiry timer; it must end by itself.
    """
    before = set(threading.enumerate())
    create_app()
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=1)
        assert not thread.is_alive(), thread


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(instance):
    app = create_app()
    with app.app_context():
        for _ in range(2):  # every new connection, not just the first
            with db.engine.connect() as conn:
                assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
                assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
            db.engine.dispose()


def test_sqlite_writers_queue_instead_of_failing(instance):
    """Write transactions start with BEGIN IMMEDIATE: concurrent writers wait their turn."""
    app = create_app()
    with app.app_context():
        db.session.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        db.session.execute(text("INSERT INTO counter VALUES (0)"))
        db.session.commit()

    @transactional
    def increment():
        n = db.session.execute(text("SELECT n FROM counter")).scalar()  # read first...
        db.session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})  # ...then write

    errors = []

    def worker():
        with app.app_context():
            try:
                for _ in range(10):
                    increment()
            except Exception as error:  # noqa: BLE001
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        assert errors == []
        assert db.session.execute(text("SELECT n FROM counter")).scalar() == 60


class _SerializationFailure(Exception):
    sqlstate = "40001"


def test_transactions_are_retried_after_a_serialization_failure(instance):
    app = create_app()
    attempts = []

    @transactional
    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise OperationalError("UPDATE ...", {}, _SerializationFailure())
        return "done"

    with app.app_context():
        assert flaky() == "done"
    assert len(attempts) == 3


def test_other_database_errors_are_not_retried(instance):
    app = create_app()
    attempts = []

    @transactional
    def broken():
        attempts.append(1)
        raise OperationalError("UPDATE ...", {}, Exception("disk full"))

    with app.app_context(), pytest.raises(OperationalError):
        broken()
    assert len(attempts) == 1
