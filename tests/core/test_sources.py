"""corecors.sources with no server: policy files and SQLite tables.

Most tests call ``refresh()`` (one check, in the test's thread); a few run
the background thread or the asyncio task, with bounded waits. The
PostgreSQL source is tested against a real server in tests/live.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corecors import Config, Policy, Request, decide, read_file, read_text
from corecors.sources import FileSource, SQLSource, lint_rows, merge_rows, postgres_notify_sql

A = "https://a.example"
B = "https://b.example"
LOGGER = "corecors.sources"


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


# -- read_file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "options"),
    [
        pytest.param("p.toml", 'allow_origins = ["https://a.example"]',
                     {"allow_origins": [A]}, id="TOML options"),
        pytest.param("p.json", '{"allow_origins": ["https://a.example"]}',
                     {"allow_origins": [A]}, id="JSON options"),
        pytest.param("p", '{"max_age": 5}', {"max_age": 5}, id="JSON sniffed"),
        pytest.param("p", "max_age = 5", {"max_age": 5}, id="TOML sniffed"),
        pytest.param("p.toml", "[corecors]\nmax_age = 5", {"max_age": 5}, id="corecors table"),
        pytest.param("pyproject.toml", "[tool.corecors]\nmax_age = 5", {"max_age": 5},
                     id="tool.corecors table"),
    ],
)
def test_read_text_reads_every_form(name: str, text: str, options: dict[str, Any]) -> None:
    reading = read_text(text.encode(), name)
    assert reading.problems == ()
    assert reading.options == options


def test_read_text_reads_a_gravitee_export() -> None:
    export = {"api": {"proxy": {"cors": {"enabled": True, "allowOrigin": [A]}}}}
    config = Config.from_reading(read_text(json.dumps(export), "api.json"))
    assert config.allow_origins == (A,)


@pytest.mark.parametrize(
    ("name", "data", "code", "problem"),
    [
        pytest.param("p.json", b'{"allow_origins": ["https://a.ex', "CC001", "is not valid JSON",
                     id="truncated JSON"),
        pytest.param("p.toml", b"allow_origins = [", "CC001", "is not valid TOML",
                     id="truncated TOML"),
        pytest.param("p", b"{", "CC001", "is not valid JSON", id="neither, JSON error first"),
        pytest.param("p", b"\xff\xfe", "CC001", "is not UTF-8 text", id="not UTF-8"),
        pytest.param("p.json", b"[1]", "CC002", "holds a JSON list", id="not an object"),
    ],
)
def test_read_text_says_what_is_wrong_and_never_raises(
    name: str, data: bytes, code: str, problem: str
) -> None:
    (found,) = read_text(data, name).problems
    assert (found.code, found.option, found.value) == (code, "file", name)
    assert found.problem.startswith(problem)


def test_read_file_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "cors.json"
    path.write_text(json.dumps({"allow_origins": [A]}))
    assert read_file(path).options == {"allow_origins": [A]}


def test_read_file_of_a_missing_file_is_a_problem(tmp_path: Path) -> None:
    (found,) = read_file(tmp_path / "none.toml").problems
    assert found.code == "CC001"
    assert found.problem.startswith("cannot be read")


# -- FileSource ----------------------------------------------------------------------


def write(path: Path, text: str, stamp: int) -> None:
    """Write *text*; give it a modification time of its own, as a later write would."""
    path.write_text(text)
    os.utime(path, ns=(stamp * 10**9, stamp * 10**9))


def test_a_file_source_loads_and_reloads_on_change(tmp_path: Path) -> None:
    path = tmp_path / "cors.toml"
    write(path, f'allow_origins = ["{A}"]', 1)
    policy = Policy(Config())
    source = FileSource(path, policy)
    assert source.refresh() is True
    assert policy.config.allow_origins == (A,)
    assert source.refresh() is False  # unchanged
    write(path, f'allow_origins = ["{A}"]', 2)  # touched, same contents
    assert source.refresh() is False
    write(path, f'allow_origins = ["{B}"]', 3)
    assert source.refresh() is True
    assert policy.config.allow_origins == (B,)
    assert source.reloads == 2


def test_an_invalid_or_truncated_file_keeps_the_policy_and_logs_once_per_change(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cors.json"
    write(path, json.dumps({"allow_origins": [A]}), 1)
    policy = Policy(Config())
    source = FileSource(path, policy)
    source.refresh()
    good = policy.config
    with caplog.at_level(logging.INFO, logger=LOGGER):
        write(path, '{"allow_origins": ["https://b.ex', 2)  # truncated mid-write
        for _ in range(3):
            assert source.refresh() is False
        write(path, json.dumps({"allow_origins": [B + "/path"]}), 3)  # does not validate
        for _ in range(3):
            assert source.refresh() is False
        assert policy.config is good
        assert [p.code for p in source.problems] == ["CC005"]
        write(path, json.dumps({"allow_origins": [B]}), 4)
        assert source.refresh() is True
    lines = messages(caplog)
    assert len(lines) == 3, lines
    assert "does not validate" in lines[0]
    assert "CC001" in lines[0]
    assert "does not validate" in lines[1]
    assert "CC005" in lines[1]
    assert lines[2].endswith("put in force")
    assert source.problems == ()


def test_a_missing_file_keeps_the_policy_and_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cors.toml"
    policy = Policy(Config(allow_origins=[A]))
    source = FileSource(path, policy)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert source.refresh() is False
        assert source.refresh() is False
    assert len(messages(caplog)) == 1
    assert "does not exist" in messages(caplog)[0]
    assert policy.config.allow_origins == (A,)


def test_an_unreadable_file_is_a_source_down(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cors.toml"
    path.mkdir()  # stat works, reading fails: IsADirectoryError
    policy = Policy(Config(allow_origins=[A]))
    source = FileSource(path, policy)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert source.refresh() is False
        assert source.refresh() is False
        assert source.available is False
        path.rmdir()
        write(path, f'allow_origins = ["{B}"]', 5)
        assert source.refresh() is True
    lines = messages(caplog)
    assert "is unreachable" in lines[0]
    assert "IsADirectoryError" in lines[0]
    assert lines[1].endswith("put in force")
    assert lines[2].endswith("is reachable again")
    assert len(lines) == 3
    assert source.available is True


def test_a_file_source_thread_follows_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cors.toml"
    write(path, f'allow_origins = ["{A}"]', 1)
    policy = Policy(Config())
    with FileSource(path, policy, interval=0.01) as source:
        assert policy.config.allow_origins == (A,)  # start() loaded once
        with pytest.raises(RuntimeError, match="already started"):
            source.start()
        write(path, f'allow_origins = ["{B}"]', 2)
        for _ in range(1000):  # bounded: 10 s at most
            if source.reloads == 2:
                break
            threading.Event().wait(0.01)
    assert decide(Request("GET", origin=B), policy).allowed
    assert source._thread is None  # stop() joined it


def test_source_arguments_are_checked(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"needs a corecors\.Policy"):
        FileSource(tmp_path, Config())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="interval must be a positive"):
        FileSource(tmp_path, Policy(Config()), interval=0)
    with pytest.raises(TypeError, match="connect must be a callable"):
        SQLSource("sqlite:///x", Policy(Config()))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="plain SQL name"):
        SQLSource(lambda: None, Policy(Config()), table="t; DROP TABLE t")
    with pytest.raises(ValueError, match="plain SQL name"):
        SQLSource(lambda: None, Policy(Config()), listen="x y")
    with pytest.raises(ValueError, match="plain SQL name"):
        postgres_notify_sql(channel="a'b")


# -- merge_rows and lint_rows ---------------------------------------------------------------


def test_bad_rows_are_skipped_and_named() -> None:
    rows: list[object] = [
        (A,), (None,), ("https://t.example/path",), ("x" * 10_000,), ("*",), ("",),
        (b"https://bytes.example",), (b"\xff",), ("null",), (A,), "https://plain.example",
    ]
    config, problems = merge_rows(rows, Config(allow_origins=[B]), where="tenants")
    assert config.allow_origins == (B, A, "https://bytes.example", "https://plain.example")
    assert [(p.option, p.index) for p in problems] == [
        ("tenants", 1), ("tenants", 2), ("tenants", 3), ("tenants", 4), ("tenants", 5),
        ("tenants", 7), ("tenants", 8),
    ]
    assert all(p.code == "CC005" for p in problems)
    long = problems[2]
    assert isinstance(long.value, str)
    assert long.value.endswith("(10000 characters)")
    assert lint_rows(rows) == tuple(
        p.__class__(p.code, p.severity, "row", p.value, p.problem, p.fix, p.index)
        for p in problems
    )


def test_a_row_the_base_already_has_is_kept_once() -> None:
    config, problems = merge_rows([(A,), (A,)], Config(allow_origins=[A]))
    assert config.allow_origins == (A,)
    assert problems == ()


def test_the_trigger_sql_names_the_table_and_channel() -> None:
    sql = postgres_notify_sql("app.tenants", "cors")
    assert "pg_notify('cors', TG_TABLE_NAME)" in sql
    assert "ON app.tenants" in sql
    assert "corecors_notify_app_tenants()" in sql


# -- SQLSource on SQLite ------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "tenants.db")
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE cors_origins (origin TEXT)")
        connection.execute("INSERT INTO cors_origins VALUES (?)", (A,))
    return path


def execute(db: str, sql: str, *args: object) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute(sql, args)
    connection.close()


def test_sql_rows_are_merged_into_the_base(db: str) -> None:
    base = Config(allow_origins=[B], allow_methods=["PUT"])
    policy = Policy(Config())
    source = SQLSource(functools.partial(sqlite3.connect, db), policy, base)
    assert source.refresh() is True
    assert policy.config.allow_origins == (B, A)
    assert policy.config.allow_methods == ("PUT",)
    assert source.refresh() is False  # same rows: no rebuild
    execute(db, "INSERT INTO cors_origins VALUES (?)", "https://c.example")
    assert source.refresh() is True
    assert decide(Request("GET", origin="https://c.example"), policy).allowed
    execute(db, "DELETE FROM cors_origins WHERE origin = ?", A)
    assert source.refresh() is True
    assert not decide(Request("GET", origin=A), policy).allowed
    assert source.last_build_seconds >= 0
    source.stop()


def test_bad_rows_are_logged_once_per_change(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    policy = Policy(Config())
    source = SQLSource(functools.partial(sqlite3.connect, db), policy)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        execute(db, "INSERT INTO cors_origins VALUES (NULL)")
        execute(db, "INSERT INTO cors_origins VALUES (?)", "https://t.example/path")
        assert source.refresh() is True
        assert source.refresh() is False
        execute(db, "INSERT INTO cors_origins VALUES (?)", "x" * 10_000)
        assert source.refresh() is True
        assert source.refresh() is False
        execute(db, "DELETE FROM cors_origins WHERE origin IS NULL OR origin != ?", A)
        assert source.refresh() is True
        for i in range(25):
            execute(db, "INSERT INTO cors_origins VALUES (?)", f"https://x{i}.example/")
        assert source.refresh() is True
    lines = messages(caplog)
    assert len(lines) == 3, lines
    assert "2 of 3 rows skipped" in lines[0]
    assert "3 of 4 rows skipped" in lines[1]
    assert "... and 5 more" in lines[2]
    assert policy.config.allow_origins == (A,)


def test_a_custom_query_is_run(db: str) -> None:
    execute(db, "CREATE TABLE tenants (name TEXT, site TEXT, active INT)")
    execute(db, "INSERT INTO tenants VALUES ('t', ?, 1)", B)
    execute(db, "INSERT INTO tenants VALUES ('u', 'https://off.example', 0)")
    policy = Policy(Config())
    source = SQLSource(functools.partial(sqlite3.connect, db), policy,
                       query="SELECT site FROM tenants WHERE active = 1")
    source.refresh()
    source.stop()
    assert policy.config.allow_origins == (B,)


class Flaky:
    """connect() for a database that is down while ``down`` is set."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.down = False
        self.calls = 0

    def __call__(self) -> sqlite3.Connection:
        self.calls += 1
        if self.down:
            raise sqlite3.OperationalError("connection refused")
        return sqlite3.connect(self.db, check_same_thread=False)


def test_a_database_down_keeps_the_last_good_policy_and_is_logged_once(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    connect = Flaky(db)
    policy = Policy(Config())
    source = SQLSource(connect, policy)
    source.refresh()
    good = policy.config
    with caplog.at_level(logging.INFO, logger=LOGGER):
        source._close()  # the server went away: the next read reconnects
        connect.down = True
        for _ in range(3):
            assert source.refresh() is False
        assert policy.config is good
        assert source.available is False
        connect.down = False
        execute(db, "INSERT INTO cors_origins VALUES (?)", B)
        assert source.refresh() is True
    lines = messages(caplog)
    assert len(lines) == 2, lines
    assert "is unreachable (OperationalError: connection refused)" in lines[0]
    assert "reachable again" in lines[1]
    assert policy.config.allow_origins == (A, B)


def test_backoff_doubles_while_down_and_resets(db: str) -> None:
    source = SQLSource(Flaky(db), Policy(Config()), interval=1.0)
    source.available = False
    assert source._next_delay(1.0) == 2.0
    assert source._next_delay(20.0) == 30.0  # at most max_backoff
    source.available = True
    assert source._next_delay(30.0) == 1.0


def test_the_thread_retries_a_database_that_comes_back(db: str) -> None:
    connect = Flaky(db)
    connect.down = True
    policy = Policy(Config())
    source = SQLSource(connect, policy, interval=0.005)
    source.max_backoff = 0.02
    with source:
        assert source.available is False  # start() did not raise
        connect.down = False
        for _ in range(1000):  # bounded: 10 s at most
            if policy.config.allow_origins == (A,):
                break
            threading.Event().wait(0.01)
    assert policy.config.allow_origins == (A,)
    assert connect.calls >= 2


def test_the_asyncio_task_keeps_the_policy_current(db: str) -> None:
    policy = Policy(Config())
    source = SQLSource(functools.partial(sqlite3.connect, db, check_same_thread=False),
                       policy, interval=0.01)

    async def main() -> None:
        task = asyncio.create_task(source.run())
        for _ in range(1000):  # bounded: 10 s at most
            if policy.config.allow_origins == (A,):
                break
            await asyncio.sleep(0.01)
        source.stop()
        await asyncio.wait_for(task, 10)

    asyncio.run(main())
    assert policy.config.allow_origins == (A,)
    assert source._connection is None


# -- LISTEN/NOTIFY, with a stand-in for a psycopg connection ---------------------------------


class Notifying:
    """The part of a psycopg 3 connection SQLSource uses with ``listen=``."""

    def __init__(self, db: str, notes: list[list[str]]) -> None:
        self.inner = sqlite3.connect(db, check_same_thread=False)
        self.autocommit = False
        self.executed: list[str] = []
        self.notes = notes
        self.broken = False

    def execute(self, sql: str) -> None:
        self.executed.append(sql)

    def cursor(self) -> sqlite3.Cursor:
        return self.inner.cursor()

    def rollback(self) -> None:
        raise AssertionError("an autocommit connection needs no rollback")

    def notifies(self, timeout: float, stop_after: int | None = None) -> Iterator[str]:
        if self.broken:
            raise OSError("server closed the connection")
        yield from self.notes.pop(0) if self.notes else []

    def close(self) -> None:
        self.inner.close()
        raise OSError("already closed")  # closing a broken connection may fail


def test_listen_wakes_on_a_notification(db: str, caplog: pytest.LogCaptureFixture) -> None:
    notes: list[list[str]] = [[], ["cors_origins"], ["burst"]]
    made: list[Notifying] = []

    def connect() -> Notifying:
        made.append(Notifying(db, notes))
        made[-1].autocommit = len(made) > 1  # psycopg.connect(..., autocommit=True)
        return made[-1]

    source = SQLSource(connect, Policy(Config()), listen="corecors", interval=60)
    source.refresh()
    connection = made[0]
    assert connection.autocommit is True
    assert connection.executed == ["LISTEN corecors"]
    source._wait(60)  # returns on the notification, not after 60 s
    assert notes == []
    # A connection that breaks while waiting is reported and reopened.
    connection.broken = True
    with caplog.at_level(logging.INFO, logger=LOGGER):
        source._wait(60)
    assert "server closed the connection" in messages(caplog)[0]
    assert source._connection is None
    source.refresh()
    assert len(made) == 2
    source._stopping.set()
    source._wait(60)  # stop() ends a wait at once
    source._stopping.clear()
    source._wait(0)  # the polling fallback: a wait that is over
    source.stop()


def test_listen_is_ignored_by_a_driver_without_notifications(db: str) -> None:
    source = SQLSource(functools.partial(sqlite3.connect, db), Policy(Config()),
                       listen="corecors", interval=0.01)
    source.refresh()
    assert source._listening is False
    source._wait(0.01)  # a plain sleep
    source.stop()


@pytest.mark.parametrize("name", ["FileSource", "SQLSource", "merge_rows", "lint_rows",
                                  "postgres_notify_sql"])
def test_the_sources_docstring_examples_run(name: str) -> None:
    import doctest

    import corecors.sources

    obj = getattr(corecors.sources, name)
    globs = {n: getattr(corecors.sources, n) for n in corecors.sources.__all__}
    tests = [t for t in doctest.DocTestFinder().find(obj, name, globs=globs) if t.examples]
    assert tests
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_a_file_that_is_neither_toml_nor_json_is_not_a_config_file() -> None:
    from corecors import read_text

    (problem,) = read_text("allow_origins:\n  - https://a.example\n", "cors.yaml").problems
    assert problem.code == "CC001"
    assert "not a corecors config file" in problem.problem
    # Named .toml, the same text is a TOML file with a syntax error.
    (problem,) = read_text("allow_origins:\n  - https://a.example\n", "cors.toml").problems
    assert "is not valid TOML" in problem.problem
