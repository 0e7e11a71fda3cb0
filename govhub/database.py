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
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import wraps
from typing import ParamSpec, TypeVar

from flask_babel import LazyString
from flask_babel import gettext as _
from sqlalchemy import Enum as SAEnum
from sqlalchemy import String, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapper, Session

from govhub.extensions import db

P = ParamSpec("P")
R = TypeVar("R")

RETRYABLE_SQLSTATES = {"40001", "40P01"}
# The largest id or count the database stores (PostgreSQL INTEGER; SQLite's is 2**63-1).
MAX_DB_INT = 2**31 - 1
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


def end_read() -> None:
    """End the read transaction the session may have open, so the next statement reads a
    fresh snapshot — unless it runs inside a write transaction (``@transactional``), whose
    work must not be lost and which the reads then join.

    For jobs that read much and write little: reading in a plain transaction, then
    writing in a short ``@transactional`` one, keeps SQLite's write lock free while they
    read."""
    if not _writing.get():
        db.session.rollback()


class RetryTransaction(Exception):
    """Raised inside a transaction that lost a race it can win by running again (e.g. a
    concurrent insert of the same idempotency key): the outermost ``@transactional``
    rolls back and runs the service again."""


def _is_retryable(error: Exception) -> bool:
    if isinstance(error, RetryTransaction):
        return True
    return getattr(getattr(error, "orig", None), "sqlstate", None) in RETRYABLE_SQLSTATES


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
                except (DBAPIError, RetryTransaction) as error:
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


@contextmanager
def keeping_loaded() -> Iterator[list[object]]:
    """A commit inside the block leaves what the session holds loaded, for a view that
    shows what its service just wrote. Each transaction starts with a rollback, which
    expires everything read before it, so what is still loaded after the commit was read
    or written inside that transaction: re-reading it would fetch the same rows again.

    Yields a list of the objects the block loaded or added: the session keeps an object
    only while something refers to it, and a service's locals are gone when it returns.
    Not for a service that changes loaded rows with a bulk UPDATE (they would stay stale).
    """
    session = db.session()
    kept: list[object] = []

    def keep(_session, instance) -> None:
        kept.append(instance)

    previous = session.expire_on_commit
    session.expire_on_commit = False
    event.listen(session, "loaded_as_persistent", keep)
    event.listen(session, "pending_to_persistent", keep)
    try:
        yield kept
    finally:
        event.remove(session, "loaded_as_persistent", keep)
        event.remove(session, "pending_to_persistent", keep)
        session.expire_on_commit = previous


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


def required_text(value: str | None, field: str, limit: int, message: str | LazyString) -> str:
    """``value`` stripped, or a :class:`ServiceError` at ``field``: ``message`` when it is
    empty (e.g. "Give a reason; the volunteer will see it."), the length rule when it is
    longer than ``limit``."""
    text = (value or "").strip()
    if not text:
        raise ServiceError(str(message), field=field)
    if len(text) > limit:
        raise ServiceError(_("At most %(n)d characters.", n=limit), field=field)
    return text


M = TypeVar("M")


def get_or_raise(model: type[M], row_id: int | None, message: str | LazyString) -> M:
    """The ``model`` row with this id, or :class:`NotFound` carrying ``message`` (a lazy
    string, so it is translated only when it is raised). No id is not found either."""
    row = db.session.get(model, row_id) if row_id is not None else None
    if row is None:
        raise NotFound(str(message))
    return row


class TextRefused(ServiceError):
    """A text that its column cannot hold: too long, or with a NUL byte."""


BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def bad_text_error(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None: NUL (PostgreSQL refuses it) and
    bidi overrides (they make a name read as something else)."""
    if "\x00" in value:
        return _("This text contains a character that is not allowed (NUL).")
    if any(char in BIDI_CONTROLS for char in value):
        return _("This text contains direction-changing characters; remove them.")
    return None


def check_text(column, value, field: str | None = None):
    """Refuse ``value`` for ``column`` (a String(n)/Text column) when it is longer than the
    column or contains NUL (PostgreSQL refuses it; SQLite would store it whole).

    Every String column of every model runs this when a service assigns it (see
    :func:`_guard_text_columns`), so a text is checked whichever path it came in by."""
    if not isinstance(value, str):
        return value
    if "\x00" in value:
        raise TextRefused(str(bad_text_error(value)), field=field)
    length = getattr(column.type, "length", None)
    if length and len(value) > length:
        raise TextRefused(_("At most %(max)d characters.", max=length), field=field)
    return value


@event.listens_for(Mapper, "mapper_configured")
def _guard_text_columns(mapper, class_) -> None:
    """Install :func:`check_text` on every String column of a mapped class."""
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        if not isinstance(column.type, String) or isinstance(column.type, SAEnum):
            continue

        def check(_target, value, _old, _initiator, column=column, key=attr.key):
            return check_text(column, value, field=key)

        event.listen(getattr(class_, attr.key), "set", check, retval=True)


def enum_type(enum_cls, length: int = 24, name: str | None = None):
    """A string column for a StrEnum, with a CHECK constraint on the allowed values.

    ``name`` names the constraint when a table has two columns of the same enum."""
    from sqlalchemy import Enum

    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        validate_strings=True,
        name=name or enum_cls.__name__.lower(),
    )


# On SQLite, how long the write lock is left free between two batches. A writer waiting
# for the lock does not queue: it tries again after sleeping (SQLite's busy handler sleeps
# 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 … ms between tries), so batches written back
# to back would keep it out for the whole job. A gap longer than its early sleeps lets it
# in within one batch.
BATCH_PAUSE_SECONDS = 0.03


def in_batches(items: list, size: int, write: Callable[[list], int]) -> int:
    """``write`` (a ``@transactional`` function) on ``items``, ``size`` at a time: each
    batch its own write transaction, so SQLite's write lock is held for one batch, never
    for a whole job; on SQLite the lock is then left free for ``BATCH_PAUSE_SECONDS``
    before the next. Returns the sum of what ``write`` returned."""
    pause = BATCH_PAUSE_SECONDS if db.engine.dialect.name == "sqlite" else 0
    done = 0
    for start in range(0, len(items), size):
        if start and pause:
            time.sleep(pause)
        done += write(items[start : start + size])
    return done


def _name(identifier: str) -> str:
    """An SQL identifier, quoted (the names here come from ``sqlite_schema``)."""
    return '"' + identifier.replace('"', '""') + '"'


def refresh_sqlite_statistics(engine: Engine, sample_rows: int = 1000) -> dict[str, str]:
    """Refresh SQLite's planner statistics (``sqlite_stat1``) without holding its write
    lock for more than a moment. Returns the statistics written, by index.

    A full ``ANALYZE`` reads every index inside a write transaction: seconds of refused
    writers at city scale. A sampled one (``PRAGMA analysis_limit``) is quick but reads an
    index from its start, so an index whose first column has few values (a status, a
    kind) or is mostly empty (a grid) looks as if that column picked out a thousand rows;
    the planner then reads a whole city's confirmed attendance to keep one community's.
    So the counts the planner leans on most are read exactly first, outside any write
    transaction (a WAL reader blocks no writer): each table's rows, and for each index
    the rows per value of its first column (rows with a value ÷ distinct values). Then one
    short write runs the sampled ``ANALYZE`` and writes those counts over its guesses.

    Each connection reads the statistics when it opens (the SQLite pool recycles its
    connections hourly, ``create_app``)."""
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        indexes = driver.execute(
            "SELECT tbl_name, name FROM sqlite_schema WHERE type = 'index'"
        ).fetchall()
        exact: dict[str, tuple[int, int]] = {}
        rows: dict[str, int] = {}
        per_column: dict[tuple[str, str], int] = {}
        for table, index in indexes:
            columns = [r[2] for r in driver.execute(f"PRAGMA index_info({_name(index)})")]
            if not columns or columns[0] is None:  # an index on an expression
                continue
            first = columns[0]
            if table not in rows:
                count = f"SELECT count(*) FROM {_name(table)}"  # noqa: S608  (schema's names)
                rows[table] = driver.execute(count).fetchone()[0]
            if (table, first) not in per_column:
                column = _name(first)
                filled, distinct = driver.execute(
                    f"SELECT count({column}), count(DISTINCT {column}) FROM {_name(table)}"  # noqa: S608
                ).fetchone()
                per_column[(table, first)] = max(1, round(filled / distinct)) if distinct else 1
            exact[index] = (rows[table], per_column[(table, first)])

        written: dict[str, str] = {}
        driver.execute("BEGIN IMMEDIATE")
        try:
            driver.execute(f"PRAGMA analysis_limit = {int(sample_rows)}")
            driver.execute("ANALYZE")
            for index, stat in driver.execute(
                "SELECT idx, stat FROM sqlite_stat1 WHERE idx IS NOT NULL"
            ).fetchall():
                if index not in exact or exact[index][0] == 0:
                    continue
                numbers = stat.split(" ")
                numbers[0] = str(exact[index][0])
                if len(numbers) > 1 and numbers[1].isdigit():
                    numbers[1] = str(exact[index][1])
                written[index] = " ".join(numbers)
                driver.execute(
                    "UPDATE sqlite_stat1 SET stat = ? WHERE idx = ?", (written[index], index)
                )
            driver.execute("COMMIT")
        except BaseException:
            driver.execute("ROLLBACK")
            raise
    return written


def _insert_ignoring(target, conflict_columns: tuple[str, ...]):
    """INSERT into ``target`` (a model or its table) ON CONFLICT (columns) DO NOTHING,
    RETURNING the primary key: in the dialect of the session's database."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = getattr(target, "__table__", target)
    return (
        insert(target)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(*table.primary_key.columns)
    )


def insert_ignoring_conflict(model, values: dict, *conflict_columns: str) -> int:
    """INSERT … ON CONFLICT (columns) DO NOTHING, on SQLite and PostgreSQL; returns 1 if
    the row was inserted, 0 if it was already there.

    RETURNING tells which: psycopg reports rowcount -1 for this statement."""
    statement = _insert_ignoring(model, conflict_columns).values(**values)
    return 1 if db.session.execute(statement).first() is not None else 0


def insert_many_ignoring_conflict(model, rows: list[dict], *conflict_columns: str) -> int:
    """``insert_ignoring_conflict`` for many rows in one statement execution (the
    driver's executemany, with RETURNING batched by SQLAlchemy's "insertmanyvalues"):
    returns how many were inserted. For the jobs that queue thousands of rows at once."""
    if not rows:
        return 0
    statement = _insert_ignoring(model.__table__, conflict_columns)
    return len(db.session.execute(statement, rows).all())


def read_apart(statement) -> list:
    """The scalars of ``statement``, read in a read transaction of their own (``end_read``
    before and after): for a job that finds what is due without SQLite's write lock, then
    writes it ``in_batches``."""
    end_read()
    found = list(db.session.scalars(statement))
    end_read()
    return found


class AppendOnly(RuntimeError):
    """An append-only row (``__append_only__ = True``) was about to change or go."""


@event.listens_for(Session, "before_flush")
def _keep_append_only(session, _flush_context, _instances) -> None:
    """The ledger and the audit trail are written once: the app never updates or deletes
    a row of a model that says ``__append_only__ = True``."""
    for obj in session.deleted:
        if getattr(obj, "__append_only__", False):
            raise AppendOnly(f"{type(obj).__name__} rows are never deleted")
    for obj in session.dirty:
        if getattr(obj, "__append_only__", False) and session.is_modified(obj):
            raise AppendOnly(f"{type(obj).__name__} rows are never changed")
