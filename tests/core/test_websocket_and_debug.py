"""check_websocket_origin and debug_refusals, through the public API only.

cors-rules.md, "What a request is": WebSocket handshakes are not CORS; an
opt-in check refuses a handshake from an origin the policy does not allow,
and a handshake without Origin passes. debug_refusals puts a refusal's
reason codes in a response header, for development only.
"""

from __future__ import annotations

import re

import pytest

from corecors import (
    PROBLEM_CODES,
    REASONS,
    Config,
    Decision,
    Policy,
    Request,
    decide,
    decide_cgi,
    read_gravitee,
)

APP = "https://app.example.com"
EVIL = "https://evil.example"
REFUSAL = "Corecors-Refusal"
HANDSHAKE_CGI = {
    "REQUEST_METHOD": "GET",
    "HTTP_UPGRADE": "websocket",
    "HTTP_CONNECTION": "Upgrade",
    "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==",
    "HTTP_SEC_WEBSOCKET_VERSION": "13",
}

ORIGINS = [APP, "https://*.example.org", "http://localhost:*"]
REGEXES = [r"https://[a-z]+\.example\.net"]
CHECKED = Config(allow_origins=ORIGINS, allow_origin_regexes=REGEXES, check_websocket_origin=True)
UNCHECKED = Config(allow_origins=ORIGINS, allow_origin_regexes=REGEXES)


def handshake(origin: str | None) -> Request:
    return Request("GET", origin=origin, websocket=True)


def header(decision: Decision, name: str) -> str | None:
    found = [v for n, v in decision.headers if n.lower() == name.lower()]
    assert len(found) <= 1
    return found[0] if found else None


# -- check_websocket_origin ---------------------------------------------------------

ALLOWED_HANDSHAKES = [
    pytest.param(APP, id="exact origin"),
    pytest.param("https://a.b.example.org", id="subdomain pattern"),
    pytest.param("http://localhost:5173", id="any-port pattern"),
    pytest.param("https://api.example.net", id="regex"),
    pytest.param(None, id="no Origin: not a browser"),
]


@pytest.mark.parametrize("origin", ALLOWED_HANDSHAKES)
def test_a_handshake_the_origin_rules_allow_passes_untouched(origin: str | None) -> None:
    for _ in range(3):  # first sight, probation, remembered
        decision = decide(handshake(origin), CHECKED)
        assert decision.action == "pass"
        assert decision.reasons == ("websocket",)
        assert (decision.action, decision.headers, decision.vary) == ("pass", (), ())


REFUSED_HANDSHAKES = [
    pytest.param(EVIL, ("websocket_origin_not_allowed",), id="unlisted origin"),
    pytest.param("https://example.org", ("websocket_origin_not_allowed",),
                 id="the pattern's own domain"),
    pytest.param("https://example.org.evil.net", ("websocket_origin_not_allowed",),
                 id="suffix trick"),
    pytest.param("http://app.example.com", ("websocket_origin_not_allowed",),
                 id="http downgrade"),
    pytest.param("https://api.example.net.evil.io", ("websocket_origin_not_allowed",),
                 id="regex matched whole"),
    pytest.param("null", ("websocket_origin_not_allowed",), id="null origin"),
    pytest.param(f"{APP}, {EVIL}", ("websocket_origin_not_allowed", "origin_malformed"),
                 id="repeated Origin lines"),
    pytest.param("https://" + "a" * 10_000 + ".example.org",
                 ("websocket_origin_not_allowed", "origin_malformed"), id="over-long Origin"),
]  # fmt: skip


@pytest.mark.parametrize(("origin", "reasons"), REFUSED_HANDSHAKES)
def test_a_handshake_from_an_origin_the_rules_refuse_is_answered_403(
    origin: str, reasons: tuple[str, ...]
) -> None:
    for _ in range(3):  # first sight, probation, remembered: the same answer
        decision = decide(handshake(origin), CHECKED)
        assert (decision.kind, decision.allowed, decision.reasons) == ("not_cors", False, reasons)
        assert (decision.action, decision.status) == ("respond", 403)
        assert decision.action != "pass"
        assert decision.headers == (("Vary", "Origin"), ("Content-Length", "0"))
        assert decision.vary == ("Origin",)
    for reason in reasons:
        assert REASONS[reason]


@pytest.mark.parametrize("origin", [EVIL, None, APP])
def test_the_check_is_off_by_default(origin: str | None) -> None:
    assert Config().check_websocket_origin is False
    assert decide(handshake(origin), UNCHECKED).action == "pass"


def test_a_disabled_config_checks_no_handshake() -> None:
    config = CHECKED.replace(enabled=False)
    assert decide(handshake(EVIL), config).action == "pass"


def test_star_allows_every_handshake_null_included_and_lint_says_so() -> None:
    config = Config(allow_origins="*", check_websocket_origin=True)
    for origin in (EVIL, "null", "https://" + "a" * 10_000 + ".example"):
        assert decide(handshake(origin), config).action == "pass"
    # CC101 is the advice every '*' gets; CC119 is this option's own.
    assert [(p.code, p.option) for p in config.warnings] == [
        ("CC119", "check_websocket_origin"),
        ("CC101", "allow_origins"),
    ]
    assert PROBLEM_CODES["CC119"][0] == "warning"
    assert CHECKED.warnings == ()
    assert [p.code for p in Config(allow_origins="*").warnings] == ["CC101"]


def test_the_check_applies_to_handshakes_only() -> None:
    """An ordinary request from the same origin still reaches the application."""
    for request in (
        Request("GET", origin=EVIL),
        Request("GET", origin=EVIL, request_method="GET"),
    ):
        decision = decide(request, CHECKED)
        assert decision.action != "respond"
        assert decision.reasons == ("origin_not_allowed",)


@pytest.mark.parametrize(
    ("origin", "refused"),
    [pytest.param(EVIL, True, id="refused"), pytest.param(APP, False, id="allowed"),
     pytest.param(None, False, id="no Origin")],
)  # fmt: skip
def test_decide_cgi_checks_a_handshake_as_decide_does(origin: str | None, refused: bool) -> None:
    environ = dict(HANDSHAKE_CGI)
    if origin is not None:
        environ["HTTP_ORIGIN"] = origin
    decision = decide_cgi(environ, CHECKED)
    assert decision == decide(Request.from_cgi(environ), CHECKED)
    assert (decision.action == "respond") is refused
    assert (decision.action == "pass") is not refused


def test_a_policy_swaps_the_check_in_and_out() -> None:
    policy = Policy(UNCHECKED)
    assert decide(handshake(EVIL), policy).action == "pass"
    policy.reconfigure(CHECKED)
    assert decide(handshake(EVIL), policy).status == 403
    policy.reconfigure(UNCHECKED)
    assert decide(handshake(EVIL), policy).action == "pass"


def test_from_asgi_marks_a_websocket_scope_as_a_handshake() -> None:
    headers = [(b"origin", EVIL.encode()), (b"sec-websocket-version", b"13")]
    assert Request.from_asgi("GET", headers, websocket=True) == handshake(EVIL)
    assert Request.from_asgi("GET", headers).websocket is False
    # Repeated lines take from_headers' way; the scope still decides.
    repeated = [*headers, (b"origin", APP.encode())]
    assert Request.from_asgi("GET", repeated, websocket=True) == handshake(f"{EVIL}, {APP}")
    full = [*repeated, (b"upgrade", b"websocket"), (b"connection", b"Upgrade"),
            (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ==")]  # fmt: skip
    assert Request.from_asgi("GET", full).websocket is False, "an http scope is no handshake"


def test_the_option_reads_from_flat_keys_and_not_from_gravitee() -> None:
    config = Config.from_mapping(
        {"CORECORS_ALLOW_ORIGINS": APP, "CORECORS_CHECK_WEBSOCKET_ORIGIN": "true"}
    )
    assert config.check_websocket_origin is True
    assert decide(handshake(EVIL), config).status == 403
    # Gravitee has no such key: its WebSocket entrypoints get no CORS at all.
    options, _ = read_gravitee({"enabled": True, "allowOrigin": [APP]}).validated()
    assert options.check_websocket_origin is False


@pytest.mark.parametrize("option", ["check_websocket_origin", "debug_refusals"])
@pytest.mark.parametrize("value", [1, "true", None])
def test_the_new_options_must_be_bools(option: str, value: object) -> None:
    (problem,) = [p for p in Config.validate(**{option: value}) if p.severity == "error"]
    assert (problem.code, problem.option) == ("CC004", option)


# -- debug_refusals ------------------------------------------------------------------

DEBUG = Config(
    allow_origins=[APP], allow_methods=["PUT"], allow_headers=["X-Token"], debug_refusals=True
)

REFUSALS = [
    pytest.param(Request("GET", origin=EVIL), "origin_not_allowed", id="actual: origin"),
    pytest.param(Request("GET", origin=f"{APP}, {EVIL}"), "origin_malformed",
                 id="actual: repeated Origin"),
    pytest.param(Request("GET", origin="https://" + "a" * 10_000), "origin_malformed",
                 id="actual: over-long Origin"),
    pytest.param(Request("OPTIONS", origin=APP, request_method="DELETE"), "method_not_allowed",
                 id="preflight: method"),
    pytest.param(Request("OPTIONS", origin=EVIL, request_method="PUT", request_headers="x-b"),
                 "origin_not_allowed, headers_not_allowed", id="preflight: two reasons"),
    pytest.param(Request("OPTIONS", origin=APP, request_method="PUT", private_network=True),
                 "private_network_not_allowed", id="preflight: private network"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "expected"), REFUSALS)
def test_a_refusal_names_its_reasons_in_a_header(request_: Request, expected: str) -> None:
    for _ in range(3):  # computed, then from the memo tables: the same header
        decision = decide(request_, DEBUG)
        assert not decision.allowed
        assert header(decision, REFUSAL) == expected == ", ".join(decision.reasons)
        # It goes out with the response, through apply() for actual requests.
        if decision.action != "respond":
            assert (REFUSAL, expected) in decision.apply([("Content-Type", "text/plain")])


def test_the_header_holds_reason_codes_only_never_request_values() -> None:
    hostile = "https://evil.example\r\nSet-Cookie: x=1"
    for request in (
        Request("GET", origin=hostile),
        Request("OPTIONS", origin=hostile, request_method="PUT\r\nX: y", request_headers="a\nb"),
        handshake(hostile),
    ):
        decision = decide(request, DEBUG.replace(check_websocket_origin=True))
        value = header(decision, REFUSAL)
        assert value is not None
        assert re.fullmatch(r"[a-z_]+(, [a-z_]+)*", value)
        assert all(code in REASONS for code in value.split(", "))


def test_a_refused_handshake_names_its_reason() -> None:
    decision = decide(handshake(EVIL), DEBUG.replace(check_websocket_origin=True))
    assert decision.status == 403
    assert header(decision, REFUSAL) == "websocket_origin_not_allowed"


ALLOWED = [
    pytest.param(Request("GET", origin=APP), id="allowed actual"),
    pytest.param(Request("OPTIONS", origin=APP, request_method="PUT"), id="allowed preflight"),
    pytest.param(Request("GET"), id="no Origin"),
    pytest.param(handshake(EVIL), id="unchecked handshake"),
]


@pytest.mark.parametrize("request_", ALLOWED)
def test_what_is_not_refused_carries_no_refusal_header(request_: Request) -> None:
    assert header(decide(request_, DEBUG), REFUSAL) is None


@pytest.mark.parametrize("request_", [r.values[0] for r in REFUSALS])
def test_off_by_default_no_refusal_header(request_: Request) -> None:
    config = DEBUG.replace(debug_refusals=False)
    assert Config().debug_refusals is False
    decision = decide(request_, config)
    assert header(decision, REFUSAL) is None
    # Everything else is the same as with the option on.
    on = decide(request_, DEBUG)
    assert (decision.kind, decision.reasons, decision.status, decision.vary) == (
        on.kind,
        on.reasons,
        on.status,
        on.vary,
    )
    assert decision.headers == tuple(h for h in on.headers if h[0] != REFUSAL)


def test_debug_refusals_is_a_lint_warning_never_an_error() -> None:
    (problem,) = Config.validate(allow_origins=[APP], debug_refusals=True)
    assert (problem.code, problem.severity, problem.option) == (
        "CC118",
        "warning",
        "debug_refusals",
    )
    assert "never in production" in problem.fix
    assert PROBLEM_CODES["CC118"][0] == "warning"
    assert [p.code for p in DEBUG.warnings] == ["CC118"]
    assert Config(allow_origins=[APP]).warnings == ()
    # Named as written in a flat mapping.
    config = Config.from_mapping({"CORECORS_DEBUG_REFUSALS": "1"})
    assert config.debug_refusals is True
