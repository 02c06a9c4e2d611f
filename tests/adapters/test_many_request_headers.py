"""allow_headers="*" without credentials: a preflight naming any number of
headers is answered ``*`` through every adapter (Fetch: ``*`` covers every
name but Authorization). Only the value's length is bounded (8192
characters); an explicit list still refuses, unread, more names than it holds.
The Django middleware has the same test in tests/django/test_middleware.py.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from corecors import Config
from corecors.adapters.asgi import CORSMiddleware as ASGIMiddleware
from corecors.adapters.flask import CORS
from corecors.adapters.hook import handle
from corecors.adapters.wsgi import CORSMiddleware

with warnings.catch_warnings():
    # Starlette's TestClient prefers httpx2 and warns when it runs on httpx.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

APP = "https://app.example.com"
STAR = Config(allow_origins=[APP], allow_methods=["PUT"], allow_headers="*")
LISTED = Config(allow_origins=[APP], allow_methods=["PUT"], allow_headers=["X-A", "X-B"])
MANY = ",".join(f"x-custom-{i}" for i in range(300))

#: (status, Access-Control-Allow-Headers or None)
Answer = tuple[int, "str | None"]
Send = Callable[[Config, dict[str, str]], Answer]


def _acah(headers: Iterable[tuple[str, str]]) -> str | None:
    found = [v for n, v in headers if n.lower() == "access-control-allow-headers"]
    assert len(found) <= 1
    return found[0] if found else None


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"app"]


def through_wsgi(config: Config, headers: dict[str, str]) -> Answer:
    r = Client(CORSMiddleware(wsgi_app, config)).open("/", method="OPTIONS", headers=headers)
    return r.status_code, _acah(r.headers.items())


def through_flask(config: Config, headers: dict[str, str]) -> Answer:
    app = Flask(__name__)
    app.add_url_rule("/", "put", lambda: "put", methods=["PUT"])
    CORS(app, config=config)
    r = app.test_client().open("/", method="OPTIONS", headers=headers)
    return r.status_code, _acah(r.headers.items())


def through_hook(config: Config, headers: dict[str, str]) -> Answer:
    result = handle({"method": "OPTIONS", "path": "/", "headers": headers}, config)
    assert result["action"] == "respond"
    return result["status"], _acah((n, v) for n, v in result["headers"])


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"app"})


def through_asgi(config: Config, headers: dict[str, str]) -> Answer:
    r = TestClient(ASGIMiddleware(asgi_app, config)).options("/", headers=headers)
    return r.status_code, _acah(r.headers.items())


ADAPTERS = [
    pytest.param(through_wsgi, id="wsgi"),
    pytest.param(through_flask, id="flask"),
    pytest.param(through_hook, id="hook"),
    pytest.param(through_asgi, id="asgi"),
]


def preflight(requested: str) -> dict[str, str]:
    return {
        "Origin": APP,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": requested,
    }


@pytest.mark.parametrize("send", ADAPTERS)
def test_star_covers_hundreds_of_request_headers(send: Send) -> None:
    assert send(STAR, preflight(MANY)) == (204, "*")


@pytest.mark.parametrize("send", ADAPTERS)
def test_star_never_covers_authorization_among_many(send: Send) -> None:
    assert send(STAR, preflight(MANY + ", Authorization")) == (403, None)


@pytest.mark.parametrize("send", ADAPTERS)
def test_star_refuses_a_value_longer_than_the_bound(send: Send) -> None:
    assert send(STAR, preflight("x" * 8192)) == (204, "*")
    assert send(STAR, preflight("x" * 8193)) == (403, None)


@pytest.mark.parametrize("send", ADAPTERS)
def test_an_explicit_list_refuses_more_names_than_it_holds(send: Send) -> None:
    assert send(LISTED, preflight("x-a, x-b")) == (204, "X-A, X-B")
    assert send(LISTED, preflight(MANY)) == (403, None)
