"""What a load balancer asks before sending a server requests: ``GET /healthz``.

The server is healthy when its database answers and the schema is at the newest
migration this code ships with; a server started against a database that was not
upgraded (or one it cannot reach) answers 503 and is taken out of rotation.
"""

from __future__ import annotations

from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from govhub import PROJECT_ROOT
from govhub.extensions import db

MIGRATIONS = PROJECT_ROOT / "migrations"


@cache
def head_revision() -> str:
    """The newest migration of this code (read from migrations/ once per process)."""
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None, "migrations/ has no revision"
    return head


def problems() -> list[str]:
    """What keeps this server from serving: empty when it is healthy."""
    try:
        stamped = db.session.execute(text("SELECT version_num FROM alembic_version"))
        revisions = set(stamped.scalars())
    except SQLAlchemyError:
        db.session.rollback()
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            db.session.rollback()
            return ["database unreachable"]
        return ["migrations not applied"]
    finally:
        db.session.rollback()  # end the read: a health check holds no transaction open
    if revisions != {head_revision()}:
        return ["migrations behind"]
    return []
