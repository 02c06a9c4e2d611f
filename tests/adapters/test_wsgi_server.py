"""The WSGI middleware behind real HTTP servers on 127.0.0.1: werkzeug's in a
thread, and gunicorn (what production uses) in a subprocess."""

from __future__ import annotations

import http.client
import importlib.util
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import gunicorn_serving
from werkzeug.serving import make_server

from corecors import Config
from corecors.adapters.wsgi import CORSMiddleware

APP = "http://app.localhost:8080"

CONFIG = Config(
    allow_origins=[APP, "https://*.example.com"],
    allow_methods=["GET", "PUT"],
    allow_headers=["Content-Type"],
    allow_credentials=True,
)

released = threading.Event()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ["PATH_INFO"] == "/stream":
        return stream(start_response)
    if environ["PATH_INFO"] == "/missing":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"missing"]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")])
    return [b"hello"]


def stream(start_response: Callable[..., Any]) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/event-stream")])
    yield b"data: first\n\n"
    # The second event waits until the client has read the first: if the
    # middleware buffered the body, the client would never see it.
    released.wait(timeout=10)
    yield b"data: second\n\n"


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = make_server("127.0.0.1", 0, CORSMiddleware(application, CONFIG), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)


def request(port: int, method: str, path: str = "/", **headers: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers={k.replace("_", "-"): v for k, v in headers.items()})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def test_allowed_actual_request_over_the_wire(port: int) -> None:
    r = request(port, "GET", Origin=APP)
    assert r.status == 200
    assert r.getheader("Access-Control-Allow-Origin") == APP
    assert r.getheader("Access-Control-Allow-Credentials") == "true"
    assert r.getheader("Vary") == "Accept-Encoding, Origin"


def test_subdomain_pattern_over_the_wire(port: int) -> None:
    r = request(port, "GET", Origin="https://a.b.example.com")
    assert r.getheader("Access-Control-Allow-Origin") == "https://a.b.example.com"
    r = request(port, "GET", Origin="https://example.com.evil.net")
    assert r.getheader("Access-Control-Allow-Origin") is None


def test_preflight_over_the_wire(port: int) -> None:
    r = request(
        port,
        "OPTIONS",
        Origin=APP,
        Access_Control_Request_Method="PUT",
        Access_Control_Request_Headers="content-type",
    )
    assert r.status == 204
    assert r.getheader("Access-Control-Allow-Methods") == "GET, PUT"
    assert r.getheader("Access-Control-Allow-Headers") == "Content-Type"


def test_refused_preflight_over_the_wire(port: int) -> None:
    r = request(port, "OPTIONS", Origin=APP, Access_Control_Request_Method="DELETE")
    assert r.status == 403
    assert [h for h, _ in r.getheaders() if h.lower().startswith("access-control-")] == []


def test_error_response_over_the_wire_is_readable(port: int) -> None:
    r = request(port, "GET", "/missing", Origin=APP)
    assert r.status == 404
    assert r.getheader("Access-Control-Allow-Origin") == APP


def test_streamed_events_arrive_one_by_one(port: int) -> None:
    released.clear()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/stream", headers={"Origin": APP})
    response = conn.getresponse()
    assert response.getheader("Access-Control-Allow-Origin") == APP
    first = response.read(len(b"data: first\n\n"))
    assert first == b"data: first\n\n"
    released.set()
    assert response.read() == b"data: second\n\n"
    conn.close()


# -- gunicorn -----------------------------------------------------------------------

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def gunicorn_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """gunicorn serving wsgi_server_app.py on 127.0.0.1, a free port."""
    if importlib.util.find_spec("gunicorn") is None:
        if os.environ.get("CI"):
            pytest.fail("gunicorn is not installed, and CI is set: this test must run")
        pytest.skip("needs gunicorn (pip install gunicorn)")
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with gunicorn_serving("wsgi_server_app:application", HERE, log) as port:
        yield port


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/boom", id="the app call raises"),
        pytest.param("/generator-boom", id="a generator raises in its first step"),
    ],
)
def test_exception_before_the_response_starts_is_a_readable_500_under_gunicorn(
    gunicorn_port: int, path: str
) -> None:
    r = request(gunicorn_port, "GET", path, Origin="http://app.localhost:8080")
    assert r.status == 500
    assert r.getheader("Access-Control-Allow-Origin") == "http://app.localhost:8080"
    assert r.getheader("Access-Control-Allow-Credentials") == "true"
    assert r.getheader("Vary") == "Origin"


def test_a_generator_app_streams_under_gunicorn(gunicorn_port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", gunicorn_port, timeout=10)
    try:
        conn.request("GET", "/generator", headers={"Origin": "http://app.localhost:8080"})
        response = conn.getresponse()
        assert (response.status, response.read()) == (200, b"generated")
        assert response.getheader("Access-Control-Allow-Origin") == "http://app.localhost:8080"
    finally:
        conn.close()
