"""The mitmproxy addon, run by a real mitmdump in front of a real HTTP server.

mitmdump runs as a reverse proxy on 127.0.0.1 with examples/mitmproxy_addon.py
loaded; a plain http.server on 127.0.0.1 is the upstream and records every
request that reaches it. Real HTTP requests go through the proxy.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADDON = ROOT / "examples" / "mitmproxy_addon.py"
APP = "https://app.example.com"
EVIL = "https://evil.example"
PREFLIGHT_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network"
)

# mitmproxy is a test dependency (the test-adapters extra): without it these
# tests skip on a developer's machine, and fail in CI.
if shutil.which("mitmdump") is None:
    if os.environ.get("CI"):
        pytest.fail("mitmdump is not on PATH, and CI is set: these tests must run",
                    pytrace=False)
    pytest.skip("needs mitmdump (pip install mitmproxy)", allow_module_level=True)

Answer = tuple[int, http.client.HTTPMessage, bytes]


class Upstream(ThreadingHTTPServer):
    """Answers everything with 200 and CORS headers of its own; records requests."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, str]] = []


class Handler(BaseHTTPRequestHandler):
    server: Upstream

    def answer(self) -> None:
        self.server.seen.append((self.command, self.path))
        body = f"upstream {self.command} {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Credentials", "true")
        self.send_header("Set-Cookie", "a=1")
        self.send_header("Set-Cookie", "b=2")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_OPTIONS = answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def upstream_server() -> Iterator[Upstream]:
    server = Upstream()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@contextmanager
def mitmdump(
    upstream_port: int, tmp: Path, env: dict[str, str], *args: str
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    log = tmp / "mitmdump.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["mitmdump", "--mode", f"reverse:http://127.0.0.1:{upstream_port}",
             "--listen-host", "127.0.0.1", "-p", "0", "-s", str(ADDON),
             "--set", f"confdir={tmp / 'confdir'}", "--set", "flow_detail=0", *args],
            stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        )
    try:
        yield proc, log
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def listening_port(proc: subprocess.Popen[bytes], log: Path) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        found = re.search(r"listening at 127\.0\.0\.1:(\d+)", log.read_text(errors="replace"))
        if found:
            return int(found.group(1))
        time.sleep(0.1)
    pytest.fail("mitmdump did not start listening:\n" + log.read_text(errors="replace"))


def send(port: int, method: str, path: str, headers: list[tuple[str, str]]) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def cors_names(headers: http.client.HTTPMessage) -> list[str]:
    return [k for k in headers if k.lower().startswith("access-control-")]


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Upstream]]:
    """Configured through the CORECORS_CONFIG environment variable."""
    tmp = tmp_path_factory.mktemp("mitm")
    config = tmp / "cors.json"
    config.write_text(json.dumps({
        "allow_origins": [APP], "allow_methods": ["PUT"], "allow_headers": ["X-Token"],
        "expose_headers": ["X-Total"],
    }))
    with upstream_server() as upstream, mitmdump(
        upstream.server_port, tmp, {"CORECORS_CONFIG": str(config)}
    ) as (proc, log):
        yield listening_port(proc, log), upstream


def test_allowed_actual_request_gets_ours_instead_of_upstreams(
    proxy: tuple[int, Upstream],
) -> None:
    port, _ = proxy
    status, headers, body = send(port, "GET", "/items?x=1", [("Origin", APP)])
    assert (status, body) == (200, b"upstream GET /items?x=1")
    assert headers.get_all("Access-Control-Allow-Origin") == [APP]
    assert headers["Access-Control-Expose-Headers"] == "X-Total"
    assert headers["Access-Control-Allow-Credentials"] is None, "the upstream's is stripped"
    assert headers.get_all("Vary") == ["Accept-Encoding, Origin"]
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"], "other repeated headers kept"


@pytest.mark.parametrize(
    "headers",
    [pytest.param([("Origin", EVIL)], id="disallowed origin"),
     pytest.param([], id="no origin"),
     pytest.param([("Origin", APP), ("Origin", EVIL)], id="two Origin lines")],
)
def test_other_requests_reach_upstream_without_any_cors_headers(
    proxy: tuple[int, Upstream], headers: list[tuple[str, str]]
) -> None:
    port, _ = proxy
    status, got, body = send(port, "POST", "/submit", headers)
    assert (status, body) == (200, b"upstream POST /submit")
    assert cors_names(got) == []
    assert got.get_all("Vary") == ["Accept-Encoding, Origin"]


def test_allowed_preflight_is_answered_by_the_proxy(proxy: tuple[int, Upstream]) -> None:
    port, upstream = proxy
    upstream.seen.clear()
    status, headers, body = send(port, "OPTIONS", "/items/1", [
        ("Origin", APP), ("Access-Control-Request-Method", "PUT"),
        ("Access-Control-Request-Headers", "x-token"),
    ])
    assert (status, body) == (204, b"")
    assert headers["Access-Control-Allow-Origin"] == APP
    assert headers["Access-Control-Allow-Methods"] == "PUT"
    assert headers["Access-Control-Allow-Headers"] == "X-Token"
    assert headers["Vary"] == PREFLIGHT_VARY
    assert headers["Content-Length"] is None
    assert upstream.seen == [], "a preflight answered by the proxy never reaches upstream"


@pytest.mark.parametrize(
    "headers",
    [pytest.param([("Origin", EVIL), ("Access-Control-Request-Method", "PUT")], id="origin"),
     pytest.param([("Origin", APP), ("Access-Control-Request-Method", "DELETE")], id="method"),
     pytest.param([("Origin", APP), ("Access-Control-Request-Method", "PUT"),
                   ("Access-Control-Request-Headers", "x-other")], id="headers")],
)
def test_refused_preflight_is_answered_by_the_proxy(
    proxy: tuple[int, Upstream], headers: list[tuple[str, str]]
) -> None:
    port, upstream = proxy
    upstream.seen.clear()
    status, got, body = send(port, "OPTIONS", "/items/1", headers)
    assert (status, body) == (403, b"")
    assert cors_names(got) == []
    assert upstream.seen == []


def test_plain_options_is_forwarded(proxy: tuple[int, Upstream]) -> None:
    port, upstream = proxy
    upstream.seen.clear()
    status, headers, _ = send(port, "OPTIONS", "/items/1", [("Origin", APP)])
    assert status == 200
    assert upstream.seen == [("OPTIONS", "/items/1")]
    assert headers.get_all("Access-Control-Allow-Origin") == [APP]


def test_option_configures_passthrough(tmp_path: Path) -> None:
    """--set corecors_config=PATH, here with preflight_passthrough."""
    config = tmp_path / "passthrough.json"
    config.write_text(json.dumps({
        "allow_origins": [APP], "allow_methods": ["PUT"], "preflight_passthrough": True,
    }))
    with upstream_server() as upstream, mitmdump(
        upstream.server_port, tmp_path, {"CORECORS_CONFIG": ""},
        "--set", f"corecors_config={config}",
    ) as (proc, log):
        port = listening_port(proc, log)
        status, headers, _ = send(port, "OPTIONS", "/items/1", [
            ("Origin", APP), ("Access-Control-Request-Method", "PUT")])
        assert status == 200, "the upstream answered the valid preflight"
        assert upstream.seen == [("OPTIONS", "/items/1")]
        assert headers.get_all("Access-Control-Allow-Origin") == [APP]
        assert headers["Access-Control-Allow-Methods"] == "PUT"
        assert headers["Access-Control-Allow-Credentials"] is None
        assert headers.get_all("Vary") == [f"Accept-Encoding, {PREFLIGHT_VARY}"]

        upstream.seen.clear()
        status, headers, _ = send(port, "OPTIONS", "/items/1", [
            ("Origin", EVIL), ("Access-Control-Request-Method", "PUT")])
        assert status == 403
        assert upstream.seen == [], "an invalid preflight reaches nothing"


@pytest.mark.parametrize(
    ("content", "message"),
    [pytest.param('{"allow_origins": ["https://app.example.com/path"]}', "invalid config",
                  id="invalid option value"),
     pytest.param('["not", "an", "object"]', "expected a JSON object", id="not an object"),
     pytest.param(None, "cannot read config", id="missing file")],
)
def test_bad_config_stops_mitmdump_with_the_reason(
    tmp_path: Path, content: str | None, message: str
) -> None:
    config = tmp_path / "cors.json"
    if content is not None:
        config.write_text(content)
    with mitmdump(9, tmp_path, {"CORECORS_CONFIG": str(config)}) as (proc, log):
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("mitmdump kept running with a bad config:\n" + log.read_text())
        assert proc.returncode != 0
        assert message in log.read_text(errors="replace")
