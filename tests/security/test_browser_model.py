"""corecors's answers, judged by a model of the browser built from Fetch.

For every generated (config, requests) pair the model browser fetches with
corecors as the server. It must get access exactly when the config allows
that origin, method, headers, credentials and private-network access:
more is a security failure, less (for requests a browser really makes) is
a broken site. The model itself is first shown to refuse broken servers
that peers shipped, so a lenient model could not pass these tests.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, reject
from hypothesis import strategies as st
from sec_fetch_model import (
    Browser,
    Header,
    PageRequest,
    Server,
    cors_unsafe_request_header_names,
    serialize_origin,
)
from sec_policy import (
    EXPOSE,
    Policy,
    browser_origins,
    friendly_requests,
    many_safelisted_headers,
    origin_for,
    page_requests,
    policies,
    raw_origins,
)
from sec_support import APP_HEADERS, STATS, budget, check_response, corecors_server

from corecors import Config, ConfigError, Request, decide

APP = "https://app.example.com"


def _config(policy: Policy) -> Config:
    try:
        return policy.config()
    except ConfigError as exc:  # pragma: no cover - the strategies avoid these
        STATS["model: configs refused (rejected examples)"] += 1
        reject()
        raise AssertionError from exc


def _explain(policy: Policy, page: PageRequest, log: list[str]) -> str:
    return f"\npolicy={policy}\npage={page}\nexchanges:\n  " + "\n  ".join(log)


# -- the model refuses what peers got wrong ------------------------------------


def _static(headers: list[Header], status: int = 200) -> Server:
    def serve(method: str, request: list[Header]) -> tuple[int, list[Header]]:
        return status, list(headers)

    return serve


def _reflecting(credentials: bool) -> Server:
    """The classic hole: reflect whatever Origin arrives."""

    def serve(method: str, request: list[Header]) -> tuple[int, list[Header]]:
        origin = {n.lower(): v for n, v in request}.get("origin", "")
        out = [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Methods", "GET, PUT"),
            ("Access-Control-Allow-Headers", "*"),
        ]
        if credentials:
            out.append(("Access-Control-Allow-Credentials", "true"))
        return 200, out

    return serve


def test_model_refuses_a_missing_or_foreign_acao() -> None:
    page = PageRequest(APP)
    assert not Browser().fetch(page, _static([])).granted
    foreign = _static([("Access-Control-Allow-Origin", "https://other.example.com")])
    assert not Browser().fetch(page, foreign).granted
    trailing = _static([("Access-Control-Allow-Origin", APP + "/")])
    assert not Browser().fetch(page, trailing).granted
    two = _static([("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Origin", APP)])
    assert not Browser().fetch(page, two).granted
    assert Browser().fetch(page, _static([("Access-Control-Allow-Origin", APP)])).granted


def test_model_wildcard_never_serves_credentials() -> None:
    star = _static(
        [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")]
    )
    assert Browser().fetch(PageRequest(APP), star).granted
    assert not Browser().fetch(PageRequest(APP, credentials="include"), star).granted
    echo = _static([("Access-Control-Allow-Origin", APP)])
    assert not Browser().fetch(PageRequest(APP, credentials="include"), echo).granted
    wrong_case = _static(
        [("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Credentials", "True")]
    )
    assert not Browser().fetch(PageRequest(APP, credentials="include"), wrong_case).granted


def test_model_method_and_header_wildcards_follow_fetch() -> None:
    def preflighted(acam: str, acah: str, include: bool) -> Server:
        out = [
            ("Access-Control-Allow-Origin", APP),
            ("Access-Control-Allow-Methods", acam),
            ("Access-Control-Allow-Headers", acah),
        ]
        if include:
            out.append(("Access-Control-Allow-Credentials", "true"))
        return _static(out)

    put = PageRequest(APP, "PUT", (("X-Custom", "1"),))
    assert Browser().fetch(put, preflighted("*", "*", False)).granted
    creds = PageRequest(APP, "PUT", (("X-Custom", "1"),), credentials="include")
    assert not Browser().fetch(creds, preflighted("*", "x-custom", True)).granted
    assert not Browser().fetch(creds, preflighted("PUT", "*", True)).granted
    assert Browser().fetch(creds, preflighted("PUT", "X-CUSTOM", True)).granted
    auth = PageRequest(APP, "GET", (("Authorization", "Bearer x"),))
    assert not Browser().fetch(auth, preflighted("GET", "*", False)).granted
    assert Browser().fetch(auth, preflighted("GET", "*, Authorization", False)).granted
    lower = PageRequest(APP, "patch")
    assert not Browser().fetch(lower, preflighted("PATCH", "", False)).granted
    assert Browser().fetch(PageRequest(APP, "delete"), preflighted("DELETE", "", False)).granted
    bad = _static([("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Methods", "P UT")])
    assert not Browser().fetch(PageRequest(APP, "PUT"), bad).granted


def test_model_private_network_needs_the_allow_header() -> None:
    page = PageRequest(APP, private_network=True)
    plain = _static([("Access-Control-Allow-Origin", APP)])
    outcome = Browser().fetch(page, plain)
    assert outcome.preflight_sent
    assert not outcome.granted
    pna = _static(
        [("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Private-Network", "true")]
    )
    assert Browser().fetch(page, pna).granted


def test_model_failed_preflight_status_and_cache() -> None:
    page = PageRequest(APP, "PUT")
    refused = _static(
        [("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Methods", "PUT")], status=403
    )
    assert not Browser().fetch(page, refused).granted
    browser = Browser()
    ok = _static([("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Methods", "PUT")])
    assert browser.fetch(page, ok).preflight_sent
    assert not browser.fetch(page, ok).preflight_sent  # cached
    zero = _static(
        [
            ("Access-Control-Allow-Origin", APP),
            ("Access-Control-Allow-Methods", "PUT"),
            ("Access-Control-Max-Age", "0"),
        ]
    )
    fresh = Browser()
    assert fresh.fetch(page, zero).preflight_sent
    assert fresh.fetch(page, zero).preflight_sent


def test_model_unsafe_header_names_follow_fetch() -> None:
    names = cors_unsafe_request_header_names(
        [
            ("Content-Type", "text/plain"),
            ("Content-Type", "application/json"),
            ("X-B", "1"),
            ("x-a", "2"),
            ("Accept", "x" * 129),
            ("Accept-Language", "en"),
        ]
    )
    assert names == ["accept", "content-type", "x-a", "x-b"]
    assert cors_unsafe_request_header_names(many_safelisted_headers()) == ["accept-language"]
    assert serialize_origin("HTTPS", "BÜCHER.example", 443) == "https://xn--bcher-kva.example"
    assert serialize_origin("https", "straße.example", None) == "https://xn--strae-oqa.example"
    assert serialize_origin("http", "[0:0:0:0:0:0:0:1]", 8080) == "http://[::1]:8080"


def test_star_headers_grant_any_number_of_headers_without_credentials() -> None:
    """The model browser sends one preflight naming 200 headers; '*' covers
    them all (Fetch), and corecors answers it so, without a count limit.
    Authorization among them still needs its name."""
    many = tuple((f"X-Custom-{i}", "1") for i in range(200))
    policy = Policy(exact=((APP, APP),), methods=("PUT",), headers=("*",))
    server = corecors_server(policy.config(), policy)
    outcome = Browser().fetch(PageRequest(APP, "PUT", many), server)
    assert outcome.preflight_sent
    assert outcome.granted
    auth = PageRequest(APP, "PUT", (*many, ("Authorization", "Bearer x")))
    assert not Browser().fetch(auth, server).granted
    listed = Policy(exact=((APP, APP),), methods=("PUT",), headers=("*", "Authorization"))
    assert Browser().fetch(auth, corecors_server(listed.config(), listed)).granted


def test_reflecting_server_is_caught_by_the_property() -> None:
    """A reflect-everything server grants a stranger, which the property
    would report: the model is not too lenient to notice that hole."""
    policy = Policy(exact=((APP, APP),), credentials=True)
    for credentials, mode in ((True, "include"), (False, "same-origin")):
        page = PageRequest("https://evil.example", "PUT", credentials=mode)
        outcome = Browser().fetch(page, _reflecting(credentials))
        assert outcome.granted
        assert not policy.grants(page)


# -- the property ---------------------------------------------------------------


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Policy, list[PageRequest]]:
    policy = draw(policies())
    origin = draw(origin_for(policy))
    pages = draw(
        st.lists(
            st.one_of(page_requests(origin), friendly_requests(policy, origin)),
            min_size=1,
            max_size=3,
        )
    )
    if draw(st.integers(0, 9)) == 0:
        first = pages[0]
        pages[0] = PageRequest(
            first.origin,
            first.method,
            many_safelisted_headers(),
            first.credentials,
            first.private_network,
        )
    return policy, pages


@budget(ci=700)
@given(scenarios())
def test_browser_gets_exactly_what_the_config_allows(
    scenario: tuple[Policy, list[PageRequest]],
) -> None:
    policy, pages = scenario
    config = _config(policy)
    log: list[str] = []
    server = corecors_server(config, policy, log)
    browser = Browser()  # one cache across the pages: cached answers count too
    for page in pages:
        STATS["model: browser fetches judged"] += 1
        outcome = browser.fetch(page, server)
        expected = policy.grants(page)
        if outcome.granted and not expected:
            STATS["model: SECURITY FAILURES (granted too much)"] += 1
        assert outcome.granted == expected, (
            f"granted={outcome.granted} expected={expected} ({outcome.reason})"
            + _explain(policy, page, log)
        )
        STATS[f"model: fetches {'granted' if expected else 'refused'}"] += 1
        if outcome.preflight_sent:
            STATS["model: preflights sent"] += 1
        if outcome.granted:
            # The page reads the exposed headers and nothing else.
            app = {n.lower() for n, _ in APP_HEADERS} & {e.lower() for e in EXPOSE}
            listed = {e.lower() for e in policy.expose if e != "*"}
            everything = "*" in policy.expose and not page.include
            readable = outcome.exposed & app
            assert readable == (app if everything else listed & app), (
                readable,
                _explain(policy, page, log),
            )
    STATS["model: cases (config + request sequence)"] += 1


@budget(ci=400)
@given(policies(), raw_origins(), page_requests())
def test_requests_no_browser_sends_never_get_more(
    policy: Policy, origin: str, shape: PageRequest
) -> None:
    """Origins with the wrong case, a path, a default port, CR/LF, two
    origins joined, IDN in Unicode...: even a (hypothetical) browser whose
    origin serialized to that very string gets nothing the config does not
    list byte for byte."""
    config = _config(policy)
    log: list[str] = []
    page = PageRequest(
        origin,
        shape.method,
        shape.headers,
        shape.credentials,
        shape.private_network,
        shape.use_cors_preflight,
    )
    outcome = Browser().fetch(page, corecors_server(config, policy, log))
    STATS["model: adversarial origins judged"] += 1
    if outcome.granted:
        assert policy.grants(page), _explain(policy, page, log)


@budget(ci=300)
@given(policies(), st.sampled_from(("GET", "POST", "OPTIONS", "PUT", "get")))
def test_origin_less_and_same_origin_requests_carry_vary(policy: Policy, method: str) -> None:
    """A request without Origin gets Vary: Origin and no CORS headers, unless
    the answer is a static '*': then it gets 'Access-Control-Allow-Origin: *'
    as every response does, and no Vary (Fetch, "CORS protocol and HTTP
    caches"), so that a cached copy still serves a cross-origin fetch."""
    config = _config(policy)
    decision = decide(Request(method), config)
    response = decision.apply([("Content-Type", "text/plain")])
    check_response(policy, method, [], 200, response)
    cors = [(n, v) for n, v in response if n.lower().startswith("access-control-")]
    if config.allow_origins[:1] == ("*",):
        assert ("Access-Control-Allow-Origin", "*") in cors
        assert "origin" not in {
            t.strip().lower() for n, v in response if n == "Vary" for t in v.split(",")
        }
    else:
        assert not cors
    STATS["model: origin-less requests judged"] += 1


@budget(ci=200)
@given(policies(), browser_origins())
def test_duplicate_origin_lines_are_never_an_origin(policy: Policy, origin: str) -> None:
    """Two Origin lines arrive joined: no ACAO, even if both are allowed,
    except the static '*' (which names no origin)."""
    config = _config(policy)
    assume(origin != "null")
    for second in (origin, "https://evil.example"):
        for method, extra in (("GET", []), ("OPTIONS", [("Access-Control-Request-Method", "GET")])):
            headers = [("Origin", origin), ("Origin", second), *extra]
            decision = decide(Request.from_headers(method, headers), config)
            acao = [v for n, v in decision.headers if n == "Access-Control-Allow-Origin"]
            assert acao in ([], ["*"]), (headers, decision)
            if acao:
                assert policy.static
    STATS["model: duplicate-origin requests judged"] += 1


def test_idn_origins_compare_as_punycode() -> None:
    config = Config(allow_origins=["https://xn--bcher-kva.example"], allow_credentials=True)
    sent = serialize_origin("https", "Bücher.example", None)
    assert decide(Request("GET", origin=sent), config).allowed
    for raw in (
        "https://bücher.example",
        "https://BÜCHER.example",
        "https://xn--BCHER-kva.example",
    ):
        assert not decide(Request("GET", origin=raw), config).headers
    with pytest.raises(ConfigError, match="punycode"):
        Config(allow_origins=["https://bücher.example"])


@pytest.mark.parametrize(
    "entry",
    [
        "https://app.example.com/",
        "https://app.example.com:443",
        "http://app.example.com:80",
        "app.example.com",
        "null",
        "https://app.example.com:0",
        "https://app.example.com:65536",
        "https://*example.com",
        "",
        "https://app.example.com\r\n",
    ],
)
def test_config_refuses_entries_a_browser_never_matches(entry: str) -> None:
    with pytest.raises(ConfigError):
        Config(allow_origins=[entry])


def test_case_variants_in_config_match_the_browser_form() -> None:
    config = Config(allow_origins=["HTTPS://App.Example.COM"], allow_credentials=True)
    assert decide(Request("GET", origin=APP), config).allowed
    assert not decide(Request("GET", origin="https://App.Example.COM"), config).allowed
    assert re.fullmatch(r"https://app\.example\.com", APP)
