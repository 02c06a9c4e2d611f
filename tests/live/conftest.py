"""The live-policy tests' fixtures: a real PostgreSQL server, once per session.

Debian's ``postgresql`` package provides it (``.ci/run`` installs it); see
pg_server.py. When PostgreSQL or psycopg is missing, the tests that need it
fail under CI (``$CI`` set) and skip locally, with what to install. This
directory goes on ``sys.path`` for the helpers beside the tests.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from pg_server import PostgreSQL, missing, postgres_bin  # noqa: E402


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgreSQL]:
    if importlib.util.find_spec("psycopg") is None:
        missing("psycopg is not installed")
    bindir = postgres_bin()
    if bindir is None:
        missing("no PostgreSQL server binary (postgres) found")
    assert bindir is not None
    server = PostgreSQL(bindir)
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def tenants(postgres: PostgreSQL) -> Iterator[PostgreSQL]:
    """An empty ``cors_origins`` table whose every change NOTIFYs ``corecors``."""
    from corecors.sources import postgres_notify_sql

    postgres.execute("DROP TABLE IF EXISTS cors_origins")
    postgres.execute("CREATE TABLE cors_origins (origin TEXT)")
    with postgres.connect() as connection:
        connection.execute(postgres_notify_sql("cors_origins", "corecors"))
    yield postgres
    if postgres.proc is None:  # a fault test left it stopped
        postgres.start()
