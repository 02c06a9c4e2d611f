"""Real servers on 127.0.0.1 for the probe tests: werkzeug, gunicorn, uvicorn, nginx."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from servers import gunicorn_serving, uvicorn_serving
from werkzeug.serving import WSGIRequestHandler, make_server

HERE = Path(__file__).resolve().parent
TIMEOUT = 30.0
NGINX = "/usr/sbin/nginx"
NGINX_HELP = "install Debian's nginx: apt-get install nginx"


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@contextmanager
def serve_wsgi(app: Callable[..., Any]) -> Iterator[int]:
    """Serve a WSGI *app* with werkzeug in a thread; yield its port."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=TIMEOUT)


def serve_asgi(app: Any) -> AbstractContextManager[int]:
    """Serve an ASGI *app* with uvicorn in a thread; yield its port."""
    return uvicorn_serving(app)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.05)


@contextmanager
def serve_gunicorn(target: str, tmp_path: Path) -> Iterator[int]:
    """Run gunicorn on *target* (``module:app`` in this folder); yield its port."""
    with gunicorn_serving(target, HERE, tmp_path / "gunicorn.log") as port:
        yield port


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def resolve_nginx() -> str:
    """Debian's nginx; missing, it fails under CI and skips locally."""
    found = NGINX if os.access(NGINX, os.X_OK) else shutil.which("nginx")
    if found:
        return found
    message = f"no nginx at {NGINX} or on PATH: {NGINX_HELP}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


NGINX_CONF = """\
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            {extra}
        }}
    }}
}}
"""


@contextmanager
def serve_nginx(upstream: int, extra: str, tmp_path: Path) -> Iterator[int]:
    """Run a real nginx in front of 127.0.0.1:*upstream*; yield its port."""
    binary = resolve_nginx()
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, port=port, upstream=upstream, extra=extra))
    log = prefix / "stderr.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, proc, log)
        yield port
    finally:
        _stop(proc)
