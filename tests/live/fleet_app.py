"""The fleet app: one SQLSource on PostgreSQL per gunicorn worker.

Each worker imports this module after the fork (no ``--preload``), so each
has its own connection, LISTENing on ``corecors``. The polling interval is
``FLEET_INTERVAL`` seconds (60 in the test, so that only a NOTIFY can bring
a worker along in time). Responses name the worker in ``X-Worker``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from typing import Any

import psycopg

from corecors import Config, Policy
from corecors.adapters.wsgi import CORSMiddleware
from corecors.sources import SQLSource

policy = Policy(Config())
source = SQLSource(
    functools.partial(psycopg.connect, os.environ["FLEET_DB"], autocommit=True),
    policy,
    Config(allow_origins=["https://base.example"]),
    listen="corecors",
    interval=float(os.environ.get("FLEET_INTERVAL", "60")),
).start()


def hello(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2"),
                              ("X-Worker", str(os.getpid()))])
    return [b"ok"]


app = CORSMiddleware(hello, policy)
