"""Counting the SQL statements a request issues, so a test can pin a page's cost.

``count_statements(app)`` listens to the app engine's ``before_cursor_execute`` while its
block runs and collects every statement sent to the database. SQLite's ``BEGIN`` (which
govhub emits itself, database.py) is left out: PostgreSQL's driver opens its transactions
without a statement SQLAlchemy sees, and a page's budget should be the same on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event

from govhub.extensions import db

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass
class Statements:
    sql: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.sql)

    def __str__(self) -> str:
        """The statements, one a line (for the message of a failed assertion)."""
        return "\n".join(f"{n + 1:3}. {' '.join(s.split())[:200]}" for n, s in enumerate(self.sql))


@contextmanager
def count_statements(app) -> Iterator[Statements]:
    """Collect the statements ``app``'s engine runs inside the block."""
    seen = Statements()

    def before(_conn, _cursor, statement, _parameters, _context, _executemany):
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            seen.sql.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def statements_of(app, client, method: str, url: str, **kwargs) -> Statements:
    """The statements one request of ``client`` runs; the response must not be an error."""
    with count_statements(app) as seen:
        response = client.open(url, method=method, **kwargs)
    assert response.status_code < 400, (response.status_code, url)
    seen.response = response  # type: ignore[attr-defined]
    return seen
