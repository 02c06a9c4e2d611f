"""The dict hook: plain data in, plain data out, never raising on the request."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corecors import REASONS, Config, ConfigError, Policy, Request, decide
from corecors.adapters.hook import apply_forward, handle, result_of

APP = "https://app.example.com"
EVIL = "https://evil.example"
CONFIG = Config(
    allow_origins=[APP],
    allow_methods=["PUT"],
    allow_headers=["X-Token"],
    expose_headers=["X-Total"],
)
PREFLIGHT_VARY = [
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "Access-Control-Request-Private-Network",
]


def request(method: Any = "GET", headers: Any = (), **extra: Any) -> dict[str, Any]:
    return {"method": method, "path": "/items", "headers": headers, **extra}


# -- the three actions --------------------------------------------------------------


def test_allowed_actual_request_is_forwarded_with_headers_to_add() -> None:
    assert handle(request("GET", [["Origin", APP]]), CONFIG) == {
        "action": "forward",
        "headers": [
            ["Access-Control-Allow-Origin", APP],
            ["Access-Control-Expose-Headers", "X-Total"],
        ],
        "vary": ["Origin"],
        "reasons": [],
        "kind": "actual",
        "allowed": True,
    }


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        pytest.param([["Origin", EVIL]], "origin_not_allowed", id="disallowed origin"),
        pytest.param([], "no_origin", id="no origin"),
        pytest.param(
            [["Origin", APP], ["Origin", EVIL]], "origin_malformed", id="repeated Origin lines"
        ),
    ],
)
def test_other_requests_are_forwarded_with_vary_only(headers: list[list[str]], reason: str) -> None:
    result = handle(request("GET", headers), CONFIG)
    assert (result["action"], result["headers"], result["vary"], result["reasons"]) == (
        "forward",
        [],
        ["Origin"],
        [reason],
    )


def test_allowed_preflight_is_answered_now() -> None:
    result = handle(
        request(
            "OPTIONS",
            {
                "Origin": APP,
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "x-token",
            },
        ),
        CONFIG,
    )
    assert result == {
        "action": "respond",
        "status": 204,
        "headers": [
            ["Access-Control-Allow-Origin", APP],
            ["Access-Control-Allow-Methods", "PUT"],
            ["Access-Control-Allow-Headers", "X-Token"],
            ["Access-Control-Max-Age", "600"],
            ["Vary", ", ".join(PREFLIGHT_VARY)],
        ],
        "reasons": [],
        "kind": "preflight",
        "allowed": True,
    }


def test_refused_preflight_is_answered_now_without_cors_headers() -> None:
    result = handle(
        request("OPTIONS", {"Origin": APP, "Access-Control-Request-Method": "DELETE"}), CONFIG
    )
    assert (result["action"], result["status"], result["reasons"]) == (
        "respond",
        403,
        ["method_not_allowed"],
    )
    assert not [n for n, _ in result["headers"] if n.lower().startswith("access-control-")]


def test_passthrough_preflight_is_forwarded_with_the_preflight_headers() -> None:
    config = CONFIG.replace(preflight_passthrough=True)
    result = handle(
        request("OPTIONS", {"Origin": APP, "Access-Control-Request-Method": "PUT"}), config
    )
    assert result["action"] == "forward"
    assert result["kind"] == "preflight"
    assert ["Access-Control-Allow-Methods", "PUT"] in result["headers"]
    assert result["vary"] == PREFLIGHT_VARY


@pytest.mark.parametrize(
    ("config", "headers", "reason"),
    [
        pytest.param(
            CONFIG,
            [
                ["Origin", APP],
                ["Upgrade", "websocket"],
                ["Connection", "Upgrade"],
                ["Sec-WebSocket-Key", "x"],
                ["Sec-WebSocket-Version", "13"],
            ],
            "websocket",
            id="websocket handshake",
        ),
        pytest.param(Config(enabled=False), [["Origin", APP]], "disabled", id="disabled config"),
    ],
)
def test_untouched_decisions_are_a_pass(
    config: Config, headers: list[list[str]], reason: str
) -> None:
    result = handle(request("GET", headers), config)
    assert result == {
        "action": "pass",
        "headers": [],
        "vary": [],
        "reasons": [reason],
        "kind": "not_cors",
        "allowed": False,
    }


# -- the request dict: its forms, and never raising ---------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": APP, "Access-Control-Request-Method": "PUT"}, id="dict"),
        pytest.param(
            [["origin", APP], ["ACCESS-CONTROL-REQUEST-METHOD", "PUT"]],
            id="list of lists, names in any case",
        ),
        pytest.param(
            (("Origin", APP), ("Access-Control-Request-Method", "PUT")), id="tuple of tuples"
        ),
        pytest.param(
            [[b"Origin", APP.encode()], ["Access-Control-Request-Method", b"PUT"]],
            id="bytes names and values",
        ),
        pytest.param(
            {"Origin": [APP], "Access-Control-Request-Method": ["PUT"]}, id="multi-value dict"
        ),
    ],
)
def test_header_forms_mean_the_same(headers: Any) -> None:
    result = handle(request("OPTIONS", headers), CONFIG)
    assert (result["action"], result["status"]) == ("respond", 204)


def test_repeated_values_in_a_multi_value_dict_are_no_origin() -> None:
    result = handle(request("GET", {"Origin": [APP, EVIL]}), CONFIG)
    assert result["reasons"] == ["origin_malformed"]


@pytest.mark.parametrize(
    ("given", "reasons"),
    [
        pytest.param(None, ["no_origin"], id="request is None"),
        pytest.param([["Origin", APP]], ["no_origin"], id="request is a list"),
        pytest.param({}, ["no_origin"], id="empty dict"),
        pytest.param({"headers": [["Origin", APP]]}, [], id="no method: not a preflight"),
        pytest.param(
            request(None, [["Origin", APP], ["Access-Control-Request-Method", "PUT"]]),
            [],
            id="method None: not a preflight",
        ),
        pytest.param(request(7, [["Origin", APP]]), [], id="method an int"),
        pytest.param(request("GET", None), ["no_origin"], id="headers None"),
        pytest.param(request("GET", "Origin: x"), ["no_origin"], id="headers a str"),
        pytest.param(request("GET", 42), ["no_origin"], id="headers an int"),
        pytest.param(request("GET", [["Origin"]]), ["no_origin"], id="pair too short"),
        pytest.param(request("GET", [["Origin", APP, "x"]]), ["no_origin"], id="pair too long"),
        pytest.param(request("GET", ["Origin"]), ["no_origin"], id="pair a str"),
        pytest.param(request("GET", [[None, APP]]), ["no_origin"], id="name None"),
        pytest.param(request("GET", [["Origin", 5]]), ["no_origin"], id="value an int"),
        pytest.param(request("GET", {"Origin": None}), ["no_origin"], id="value None"),
        pytest.param(request("GET", {"Origin": {"x": 1}}), ["no_origin"], id="value a dict"),
        pytest.param(request("GET", [["Origin", [APP, 5]]]), [], id="list value, one bad"),
        pytest.param(
            request("GET", [["Origin", b"\xff\xfe"]]), ["origin_malformed"], id="non-ASCII bytes"
        ),
    ],
)
def test_malformed_request_dicts_get_a_decision(given: Any, reasons: list[str]) -> None:
    result = handle(given, CONFIG)
    assert result["action"] == "forward"
    assert result["reasons"] == reasons


def test_config_must_be_a_config() -> None:
    with pytest.raises(ConfigError, match=r"corecors\.Config") as info:
        handle(request(), {"allow_origins": [APP]})  # type: ignore[arg-type]
    assert info.value.problems[0].code == "CC004"


def test_results_share_nothing_between_calls() -> None:
    first = handle(request("GET", [["Origin", APP]]), CONFIG)
    first["headers"].append(["X-Injected", "1"])
    first["headers"][0][1] = "*"
    first["vary"].clear()
    again = handle(request("GET", [["Origin", APP]]), CONFIG)
    assert again["headers"][0] == ["Access-Control-Allow-Origin", APP]
    assert len(again["headers"]) == 2
    assert again["vary"] == ["Origin"]


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.binary(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
HEADER_NAMES = st.sampled_from(
    [
        "Origin",
        "origin",
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
        "Access-Control-Request-Private-Network",
        "Upgrade",
        "X-Other",
    ]
)
REQUESTS = st.fixed_dictionaries(
    {},
    optional={
        "method": st.sampled_from(["GET", "OPTIONS", "PUT", "options"]) | JSONISH,
        "path": JSONISH,
        "headers": st.lists(
            st.tuples(HEADER_NAMES | JSONISH, st.text(max_size=30) | JSONISH), max_size=6
        )
        | st.dictionaries(HEADER_NAMES, st.text(max_size=30) | JSONISH, max_size=5)
        | JSONISH,
    },
)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(given_request=REQUESTS | JSONISH)
def test_any_request_dict_gets_a_json_serialisable_result(given_request: Any) -> None:
    result = handle(given_request, CONFIG)
    assert json.loads(json.dumps(result)) == result
    assert result["action"] in {"respond", "forward", "pass"}
    assert set(result["reasons"]) <= set(REASONS)
    if result["action"] == "respond":
        assert isinstance(result["status"], int)
    else:
        apply_forward(result, [["Content-Type", "text/plain"]])


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(
    method=st.sampled_from(["GET", "OPTIONS", "POST", "PUT"]),
    origin=st.none() | st.sampled_from([APP, EVIL, "null", f"{APP}, {EVIL}"]) | st.text(),
    request_method=st.none() | st.sampled_from(["PUT", "DELETE", "put"]) | st.text(),
)
def test_result_is_the_decision_as_data(
    method: str, origin: str | None, request_method: str | None
) -> None:
    headers = [
        [n, v]
        for n, v in (("Origin", origin), ("Access-Control-Request-Method", request_method))
        if v is not None
    ]
    decision = decide(Request(method, origin=origin, request_method=request_method), CONFIG)
    assert handle(request(method, headers), CONFIG) == result_of(decision)
    result = result_of(decision)
    assert result["reasons"] == list(decision.reasons)
    assert result["headers"] == [list(h) for h in decision.headers]


# -- apply_forward --------------------------------------------------------------------


UPSTREAM = [
    ["Content-Type", "application/json"],
    ["Access-Control-Allow-Origin", "*"],
    ["access-control-allow-credentials", "true"],
    ["Vary", "Accept-Encoding"],
    ["Set-Cookie", "a=1"],
    ["Set-Cookie", "b=2"],
]


def test_apply_forward_strips_merges_and_adds() -> None:
    result = handle(request("GET", [["Origin", APP]]), CONFIG)
    assert apply_forward(result, UPSTREAM) == [
        ["Content-Type", "application/json"],
        ["Set-Cookie", "a=1"],
        ["Set-Cookie", "b=2"],
        ["Vary", "Accept-Encoding, Origin"],
        ["Access-Control-Allow-Origin", APP],
        ["Access-Control-Expose-Headers", "X-Total"],
    ]


def test_apply_forward_strips_upstream_cors_for_a_disallowed_origin() -> None:
    result = handle(request("GET", [["Origin", EVIL]]), CONFIG)
    out = apply_forward(result, UPSTREAM)
    assert not [n for n, _ in out if n.lower().startswith("access-control-")]
    assert ["Vary", "Accept-Encoding, Origin"] in out


@pytest.mark.parametrize(
    ("upstream_vary", "merged"),
    [
        pytest.param(["origin"], "origin", id="already there, any case"),
        pytest.param(["*"], "*", id="star covers everything"),
        pytest.param(
            ["Accept", "Accept-Language"],
            "Accept, Accept-Language, Origin",
            id="several Vary lines become one",
        ),
        pytest.param([], "Origin", id="none upstream"),
    ],
)
def test_apply_forward_merges_vary(upstream_vary: list[str], merged: str) -> None:
    result = handle(request("GET", [["Origin", APP]]), CONFIG)
    out = apply_forward(result, [["Vary", v] for v in upstream_vary])
    assert [v for n, v in out if n == "Vary"] == [merged]


def test_apply_forward_takes_a_mapping_and_a_json_round_tripped_result() -> None:
    result = json.loads(json.dumps(handle(request("GET", [["Origin", APP]]), CONFIG)))
    out = apply_forward(result, {"Content-Type": "text/plain", "Access-Control-Max-Age": "5"})
    assert out == [
        ["Content-Type", "text/plain"],
        ["Vary", "Origin"],
        ["Access-Control-Allow-Origin", APP],
        ["Access-Control-Expose-Headers", "X-Total"],
    ]


def test_apply_forward_leaves_a_pass_untouched() -> None:
    result = handle(request("GET", [["Origin", APP]]), Config(enabled=False))
    assert apply_forward(result, UPSTREAM) == UPSTREAM


def test_apply_forward_refuses_a_respond_result() -> None:
    result = handle(
        request("OPTIONS", {"Origin": APP, "Access-Control-Request-Method": "PUT"}), CONFIG
    )
    with pytest.raises(ValueError, match="never forwarded"):
        apply_forward(result, UPSTREAM)


# -- headers as proxies give them ------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: ((n, v) for n, v in [("Origin", APP)]), id="generator"),
        pytest.param(lambda: (("Origin", APP),), id="tuple"),
        pytest.param(lambda: {("Origin", APP)}, id="set"),
        pytest.param(lambda: [(b"Origin", APP.encode())], id="bytes pairs"),
    ],
)
def test_headers_may_be_any_iterable_of_pairs(make: Any) -> None:
    result = handle({"method": "GET", "headers": make()}, CONFIG)
    assert result["reasons"] == []
    assert ["Access-Control-Allow-Origin", APP] in result["headers"]


def test_apply_forward_returns_bytes_when_given_bytes() -> None:
    result = handle(request("GET", [["Origin", APP]]), CONFIG)
    out = apply_forward(
        result, [(b"Content-Type", b"text/plain"), (b"Access-Control-Allow-Origin", b"*")]
    )
    assert [b"Content-Type", b"text/plain"] in out
    assert [b"Access-Control-Allow-Origin", APP.encode()] in out
    assert [b"Access-Control-Allow-Origin", b"*"] not in out
    assert all(isinstance(n, bytes) and isinstance(v, bytes) for n, v in out)


def test_apply_forward_returns_str_when_given_str() -> None:
    result = handle(request("GET", [["Origin", APP]]), CONFIG)
    out = apply_forward(result, [("Content-Type", "text/plain")])
    assert all(isinstance(n, str) and isinstance(v, str) for n, v in out)


def test_handle_accepts_a_policy() -> None:
    policy = Policy(CONFIG)
    assert handle(request("GET", [["Origin", APP]]), policy)["reasons"] == []
