"""The test project (site/djsite) under real servers on 127.0.0.1.

gunicorn serves ``djsite.wsgi:application`` (WSGI, the middleware in sync
mode) and uvicorn ``djsite.asgi:application`` (ASGI, async mode), each in a
subprocess on a free port, started and stopped by a fixture.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import process_serving

SITE = Path(__file__).resolve().parent / "site"
APP = "https://app.example.com"
TIMEOUT = 30

SERVERS = {
    "gunicorn": (
        ["-m", "gunicorn", "--bind", "127.0.0.1:0", "--workers", "1", "--threads", "4",
         "--no-control-socket", "djsite.wsgi:application"],
        r"Listening at: http://127\.0\.0\.1:(\d+)",
    ),
    "uvicorn": (
        ["-m", "uvicorn", "--host", "127.0.0.1", "--port", "0", "djsite.asgi:application"],
        r"Uvicorn running on http://127\.0\.0\.1:(\d+)",
    ),
}  # fmt: skip


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, Path]]:
    name: str = request.param
    if importlib.util.find_spec(name) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed, and CI is set: this test must run")
        pytest.skip(f"needs {name} (pip install {name})")
    args, listening = SERVERS[name]
    tmp = tmp_path_factory.mktemp(name)
    log = tmp / "server.log"
    release = tmp / "release"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join([str(SITE), os.environ.get("PYTHONPATH", "")]),
        "DJANGO_SETTINGS_MODULE": "djsite.settings",
        "DJSITE_RELEASE_FILE": str(release),
    }
    with process_serving([sys.executable, *args], log, listening, env=env, cwd=tmp,
                         name=name) as port:  # fmt: skip
        wait_until_served(port)
        yield port, release


def wait_until_served(port: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            send(port, "GET", "/", [])
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def send(
    port: int, method: str, path: str, headers: list[tuple[str, str]]
) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def test_preflight_over_the_wire(server: tuple[int, Path]) -> None:
    port, _ = server
    status, headers, body = send(
        port, "OPTIONS", "/submit", [("Origin", APP), ("Access-Control-Request-Method", "PUT")]
    )
    assert (status, body) == (204, b"")
    assert headers["Access-Control-Allow-Origin"] == APP
    assert headers["Access-Control-Allow-Methods"] == "GET, POST, PUT"
    assert headers["Access-Control-Allow-Credentials"] == "true"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", "/", 200, id="view"),
        pytest.param("GET", "/async", 200, id="async view"),
        pytest.param("GET", "/no/such/page", 404, id="404"),
        pytest.param("GET", "/boom", 500, id="500"),
        pytest.param("GET", "/forbidden", 403, id="PermissionDenied"),
        pytest.param("POST", "/submit", 403, id="CSRF failure"),
        pytest.param("GET", "/blocked", 429, id="short-circuit"),
    ],
)
def test_responses_over_the_wire_carry_the_headers(
    server: tuple[int, Path], method: str, path: str, status: int
) -> None:
    port, _ = server
    got, headers, _ = send(port, method, path, [("Origin", APP)])
    assert got == status
    assert headers.get_all("Access-Control-Allow-Origin") == [APP]
    assert "Origin" in headers["Vary"]


def test_refused_origin_over_the_wire(server: tuple[int, Path]) -> None:
    port, _ = server
    _, headers, _ = send(port, "GET", "/", [("Origin", "https://evil.example")])
    assert headers.get_all("Access-Control-Allow-Origin") is None
    # Repeated Origin lines are no origin.
    _, headers, _ = send(port, "GET", "/", [("Origin", APP), ("Origin", APP)])
    assert headers.get_all("Access-Control-Allow-Origin") is None


@pytest.mark.parametrize("path", ["/stream", "/async-stream"])
def test_streamed_events_arrive_one_by_one(server: tuple[int, Path], path: str) -> None:
    port, release = server
    release.unlink(missing_ok=True)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request("GET", path, headers={"Origin": APP})
        response = conn.getresponse()
        assert response.getheader("Access-Control-Allow-Origin") == APP
        # The second event waits for the release file: had anything
        # buffered the body, the first would not arrive before it.
        first = response.read1(64) if hasattr(response, "read1") else b""
        while not first.endswith(b"\n\n"):
            first += response.read1(64)
        assert first.endswith(b"data: first\n\n")
        release.touch()
        rest = response.read()
        assert b"data: second\n\n" in rest
    finally:
        conn.close()
