"""The ASGI middleware answers as the WSGI middleware does.

The comparison of ``test_equivalence.py`` (WSGI, Flask, hook), extended to
ASGI with the same configs, the same generated requests and the same
upstream: for every request both give the same status, the same
``Access-Control-*`` headers (values and order) and the same ``Vary``.
ASGI header names are lower case, so names are compared case-insensitively.

A second comparison does the same for an application that raises before it
answers: both middlewares answer ``500`` with the same CORS headers.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from werkzeug.test import Client

from corecors import Config
from corecors.adapters import asgi, wsgi


def _sibling(name: str) -> ModuleType:
    """``test_equivalence.py``, imported by path (pytest's importlib mode puts no
    test directory on ``sys.path``), for its configs, generators and upstream."""
    module_name = f"corecors_tests_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(
        module_name, Path(__file__).with_name(f"{name}.py")
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


eq = _sibling("test_equivalence")

Answer = tuple[int, list[tuple[str, str]], list[str]]
#: What a server sees when the application's exception comes through unanswered.
RAISED = (0, [], [])
Requested = tuple[str, list[tuple[str, str]]]


def summary(status: int, headers: Iterable[tuple[str, str]]) -> Answer:
    """Status, Access-Control-* headers (names lower-cased) in order, Vary values."""
    status, cors, vary = eq.summary(status, headers)
    return status, [(name.lower(), value) for name, value in cors], vary


def encoded(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]


async def upstream(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``test_equivalence.upstream``, in ASGI."""
    headers = encoded(eq.upstream_headers(scope["method"]))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


async def raising_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    raise RuntimeError("the upstream failed (on purpose)")


def raising_wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    raise RuntimeError("the upstream failed (on purpose)")


def through_asgi(app: Any, method: str, headers: list[tuple[str, str]]) -> Answer:
    """Call *app* as a server would: what it answered, or :data:`RAISED`."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/items/1",
        "raw_path": b"/items/1",
        "root_path": "",
        "query_string": b"",
        "headers": encoded(headers),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    try:
        asyncio.run(app(scope, receive, send))
    except RuntimeError:
        if not sent:
            return RAISED
        # else re-raised after the answer, for the server to log
    start = sent[0]
    text = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in start.get("headers", [])]
    return summary(start["status"], text)


def through_wsgi(client: Client, method: str, headers: list[tuple[str, str]]) -> Answer:
    response = client.open("/items/1", method=method, headers=headers)
    return summary(response.status_code, response.headers.to_wsgi_list())


SETTINGS = settings(
    max_examples=120,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def ordinary(request: Requested) -> Requested:
    """*request* without its Sec-WebSocket-Key. In ASGI a real handshake is a
    websocket scope, never an http one (tests/adapters/test_asgi.py covers
    those), so an http scope is compared with WSGI on what both call an
    ordinary request: Upgrade and Connection stay, and get the ordinary rules."""
    method, headers = request
    return method, [(n, v) for n, v in headers if n.lower() != "sec-websocket-key"]


@pytest.mark.parametrize("config", eq.CONFIGS)
def test_asgi_answers_as_wsgi(config: Config) -> None:
    wsgi_client = Client(wsgi.CORSMiddleware(eq.upstream, config))
    asgi_app = asgi.CORSMiddleware(upstream, config)

    @SETTINGS
    @given(request=eq.requests())
    def check(request: Requested) -> None:
        method, headers = ordinary(request)
        expected = through_wsgi(wsgi_client, method, headers)
        assert through_asgi(asgi_app, method, headers) == expected

    check()


@pytest.mark.parametrize("config", eq.CONFIGS)
def test_asgi_answers_a_failing_app_as_wsgi(config: Config) -> None:
    quiet = {"wsgi.errors": _Discard()}
    wsgi_app = wsgi.CORSMiddleware(raising_wsgi, config)
    asgi_app = asgi.CORSMiddleware(raising_asgi, config)

    @SETTINGS
    @given(request=eq.requests())
    def check(request: Requested) -> None:
        method, headers = ordinary(request)
        try:
            response = Client(wsgi_app).open(
                "/items/1", method=method, headers=headers, environ_overrides=quiet
            )
        except RuntimeError:  # untouched (a handshake, enabled=False): not answered
            expected = RAISED
        else:
            expected = summary(response.status_code, response.headers.to_wsgi_list())
        assert through_asgi(asgi_app, method, headers) == expected

    check()


class _Discard:
    """A ``wsgi.errors`` that keeps nothing: tracebacks are expected here."""

    def write(self, text: str) -> None:
        return None

    def flush(self) -> None:
        return None
