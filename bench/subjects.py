"""What the harness measures: one CORS policy, the request kinds, the apps.

Every subject (corecors and its peers) is configured with the same policy,
and every group measures its subjects on the same prebuilt requests, so
that a subject's cost minus its bare baseline is the cost of its CORS layer
and nothing else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from corecors import Config, Request, decide
from corecors.adapters.wsgi import CORSMiddleware

Environ = dict[str, Any]
Headers = list[tuple[str, str]]
WSGIApp = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]

# -- the policy every subject is given ----------------------------------------

ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://evil.example"
METHODS = ("GET", "PUT", "DELETE")
ALLOW_HEADERS = ("Content-Type", "X-Requested-With")
MAX_AGE = 600

CONFIG = Config(
    allow_origins=[ORIGIN],
    allow_methods=METHODS,
    allow_headers=ALLOW_HEADERS,
    max_age=MAX_AGE,
)

HELLO = b"Hello, World!"


# -- request kinds --------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One kind of request, as header names and values."""

    name: str
    label: str
    method: str
    headers: dict[str, str] = field(default_factory=dict)
    adversarial: bool = False

    def request(self) -> Request:
        return Request.from_headers(self.method, self.headers)

    def environ(self) -> Environ:
        """A complete WSGI environ, as a server would build it."""
        from werkzeug.test import EnvironBuilder

        builder = EnvironBuilder(
            path="/", method=self.method, headers=list(self.headers.items())
        )
        try:
            return builder.get_environ()
        finally:
            builder.close()

    def scope(self) -> dict[str, Any]:
        """An ASGI HTTP scope for the same request."""
        raw = [(b"host", b"localhost")] + [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in self.headers.items()
        ]
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": self.method,
            "scheme": "http",
            "path": "/",
            "raw_path": b"/",
            "root_path": "",
            "query_string": b"",
            "headers": raw,
            "client": ("127.0.0.1", 50000),
            "server": ("localhost", 80),
        }


def _preflight(origin: str, requested: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": requested,
    }


def commas(size: int) -> str:
    return "," * size


def many_names(count: int) -> str:
    return ",".join(f"x-custom-{i}" for i in range(count))


def long_name(size: int) -> str:
    return "x" * size


#: The adversarial header values, each at full size; the memory check also
#: builds them at a tenth of that size to show the cost does not grow.
ADVERSARIAL: dict[str, tuple[str, Callable[[int], str], int]] = {
    "adv_commas": ("preflight, 100,000 commas", commas, 100_000),
    "adv_names": ("preflight, 2,000 names", many_names, 2_000),
    "adv_long_name": ("preflight, one 100 KB name", long_name, 100_000),
}

KINDS: list[Kind] = [
    Kind("no_origin", "no Origin", "GET"),
    Kind("allowed_actual", "allowed actual", "GET", {"Origin": ORIGIN}),
    Kind("disallowed_actual", "disallowed actual", "GET", {"Origin": OTHER_ORIGIN}),
    Kind(
        "allowed_preflight", "allowed preflight, 2 headers", "OPTIONS",
        _preflight(ORIGIN, "content-type,x-requested-with"),
    ),
    Kind(
        "rejected_preflight", "rejected preflight", "OPTIONS",
        _preflight(OTHER_ORIGIN, "content-type"),
    ),
    *(
        Kind(name, label, "OPTIONS", _preflight(ORIGIN, make(size)), adversarial=True)
        for name, (label, make, size) in ADVERSARIAL.items()
    ),
]
KIND_BY_NAME = {k.name: k for k in KINDS}


# -- decide() and its empty twin --------------------------------------------------


def empty_call(request: Request, config: Config) -> None:
    """An empty function with decide()'s calling shape: the unit of cost."""
    return None


# -- bare WSGI app and the table-lookup floor ---------------------------------------


def bare_wsgi_app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The smallest useful WSGI app: a fresh header list, a static body."""
    start_response(
        "200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "13")]
    )
    return [HELLO]


class TableFloor:
    """The floor for any CORS middleware: look the Origin up, append headers.

    It knows nothing of CORS: a precomputed dict maps each allowed origin to
    the header lines to add, and it adds them at ``start_response``. It does
    not answer preflights, merge ``Vary`` or drop an application's own
    ``Access-Control-*`` lines, so it is a lower bound, not a competitor.
    """

    __slots__ = ("app", "table")

    def __init__(self, app: WSGIApp, table: dict[str, Headers]) -> None:
        self.app = app
        self.table = table

    def __call__(
        self, environ: Environ, start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        extra = self.table.get(environ.get("HTTP_ORIGIN"))  # type: ignore[arg-type]
        if extra is None:
            return self.app(environ, start_response)

        def add_headers(status: str, headers: Headers, exc_info: Any = None) -> Any:
            return start_response(status, headers + extra, exc_info)

        return self.app(environ, add_headers)


def floor(app: WSGIApp) -> TableFloor:
    return TableFloor(
        app, {ORIGIN: [("Access-Control-Allow-Origin", ORIGIN), ("Vary", "Origin")]}
    )


def rewrite(headers: Headers, tail: Headers) -> Headers:
    """InlinedMinimum's unusual response (not timed): drop the app's CORS
    lines, merge its Vary. A module function, so that the closure that calls
    it captures nothing more than it needs."""
    kept = [h for h in headers if not h[0].lower().startswith(("access-control-", "vary"))]
    vary = [v for n, v in headers if n.lower() == "vary"]
    return [*kept, ("Vary", ", ".join([*vary, "Origin"])), *tail[1:]]


class InlinedMinimum:
    """What any correct CORS middleware must do per actual request, inlined.

    Not a product and not corecors: a reference that shows how close to the
    floor a correct middleware can get in CPython. On top of the floor it
    does only what the CORS rules and the WSGI contract require for an
    actual request: tell it from a preflight and a WebSocket handshake,
    leave a decision in the environ, drop the application's own
    ``Access-Control-*`` lines and merge its ``Vary`` (one set lookup per
    header for the usual response, as :meth:`corecors.Decision.apply`
    does), and answer ``500`` with the CORS headers if the application
    raises before starting its response. Everything is one function, with
    the origin table and header lists precomputed; preflights and
    handshakes go to corecors' middleware.
    """

    __slots__ = ("app", "fallback", "table", "vary_only")

    PLAIN = frozenset({"Content-Type", "Content-Length"})

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.fallback = CORSMiddleware(app, CONFIG)
        self.table = {ORIGIN: [("Vary", "Origin"), ("Access-Control-Allow-Origin", ORIGIN)]}
        self.vary_only = [("Vary", "Origin")]

    def __call__(
        self, environ: Environ, start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "OPTIONS" or "HTTP_UPGRADE" in environ:
            return self.fallback(environ, start_response)
        tail = self.table.get(environ.get("HTTP_ORIGIN"), self.vary_only)  # type: ignore[arg-type]
        environ["corecors.decision"] = tail
        started = False
        plain = self.PLAIN

        def add_headers(status: str, headers: Headers, exc_info: Any = None) -> Any:
            nonlocal started
            started = True
            for item in headers:
                if item[0] not in plain:
                    break
            else:
                return start_response(status, headers + tail, exc_info)
            return start_response(status, rewrite(headers, tail), exc_info)

        try:
            return self.app(environ, add_headers)
        except Exception:
            if started:
                raise
            return self.answer_error(start_response, tail)

    @staticmethod
    def answer_error(start_response: Callable[..., Any], tail: Headers) -> list[bytes]:
        """The app raised before starting its response (not timed)."""
        start_response("500 Internal Server Error", list(tail))
        return [b"Internal Server Error"]


def inlined_minimum(app: WSGIApp) -> WSGIApp:
    return InlinedMinimum(app)


def corecors_wsgi(app: WSGIApp) -> WSGIApp:
    middleware: WSGIApp = CORSMiddleware(app, CONFIG)
    return middleware


def wsgicors_wsgi(app: WSGIApp) -> WSGIApp:
    from wsgicors import CORS  # type: ignore[import-untyped]

    wrapped: WSGIApp = CORS(
        app,
        origin=ORIGIN,
        methods=", ".join(METHODS),
        headers=", ".join(ALLOW_HEADERS),
        maxage=str(MAX_AGE),
    )
    return wrapped


#: References timed on actual requests only (they hand preflights to corecors).
ACTUAL_ONLY = frozenset({"inlined minimum"})

WSGI_SUBJECTS: dict[str, Callable[[WSGIApp], WSGIApp]] = {
    "bare": lambda app: app,
    "floor": floor,
    "inlined minimum": inlined_minimum,
    "corecors": corecors_wsgi,
    "wsgicors": wsgicors_wsgi,
}


# -- Flask hello app ------------------------------------------------------------------


def flask_app(subject: str) -> Any:
    """A Flask hello app, bare or with one CORS extension.

    *subject* is ``"bare"``, ``"corecors"`` (corecors.adapters.flask) or
    ``"flask-cors"``, each configured with the shared policy.
    """
    from flask import Flask

    app = Flask(f"bench_{subject.replace('-', '_')}")

    @app.route("/", methods=["GET", "PUT", "DELETE"])
    def hello() -> str:
        return "Hello, World!"

    if subject == "corecors":
        from corecors.adapters.flask import CORS

        CORS(app, config=CONFIG)
    elif subject == "flask-cors":
        from flask_cors import CORS as FlaskCORS

        FlaskCORS(
            app,
            origins=[ORIGIN],
            methods=list(METHODS),
            allow_headers=list(ALLOW_HEADERS),
            max_age=MAX_AGE,
        )
    elif subject != "bare":
        raise ValueError(f"unknown Flask subject {subject!r}")
    return app


FLASK_SUBJECTS = ("bare", "corecors", "flask-cors")


# -- Starlette (ASGI) ---------------------------------------------------------------------


def starlette_app(subject: str) -> Callable[..., Awaitable[None]]:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware as StarletteCORS
    from starlette.requests import Request as StarletteRequest
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def hello(request: StarletteRequest) -> PlainTextResponse:
        return PlainTextResponse("Hello, World!")

    middleware = []
    if subject == "starlette-cors":
        middleware.append(
            Middleware(
                StarletteCORS,
                allow_origins=[ORIGIN],
                allow_methods=list(METHODS),
                allow_headers=list(ALLOW_HEADERS),
                max_age=MAX_AGE,
            )
        )
    elif subject not in ("bare", "corecors"):
        raise ValueError(f"unknown Starlette subject {subject!r}")
    app = Starlette(
        routes=[Route("/", hello, methods=["GET", "PUT", "DELETE"])], middleware=middleware
    )
    if subject == "corecors":
        from corecors.adapters.asgi import CORSMiddleware as CorecorsASGI

        # Wrapped around the app object, as its docs say, so that it also
        # sees the responses of Starlette's outermost error middleware.
        return CorecorsASGI(app, CONFIG)
    return app


STARLETTE_SUBJECTS = ("bare", "corecors", "starlette-cors")


async def asgi_receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def asgi_send(message: MutableMapping[str, Any]) -> None:
    return None


def asgi_runner(
    app: Callable[..., Awaitable[None]], scope: dict[str, Any], loop: asyncio.AbstractEventLoop
) -> Callable[[int], float]:
    """A function that drives *app* *n* times on *loop* and returns seconds."""
    from time import perf_counter

    async def many(n: int) -> float:
        copy = dict.copy
        receive, send = asgi_receive, asgi_send
        start = perf_counter()
        for _ in range(n):
            await app(copy(scope), receive, send)
        return perf_counter() - start

    def run(n: int) -> float:
        return loop.run_until_complete(many(n))

    return run


def check_wsgi(app: WSGIApp, environ: Environ) -> tuple[str, Headers]:
    """Call *app* once and return its status and headers (a sanity check)."""
    seen: list[tuple[str, Headers]] = []

    def start_response(status: str, headers: Headers, exc_info: Any = None) -> None:
        seen.append((status, headers))

    body = app(dict(environ), start_response)
    for _ in body:
        pass
    close = getattr(body, "close", None)
    if close is not None:
        close()
    return seen[-1]


__all__ = [
    "ACTUAL_ONLY", "ADVERSARIAL", "CONFIG", "FLASK_SUBJECTS", "KINDS", "KIND_BY_NAME",
    "STARLETTE_SUBJECTS", "WSGI_SUBJECTS", "Kind", "asgi_runner", "bare_wsgi_app", "check_wsgi",
    "decide", "empty_call", "flask_app", "starlette_app",
]
