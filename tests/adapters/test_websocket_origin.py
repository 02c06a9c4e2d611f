"""check_websocket_origin and debug_refusals through the WSGI, ASGI, Flask and hook adapters.

The rule is the core's (tests/core/test_websocket_and_debug.py); these tests
show that each adapter carries it out: a refused handshake never reaches
the application, an allowed one (or one without Origin) reaches it
untouched, and the Corecors-Refusal header of debug_refusals goes out.
The Django middleware's tests are in tests/django/test_websocket_check.py,
real servers in test_websocket_server.py.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask, Response
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from werkzeug.test import Client

from corecors import Config, Policy
from corecors.adapters import asgi, hook, wsgi
from corecors.adapters.flask import CORS, cross_origin

with warnings.catch_warnings():
    # Starlette's TestClient prefers httpx2 and warns when it runs on httpx.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient, WebSocketDenialResponse

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

APP = "https://app.example.com"
EVIL = "https://evil.example"
REFUSAL = "Corecors-Refusal"
HANDSHAKE = {
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
}
OFF = Config(allow_origins=[APP, "https://*.example.org"])
ON = OFF.replace(check_websocket_origin=True)
DEBUG = ON.replace(debug_refusals=True)

# (Origin, refused under ON)
ORIGINS = [
    pytest.param(EVIL, True, id="disallowed origin"),
    pytest.param(APP, False, id="allowed origin"),
    pytest.param("https://chat.example.org", False, id="allowed by pattern"),
    pytest.param(None, False, id="no Origin"),
]


def handshake(origin: str | None) -> dict[str, str]:
    return {**HANDSHAKE, **({"Origin": origin} if origin else {})}


# -- WSGI --------------------------------------------------------------------------------


def wsgi_app(seen: list[str]) -> WSGIApplication:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        seen.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"the application"]

    return app


@pytest.mark.parametrize(("origin", "refused"), ORIGINS)
def test_wsgi_refuses_a_handshake_from_a_disallowed_origin_with_403(
    origin: str | None, refused: bool
) -> None:
    seen: list[str] = []
    client = Client(wsgi.CORSMiddleware(wsgi_app(seen), ON))
    r = client.get("/ws", headers=handshake(origin))
    if refused:
        assert r.status_code == 403
        assert r.data == b""
        assert seen == []
        assert r.headers["Vary"] == "Origin"
        assert REFUSAL not in r.headers
    else:
        assert (r.status_code, r.data) == (200, b"the application")
        assert seen == ["/ws"]
        assert "Vary" not in r.headers, "an allowed handshake is left untouched"


def test_wsgi_passes_every_handshake_with_the_check_off() -> None:
    seen: list[str] = []
    r = Client(wsgi.CORSMiddleware(wsgi_app(seen), OFF)).get("/ws", headers=handshake(EVIL))
    assert r.status_code == 200
    assert seen == ["/ws"]


def test_wsgi_an_upgrade_that_is_no_handshake_is_an_ordinary_request() -> None:
    """Anything less than RFC 6455's four headers gets the ordinary rules, not a 403."""
    seen: list[str] = []
    headers = {"Origin": EVIL, "Upgrade": "websocket", "Connection": "Upgrade"}
    r = Client(wsgi.CORSMiddleware(wsgi_app(seen), ON)).get("/ws", headers=headers)
    assert r.status_code == 200
    assert r.headers["Vary"] == "Origin"


def test_wsgi_debug_refusals_names_the_reasons() -> None:
    client = Client(wsgi.CORSMiddleware(wsgi_app([]), DEBUG))
    assert client.get("/", headers=handshake(EVIL)).headers[REFUSAL] == (
        "websocket_origin_not_allowed"
    )
    assert client.get("/", headers={"Origin": EVIL}).headers[REFUSAL] == "origin_not_allowed"
    preflight = client.options(
        "/", headers={"Origin": APP, "Access-Control-Request-Method": "DELETE"}
    )
    assert preflight.status_code == 403
    assert preflight.headers[REFUSAL] == "method_not_allowed"
    assert REFUSAL not in client.get("/", headers={"Origin": APP}).headers


def test_wsgi_follows_a_policy_swap() -> None:
    policy = Policy(OFF)
    client = Client(wsgi.CORSMiddleware(wsgi_app([]), policy))
    assert client.get("/ws", headers=handshake(EVIL)).status_code == 200
    policy.reconfigure(ON)
    assert client.get("/ws", headers=handshake(EVIL)).status_code == 403


# -- ASGI: direct calls -------------------------------------------------------------------


def ws_scope(origin: str | None, extensions: dict[str, Any] | None = None) -> dict[str, Any]:
    headers = [(b"host", b"api.example.com"), (b"sec-websocket-version", b"13")]
    if origin is not None:
        headers.append((b"origin", origin.encode("latin-1")))
    scope: dict[str, Any] = {"type": "websocket", "path": "/ws", "headers": headers}
    if extensions is not None:
        scope["extensions"] = extensions
    return scope


def call_ws(
    middleware: asgi.CORSMiddleware, scope: dict[str, Any], first: str = "websocket.connect"
) -> list[dict[str, Any]]:
    """Run one websocket scope; return what went to the server."""
    sent: list[dict[str, Any]] = []
    inbox = [{"type": first}]

    async def receive() -> dict[str, Any]:
        return inbox.pop(0) if inbox else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    asyncio.run(middleware(scope, receive, send))
    return sent


def reached(seen: list[dict[str, Any]]) -> asgi.ASGIApp:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)
        await receive()
        await send({"type": "websocket.accept"})

    return app


@pytest.mark.parametrize(("origin", "refused"), ORIGINS)
def test_asgi_closes_a_disallowed_handshake_before_accept(
    origin: str | None, refused: bool
) -> None:
    seen: list[dict[str, Any]] = []
    sent = call_ws(asgi.CORSMiddleware(reached(seen), ON), ws_scope(origin))
    if refused:
        assert sent == [{"type": "websocket.close", "code": 1008}]
        assert seen == []
    else:
        assert sent == [{"type": "websocket.accept"}]
        assert len(seen) == 1
        assert seen[0][asgi.SCOPE_KEY].action == "pass"


def test_asgi_uses_the_denial_response_extension_where_the_server_has_it() -> None:
    middleware = asgi.CORSMiddleware(reached([]), DEBUG)
    sent = call_ws(middleware, ws_scope(EVIL, {"websocket.http.response": {}}))
    assert sent == [
        {
            "type": "websocket.http.response.start",
            "status": 403,
            "headers": [
                (b"vary", b"Origin"),
                (b"content-length", b"0"),
                (b"corecors-refusal", b"websocket_origin_not_allowed"),
            ],
        },
        {"type": "websocket.http.response.body", "body": b""},
    ]
    # Other extensions, or none: the close that servers answer with 403.
    others: list[dict[str, Any] | None] = [{"websocket.http.other": {}}, None, {}]
    for extensions in others:
        assert call_ws(middleware, ws_scope(EVIL, extensions)) == [
            {"type": "websocket.close", "code": 1008}
        ]


def test_asgi_sends_nothing_when_the_client_leaves_before_connect() -> None:
    seen: list[dict[str, Any]] = []
    middleware = asgi.CORSMiddleware(reached(seen), ON)
    assert call_ws(middleware, ws_scope(EVIL), first="websocket.disconnect") == []
    assert seen == []


def test_asgi_with_the_check_off_does_not_even_look_at_the_scope() -> None:
    seen: list[dict[str, Any]] = []
    scope = ws_scope(EVIL)
    scope["headers"] = None  # not read: reading it would raise
    assert call_ws(asgi.CORSMiddleware(reached(seen), OFF), scope) == [{"type": "websocket.accept"}]
    assert asgi.SCOPE_KEY not in seen[0]


def test_asgi_follows_a_policy_swap() -> None:
    policy = Policy(OFF)
    middleware = asgi.CORSMiddleware(reached([]), policy)
    assert call_ws(middleware, ws_scope(EVIL)) == [{"type": "websocket.accept"}]
    policy.reconfigure(ON)
    assert call_ws(middleware, ws_scope(EVIL)) == [{"type": "websocket.close", "code": 1008}]


def test_asgi_repeated_origin_lines_are_refused() -> None:
    scope = ws_scope(APP)
    scope["headers"].append((b"origin", EVIL.encode()))
    sent = call_ws(asgi.CORSMiddleware(reached([]), ON), scope)
    assert sent == [{"type": "websocket.close", "code": 1008}]


# -- ASGI: a Starlette application under its TestClient ----------------------------------


def starlette(config: Config) -> asgi.CORSMiddleware:
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    return asgi.CORSMiddleware(Starlette(routes=[WebSocketRoute("/ws", echo)]), config)


@pytest.mark.parametrize(("origin", "refused"), ORIGINS)
def test_starlette_websocket_route_behind_the_check(origin: str | None, refused: bool) -> None:
    client = TestClient(starlette(DEBUG))
    headers = {"Origin": origin} if origin else {}
    if refused:
        # The TestClient offers the denial-response extension.
        with (
            pytest.raises(WebSocketDenialResponse) as caught,
            client.websocket_connect("/ws", headers=headers),
        ):
            pass  # pragma: no cover - never reached
        assert caught.value.status_code == 403
        assert caught.value.headers[REFUSAL] == "websocket_origin_not_allowed"
        return
    with client.websocket_connect("/ws", headers=headers) as ws:
        ws.send_text("hello")
        assert ws.receive_text() == "hello"


def test_starlette_without_the_extension_sees_a_1008_close() -> None:
    app = starlette(ON)

    async def without_extensions(scope: Any, receive: Any, send: Any) -> None:
        await app({**scope, "extensions": {}}, receive, send)

    client = TestClient(without_extensions)
    with (
        pytest.raises(WebSocketDisconnect) as caught,
        client.websocket_connect("/ws", headers={"Origin": EVIL}),
    ):
        pass  # pragma: no cover - never reached
    assert caught.value.code == 1008


# -- Flask ---------------------------------------------------------------------------------


def flask_app(seen: list[str], *, scoped: bool = False, **options: Any) -> Flask:
    app = Flask(__name__)

    # werkzeug matches a handshake only to a websocket rule (flask-sock
    # registers its routes so, and takes the connection over in the view).
    @app.route("/ws", websocket=True)
    def ws() -> Response:
        seen.append("ws")
        return Response("the view", content_type="text/plain")

    @app.get("/plain")
    def plain() -> Response:
        seen.append("plain")
        return Response("the plain view", content_type="text/plain")

    if scoped:  # a view with its own policy: decisions wait for the rule

        @app.route("/open", websocket=True)
        @cross_origin(allow_origins="*", check_websocket_origin=True)
        def open_view() -> Response:
            seen.append("open")
            return Response("the open view", content_type="text/plain")

    CORS(app, **options)
    return app


@pytest.mark.parametrize("scoped", [False, True], ids=["one policy", "scoped policies"])
@pytest.mark.parametrize(("origin", "refused"), ORIGINS)
def test_flask_refuses_a_disallowed_handshake_before_the_view(
    origin: str | None, refused: bool, scoped: bool
) -> None:
    seen: list[str] = []
    app = flask_app(seen, scoped=scoped, allow_origins=[APP, "https://*.example.org"],
                    check_websocket_origin=True)  # fmt: skip
    client = app.test_client()
    r = client.get("/ws", headers=handshake(origin))
    if refused:
        assert (r.status_code, r.data) == (403, b"")
        assert seen == []
    else:
        assert (r.status_code, r.data) == (200, b"the view")
        assert seen == ["ws"]
        assert "Vary" not in r.headers


def test_flask_a_view_policy_decides_for_its_own_handshakes() -> None:
    """With scoped policies the handshake is decided by the rule it hits."""
    seen: list[str] = []
    app = flask_app(seen, scoped=True, allow_origins=[APP], check_websocket_origin=True)
    client = app.test_client()
    assert client.get("/ws", headers=handshake(EVIL)).status_code == 403
    assert client.get("/open", headers=handshake(EVIL)).status_code == 200
    assert seen == ["open"]
    # A preflight and an ordinary request in the scoped path work as before.
    r = client.options("/plain", headers={"Origin": APP, "Access-Control-Request-Method": "GET"})
    assert r.status_code == 204
    r = client.get("/plain", headers={"Origin": APP, "Upgrade": "h2c"})
    assert r.headers["Access-Control-Allow-Origin"] == APP
    assert seen == ["open", "plain"]


def test_flask_reads_the_options_from_app_config() -> None:
    app = Flask(__name__)
    app.config.update(
        CORECORS_ALLOW_ORIGINS=APP, CORECORS_CHECK_WEBSOCKET_ORIGIN="true",
        CORECORS_DEBUG_REFUSALS=True,
    )  # fmt: skip

    @app.route("/ws", websocket=True)
    def ws() -> str:
        return "the view"

    CORS(app)
    r = app.test_client().get("/ws", headers=handshake(EVIL))
    assert r.status_code == 403
    assert r.headers[REFUSAL] == "websocket_origin_not_allowed"


def test_flask_logs_a_refused_handshake_with_reason_codes_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = flask_app([], allow_origins=[APP], check_websocket_origin=True)
    with caplog.at_level(logging.DEBUG, logger="corecors.flask"):
        app.test_client().get("/ws", headers=handshake(EVIL))
    assert caplog.messages == ["CORS not_cors refused: websocket_origin_not_allowed"]


def test_flask_debug_refusals_on_refused_requests() -> None:
    app = flask_app([], allow_origins=[APP], debug_refusals=True)
    client = app.test_client()
    assert client.get("/plain", headers={"Origin": EVIL}).headers[REFUSAL] == ("origin_not_allowed")
    r = client.options("/plain", headers={"Origin": EVIL, "Access-Control-Request-Method": "PUT"})
    assert r.headers[REFUSAL] == "origin_not_allowed, method_not_allowed"
    assert REFUSAL not in client.get("/plain", headers={"Origin": APP}).headers


@pytest.mark.parametrize(
    ("origin", "answered"),
    [pytest.param(APP, True, id="allowed: answered"), pytest.param(EVIL, False, id="refused")],
)
def test_flask_a_refusal_header_does_not_make_an_escaped_exception_a_500(
    origin: str, answered: bool
) -> None:
    """When an error handler itself fails, the exception leaves Flask; the
    extension answers 500 itself only where the browser may read the answer,
    and a refusal's debug header does not make it such a request."""
    app = Flask(__name__)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("on purpose")

    @app.errorhandler(500)
    def failing_handler(error: Exception) -> str:
        raise RuntimeError("the error handler failed too")

    CORS(app, allow_origins=[APP], debug_refusals=True)
    app.logger.disabled = True
    client = app.test_client()
    if not answered:
        with pytest.raises(RuntimeError, match="the error handler failed too"):
            client.get("/boom", headers={"Origin": origin})
        return
    r = client.get("/boom", headers={"Origin": origin})
    assert r.status_code == 500
    assert r.headers["Access-Control-Allow-Origin"] == APP


# -- the dict hook --------------------------------------------------------------------------


@pytest.mark.parametrize(("origin", "refused"), ORIGINS)
def test_hook_answers_a_disallowed_handshake_with_a_respond_403(
    origin: str | None, refused: bool
) -> None:
    result = hook.handle({"method": "GET", "path": "/ws", "headers": handshake(origin)}, ON)
    if refused:
        assert result == {
            "action": "respond",
            "status": 403,
            "headers": [["Vary", "Origin"], ["Content-Length", "0"]],
            "reasons": ["websocket_origin_not_allowed"],
            "kind": "not_cors",
            "allowed": False,
        }
    else:
        assert result["action"] == "pass"
        assert result["reasons"] == ["websocket"]


def test_hook_debug_refusals() -> None:
    result = hook.handle({"method": "GET", "headers": {"Origin": EVIL}}, DEBUG)
    assert result["action"] == "forward"
    assert result["headers"] == [[REFUSAL, "origin_not_allowed"]]
    assert hook.apply_forward(result, [["Content-Type", "text/plain"]]) == [
        ["Content-Type", "text/plain"], ["Vary", "Origin"], [REFUSAL, "origin_not_allowed"],
    ]  # fmt: skip
    handshake_result = hook.handle({"method": "GET", "headers": handshake(EVIL)}, DEBUG)
    assert [REFUSAL, "websocket_origin_not_allowed"] in handshake_result["headers"]
