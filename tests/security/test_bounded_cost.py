"""One decision costs a bounded amount, whatever size or count of headers a
request sends (the rs/cors advisory: many commas in
Access-Control-Request-Headers cost 127 ms and 121 MB there).

Memory is measured with tracemalloc: the peak allocated while one
``decide()`` runs. Time is measured by counting work, never by a clock:
the Python-level and C-level calls ``decide()`` makes (``sys.setprofile``),
and the characters of the request values it touches (a ``str`` subclass
that counts what its methods and its hash read). Both must be the same for
a 10 KB and a 1 MB input, and below a small constant.
"""

from __future__ import annotations

import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from sec_support import STATS

from corecors import Config, Request, decide

APP = "https://app.example.com"
SIZES = (10_000, 100_000, 1_000_000)
#: bytes one decision may allocate at its peak, whatever the request (the
#: largest request inside the limits, 63 echoed names, needs about 16 KB)
MEMORY_BOUND = 32 * 1024
#: calls (Python functions and C functions) one decision may make
CALL_BOUND = 600

CONFIGS = {
    "exact+pattern+regex": Config(
        allow_origins=[APP, "https://*.example.org"],
        allow_origin_regexes=[r"https://app[0-9]+\.example\.net"],
        allow_methods=["PUT", "PATCH"],
        allow_headers=["X-Custom", "Content-Type"],
        allow_credentials=True,
        expose_headers=["ETag"],
        allow_private_network=True,
    ),
    "any origin, any header": Config(allow_origins="*", allow_headers="*", allow_methods="*"),
    "credentials echo headers and method": Config(
        allow_origins=[APP], allow_headers="*", allow_methods="*", allow_credentials=True
    ),
}


def _names(size: int) -> str:
    out, total, i = [], 0, 0
    while total < size:
        name = f"x-h{i}"
        out.append(name)
        total += len(name) + 1
        i += 1
    return ",".join(out)


#: request shapes, each a function of the size of its big part
SHAPES: dict[str, Callable[[int], Request]] = {
    "ACRH of commas": lambda n: Request("OPTIONS", APP, "PUT", "," * n),
    "ACRH of many names": lambda n: Request("OPTIONS", APP, "PUT", _names(n)),
    "ACRH of one long name": lambda n: Request("OPTIONS", APP, "PUT", "x" * n),
    "ACRH of spaces": lambda n: Request("OPTIONS", APP, "PUT", " " * n),
    "long Origin, actual": lambda n: Request("GET", "https://" + "a" * n),
    "long Origin, preflight": lambda n: Request("OPTIONS", "https://" + "a" * n, "PUT"),
    "long allowed-looking Origin": lambda n: Request(
        "GET", "https://" + "a." * (n // 2) + "example.org"
    ),
    "long ACRM": lambda n: Request("OPTIONS", APP, "P" * n),
    "everything long": lambda n: Request(
        "OPTIONS", "https://" + "a" * n, "P" * n, ", " * (n // 2), private_network=True
    ),
}


def peak_allocation(request: Request, config: Config) -> int:
    decide(request, config)  # warm: fills any cache the first answer may fill
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        decide(request, config)
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def call_count(request: Request, config: Config) -> int:
    decide(request, config)
    calls = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(profile)
    try:
        decide(request, config)
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.parametrize("config_name", sorted(CONFIGS))
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_memory_per_decision_is_bounded_and_flat(shape: str, config_name: str) -> None:
    config = CONFIGS[config_name]
    peaks = [peak_allocation(SHAPES[shape](n), config) for n in SIZES]
    STATS["cost: tracemalloc measurements"] += len(peaks)
    assert max(peaks) < MEMORY_BOUND, (shape, config_name, peaks)
    # Flat: a 1 MB input costs no more than a 10 KB one (a few bytes of
    # interpreter noise aside).
    assert peaks[-1] <= peaks[0] + 256, (shape, config_name, peaks)


@pytest.mark.parametrize("config_name", sorted(CONFIGS))
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_calls_per_decision_do_not_depend_on_size(shape: str, config_name: str) -> None:
    config = CONFIGS[config_name]
    counts = [call_count(SHAPES[shape](n), config) for n in SIZES]
    STATS["cost: call-count measurements"] += len(counts)
    assert len(set(counts)) == 1, (shape, config_name, counts)
    assert counts[0] <= CALL_BOUND, (shape, config_name, counts)


def test_the_four_inputs_of_the_advisory_stay_small() -> None:
    """100,000 commas, 2,000 names, a 100 KB name, a 1 MB origin."""
    config = CONFIGS["exact+pattern+regex"]
    requests = [
        Request("OPTIONS", APP, "PUT", "," * 100_000),
        Request("OPTIONS", APP, "PUT", ",".join(f"x-custom-{i}" for i in range(2_000))),
        Request("OPTIONS", APP, "PUT", "x" * 100_000),
        Request("GET", "https://" + "a" * 1_000_000),
        Request("OPTIONS", "https://" + "a" * 1_000_000, "PUT", "x-custom"),
    ]
    for request in requests:
        decision = decide(request, config)
        assert not decision.allowed
        assert not any(n == "Access-Control-Allow-Origin" for n, _ in decision.headers)
        assert peak_allocation(request, config) < MEMORY_BOUND
        assert call_count(request, config) <= CALL_BOUND


def test_the_largest_accepted_request_is_within_the_bounds() -> None:
    """The worst request still inside the limits (64 names, 4 KB) costs no
    more than the bounds: they are not vacuous."""
    config = CONFIGS["credentials echo headers and method"]
    names = ",".join(f"x-{i:0>58}" for i in range(64))
    assert len(names) <= 4096
    request = Request("OPTIONS", APP, "PUT", names)
    decision = decide(request, config)
    assert decision.allowed
    assert call_count(request, config) <= CALL_BOUND
    assert peak_allocation(request, config) < MEMORY_BOUND
    over = Request("OPTIONS", APP, "PUT", names + ",x-one-too-many")
    assert decide(over, config).reasons == ("headers_over_limit",)


def test_the_largest_wildcard_request_is_within_the_bounds() -> None:
    """allow_headers='*' without credentials takes any number of names up to
    8 KB of value: scanned, never split, so within the same bounds."""
    config = CONFIGS["any origin, any header"]
    names = _names(8_000)
    assert names.count(",") > 1_000
    assert len(names) <= 8192
    request = Request("OPTIONS", APP, "PUT", names)
    decision = decide(request, config)
    assert decision.allowed
    assert ("Access-Control-Allow-Headers", "*") in decision.headers
    assert call_count(request, config) <= CALL_BOUND
    assert peak_allocation(request, config) < MEMORY_BOUND
    with_authorization = Request("OPTIONS", APP, "PUT", names[:8000] + ",authorization")
    assert decide(with_authorization, config).reasons == ("authorization_not_covered",)
    over = Request("OPTIONS", APP, "PUT", names + "," + "x" * (8192 - len(names)))
    assert decide(over, config).reasons == ("headers_over_limit",)


# -- characters examined ------------------------------------------------------------


class CountingStr(str):
    """A request value that counts the characters its operations read."""

    examined = 0

    def __hash__(self) -> int:
        CountingStr.examined += len(self)
        return str.__hash__(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            CountingStr.examined += min(len(self), len(other))
        return str.__eq__(self, other)


def _reads_all(name: str) -> Callable[..., Any]:
    method = getattr(str, name)

    def counted(self: str, *args: Any, **kwargs: Any) -> Any:
        CountingStr.examined += len(self)
        return method(self, *args, **kwargs)

    return counted


for _name in (
    "count",
    "split",
    "rsplit",
    "strip",
    "lstrip",
    "rstrip",
    "lower",
    "upper",
    "casefold",
    "find",
    "rfind",
    "index",
    "partition",
    "rpartition",
    "replace",
    "encode",
    "isascii",
    "isdigit",
    "startswith",
    "endswith",
    "__contains__",
    "__iter__",
    "__getitem__",
    "translate",
    "splitlines",
    "__format__",
    "__str__",
):
    setattr(CountingStr, _name, _reads_all(_name))


def characters_examined(request: Request, config: Config) -> int:
    counted = request._replace(
        **{
            field: CountingStr(value)
            for field in ("origin", "request_method", "request_headers")
            if isinstance((value := getattr(request, field)), str)
        }
    )
    CountingStr.examined = 0
    decide(counted, config)
    return CountingStr.examined


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_characters_examined_do_not_depend_on_size(shape: str) -> None:
    config = CONFIGS["exact+pattern+regex"]
    examined = [characters_examined(SHAPES[shape](n), config) for n in SIZES]
    STATS["cost: character-count measurements"] += len(examined)
    assert examined[0] == examined[-1], (shape, examined)
    assert examined[0] <= 16_384, (shape, examined)


def test_character_counter_sees_the_work() -> None:
    """The counter does count: a value read in full is seen in full."""
    value = CountingStr("x" * 5000)
    CountingStr.examined = 0
    value.split(",")
    hash(value)
    assert CountingStr.examined == 10_000


def test_cgi_and_header_parsing_of_one_huge_value_copy_nothing() -> None:
    """from_cgi and from_headers pass a single huge value through without a copy."""
    huge = "https://" + "a" * 1_000_000
    environ = {
        "REQUEST_METHOD": "GET",
        "HTTP_ORIGIN": huge,
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "," * 1_000_000,
    }
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        decide(Request.from_cgi(environ), CONFIGS["exact+pattern+regex"])
        decide(Request.from_headers("GET", [("Origin", huge)]), CONFIGS["exact+pattern+regex"])
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, peak


# -- a regex that could backtrack exponentially is refused at start-up -------------------


@pytest.mark.parametrize(
    "regex",
    [
        r"https://(a+)+\.example\.com",
        r"https://([a-z0-9]+)*\.example\.com",
        r"https://(\w+\.?)+\.example\.com",
    ],
)
def test_catastrophic_backtracking_regex_is_refused(regex: str) -> None:
    from corecors import ConfigError

    with pytest.raises(ConfigError):
        Config(allow_origin_regexes=[regex])
