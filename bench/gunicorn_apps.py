"""The Flask hello apps gunicorn serves in the end-to-end rows.

``gunicorn gunicorn_apps:bare`` (or ``corecors``, ``flask_cors``, ``mixed``),
with ``bench/`` on the Python path. Each serves its app at ``/<name>``
(``/bare``, ``/corecors``, ``/flask-cors``; ``mixed`` serves all three) and
counts the CPU time the app spends on each request; ``/_stats`` returns the
sums so far and resets them.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from subjects import flask_app


class Timed:
    """Apps picked by the path's name, with the thread CPU time each spends
    on its requests summed per app (the server's own work, parsing and
    sockets, is not counted: it is the same for every app).

    Served together (``mixed``), with wrk sending the three kinds of request
    in turn, the apps share the worker, its caches and the moment.

    The sums live in shared memory made before gunicorn forks its workers
    (it runs with ``--preload``): each worker adds to its own slot, and
    ``/_stats`` adds the slots up. It is read between wrk runs only.
    """

    SLOTS = 16

    def __init__(self, apps: dict[str, Callable[..., Iterable[bytes]]]) -> None:
        self.apps = apps
        self.index = {name: i for i, name in enumerate(apps)}
        self.width = 1 + 2 * len(apps)  # per slot: pid, then ns and count per app
        self.shared = multiprocessing.RawArray("q", self.SLOTS * self.width)
        self.claim = multiprocessing.Lock()
        self.lock = threading.Lock()
        self.slot = -1
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        self.slot = -1
        self.lock = threading.Lock()

    def _claim(self) -> int:
        pid = os.getpid()
        with self.claim:
            for base in range(0, self.SLOTS * self.width, self.width):
                if self.shared[base] in (0, pid):
                    self.shared[base] = pid
                    self.slot = base
                    return base
        raise RuntimeError("more workers than Timed.SLOTS")

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        name = environ["PATH_INFO"].strip("/")
        app = self.apps.get(name)
        if app is None:
            return self._stats(start_response)
        environ["PATH_INFO"] = "/"
        clock = time.thread_time_ns
        start = clock()
        # The whole response, body and close() included, inside the clock.
        iterable = app(environ, start_response)
        try:
            body = list(iterable)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        used = clock() - start
        with self.lock:
            base = self.slot if self.slot >= 0 else self._claim()
            at = base + 1 + 2 * self.index[name]
            self.shared[at] += used
            self.shared[at + 1] += 1
        return body

    def _stats(self, start_response: Callable[..., Any]) -> list[bytes]:
        sums = {name: [0, 0] for name in self.apps}
        shared = self.shared
        for base in range(0, self.SLOTS * self.width, self.width):
            for name, i in self.index.items():
                at = base + 1 + 2 * i
                sums[name][0] += shared[at]
                sums[name][1] += shared[at + 1]
                shared[at] = shared[at + 1] = 0
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(sums).encode()]


_APPS = {name: flask_app(name) for name in ("bare", "corecors", "flask-cors")}
bare = Timed({"bare": _APPS["bare"]})
corecors = Timed({"corecors": _APPS["corecors"]})
flask_cors = Timed({"flask-cors": _APPS["flask-cors"]})
mixed = Timed(_APPS)
