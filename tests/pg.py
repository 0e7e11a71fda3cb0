"""A throwaway PostgreSQL server for the test session, from Debian's binaries.

initdb and pg_ctl refuse to run as root, so when the tests run as root the server runs
as the ``postgres`` system user (``runuser -u postgres``) in a temporary directory that
user owns. It listens only on a Unix socket in that directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from govhub.backup import debian_binary


def find_bindir() -> Path | None:
    """The newest Debian PostgreSQL's programs (the rule `flask backup` finds pg_dump by)."""
    initdb = debian_binary("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class PostgresServer:
    bindir: Path
    root: Path
    user: str = "postgres"
    # The tests trade durability for speed; the benchmark (bench/) measures with fsync on.
    durable: bool = False

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True)

    def start(self) -> None:
        data = self.root / "data"
        self.socket_dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.socket_dir, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(data),
            "-U",
            self.user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        fast = [] if self.durable else ["-c fsync=off", "-c synchronous_commit=off"]
        fast += [] if self.durable else ["-c full_page_writes=off"]
        options = " ".join(
            [f"-k {self.socket_dir}", "-c listen_addresses=''", *fast, "-c max_connections=300"]
        )
        self._run(
            "pg_ctl",
            "-D",
            str(data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def dsn(self, database: str) -> str:
        return f"dbname={database} user={self.user} host={self.socket_dir}"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.socket_dir}"


def start_server(*, durable: bool = False) -> PostgresServer | None:
    bindir = find_bindir()
    if bindir is None:
        return None
    server = PostgresServer(bindir, Path(tempfile.mkdtemp(prefix="govhub-pg-")), durable=durable)
    os.chmod(server.root, 0o755)  # noqa: S103  (the postgres user must reach its data)
    server.start()
    return server
