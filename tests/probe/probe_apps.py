"""The applications the probe is tried on; gunicorn imports ``wsgi_app`` from here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from flask_cors import CORS as FlaskCORS
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware as StarletteCORS
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from corecors import Config
from corecors.adapters import asgi, wsgi
from corecors.adapters.flask import CORS

APP = "https://app.example.com"

CONFIG = Config(
    allow_origins=[APP],
    allow_methods=["GET", "PUT"],
    allow_headers=["Authorization", "Content-Type"],
    allow_credentials=True,
)


def flask_app() -> Flask:
    app = Flask("probe")

    @app.get("/")
    def index() -> str:
        return "hello"

    @app.get("/items")
    def items() -> str:
        return "items"

    return app


def bare_wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ["PATH_INFO"] not in ("/", "/items"):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"missing"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


#: the WSGI middleware around a bare WSGI app (served by gunicorn)
wsgi_app = wsgi.CORSMiddleware(bare_wsgi, CONFIG)


def flask_adapter_app() -> Flask:
    app = flask_app()
    CORS(app, config=CONFIG)
    return app


def flask_cors_app(**options: Any) -> Flask:
    app = flask_app()
    FlaskCORS(app, **options)
    return app


def auth_in_front(app: Callable[..., Any]) -> Callable[..., Any]:
    """An auth layer outside CORS: no Authorization, no entry (preflights included)."""

    def layer(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_AUTHORIZATION"):
            start_response("401 Unauthorized", [("WWW-Authenticate", "Bearer")])
            return [b"log in first"]
        result: Iterable[bytes] = app(environ, start_response)
        return result

    return layer


def auth_in_front_app() -> Callable[..., Any]:
    """The WSGI middleware behind an auth layer that answers preflights 401."""
    return auth_in_front(wsgi.CORSMiddleware(bare_wsgi, CONFIG))


async def hello(request: StarletteRequest) -> Response:
    return PlainTextResponse("hello")


async def boom(request: StarletteRequest) -> Response:
    raise RuntimeError("boom")


ROUTES = [Route("/", hello), Route("/items", hello), Route("/boom", boom)]


def asgi_app() -> Any:
    """The ASGI middleware around a Starlette app: its 500s carry CORS headers."""
    return asgi.CORSMiddleware(Starlette(routes=ROUTES), CONFIG)


def starlette_cors_app() -> Starlette:
    """Starlette's own CORSMiddleware: Starlette's ServerErrorMiddleware sits
    outside every user middleware, so its 500s carry no CORS headers."""
    return Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(
                StarletteCORS,
                allow_origins=[APP],
                allow_methods=["GET", "PUT"],
                allow_headers=["Authorization", "Content-Type"],
                allow_credentials=True,
            )
        ],
    )
