"""The ASGI middleware, through Starlette's TestClient and by direct ASGI calls.

Direct calls (:func:`call`) show exactly which messages the middleware sends
and when; the TestClient shows the same through an HTTP client, around bare
ASGI applications and whole Starlette applications.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from corecors import Config, ConfigError, Decision, Policy, Request, decide
from corecors.adapters.asgi import SCOPE_KEY, CORSMiddleware

with warnings.catch_warnings():
    # Starlette's TestClient prefers httpx2 and warns when it runs on httpx.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

Scope = dict[str, Any]
Message = dict[str, Any]
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

APP = "https://app.example.com"
EVIL = "https://evil.example"

CONFIG = Config(
    allow_origins=[APP],
    allow_methods=["GET", "PUT", "PATCH"],
    allow_headers=["X-Token"],
    expose_headers=["X-Total"],
    allow_credentials=True,
)


# -- helpers ---------------------------------------------------------------------


def make_app(
    status: int = 200,
    headers: list[tuple[bytes, bytes]] | None = None,
    seen: list[Scope] | None = None,
) -> ASGIApp:
    """A bare ASGI application: *status*, *headers*, body ``b"body"``."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if seen is not None:
            seen.append(scope)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": list(headers or [(b"content-type", b"text/plain")]),
            }
        )
        await send({"type": "http.response.body", "body": b"body"})

    return app


def client(config: Config = CONFIG, **app_kwargs: Any) -> TestClient:
    return TestClient(CORSMiddleware(make_app(**app_kwargs), config))


def http_scope(method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": list(headers or []),
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }


def call(app: ASGIApp, scope: Scope, sent: list[Message] | None = None) -> list[Message]:
    """Run *app* on *scope* with an empty request body; the messages it sent.

    Give *sent* to see them when *app* raises.
    """
    sent = [] if sent is None else sent

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def allowed_get() -> Scope:
    return http_scope("GET", [(b"origin", APP.encode())])


def preflight(c: TestClient, origin: str = APP, method: str = "PUT", **headers: str) -> Any:
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    h.update({k.replace("_", "-"): v for k, v in headers.items()})
    return c.options("/", headers=h)


def cors_headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


# -- the same behaviour as the WSGI middleware ----------------------------------


def test_allowed_actual_request_gets_origin_credentials_and_exposed_headers() -> None:
    r = client().get("/", headers={"Origin": APP})
    assert r.status_code == 200
    assert r.content == b"body"
    assert cors_headers(r) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "X-Total",
    }
    assert r.headers["Vary"] == "Origin"


def test_disallowed_actual_request_reaches_the_app_without_cors_headers() -> None:
    seen: list[Scope] = []
    r = client(seen=seen).get("/", headers={"Origin": EVIL})
    assert r.status_code == 200
    assert len(seen) == 1
    assert cors_headers(r) == {}
    assert r.headers["Vary"] == "Origin"


def test_request_without_origin_still_says_vary_origin() -> None:
    r = client().get("/")
    assert cors_headers(r) == {}
    assert r.headers["Vary"] == "Origin"


def test_allowed_preflight_is_answered_without_calling_the_app() -> None:
    seen: list[Scope] = []
    r = preflight(client(seen=seen), access_control_request_headers="x-token")
    assert seen == []
    assert r.status_code == 204
    assert r.content == b""
    assert cors_headers(r) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET, PUT, PATCH",
        "access-control-allow-headers": "X-Token",
        "access-control-max-age": "600",
    }
    assert "Origin" in r.headers["Vary"]


@pytest.mark.parametrize(
    ("origin", "method", "request_headers"),
    [
        pytest.param(EVIL, "PUT", "", id="origin not allowed"),
        pytest.param(APP, "patch", "", id="lower-case patch is not PATCH"),
        pytest.param(APP, "DELETE", "", id="method not listed"),
        pytest.param(APP, "PUT", "x-other", id="header not listed"),
        pytest.param(APP, "PUT", "," * 100_000, id="100,000 commas"),
    ],
)
def test_refused_preflight_gets_403_without_cors_headers_and_never_reaches_the_app(
    origin: str, method: str, request_headers: str
) -> None:
    seen: list[Scope] = []
    extra = {"access_control_request_headers": request_headers} if request_headers else {}
    r = preflight(client(seen=seen), origin, method, **extra)
    assert seen == []
    assert r.status_code == 403
    assert r.content == b""
    assert cors_headers(r) == {}


def test_options_without_request_method_is_an_ordinary_request() -> None:
    seen: list[Scope] = []
    r = client(seen=seen).options("/", headers={"Origin": APP})
    assert len(seen) == 1
    assert r.headers["Access-Control-Allow-Origin"] == APP


def test_app_set_cors_headers_are_replaced_and_vary_merged() -> None:
    app_headers = [
        (b"content-type", b"text/plain"),
        (b"access-control-allow-origin", b"*"),
        (b"Access-Control-Allow-Methods", b"DELETE"),
        (b"vary", b"Accept-Encoding"),
    ]
    r = client(headers=app_headers).get("/", headers={"Origin": APP})
    assert r.headers.get_list("Access-Control-Allow-Origin") == [APP]
    assert "Access-Control-Allow-Methods" not in r.headers
    assert r.headers.get_list("Vary") == ["Accept-Encoding, Origin"]


def test_app_cors_headers_are_removed_for_disallowed_origins() -> None:
    r = client(headers=[(b"access-control-allow-origin", b"*")]).get("/", headers={"Origin": EVIL})
    assert cors_headers(r) == {}


def test_vary_star_from_the_app_is_kept_alone() -> None:
    r = client(headers=[(b"vary", b"*")]).get("/", headers={"Origin": APP})
    assert r.headers.get_list("Vary") == ["*"]


@pytest.mark.parametrize("status", [pytest.param(404, id="404"), pytest.param(500, id="500")])
def test_error_responses_carry_the_same_cors_headers(status: int) -> None:
    r = client(status=status).get("/", headers={"Origin": APP})
    assert r.status_code == status
    assert r.headers["Access-Control-Allow-Origin"] == APP


def test_decision_is_left_in_the_scope_and_state_is_not_touched() -> None:
    seen: list[Scope] = []
    client(seen=seen).get("/", headers={"Origin": EVIL})
    decision = seen[0][SCOPE_KEY]
    assert isinstance(decision, Decision)
    assert decision.reasons == ("origin_not_allowed",)
    assert seen[0]["state"] == {}


def test_duplicate_origin_lines_are_no_origin() -> None:
    seen: list[Scope] = []
    r = client(seen=seen).get("/", headers=[("Origin", APP), ("Origin", EVIL)])
    assert cors_headers(r) == {}
    assert seen[0][SCOPE_KEY].reasons == ("origin_malformed",)


def test_non_config_is_refused_at_construction() -> None:
    with pytest.raises(ConfigError, match=r"corecors\.Config") as info:
        CORSMiddleware(make_app(), {"allow_origins": [APP]})  # type: ignore[arg-type]
    assert info.value.problems[0].code == "CC004"


# -- untouched requests -------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "headers"),
    [
        pytest.param(CONFIG.replace(enabled=False), {"Origin": APP}, id="enabled=False"),
    ],
)
def test_untouched_requests_pass_through_exactly(config: Config, headers: dict[str, str]) -> None:
    app_headers = [(b"content-type", b"text/plain"), (b"Access-Control-Allow-Origin", b"*")]
    r = client(config, headers=app_headers).get("/", headers=headers)
    assert r.headers.raw == app_headers


def test_an_upgrade_in_an_http_scope_gets_the_ordinary_rules() -> None:
    # A real handshake arrives as a websocket scope; in an http scope even a
    # complete set of handshake headers is an ordinary request, Vary included.
    headers = {
        "Origin": "https://evil.example",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    }
    app_headers = [(b"content-type", b"text/plain"), (b"Access-Control-Allow-Origin", b"*")]
    r = client(CONFIG, headers=app_headers).get("/", headers=headers)
    assert "access-control-allow-origin" not in r.headers
    assert r.headers["vary"] == "Origin"


def test_disabled_config_passes_preflights_to_the_app() -> None:
    seen: list[Scope] = []
    r = preflight(client(CONFIG.replace(enabled=False), seen=seen))
    assert len(seen) == 1
    assert r.status_code == 200


def test_websocket_scopes_pass_through_untouched() -> None:
    scopes: list[Scope] = []

    async def echo(websocket: WebSocket) -> None:
        scopes.append(dict(websocket.scope))
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    app = CORSMiddleware(Starlette(routes=[WebSocketRoute("/ws", echo)]), CONFIG)
    with TestClient(app).websocket_connect("/ws", headers={"Origin": EVIL}) as ws:
        ws.send_text("hello")
        assert ws.receive_text() == "hello"
    assert SCOPE_KEY not in scopes[0]


def test_lifespan_scope_passes_through_untouched() -> None:
    scopes: list[Scope] = []
    events: list[str] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        scopes.append(scope)
        if scope["type"] == "lifespan":
            for _ in range(2):  # startup, then shutdown
                message = await receive()
                events.append(message["type"])
                await send({"type": message["type"] + ".complete"})
            return
        await make_app()(scope, receive, send)

    with TestClient(CORSMiddleware(app, CONFIG)) as c:
        assert c.get("/", headers={"Origin": APP}).status_code == 200
    assert events == ["lifespan.startup", "lifespan.shutdown"]
    assert scopes[0]["type"] == "lifespan"
    assert SCOPE_KEY not in scopes[0]


# -- preflight_passthrough and statuses ---------------------------------------------


def test_passthrough_preflight_reaches_the_app_and_gets_preflight_headers() -> None:
    seen: list[Scope] = []
    config = CONFIG.replace(preflight_passthrough=True)
    r = preflight(client(config, seen=seen, status=401))
    assert len(seen) == 1
    assert r.status_code == 401
    assert r.headers["Access-Control-Allow-Origin"] == APP
    assert r.headers["Access-Control-Allow-Methods"] == "GET, PUT, PATCH"
    assert "Access-Control-Request-Method" in r.headers["Vary"]


def test_passthrough_never_lets_an_invalid_preflight_reach_the_app() -> None:
    seen: list[Scope] = []
    config = CONFIG.replace(preflight_passthrough=True)
    r = preflight(client(config, seen=seen), origin=EVIL)
    assert seen == []
    assert r.status_code == 403


def test_custom_preflight_statuses_are_sent() -> None:
    config = CONFIG.replace(preflight_status=200, preflight_failure_status=400)
    ok = preflight(client(config))
    assert (ok.status_code, ok.headers["Content-Length"]) == (200, "0")
    assert preflight(client(config), origin=EVIL).status_code == 400


# -- the ASGI messages themselves -----------------------------------------------------


def test_preflight_answer_is_one_start_and_one_empty_body_with_lower_case_names() -> None:
    scope = http_scope(
        "OPTIONS", [(b"origin", APP.encode()), (b"access-control-request-method", b"PUT")]
    )
    start, body = call(CORSMiddleware(make_app(), CONFIG), scope)
    assert start["type"] == "http.response.start"
    assert start["status"] == 204
    assert all(name == name.lower() for name, _ in start["headers"])
    assert (b"access-control-allow-origin", APP.encode()) in start["headers"]
    assert body == {"type": "http.response.body", "body": b""}


def test_app_header_bytes_round_trip_exactly() -> None:
    app_headers = [(b"content-type", b"text/plain"), (b"x-name", b"caf\xe9 \xff")]
    scope = allowed_get()
    start, _ = call(CORSMiddleware(make_app(headers=app_headers), CONFIG), scope)
    assert start["headers"][:2] == app_headers
    assert start["headers"][2:] == [
        (b"vary", b"Origin"),
        (b"access-control-allow-origin", APP.encode()),
        (b"access-control-allow-credentials", b"true"),
        (b"access-control-expose-headers", b"X-Total"),
    ]


def test_other_keys_of_the_start_message_are_kept() -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "trailers": True})
        await send({"type": "http.response.body", "body": b"x"})
        await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"1")]})

    start, body, trailers = call(CORSMiddleware(app, CONFIG), allowed_get())
    assert start["trailers"] is True
    assert (b"access-control-allow-origin", APP.encode()) in start["headers"]
    assert body == {"type": "http.response.body", "body": b"x"}
    assert trailers == {"type": "http.response.trailers", "headers": [(b"x-checksum", b"1")]}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(b"Origin", id="Origin"),
        pytest.param(b"ORIGIN", id="ORIGIN"),
        pytest.param(b"origin", id="origin"),
    ],
)
def test_request_header_names_are_read_in_any_case(name: bytes) -> None:
    scope = http_scope("GET", [(name, APP.encode())])
    start, _ = call(CORSMiddleware(make_app(), CONFIG), scope)
    assert (b"access-control-allow-origin", APP.encode()) in start["headers"]


def test_body_messages_go_out_as_the_app_sends_them() -> None:
    """Nothing is buffered: each chunk reaches the server before the next is made."""
    produced: list[int] = []
    arrived: list[tuple[bytes, list[int]]] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(3):
            produced.append(i)
            await send({"type": "http.response.body", "body": b"%d" % i, "more_body": i < 2})

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            arrived.append((message["body"], list(produced)))

    asyncio.run(CORSMiddleware(app, CONFIG)(allowed_get(), receive, send))
    assert arrived == [(b"0", [0]), (b"1", [0, 1]), (b"2", [0, 1, 2])]


# -- exceptions ----------------------------------------------------------------------


async def raising(scope: Scope, receive: Any, send: Any) -> None:
    raise RuntimeError("boom")


def test_exception_before_the_response_becomes_a_readable_500_then_is_reraised() -> None:
    sent: list[Message] = []
    with pytest.raises(RuntimeError, match="boom"):
        call(CORSMiddleware(raising, CONFIG), allowed_get(), sent)
    start, body = sent
    assert start["status"] == 500
    assert (b"access-control-allow-origin", APP.encode()) in start["headers"]
    assert (b"vary", b"Origin") in start["headers"]
    assert body == {"type": "http.response.body", "body": b"Internal Server Error"}


def test_exception_500_through_the_test_client() -> None:
    r = TestClient(CORSMiddleware(raising, CONFIG), raise_server_exceptions=False).get(
        "/", headers={"Origin": APP}
    )
    assert r.status_code == 500
    assert r.text == "Internal Server Error"
    assert r.headers["Access-Control-Allow-Origin"] == APP


def test_propagate_exceptions_reraises_without_answering() -> None:
    sent: list[Message] = []
    with pytest.raises(RuntimeError, match="boom"):
        call(CORSMiddleware(raising, CONFIG, propagate_exceptions=True), allowed_get(), sent)
    assert sent == []


def test_exception_after_the_response_started_is_reraised_and_nothing_more_sent() -> None:
    sent: list[Message] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("late")

    with pytest.raises(RuntimeError, match="late"):
        call(CORSMiddleware(app, CONFIG), allowed_get(), sent)
    assert [m["type"] for m in sent] == ["http.response.start"]


# -- whole Starlette applications ------------------------------------------------------


def starlette_app(**kwargs: Any) -> Starlette:
    async def ok(request: StarletteRequest) -> Response:
        decision = request.scope[SCOPE_KEY]
        return PlainTextResponse(",".join(decision.reasons) or "allowed")

    async def boom(request: StarletteRequest) -> Response:
        raise RuntimeError("the view failed")

    async def stream(request: StarletteRequest) -> Response:
        async def events() -> Any:
            for i in range(3):
                yield f"data: {i}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    routes = [Route("/", ok), Route("/boom", boom), Route("/stream", stream)]
    return Starlette(routes=routes, **kwargs)


def test_starlette_500_from_an_exception_carries_cors_headers_when_the_app_is_wrapped() -> None:
    """ServerErrorMiddleware sits outside user middleware: wrapping the app covers it."""
    app = CORSMiddleware(starlette_app(), CONFIG)
    r = TestClient(app, raise_server_exceptions=False).get("/boom", headers={"Origin": APP})
    assert r.status_code == 500
    assert r.text == "Internal Server Error"  # Starlette's own 500 page
    assert r.headers["Access-Control-Allow-Origin"] == APP
    with pytest.raises(RuntimeError, match="the view failed"):
        TestClient(app).get("/boom", headers={"Origin": APP})


def test_starlette_custom_500_handler_response_carries_cors_headers() -> None:
    async def handler(request: StarletteRequest, exc: Exception) -> Response:
        return PlainTextResponse("custom failure page", status_code=500)

    app = CORSMiddleware(starlette_app(exception_handlers={500: handler}), CONFIG)
    r = TestClient(app, raise_server_exceptions=False).get("/boom", headers={"Origin": APP})
    assert (r.status_code, r.text) == (500, "custom failure page")
    assert r.headers["Access-Control-Allow-Origin"] == APP


def test_starlette_404_and_stream_carry_cors_headers() -> None:
    c = TestClient(CORSMiddleware(starlette_app(), CONFIG))
    missing = c.get("/missing", headers={"Origin": APP})
    assert missing.status_code == 404
    assert missing.headers["Access-Control-Allow-Origin"] == APP
    stream = c.get("/stream", headers={"Origin": APP})
    assert stream.text == "data: 0\n\ndata: 1\n\ndata: 2\n\n"
    assert stream.headers["Access-Control-Allow-Origin"] == APP


def test_the_decision_reaches_a_starlette_view() -> None:
    c = TestClient(CORSMiddleware(starlette_app(), CONFIG))
    assert c.get("/", headers={"Origin": EVIL}).text == "origin_not_allowed"
    assert c.get("/", headers={"Origin": APP}).text == "allowed"


def test_as_user_middleware_the_500_is_answered_before_starlettes_handler() -> None:
    """Inside ServerErrorMiddleware the middleware answers the 500 itself, so it still
    carries CORS headers, but a custom 500 handler's page is never sent."""

    async def handler(request: StarletteRequest, exc: Exception) -> Response:
        return PlainTextResponse("custom failure page", status_code=500)

    app = starlette_app(
        middleware=[Middleware(CORSMiddleware, config=CONFIG)],
        exception_handlers={500: handler},
    )
    r = TestClient(app, raise_server_exceptions=False).get("/boom", headers={"Origin": APP})
    assert (r.status_code, r.text) == (500, "Internal Server Error")
    assert r.headers["Access-Control-Allow-Origin"] == APP


def test_as_user_middleware_with_propagate_exceptions_starlettes_500_has_no_cors_headers() -> None:
    """The case the docs warn about: Starlette answers outside the middleware."""
    app = starlette_app(
        middleware=[Middleware(CORSMiddleware, config=CONFIG, propagate_exceptions=True)]
    )
    r = TestClient(app, raise_server_exceptions=False).get("/boom", headers={"Origin": APP})
    assert r.status_code == 500
    assert cors_headers(r) == {}
    ok = TestClient(app).get("/", headers={"Origin": APP})
    assert ok.headers["Access-Control-Allow-Origin"] == APP


# -- reading the request is Request.from_headers -----------------------------------------

NAMES = st.sampled_from(
    [
        "origin",
        "Origin",
        "ORIGIN",
        "access-control-request-method",
        "Access-Control-Request-Headers",
        "access-control-request-headers",
        "access-control-request-private-network",
        "upgrade",
        "Upgrade",
        "connection",
        "x-other",
    ]
)
VALUES = st.sampled_from(
    [APP, EVIL, "PUT", "patch", "x-token", "X-Token, x-other", "true", "websocket", "", " "]
) | st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=20)
HEADERS = st.lists(st.tuples(NAMES, VALUES), max_size=6)


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(method=st.sampled_from(["GET", "OPTIONS", "PUT", "options"]), headers=HEADERS)
def test_the_decision_is_that_of_request_from_headers(
    method: str, headers: list[tuple[str, str]]
) -> None:
    """Any header list, repeated and mixed-case names included, is read as the core reads it."""
    raw = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in headers]
    scope = http_scope(method, raw)
    config = CONFIG.replace(allow_private_network=True)
    call(CORSMiddleware(make_app(), config), scope)
    assert scope[SCOPE_KEY] == decide(Request.from_headers(method, headers), config)


def test_header_name_memo_stays_bounded() -> None:
    middleware = CORSMiddleware(make_app(), CONFIG)
    for i in range(2000):
        call(middleware, http_scope("GET", [(b"x-name-%d" % i, b"1"), (b"origin", APP.encode())]))
    start, _ = call(middleware, http_scope("GET", [(b"X-Late", b"1"), (b"Origin", APP.encode())]))
    assert (b"access-control-allow-origin", APP.encode()) in start["headers"]


# -- packaging and the example ------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def test_the_middleware_imports_nothing_but_the_standard_library_and_the_core() -> None:
    # The core's one dependency is the Public Suffix List.
    script = (
        "import sys; before = set(sys.modules); import corecors.adapters.asgi; "
        "new = {m.partition('.')[0] for m in set(sys.modules) - before}; "
        "print(sorted(new - set(sys.stdlib_module_names) - {'corecors', 'publicsuffixlist'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_demo_example_prints_what_the_middleware_answers() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "asgi_demo.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    allowed, refused, preflight = done.stdout.strip().split("\n\n")
    assert "     access-control-allow-origin: https://app.example.com" in allowed
    assert "decision: allowed" in allowed
    assert "access-control-" not in refused
    assert "decision: ('origin_not_allowed',)" in refused
    assert "  -> 204" in preflight
    assert "     access-control-allow-methods: GET, PUT" in preflight


def test_keyword_options_work_the_starlette_way() -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    async def hello(request: Any) -> PlainTextResponse:
        return PlainTextResponse("hello")

    app = Starlette(routes=[Route("/", hello)])
    app.add_middleware(CORSMiddleware, allow_origins=[APP])
    response = TestClient(app).get("/", headers={"Origin": APP})
    assert response.headers["access-control-allow-origin"] == APP


def test_asgi_reconfigure_takes_effect() -> None:
    other = "https://other.example.com"
    middleware = CORSMiddleware(make_app(), Config(allow_origins=[APP]))
    middleware.reconfigure(Config(allow_origins=[other]))
    assert isinstance(middleware.config, Policy)
    assert middleware.config.config.allow_origins == (other,)
