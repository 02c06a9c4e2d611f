"""The Flask app under gunicorn (gthread, 2 workers x 4 threads) on 127.0.0.1,
driven by several client threads with a mix of allowed, disallowed and
malformed CORS requests for a fixed short time. Every response is checked
against ``decide()`` on the same request and the same Config object.

Bounded: at most LOAD_SECONDS of load and MAX_REQUESTS requests, and
gunicorn is always stopped (its process group, which this test started).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sec_adapters import adapter
from sec_support import STATS, vary_tokens

from corecors import Config, Decision, Request, decide

HERE = Path(__file__).resolve().parent
LOAD_SECONDS = 5.0
MAX_REQUESTS = 20_000
CLIENT_THREADS = 6
APP = "https://app.example.com"
ADMIN = "https://admin.example.com"


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]


CASES = [
    Case("allowed actual", "GET", "/items", (("Origin", APP),)),
    Case("allowed actual, pattern", "PUT", "/items", (("Origin", "https://a.b.example.org"),)),
    Case(
        "allowed preflight",
        "OPTIONS",
        "/items",
        (
            ("Origin", APP),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "content-type,x-custom"),
        ),
    ),
    Case(
        "allowed preflight, private network",
        "OPTIONS",
        "/items",
        (
            ("Origin", "http://localhost:3000"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Private-Network", "true"),
        ),
    ),
    Case("disallowed actual", "GET", "/items", (("Origin", "https://evil.example"),)),
    Case(
        "disallowed preflight",
        "OPTIONS",
        "/items",
        (("Origin", "https://evil.example"), ("Access-Control-Request-Method", "PUT")),
    ),
    Case(
        "disallowed preflight, header",
        "OPTIONS",
        "/items",
        (
            ("Origin", APP),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "x-other"),
        ),
    ),
    Case("duplicate Origin lines", "GET", "/items", (("Origin", APP), ("Origin", APP))),
    Case(
        "duplicate Origin lines, preflight",
        "OPTIONS",
        "/items",
        (
            ("Origin", "https://evil.example"),
            ("Origin", APP),
            ("Access-Control-Request-Method", "PUT"),
        ),
    ),
    # gunicorn answers 400 itself for control characters other than tab, so
    # the garbage that reaches the app is tabs, blanks and high Latin-1 bytes.
    Case("CR-less garbage Origin", "GET", "/items", (("Origin", APP + "\xe9\xff"),)),
    Case("garbage Origin with a tab", "GET", "/items", (("Origin", "null\tnull"),)),
    Case(
        "garbage preflight",
        "OPTIONS",
        "/items",
        (
            ("Origin", "\xffhttps://app.example.com"),
            ("Access-Control-Request-Method", "P\tUT"),
            ("Access-Control-Request-Headers", "x-custom\x85,\xa0content-type"),
        ),
    ),
    Case(
        "huge ACRH",
        "OPTIONS",
        "/items",
        (
            ("Origin", APP),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", ",".join(["x-custom"] * 800)),
        ),
    ),
    Case(
        "ACRH of commas",
        "OPTIONS",
        "/items",
        (
            ("Origin", APP),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "," * 7000),
        ),
    ),
    Case(
        "lower-case method, listed",
        "OPTIONS",
        "/items",
        (("Origin", APP), ("Access-Control-Request-Method", "patch")),
    ),
    Case(
        "lower-case method, not listed",
        "OPTIONS",
        "/items",
        (("Origin", APP), ("Access-Control-Request-Method", "put")),
    ),
    Case("lower-case actual method", "patch", "/items", (("Origin", APP),)),
    Case("no Origin", "GET", "/items", ()),
    Case(
        "rule scope, allowed",
        "OPTIONS",
        "/admin",
        (("Origin", ADMIN), ("Access-Control-Request-Method", "POST")),
    ),
    Case(
        "rule scope, app origin refused",
        "OPTIONS",
        "/admin",
        (("Origin", APP), ("Access-Control-Request-Method", "POST")),
    ),
    Case("rule scope, actual", "POST", "/admin", (("Origin", ADMIN),)),
    Case("rule scope, app origin actual", "POST", "/admin", (("Origin", APP),)),
    Case("error response", "GET", "/error", (("Origin", APP),)),
    Case("not found", "GET", "/missing", (("Origin", APP),)),
]


def _cgi_join(headers: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """The header values as gunicorn hands them to the app: repeated fields
    joined with ',' and surrounding blanks stripped."""
    joined: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, value in headers:
        joined.setdefault(name.lower(), []).append(value.strip(" \t"))
        names.setdefault(name.lower(), name)
    return [(names[k], ",".join(v)) for k, v in joined.items()]


def expected_decision(case: Case) -> Decision:
    """decide() on the same request, under the policy the rule scope picks."""
    from sec_load_app import ADMIN_CONFIG, APP_CONFIG

    headers = _cgi_join(case.headers)
    request = Request.from_headers(case.method, headers)
    config: Config = APP_CONFIG
    if case.path == "/admin":
        # The rule Flask matches: with the requested method for a preflight.
        method = (request.request_method or "OPTIONS") if case.method == "OPTIONS" else case.method
        if method.upper() in ("POST", "OPTIONS"):
            config = ADMIN_CONFIG
    return decide(request, config)


def expected_status(case: Case, decision: Decision) -> int:
    if decision.action == "respond":
        assert decision.status is not None
        return decision.status
    return {"/error": 500, "/missing": 404}.get(case.path, 200)


def check(case: Case, status: int, headers: list[tuple[str, str]]) -> list[str]:
    """The ways the response differs from what decide() says; [] if none."""
    decision = expected_decision(case)
    problems = []
    want_status = expected_status(case, decision)
    if status != want_status:
        problems.append(f"status {status} != {want_status}")
    got = sorted((n.lower(), v) for n, v in headers if n.lower().startswith("access-control-"))
    want = sorted(
        (n.lower(), v) for n, v in decision.headers if n.lower().startswith("access-control-")
    )
    if got != want:
        problems.append(f"CORS headers {got} != {want}")
    missing = {t.lower() for t in decision.vary} - vary_tokens(headers)
    if missing:
        problems.append(f"Vary lacks {sorted(missing)}")
    for name, value in headers:
        if "\r" in name + value or "\n" in name + value:
            problems.append(f"CR/LF in {name}")
    return problems


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    adapter("flask")
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--workers",
        "2",
        "--bind",
        "127.0.0.1:0",  # loopback only; the kernel picks the port
        "--chdir",
        str(HERE),
        # Lower-case methods must reach the app (gunicorn refuses them by default).
        "--permit-unconventional-http-method",
        "--graceful-timeout",
        "5",
        "--log-level",
        "info",
        "--error-logfile",
        str(log),
        "sec_load_app:app",
    ]
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=sink, start_new_session=True)
    try:
        port = _wait_for_port(process, log)
        _wait_until_serving(port, process)
        yield port
    finally:
        _stop(process)


def _wait_for_port(process: subprocess.Popen[bytes], log: Path) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + log.read_text(errors="replace"))
        match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text("latin-1"))
        if match:
            return int(match.group(1))
        time.sleep(0.05)
    raise RuntimeError("gunicorn did not start:\n" + log.read_text(errors="replace"))


def _wait_until_serving(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/items")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn does not answer")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the gunicorn master this test started, then its process group."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # any worker left behind
    if process.poll() is None:
        process.wait(timeout=10)


def _send(conn: http.client.HTTPConnection, case: Case) -> tuple[int, list[tuple[str, str]]]:
    conn.putrequest(case.method, case.path, skip_accept_encoding=True)
    for name, value in case.headers:
        conn.putheader(name, value.encode("latin-1"))
    conn.endheaders()
    response = conn.getresponse()
    response.read()
    return response.status, response.getheaders()


def test_under_load_every_answer_is_the_decision(gunicorn: int) -> None:
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + LOAD_SECONDS
    sent = 0
    failures: list[str] = []

    def client(offset: int) -> None:
        nonlocal sent
        conn = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=10)
        i = offset
        while time.monotonic() < deadline:
            with lock:
                if sent >= MAX_REQUESTS:
                    break
                sent += 1
            case = CASES[i % len(CASES)]
            i += 1
            try:
                status, headers = _send(conn, case)
                problems = check(case, status, headers)
            except (OSError, http.client.HTTPException) as exc:
                problems = [f"{type(exc).__name__}: {exc}"]
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=10)
            with lock:
                counts[case.name] += 1
                counts["errors" if problems and "Error" in problems[0] else "ok"] += not problems
                if problems:
                    counts["wrong"] += 1
                    failures.append(f"{case.name}: {problems}")
        conn.close()

    threads = [threading.Thread(target=client, args=(k * 3,)) for k in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=LOAD_SECONDS + 60)
    assert not any(t.is_alive() for t in threads), "a client thread hung"

    total = sum(counts[c.name] for c in CASES)
    STATS["load: requests sent through gunicorn"] += total
    STATS["load: wrong or failed responses"] += counts["wrong"]
    assert not failures, f"{len(failures)} of {total} wrong, such as {failures[:5]}"
    # Every kind of request was exercised (each thread starts on a different case).
    assert all(counts[c.name] >= 1 for c in CASES), counts
    assert counts["ok"] == total


def test_the_checker_notices_a_wrong_answer() -> None:
    """check() is not blind: a missing ACAO or Vary, or a stray one, is reported."""
    case = CASES[0]
    decision = expected_decision(case)
    right = [*decision.headers, ("Vary", "Origin")]
    assert check(case, 200, right) == []
    assert check(case, 200, [("Vary", "Origin")])
    assert check(case, 200, list(decision.headers))
    assert check(CASES[4], 200, [("Access-Control-Allow-Origin", "*"), ("Vary", "Origin")])
    assert check(case, 500, right)
