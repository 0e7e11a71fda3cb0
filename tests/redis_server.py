"""A throwaway Redis server for the test session, from Debian's ``redis-server``.

It listens only on a Unix socket in a temporary directory (no TCP port, nothing saved to
disk), the way tests/pg.py starts PostgreSQL.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class RedisServer:
    root: Path
    process: subprocess.Popen

    @property
    def socket_path(self) -> Path:
        return self.root / "redis.sock"

    @property
    def url(self) -> str:
        """The URL Flask-Limiter (the ``limits`` library) takes for a Unix socket."""
        return f"redis+unix://{self.socket_path}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def _answers(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(1)
            conn.connect(str(path))
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_server() -> RedisServer | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    root = Path(tempfile.mkdtemp(prefix="govhub-redis-"))
    sock = root / "redis.sock"
    process = subprocess.Popen(
        [
            binary,
            "--port", "0",
            "--unixsocket", str(sock),
            "--unixsocketperm", "700",
            "--dir", str(root),
            "--save", "",
            "--appendonly", "no",
            "--logfile", str(root / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    server = RedisServer(root, process)
    deadline = time.monotonic() + 20
    while not _answers(sock):
        if process.poll() is not None or time.monotonic() > deadline:
            log = (root / "redis.log").read_text() if (root / "redis.log").exists() else ""
            server.stop()
            raise RuntimeError(f"redis-server did not start: {log}")
        time.sleep(0.05)
    return server
