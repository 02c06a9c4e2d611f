"""Report-only trials through the WSGI and ASGI middleware: nothing to wire."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from typing import Any

import pytest
from werkzeug.test import Client

from corecors import Config, Policy, TrialCounts
from corecors.adapters.asgi import CORSMiddleware as ASGIMiddleware
from corecors.adapters.wsgi import CORSMiddleware as WSGIMiddleware

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

A = "https://a.example"
B = "https://b.example"
LOOSE = Config(allow_origins=[A, B], allow_methods=["PUT"])
TIGHT = Config(allow_origins=[A], allow_methods=["PUT"])


def wsgi_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


def test_a_trial_through_wsgi_enforces_the_first_and_reports(
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy = Policy(LOOSE, report_only=TIGHT)
    client = Client(WSGIMiddleware(wsgi_app, policy))
    with caplog.at_level(logging.INFO, logger="corecors.report_only"):
        allowed = client.get("/", headers={"Origin": B})
        preflight = client.options(
            "/", headers={"Origin": B, "Access-Control-Request-Method": "PUT"})
        client.get("/", headers={"Origin": A})
    assert allowed.headers["Access-Control-Allow-Origin"] == B
    assert preflight.status_code == 204
    assert policy.trial_counts == TrialCounts(decided=3, differ=2, would_refuse=2)
    assert [r.getMessage() for r in caplog.records if r.name == "corecors.report_only"] == [
        "report-only: actual request: enforced allowed, trial refused(origin_not_allowed)",
        "report-only: preflight request: enforced allowed, trial refused(origin_not_allowed)",
    ]


def test_a_trial_through_asgi_enforces_the_first_and_reports() -> None:
    policy = Policy(LOOSE)
    client = TestClient(ASGIMiddleware(asgi_app, policy))
    policy.report_only(TIGHT)
    allowed = client.get("/", headers={"Origin": B})
    preflight = client.options("/", headers={"Origin": B, "Access-Control-Request-Method": "PUT"})
    assert allowed.headers["access-control-allow-origin"] == B
    assert preflight.status_code == 204
    assert policy.trial_counts == TrialCounts(decided=2, differ=2, would_refuse=2)
