"""Cost guard: what one decision and one middleware call may cost, in counts.

Nothing here is timed. Time on a shared CI machine is noise; the number of
Python-level function calls a decision makes, and the bytes it allocates,
are exact and repeatable, and they are what the time is made of: in
CPython each Python-level call costs tens of nanoseconds on top of the work
it does, so a regression that adds a helper call, a regex match or a
per-request log line to the hot path shows up here as a failed pin before
it shows up in ``python3 bench/run.py`` (see docs/performance.md).

The pins are small upper bounds on the steady state (the first request of
a kind warms the config's tables), plus the bounds that make adversarial
input harmless: allocations that do not grow with the header's size.
Only public names are used.
"""

from __future__ import annotations

import logging
import os
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from types import FrameType
from typing import Any

import pytest

import corecors
import corecors.adapters.wsgi
from corecors import Config, Request, decide
from corecors.adapters.wsgi import CORSMiddleware

ORIGIN = "https://app.example.com"
OTHER = "https://evil.example"
CONFIG = Config(
    allow_origins=[ORIGIN],
    allow_methods=["GET", "PUT", "DELETE"],
    allow_headers=["Content-Type", "X-Requested-With"],
    max_age=600,
)

#: Directories whose Python functions count as corecors' own calls.
OURS = (
    os.path.dirname(corecors.__file__) + os.sep,
    os.path.dirname(corecors.adapters.wsgi.__file__) + os.sep,
)


# -- the request kinds the benchmark measures ------------------------------------


def _preflight(origin: str, requested: str | None) -> dict[str, str]:
    headers = {"Origin": origin, "Access-Control-Request-Method": "PUT"}
    if requested is not None:
        headers["Access-Control-Request-Headers"] = requested
    return headers


KINDS: dict[str, tuple[str, dict[str, str]]] = {
    "no origin": ("GET", {}),
    "allowed actual": ("GET", {"Origin": ORIGIN}),
    "disallowed actual": ("GET", {"Origin": OTHER}),
    "allowed preflight": ("OPTIONS", _preflight(ORIGIN, "content-type,x-requested-with")),
    "rejected preflight": ("OPTIONS", _preflight(OTHER, "content-type")),
}


def adversarial(name: str, scale: int) -> str:
    """An adversarial Access-Control-Request-Headers value.

    Scale 10 is the benchmark's size, 100 ten times that: both are far past
    the bound corecors reads, which is the point.
    """
    if name == "commas":
        return "," * (10_000 * scale)  # 100,000 commas
    if name == "names":
        return ",".join(f"x-custom-{i}" for i in range(200 * scale))  # 2,000 names
    return "x" * (10_000 * scale)  # one 100 KB name


ADVERSARIAL = ("commas", "names", "long name")


def environ_for(method: str, headers: dict[str, str]) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


# -- counting -------------------------------------------------------------------------


@dataclass
class Calls:
    """Function calls seen while one callable ran."""

    python: list[str] = field(default_factory=list)  # corecors' own Python functions
    builtins: list[str] = field(default_factory=list)  # C functions called from corecors
    other: list[str] = field(default_factory=list)  # Python functions outside corecors

    def __str__(self) -> str:
        return f"corecors: {self.python}; builtins: {self.builtins}; other: {self.other}"


def count_calls(action: Callable[[], object]) -> Calls:
    calls = Calls()
    action_code = getattr(action, "__code__", None)

    def profile(frame: FrameType, event: str, arg: object) -> None:
        ours = frame.f_code.co_filename.startswith(OURS)
        if event == "call":
            if frame.f_code is action_code:
                return  # the test's own wrapper
            (calls.python if ours else calls.other).append(frame.f_code.co_qualname)
        elif event == "c_call" and ours:
            calls.builtins.append(getattr(arg, "__qualname__", repr(arg)))

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return calls


@contextmanager
def traced() -> Iterator[Callable[[], tuple[int, int]]]:
    """Trace allocations; yields a function giving (current, peak) above the start."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]

    def above_start() -> tuple[int, int]:
        current, peak = tracemalloc.get_traced_memory()
        return current - base, peak - base

    try:
        yield above_start
    finally:
        if not was_tracing:
            tracemalloc.stop()


def peak_bytes(action: Callable[[], object]) -> int:
    with traced() as memory:
        result = action()
        peak = memory()[1]
        del result
    return peak


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def hello_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


def drain(middleware: CORSMiddleware, environ: dict[str, Any]) -> list[bytes]:
    return list(middleware(environ, _start_response))


# -- decide(): Python calls per decision, steady state -------------------------------------

#: At most this many Python-level calls (decide itself included) and calls of
#: built-in functions per decision, once the config's tables are warm. A
#: request with an Origin makes one len() (the length cap, checked before any
#: lookup hashes the value) and one dict.get (the origin's verdict).
DECIDE_PINS = {
    "no origin": (1, 0),
    "allowed actual": (1, 2),
    "disallowed actual": (1, 2),
    "allowed preflight": (1, 6),
    "rejected preflight": (1, 7),
}


@pytest.mark.parametrize("kind", list(DECIDE_PINS), ids=list(DECIDE_PINS))
def test_a_warm_decision_makes_few_python_calls(kind: str) -> None:
    request = Request.from_headers(*KINDS[kind])
    # Seen twice, an origin is remembered (the first sighting waits in the
    # probation table, so that a scan of one-off origins cannot crowd it out).
    decide(request, CONFIG)
    first = decide(request, CONFIG)
    calls = count_calls(lambda: decide(request, CONFIG))
    python_pin, builtin_pin = DECIDE_PINS[kind]
    assert calls.python[:1] == ["decide"]
    assert len(calls.python) <= python_pin, calls
    assert len(calls.builtins) <= builtin_pin, calls
    assert not calls.other, calls
    assert decide(request, CONFIG) == first


def test_an_allowed_actual_decision_is_one_lookup_with_no_python_helper() -> None:
    request = Request("GET", origin=ORIGIN)
    decide(request, CONFIG)
    calls = count_calls(lambda: decide(request, CONFIG))
    assert calls.python == ["decide"], calls
    assert calls.builtins == ["len", "dict.get"], calls


def test_a_cold_decision_is_still_bounded() -> None:
    # The first request of each kind on a fresh config fills its tables.
    for kind, (method, headers) in KINDS.items():
        config = CONFIG.replace()
        request = Request.from_headers(method, headers)
        calls = count_calls(partial(decide, request, config))
        # decide, the origin's verdict and matcher (a listed origin's
        # Decision is made at its first request), the header check, a Decision
        assert len(calls.python) <= 10, (kind, calls)
        assert len(calls.builtins) <= 30, (kind, calls)


# -- adversarial preflights: bounded work and memory ------------------------------------------


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_adversarial_preflight_work_does_not_grow_with_the_header(name: str) -> None:
    counts = []
    for scale in (10, 100):
        request = Request("OPTIONS", origin=ORIGIN, request_method="PUT",
                          request_headers=adversarial(name, scale))
        decide(request, CONFIG)
        calls = count_calls(partial(decide, request, CONFIG))
        assert len(calls.python) <= 2, calls
        assert len(calls.builtins) <= 7, calls  # four of them len(): the caps, checked first
        counts.append((len(calls.python), len(calls.builtins)))
    assert counts[0] == counts[1]


#: Bytes an adversarial decision may allocate at its peak whatever the
#: header's size (100 KB and 1 MB here), and the most the peak may differ
#: between the two sizes. Warm, the refusal is a shared Decision and almost
#: nothing is allocated; cold, the config's refusal table gets its entry.
#: The slack covers allocator and interpreter differences, not the header.
ADVERSARIAL_PEAK_BYTES = {"warm": (512, 64), "cold": (1024, 128)}


@pytest.mark.parametrize("name", ADVERSARIAL)
@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_adversarial_preflight_memory_is_bounded_and_flat(name: str, warm: bool) -> None:
    peaks = []
    for scale in (10, 100):
        request = Request("OPTIONS", origin=ORIGIN, request_method="PUT",
                          request_headers=adversarial(name, scale))
        decision = decide(request, CONFIG)
        assert not decision.allowed
        assert decision.reasons == ("headers_over_limit",)
        config = CONFIG if warm else CONFIG.replace()
        peaks.append(peak_bytes(partial(decide, request, config)))
    bound, slack = ADVERSARIAL_PEAK_BYTES["warm" if warm else "cold"]
    assert max(peaks) <= bound, peaks
    assert peaks[1] <= peaks[0] + slack, f"peak grew with the header: {peaks}"


def test_a_flood_of_distinct_origins_retains_bounded_memory() -> None:
    config = CONFIG.replace()

    def flood(start: int, count: int) -> None:
        for i in range(start, start + count):
            decide(Request("GET", origin=f"https://host{i}.example"), config)
            decide(Request("OPTIONS", origin=f"https://host{i}.example", request_method="PUT",
                           request_headers=f"x-h{i}"), config)

    flood(0, 3000)  # past every table's bound
    with traced() as memory:
        flood(3000, 3000)
        first = memory()[0]
        flood(6000, 30000)
        retained = memory()[0]
    # One-off origins only ever fill the probation table (MAX_CACHED entries),
    # which starts afresh when full: ten times the flood retains no more.
    assert first <= 400_000, f"{first} bytes retained by 3,000 more origins"
    assert retained <= first + 200_000, f"{retained} bytes after 30,000 more, {first} after 3,000"


# -- the WSGI middleware: per call --------------------------------------------------------------

#: corecors' own Python calls per middleware call (the app and the server's
#: start_response are not counted), and bytes allocated at the peak.
WSGI_PINS = {
    "no origin": (4, 1024),
    "allowed actual": (4, 1024),
    "disallowed actual": (4, 1024),
    # decide_cgi hands a preflight to decide() with a Request: one more call.
    "allowed preflight": (4, 768),
    "rejected preflight": (4, 768),
}


def _middleware_call(kind: str) -> tuple[CORSMiddleware, list[dict[str, Any]]]:
    middleware = CORSMiddleware(hello_app, CONFIG)
    environ = environ_for(*KINDS[kind])
    for _ in range(2):  # warm: an origin seen twice is remembered (see Compiled.actual_for)
        list(middleware(dict(environ), _start_response))
    return middleware, [dict(environ) for _ in range(4)]


@pytest.mark.parametrize("kind", list(WSGI_PINS), ids=list(WSGI_PINS))
def test_a_middleware_call_makes_few_python_calls(kind: str) -> None:
    middleware, environs = _middleware_call(kind)
    calls = count_calls(lambda: list(middleware(environs.pop(), _start_response)))
    python_pin, _ = WSGI_PINS[kind]
    assert calls.python[0] == "CORSMiddleware.__call__", calls
    assert len(calls.python) <= python_pin, calls


@pytest.mark.parametrize("kind", list(WSGI_PINS), ids=list(WSGI_PINS))
def test_a_middleware_call_allocates_little(kind: str) -> None:
    middleware, environs = _middleware_call(kind)
    environ = environs.pop()
    peak = peak_bytes(lambda: list(middleware(environ, _start_response)))
    assert peak <= WSGI_PINS[kind][1], f"{peak} bytes"


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_adversarial_preflight_through_the_middleware_is_flat(name: str) -> None:
    middleware = CORSMiddleware(hello_app, CONFIG)
    peaks = []
    for scale in (10, 100):
        environ = environ_for("OPTIONS", _preflight(ORIGIN, adversarial(name, scale)))
        list(middleware(dict(environ), _start_response))
        copy = dict(environ)
        peaks.append(peak_bytes(partial(drain, middleware, copy)))
    assert max(peaks) <= 768, peaks
    assert peaks[1] <= peaks[0] + 64, peaks


def test_the_fast_request_builder_gives_every_field() -> None:
    # Request.from_cgi builds its tuple directly, for speed: a field added to
    # Request must be added there too, or this fails.
    environ = environ_for("GET", {
        **_preflight(ORIGIN, "content-type"),
        "Access-Control-Request-Private-Network": "true",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    })
    built = Request.from_cgi(environ)
    assert len(built) == len(Request._fields)
    assert built == Request(
        "GET", origin=ORIGIN, request_method="PUT", request_headers="content-type",
        private_network=True, websocket=True,
    )


# -- the Flask extension ----------------------------------------------------------------

#: corecors' own Python calls in one Flask request, by kind: the layer around
#: wsgi_app, the decision, the response class and Decision.apply. No
#: start_response wrapper, no URL value preprocessor, and no log call
#: unless the logger is enabled for DEBUG (a refused request asks it).
_FLASK_CALLS = ["CORSState.__call__", "decide_cgi", "__call__", "Decision.apply"]
FLASK_PINS = {"allowed actual": False, "no origin": False, "disallowed actual": True}


@pytest.mark.parametrize("kind", list(FLASK_PINS), ids=list(FLASK_PINS))
def test_a_flask_request_makes_few_corecors_calls(kind: str) -> None:
    from flask import Flask

    from corecors.adapters.flask import CORS

    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        return "hello"

    CORS(app, config=CONFIG)
    method, headers = KINDS[kind]
    environ = environ_for(method, headers)
    environ["PATH_INFO"] = "/"
    list(app(dict(environ), _start_response))  # the first request settles the scopes
    # As in production: the extension's logger below DEBUG (another test,
    # or a docs example, may have left it at DEBUG).
    logger = logging.getLogger("corecors.flask")
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        calls = count_calls(lambda: list(app(dict(environ), _start_response)))
    finally:
        logger.setLevel(level)
    ours = [name.rpartition(".<locals>.")[2] for name in calls.python]
    assert ours == _FLASK_CALLS, calls
    assert ("Logger.isEnabledFor" in calls.other) is FLASK_PINS[kind], calls
