"""Every adapter follows the core's one exception rule, corecors.error_answer.

An application that raises before its response starts: for each request,
WSGI, ASGI and the Flask extension (in debug mode, where Flask lets the
exception out to it) either all send exactly ``error_answer``'s status and
CORS headers, or all let the exception go on, as the rule says.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from corecors import Config, Request, decide, error_answer
from corecors.adapters import asgi, wsgi
from corecors.adapters.flask import CORS

APP = "https://app.example.com"
CONFIGS = [
    pytest.param(Config(allow_origins=[APP], allow_methods=["PUT"]), id="listed origin"),
    pytest.param(
        Config(allow_origins=[APP], allow_methods=["PUT"], preflight_passthrough=True),
        id="passthrough",
    ),
    pytest.param(Config(allow_origins="*"), id="any origin"),
    pytest.param(Config(allow_origins=[APP], debug_refusals=True), id="debug refusals"),
    pytest.param(Config(allow_origins=[APP], enabled=False), id="disabled"),
]
REQUESTS = [
    ("GET", {"Origin": APP}),
    ("GET", {"Origin": "https://evil.example"}),
    ("GET", {}),
    ("OPTIONS", {"Origin": APP, "Access-Control-Request-Method": "PUT"}),
]

RAISED = "raised"
Answer = tuple[int, list[tuple[str, str]]] | str


def cors_part(status: int, headers: Iterable[tuple[str, str]]) -> Answer:
    return status, [
        (n.lower(), v)
        for n, v in headers
        if n.lower().startswith("access-control-") or n.lower() == "vary"
    ]


def failing_wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    raise RuntimeError("the application failed")


async def failing_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    raise RuntimeError("the application failed")


class Quiet:
    def write(self, text: str) -> None:
        return None

    def flush(self) -> None:
        return None


def through_wsgi(config: Config, method: str, headers: dict[str, str]) -> Answer:
    client = Client(wsgi.CORSMiddleware(failing_wsgi, config))
    try:
        r = client.open(
            "/", method=method, headers=headers, environ_overrides={"wsgi.errors": Quiet()}
        )
    except RuntimeError:
        return RAISED
    return cors_part(r.status_code, r.headers.to_wsgi_list())


def through_asgi(config: Config, method: str, headers: dict[str, str]) -> Answer:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": "/",
        "query_string": b"",
        "headers": [(n.lower().encode(), v.encode()) for n, v in headers.items()],
    }
    try:
        asyncio.run(asgi.CORSMiddleware(failing_asgi, config)(scope, receive, send))
    except RuntimeError:
        # Re-raised in every case, for the server's log; answered or not.
        if not sent:
            return RAISED
    else:
        assert sent, "the application was not called, so corecors answered"
    start = sent[0]
    return cors_part(start["status"], [(n.decode(), v.decode()) for n, v in start["headers"]])


def through_flask(config: Config, method: str, headers: dict[str, str]) -> Answer:
    app = Flask(__name__)
    app.debug = True  # Flask lets the exception out, to the extension's rule
    app.logger.disabled = True

    @app.route("/", methods=["GET", "PUT", "OPTIONS"])
    def fail() -> str:
        raise RuntimeError("the application failed")

    CORS(app, config=config)
    try:
        r = Client(app).open("/", method=method, headers=headers)
    except RuntimeError:
        return RAISED
    return cors_part(r.status_code, r.headers.to_wsgi_list())


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize(("method", "headers"), REQUESTS)
def test_every_adapter_follows_error_answer(
    config: Config, method: str, headers: dict[str, str]
) -> None:
    decision = decide(Request.from_headers(method, headers), config)
    answer = error_answer(decision)
    if decision.action == "respond":  # answered without calling the application
        assert decision.status is not None
        expected = cors_part(decision.status, decision.headers)
    else:
        expected = RAISED if answer is None else cors_part(answer.status, answer.headers)
    assert through_wsgi(config, method, headers) == expected, "WSGI"
    assert through_asgi(config, method, headers) == expected, "ASGI"
    assert through_flask(config, method, headers) == expected, "Flask"
