"""GET /healthz: what a load balancer reads before sending a server requests."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from govhub import create_app
from govhub.extensions import db
from govhub.main.health import head_revision
from tests.conftest import TEST_CONFIG, build_schema


def test_a_current_schema_is_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def health_after(client, statement: str):
    """/healthz's answer once ``statement`` changed the schema's stamp (put back after)."""
    db.session.execute(text(statement))
    db.session.commit()
    try:
        return client.get("/healthz")
    finally:
        build_schema()


def test_a_schema_behind_the_code_is_unavailable(app, client):
    response = health_after(client, "UPDATE alembic_version SET version_num = '0014'")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "problems": ["migrations behind"]}
    assert response.headers["Cache-Control"] == "no-store"


def test_a_database_never_migrated_is_unavailable(app, client):
    response = health_after(client, "DROP TABLE alembic_version")
    assert response.status_code == 503
    assert response.get_json()["problems"] == ["migrations not applied"]


@pytest.mark.parametrize("where", ["sqlite", "postgresql"])
def test_an_unreachable_database_is_unavailable(where, tmp_path, monkeypatch):
    if where == "sqlite":
        url = f"sqlite:///{tmp_path / 'no-such-folder' / 'govhub.sqlite3'}"
    else:  # a socket folder where no server listens
        url = f"postgresql+psycopg://postgres@/govhub?host={tmp_path}&connect_timeout=2"
    monkeypatch.setenv("GOVHUB_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "problems": ["database unreachable"]}


def test_flask_db_upgrade_leaves_a_healthy_server(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVHUB_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}"})
    with app.app_context():
        upgrade()
        stamped = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.session.remove()
        db.engine.dispose()
    assert stamped == head_revision()
    assert app.test_client().get("/healthz").status_code == 200
