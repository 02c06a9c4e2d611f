"""The ASGI middleware in the browser: Starlette applications on uvicorn.

A uvicorn server on 127.0.0.1, reached as ``http://api.corecors.localhost:PORT``
(cross-origin to every page, same-site with ``origins.app``, like the WSGI
API server), serves one Starlette application per named configuration of
the lab under ``/a/<config>/``, each wrapped whole as docs/starlette.md
says: ``CORSMiddleware(Starlette(...), config)``; ``/a/bare/`` serves it
without corecors (the negative control). Its routes mirror the
Flask application's (``/echo``, ``/login``, ``/boom``, ``/stream``,
``/ack``) and log to the lab's recorder; a recorder in front of the
middleware keeps every request as the server received it and what was
answered, keyed by the ``t`` query parameter.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from corecors import Config
from corecors.adapters.asgi import CORSMiddleware

if TYPE_CHECKING:
    from conftest import Lab, Recorder, Tab

pytestmark = pytest.mark.browser

OpenTab = Callable[[str], "Tab"]
ASGIApp = Callable[[Any, Any, Any], Any]
#: How long the event stream waits for the page to acknowledge one event.
ACK_TIMEOUT_S = 10.0
COOKIE_ATTRIBUTES = "Path=/; SameSite=Lax; HttpOnly"
STREAMED = ["view:stream:GET", "sent:0", "ack:0:seen", "sent:1", "ack:1:seen", "sent:2"]


# -- the application behind every mount ------------------------------------------------


def starlette_app(recorder: Recorder) -> Starlette:
    """The Flask application of conftest.make_app, in Starlette (the routes used here)."""

    def ran(request: Request, view: str) -> str:
        tag = request.query_params.get("t", "")
        recorder.event(tag, f"view:{view}:{request.method}")
        return tag

    async def echo(request: Request) -> Response:
        ran(request, "echo")
        body = {
            "method": request.method,
            "cookies": dict(request.cookies),
            "x_header": request.headers.get("x-token"),
        }
        return JSONResponse(
            body,
            headers={
                "X-Exposed": "exposed-value",
                "X-Hidden": "hidden-value",
                "Content-Language": "en",
                # corecors owns CORS for the app and must drop this one.
                "Access-Control-Allow-Origin": "http://stale.invalid",
            },
        )

    async def login(request: Request) -> Response:
        tag = ran(request, "login")
        name = request.query_params.get("cookie", "sid")
        response = PlainTextResponse("logged in")
        response.headers["Set-Cookie"] = f"{name}={tag}; {COOKIE_ATTRIBUTES}"
        return response

    async def boom(request: Request) -> Response:
        ran(request, "boom")
        raise RuntimeError("the application failed (on purpose)")

    async def ack(request: Request) -> Response:
        recorder.ack(request.query_params.get("t", ""), int(request.query_params["n"]))
        return PlainTextResponse("ok")

    async def stream(request: Request) -> Response:
        tag = ran(request, "stream")
        count = int(request.query_params.get("n", "3"))

        async def events() -> AsyncIterator[str]:
            for n in range(count):
                recorder.event(tag, f"sent:{n}")
                yield f"data: {json.dumps({'n': n})}\n\n"
                if n + 1 < count:
                    # Event n+1 leaves only after the page acknowledged event
                    # n: a buffered body would never get that far.
                    acked = await asyncio.to_thread(recorder.wait_ack, tag, n, ACK_TIMEOUT_S)
                    recorder.event(tag, f"ack:{n}:{'seen' if acked else 'timeout'}")

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
        )

    routes = [
        Route("/echo", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/login", login),
        Route("/boom", boom),
        Route("/ack", ack),
        Route("/stream", stream),
    ]
    return Starlette(routes=routes)


# -- what the server saw ------------------------------------------------------------------


@dataclass
class Seen:
    """One request as the ASGI server received it, and the answer's start."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)  # lower-case names


@dataclass
class Api:
    """The ASGI API server: its base URL and what it saw, by tag."""

    base: str
    seen: dict[str, list[Seen]]

    def url(self, config: str, path: str, tag: str, **params: Any) -> str:
        return f"{self.base}/a/{config}{path}?{urlencode({'t': tag, **params})}"

    def calls(self, tag: str) -> list[tuple[str, int | None]]:
        return [(s.method, s.status) for s in self.seen.get(tag, [])]


def recorded(app: ASGIApp, seen: dict[str, list[Seen]]) -> ASGIApp:
    async def recorder(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        query = parse_qs(scope["query_string"].decode("latin-1"))
        entry = Seen(
            scope["method"],
            scope["path"],
            {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
        )
        seen.setdefault(query.get("t", [""])[0], []).append(entry)

        async def keep(message: Any) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
                entry.response_headers = {
                    k.decode("latin-1").lower(): v.decode("latin-1")
                    for k, v in message.get("headers", [])
                }
            await send(message)

        await app(scope, receive, keep)

    return recorder


def mounts(routes: dict[str, ASGIApp]) -> ASGIApp:
    """``/a/<config>/rest`` to that config's application, as ``/rest``."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return  # nothing to start
        _, _, name, rest = (scope["path"] + "/").split("/", 3)
        target = routes.get(name)
        if target is None:
            await PlainTextResponse("no such mount", status_code=404)(scope, receive, send)
            return
        await target({**scope, "path": "/" + rest.rstrip("/")}, receive, send)

    return app


@pytest.fixture(scope="module")
def api(lab: Lab, asgi_serving: Callable[[ASGIApp], Any]) -> Iterator[Api]:
    apps: dict[str, ASGIApp] = {
        name: CORSMiddleware(starlette_app(lab.recorder), Config(**options))
        for name, options in lab.configs.items()
    }
    apps["bare"] = starlette_app(lab.recorder)  # no corecors: the negative control
    seen: dict[str, list[Seen]] = {}
    with asgi_serving(recorded(mounts(apps), seen)) as port:
        yield Api(f"http://api.corecors.localhost:{port}", seen)


# -- the scenarios ------------------------------------------------------------------------


def test_simple_get_from_allowed_origin_is_readable(
    lab: Lab, api: Api, open_tab: OpenTab, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(api.url("basic", "/echo", tag))
    assert out.readable, out.error
    assert (out.status, out.json()["method"]) == (200, "GET")
    (seen,) = api.seen[tag]
    assert seen.headers["origin"] == lab.origins.app
    # The application's own stale ACAO was replaced by the right one.
    assert seen.response_headers["access-control-allow-origin"] == lab.origins.app


def test_control_without_corecors_the_same_get_is_not_readable(
    lab: Lab, api: Api, open_tab: OpenTab, tag: str
) -> None:
    """The application's own stale ACAO reaches the browser, which refuses it."""
    tab = open_tab(lab.origins.app)
    out = tab.fetch(api.url("bare", "/echo", tag))
    assert not out.readable
    assert "http://stale.invalid" in tab.cors_error()
    assert api.calls(tag) == [("GET", 200)]


def test_preflighted_put_allowed(lab: Lab, api: Api, open_tab: OpenTab, tag: str) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(api.url("basic", "/echo", tag), method="PUT", headers={"X-Token": "t0k"})
    assert out.readable, out.error
    assert out.json() == {"method": "PUT", "cookies": {}, "x_header": "t0k"}
    assert api.calls(tag) == [("OPTIONS", 204), ("PUT", 200)]
    preflight = api.seen[tag][0]
    assert preflight.headers["access-control-request-method"] == "PUT"
    assert preflight.response_headers["access-control-allow-headers"] == "X-Token, Content-Type"
    # The middleware answered the preflight: the application saw the PUT only.
    assert lab.recorder.events(tag) == ["view:echo:PUT"]


@pytest.mark.parametrize(
    ("origin", "config"),
    [
        pytest.param("ip2", "basic", id="origin-not-allowed"),
        pytest.param("app", "plain", id="PUT-not-allowed"),
    ],
)
def test_preflighted_put_refused(
    lab: Lab, api: Api, open_tab: OpenTab, tag: str, origin: str, config: str
) -> None:
    tab = open_tab(getattr(lab.origins, origin))
    out = tab.fetch(api.url(config, "/echo", tag), method="PUT", headers={"X-Token": "t0k"})
    assert not out.readable
    assert "preflight" in tab.cors_error()
    # Refused at the preflight, which discloses nothing; the PUT never left the browser.
    assert api.calls(tag) == [("OPTIONS", 403)]
    assert not [h for h in api.seen[tag][0].response_headers if h.startswith("access-control-")]
    assert lab.recorder.events(tag) == []


def test_credentials_cookie_round_trip(lab: Lab, api: Api, open_tab: OpenTab, tag: str) -> None:
    tab = open_tab(lab.origins.app)
    cookie = f"c{tag}"
    login = tab.fetch(api.url("creds", "/login", tag, cookie=cookie), credentials="include")
    assert login.readable, login.error
    out = tab.fetch(api.url("creds", "/echo", tag), credentials="include")
    assert out.readable, out.error
    assert out.json()["cookies"][cookie] == tag
    first, second = api.seen[tag]
    assert cookie not in first.headers.get("cookie", "")
    assert first.response_headers["access-control-allow-credentials"] == "true"
    assert f"{cookie}={tag}" in second.headers["cookie"]


def test_exposed_header_is_readable_and_the_other_is_not(
    lab: Lab, api: Api, open_tab: OpenTab, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(api.url("basic", "/echo", tag))
    assert out.readable, out.error
    assert out.headers["x-exposed"] == "exposed-value"
    assert "x-hidden" not in out.headers
    # The server sent both: the browser did the hiding.
    (seen,) = api.seen[tag]
    assert {"x-exposed", "x-hidden"} <= set(seen.response_headers)


def test_500_from_an_exception_is_readable(lab: Lab, api: Api, open_tab: OpenTab, tag: str) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(api.url("plain", "/boom", tag))
    assert out.readable, out.error
    assert (out.status, out.body) == (500, "Internal Server Error")
    (seen,) = api.seen[tag]
    assert seen.response_headers["access-control-allow-origin"] == lab.origins.app


def test_server_sent_events_arrive_one_by_one(
    lab: Lab, api: Api, open_tab: OpenTab, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    result = tab.event_source(
        api.url("plain", "/stream", tag, n=3), count=3, ack_url=api.url("plain", "/ack", tag)
    )
    assert result.get("complete"), result
    assert [e["data"]["n"] for e in result["got"]] == [0, 1, 2]
    # The server sent each event only after the page had acknowledged the one before.
    assert lab.recorder.events(tag) == STREAMED
    stream = api.seen[tag][0]
    assert stream.headers["accept"] == "text/event-stream"
    assert stream.response_headers["access-control-allow-origin"] == lab.origins.app
