"""The Chromium conformance suite's machinery: real servers, a real browser.

Everything here runs on loopback only. One *page server* bound to
127.0.0.1 answers under many host names (``app.corecors.localhost``,
``localhost``, ``127.0.0.1`` ...; Chromium resolves every ``*.localhost`` name
to loopback itself), so each name is a different origin; a second one on
another port gives the same names another origin, and a third on 127.0.0.2
is a different site altogether. The *API server* on 127.0.0.1 is reached as
``http://api.corecors.localhost:PORT``: cross-origin to every page, but
same-site with ``app.corecors.localhost`` (see docs/browser-tests.md for why
that matters to cookies). A second API server on 127.0.0.3 is the target of
cross-origin redirects.

Each API server mounts the same small Flask application (:func:`make_app`)
many times under path prefixes, each behind one named configuration
(:func:`configs`):

``/w/<config>/...``   behind :class:`corecors.adapters.wsgi.CORSMiddleware`
``/f/<config>/...``   with :class:`corecors.adapters.flask.CORS` on the app
``/f/decorated/...``  with a ``cross_origin`` view policy as well
``/w/raw/...``        the middleware around a bare WSGI app that raises
``/w/raw_generator/...`` the same around a generator app that raises
                      before it calls ``start_response``
``/f/blueprint_only/...`` the Flask extension with a policy only on the
                      blueprint at ``/api``
``/bare/...``         no CORS at all (negative control)
``/hand/<name>/...``  hand-written CORS headers corecors refuses to send, and
                      a body-buffering layer (negative controls)

A recorder in front of everything keeps every request as the server
received it (raw method, path, headers) and the status it answered, keyed
by the ``t`` query parameter: each test uses its own tag, so tests share the
servers and one browser context without seeing each other's requests, and
no two tests share a preflight-cache entry (Chromium keys it by URL).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

import pytest
from flask import Flask, Response, abort, g, redirect, request
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from corecors import Config
from corecors.adapters.wsgi import CORSMiddleware

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from playwright.sync_api import BrowserContext, Page, Playwright

CHROMIUM_HELP = "install Debian's chromium: apt-get install chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Chromium's switch for the Fetch rule it does not enforce by default yet.
STRICT_FEATURE = "CorsNonWildcardRequestHeadersSupport"
#: Upper bound for anything the browser is asked to do, in milliseconds.
BROWSER_TIMEOUT_MS = 20_000
#: How long the event stream waits for the page to acknowledge one event.
ACK_TIMEOUT_S = 10.0
ADAPTERS = ("wsgi", "flask")
COOKIE_ATTRIBUTES = "Path=/; SameSite=Lax; HttpOnly"


# -- finding the browser ----------------------------------------------------


def resolve_chromium(
    environ: Mapping[str, str], which: Callable[[str], str | None] = shutil.which
) -> str:
    """The Chromium to drive: ``$CORECORS_CHROMIUM`` or ``chromium`` on PATH.

    When it is missing this fails under CI (``$CI`` set) and skips locally,
    always with :data:`CHROMIUM_HELP`. A ``CORECORS_CHROMIUM`` that names no
    executable fails everywhere: somebody asked for that browser.
    """
    configured = environ.get("CORECORS_CHROMIUM")
    if configured:
        if Path(configured).is_file() and os.access(configured, os.X_OK):
            return configured
        pytest.fail(
            f"CORECORS_CHROMIUM={configured!r} is not an executable file; "
            f"unset it or {CHROMIUM_HELP}",
            pytrace=False,
        )
    found = which("chromium")
    if found:
        return found
    message = f"no chromium on PATH: {CHROMIUM_HELP} (or set CORECORS_CHROMIUM)"
    if environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# -- what the servers saw ---------------------------------------------------


@dataclass
class Seen:
    """One request as a server received it, and the status it answered."""

    server: str
    method: str  # raw REQUEST_METHOD: werkzeug's request.method upper-cases it
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)  # lower-case names

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def cookie(self, name: str) -> str | None:
        """The value of cookie *name* in the request's Cookie header, if any."""
        jar = SimpleCookie()
        jar.load(self.headers.get("cookie", ""))
        morsel = jar.get(name)
        return None if morsel is None else morsel.value


class Recorder:
    """Thread-safe log of requests and application events, keyed by tag."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._seen: list[tuple[str, Seen]] = []
        self._events: list[tuple[str, str]] = []
        self._acks: dict[tuple[str, int], threading.Event] = {}

    def wrap(self, server: str, app: WSGIApplication) -> WSGIApplication:
        def recorded(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            headers = {
                key[5:].replace("_", "-").lower(): value
                for key, value in environ.items()
                if key.startswith("HTTP_")
            }
            if environ.get("CONTENT_TYPE"):
                headers["content-type"] = environ["CONTENT_TYPE"]
            seen = Seen(server, environ["REQUEST_METHOD"], environ["PATH_INFO"], query, headers)
            with self._lock:
                self._seen.append((query.get("t", ""), seen))
                self._lock.notify_all()

            def recording_start_response(
                status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
            ) -> Any:
                seen.status = int(status.split(" ", 1)[0])
                seen.response_headers = {k.lower(): v for k, v in response_headers}
                return start_response(status, response_headers, exc_info)

            return app(environ, recording_start_response)

        return recorded

    def seen(self, tag: str, server: str | None = None) -> list[Seen]:
        with self._lock:
            return [s for t, s in self._seen if t == tag and server in (None, s.server)]

    def methods(self, tag: str, server: str | None = None) -> list[str]:
        return [s.method for s in self.seen(tag, server)]

    def event(self, tag: str, what: str) -> None:
        with self._lock:
            self._events.append((tag, what))
            self._lock.notify_all()

    def events(self, tag: str) -> list[str]:
        with self._lock:
            return [what for t, what in self._events if t == tag]

    def _ack_event(self, tag: str, n: int) -> threading.Event:
        with self._lock:
            return self._acks.setdefault((tag, n), threading.Event())

    def ack(self, tag: str, n: int) -> None:
        self._ack_event(tag, n).set()

    def wait_ack(self, tag: str, n: int, timeout: float) -> bool:
        return self._ack_event(tag, n).wait(timeout)


# -- the application behind every mount --------------------------------------


def make_app(recorder: Recorder, *, deny_preflight: bool = False) -> Flask:
    """The application every API mount serves, with or without CORS around it.

    Its ``before_request`` hook logs every OPTIONS it sees, and with
    *deny_preflight* answers it ``401`` (a policy that rejects preflights,
    for ``preflight_passthrough``). Views log that they ran.
    """
    app = Flask(__name__, root_path=str(Path(__file__).parent))

    @app.before_request
    def hook() -> Any:
        g.tag = request.args.get("t", "")
        if request.method == "OPTIONS":
            recorder.event(g.tag, "hook:OPTIONS")
            if deny_preflight:
                return Response("preflight refused by policy", status=401)
        return None

    def ran(view: str) -> None:
        recorder.event(g.tag, f"view:{view}:{request.environ['REQUEST_METHOD']}")

    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo() -> Response:
        ran("echo")
        body = {
            "method": request.environ["REQUEST_METHOD"],
            "cookie_header": request.headers.get("Cookie"),
            "cookies": dict(request.cookies),
            "content_type": request.headers.get("Content-Type"),
            "body": request.get_data(as_text=True),
            "authorization": request.headers.get("Authorization"),
            "x_header": request.headers.get("X-Token"),
        }
        response = Response(json.dumps(body), content_type="application/json")
        response.headers["X-Exposed"] = "exposed-value"
        response.headers["X-Hidden"] = "hidden-value"
        response.headers["Content-Language"] = "en"
        # An application that sets its own CORS header: corecors owns CORS
        # for its routes and must drop this one.
        response.headers["Access-Control-Allow-Origin"] = "http://stale.invalid"
        return response

    @app.route("/login")
    def login() -> Response:
        ran("login")
        response = Response("logged in", content_type="text/plain")
        name = request.args.get("cookie", "sid")
        response.headers["Set-Cookie"] = f"{name}={g.tag}; {COOKIE_ATTRIBUTES}"
        return response

    @app.route("/boom")
    def boom() -> Response:
        ran("boom")
        raise RuntimeError("the application failed (on purpose)")

    @app.route("/redirect", methods=["GET", "POST", "PUT"])
    def go() -> Any:
        ran("redirect")
        return redirect(request.args["to"], code=int(request.args.get("code", "302")))

    @app.route("/ack")
    def ack() -> Response:
        recorder.ack(g.tag, int(request.args["n"]))
        return Response("ok", content_type="text/plain")

    @app.route("/stream")
    def stream() -> Response:
        ran("stream")
        tag = g.tag
        count = int(request.args.get("n", "3"))
        wait = min(float(request.args.get("wait", ACK_TIMEOUT_S)), ACK_TIMEOUT_S)
        cookie = request.cookies.get(request.args.get("cookie", ""))

        def events() -> Iterator[str]:
            for n in range(count):
                recorder.event(tag, f"sent:{n}")
                yield f"data: {json.dumps({'n': n, 'cookie': cookie})}\n\n"
                if n + 1 < count:
                    # Event n+1 leaves only after the page acknowledged event
                    # n: a buffered body would never get that far.
                    acked = recorder.wait_ack(tag, n, wait)
                    recorder.event(tag, f"ack:{n}:{'seen' if acked else 'timeout'}")

        return Response(events(), content_type="text/event-stream",
                        headers={"Cache-Control": "no-store"})

    @app.route("/cached")
    def cached() -> Response:
        ran("cached")
        response = Response("fresh for a minute", content_type="text/plain")
        response.headers["Cache-Control"] = "public, max-age=60"
        return response

    @app.route("/status/<int:code>")
    def status(code: int) -> Response:
        ran("status")
        abort(code)

    return app


def raising_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """A bare WSGI application that raises: the middleware's own 500 path."""
    raise RuntimeError("raw WSGI application failed (on purpose)")


def raising_generator_app(
    environ: WSGIEnvironment, start_response: StartResponse
) -> Iterator[bytes]:
    """A bare WSGI generator app that raises in its first step, before it
    calls start_response: the middleware's 500 for a failing iterable."""
    raise RuntimeError("WSGI generator failed before start_response (on purpose)")
    yield b""  # a generator: the body above runs only when it is iterated


def blueprint_only_app(recorder: Recorder, origin: str) -> Flask:
    """The Flask extension with no app-level policy, and a policy (*origin*,
    PUT) only on the blueprint mounted at ``/api``."""
    from flask import Blueprint

    from corecors.adapters.flask import CORS

    app = make_app(recorder)
    api = Blueprint("api", __name__, url_prefix="/api")

    @api.get("/items")
    def items() -> Response:
        return Response("items", content_type="text/plain")

    app.register_blueprint(api)
    CORS(app).blueprint(api, allow_origins=[origin], allow_methods=["PUT"])
    return app


def buffering(app: WSGIApplication) -> WSGIApplication:
    """A broken CORS layer for the streaming control: it reads the whole body first."""

    def wrapped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return [b"".join(app(environ, start_response))]

    return wrapped


def quiet_errors(app: WSGIApplication) -> WSGIApplication:
    """Send the tracebacks the middleware writes to wsgi.errors nowhere."""

    class Sink:
        def write(self, _text: str) -> None:
            return None

        def flush(self) -> None:
            return None

    def wrapped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ["wsgi.errors"] = Sink()
        return app(environ, start_response)

    return wrapped


def hand_made(app: WSGIApplication, headers: Mapping[str, str]) -> WSGIApplication:
    """CORS headers written by hand, for controls corecors refuses to produce.

    ``{origin}`` in a value is replaced by the request's Origin. Preflights
    are answered 204 here; everything else goes to *app* with the headers
    added.
    """

    def rendered(environ: WSGIEnvironment) -> list[tuple[str, str]]:
        origin = environ.get("HTTP_ORIGIN", "")
        return [(k, v.replace("{origin}", origin)) for k, v in headers.items()]

    def wrapped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        preflight = "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        if environ["REQUEST_METHOD"] == "OPTIONS" and preflight:
            start_response("204 No Content", rendered(environ))
            return []

        def add(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [
                (k, v) for k, v in response_headers if not k.lower().startswith("access-control-")
            ]
            return start_response(status, kept + rendered(environ), exc_info)

        return app(environ, add)

    return wrapped


# -- servers ------------------------------------------------------------------


class QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        return None


@dataclass
class Server:
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.server.server_port

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve(host: str, app: WSGIApplication) -> Server:
    assert host.startswith("127."), "browser-suite servers bind loopback only"
    server = make_server(host, 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=f"serve-{host}",
        daemon=True,
    )
    thread.start()
    return Server(server, thread)


PAGE_HTML = """<!doctype html>
<meta charset="utf-8">
<title>corecors browser page</title>
<script>
"use strict";
// Every helper resolves (never rejects) with what the page could observe.
window.cc = {
  async fetch(url, init) {
    const options = Object.assign({}, init || {}, {signal: AbortSignal.timeout(15000)});
    try {
      const r = await fetch(url, options);
      const headers = {};
      r.headers.forEach((value, name) => { headers[name] = value; });
      const body = await r.text();
      return {readable: true, status: r.status, headers, body, url: r.url,
              redirected: r.redirected, type: r.type};
    } catch (e) {
      return {readable: false, error: e.name + ": " + e.message};
    }
  },
  xhr({method, url, headers, body, withCredentials, read}) {
    return new Promise((resolve) => {
      const x = new XMLHttpRequest();
      x.open(method, url);
      x.withCredentials = Boolean(withCredentials);
      x.timeout = 15000;
      for (const [name, value] of Object.entries(headers || {})) x.setRequestHeader(name, value);
      x.onload = () => resolve({
        readable: true, status: x.status, body: x.responseText,
        all: x.getAllResponseHeaders(),
        read: Object.fromEntries((read || []).map((n) => [n, x.getResponseHeader(n)])),
      });
      x.onerror = () => resolve({readable: false, status: x.status, error: "error event"});
      x.ontimeout = () => resolve({readable: false, status: x.status, error: "timeout"});
      x.send(body === undefined ? null : body);
    });
  },
  // Open an EventSource; acknowledge each event to ackUrl as it arrives.
  sse({url, ackUrl, count, withCredentials, timeoutMs}) {
    return new Promise((resolve) => {
      const got = [];
      let done = false;
      const es = new EventSource(url, {withCredentials: Boolean(withCredentials)});
      const finish = (extra) => {
        if (done) return;
        done = true;
        es.close();
        resolve(Object.assign({got}, extra));
      };
      es.onmessage = (e) => {
        got.push({data: JSON.parse(e.data), at: performance.now()});
        if (ackUrl) fetch(ackUrl + "&n=" + (got.length - 1), {mode: "no-cors"});
        if (got.length >= count) finish({complete: true});
      };
      es.onerror = () => finish({complete: false, error: "error event", readyState: es.readyState});
      setTimeout(() => finish({complete: false, error: "timeout"}), timeoutMs);
    });
  },
};
</script>
<p>corecors browser page</p>
"""


def page_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    body = PAGE_HTML.encode()
    start_response(
        "200 OK",
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


# -- the lab: servers, origins and configurations ------------------------------


@dataclass
class Origins:
    """Page origins, all served by the page servers."""

    app: str  # http://app.corecors.localhost:PP: the allowed origin
    deep: str  # http://deep.app.corecors.localhost:PP
    admin: str  # http://admin.corecors.localhost:PP
    base: str  # http://corecors.localhost:PP
    other_sub: str  # http://evil.localhost:PP
    localhost: str  # http://localhost:PP
    ip1: str  # http://127.0.0.1:PP
    ip2: str  # http://127.0.0.2:PQ: another site altogether
    app2: str  # http://app.corecors.localhost:PR: the allowed host on another port
    localhost2: str  # http://localhost:PR


def configs(o: Origins, page_port: int, page2_port: int) -> dict[str, dict[str, Any]]:
    """Named corecors configurations, each mounted under both adapters."""
    app_only = {"allow_origins": [o.app]}
    full = {
        **app_only,
        "allow_methods": ["GET", "POST", "PUT", "PATCH"],
        "allow_headers": ["X-Token", "Content-Type"],
        "expose_headers": ["X-Exposed"],
        "allow_credentials": True,
    }
    return {
        "basic": {
            **app_only,
            "allow_methods": ["GET", "POST", "PUT", "PATCH"],
            "allow_headers": ["X-Token", "Content-Type"],
            "expose_headers": ["X-Exposed"],
        },
        "lower": {**app_only, "allow_methods": ["patch"]},
        "star_methods": {**app_only, "allow_methods": "*"},
        "star_headers": {**app_only, "allow_methods": ["PUT"], "allow_headers": "*"},
        "star_headers_auth": {
            **app_only, "allow_methods": ["PUT"], "allow_headers": ["*", "Authorization"],
        },
        "creds": {
            "allow_origins": [o.app, o.localhost],
            "allow_credentials": True,
            "allow_methods": ["GET", "PUT"],
            "allow_headers": ["X-Token"],
            "expose_headers": ["X-Exposed"],
        },
        "creds_star_methods": {
            **app_only, "allow_credentials": True, "allow_methods": "*", "allow_headers": "*",
        },
        "no_creds": {"allow_origins": [o.app, o.localhost], "allow_methods": ["PUT"]},
        "plain": app_only,
        "expose_star": {**app_only, "expose_headers": "*"},
        "max60": {**app_only, "allow_methods": ["PUT"], "max_age": 60},
        "max1": {**app_only, "allow_methods": ["PUT"], "max_age": 1},
        "max0": {**app_only, "allow_methods": ["PUT"], "max_age": 0},
        "max_none": {**app_only, "allow_methods": ["PUT"], "max_age": -1},
        "sub_corecors": {
            "allow_origins": [f"http://*.corecors.localhost:{page_port}"],
            "allow_methods": ["PUT"],
        },
        "sub_localhost": {
            "allow_origins": [f"http://*.localhost:{page_port}"],
            "allow_methods": ["PUT"],
        },
        "any_port": {"allow_origins": ["http://localhost:*"], "allow_methods": ["PUT"]},
        "regex": {
            "allow_origin_regexes": [
                rf"http://127\.0\.0\.2:{page2_port}",
                rf"http://[a-z]+\.corecors\.localhost:{page_port}",
            ],
            "allow_methods": ["PUT"],
        },
        "passthrough": {**app_only, "allow_methods": ["PUT"], "preflight_passthrough": True},
        "star": {"allow_origins": "*", "allow_methods": ["PUT"], "allow_headers": ["X-Token"]},
        # Everything the negative-control scenarios need...
        "full": full,
        # ...and the same with the wrong origin (https, not http): the control.
        "wrong": {**full, "allow_origins": [o.app.replace("http://", "https://")]},
    }


#: Hand-written CORS headers (no corecors): controls showing what the
#: browser does with answers corecors refuses to give.
HAND_MADE: dict[str, dict[str, str]] = {
    # '*' with credentials: corecors raises ConfigError for this config.
    "star_creds": {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "PUT",
    },
    # 'Access-Control-Allow-Headers: *' does not cover Authorization.
    "acah_star": {
        "Access-Control-Allow-Origin": "{origin}",
        "Access-Control-Allow-Methods": "PUT",
        "Access-Control-Allow-Headers": "*",
    },
    # 'Access-Control-Expose-Headers: *' with credentials is the literal name '*'.
    "aceh_star_creds": {
        "Access-Control-Allow-Origin": "{origin}",
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": "*",
    },
    # Reflects the origin, no credentials: a working answer for the same requests.
    "reflect": {
        "Access-Control-Allow-Origin": "{origin}",
        "Access-Control-Allow-Methods": "PUT",
        "Access-Control-Allow-Headers": "*",
        "Access-Control-Expose-Headers": "*",
    },
}


def flask_mount(recorder: Recorder, options: Mapping[str, Any], how: int) -> WSGIApplication:
    """A Flask app with corecors' extension, set up one of three documented ways."""
    from corecors.adapters.flask import CORS

    deny = options.get("preflight_passthrough", False)
    app = make_app(recorder, deny_preflight=deny)
    if how == 0:
        CORS(app, config=Config(**options))
    elif how == 1:
        CORS(app, **options)
    else:
        CORS(config=Config(**options)).init_app(app)
    return app


def flask_available() -> str | None:
    """None when corecors.adapters.flask imports, else why not."""
    try:
        import corecors.adapters.flask  # noqa: F401
    except ImportError as exc:
        return f"corecors.adapters.flask does not import: {exc}"
    return None


class Lab:
    """The servers, origins and URL builders every test uses."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self._servers: list[Server] = []
        page = self._start("127.0.0.1", page_app)
        page2 = self._start("127.0.0.2", page_app)
        page3 = self._start("127.0.0.1", page_app)
        pp, pq, pr = page.port, page2.port, page3.port
        self.origins = Origins(
            app=f"http://app.corecors.localhost:{pp}",
            deep=f"http://deep.app.corecors.localhost:{pp}",
            admin=f"http://admin.corecors.localhost:{pp}",
            base=f"http://corecors.localhost:{pp}",
            other_sub=f"http://evil.localhost:{pp}",
            localhost=f"http://localhost:{pp}",
            ip1=f"http://127.0.0.1:{pp}",
            ip2=f"http://127.0.0.2:{pq}",
            app2=f"http://app.corecors.localhost:{pr}",
            localhost2=f"http://localhost:{pr}",
        )
        self.configs = configs(self.origins, pp, pq)
        self.flask_error = flask_available()
        api = self._start("127.0.0.1", self.recorder.wrap("api", self._mounts()))
        api2 = self._start("127.0.0.3", self.recorder.wrap("api2", self._mounts()))
        # Same-site with origins.app (site corecors.localhost), cross-origin to all pages.
        self.api = f"http://api.corecors.localhost:{api.port}"
        self.api2 = f"http://127.0.0.3:{api2.port}"

    def _start(self, host: str, app: WSGIApplication) -> Server:
        server = serve(host, app)
        self._servers.append(server)
        return server

    def _mounts(self) -> WSGIApplication:
        """Every mount, each with applications of its own (see the module docstring).

        The Flask mounts take turns at the three ways to set the extension
        up: ``CORS(app, config=...)``, ``CORS(app, **options)`` and
        ``CORS(config=...).init_app(app)``.
        """
        r = self.recorder
        mounts: dict[str, WSGIApplication] = {}
        for i, (name, options) in enumerate(self.configs.items()):
            deny = options.get("preflight_passthrough", False)
            mounts[f"/w/{name}"] = CORSMiddleware(
                make_app(r, deny_preflight=deny).wsgi_app, Config(**options)
            )
            if self.flask_error is None:
                mounts[f"/f/{name}"] = flask_mount(r, options, i % 3)
        # preflight_passthrough with a policy that lets preflights through.
        allow_through = self.configs["passthrough"]
        mounts["/w/passthrough_ok"] = CORSMiddleware(make_app(r).wsgi_app, Config(**allow_through))
        if self.flask_error is None:
            from corecors.adapters.flask import CORS

            ok_app = make_app(r)
            CORS(ok_app, config=Config(**allow_through))
            mounts["/f/passthrough_ok"] = ok_app
            mounts["/f/decorated"] = self._decorated_app()
        mounts["/w/raw"] = quiet_errors(
            CORSMiddleware(raising_app, Config(**self.configs["plain"]))
        )
        mounts["/w/raw_generator"] = quiet_errors(
            CORSMiddleware(raising_generator_app, Config(**self.configs["plain"]))
        )
        if self.flask_error is None:
            mounts["/f/blueprint_only"] = blueprint_only_app(r, self.origins.app)
        mounts["/hand/buffered"] = buffering(
            CORSMiddleware(make_app(r).wsgi_app, Config(**self.configs["plain"]))
        )
        for name, headers in HAND_MADE.items():
            mounts[f"/hand/{name}"] = hand_made(make_app(r).wsgi_app, headers)
        return DispatcherMiddleware(make_app(r).wsgi_app, {"/bare": make_app(r).wsgi_app, **mounts})

    def _decorated_app(self) -> Flask:
        """App policy ``basic`` (origins.app, PUT among others); ``/special`` has its own,
        given by the ``cross_origin`` view decorator (origins.ip2, PUT)."""
        from corecors.adapters.flask import CORS, cross_origin

        recorder = self.recorder
        app = make_app(recorder)

        @app.route("/special", methods=["GET", "PUT"])
        @cross_origin(allow_origins=[self.origins.ip2], allow_methods=["PUT"])
        def special() -> Response:
            recorder.event(request.args.get("t", ""), f"view:special:{request.method}")
            return Response("special", content_type="text/plain")

        CORS(app, config=Config(**self.configs["basic"]))
        return app

    def url(
        self, mount: str, path: str, tag: str, *, base: str | None = None, **params: Any
    ) -> str:
        """``{base}/{mount}{path}?t={tag}&...``; *mount* such as ``w/basic`` or ``bare``."""
        query = urlencode({"t": tag, **params})
        return f"{base or self.api}/{mount}{path}?{query}"

    def mount(self, adapter: str, config: str) -> str:
        """The mount of *config* under *adapter* (``wsgi`` or ``flask``)."""
        if adapter == "flask" and self.flask_error is not None:
            pytest.fail(self.flask_error, pytrace=False)
        return f"{adapter[0]}/{config}"

    def stop(self) -> None:
        for server in reversed(self._servers):
            server.stop()


# -- the browser side -----------------------------------------------------------


@dataclass
class Outcome:
    """What the page could observe of one request."""

    readable: bool
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    error: str | None = None
    url: str | None = None
    redirected: bool = False
    read: dict[str, str | None] = field(default_factory=dict)  # XHR getResponseHeader
    all_headers: str = ""  # XHR getAllResponseHeaders

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Outcome:
        return cls(
            readable=bool(raw["readable"]),
            status=raw.get("status"),
            headers=dict(raw.get("headers") or {}),
            body=raw.get("body") or "",
            error=raw.get("error"),
            url=raw.get("url"),
            redirected=bool(raw.get("redirected")),
            read=dict(raw.get("read") or {}),
            all_headers=raw.get("all") or "",
        )

    def json(self) -> Any:
        return json.loads(self.body)


class Tab:
    """One page on one origin, with the page's console kept."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.console: list[str] = []
        page.on("console", lambda message: self.console.append(message.text))
        page.goto(origin + "/", wait_until="load")
        assert page.evaluate("location.origin") == origin

    def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
        credentials: str | None = None,
        form: Mapping[str, str] | None = None,
    ) -> Outcome:
        init: dict[str, Any] = {"method": method}
        if headers:
            init["headers"] = dict(headers)
        if credentials:
            init["credentials"] = credentials
        if form is not None:
            raw = self.page.evaluate(
                "([url, init, form]) => cc.fetch(url, Object.assign(init, "
                "{body: new URLSearchParams(form)}))",
                [url, init, dict(form)],
            )
            return Outcome.of(raw)
        if body is not None:
            init["body"] = body
        return Outcome.of(self.page.evaluate("([url, init]) => cc.fetch(url, init)", [url, init]))

    def xhr(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
        with_credentials: bool = False,
        read: Iterable[str] = (),
    ) -> Outcome:
        spec = {
            "method": method, "url": url, "headers": dict(headers or {}),
            "withCredentials": with_credentials, "read": list(read),
        }
        if body is not None:
            spec["body"] = body
        return Outcome.of(self.page.evaluate("(spec) => cc.xhr(spec)", spec))

    def event_source(
        self, url: str, *, count: int, ack_url: str | None, with_credentials: bool = False
    ) -> dict[str, Any]:
        spec = {
            "url": url, "ackUrl": ack_url, "count": count,
            "withCredentials": with_credentials,
            "timeoutMs": int(ACK_TIMEOUT_S * 1000) * (count + 1),
        }
        result: dict[str, Any] = self.page.evaluate("(spec) => cc.sse(spec)", spec)
        return result

    def watch_issues(self) -> list[dict[str, Any]]:
        """Start collecting DevTools issues (deprecations, CORS); return the list."""
        issues: list[dict[str, Any]] = []
        session = self.page.context.new_cdp_session(self.page)
        session.on("Audits.issueAdded", lambda event: issues.append(event["issue"]))
        session.send("Audits.enable")
        return issues

    def wait_until(self, check: Callable[[], bool], timeout_ms: int = 5000) -> bool:
        """Let the browser's events in until *check* holds (bounded); its last value."""
        deadline = time.monotonic() + timeout_ms / 1000
        while not check():
            if time.monotonic() > deadline:
                return False
            self.page.wait_for_timeout(50)
        return True

    def cors_error(self, timeout_ms: int = 5000) -> str:
        """The console's CORS message for the last blocked request (bounded wait).

        Chromium logs why it blocked a response; the message may arrive just
        after the script saw the failure, hence the wait.
        """
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            for text in reversed(self.console):
                if "blocked by CORS policy" in text:
                    return text
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no CORS error in the console; console was {self.console!r}")
            with contextlib.suppress(PlaywrightTimeoutError):  # reported above
                self.page.wait_for_event("console", timeout=left * 1000)


# -- fixtures -------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return resolve_chromium(os.environ)


@pytest.fixture
def chromium_resolver() -> Callable[[Mapping[str, str], Callable[[str], str | None]], str]:
    """:func:`resolve_chromium` itself, for the tests of the suite's own contract."""
    return resolve_chromium


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


def launch(
    playwright: Playwright, chromium_path: str, profile: Path, extra_args: Iterable[str] = ()
) -> BrowserContext:
    """A persistent context on a fresh profile directory, Debian's chromium."""
    ctx = playwright.chromium.launch_persistent_context(
        user_data_dir=str(profile),
        executable_path=chromium_path,
        headless=True,
        args=[*CHROMIUM_ARGS, *extra_args],
        timeout=60_000,
    )
    ctx.set_default_timeout(BROWSER_TIMEOUT_MS)
    return ctx


Launcher = Callable[[str, Sequence[str]], "BrowserContext"]


@pytest.fixture(scope="session")
def launch_browser(
    chromium_path: str, playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Launcher]:
    """``launch_browser(name, extra_args)``: one more browser, closed at session end."""
    contexts: list[BrowserContext] = []

    def launcher(name: str, extra_args: Sequence[str] = ()) -> BrowserContext:
        profile = tmp_path_factory.mktemp(f"chromium-{name}-profile")
        contexts.append(launch(playwright, chromium_path, profile, extra_args))
        return contexts[-1]

    yield launcher
    for ctx in contexts:
        ctx.close()


@pytest.fixture(scope="session")
def context(launch_browser: Launcher) -> BrowserContext:
    """One persistent Chromium context for the session, as shipped (default features).

    Safe to share: every test uses its own URLs (the tag), so neither the
    preflight cache nor cookies (named after the tag) carry between tests.
    """
    return launch_browser("default", ())


@pytest.fixture(scope="session")
def strict_context(launch_browser: Launcher) -> BrowserContext:
    """A second browser with Chromium's not-yet-default Fetch behaviour switched on:
    ``Access-Control-Allow-Headers: *`` no longer covers ``Authorization``."""
    return launch_browser("strict", [f"--enable-features={STRICT_FEATURE}"])


@pytest.fixture(scope="session")
def lab(chromium_path: str) -> Iterator[Lab]:
    """The servers (started only once a browser was found: no browser, no lab)."""
    lab = Lab()
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture
def open_tab_in() -> Iterator[Callable[[BrowserContext, str], Tab]]:
    """``open_tab_in(context, origin)``: a fresh page on *origin*, closed after the test."""
    pages: list[Page] = []

    def opener(context: BrowserContext, origin: str) -> Tab:
        page = context.new_page()
        pages.append(page)
        return Tab(page, origin)

    yield opener
    for page in pages:
        page.close()


@pytest.fixture
def open_tab(
    context: BrowserContext, open_tab_in: Callable[[BrowserContext, str], Tab]
) -> Callable[[str], Tab]:
    """``open_tab(origin)``: a fresh page on *origin* in the shared browser."""
    return lambda origin: open_tab_in(context, origin)


@pytest.fixture
def open_strict_tab(
    strict_context: BrowserContext, open_tab_in: Callable[[BrowserContext, str], Tab]
) -> Callable[[str], Tab]:
    """Like open_tab, in the browser with the stricter Fetch behaviour on."""
    return lambda origin: open_tab_in(strict_context, origin)


@pytest.fixture
def tag() -> str:
    """A tag no other test uses: it keys server records, URLs and cookies."""
    return uuid.uuid4().hex[:12]


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def asgi_serving() -> Callable[[Any], Any]:
    """``serving(app)`` of tests/adapters/test_asgi_server.py: uvicorn on
    127.0.0.1, a free port; a context manager that yields the port."""
    path = Path(__file__).resolve().parents[1] / "adapters" / "test_asgi_server.py"
    spec = importlib.util.spec_from_file_location("corecors_tests_asgi_server", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    serve: Callable[[Any], Any] = module.serving
    return serve
