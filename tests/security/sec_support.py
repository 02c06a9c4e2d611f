"""Shared pieces of the security tests: budgets, counters, log capture, and
the checks every response must pass whatever the request was."""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from hypothesis import HealthCheck, settings
from sec_fetch_model import Header, Server, byte_lowercase
from sec_policy import Policy

from corecors import Config, Request, decide

#: Cases run per category, printed at the end of the session (conftest.py).
STATS: Counter[str] = Counter()

#: ``CORECORS_FUZZ_EXAMPLES=200000 pytest tests/security -k fuzz`` runs a long
#: campaign: every Hypothesis test here takes that many examples instead of
#: its CI budget, draws fresh random data (no derandomize) and still keeps no
#: example database in the working tree.
LONG_RUN = os.environ.get("CORECORS_FUZZ_EXAMPLES", "").strip()


def budget(ci: int) -> settings:
    """Hypothesis settings: *ci* examples in CI, the env's count in a long run."""
    return settings(
        max_examples=int(LONG_RUN) if LONG_RUN else ci,
        deadline=None,
        database=None,
        derandomize=not LONG_RUN,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )


# -- a server made of corecors, as the model's browser sees it --------------

APP_HEADERS: tuple[Header, ...] = (
    ("Content-Type", "text/plain"),
    ("Vary", "Accept-Encoding"),
    ("X-Total", "42"),
    ("ETag", '"v1"'),
    ("X-Secret", "s"),
    ("Set-Cookie", "sid=1"),
    # An application that sets its own CORS headers: corecors owns CORS
    # here, so these must never reach the browser.
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Credentials", "true"),
    ("Access-Control-Allow-Methods", "*"),
)


def corecors_server(config: Config, policy: Policy, log: list[str] | None = None) -> Server:
    """A server whose CORS answers come from ``decide()`` and nothing else.

    Requests are described with :meth:`Request.from_headers`, as an adapter
    would; answered preflights are sent as they are; anything else reaches
    an application whose headers pass through :meth:`Decision.apply`. Every
    exchange is checked by :func:`check_response`.
    """

    def serve(method: str, headers: list[Header]) -> tuple[int, list[Header]]:
        request = Request.from_headers(method, headers)
        decision = decide(request, config)
        if decision.action == "respond":
            assert decision.status is not None
            status, response = decision.status, list(decision.headers)
        else:
            status, response = 200, decision.apply(APP_HEADERS)
        answered = decision.action == "respond"
        check_response(policy, method, headers, status, response, answered=answered)
        if log is not None:
            log.append(f"{method} {headers!r} -> {status} {response!r}")
        return status, response

    return serve


def cors_headers(headers: Sequence[Header]) -> list[Header]:
    return [(n, v) for n, v in headers if byte_lowercase(n).startswith("access-control-")]


def vary_tokens(headers: Sequence[Header]) -> set[str]:
    return {
        byte_lowercase(t.strip(" \t"))
        for n, v in headers
        if byte_lowercase(n) == "vary"
        for t in v.split(",")
    }


def check_response(
    policy: Policy,
    method: str,
    request_headers: Sequence[Header],
    status: int,
    response: Sequence[Header],
    *,
    answered: bool = False,
) -> None:
    """What must hold of any response corecors shapes, whatever was asked.

    *answered*: corecors answered this request itself (a preflight), so a
    non-2xx status is its refusal rather than the application's own.
    """
    for name, value in response:
        assert isinstance(name, str), name
        assert isinstance(value, str), (name, value)
        for bad in ("\r", "\n", "\0"):
            assert bad not in name + value, ("CR/LF/NUL in a header", name, value)
    lower = [(byte_lowercase(n), v) for n, v in response]
    acao = [v for n, v in lower if n == "access-control-allow-origin"]
    acac = [v for n, v in lower if n == "access-control-allow-credentials"]
    acapn = [v for n, v in lower if n == "access-control-allow-private-network"]
    origins = [v for n, v in request_headers if byte_lowercase(n) == "origin"]
    origin = ", ".join(origins) if origins else None
    assert len(acao) <= 1, ("more than one Access-Control-Allow-Origin", acao)
    if acao:
        if acao[0] == "*":
            assert policy.static, ("'*' sent for a policy that is not static '*'", policy)
        else:
            assert acao[0] == origin, ("ACAO is not the request's Origin", acao, origin)
            assert policy.origin_allowed(origin), ("ACAO for an origin not allowed", origin)
            assert not policy.static, "a static '*' policy echoed an origin"
    if acac:
        assert acac == ["true"], acac
        assert policy.credentials, ("ACAC for a config without credentials", response)
        assert acao, ("ACAC without ACAO", response)
        assert acao[0] != "*", ("ACAC with ACAO '*'", response)
    if acapn:
        assert acapn == ["true"], response
        assert policy.pna, ("ACAPN for a config without allow_private_network", response)
        assert method == "OPTIONS", ("ACAPN on a response that is no preflight", response)
        asked = [
            v.strip().lower()
            for n, v in request_headers
            if byte_lowercase(n) == "access-control-request-private-network"
        ]
        assert "true" in asked, ("ACAPN not asked for", asked)
    if answered and not 200 <= status <= 299:
        assert status == policy.failure_status, status
        assert not cors_headers(response), ("a refused preflight disclosed policy", response)
    # Fetch, "CORS protocol and HTTP caches": any answer that depends on
    # Origin must say so, on allowed, refused and origin-less requests alike.
    if not policy.static:
        assert "origin" in vary_tokens(response), ("Vary: Origin missing", response)


# -- logging -----------------------------------------------------------------


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured_logs() -> Iterator[RecordingHandler]:
    """Every log record, at DEBUG and above, from any logger, while inside."""
    handler = RecordingHandler()
    root = logging.getLogger()
    saved = root.level, logging.root.manager.disable
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.disable(logging.NOTSET)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        logging.disable(saved[1])


def assert_clean_logs(handler: RecordingHandler) -> None:
    """No log record's message carries a CR or LF (a forged log line)."""
    for record in handler.records:
        message = record.getMessage()
        assert "\r" not in message, (record.name, message)
        assert "\n" not in message, (record.name, message)
