"""The migrations build the same schema as the models, on both databases."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

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


def test_reftypes_migration_renames_notification_targets_and_downgrade_restores_them(
    empty_database_url, tmp_path, monkeypatch
):
    from govhub import create_app
    from govhub.notifications.kinds import NotificationKind
    from govhub.notifications.models import Notification
    from govhub.notifications.services import notify
    from govhub.references import RefType
    from tests.factories import make_tree, make_user

    monkeypatch.setenv("GOVHUB_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({**TEST_CONFIG, "DATABASE_URL": empty_database_url})
    with app.app_context():
        upgrade()
        user = make_user(make_tree())
        for ref_type, target_id in [
            (RefType.redemption, 1),
            (RefType.resident_request, 2),
            (RefType.need, 3),
        ]:
            notify(user.id, NotificationKind.need_changed, ref_type, target_id)
        db.session.commit()

        def targets() -> list[tuple[str, int]]:
            rows = db.session.execute(
                select(Notification.target_type, Notification.target_id).order_by(
                    Notification.target_id
                )
            )
            db.session.commit()
            return [tuple(row) for row in rows]

        downgrade(revision="0008")  # whatever came after it
        downgrade(revision="-1")
        assert targets() == [("voucher", 1), ("request", 2), ("need", 3)]
        upgrade()
        assert targets() == [("redemption", 1), ("resident_request", 2), ("need", 3)]

        db.session.remove()
        db.engine.dispose()  # the database is made afresh for each test
