"""The migrations build the same schema as the models, on both databases."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from govhub.extensions import db
from tests.conftest import TEST_CONFIG


@pytest.fixture
def empty_database_url(backend, request, tmp_path):
    if backend == "postgresql":
        return request.getfixturevalue("postgres").create_database("govhub_migrations")
    return f"sqlite:///{tmp_path / 'migrations.sqlite3'}"


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(
    empty_database_url, tmp_path, monkeypatch
):
    from govhub import create_app

    monkeypatch.setenv("GOVHUB_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({**TEST_CONFIG, "DATABASE_URL": empty_database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        tables = set(inspect(db.engine).get_table_names())
        assert {"org_unit", "user_account", "role_assignment", "partner"} <= tables

        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
