"""The WSGI application test_wsgi_server.py serves under gunicorn.

Not a test module: gunicorn imports it by name (``wsgi_server_app:application``)
in its worker processes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from corecors import Config
from corecors.adapters.wsgi import CORSMiddleware

APP = "http://app.localhost:8080"
CONFIG = Config(allow_origins=[APP], allow_methods=["GET", "PUT"], allow_credentials=True)


def generated(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    # A generator app: its first step runs when the server iterates it.
    if environ["PATH_INFO"] == "/generator-boom":
        raise RuntimeError("generator failed before start_response")
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"generated"


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path.startswith("/generator"):
        return generated(environ, start_response)
    if path == "/boom":
        raise RuntimeError("failed before start_response")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


application = CORSMiddleware(app, CONFIG)
