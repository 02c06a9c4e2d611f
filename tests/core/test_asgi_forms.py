"""Request.from_asgi and Decision.apply_raw: the core's answers in ASGI's byte form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corecors import Config, Request, decide

APP = "https://app.example.com"
CONFIG = Config(allow_origins=[APP], allow_methods=["PUT"], allow_headers=["X-Token"])


def latin(pairs: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(n.decode("latin-1"), v.decode("latin-1")) for n, v in pairs]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([(b"origin", APP.encode())], id="lower-case origin"),
        pytest.param([(b"Origin", APP.encode()), (b"Host", b"x")], id="names in any case"),
        pytest.param([(b"origin", APP.encode()), (b"origin", b"https://b.example")],
                     id="repeated Origin lines"),
        pytest.param(
            [(b"origin", APP.encode()), (b"access-control-request-method", b"PUT"),
             (b"access-control-request-headers", b"x-token"),
             (b"access-control-request-private-network", b"true")],
            id="a preflight",
        ),
        pytest.param([(b"upgrade", b"websocket"), (b"connection", b"upgrade")], id="websocket"),
        pytest.param([(b"x-other", b"\xe9")], id="nothing the decision reads"),
        pytest.param([(b"origin", b"https://caf\xe9.example")], id="Latin-1 bytes"),
    ],
)
def test_from_asgi_is_from_headers_on_latin1(headers: list[tuple[bytes, bytes]]) -> None:
    for method in ("GET", "OPTIONS"):
        assert Request.from_asgi(method, headers) == Request.from_headers(method, latin(headers))


@given(
    st.lists(
        st.tuples(
            st.sampled_from([b"origin", b"Origin", b"upgrade", b"UPGRADE", b"x-a",
                             b"access-control-request-method", b"access-control-request-headers"]),
            st.binary(max_size=20),
        ),
        max_size=6,
    )
)
def test_from_asgi_agrees_with_from_headers_on_any_bytes(
    headers: list[tuple[bytes, bytes]],
) -> None:
    assert Request.from_asgi("OPTIONS", headers) == Request.from_headers("OPTIONS", latin(headers))


def encoded(pairs: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in pairs]


DECISIONS = [
    pytest.param(decide(Request("GET", origin=APP), CONFIG), id="allowed actual"),
    pytest.param(decide(Request("GET", origin="https://evil.example"), CONFIG), id="refused"),
    pytest.param(decide(Request("GET"), Config(allow_origins="*")), id="static star, no vary"),
    pytest.param(decide(Request("GET", origin=APP, websocket=True), CONFIG), id="untouched"),
]


@pytest.mark.parametrize("decision", DECISIONS)
@pytest.mark.parametrize(
    "app",
    [
        pytest.param([(b"content-type", b"text/plain")], id="plain"),
        pytest.param([(b"x-new-name", b"1")], id="a name never seen"),
        pytest.param([(b"Vary", b"Accept"), (b"Access-Control-Allow-Origin", b"*")],
                     id="vary and the app's own CORS header"),
        pytest.param([[b"content-type", b"text/plain"]], id="pairs as lists"),
        pytest.param(((b"content-type", b"text/plain"),), id="a tuple of pairs"),
    ],
)
def test_apply_raw_is_apply_in_bytes(decision: object, app: list[tuple[bytes, bytes]]) -> None:
    from corecors import Decision

    assert isinstance(decision, Decision)
    text = decision.apply(latin([tuple(p) for p in app]))  # type: ignore[misc]
    raw = decision.apply_raw(app)
    if decision.action == "pass":
        assert raw == [tuple(p) for p in app]
        return
    # The application's names keep their bytes; corecors's own are lower case.
    assert [v for _, v in raw] == [v.encode("latin-1") for _, v in text]
    assert [n.lower() for n, _ in raw] == [n.lower().encode("latin-1") for n, _ in text]
    assert decision.apply_raw(app) == raw  # the cached form gives the same


def test_raw_headers_are_the_headers_encoded() -> None:
    preflight = decide(Request("OPTIONS", origin=APP, request_method="PUT"), CONFIG)
    assert preflight.raw_headers == encoded(list(preflight.headers))
    fresh = decide(Request("OPTIONS", origin="https://evil.example", request_method="PUT"), CONFIG)
    assert fresh.raw_headers == encoded(list(fresh.headers))
    assert fresh.raw_headers == encoded(list(fresh.headers))


def test_apply_raw_is_exact_for_any_number_of_distinct_names() -> None:
    decision = decide(Request("GET", origin=APP), CONFIG)
    app = [(f"x-raw-{i}".encode(), b"1") for i in range(600)]
    for _ in range(2):
        out = decision.apply_raw(app)
        assert out[: len(app)] == app
        assert out[len(app) :] == encoded([("Vary", "Origin"), *decision.headers])
