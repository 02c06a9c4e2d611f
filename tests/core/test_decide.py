"""decide(): one table per rule of cors-rules.md, through the public API only."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from corecors import REASONS, Config, Decision, Request, decide

APP = "https://app.example.com"
PREFLIGHT_VARY = (
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "Access-Control-Request-Private-Network",
)

EXACT = Config(allow_origins=[APP, "https://ss.example"], allow_methods=["PUT", "PATCH"])
ANY = Config(allow_origins="*", allow_methods=["PUT"], allow_headers=["X-Token"])


def values(decision: Decision, name: str) -> list[str]:
    """Every value of the header *name* (any case) in the decision's headers."""
    return [v for n, v in decision.headers if n.lower() == name.lower()]


def acao(decision: Decision) -> str | None:
    found = values(decision, "Access-Control-Allow-Origin")
    assert len(found) <= 1, "never more than one Access-Control-Allow-Origin"
    return found[0] if found else None


def preflight(origin: str | None = APP, method: str = "PUT", **fields: Any) -> Request:
    return Request("OPTIONS", origin=origin, request_method=method, **fields)


# -- what a request is ---------------------------------------------------------

REQUEST_KINDS = [
    pytest.param(preflight(), "preflight", id="OPTIONS with Origin and ACRM is a preflight"),
    pytest.param(Request("OPTIONS", origin=APP), "actual",
                 id="OPTIONS without ACRM is an actual request"),
    pytest.param(Request("OPTIONS", request_method="PUT"), "not_cors",
                 id="OPTIONS without Origin is not CORS"),
    pytest.param(Request("options", origin=APP, request_method="PUT"), "actual",
                 id="lower-case options is not a preflight"),
    pytest.param(Request("Options", origin=APP, request_method="PUT"), "actual",
                 id="mixed-case Options is not a preflight"),
    pytest.param(Request("GET", origin=APP, request_method="PUT"), "actual",
                 id="ACRM on a GET is an actual request"),
    pytest.param(Request("GET"), "not_cors", id="no Origin is not CORS"),
    pytest.param(Request("POST", origin=APP), "actual", id="POST with Origin is CORS"),
]


@pytest.mark.parametrize(("request_", "kind"), REQUEST_KINDS)
def test_a_preflight_is_options_exactly_with_origin_and_request_method(
    request_: Request, kind: str
) -> None:
    decision = decide(request_, EXACT)
    assert decision.kind == kind
    assert (decision.action == "respond") is (kind == "preflight")


def test_an_options_request_that_is_not_a_preflight_reaches_the_application() -> None:
    decision = decide(Request("OPTIONS", origin=APP), EXACT)
    assert decision.action == "forward"
    assert decision.status is None
    assert acao(decision) == APP


# -- origins -------------------------------------------------------------------

EXACT_MATCHING = [
    pytest.param(APP, True, (), id="the configured origin"),
    pytest.param("https://ss.example", True, (), id="ss is listed"),
    pytest.param("https://ß.example", False, ("origin_malformed",),
                 id="sharp s is never case-folded to ss"),
    pytest.param("https://SS.example", False, ("origin_malformed",),
                 id="upper-case request origin is not matched"),
    pytest.param("HTTPS://app.example.com", False, ("origin_malformed",),
                 id="upper-case scheme is not matched"),
    pytest.param("https://app.example.com/", False, ("origin_malformed",),
                 id="trailing slash is not matched"),
    pytest.param("https://app.example.com:443", False, ("origin_not_allowed",),
                 id="explicit default port is not matched"),
    pytest.param("http://app.example.com", False, ("origin_not_allowed",),
                 id="other scheme is not matched"),
    pytest.param("https://app.example.com.", False, ("origin_not_allowed",),
                 id="trailing dot is not matched"),
    pytest.param(" https://app.example.com", False, ("origin_malformed",),
                 id="leading space is not stripped"),
    pytest.param("https://app.example.com\n", False, ("origin_malformed",),
                 id="trailing newline is not stripped"),
    pytest.param("https://evil.example", False, ("origin_not_allowed",), id="another origin"),
    pytest.param("null", False, ("origin_not_allowed",), id="null is never listed"),
    pytest.param("", False, ("origin_malformed",), id="empty Origin"),
    pytest.param("https://" + "a" * 3000 + ".example", False, ("origin_malformed",),
                 id="over-long Origin"),
]


@pytest.mark.parametrize(("origin", "allowed", "reasons"), EXACT_MATCHING)
def test_origins_are_compared_byte_for_byte(
    origin: str, allowed: bool, reasons: tuple[str, ...]
) -> None:
    for request in (Request("GET", origin=origin), preflight(origin)):
        decision = decide(request, EXACT)
        assert decision.allowed is allowed
        assert acao(decision) == (origin if allowed else None)
        assert decision.reasons == reasons


PATTERN_CONFIG = Config(
    allow_origins=["https://*.example.com", "http://localhost:*", "https://*.example.org:8443"]
)
PATTERN_MATCHING = [
    pytest.param("https://app.example.com", True, id="one label"),
    pytest.param("https://a.b.c.example.com", True, id="several labels"),
    pytest.param("https://a_b.example.com", True, id="underscore label"),
    pytest.param("https://example.com", False, id="never the domain itself"),
    pytest.param("https://evilexample.com", False, id="never a name ending in the domain"),
    pytest.param("https://app.example.com.evil.net", False, id="never the domain as a prefix"),
    pytest.param("http://app.example.com", False, id="never the http variant"),
    pytest.param("https://app.example.com:8443", False, id="never another port"),
    pytest.param("https://.example.com", False, id="never an empty label"),
    pytest.param("https://a..example.com", False, id="never two dots"),
    pytest.param("https://-a.example.com", False, id="never a label starting with a hyphen"),
    pytest.param("http://localhost", True, id="localhost without a port"),
    pytest.param("http://localhost:3000", True, id="localhost on 3000"),
    pytest.param("http://localhost:1", True, id="localhost on port 1"),
    pytest.param("http://localhost:65535", True, id="localhost on port 65535"),
    pytest.param("http://localhost:0", False, id="never port 0"),
    pytest.param("http://localhost:65536", False, id="never port 65536"),
    pytest.param("http://localhost:99999", False, id="never port 99999"),
    pytest.param("http://localhost:03000", False, id="never a port with leading zeros"),
    pytest.param("http://localhost:", False, id="never an empty port"),
    pytest.param("https://localhost:3000", False, id="never the https variant of localhost"),
    pytest.param("http://localhost.evil.net:3000", False, id="never a host under localhost."),
    pytest.param("http://app.localhost:3000", False, id="never a subdomain of localhost"),
    pytest.param("https://shop.example.org:8443", True, id="pattern with its port"),
    pytest.param("https://shop.example.org", False, id="pattern without its port"),
]


@pytest.mark.parametrize(("origin", "allowed"), PATTERN_MATCHING)
def test_patterns_match_subdomains_and_ports_safely(origin: str, allowed: bool) -> None:
    for request in (Request("GET", origin=origin), preflight(origin, "GET")):
        decision = decide(request, PATTERN_CONFIG)
        assert decision.allowed is allowed
        assert acao(decision) == (origin if allowed else None)


REGEX_CONFIG = Config(
    allow_origin_regexes=[r"https://[a-z]+\.example\.net", r"^https://shop\.example\.io$"]
)
REGEX_MATCHING = [
    pytest.param("https://shop.example.net", True, id="the regex matches"),
    pytest.param("https://shop.example.io", True, id="anchored regex matches"),
    pytest.param("https://shop.example.io\n", False, id="dollar does not let a newline through"),
    pytest.param("https://shop.example.net\n", False, id="trailing newline is not matched"),
    pytest.param("xhttps://shop.example.net", False, id="whole value: nothing before"),
    pytest.param("https://shop.example.net.evil.com", False, id="whole value: nothing after"),
    pytest.param("https://SHOP.example.net", False, id="upper case does not match"),
]


@pytest.mark.parametrize(("origin", "allowed"), REGEX_MATCHING)
def test_regexes_match_the_whole_origin(origin: str, allowed: bool) -> None:
    decision = decide(Request("GET", origin=origin), REGEX_CONFIG)
    assert decision.allowed is allowed
    assert acao(decision) == (origin if allowed else None)


def test_a_flood_of_matching_origins_is_answered_right_every_time() -> None:
    config = Config(allow_origins=["https://*.example.com"])
    origins = [f"https://tenant{i}.example.com" for i in range(1500)]
    for _ in range(2):  # the second pass is answered from what the first learned
        for origin in origins:
            assert acao(decide(Request("GET", origin=origin), config)) == origin
    assert not decide(Request("GET", origin="https://example.com"), config).allowed


def test_a_flood_of_matching_preflights_is_answered_right_every_time() -> None:
    config = Config(allow_origins=["https://*.example.com"], allow_methods=["PUT"])
    origins = [f"https://tenant{i}.example.com" for i in range(1500)]
    for _ in range(2):
        for origin in origins:
            decision = decide(preflight(origin), config)
            assert decision.allowed
            assert acao(decision) == origin
    assert not decide(preflight("https://example.com"), config).allowed


def test_a_flood_of_distinct_header_lists_is_answered_right_every_time() -> None:
    config = Config(allow_origins=[APP], allow_headers="*")
    for i in range(1500):
        raw = f"x-a{i}, x-b{i}" if i % 2 else f"x-c{i}, authorization"
        decision = decide(preflight(method="GET", request_headers=raw), config)
        assert decision.allowed is bool(i % 2)


def test_the_same_pattern_origin_gets_the_same_answer_twice() -> None:
    request = Request("GET", origin="https://again.example.com")
    assert decide(request, PATTERN_CONFIG) == decide(request, PATTERN_CONFIG)


# -- '*' is a static answer ----------------------------------------------------

STAR_ORIGINS = [
    pytest.param(APP, id="an origin"),
    pytest.param("null", id="Origin: null"),
    pytest.param("https://a.example, https://b.example", id="repeated Origin lines"),
    pytest.param("https://app.example.com\r\nSet-Cookie: x=y", id="CR LF in Origin"),
    pytest.param("", id="empty Origin"),
    pytest.param("https://ß.example", id="non-ASCII Origin"),
]


@pytest.mark.parametrize("origin", STAR_ORIGINS)
def test_star_without_credentials_is_a_static_answer_for_every_origin(origin: str) -> None:
    actual = decide(Request("GET", origin=origin), ANY)
    assert actual.allowed
    assert actual.headers == (("Access-Control-Allow-Origin", "*"),)
    assert actual.vary == ()
    pre = decide(preflight(origin), ANY)
    assert pre.allowed
    assert acao(pre) == "*"
    assert "Origin" not in pre.vary
    assert values(pre, "Vary") == [", ".join(PREFLIGHT_VARY)]


def test_star_beside_listed_origins_still_answers_star_without_vary() -> None:
    config = Config(allow_origins=["*", APP])
    for origin in (APP, "https://other.example"):
        decision = decide(Request("GET", origin=origin), config)
        assert decision.headers == (("Access-Control-Allow-Origin", "*"),)
        assert decision.vary == ()
        assert acao(decide(preflight(origin, "GET"), config)) == "*"


def test_star_is_sent_on_origin_less_responses_too_without_vary() -> None:
    # Fetch, "CORS protocol and HTTP caches": '*' on every response, no Vary,
    # so that a shared cache's origin-less copy still serves a CORS fetch.
    decision = decide(Request("GET"), ANY)
    assert decision.kind == "not_cors"
    assert decision.vary == ()
    assert decision.headers == (("Access-Control-Allow-Origin", "*"),)
    assert decision.apply([("Content-Type", "text/plain")]) == [
        ("Content-Type", "text/plain"),
        ("Access-Control-Allow-Origin", "*"),
    ]


def test_exact_origin_configs_keep_vary_on_origin_less_responses() -> None:
    decision = decide(Request("GET"), Config(allow_origins=["https://a.example"]))
    assert decision.vary == ("Origin",)
    assert decision.headers == ()


# -- Vary ----------------------------------------------------------------------

VARY_CASES = [
    pytest.param(Request("GET", origin=APP), True, id="allowed actual request"),
    pytest.param(Request("GET", origin="https://evil.example"), False,
                 id="disallowed actual request"),
    pytest.param(Request("GET", origin="https://a, https://b"), False,
                 id="malformed Origin"),
    pytest.param(Request("GET"), False, id="origin-less request"),
    pytest.param(preflight(), True, id="allowed preflight"),
    pytest.param(preflight("https://evil.example"), False, id="refused preflight"),
]


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(EXACT, id="exact origins"),
        pytest.param(Config(allow_origins=[APP]), id="one origin"),
        pytest.param(Config(allow_origins=["https://*.example.com"]), id="pattern"),
        pytest.param(Config(allow_origin_regexes=[r"https://app\.example\.com"]), id="regex"),
    ],
)
@pytest.mark.parametrize(("request_", "allowed"), VARY_CASES)
def test_every_response_that_depends_on_origin_varies_on_origin(
    config: Config, request_: Request, allowed: bool
) -> None:
    if request_.method == "OPTIONS":
        config = config.replace(allow_methods=["PUT"])
    decision = decide(request_, config)
    assert decision.allowed is allowed
    assert decision.vary[0] == "Origin"
    if decision.action == "respond":
        assert values(decision, "Vary") == [", ".join(decision.vary)]
        assert decision.vary == ("Origin", *PREFLIGHT_VARY)


def test_repeated_origin_lines_make_no_valid_origin() -> None:
    request = Request.from_headers("GET", [("Origin", APP), ("origin", APP)])
    assert request.origin == f"{APP}, {APP}"
    decision = decide(request, EXACT)
    assert decision.reasons == ("origin_malformed",)
    assert acao(decision) is None
    assert decision.vary == ("Origin",)


# -- actual requests -----------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("https://evil.example", id="disallowed origin"),
        pytest.param("https://a, https://b", id="malformed origin"),
        pytest.param(APP, id="allowed origin"),
    ],
)
def test_an_actual_request_always_reaches_the_application(origin: str) -> None:
    decision = decide(Request("DELETE", origin=origin), EXACT)
    assert decision.kind == "actual"
    assert decision.action == "forward"
    assert decision.status is None
    assert decision.action == "forward"  # the application's CORS headers are replaced


def test_the_core_never_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    forged = "https://app.example.com\r\nINFO admin logged in"
    for request in (Request("GET", origin=forged), preflight(forged, "PUT\r\nX")):
        decide(request, EXACT)
    assert caplog.records == []


# -- credentials ---------------------------------------------------------------

CRED = Config(allow_origins=[APP], allow_credentials=True, expose_headers=["X-Total"])


def test_credentials_are_only_true_and_only_for_allowed_origins() -> None:
    allowed = decide(Request("GET", origin=APP), CRED)
    assert allowed.headers == (
        ("Access-Control-Allow-Origin", APP),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Expose-Headers", "X-Total"),
    )
    denied = decide(Request("GET", origin="https://evil.example"), CRED)
    assert denied.headers == ()
    assert values(decide(preflight(method="GET"), CRED), "Access-Control-Allow-Credentials") == [
        "true"
    ]


def test_no_credentials_header_without_allow_credentials() -> None:
    decision = decide(Request("GET", origin=APP), EXACT)
    assert values(decision, "Access-Control-Allow-Credentials") == []


def test_expose_headers_go_on_actual_responses_only() -> None:
    config = Config(allow_origins=[APP], expose_headers=["X-Total", "ETag"])
    assert values(decide(Request("GET", origin=APP), config),
                  "Access-Control-Expose-Headers") == ["X-Total, ETag"]
    assert values(decide(preflight(method="GET"), config), "Access-Control-Expose-Headers") == []
    star = Config(allow_origins="*", expose_headers="*")
    assert values(decide(Request("GET", origin=APP), star),
                  "Access-Control-Expose-Headers") == ["*"]


# -- methods -------------------------------------------------------------------

METHOD_CASES = [
    pytest.param(["PATCH"], "PATCH", (), id="a listed method"),
    pytest.param(["PATCH"], "patch", ("method_not_allowed",), id="patch is not PATCH"),
    pytest.param(["patch"], "patch", (), id="a listed lower-case patch"),
    pytest.param(["patch"], "PATCH", ("method_not_allowed",), id="PATCH is not patch"),
    pytest.param([], "GET", (), id="GET needs no listing"),
    pytest.param([], "HEAD", (), id="HEAD needs no listing"),
    pytest.param([], "POST", (), id="POST needs no listing"),
    pytest.param([], "get", ("method_not_allowed",), id="get is never upper-cased"),
    pytest.param(["PUT"], "DELETE", ("method_not_allowed",), id="an unlisted method"),
    pytest.param(["PUT"], "DEL ETE", ("method_malformed",), id="method with a space"),
    pytest.param(["PUT"], "", ("method_malformed",), id="empty method"),
    pytest.param(["PUT"], "PUT\r\n", ("method_malformed",), id="method with CR LF"),
    pytest.param(["PUT"], "PUT, GET", ("method_malformed",), id="repeated ACRM lines"),
    pytest.param(["PUT"], "P" * 65, ("method_malformed",), id="over-long method"),
    pytest.param(["*"], "PURGE", (), id="star covers any method"),
    pytest.param(["*"], "purge", (), id="star covers lower-case methods"),
    pytest.param(["*"], "DEL ETE", ("method_malformed",), id="star never covers a non-token"),
]


@pytest.mark.parametrize(("methods", "method", "reasons"), METHOD_CASES)
def test_method_check_is_case_sensitive_and_safelists_get_head_post(
    methods: list[str], method: str, reasons: tuple[str, ...]
) -> None:
    decision = decide(preflight(method=method), Config(allow_origins=[APP], allow_methods=methods))
    assert decision.reasons == reasons
    assert decision.allowed is (not reasons)


@pytest.mark.parametrize(
    ("options", "method", "expected"),
    [
        pytest.param({"allow_methods": ["PUT", "PATCH"]}, "PATCH", ["PUT, PATCH"],
                     id="the listed methods"),
        pytest.param({"allow_methods": []}, "GET", [], id="nothing listed, nothing sent"),
        pytest.param({"allow_methods": "*"}, "PURGE", ["*"], id="star without credentials"),
        pytest.param({"allow_methods": "*", "allow_credentials": True}, "PURGE", ["PURGE"],
                     id="star with credentials echoes the method"),
        pytest.param({"allow_methods": "*", "allow_credentials": True}, "GET", ["GET"],
                     id="star with credentials echoes a safelisted method"),
    ],
)
def test_allow_methods_header_covers_what_was_asked(
    options: dict[str, Any], method: str, expected: list[str]
) -> None:
    decision = decide(preflight(method=method), Config(allow_origins=[APP], **options))
    assert decision.allowed
    assert values(decision, "Access-Control-Allow-Methods") == expected


# -- Access-Control-Request-Headers --------------------------------------------

LISTED = Config(allow_origins=[APP], allow_headers=["Content-Type", "X-Request-Id"])
HEADER_CASES = [
    pytest.param("content-type", (), id="one listed name"),
    pytest.param("Content-Type", (), id="names compare case-insensitively"),
    pytest.param("CONTENT-TYPE,X-REQUEST-ID", (), id="upper-case list"),
    pytest.param("content-type, x-request-id", (), id="comma and space"),
    pytest.param(" content-type ,\tx-request-id\t", (), id="optional whitespace"),
    pytest.param(",,content-type,, ,\t,", (), id="empty elements are tolerated"),
    pytest.param("", (), id="empty header"),
    pytest.param("x-other", ("headers_not_allowed",), id="an unlisted name"),
    pytest.param("content-type, x-other", ("headers_not_allowed",), id="one unlisted among listed"),
    pytest.param("x request id", ("headers_malformed",), id="space inside a name"),
    pytest.param("content-type;", ("headers_malformed",), id="semicolon"),
    pytest.param("content-type\r\nx-evil", ("headers_malformed",), id="CR LF"),
    pytest.param("x-request-\u0130d", ("headers_malformed",), id="non-ASCII letter"),
    pytest.param("authorization", ("headers_not_allowed",), id="authorization unlisted"),
    pytest.param("," * 100_000, ("headers_over_limit",), id="100000 commas"),
    pytest.param(",".join(["x-a"] * 2000), ("headers_over_limit",), id="2000 names"),
    pytest.param("x" * 100_000, ("headers_over_limit",), id="a 100 KB name"),
    pytest.param(", ".join(f"x-h{i}" for i in range(300)), ("headers_over_limit",),
                 id="hundreds of names under the length bound"),
]


@pytest.mark.parametrize(("raw", "reasons"), HEADER_CASES)
def test_request_headers_are_a_bounded_case_insensitive_comma_list(
    raw: str, reasons: tuple[str, ...]
) -> None:
    decision = decide(preflight(method="GET", request_headers=raw), LISTED)
    assert decision.reasons == reasons
    assert decision.allowed is (not reasons)
    if decision.allowed:
        assert values(decision, "Access-Control-Allow-Headers") == ["Content-Type, X-Request-Id"]


def test_a_non_ascii_name_never_folds_into_a_listed_one() -> None:
    # U+212A KELVIN SIGN lower-cases to an ASCII "k" in Python; Fetch
    # lower-cases ASCII bytes only, so this is no header name at all.
    config = Config(allow_origins=[APP], allow_headers=["X-Kount"])
    decision = decide(preflight(method="GET", request_headers="x-\u212aount"), config)
    assert decision.reasons == ("headers_malformed",)
    assert decide(preflight(method="GET", request_headers="X-KOUNT"), config).allowed


@pytest.mark.parametrize(
    "count",
    [pytest.param(3, id="a few names"), pytest.param(40, id="a long list of long names")],
)
def test_a_browser_sized_header_list_is_accepted(count: int) -> None:
    names = [f"x-custom-application-header-{i}" for i in range(count)]
    config = Config(allow_origins=[APP], allow_headers=names)
    raw = ",".join(names)
    for _ in range(2):  # the same list again gets the same answer
        decision = decide(preflight(method="GET", request_headers=raw), config)
        assert decision.allowed
        assert values(decision, "Access-Control-Allow-Headers") == [", ".join(names)]


STAR_HEADER_CASES = [
    pytest.param({}, "x-anything, content-type", (), ["*"], id="star covers any name"),
    pytest.param({}, "authorization", ("authorization_not_covered",), [],
                 id="star never covers Authorization"),
    pytest.param({}, "x-a, Authorization", ("authorization_not_covered",), [],
                 id="star never covers Authorization in any case"),
    pytest.param({}, "x a", ("headers_malformed",), [], id="star never covers a non-token"),
    pytest.param({"extra": ["Authorization"]}, "authorization, x-a", (), ["*, Authorization"],
                 id="listed Authorization beside star"),
    pytest.param({"credentials": True}, "X-A, x-b", (), ["x-a, x-b"],
                 id="star with credentials echoes the requested names"),
    pytest.param({"credentials": True}, "authorization", ("authorization_not_covered",), [],
                 id="star with credentials still needs Authorization listed"),
    pytest.param({"credentials": True, "extra": ["Authorization"]}, "Authorization, x-a", (),
                 ["authorization, x-a"], id="listed Authorization is echoed with credentials"),
    pytest.param({"credentials": True}, None, (), [],
                 id="star with credentials and nothing asked sends nothing"),
]


@pytest.mark.parametrize(("how", "raw", "reasons", "acah"), STAR_HEADER_CASES)
def test_star_headers_follow_fetch(
    how: dict[str, Any], raw: str | None, reasons: tuple[str, ...], acah: list[str]
) -> None:
    config = Config(
        allow_origins=[APP],
        allow_headers=["*", *how.get("extra", [])],
        allow_credentials=how.get("credentials", False),
    )
    decision = decide(preflight(method="GET", request_headers=raw), config)
    assert decision.reasons == reasons
    assert values(decision, "Access-Control-Allow-Headers") == acah


STAR = Config(allow_origins=[APP], allow_headers="*")
MANY_NAMES = ", ".join(f"x-custom-header-{i}" for i in range(300))
STAR_LIST_CASES = [
    pytest.param(MANY_NAMES, (), id="300 names"),
    pytest.param(",".join(f"x-{i}" for i in range(1000)), (), id="1000 names"),
    pytest.param(",".join(["x-a"] * 2000), (), id="2000 names, the same one"),
    pytest.param("," * 8192, (), id="8192 commas: the length bound itself"),
    pytest.param("x" * 8192, (), id="one name of 8192 characters"),
    pytest.param("," * 8193, ("headers_over_limit",), id="one character over the bound"),
    pytest.param("x" * 100_000, ("headers_over_limit",), id="a 100 KB name"),
    pytest.param(MANY_NAMES + ", Authorization", ("authorization_not_covered",),
                 id="Authorization last"),
    pytest.param("AUTHORIZATION," + MANY_NAMES, ("authorization_not_covered",),
                 id="Authorization first, upper-case"),
    pytest.param("x-a,\tauthorization\t,x-b", ("authorization_not_covered",),
                 id="Authorization between tabs"),
    pytest.param("x-authorization, authorization-x, authorizations", (),
                 id="names containing authorization are other names"),
    pytest.param("x-a, authori\u017eation", ("headers_malformed",), id="non-ASCII look-alike"),
    pytest.param("authori\u212aation", ("headers_malformed",), id="Kelvin sign"),
    pytest.param(MANY_NAMES + ", x a", ("headers_malformed",), id="space inside a name"),
    pytest.param("x-a\t \tx-b", ("headers_malformed",), id="two names without a comma"),
    pytest.param("x-a;", ("headers_malformed",), id="semicolon"),
    pytest.param("x-a\r\nx-evil: 1", ("headers_malformed",), id="CR LF"),
    pytest.param(" x-a ,, ,\tx-b\t,", (), id="whitespace and empty elements"),
    pytest.param("", (), id="empty"),
]


@pytest.mark.parametrize(("raw", "reasons"), STAR_LIST_CASES)
def test_star_headers_without_credentials_cover_any_number_of_names(
    raw: str, reasons: tuple[str, ...]
) -> None:
    """Fetch: '*' covers every name but Authorization, however many are asked
    for; only the value's length is bounded (8192 characters)."""
    config = STAR.replace(allow_methods=["PUT"])
    for _ in range(2):  # a remembered answer is the same answer
        decision = decide(preflight(request_headers=raw), config)
        assert decision.reasons == reasons
        assert decision.allowed is (not reasons)
        assert values(decision, "Access-Control-Allow-Headers") == ([] if reasons else ["*"])


def test_star_headers_with_listed_authorization_cover_it_among_many() -> None:
    config = Config(allow_origins=[APP], allow_headers=["*", "Authorization"])
    decision = decide(preflight(method="GET", request_headers=MANY_NAMES + ",authorization"),
                      config)
    assert decision.allowed
    assert values(decision, "Access-Control-Allow-Headers") == ["*, Authorization"]


def test_star_headers_with_credentials_keep_the_name_bound() -> None:
    # With credentials '*' is the literal name '*' to the browser: the names
    # are echoed, so they are read one by one, and at most 64 of them.
    config = Config(allow_origins=[APP], allow_headers="*", allow_credentials=True)
    names = [f"x-h{i}" for i in range(64)]
    assert decide(preflight(method="GET", request_headers=",".join(names)), config).allowed
    over = decide(preflight(method="GET", request_headers=",".join([*names, "x-more"])), config)
    assert over.reasons == ("headers_over_limit",)


def test_an_explicit_list_accepts_as_many_names_as_it_holds() -> None:
    listed = [f"X-Custom-{i}" for i in range(100)]
    config = Config(allow_origins=[APP], allow_headers=listed)
    asked = ",".join(name.lower() for name in listed)
    decision = decide(preflight(method="GET", request_headers=asked), config)
    assert decision.allowed
    # More names than the list holds cannot all be listed: refused unread.
    more = decide(preflight(method="GET", request_headers=asked + ",x-custom-0"), config)
    assert more.reasons == ("headers_over_limit",)


def test_no_allow_headers_header_when_none_are_listed() -> None:
    decision = decide(preflight(method="GET", request_headers=""), Config(allow_origins=[APP]))
    assert decision.allowed
    assert values(decision, "Access-Control-Allow-Headers") == []


# -- the preflight answer ------------------------------------------------------


@pytest.mark.parametrize(
    ("max_age", "expected"),
    [
        pytest.param(-1, [], id="-1 sends no Max-Age"),
        pytest.param(0, ["0"], id="0 sends 0"),
        pytest.param(600, ["600"], id="the default"),
        pytest.param(86400, ["86400"], id="a day"),
    ],
)
def test_max_age_header(max_age: int, expected: list[str]) -> None:
    config = Config(allow_origins=[APP], max_age=max_age)
    assert values(decide(preflight(method="GET"), config), "Access-Control-Max-Age") == expected


def test_an_allowed_preflight_is_answered_in_full() -> None:
    config = Config(
        allow_origins=[APP], allow_methods=["PUT"], allow_headers=["X-Token"],
        allow_credentials=True, max_age=60,
    )
    decision = decide(preflight(request_headers="x-token"), config)
    assert decision.kind == "preflight"
    assert decision.allowed
    assert decision.action == "respond"
    assert decision.status == 204
    assert decision.reasons == ()
    assert decision.headers == (
        ("Access-Control-Allow-Origin", APP),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "PUT"),
        ("Access-Control-Allow-Headers", "X-Token"),
        ("Access-Control-Max-Age", "60"),
        ("Vary", "Origin, " + ", ".join(PREFLIGHT_VARY)),
    )


@pytest.mark.parametrize(
    ("status", "content_length"),
    [pytest.param(204, [], id="204 has no body to measure"),
     pytest.param(200, ["0"], id="200 says its body is empty")],
)
def test_preflight_status_is_used(status: int, content_length: list[str]) -> None:
    config = Config(allow_origins=[APP], preflight_status=status)
    decision = decide(preflight(method="GET"), config)
    assert decision.status == status
    assert values(decision, "Content-Length") == content_length


REFUSED_PREFLIGHTS = [
    pytest.param(preflight("https://evil.example"), ("origin_not_allowed",), id="origin"),
    pytest.param(preflight("https://a, https://b"), ("origin_malformed",), id="malformed origin"),
    pytest.param(preflight(method="DELETE"), ("method_not_allowed",), id="method"),
    pytest.param(preflight(method="DEL ETE"), ("method_malformed",), id="malformed method"),
    pytest.param(preflight(request_headers="x-other"), ("headers_not_allowed",), id="headers"),
    pytest.param(preflight(request_headers="a b"), ("headers_malformed",), id="malformed headers"),
    pytest.param(preflight(request_headers="," * 5000), ("headers_over_limit",),
                 id="headers over the limit"),
    pytest.param(preflight(private_network=True), ("private_network_not_allowed",),
                 id="private network not enabled"),
    pytest.param(
        preflight("https://evil.example", "DELETE", request_headers="x-other",
                  private_network=True),
        ("origin_not_allowed", "method_not_allowed", "headers_not_allowed",
         "private_network_not_allowed"),
        id="every reason at once",
    ),
]


@pytest.mark.parametrize(("request_", "reasons"), REFUSED_PREFLIGHTS)
@pytest.mark.parametrize("failure_status", [403, 401])
def test_a_refused_preflight_discloses_nothing(
    request_: Request, reasons: tuple[str, ...], failure_status: int
) -> None:
    config = Config(
        allow_origins=[APP], allow_methods=["PUT"], allow_headers=["X-Token"],
        allow_credentials=True, preflight_failure_status=failure_status,
    )
    decision = decide(request_, config)
    assert decision.kind == "preflight"
    assert not decision.allowed
    assert decision.action == "respond"
    assert decision.status == failure_status
    assert decision.reasons == reasons
    assert all(reason in REASONS for reason in reasons)
    assert not [n for n, _ in decision.headers if n.lower().startswith("access-control-")]
    assert decision.headers == (
        ("Vary", "Origin, " + ", ".join(PREFLIGHT_VARY)),
        ("Content-Length", "0"),
    )


def test_a_refused_preflight_is_answered_even_with_passthrough() -> None:
    config = Config(allow_origins=[APP], preflight_passthrough=True)
    decision = decide(preflight("https://evil.example", "GET"), config)
    assert decision.action == "respond"
    assert decision.status == 403


# -- Private Network Access ----------------------------------------------------

PNA = Config(allow_origins=[APP, "https://*.example.org"], allow_private_network=True)
PNA_CASES = [
    pytest.param(PNA, APP, True, ["true"], (), id="allowed origin asking"),
    pytest.param(PNA, "https://intranet.example.org", True, ["true"], (),
                 id="allowed pattern origin asking"),
    pytest.param(PNA, APP, False, [], (), id="allowed origin not asking"),
    pytest.param(PNA, "https://evil.example", True, [], ("origin_not_allowed",),
                 id="disallowed origin asking"),
    pytest.param(Config(allow_origins=[APP]), APP, True, [],
                 ("private_network_not_allowed",), id="not enabled"),
]


@pytest.mark.parametrize(("config", "origin", "asks", "acapn", "reasons"), PNA_CASES)
def test_private_network_access_needs_the_option_and_an_allowed_origin(
    config: Config, origin: str, asks: bool, acapn: list[str], reasons: tuple[str, ...]
) -> None:
    decision = decide(preflight(origin, "GET", private_network=asks), config)
    assert decision.reasons == reasons
    assert values(decision, "Access-Control-Allow-Private-Network") == acapn


def test_private_network_flag_on_an_actual_request_changes_nothing() -> None:
    request = Request("GET", origin=APP, private_network=True)
    assert decide(request, Config(allow_origins=[APP])).allowed


# -- preflight passthrough -----------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [pytest.param(APP, id="exact origin"), pytest.param("https://b.example.com", id="pattern")],
)
def test_passthrough_sends_a_valid_preflight_on_with_headers_to_add(origin: str) -> None:
    config = Config(
        allow_origins=[APP, "https://*.example.com"], allow_methods=["PUT"],
        preflight_passthrough=True,
    )
    decision = decide(preflight(origin), config)
    assert decision.kind == "preflight"
    assert decision.allowed
    assert decision.action == "forward"
    assert decision.status is None
    assert decision.headers == (
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Methods", "PUT"),
        ("Access-Control-Max-Age", "600"),
    )
    assert decision.vary == ("Origin", *PREFLIGHT_VARY)
    applied = decision.apply([("Content-Type", "text/plain"), ("Vary", "Accept")])
    assert applied == [
        ("Content-Type", "text/plain"),
        ("Vary", "Accept, Origin, " + ", ".join(PREFLIGHT_VARY)),
        *decision.headers,
    ]


# -- untouched -----------------------------------------------------------------

UNTOUCHED = [
    pytest.param(Config(enabled=False, allow_origins=[APP]), Request("GET", origin=APP),
                 "disabled", id="disabled config, actual request"),
    pytest.param(Config(enabled=False, allow_origins=[APP]), preflight(), "disabled",
                 id="disabled config, preflight"),
    pytest.param(Config(enabled=False), Request("GET"), "disabled",
                 id="disabled config, no Origin"),
    pytest.param(EXACT, Request("GET", origin=APP, websocket=True), "websocket",
                 id="WebSocket handshake"),
    pytest.param(EXACT, preflight(websocket=True), "websocket",
                 id="WebSocket handshake shaped like a preflight"),
    pytest.param(ANY, Request("GET", origin="https://x.example", websocket=True), "websocket",
                 id="WebSocket handshake under star"),
]


@pytest.mark.parametrize(("config", "request_", "reason"), UNTOUCHED)
def test_disabled_configs_and_websocket_handshakes_are_left_untouched(
    config: Config, request_: Request, reason: str
) -> None:
    decision = decide(request_, config)
    assert decision.kind == "not_cors"
    assert decision.action == "pass"
    assert decision.reasons == (reason,)
    assert (decision.action, decision.status, decision.headers, decision.vary) == (
        "pass", None, (), ()
    )
    app_headers = [("Access-Control-Allow-Origin", "*"), ("Vary", "Accept")]
    assert decision.apply(app_headers) == app_headers
    # A usual response, twice: the second time its names are known plain.
    plain = [("Content-Type", "text/plain"), ("Content-Length", "2")]
    for _ in range(2):
        applied = decision.apply(plain)
        assert applied == plain
        assert applied is not plain, "a new list, as for any decision"
    assert decision.apply(iter(plain)) == plain


EVERY_REASON = {
    "no_origin": (EXACT, Request("GET")),
    "websocket": (EXACT, Request("GET", origin=APP, websocket=True)),
    "disabled": (Config(enabled=False), Request("GET", origin=APP)),
    "origin_not_allowed": (EXACT, Request("GET", origin="https://evil.example")),
    "origin_malformed": (EXACT, Request("GET", origin="https://a, https://b")),
    "method_not_allowed": (EXACT, preflight(method="DELETE")),
    "method_malformed": (EXACT, preflight(method="DEL ETE")),
    "headers_not_allowed": (EXACT, preflight(request_headers="x-a")),
    "authorization_not_covered": (
        EXACT.replace(allow_headers="*"), preflight(request_headers="authorization")
    ),
    "headers_malformed": (EXACT, preflight(request_headers="x a")),
    "headers_over_limit": (EXACT, preflight(request_headers="," * 10_000)),
    "private_network_not_allowed": (EXACT, preflight(private_network=True)),
    "websocket_origin_not_allowed": (
        EXACT.replace(check_websocket_origin=True),
        Request("GET", origin="https://evil.example", websocket=True),
    ),
}


@pytest.mark.parametrize("reason", sorted(EVERY_REASON))
def test_every_reason_code_is_documented_and_reachable(reason: str) -> None:
    config, request = EVERY_REASON[reason]
    assert decide(request, config).reasons == (reason,)
    assert REASONS[reason]
    assert set(EVERY_REASON) == set(REASONS)
