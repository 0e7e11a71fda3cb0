"""``flask backup PATH``: a consistent copy of the database while the site keeps serving.

SQLite: the online backup API copies the database in one step from a read snapshot (in
WAL mode writers are not blocked while it runs), and the copy is checked with
``PRAGMA integrity_check``. PostgreSQL: ``pg_dump --format=custom`` (a snapshot too),
restored with ``pg_restore``. The copy is written beside its target as ``PATH.partial``
and renamed when complete, so a backup that fails half-way never looks like a good one.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """The backup could not be made; the message says why."""


def debian_binary(name: str) -> str | None:
    """A PostgreSQL client program: Debian keeps them under /usr/lib/postgresql/<v>/bin
    (the newest wins: pg_dump must not be older than the server), else the PATH's."""
    for bindir in sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )[::-1]:
        candidate = Path(bindir) / name
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(name)


def backup(database_url: str, target: Path) -> Path:
    """Copy the database at ``database_url`` to ``target``, which must not exist."""
    if target.exists():
        raise BackupError(f"{target} already exists; give a new file name.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    url = make_url(database_url)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite(url.database or "", partial)
        elif url.get_backend_name() == "postgresql":
            _postgresql(url, partial)
        else:
            raise BackupError(f"No backup for {url.get_backend_name()} databases.")
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _sqlite(path: str, partial: Path) -> None:
    if not path or path == ":memory:" or not Path(path).is_file():
        raise BackupError(f"No SQLite database file at {path!r}.")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # pages=-1: one step, from one read snapshot
        [result] = copy.execute("PRAGMA integrity_check").fetchone()
        if result != "ok":
            raise BackupError(f"The copy failed its integrity check: {result}")
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        copy.close()
        source.close()


def _postgresql(url, partial: Path) -> None:
    pg_dump = debian_binary("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump not found (Debian package postgresql-client).")
    query = dict(url.query)
    command = [pg_dump, "--format=custom", "--no-owner", "--file", str(partial)]
    host = query.get("host") or url.host
    if host:
        command += ["--host", str(host)]
    if url.port:
        command += ["--port", str(url.port)]
    if url.username:
        command += ["--username", url.username]
    command += [url.database or ""]
    environment = dict(os.environ)
    if url.password:  # never on the command line, where `ps` shows it
        environment["PGPASSWORD"] = str(url.password)
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
