"""check_websocket_origin in Chromium: ``new WebSocket()`` from two pages.

A Starlette application with one WebSocket route runs on uvicorn on
127.0.0.1 (reached as ``ws://api.corecors.localhost:PORT``), behind the ASGI
middleware twice: under ``/checked`` with ``check_websocket_origin=True``
and the lab's allowed origin, under ``/unchecked`` with the check off (the
control). The page on the allowed origin opens the socket and gets its
echo; the page on another site fails to open it, and the application never
sees that handshake. The same page opens the unchecked socket: the browser
itself does not stop a cross-site WebSocket (CORS does not cover it), which
is why the server has to check ``Origin``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from corecors import Config
from corecors.adapters.asgi import CORSMiddleware

if TYPE_CHECKING:
    from conftest import Lab, Tab

pytestmark = pytest.mark.browser

OpenTab = Callable[[str], "Tab"]

#: Open a socket, send one message, wait for its echo; never rejects.
OPEN_SOCKET = """
(url) => new Promise((resolve) => {
  let opened = false;
  const ws = new WebSocket(url);
  const timer = setTimeout(() => { ws.close(); resolve({opened, error: "timeout"}); }, 15000);
  ws.onopen = () => { opened = true; ws.send("hello from " + location.origin); };
  ws.onmessage = (e) => { clearTimeout(timer); ws.close(); resolve({opened, echo: e.data}); };
  ws.onclose = (e) => { clearTimeout(timer); resolve({opened, code: e.code}); };
})
"""


@dataclass
class Sockets:
    base: str
    #: the Origin of every handshake the application accepted, by mount
    opened: dict[str, list[str]]

    def url(self, mount: str, tag: str) -> str:
        return f"{self.base}/{mount}/ws?t={tag}"


def socket_app(name: str, opened: dict[str, list[str]]) -> Starlette:
    async def echo(websocket: WebSocket) -> None:
        opened.setdefault(name, []).append(websocket.headers.get("origin", ""))
        await websocket.accept()
        await websocket.send_text("echo: " + await websocket.receive_text())
        await websocket.close()

    return Starlette(routes=[WebSocketRoute("/ws", echo)])


def mounts(routes: dict[str, Any]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return
        _, name, rest = scope["path"].split("/", 2)
        target = routes.get(name)
        if target is None:
            await PlainTextResponse("no such mount", status_code=404)(scope, receive, send)
            return
        await target({**scope, "path": "/" + rest}, receive, send)

    return app


@pytest.fixture(scope="module")
def sockets(lab: Lab, asgi_serving: Callable[[Any], Any]) -> Iterator[Sockets]:
    opened: dict[str, list[str]] = {}
    config = Config(allow_origins=[lab.origins.app], check_websocket_origin=True)
    routes = {
        "checked": CORSMiddleware(socket_app("checked", opened), config),
        "unchecked": CORSMiddleware(
            socket_app("unchecked", opened), config.replace(check_websocket_origin=False)
        ),
    }
    with asgi_serving(mounts(routes)) as port:
        yield Sockets(f"ws://api.corecors.localhost:{port}", opened)


def test_the_allowed_page_opens_the_socket(
    lab: Lab, sockets: Sockets, open_tab: OpenTab, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    result = tab.page.evaluate(OPEN_SOCKET, sockets.url("checked", tag))
    assert result == {"opened": True, "echo": f"echo: hello from {lab.origins.app}"}
    assert lab.origins.app in sockets.opened["checked"]


@pytest.mark.parametrize("origin", ["ip2", "other_sub"], ids=["another site", "evil.localhost"])
def test_a_page_on_a_disallowed_origin_cannot_open_the_socket(
    lab: Lab, sockets: Sockets, open_tab: OpenTab, tag: str, origin: str
) -> None:
    page_origin = getattr(lab.origins, origin)
    tab = open_tab(page_origin)
    result = tab.page.evaluate(OPEN_SOCKET, sockets.url("checked", tag))
    assert result["opened"] is False, result
    assert result.get("code") == 1006, result  # the handshake failed
    assert page_origin not in sockets.opened.get("checked", [])
    # Chromium says why: the server answered the handshake with 403.
    assert tab.wait_until(lambda: any("403" in line for line in tab.console)), tab.console


def test_control_without_the_check_the_same_page_opens_the_socket(
    lab: Lab, sockets: Sockets, open_tab: OpenTab, tag: str
) -> None:
    """The browser lets a cross-site page open a WebSocket: only the server's
    Origin check stands in the way of cross-site WebSocket hijacking."""
    tab = open_tab(lab.origins.ip2)
    result = tab.page.evaluate(OPEN_SOCKET, sockets.url("unchecked", tag))
    assert result == {"opened": True, "echo": f"echo: hello from {lab.origins.ip2}"}
    assert lab.origins.ip2 in sockets.opened["unchecked"]
