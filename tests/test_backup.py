"""``flask backup`` while the site writes, then a restore: every row there, the ledger clean."""

from __future__ import annotations

import subprocess
import threading

import pytest
from sqlalchemy import create_engine, func, select, text

from govhub import create_app
from govhub.backup import debian_binary
from govhub.extensions import db
from govhub.points import services as points
from govhub.points.models import EntryKind, LedgerEntry
from tests.conftest import TEST_CONFIG
from tests.factories import make_tree, make_user

VOLUNTEERS = 20


class Writer(threading.Thread):
    """Credits points through the service, one transaction at a time, until stopped."""

    def __init__(self, app, volunteer_ids):
        super().__init__(daemon=True)
        self.app, self.volunteer_ids = app, volunteer_ids
        self.written = 0
        self.started_writing = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self):
        try:
            with self.app.app_context():
                while not self.stop.is_set():
                    volunteer = self.volunteer_ids[self.written % len(self.volunteer_ids)]
                    points.post_entry(
                        volunteer, 3, EntryKind.earn, key=f"backup-test-{self.written}"
                    )
                    self.written += 1
                    if self.written >= 20:
                        self.started_writing.set()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error
            self.started_writing.set()


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables
        }


def restore(backend, request, archive, tmp_path) -> str:
    """The URL of a fresh database holding the backup."""
    if backend == "sqlite":
        return f"sqlite:///{archive}"  # the backup is the database file
    server = request.getfixturevalue("postgres")
    url = server.create_database("govhub_restored")
    subprocess.run(
        [
            debian_binary("pg_restore"),
            "--no-owner",
            "--dbname",
            server.dsn("govhub_restored"),
            str(archive),
        ],
        check=True,
        capture_output=True,
    )
    return url


def test_a_backup_taken_during_writes_restores_every_row_and_a_clean_ledger(
    app, backend, runner, request, tmp_path
):
    tree = make_tree()
    ids = [make_user(tree).id for _ in range(VOLUNTEERS)]
    for volunteer in ids:  # some history before the writes start
        for n in range(25):
            points.post_entry(volunteer, 5, EntryKind.earn, key=f"before-{volunteer}-{n}")
    writer = Writer(app, ids)
    writer.start()
    assert writer.started_writing.wait(60)
    committed_before = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    db.session.rollback()

    archive = tmp_path / "govhub.backup"
    result = runner.invoke(args=["backup", str(archive)])
    written_by_the_end = writer.written
    # The writer was committing before the backup began and goes on after it ended: the
    # backup ran in the middle of a stream of write transactions.
    assert writer.is_alive()
    while writer.written < written_by_the_end + 5 and writer.error is None:
        threading.Event().wait(0.01)
    writer.stop.set()
    writer.join(60)
    assert writer.error is None
    assert result.exit_code == 0, result.output
    assert f"Backup written to {archive}" in result.output
    assert not (tmp_path / "govhub.backup.partial").exists()

    live = counts(db.engine)
    restored_url = restore(backend, request, archive, tmp_path)
    restored_engine = create_engine(restored_url)
    restored = counts(restored_engine)
    restored_engine.dispose()
    entries = restored.pop("ledger_entry")
    assert committed_before <= entries <= live.pop("ledger_entry")
    live.pop("ledger_audit"), restored.pop("ledger_audit")
    assert restored == live  # every other row is there

    restored_app = create_app({**TEST_CONFIG, "DATABASE_URL": restored_url})
    with restored_app.app_context():
        check = restored_app.test_cli_runner().invoke(args=["audit-ledger"])
        db.engine.dispose()
    assert check.exit_code == 0, check.output
    assert f"{VOLUNTEERS} accounts checked, 0 mismatches." in check.output


def test_audit_ledger_exits_1_and_lists_a_mismatch(app, runner):
    volunteer = make_user(make_tree()).id
    points.post_entry(volunteer, 10, EntryKind.earn, key="one")
    db.session.execute(
        text("UPDATE points_account SET balance = 99 WHERE volunteer_id = :v"), {"v": volunteer}
    )
    db.session.commit()
    result = runner.invoke(args=["audit-ledger"])
    assert result.exit_code == 1
    assert "1 accounts checked, 1 mismatches." in result.output
    assert f"'volunteer_id': {volunteer}, 'balance': 99, 'ledger': 10" in result.output


def test_backup_refuses_an_existing_file_and_a_missing_folder(app, runner, tmp_path):
    existing = tmp_path / "kept.backup"
    existing.write_text("yesterday's backup")
    result = runner.invoke(args=["backup", str(existing)])
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert existing.read_text() == "yesterday's backup"
    result = runner.invoke(args=["backup", str(tmp_path / "nowhere" / "x.backup")])
    assert result.exit_code == 1
    assert "does not exist" in result.output


@pytest.mark.postgres
def test_a_failed_pg_dump_leaves_no_file(postgres, tmp_path, monkeypatch):
    monkeypatch.setenv("GOVHUB_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({**TEST_CONFIG, "DATABASE_URL": postgres.url("no_such_database")})
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x.backup")])
    assert result.exit_code == 1
    assert "pg_dump failed" in result.output
    assert list(tmp_path.glob("x.backup*")) == []
