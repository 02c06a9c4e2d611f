"""Holes the security suite found, closed in the core: each rule and its proof."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corecors import Config, ConfigError, Request, decide

APP = "https://app.example.com"


@pytest.mark.parametrize(
    "regex",
    [
        pytest.param(r"https://(a+)+\.example\.com", id="a repeated repetition"),
        pytest.param(r"https://([a-z0-9]+)*\.example\.com", id="a starred repetition"),
        pytest.param(r"https://(\w+\.?)+\.example\.com", id="only an optional dot between turns"),
        pytest.param(
            r"https://((?:[a-z]+)|(?:[0-9]+))+\.example\.com", id="alternatives that each repeat"
        ),
        pytest.param(r"https://(?:x|(?:(?:[a-z]+))+)\.example\.com", id="inside an alternative"),
        pytest.param(
            r"https://(?=a)(?:(?:(?:a+)+)b)?\.example\.com", id="inside an optional group"
        ),
        pytest.param(r"https://(?:(a{1,1})+)+\.example\.com", id="a fixed repeat inside"),
        pytest.param(r"https://(?:(?:a)?(?:b+))+\.example\.com", id="an optional group first"),
        pytest.param(r"https://((a+)+)\.example\.com", id="inside a capturing group"),
        pytest.param(r"https://((y?)[a-z]+)+\.example\.com", id="an optional group, then a repeat"),
        # The 0.1.0 heuristic kept these two; on 'xaxa...xa!' each added 'xa'
        # doubles the time (0.3 s at 22 turns).
        pytest.param(
            r"https://(?:(?:x)(?:[a-z]+))+\.example\.com", id="a required group before the repeat"
        ),
        pytest.param(r"https://((x)[a-z]+)+\.example\.com", id="a required group in each turn"),
        pytest.param(r"https://(?:www\.|[a-z]+\.)*example\.com", id="overlapping alternatives"),
    ],
)
def test_a_regex_that_can_backtrack_exponentially_is_refused(regex: str) -> None:
    with pytest.raises(ConfigError, match=r"grows exponentially|lookaround") as exc:
        Config(allow_origin_regexes=[regex])
    assert "Fix:" in str(exc.value)


@pytest.mark.parametrize(
    "regex",
    [
        pytest.param(r"https://(?:[a-z0-9-]+\.)*example\.com", id="a literal between the turns"),
        pytest.param(r"https://(?:app|www)\.example\.com", id="plain alternatives"),
        pytest.param(r"https://(?:(?:[a-z]+\.)?)+example\.com", id="an optional body"),
        pytest.param(r"https://(?:a{2}b)+\.example\.com", id="a bounded repeat and a literal"),
        pytest.param(r"https://(?:(?:ab){1}c+)+\.example\.com", id="a required fixed repeat"),
        pytest.param(r"https://(?:x[a-z]*\.)+example\.com", id="a literal ends each turn"),
        pytest.param(
            r"https://(?:(?:a|b)c)+\.example\.com",
            id="an alternative without repeats, then a literal",
        ),
    ],
)
def test_a_regex_with_linear_repetition_is_kept(regex: str) -> None:
    assert Config(allow_origin_regexes=[regex]).allow_origin_regexes[0].pattern == regex


@pytest.mark.parametrize(
    ("regex", "stranger"),
    [
        pytest.param(
            r"https://[a-z]*example\.com",
            "corecorsevilexample.com",
            id="letters running into the domain",
        ),
        pytest.param(
            r"https://example\.com\w*",
            "example.comcorecorsevil",
            id="letters after the top-level domain",
        ),
        pytest.param(
            r"https://[a-z]+\.example\.[a-z]+",
            "a.example.corecorsevil",
            id="a wildcard top-level domain",
        ),
        pytest.param(
            r"https://example\.com[a-z0-9.-]*",
            "example.com",
            id="a class after the domain is not taken for a domain",
        ),
    ],
)
def test_letter_only_and_other_tld_probes_find_the_hole(regex: str, stranger: str) -> None:
    with pytest.raises(ConfigError, match=stranger.replace(".", r"\.")):
        Config(allow_origin_regexes=[regex], allow_credentials=True)


def test_a_deeply_nested_gravitee_export_is_a_config_error() -> None:
    definition: Any = {"enabled": True, "allowOrigin": [APP]}
    for _ in range(9):
        definition = {"api": definition}
    with pytest.raises(ConfigError, match="nested more than 8 levels"):
        Config.from_gravitee(definition)
    for _ in range(1):
        definition = definition["api"]
    assert Config.from_gravitee(definition).allow_origins == (APP,)


def test_gravitee_enabled_must_be_a_boolean() -> None:
    with pytest.raises(ConfigError, match="enabled"):
        Config.from_gravitee({"enabled": "false", "allowOrigin": [APP]})


STAR = Config(allow_origins="*")
LISTED = Config(allow_origins=[APP], allow_headers=["X-A"])


@pytest.mark.parametrize(
    ("config", "method", "allowed", "reasons"),
    [
        pytest.param(LISTED, "GET", False, ("origin_malformed",), id="listed: refused"),
        pytest.param(STAR, "GET", True, (), id="static star still covers it"),
        pytest.param(LISTED, "OPTIONS", False, ("origin_malformed",), id="preflight: refused"),
    ],
)
def test_an_over_long_origin_is_never_looked_up(
    config: Config, method: str, allowed: bool, reasons: tuple[str, ...]
) -> None:
    origin = APP + "a" * 5000
    request = Request(method, origin=origin, request_method="GET" if method == "OPTIONS" else None)
    decision = decide(request, config)
    assert decision.allowed is allowed
    assert decision.reasons == reasons


def test_an_over_long_request_method_is_malformed_without_a_lookup() -> None:
    decision = decide(Request("OPTIONS", origin=APP, request_method="P" * 100), LISTED)
    assert decision.reasons == ("method_malformed",)


@pytest.mark.parametrize(
    "requested",
    [
        pytest.param("x-a, " * 60, id="300 characters: past the cache bound"),
        pytest.param("x-a," + " " * 3990 + "x-a", id="4,000 characters: under the hard bound"),
    ],
)
def test_request_headers_past_the_cache_bound_are_still_checked(requested: str) -> None:
    for _ in range(2):  # the second time would come from the cache, if it were kept
        decision = decide(
            Request("OPTIONS", origin=APP, request_method="GET", request_headers=requested),
            LISTED,
        )
        assert decision.allowed
    refused = decide(
        Request("OPTIONS", origin=APP, request_method="GET", request_headers=requested + ",x-b"),
        LISTED,
    )
    assert refused.reasons == ("headers_not_allowed",)


# -- the canonical-origin fast path gives what the full parse gives ---------------------

_ORIGIN_PARTS = st.tuples(
    st.sampled_from(["http", "https", "HTTPS", "ws", "ftp"]),
    st.sampled_from(["://", ":/"]),
    st.lists(
        st.text(alphabet="abz09-_.AX*", min_size=0, max_size=6), min_size=1, max_size=4
    ).map(".".join),
    st.sampled_from(["", ":", ":0", ":80", ":443", ":8080", ":08080", ":65535", ":65536", ":x"]),
)


@given(_ORIGIN_PARTS)
def test_the_fast_path_parses_as_the_full_parse_does(parts: tuple[str, str, str, str]) -> None:
    from corecors._syntax import _parse_origin, parse_origin

    entry = "".join(parts)
    try:
        full: object = _parse_origin("allow_origins", entry, pattern=False)
    except ConfigError as exc:
        full = exc.problems
    try:
        fast: object = parse_origin("allow_origins", entry, pattern=False)
    except ConfigError as exc:
        fast = exc.problems
    assert fast == full
