"""The Flask extension behind real servers, spoken to over real sockets.

A werkzeug server in a thread (what ``flask run`` uses) and gunicorn in a
subprocess (what production uses), each bound to 127.0.0.1 on a free port.
Raw header bytes that no test client can send (repeated Origin lines,
non-ASCII bytes) go through here.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from flask import Flask, abort, request
from servers import gunicorn_serving
from werkzeug.serving import make_server

from corecors.adapters.flask import CORS, cross_origin

APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
EVIL = "https://evil.example"
ROOT = Path(__file__).resolve().parents[2]

Answer = tuple[int, http.client.HTTPMessage, bytes]


def send(port: int, method: str, path: str, headers: list[tuple[str, str | bytes]]) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


@contextmanager
def serving(app: Flask) -> Iterator[int]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.port
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    assert not thread.is_alive()


def build_app(seen: list[str]) -> Flask:
    app = Flask(__name__)

    @app.before_request
    def gatekeeper() -> tuple[str, int] | None:
        seen.append(f"before {request.path}")
        if request.path == "/guarded" and "X-Key" not in request.headers:
            return "missing key", 401
        return None

    @app.get("/")
    def index() -> str:
        seen.append("view /")
        return "hello"

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    @app.get("/missing")
    def missing() -> str:
        abort(404)

    @app.route("/guarded", methods=["GET", "PUT"])
    @cross_origin(allow_origins=[APP], allow_methods=["PUT"], preflight_passthrough=True)
    def guarded() -> str:
        seen.append("view /guarded")
        return "guarded"

    @app.get("/admin")
    @cross_origin(allow_origins=[ADMIN])
    def admin() -> str:
        return "admin"

    CORS(app, allow_origins=[APP], allow_methods=["PUT"])
    return app


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, list[str]]]:
    seen: list[str] = []
    with serving(build_app(seen)) as port:
        yield port, seen


def preflight_headers(origin: str = APP, method: str = "PUT") -> list[tuple[str, str | bytes]]:
    return [("Origin", origin), ("Access-Control-Request-Method", method)]


def test_preflight_over_the_wire(server: tuple[int, list[str]]) -> None:
    port, seen = server
    seen.clear()
    status, headers, body = send(port, "OPTIONS", "/", preflight_headers())
    assert (status, body) == (204, b"")
    assert headers["Access-Control-Allow-Origin"] == APP
    assert headers["Access-Control-Allow-Methods"] == "PUT"
    assert seen == []


def test_refused_preflight_over_the_wire(server: tuple[int, list[str]]) -> None:
    port, seen = server
    seen.clear()
    status, headers, body = send(port, "OPTIONS", "/", preflight_headers(EVIL))
    assert (status, body) == (403, b"")
    assert not [k for k in headers if k.lower().startswith("access-control-")]
    assert seen == []


@pytest.mark.parametrize(
    ("path", "origin", "status", "allowed"),
    [
        pytest.param("/", APP, 200, APP, id="allowed"),
        pytest.param("/", EVIL, 200, None, id="disallowed"),
        pytest.param("/missing", APP, 404, APP, id="abort(404)"),
        pytest.param("/nowhere", APP, 404, APP, id="no route"),
        pytest.param("/boom", APP, 500, APP, id="unhandled exception"),
        pytest.param("/admin", ADMIN, 200, ADMIN, id="view policy"),
        pytest.param("/admin", APP, 200, None, id="view policy refuses the app's origin"),
    ],
)
def test_actual_requests_over_the_wire(
    server: tuple[int, list[str]], path: str, origin: str, status: int, allowed: str | None
) -> None:
    port, _ = server
    got, headers, _ = send(port, "GET", path, [("Origin", origin)])
    assert got == status
    assert headers["Access-Control-Allow-Origin"] == allowed
    assert headers.get_all("Vary") == ["Origin"]


@pytest.mark.parametrize(
    "origin_lines",
    [
        pytest.param([APP, APP], id="the same allowed origin twice"),
        pytest.param([APP, EVIL], id="two origins"),
        pytest.param([APP.encode() + b"\xc3\xa9"], id="non-ASCII bytes"),
        pytest.param([b"https://app.example.com\x01"], id="control byte"),
    ],
)
def test_raw_origin_lines_no_test_client_can_send(
    server: tuple[int, list[str]], origin_lines: list[str | bytes]
) -> None:
    port, _ = server
    status, headers, _ = send(port, "GET", "/", [("Origin", v) for v in origin_lines])
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] is None
    status, headers, _ = send(
        port, "OPTIONS", "/",
        [*(("Origin", v) for v in origin_lines), ("Access-Control-Request-Method", "PUT")],
    )
    assert status == 403


@pytest.mark.parametrize(
    ("extra", "status"),
    [pytest.param([], 401, id="hook rejects"),
     pytest.param([("X-Key", "1")], 200, id="hook passes: Flask's automatic OPTIONS answers")],
)
def test_passthrough_preflight_over_the_wire(
    server: tuple[int, list[str]], extra: list[tuple[str, str | bytes]], status: int
) -> None:
    port, seen = server
    seen.clear()
    got, headers, _ = send(port, "OPTIONS", "/guarded", [*preflight_headers(), *extra])
    assert got == status
    assert headers["Access-Control-Allow-Origin"] == APP
    assert headers["Access-Control-Allow-Methods"] == "PUT"
    assert seen == ["before /guarded"], "hooks ran, the view did not"


def test_concurrent_first_requests_settle_scopes_once() -> None:
    """Threads racing on a fresh app all get their own view's policy."""
    app = build_app([])
    results: list[tuple[str, str | None]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8, timeout=10)

    def client(i: int) -> None:
        try:
            path, origin = ("/admin", ADMIN) if i % 2 else ("/", APP)
            barrier.wait()
            for _ in range(10):
                _, headers, _ = send(port, "GET", path, [("Origin", origin)])
                results.append((origin, headers["Access-Control-Allow-Origin"]))
        except BaseException as exc:  # collected, asserted in the main thread
            errors.append(exc)

    with serving(app) as port:
        threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert errors == []
    assert len(results) == 80
    assert all(origin == got for origin, got in results)


# -- gunicorn -----------------------------------------------------------------------


def gunicorn(tmp_path: Path) -> AbstractContextManager[int]:
    return gunicorn_serving("flask_app:app", ROOT / "examples", tmp_path / "gunicorn.log",
                            workers=2)  # fmt: skip


def wait_for_worker(port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            send(port, "GET", "/public/status", [])
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_example_app_under_gunicorn(tmp_path: Path) -> None:
    if importlib.util.find_spec("gunicorn") is None:
        if os.environ.get("CI"):
            pytest.fail("gunicorn is not installed, and CI is set: this test must run")
        pytest.skip("needs gunicorn (pip install gunicorn)")
    with gunicorn(tmp_path) as port:
        wait_for_worker(port)
        status, headers, _ = send(port, "OPTIONS", "/api/items/1", preflight_headers())
        assert status == 204
        assert headers["Access-Control-Allow-Origin"] == APP
        assert headers["Access-Control-Allow-Credentials"] == "true"

        status, headers, _ = send(port, "DELETE", "/api/items/1", [("Origin", ADMIN)])
        assert (status, headers["Access-Control-Allow-Origin"]) == (401, ADMIN)

        status, headers, _ = send(port, "GET", "/api/items/99", [("Origin", APP)])
        assert (status, headers["Access-Control-Allow-Origin"]) == (404, APP)

        status, headers, _ = send(port, "GET", "/public/status", [("Origin", EVIL)])
        assert (status, headers["Access-Control-Allow-Origin"]) == (200, "*")
