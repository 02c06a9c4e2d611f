"""SQLSource: tenant origins in a SQL table, merged into a base Config.

The table is read through DB-API 2 (PEP 249): *connect* is any zero-argument
callable that returns a connection, such as
``functools.partial(sqlite3.connect, "tenants.db")`` or
``functools.partial(psycopg.connect, url, autocommit=True)``. No driver is
imported here.

With PostgreSQL (psycopg 3, the ``corecors[postgres]`` extra) and
``listen="channel"``, the source LISTENs on the channel and reloads as soon
as a NOTIFY arrives; :func:`postgres_notify_sql` gives the trigger that
sends one on every INSERT, UPDATE, DELETE or TRUNCATE. Polling every
*interval* seconds stays on as the fallback.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .._config import Config
from .._errors import ConfigError, Problem
from .._options import OPTIONS
from .._origins import MAX_ORIGIN_LENGTH
from .._policy import Policy
from .._readers import Reading
from ._source import Source

__all__ = ["SQLSource", "lint_rows", "merge_rows", "postgres_notify_sql"]

Connect = Callable[[], Any]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}(?:\.[A-Za-z_][A-Za-z0-9_]{0,62})?")
_SHOWN = 80  # characters of a bad row's value shown in a log line or a Problem


def _identifier(value: object, what: str) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise ValueError(
            f"{what} must be a plain SQL name (letters, digits, _; optionally schema.name), "
            f"not {value!r}; pass query= for anything else"
        )
    return value


def _shown(value: object) -> object:
    if isinstance(value, str) and len(value) > _SHOWN:
        return f"{value[:_SHOWN]}... ({len(value)} characters)"
    return value


def _row_problem(where: str, index: int, value: object, problem: str, fix: str) -> Problem:
    return Problem("CC005", "error", where, _shown(value), problem, fix, index)


def merge_rows(
    rows: Iterable[object], base: Config | None = None, *, where: str = "row"
) -> tuple[Config, tuple[Problem, ...]]:
    """*base* with every usable row added to its ``allow_origins``; and what was skipped.

    A row is a DB-API row (a sequence whose first column is the origin) or
    the origin itself. A row that is not text, is longer than an Origin can
    be, is ``*``, or is not a valid origin (a path, ``null``, a typo) is
    skipped with a ``CC005`` problem named ``where[index]``; it never makes
    the merge fail. Duplicates are kept once. A source logs the skipped rows
    when they change, not on every poll.

    >>> config, skipped = merge_rows([("https://a.example",), (None,), ("https://b.example/x",)])
    >>> config.allow_origins
    ('https://a.example',)
    >>> [(p.index, p.problem) for p in skipped]
    [(1, 'is not text'), (2, 'has a path, but an origin is only scheme, host and port')]
    """
    base = Config() if base is None else base
    problems: list[Problem] = []
    origins: list[str] = []
    indexes: list[int] = []
    seen = set(base.allow_origins)
    for index, row in enumerate(rows):
        value = row[0] if isinstance(row, Sequence) and not isinstance(row, str) else row
        if isinstance(value, bytes | bytearray):
            with contextlib.suppress(UnicodeDecodeError):
                value = bytes(value).decode("ascii")
        if not isinstance(value, str):
            problems.append(
                _row_problem(where, index, value, "is not text", "store the origin as text")
            )
        elif len(value) > MAX_ORIGIN_LENGTH:
            problems.append(
                _row_problem(
                    where,
                    index,
                    value,
                    f"is longer than an Origin can be ({MAX_ORIGIN_LENGTH} characters)",
                    "store one origin per row, such as https://tenant.example.com",
                )
            )
        elif value.strip() in ("*", ""):
            problems.append(
                _row_problem(
                    where,
                    index,
                    value,
                    "would allow every origin" if value.strip() else "is empty",
                    "store one tenant origin per row; allow '*' in the base Config if meant",
                )
            )
        elif value not in seen:
            seen.add(value)
            origins.append(value)
            indexes.append(index)
    head = len(base.allow_origins)
    options = {name: getattr(base, name) for name in OPTIONS}
    options["allow_origins"] = (*base.allow_origins, *origins)
    try:
        config = Config.from_reading(Reading(options))
    except ConfigError as exc:
        # Errors on rows (the base is a Config, so it has none of its own):
        # skip those rows and build again, which then succeeds.
        bad = {
            p.index - head: p
            for p in exc.problems
            if p.option == "allow_origins" and p.index is not None and p.index >= head
        }
        problems.extend(
            _row_problem(where, indexes[i], p.value, p.problem, p.fix) for i, p in bad.items()
        )
        options["allow_origins"] = (
            *base.allow_origins,
            *(o for i, o in enumerate(origins) if i not in bad),
        )
        config = Config.from_reading(Reading(options))
    problems.sort(key=lambda p: p.index or 0)
    return config, tuple(problems)


def lint_rows(
    rows: Iterable[object], base: Config | None = None, *, where: str = "row"
) -> tuple[Problem, ...]:
    """Every problem with a table's rows, as :func:`merge_rows` would skip them.

    For ``corecors lint --sql``: the rows of the query an :class:`SQLSource`
    runs, checked before anyone deploys.

    >>> [p.code for p in lint_rows([("https://a.example",), ("https://a.example/path",)])]
    ['CC005']
    """
    return merge_rows(rows, base, where=where)[1]


def postgres_notify_sql(table: str = "cors_origins", channel: str = "corecors") -> str:
    """The SQL that makes every change to *table* NOTIFY *channel* (PostgreSQL 11+).

    Run it once (a migration): it creates a trigger function and a
    statement-level trigger for INSERT, UPDATE, DELETE and TRUNCATE. Rerunning
    it replaces them.

    >>> print(postgres_notify_sql("tenants", "cors"))  # doctest: +ELLIPSIS
    CREATE OR REPLACE FUNCTION corecors_notify_tenants() RETURNS trigger ...
    """
    _identifier(table, "table")
    _identifier(channel, "channel")
    function = "corecors_notify_" + table.replace(".", "_")
    return (
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n"
        f"    PERFORM pg_notify('{channel}', TG_TABLE_NAME);\n"
        f"    RETURN NULL;\n"
        f"END $$;\n"
        f"DROP TRIGGER IF EXISTS corecors_notify ON {table};\n"
        f"CREATE TRIGGER corecors_notify\n"
        f"    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}\n"
        f"    FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n"
    )


class SQLSource(Source):
    """Keep *policy* equal to *base* plus the origins in a SQL table.

    Every *interval* seconds (and on each NOTIFY with ``listen=``) the
    source runs *query* (by default ``SELECT column FROM table ORDER BY
    column``; a query of your own should order its rows too), and when the
    rows changed, builds the merged Config in its own thread and puts
    it in force. Rows that are not valid origins are skipped and logged
    once per change (see :func:`merge_rows`); a database that is down keeps
    the last good policy, is logged once, and is retried with backoff.

    >>> import sqlite3, functools, os, tempfile
    >>> from corecors import Config, Policy
    >>> db = os.path.join(tempfile.mkdtemp(), "tenants.db")
    >>> c = sqlite3.connect(db)
    >>> _ = c.execute("CREATE TABLE cors_origins (origin TEXT)")
    >>> _ = c.execute("INSERT INTO cors_origins VALUES ('https://t1.example')")
    >>> c.commit(); c.close()
    >>> policy = Policy(Config())
    >>> with SQLSource(functools.partial(sqlite3.connect, db), policy):
    ...     policy.config.allow_origins
    ('https://t1.example',)
    """

    def __init__(
        self,
        connect: Connect,
        policy: Policy,
        base: Config | None = None,
        *,
        table: str = "cors_origins",
        column: str = "origin",
        query: str | None = None,
        listen: str | None = None,
        interval: float = 5.0,
    ) -> None:
        if query is None:
            # Both names are checked plain identifiers, not values.
            name = _identifier(column, "column")
            # Ordered, so that the same rows compare equal from one poll to the next.
            query = f"SELECT {name} FROM {_identifier(table, 'table')} ORDER BY {name}"  # noqa: S608
        super().__init__(policy, interval=interval, name=f"tenant origins ({query})")
        if not callable(connect):
            raise TypeError("connect must be a callable that returns a DB-API connection")
        self.connect = connect
        self.base = Config() if base is None else base
        self.query = query
        self.table = table
        self.listen = None if listen is None else _identifier(listen, "listen")
        self._connection: Any = None
        self._listening = False
        self._rows: list[Any] | None = None
        #: seconds the last build took (reading excluded)
        self.last_build_seconds = 0.0

    def _connected(self) -> Any:
        connection = self._connection
        if connection is None:
            connection = self._connection = self.connect()
            self._listening = False
            if self.listen is not None and hasattr(connection, "notifies"):
                # psycopg 3: notifications arrive only outside a transaction.
                if not getattr(connection, "autocommit", True):
                    connection.autocommit = True
                connection.execute(f"LISTEN {self.listen}")
                self._listening = True
        return connection

    def read_rows(self) -> list[Any]:
        """The table's rows now (raises what the driver raises)."""
        connection = self._connected()
        cursor = connection.cursor()
        try:
            cursor.execute(self.query)
            rows = list(cursor.fetchall())
        finally:
            cursor.close()
        if not getattr(connection, "autocommit", False):
            connection.rollback()  # end the read's transaction, if the driver began one
        return rows

    def _check(self) -> Config | None:
        rows = self.read_rows()
        if rows == self._rows:
            return None
        self._rows = rows
        started = time.perf_counter()
        config, problems = merge_rows(rows, self.base, where=self.table)
        self.last_build_seconds = time.perf_counter() - started
        self.problems = problems
        if problems:
            self.report(
                # The bad values, not their row numbers: a good row added
                # before them is no news.
                ("skipped", tuple(sorted(repr((p.value, p.problem)) for p in problems))),
                logging.WARNING,
                "%s: %d of %d rows skipped:\n%s",
                self.name,
                len(problems),
                len(rows),
                "\n".join(f"  {p}" for p in problems[:20])
                + (f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""),
            )
        else:
            self._reported = None
        return config

    def _wait(self, seconds: float) -> None:
        connection = self._connection
        if not self._listening or connection is None:
            super()._wait(seconds)
            return
        # Wake on the first NOTIFY, on stop() (checked every 0.2 s), or
        # after *seconds* (the polling fallback).
        deadline = time.monotonic() + seconds
        try:
            while not self._stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                # psycopg's generator holds the connection's lock until it
                # is closed: close it before anything else uses the connection.
                notes = connection.notifies(timeout=min(left, 0.2), stop_after=1)
                try:
                    arrived = next(notes, None) is not None
                finally:
                    notes.close()
                if arrived:
                    # Drain what else arrived with it: one reload for a burst.
                    for _ in connection.notifies(timeout=0.01):
                        pass
                    return
        except Exception as exc:  # the connection broke: the next check reconnects
            self._failed(exc)

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        self._listening = False
        if connection is not None:
            # Closing a broken connection may fail; it is gone anyway.
            with contextlib.suppress(Exception):
                connection.close()
