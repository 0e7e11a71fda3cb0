"""Transactions: how every service writes.

SQLite: a write transaction starts with ``BEGIN IMMEDIATE`` so two writers queue on the
busy timeout instead of one failing on a lock upgrade; reads use a plain ``BEGIN``.
PostgreSQL: a transaction that failed with a serialization failure or a deadlock
(SQLSTATE 40001 / 40P01) is rolled back and run again.

Services are decorated with :func:`transactional`; the decorator opens the transaction,
commits on success and rolls back on any error, so a service is always all or nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import wraps
from typing import ParamSpec, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from govhub.extensions import db

P = ParamSpec("P")
R = TypeVar("R")

RETRYABLE_SQLSTATES = {"40001", "40P01"}
MAX_ATTEMPTS = 5

_writing: ContextVar[bool] = ContextVar("govhub_writing", default=False)


def utcnow() -> datetime:
    """The current time as a naive UTC datetime, the form every timestamp is stored in."""
    return datetime.now(UTC).replace(tzinfo=None)


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    """Install the per-connection settings for ``engine`` (SQLite only)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN instead of the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing.get() else "BEGIN")


def _is_retryable(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def transactional(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` as one write transaction: commit on success, roll back on any error.

    A transactional function called from another joins the outer transaction.
    """

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if _writing.get():
            return fn(*args, **kwargs)
        token = _writing.set(True)
        try:
            for attempt in range(1, MAX_ATTEMPTS + 1):
                # End the read transaction the request may have open, so the write
                # transaction starts fresh (and, on SQLite, with BEGIN IMMEDIATE).
                db.session.rollback()
                try:
                    result = fn(*args, **kwargs)
                    db.session.commit()
                    return result
                except DBAPIError as error:
                    db.session.rollback()
                    if attempt < MAX_ATTEMPTS and _is_retryable(error):
                        continue
                    raise
                except BaseException:
                    db.session.rollback()
                    raise
            raise AssertionError("unreachable")
        finally:
            _writing.reset(token)

    return wrapper


class ServiceError(Exception):
    """A refusal by a service; ``message`` is translated and shown to the user.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ServiceError):
    pass


def enum_type(enum_cls, length: int = 24):
    """A string column for a StrEnum, with a CHECK constraint on the allowed values."""
    from sqlalchemy import Enum

    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        validate_strings=True,
        name=enum_cls.__name__.lower(),
    )
