"""The ASGI middleware behind a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any

import pytest
from servers import uvicorn_serving
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from corecors import Config
from corecors.adapters.asgi import CORSMiddleware

ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

APP = "http://app.localhost:8080"
EVIL = "https://evil.example"

CONFIG = Config(
    allow_origins=[APP, "https://*.example.com"],
    allow_methods=["GET", "PUT"],
    allow_headers=["Content-Type"],
    allow_credentials=True,
)

#: Upper bound for anything the server is asked to do, in seconds.
TIMEOUT = 10.0

released = threading.Event()


# -- the application -------------------------------------------------------------------


async def hello(request: StarletteRequest) -> Response:
    return PlainTextResponse(
        f"hello; lifespan ran: {request.state.started}", headers={"Vary": "Accept-Encoding"}
    )


async def boom(request: StarletteRequest) -> Response:
    raise RuntimeError("the view failed (on purpose)")


async def stream(request: StarletteRequest) -> Response:
    wait = min(float(request.query_params.get("wait", TIMEOUT)), TIMEOUT)

    async def events() -> AsyncIterator[str]:
        yield "data: first\n\n"
        # The second event leaves only once the client has read the first
        # (or the wait is over): a buffering middleware never gets it there.
        read = await asyncio.to_thread(released.wait, wait)
        yield f"data: second, first was {'read' if read else 'never read'}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(await websocket.receive_text())
    await websocket.close()


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[dict[str, bool]]:
    yield {"started": True}


def starlette_app() -> Starlette:
    routes = [
        Route("/", hello, methods=["GET", "PUT"]),
        Route("/boom", boom),
        Route("/stream", stream),
        WebSocketRoute("/ws", echo),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def raising(scope: Any, receive: Any, send: Any) -> None:
    raise RuntimeError("bare ASGI application failed (on purpose)")


def buffering(app: ASGIApp) -> ASGIApp:
    """A broken layer for the streaming control: it holds the body back until the end."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        held: list[Any] = []

        async def hold(message: Any) -> None:
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                for m in held:
                    await send(m)

        await app(scope, receive, hold if scope["type"] == "http" else send)

    return wrapped


def dispatch(routes: dict[str, ASGIApp], default: ASGIApp) -> ASGIApp:
    """Hand ``/prefix/rest`` to ``routes["/prefix"]`` as ``/rest``, anything else to *default*."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        for prefix, target in routes.items():
            if path.startswith(prefix):
                await target({**scope, "path": path[len(prefix) :] or "/"}, receive, send)
                return
        await default(scope, receive, send)

    return app


# -- the server --------------------------------------------------------------------------


def serving(app: ASGIApp) -> AbstractContextManager[int]:
    """Serve *app* with uvicorn on 127.0.0.1, a free port; yield the port."""
    return uvicorn_serving(app, lifespan="on")


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    app = dispatch(
        {
            "/raw": CORSMiddleware(raising, CONFIG),
            "/buffered": buffering(CORSMiddleware(starlette_app(), CONFIG)),
        },
        CORSMiddleware(starlette_app(), CONFIG),
    )
    with serving(app) as p:
        yield p


def request(
    port: int, method: str, path: str = "/", headers: list[tuple[str, str]] | None = None
) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.putrequest(method, path)
        for name, value in headers or []:
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def cors_names(response: http.client.HTTPResponse) -> list[str]:
    return [h for h, _ in response.getheaders() if h.lower().startswith("access-control-")]


# -- the tests -------------------------------------------------------------------------------


def test_allowed_actual_request_over_the_wire(port: int) -> None:
    r, body = request(port, "GET", "/", [("Origin", APP)])
    assert r.status == 200
    assert body == b"hello; lifespan ran: True"
    assert r.getheader("Access-Control-Allow-Origin") == APP
    assert r.getheader("Access-Control-Allow-Credentials") == "true"
    assert r.getheader("Vary") == "Accept-Encoding, Origin"


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        pytest.param("https://a.b.example.com", True, id="subdomain pattern"),
        pytest.param("https://example.com.evil.net", False, id="suffix trick"),
    ],
)
def test_subdomain_pattern_over_the_wire(port: int, origin: str, allowed: bool) -> None:
    r, _ = request(port, "GET", "/", [("Origin", origin)])
    assert r.getheader("Access-Control-Allow-Origin") == (origin if allowed else None)


def test_preflight_over_the_wire(port: int) -> None:
    r, body = request(
        port,
        "OPTIONS",
        "/",
        [
            ("Origin", APP),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
    )
    assert (r.status, body) == (204, b"")
    assert r.getheader("Access-Control-Allow-Methods") == "GET, PUT"
    assert r.getheader("Access-Control-Allow-Headers") == "Content-Type"


def test_refused_preflight_over_the_wire(port: int) -> None:
    r, body = request(
        port, "OPTIONS", "/", [("Origin", APP), ("Access-Control-Request-Method", "DELETE")]
    )
    assert (r.status, body) == (403, b"")
    assert cors_names(r) == []


def test_repeated_origin_lines_over_the_wire_are_no_origin(port: int) -> None:
    r, _ = request(port, "GET", "/", [("Origin", APP), ("Origin", EVIL)])
    assert r.status == 200
    assert cors_names(r) == []
    assert r.getheader("Vary") == "Accept-Encoding, Origin"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/missing", 404, id="404 from the router"),
        pytest.param("/boom", 500, id="500 from Starlette's ServerErrorMiddleware"),
        pytest.param("/raw", 500, id="500 the middleware answers for a bare app"),
    ],
)
def test_error_responses_over_the_wire_are_readable(port: int, path: str, status: int) -> None:
    r, _ = request(port, "GET", path, [("Origin", APP)])
    assert r.status == status
    assert r.getheader("Access-Control-Allow-Origin") == APP
    assert r.getheader("Access-Control-Allow-Credentials") == "true"


def read_stream(port: int, path: str) -> tuple[http.client.HTTPResponse, bytes, bytes]:
    """Read the first event, then let the server send the second; return both."""
    released.clear()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT * 2)
    try:
        conn.request("GET", path, headers={"Origin": APP})
        response = conn.getresponse()
        first = response.read(len(b"data: first\n\n"))
        released.set()
        return response, first, response.read()
    finally:
        conn.close()


def test_streamed_events_arrive_one_by_one(port: int) -> None:
    response, first, rest = read_stream(port, "/stream")
    assert response.getheader("Access-Control-Allow-Origin") == APP
    assert response.getheader("Content-Type").startswith("text/event-stream")
    assert first == b"data: first\n\n"
    assert rest == b"data: second, first was read\n\n"


def test_streaming_control_a_buffering_layer_is_caught(port: int) -> None:
    """The same check fails for a layer that buffers: the proof can fail."""
    _, first, rest = read_stream(port, "/buffered/stream?wait=0.2")
    assert first == b"data: first\n\n"
    assert rest == b"data: second, first was never read\n\n"


def test_websocket_handshake_over_the_wire_is_untouched(port: int) -> None:
    handshake = (
        "GET /ws HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        f"Origin: {EVIL}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(handshake.encode())
        head = b""
        for _ in range(100):  # bounded: a handshake answer is far shorter
            if b"\r\n\r\n" in head:
                break
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    status_line, *lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    assert status_line.startswith("HTTP/1.1 101")
    assert not [line for line in lines if line.lower().startswith("access-control-")]
    assert not [line for line in lines if line.lower().startswith("vary")]
