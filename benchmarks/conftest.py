"""Benchmarks run on SQLite and PostgreSQL like the tests (``make bench``)."""

from tests.conftest import (  # noqa: F401  (fixtures)
    IsolatedClient,
    app,
    backend,
    client,
    database_url,
    make_app,
    postgres,
    postgres_url,
)
