"""check_websocket_origin behind a real uvicorn, driven by the ``websockets`` client.

uvicorn runs on 127.0.0.1 with two of its WebSocket implementations
(``websockets-sansio`` and ``wsproto``; the legacy ``websockets`` one is
deprecated). Both offer ASGI's denial-response extension, with which the
middleware sends the core's 403 and its headers; each also runs with the
extension hidden from the middleware, as a server without it would be, so
that the middleware closes before accept with 1008, which uvicorn answers
with 403. Either way the client's handshake fails with 403 and the
application never runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest
from servers import uvicorn_serving
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from corecors import Config
from corecors.adapters.asgi import CORSMiddleware

APP = "http://app.localhost:8080"
EVIL = "https://evil.example"
REFUSAL = "Corecors-Refusal"
#: Upper bound for anything the server or the client is asked to do, in seconds.
TIMEOUT = 10.0

#: (uvicorn's WebSocket implementation, whether the middleware sees ASGI's
#: websocket.http.response extension)
SERVERS = [
    pytest.param(("websockets-sansio", True), id="websockets-sansio"),
    pytest.param(("wsproto", True), id="wsproto"),
    pytest.param(("websockets-sansio", False), id="websockets-sansio, no extension"),
    pytest.param(("wsproto", False), id="wsproto, no extension"),
]

CONFIG = Config(
    allow_origins=[APP, "https://*.example.com"],
    check_websocket_origin=True,
    debug_refusals=True,
)


def application(opened: list[str]) -> Starlette:
    async def echo(websocket: WebSocket) -> None:
        opened.append(websocket.headers.get("origin", "<none>"))
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    return Starlette(routes=[WebSocketRoute("/ws", echo)])


def serving(app: Any, ws: str) -> AbstractContextManager[int]:
    """Serve *app* with uvicorn (WebSocket implementation *ws*) on 127.0.0.1."""
    return uvicorn_serving(app, ws=ws, lifespan="off")


def without_extension(app: Any) -> Any:
    """*app* as a server without the denial-response extension would call it."""

    async def hidden(scope: Any, receive: Any, send: Any) -> None:
        extensions = {
            k: v for k, v in scope.get("extensions", {}).items() if k != "websocket.http.response"
        }
        await app({**scope, "extensions": extensions}, receive, send)

    return hidden


@dataclass
class Server:
    port: int
    ws: str
    extension: bool
    opened: list[str]


@pytest.fixture(scope="module", params=SERVERS)
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    ws, extension = request.param
    opened: list[str] = []
    app = CORSMiddleware(application(opened), CONFIG)
    with serving(app if extension else without_extension(app), ws) as port:
        yield Server(port, ws, extension, opened)


def echo_once(port: int, origin: str | None) -> str:
    with connect(f"ws://127.0.0.1:{port}/ws", origin=origin, open_timeout=TIMEOUT) as ws:  # type: ignore[arg-type]
        ws.send("hello")
        reply = ws.recv(timeout=TIMEOUT)
        assert isinstance(reply, str)
        return reply


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param(APP, id="allowed origin"),
        pytest.param("https://chat.example.com", id="allowed by pattern"),
        pytest.param(None, id="no Origin: a non-browser client"),
    ],
)
def test_an_allowed_handshake_opens_the_socket(server: Server, origin: str | None) -> None:
    before = len(server.opened)
    assert echo_once(server.port, origin) == "hello"
    assert server.opened[before:] == [origin or "<none>"]


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param(EVIL, id="disallowed origin"),
        pytest.param("https://example.com.evil.net", id="suffix trick"),
        pytest.param("null", id="null origin"),
    ],
)
def test_a_disallowed_handshake_is_answered_403_and_never_reaches_the_app(
    server: Server, origin: str
) -> None:
    before = len(server.opened)
    with pytest.raises(InvalidStatus) as caught:
        echo_once(server.port, origin)
    response = caught.value.response
    assert response.status_code == 403
    assert server.opened[before:] == []
    if server.extension:
        # The denial response carries the core's own headers.
        assert response.headers[REFUSAL] == "websocket_origin_not_allowed"
        assert response.headers["Vary"] == "Origin"
    else:
        # A close before accept: the server's own 403.
        assert REFUSAL not in response.headers


def test_control_without_the_check_the_same_handshake_opens(server: Server) -> None:
    """The same server code with the option off lets the disallowed origin in:
    the refusal above comes from the check, not from the server or client."""
    opened: list[str] = []
    app = CORSMiddleware(application(opened), CONFIG.replace(check_websocket_origin=False))
    with serving(app, server.ws) as port:
        assert echo_once(port, EVIL) == "hello"
    assert opened == [EVIL]
