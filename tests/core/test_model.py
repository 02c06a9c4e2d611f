"""Request and Decision: the plain data that crosses the core's boundary."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from corecors import Config, Decision, Request, decide, decide_cgi, merge_vary

APP = "https://app.example.com"
CONFIG = Config(allow_origins=[APP], allow_methods=["PUT"], allow_headers=["X-Token"])

# -- Request.from_headers --------------------------------------------------------

FROM_HEADERS = [
    pytest.param(
        {"Origin": APP, "Access-Control-Request-Method": "PUT"},
        Request("OPTIONS", origin=APP, request_method="PUT"),
        id="a mapping",
    ),
    pytest.param(
        [("origin", APP), ("ACCESS-CONTROL-REQUEST-METHOD", "PUT"),
         ("access-control-request-headers", "x-token")],
        Request("OPTIONS", origin=APP, request_method="PUT", request_headers="x-token"),
        id="pairs with names in any case",
    ),
    pytest.param(
        [("Origin", APP), ("Origin", "https://evil.example")],
        Request("OPTIONS", origin=f"{APP}, https://evil.example"),
        id="repeated Origin lines are joined into no origin",
    ),
    pytest.param(
        [("Access-Control-Request-Method", "PUT"), ("access-control-request-method", "GET")],
        Request("OPTIONS", request_method="PUT, GET"),
        id="repeated request-method lines are joined",
    ),
    pytest.param(
        [("Access-Control-Request-Headers", "a"), ("Access-Control-Request-Headers", "b, c")],
        Request("OPTIONS", request_headers="a,b, c"),
        id="repeated request-headers lines make one comma list",
    ),
    pytest.param([], Request("OPTIONS"), id="no headers"),
    pytest.param([("Origin", "")], Request("OPTIONS", origin=""), id="an empty Origin is kept"),
    pytest.param(
        [("Content-Type", "text/plain"), ("Cookie", "a=b"), ("X-Origin", APP)],
        Request("OPTIONS"),
        id="other headers are ignored",
    ),
]


@pytest.mark.parametrize(("headers", "expected"), FROM_HEADERS)
def test_from_headers_reads_the_cors_request_headers_in_any_case(
    headers: Mapping[str, str] | Iterable[tuple[str, str]], expected: Request
) -> None:
    assert Request.from_headers("OPTIONS", headers) == expected


def test_from_headers_takes_a_generator_of_pairs() -> None:
    pairs = ((name, value) for name, value in [("Origin", APP)])
    assert Request.from_headers("GET", pairs).origin == APP


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("true", True, id="true"),
        pytest.param("TRUE", True, id="upper case"),
        pytest.param(" true\t", True, id="surrounding whitespace"),
        pytest.param("false", False, id="false"),
        pytest.param("1", False, id="1 is not true"),
        pytest.param("", False, id="empty"),
        pytest.param("true, true", False, id="repeated values"),
    ],
)
def test_private_network_is_requested_only_by_true(value: str, expected: bool) -> None:
    headers = {"Access-Control-Request-Private-Network": value}
    assert Request.from_headers("OPTIONS", headers).private_network is expected
    environ = {"REQUEST_METHOD": "OPTIONS", "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK": value}
    assert Request.from_cgi(environ).private_network is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("websocket", True, id="websocket"),
        pytest.param("WebSocket", True, id="case-insensitive"),
        pytest.param("h2c, websocket", True, id="in a list"),
        pytest.param(" websocket ", True, id="surrounding whitespace"),
        pytest.param("h2c", False, id="another protocol"),
        pytest.param("websockets", False, id="a longer word"),
        pytest.param("", False, id="empty"),
    ],
)
def test_upgrade_websocket_marks_a_handshake(value: str, expected: bool) -> None:
    headers = [("Upgrade", value), ("Connection", "keep-alive, Upgrade"),
               ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]
    assert Request.from_headers("GET", headers).websocket is expected
    environ = {"REQUEST_METHOD": "GET", "HTTP_UPGRADE": value, "HTTP_CONNECTION": "Upgrade",
               "HTTP_SEC_WEBSOCKET_KEY": "x", "HTTP_SEC_WEBSOCKET_VERSION": "13"}
    assert Request.from_cgi(environ).websocket is expected


HANDSHAKE = {"Upgrade": "websocket", "Connection": "Upgrade",
             "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13"}


@pytest.mark.parametrize(
    ("method", "missing"),
    [
        pytest.param("GET", "Connection", id="no Connection"),
        pytest.param("GET", "Sec-WebSocket-Key", id="no key"),
        pytest.param("GET", "Sec-WebSocket-Version", id="no version"),
        pytest.param("POST", "", id="not GET"),
    ],
)
def test_anything_less_than_a_real_handshake_gets_the_ordinary_rules(
    method: str, missing: str
) -> None:
    headers = {k: v for k, v in HANDSHAKE.items() if k != missing} | {"Origin": "https://evil.example"}
    request = Request.from_headers(method, headers)
    assert not request.websocket
    decision = decide(request, CONFIG)
    assert decision.action != "pass"
    assert decision.vary == ("Origin",)
    environ = {"REQUEST_METHOD": method} | {
        "HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()
    }
    assert decide_cgi(environ, CONFIG) == decision


def test_a_websocket_handshake_from_headers_is_left_untouched() -> None:
    request = Request.from_headers(
        "GET", {"Origin": "https://evil.example"} | HANDSHAKE
    )
    assert decide(request, CONFIG).action == "pass"


# -- Request.from_cgi ----------------------------------------------------------


def test_from_cgi_reads_a_wsgi_environ() -> None:
    environ = {
        "REQUEST_METHOD": "OPTIONS",
        "PATH_INFO": "/orders",
        "HTTP_ORIGIN": APP,
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "x-token",
        "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK": "true",
        "HTTP_UPGRADE": "h2c",
    }
    assert Request.from_cgi(environ) == Request(
        "OPTIONS", APP, "PUT", "x-token", private_network=True, websocket=False
    )


def test_from_cgi_with_only_a_method_is_not_cors() -> None:
    request = Request.from_cgi({"REQUEST_METHOD": "GET"})
    assert request == Request("GET")
    assert decide(request, CONFIG).kind == "not_cors"


# -- Decision ------------------------------------------------------------------


def test_a_decision_is_frozen_plain_data() -> None:
    decision = decide(Request("GET", origin=APP), CONFIG)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.allowed = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del decision.headers  # type: ignore[misc]
    assert decision.allowed is True  # unchanged: decisions are shared between requests
    assert decision.headers == (("Access-Control-Allow-Origin", APP),)


def test_a_decision_is_made_by_its_named_constructors_only() -> None:
    with pytest.raises(TypeError, match=r"Decision\.answer"):
        Decision("actual", True, (), False, None, (), ())  # type: ignore[call-arg]
    answer = Decision.answer("preflight", False, ("method_not_allowed",), 403, (), ())
    assert (answer.action, answer.status) == ("respond", 403)
    forward = Decision.forward("actual", True, (), (("Access-Control-Allow-Origin", APP),), ())
    assert (forward.action, forward.status) == ("forward", None)
    passing = Decision.let_pass(("websocket",))
    assert (passing.action, passing.kind, passing.allowed, passing.headers) == (
        "pass", "not_cors", False, ()
    )


def test_decisions_compare_hash_copy_and_pickle_by_their_fields() -> None:
    decision = decide(Request("GET", origin=APP), CONFIG)
    headers = (("Access-Control-Allow-Origin", APP),)
    same = Decision.forward("actual", True, (), headers, ("Origin",))
    assert decision == same
    assert hash(decision) == hash(same)
    assert decision != Decision.forward("actual", True, (), (), ("Origin",))
    assert decision != "a decision"
    decision.apply_raw([])  # the ASGI forms, cached inside, take no part in comparing
    assert decision == same
    pickled = pickle.loads(pickle.dumps(decision))  # noqa: S301 - our own bytes
    for copied in (copy.copy(decision), copy.deepcopy(decision), pickled):
        assert copied == decision
        assert type(copied) is Decision
    assert repr(decision).startswith("Decision(action='forward', kind='actual', allowed=True,")


ALLOWED = decide(Request("GET", origin=APP), CONFIG)
DENIED = decide(Request("GET", origin="https://evil.example"), CONFIG)
NO_ORIGIN = decide(Request("GET"), CONFIG)
STATIC = decide(Request("GET", origin=APP), Config(allow_origins="*"))

APPLY_CASES = [
    pytest.param(
        ALLOWED,
        [("Content-Type", "text/plain")],
        [("Content-Type", "text/plain"), ("Vary", "Origin"),
         ("Access-Control-Allow-Origin", APP)],
        id="adds Vary and the CORS headers",
    ),
    pytest.param(
        ALLOWED,
        [("access-control-allow-origin", "*"), ("Access-Control-Allow-Credentials", "true"),
         ("ACCESS-CONTROL-EXPOSE-HEADERS", "X-Secret"), ("X-Frame-Options", "DENY")],
        [("X-Frame-Options", "DENY"), ("Vary", "Origin"), ("Access-Control-Allow-Origin", APP)],
        id="replaces the application's CORS headers in any case",
    ),
    pytest.param(
        ALLOWED,
        [("Vary", "Accept-Encoding, ORIGIN")],
        [("Vary", "Accept-Encoding, ORIGIN"), ("Access-Control-Allow-Origin", APP)],
        id="merges Vary case-insensitively",
    ),
    pytest.param(
        ALLOWED,
        [("Vary", "Accept"), ("vary", "Cookie, accept")],
        [("Vary", "Accept, Cookie, Origin"), ("Access-Control-Allow-Origin", APP)],
        id="merges several Vary lines into one",
    ),
    pytest.param(
        ALLOWED,
        [("Vary", "*")],
        [("Vary", "*"), ("Access-Control-Allow-Origin", APP)],
        id="keeps Vary star",
    ),
    pytest.param(
        DENIED,
        [("Access-Control-Allow-Origin", "https://evil.example"), ("Vary", "Accept")],
        [("Vary", "Accept, Origin")],
        id="removes the application's CORS headers for a disallowed origin",
    ),
    pytest.param(
        NO_ORIGIN,
        [("Content-Length", "2")],
        [("Content-Length", "2"), ("Vary", "Origin")],
        id="an origin-less response still varies on Origin",
    ),
    pytest.param(
        STATIC,
        [("Content-Length", "2")],
        [("Content-Length", "2"), ("Access-Control-Allow-Origin", "*")],
        id="a static star answer adds no Vary",
    ),
    pytest.param(
        STATIC,
        [("Vary", "Accept")],
        [("Vary", "Accept"), ("Access-Control-Allow-Origin", "*")],
        id="a static star answer keeps the application's Vary",
    ),
]


@pytest.mark.parametrize(("decision", "app_headers", "expected"), APPLY_CASES)
def test_apply_strips_merges_vary_and_adds_headers_once(
    decision: Decision, app_headers: list[tuple[str, str]], expected: list[tuple[str, str]]
) -> None:
    result = decision.apply(app_headers)
    assert result == expected
    assert decision.apply(result) == expected, "applying twice adds nothing"


PASSTHROUGH = decide(
    Request("OPTIONS", origin=APP, request_method="PUT"),
    CONFIG.replace(preflight_passthrough=True),
)


@pytest.mark.parametrize(
    ("decision", "expected_vary"),
    [
        pytest.param(ALLOWED, "Origin", id="actual response"),
        pytest.param(STATIC, None, id="static star"),
        pytest.param(NO_ORIGIN, "Origin", id="origin-less request"),
        pytest.param(PASSTHROUGH, ", ".join(PASSTHROUGH.vary), id="passed-through preflight"),
    ],
)
@pytest.mark.parametrize(
    "shape",
    [
        pytest.param(list, id="list"),
        pytest.param(tuple, id="tuple"),
        pytest.param(lambda pairs: (p for p in pairs), id="generator"),
        pytest.param(lambda pairs: [list(p) for p in pairs], id="list of lists"),
    ],
)
def test_apply_gives_the_same_headers_whatever_the_iterable(
    decision: Decision, expected_vary: str | None, shape: Any
) -> None:
    app = [("Content-Type", "text/html"), ("Content-Length", "5"), ("ETag", '"x"')]
    vary = [] if expected_vary is None else [("Vary", expected_vary)]
    applied = decision.apply(shape(app))
    assert type(applied) is list
    # The same pairs. An application's own items are passed on as it gave
    # them where nothing needs rewriting (a list of lists keeps its lists).
    assert [tuple(item) for item in applied] == [*app, *vary, *decision.headers]


MERGE_VARY = [
    pytest.param([], ("Origin",), "Origin", id="nothing to merge with"),
    pytest.param([], (), "", id="nothing at all"),
    pytest.param(["Accept-Encoding"], ("Origin",), "Accept-Encoding, Origin", id="appends"),
    pytest.param(["accept-encoding, origin"], ("Origin",), "accept-encoding, origin",
                 id="tokens compare case-insensitively"),
    pytest.param(["Accept,, Accept ,\tCookie"], (), "Accept, Cookie",
                 id="empty and repeated tokens dropped"),
    pytest.param(["*"], ("Origin",), "*", id="star covers everything"),
    pytest.param(["Accept", "*"], ("Origin",), "Accept, *", id="star in a later line"),
    pytest.param([], ("Origin", "origin"), "Origin", id="our tokens once"),
]


@pytest.mark.parametrize(("existing", "tokens", "expected"), MERGE_VARY)
def test_merge_vary_keeps_the_applications_tokens_and_adds_ours_once(
    existing: list[str], tokens: tuple[str, ...], expected: str
) -> None:
    assert merge_vary(existing, tokens) == expected


def test_apply_is_exact_for_any_number_of_distinct_header_names() -> None:
    # apply() remembers a bounded number of plain header names for its fast
    # path; past the bound, and for names it never saw, it must be as exact.
    decision = decide(Request("GET", origin="https://app.example.com"), CONFIG)
    names = [f"X-Distinct-{i}" for i in range(600)]
    app = [(name, "1") for name in names]
    for _ in range(2):
        out = decision.apply(app)
        assert out[: len(app)] == app
        assert out[len(app)] == ("Vary", "Origin")
        assert out[len(app) + 1 :] == list(decision.headers)
    mixed = [*app[:5], ("access-control-allow-origin", "*"), ("vary", "Accept")]
    assert decision.apply(mixed) == [*app[:5], ("Vary", "Accept, Origin"), *decision.headers]
