"""Where the Flask extension's time goes: one layer of work at a time.

    python3 bench/flask_layers.py

A diagnostic beside the harness, not part of it. A Flask hello app is called
directly with a prebuilt environ; each variant wraps ``app.wsgi_app`` and
adds one more piece of what corecors does per request. Printed: the median
per request and the overhead over bare Flask, from interleaved repetitions.
The ``inline`` variant reads a private attribute of Decision on purpose: it
is the floor a middleware could reach if the header rule lived in it. The
``in response class`` variant decides and applies as the response starts,
with no layer around ``wsgi_app`` (so it cannot answer preflights): the
least any Flask integration must do for an actual request.
"""

from __future__ import annotations

import io
import random
import statistics
import timeit
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.test import EnvironBuilder

from corecors import Config, decide_cgi
from corecors.adapters.flask import CORS
from corecors.adapters.wsgi import CORSMiddleware

CONFIG = Config(allow_origins=["https://app.example.com"], allow_methods=["GET", "PUT"])
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def hello_app() -> Flask:
    app = Flask("hello")

    @app.get("/")
    def hello() -> str:
        return "hello"

    return app


def passthrough(app: WSGIApp) -> WSGIApp:
    def layer(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def wrapped(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, headers)

        return app(environ, wrapped)

    return layer


def inline(app: WSGIApp) -> WSGIApp:
    def layer(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        tail = decide_cgi(environ, CONFIG)._tail

        def wrapped(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, headers + tail)

        return app(environ, wrapped)

    return layer


def applied(app: WSGIApp) -> WSGIApp:
    def layer(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        apply = decide_cgi(environ, CONFIG).apply

        def wrapped(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, apply(headers))

        return app(environ, wrapped)

    return layer


def in_response_class(app: Flask) -> Flask:
    """Decide and apply as the response starts, with no layer around wsgi_app.

    Not a working extension: preflights would reach Flask's routing and
    before_request hooks. It is the least any Flask integration can do for an
    actual request, since it must decide and apply somewhere.
    """
    base = app.response_class

    class Decided(base):  # type: ignore[valid-type, misc]
        def __call__(
            self, environ: dict[str, Any], start_response: Callable[..., Any]
        ) -> Iterable[bytes]:
            app_iter, status, headers = self.get_wsgi_response(environ)
            start_response(status, decide_cgi(environ, CONFIG).apply(headers))
            return app_iter

    app.response_class = Decided
    return app


def main() -> None:
    apps: dict[str, Flask] = {"bare": hello_app()}
    for name, wrap in (("passthrough", passthrough), ("inline", inline), ("applied", applied)):
        app = hello_app()
        app.wsgi_app = wrap(app.wsgi_app)  # type: ignore[method-assign]
        apps[name] = app
    apps["in response class"] = in_response_class(hello_app())
    middleware = hello_app()
    middleware.wsgi_app = CORSMiddleware(middleware.wsgi_app, CONFIG)  # type: ignore[method-assign]
    apps["wsgi middleware"] = middleware
    extension = hello_app()
    CORS(extension, config=CONFIG)
    apps["flask extension"] = extension

    environ = EnvironBuilder(path="/", headers={"Origin": "https://app.example.com"}).get_environ()

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        return None

    def call(app: Flask) -> None:
        env = dict(environ, **{"wsgi.input": io.BytesIO()})
        body = app(env, start_response)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    samples: dict[str, list[float]] = {name: [] for name in apps}
    number = 3000
    for round_ in range(25):
        order = list(apps.items())
        random.Random(round_).shuffle(order)
        for name, app in order:
            samples[name].append(timeit.timeit(lambda app=app: call(app), number=number) / number)
    bare = statistics.median(samples["bare"])
    for name, values in samples.items():
        median = statistics.median(values)
        print(
            f"{name:18} {median * 1e6:7.2f} µs  {(median - bare) * 1e6:+6.2f} µs"
            f"  {(median - bare) / bare:6.1%}"
        )


if __name__ == "__main__":
    main()
