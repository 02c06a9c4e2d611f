"""The layers under Config: validated options, readers, the origin index,
the scan-proof memo, and Policy. Through the public API only."""

from __future__ import annotations

import re

import pytest

from corecors import (
    PROBLEM_CODES,
    Config,
    ConfigError,
    Policy,
    Request,
    decide,
    read_gravitee,
    read_mapping,
    read_options,
    reconfigured,
    resolve_config,
)

APP = "https://app.example.com"


def allowed(config: Config | Policy, origin: str) -> bool:
    return decide(Request("GET", origin=origin), config).allowed


# -- the origin index ------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        pytest.param("https://a.example.com", True, id="one label"),
        pytest.param("https://a.b.c.example.com", True, id="many labels"),
        pytest.param("https://example.com", False, id="the base itself"),
        pytest.param("https://evilexample.com", False, id="glued to the base"),
        pytest.param("https://example.com.evil.net", False, id="base followed by more"),
        pytest.param("http://a.example.com", False, id="other scheme"),
        pytest.param("https://a.example.com:8443", False, id="a port the pattern has not"),
        pytest.param("https://-a.example.com", False, id="a label no host has"),
        pytest.param("http://localhost:3000", True, id="any port"),
        pytest.param("http://localhost", True, id="no port under any port"),
        pytest.param("http://localhost:0", False, id="port 0 under any port"),
        pytest.param("http://a.localhost:3000", False, id="subdomain under an exact-host pattern"),
        pytest.param("http://[::1]:8080", True, id="IPv6 with any port"),
        pytest.param("http://[::2]:8080", False, id="another IPv6 host"),
        pytest.param("https://api.tenant7.example.org", True, id="one of a thousand patterns"),
        pytest.param("null", False, id="null"),
    ],
)
def test_patterns_are_matched_through_the_domain_index(origin: str, expected: bool) -> None:
    config = Config(
        allow_origins=[
            "https://*.example.com",
            "http://localhost:*",
            "http://[::1]:*",
            *(f"https://*.tenant{i}.example.org" for i in range(1000)),
        ]
    )
    assert allowed(config, origin) is expected
    assert allowed(config, origin) is expected  # the remembered verdict agrees


def test_a_pattern_means_what_its_regex_form_says() -> None:
    # Origin.regex() is the pattern's meaning as a regex (lint uses it); the
    # index must agree with it on every probe.
    from corecors._syntax import parse_origin

    probes = [
        "https://a.example.com",
        "https://example.com",
        "http://localhost:80",
        "http://localhost",
        "https://a.example.com:8443",
        "http://localhost:65536",
    ]
    for entry in ("https://*.example.com", "http://localhost:*", "https://*.example.com:8443"):
        pattern = parse_origin("allow_origins", entry, pattern=True)
        config = Config(allow_origins=[entry])
        for probe in probes:
            assert allowed(config, probe) is bool(re.fullmatch(pattern.regex(), probe)), probe


@pytest.mark.parametrize(
    ("regex", "origin", "expected"),
    [
        pytest.param(
            r"https://[a-z0-9-]+\.example\.com(?::[0-9]+)?",
            "https://a.example.com:81",
            True,
            id="indexed under its domain, with a port",
        ),
        pytest.param(
            r"https://(?:[a-z0-9-]+\.)*example\.com",
            "https://example.com",
            True,
            id="the domain itself",
        ),
        pytest.param(
            r"https://(?:[a-z0-9-]+\.)*example\.com",
            "https://x.y.example.com",
            True,
            id="below the domain",
        ),
        pytest.param(r"^https://app\.example\.com$", APP, True, id="anchors"),
        pytest.param(r"https://app\.example\.com(?:/)?", APP, True, id="an optional tail"),
        pytest.param(
            r"https://app\.example\.com(:8443)?",
            APP + ":8443",
            True,
            id="a nested optional port",
        ),
        pytest.param(r"(?i)https://app\.example\.com", APP, True, id="case-insensitive"),
        pytest.param(r"https://app\.example\.com(?:)?", APP, True, id="an empty group"),
        pytest.param(
            r"https://[a-z]+\.example\.org", "https://evil.example.com", False, id="another domain"
        ),
    ],
)
def test_regexes_are_tried_under_their_domain(regex: str, origin: str, expected: bool) -> None:
    config = Config(
        allow_origin_regexes=[regex, *(rf"https://t{i}\.example\.net" for i in range(50))]
    )
    assert allowed(config, origin) is expected


def test_a_regex_that_matches_everything_is_tried_for_every_origin() -> None:
    config = Config(allow_origin_regexes=[".*"])
    assert allowed(config, "https://anything.example")


# -- the memo cannot be poisoned by a scan -------------------------------------------


def test_a_flood_of_one_off_origins_does_not_push_out_origins_in_use() -> None:
    config = Config(allow_origins=["https://*.example.com"])
    c = config._c
    for _ in range(2):
        assert allowed(config, "https://hot.example.com")
    assert "https://hot.example.com" in c.actual
    for i in range(5000):
        decide(Request("GET", origin=f"https://scan{i}.example.com"), config)
    assert "https://hot.example.com" in c.actual  # still one lookup
    assert len(c.probation) <= 1024


def test_when_the_remembered_table_fills_it_starts_again_empty() -> None:
    config = Config(allow_origins=[APP, "https://*.example.org"])
    c = config._c
    assert c.actual == {}  # a build makes no decision: listed ones come at first use
    assert allowed(config, APP)
    assert APP in c.actual  # kept from its first request, no probation
    for i in range(1100):  # each seen twice: promoted until the table is full
        origin = f"https://h{i}.example.org"
        decide(Request("GET", origin=origin), config)
        decide(Request("GET", origin=origin), config)
    assert len(c.actual) <= 1 + 1024
    assert allowed(config, APP)
    assert APP in c.actual  # back at its next request
    assert allowed(config, "https://h0.example.org")


# -- readers --------------------------------------------------------------------------


def test_read_options_names_problems_by_their_key_path() -> None:
    reading = read_options({"allow_origin": [APP], "max_age": "x"}, "tool.corecors")
    codes = [(p.code, p.option) for p in reading.check()]
    assert ("CC003", "tool.corecors.allow_origin") in codes
    assert ("CC004", "tool.corecors.max_age") in codes
    assert "did you mean 'allow_origins'?" in reading.problems[0].fix
    assert read_options({"allow_origins": [APP]}).check() == ()


def test_read_mapping_says_nothing_when_nothing_looks_like_an_option() -> None:
    assert read_mapping({"DEBUG": True, "SECRET_KEY": "x"}).problems == ()


def test_read_gravitee_keeps_star_and_names_split_entries_by_their_place() -> None:
    reading = read_gravitee(
        {"enabled": "false", "allowOrigin": ["*", "https://a.example/", r"https://[a-z]+\.x\.(com"]}
    )
    found = {(p.code, p.where) for p in reading.check()}
    assert ("CC004", "cors.enabled") in found
    assert ("CC005", "cors.allowOrigin[1]") in found
    assert ("CC006", "cors.allowOrigin[2]") in found


def test_lint_and_config_agree_on_a_gravitee_string_boolean() -> None:
    with pytest.raises(ConfigError) as info:
        Config.from_gravitee({"enabled": "false", "allowOrigin": [APP]})
    assert [p.code for p in info.value.problems] == ["CC004"]
    errors = [
        p
        for p in read_gravitee({"enabled": "false", "allowOrigin": [APP]}).check()
        if p.severity == "error"
    ]
    assert [p.code for p in errors] == ["CC004"]


def test_gravitee_anchored_regexes_are_understood() -> None:
    config = Config.from_gravitee(
        {"enabled": True, "allowOrigin": [r"^https://app\.example\.com$"]}
    )
    assert allowed(config, APP)
    assert not allowed(config, "https://app.example.com.evil.net")


def test_every_code_has_a_severity_and_a_meaning() -> None:
    for code, (severity, meaning) in PROBLEM_CODES.items():
        assert re.fullmatch(r"CC[01][0-9]{2}", code)
        assert severity == ("error" if code < "CC100" else "warning")
        assert meaning


def test_a_config_error_needs_a_problem() -> None:
    with pytest.raises(ValueError, match="at least one problem"):
        ConfigError([])


# -- IPv4 forms that are not addresses stay ordinary hosts -----------------------------


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param("http://08.1.1.1", id="not octal"),
        pytest.param("http://1.300.1.1", id="a part over 255"),
        pytest.param("http://1.2.3.4.5", id="five parts"),
        pytest.param("http://0x1.300.1.1", id="hex with a part over 255"),
    ],
)
def test_numeric_hosts_that_are_no_ipv4_address_are_not_rewritten(entry: str) -> None:
    assert Config(allow_origins=[entry]).allow_origins == (entry,)


# -- Policy and the adapters' one rule ---------------------------------------------------


def test_a_policy_swaps_its_config_and_keeps_it_on_a_bad_one() -> None:
    policy = Policy(Config(allow_origins=[APP]))
    assert allowed(policy, APP)
    policy.reconfigure(Config(allow_origins=["https://b.example"]))
    assert not allowed(policy, APP)
    with pytest.raises(ConfigError) as info:
        policy.reconfigure({"allow_origins": [APP]})  # type: ignore[arg-type]
    assert info.value.problems[0].code == "CC004"
    assert policy.config.allow_origins == ("https://b.example",)
    assert repr(policy) == "Policy(Config(allow_origins=('https://b.example',)))"


def test_resolve_config_takes_one_form_and_refuses_the_rest() -> None:
    config = Config(allow_origins=[APP])
    policy = Policy(config)
    assert resolve_config(config, {}, "X") is config
    assert resolve_config(policy, {}, "X") is policy
    assert resolve_config(None, {"allow_origins": [APP]}, "X") == config
    with pytest.raises(ConfigError, match="both config= and keyword options"):
        resolve_config(config, {"allow_credentials": True}, "X")
    with pytest.raises(ConfigError, match=r"not a corecors\.Config or Policy"):
        resolve_config({"allow_origins": [APP]}, {}, "X")  # type: ignore[arg-type]


def test_reconfigured_swaps_a_policy_in_place_and_wraps_a_config() -> None:
    policy = Policy(Config(allow_origins=[APP]))
    new = Config(allow_origins=["https://b.example"])
    assert reconfigured(policy, new) is policy
    assert policy.config == new
    wrapped = reconfigured(Config(), new)
    assert isinstance(wrapped, Policy)
    assert wrapped.config == new
