"""Real servers for the tests, on 127.0.0.1 and a free port, started and stopped.

One copy of each: ``uvicorn_serving`` runs an ASGI app in a uvicorn thread;
``process_serving`` runs a server process (``gunicorn_serving`` for gunicorn).
(``tests/conftest.py`` puts this directory on ``sys.path``.)
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

TIMEOUT = 10.0


@contextmanager
def uvicorn_serving(app: Any, **options: Any) -> Iterator[int]:
    """Serve the ASGI *app* with uvicorn (``uvicorn.Config`` *options*); yield its port."""
    import uvicorn  # only the tests that serve ASGI need it

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, access_log=False, **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=TIMEOUT)
        sock.close()


@contextmanager
def process_serving(
    argv: list[str],
    log: Path,
    listening: str,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    name: str = "the server",
) -> Iterator[int]:
    """Run *argv* (a server that binds 127.0.0.1 port 0), output to *log*; find
    its port with the regex *listening* (one group), wait until it accepts a
    connection, yield the port; stop it (terminate, then kill) at the end."""
    import pytest

    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            cwd=cwd,
        )
    try:
        port = None
        deadline = time.monotonic() + 3 * TIMEOUT
        while port is None and time.monotonic() < deadline and proc.poll() is None:
            found = re.search(listening, log.read_text())
            port = int(found.group(1)) if found else None
            time.sleep(0.05)
        if port is None:
            pytest.fail(f"{name} did not start:\n" + log.read_text())
        while True:  # until it accepts (bounded by the deadline)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{name} did not start:\n" + log.read_text())
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=TIMEOUT)


GUNICORN_LISTENING = r"Listening at: http://127\.0\.0\.1:(\d+)"


def gunicorn_serving(
    target: str, chdir: Path, log: Path, *, workers: int = 1, env: dict[str, str] | None = None
) -> AbstractContextManager[int]:
    """gunicorn serving *target* (``module:app`` in *chdir*) on 127.0.0.1."""
    argv = [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "--workers",
            str(workers), "--no-control-socket", "--chdir", str(chdir), target]  # fmt: skip
    return process_serving(argv, log, GUNICORN_LISTENING, env=env, name="gunicorn")
