"""SQLSource against a real PostgreSQL: a fleet converging, and faults.

The server is the session's (tests/live/conftest.py). Loops are bounded by
counts; times are measured and printed, and what is asserted is behaviour:
with polling set to 60 s, a worker can only follow a change in time through
LISTEN/NOTIFY.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pg_server import PostgreSQL
from servers import gunicorn_serving

from corecors import Config, Policy, Request, decide
from corecors.sources import SQLSource

HERE = Path(__file__).parent
WORKERS = 4
TENANT = "https://tenant.example"
LOGGER = "corecors.sources"


@contextmanager
def fleet(postgres: PostgreSQL, tmp_path: Path) -> Iterator[int]:
    """gunicorn with four workers of tests/live/fleet_app.py; yield its port."""
    log = tmp_path / "gunicorn.log"
    env = {"FLEET_DB": postgres.url, "FLEET_INTERVAL": "60"}
    with gunicorn_serving("fleet_app:app", HERE, log, workers=WORKERS, env=env) as port:
        yield port


def ask(port: int) -> tuple[str, bool]:
    """One request from TENANT on a new connection: (worker pid, allowed)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/", headers={"Origin": TENANT, "Connection": "close"})
        response = connection.getresponse()
        response.read()
        allowed = response.getheader("Access-Control-Allow-Origin") == TENANT
        return response.getheader("X-Worker") or "", allowed
    finally:
        connection.close()


def until_every_worker(port: int, allowed: bool, max_requests: int = 4000) -> float:
    """Seconds until each of the workers answered *allowed*; bounded by requests.

    A worker is counted once it answers so, and then must keep answering so:
    no worker may fall back.
    """
    started = time.monotonic()
    seen: set[str] = set()
    for _ in range(max_requests):
        worker, got = ask(port)
        if got == allowed:
            seen.add(worker)
            if len(seen) == WORKERS:
                return time.monotonic() - started
        else:
            assert worker not in seen, f"worker {worker} went back"
    pytest.fail(f"only {len(seen)} of {WORKERS} workers answered allowed={allowed} "
                f"after {max_requests} requests")


def test_a_fleet_of_gunicorn_workers_converges_through_notify(
    tenants: PostgreSQL, tmp_path: Path
) -> None:
    with fleet(tenants, tmp_path) as port:
        until_every_worker(port, allowed=False)  # every worker is up, tenant refused
        tenants.execute("INSERT INTO cors_origins VALUES (%s)", TENANT)
        insert = until_every_worker(port, allowed=True)
        tenants.execute("DELETE FROM cors_origins WHERE origin = %s", TENANT)
        delete = until_every_worker(port, allowed=False)
    print(f"\nfleet of {WORKERS} gunicorn workers, one PostgreSQL: every worker allowed "
          f"the INSERTed origin after {insert * 1000:.0f} ms and refused it after the "
          f"DELETE after {delete * 1000:.0f} ms (polling every 60 s: NOTIFY did it)")


def wait_for(condition: object, what: str, tries: int = 1000) -> None:
    assert callable(condition)
    for _ in range(tries):  # bounded: 10 s at most
        if condition():
            return
        time.sleep(0.01)
    pytest.fail(f"never happened: {what}")


def test_the_database_stopped_and_restarted_while_requests_run(
    tenants: PostgreSQL, caplog: pytest.LogCaptureFixture
) -> None:
    tenants.execute("INSERT INTO cors_origins VALUES (%s)", TENANT)
    policy = Policy(Config())
    source = SQLSource(tenants.connect, policy, listen="corecors", interval=0.05)
    source.max_backoff = 0.2
    errors: list[BaseException] = []
    answers: list[bool] = []
    running = threading.Event()
    running.set()

    def requests() -> None:
        try:
            for _ in range(200_000):  # bounded
                if not running.is_set():
                    return
                answers.append(decide(Request("GET", origin=TENANT), policy).allowed)
                time.sleep(0.0005)
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    with caplog.at_level(logging.INFO, logger=LOGGER), source:
        assert policy.config.allow_origins == (TENANT,)
        client = threading.Thread(target=requests)
        client.start()
        try:
            tenants.stop()
            wait_for(lambda: not source.available, "the source saw the database go")
            served = len(answers)
            wait_for(lambda: len(answers) > served + 20, "requests during the outage")
            tenants.start()
            tenants.execute("INSERT INTO cors_origins VALUES (%s)", "https://second.example")
            wait_for(lambda: "https://second.example" in policy.config.allow_origins,
                     "the source came back with the new row")
        finally:
            running.clear()
            client.join(10)
    assert errors == []
    assert answers
    assert all(answers)
    down = [r for r in caplog.records if "is unreachable" in r.getMessage()]
    assert len(down) == 1, [r.getMessage() for r in caplog.records]
    assert [r for r in caplog.records if "reachable again" in r.getMessage()]


def test_bad_rows_in_postgres_are_skipped_and_logged_once(
    tenants: PostgreSQL, caplog: pytest.LogCaptureFixture
) -> None:
    for value in (TENANT, None, "https://tenant.example/path", "x" * 10_000):
        tenants.execute("INSERT INTO cors_origins VALUES (%s)", value)
    policy = Policy(Config())
    source = SQLSource(tenants.connect, policy, listen="corecors", interval=0.05)
    with caplog.at_level(logging.INFO, logger=LOGGER), source:
        wait_for(lambda: policy.config.allow_origins == (TENANT,), "the good row in force")
        reloads = source.reloads
        time.sleep(0.3)  # several polls of the same rows
        assert source.reloads == reloads  # nothing rebuilt, nothing logged
        tenants.execute("INSERT INTO cors_origins VALUES (%s)", "https://more.example")
        wait_for(lambda: len(policy.config.allow_origins) == 2, "the new row in force")
        tenants.execute("INSERT INTO cors_origins VALUES (%s)", "null")
        wait_for(lambda: len(source.problems) == 4, "the new bad row seen")
    skipped = [r.getMessage() for r in caplog.records if "rows skipped" in r.getMessage()]
    # Once per change of the bad rows: a good row added says nothing new.
    assert len(skipped) == 2, skipped
    assert "3 of 4 rows skipped" in skipped[0]
    assert "4 of 6 rows skipped" in skipped[1]
    assert set(policy.config.allow_origins) == {TENANT, "https://more.example"}
