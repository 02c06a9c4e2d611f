"""Real servers for the tests, on 127.0.0.1 and a free port, started and stopped.

One copy of each: ``uvicorn_serving`` runs an ASGI app in a uvicorn thread.
(``tests/conftest.py`` puts this directory on ``sys.path``.)
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
