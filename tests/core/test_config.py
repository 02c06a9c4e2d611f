"""Config: every refused setting is a ConfigError naming the option and the fix;
accepted settings are normalised to what browsers send, then frozen."""

from __future__ import annotations

import re
from typing import Any

import pytest

from corecors import (
    DEFAULT_MAX_AGE,
    DEFAULT_METHODS,
    OPTIONS,
    Config,
    ConfigError,
    Request,
    decide,
)

HTTPS = "https://app.example.com"


def refused(options: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        Config(**options)
    return info.value


# -- origins that are not origins ---------------------------------------------

NOT_AN_ORIGIN = [
    pytest.param(
        "https://app.example.com/",
        "has a path",
        "'https://app.example.com'",
        id="trailing slash is a path",
    ),
    pytest.param(
        "https://app.example.com/api", "has a path", "'https://app.example.com'", id="path"
    ),
    pytest.param(
        "https://app.example.com?x=1", "has a query", "'https://app.example.com'", id="query"
    ),
    pytest.param(
        "https://app.example.com#top", "has a fragment", "'https://app.example.com'", id="fragment"
    ),
    pytest.param(
        "app.example.com", "has no scheme", "'https://app.example.com'", id="missing scheme"
    ),
    pytest.param(
        "//app.example.com", "has no scheme", "'https://app.example.com'", id="scheme-relative"
    ),
    pytest.param("://app.example.com", "has no scheme", "https://", id="empty scheme"),
    pytest.param(
        "1https://app.example.com",
        "has an invalid scheme",
        "http or https",
        id="scheme starting with a digit",
    ),
    pytest.param("", "is empty", "remove the empty entry", id="empty string"),
    pytest.param("https://", "has no host", "write a host", id="no host"),
    pytest.param("https://:8443", "has no host", "write a host", id="port without host"),
    pytest.param("https://app.example.com:0", "outside 1-65535", "1 to 65535", id="port 0"),
    pytest.param("https://app.example.com:65536", "outside 1-65535", "1 to 65535", id="port 65536"),
    pytest.param(
        "https://app.example.com:99999999999", "outside 1-65535", "1 to 65535", id="huge port"
    ),
    pytest.param(
        "https://app.example.com:08443",
        "leading zeros",
        "write :8443",
        id="port with leading zeros",
    ),
    pytest.param("https://app.example.com:", "invalid port", "1 to 65535", id="empty port"),
    pytest.param(
        "https://app.example.com:https",
        "invalid port",
        "1 to 65535",
        id="port that is not a number",
    ),
    pytest.param(
        "https://app.example.com:443",
        "default port",
        "write https://app.example.com without :443",
        id="explicit https default port",
    ),
    pytest.param(
        "http://app.example.com:80",
        "default port",
        "write http://app.example.com without :80",
        id="explicit http default port",
    ),
    pytest.param(
        "https://bücher.example",
        "non-ASCII host",
        "https://xn--bcher-kva.example",
        id="non-ASCII host suggests punycode",
    ),
    pytest.param(
        "https://Bücher.example:8443",
        "non-ASCII host",
        "https://xn--bcher-kva.example:8443",
        id="upper-case non-ASCII host",
    ),
    pytest.param(
        "https://straße.de",
        "non-ASCII host",
        "https://xn--strae-oqa.de",
        id="sharp s is punycode as browsers send it, never ss",
    ),
    pytest.param("null", "opaque origin", "'*' without credentials", id="null"),
    pytest.param("NULL", "opaque origin", "'*' without credentials", id="null in capitals"),
    pytest.param(
        " https://app.example.com", "whitespace", "one origin per entry", id="leading space"
    ),
    pytest.param(
        "https://app.example.com\r\n", "control character", "one origin per entry", id="CR LF"
    ),
    pytest.param(
        "https://a.example,https://b.example",
        "a comma",
        "one origin per entry",
        id="two origins in one entry",
    ),
    pytest.param(
        "https://user:secret@app.example.com",
        "user information",
        "everything up to the '@'",
        id="userinfo",
    ),
    pytest.param("https://[::1", "malformed IPv6", "[::1]", id="unclosed IPv6 bracket"),
    pytest.param("https://[::1]8443", "malformed IPv6", "[::1]", id="IPv6 port without colon"),
    pytest.param("https://[::g]", "invalid IPv6", "[::1]", id="bad IPv6 address"),
    pytest.param("http://[fe80::1%25eth0]", "zone identifier", "'%'", id="IPv6 zone identifier"),
    pytest.param(
        "https://app_example!.com",
        "cannot appear in a host",
        "letters, digits",
        id="punctuation in host",
    ),
]


@pytest.mark.parametrize(("entry", "problem", "fix"), NOT_AN_ORIGIN)
def test_an_entry_that_is_not_an_origin_is_refused_with_the_fix(
    entry: str, problem: str, fix: str
) -> None:
    exc = refused({"allow_origins": [entry]})
    message = str(exc)
    assert exc.option == "allow_origins"
    assert message.startswith("allow_origins[0]: ")
    assert problem in message
    assert "Fix:" in message
    assert fix in message.split("Fix:", 1)[1]
    assert exc.value == entry
    assert isinstance(exc, ValueError)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        pytest.param([42], "is an int, not a string", id="origin that is a number"),
        pytest.param(b"https://app.example.com", "is a bytes", id="bytes instead of str"),
        pytest.param({"https://app.example.com": True}, "is a dict", id="mapping"),
        pytest.param(7, "is an int", id="option that is a number"),
    ],
)
def test_allow_origins_must_be_strings(value: object, problem: str) -> None:
    message = str(refused({"allow_origins": value}))
    assert re.match(r"allow_origins(\[0\])?: ", message)
    assert problem in message
    assert "Fix:" in message


# -- patterns ------------------------------------------------------------------

BAD_PATTERNS = [
    pytest.param(
        "https://*example.com",
        "'*' where corecors cannot match it safely",
        id="star glued to the domain",
    ),
    pytest.param(
        "https://app.*.example.com",
        "'*' where corecors cannot match it safely",
        id="star in a middle label",
    ),
    pytest.param(
        "https://*.*.example.com", "'*' where corecors cannot match it safely", id="two stars"
    ),
    pytest.param("https://*", "'*' where corecors cannot match it safely", id="star host"),
    pytest.param("*://app.example.com", "invalid scheme", id="star scheme"),
    pytest.param("https://*.", "has no host", id="star with nothing after"),
    pytest.param("https://*.127.0.0.1", "on an IP address", id="star on an IPv4 address"),
    pytest.param("http://*.[:8080", "on an IP address", id="star on a bracketed host"),
    pytest.param("https://*.example.com:443", "default port", id="star with default port"),
    pytest.param("https://*.example.com:0", "outside 1-65535", id="star with port 0"),
]


@pytest.mark.parametrize(("entry", "problem"), BAD_PATTERNS)
def test_a_pattern_that_could_admit_strangers_is_refused(entry: str, problem: str) -> None:
    message = str(refused({"allow_origins": [entry]}))
    assert message.startswith("allow_origins[0]: ")
    assert problem in message
    assert "Fix:" in message


PUBLIC_SUFFIX_PATTERNS = [
    pytest.param("https://*.com", "under 'com'", id="star on a top-level domain"),
    pytest.param("https://*.co.uk", "under 'co.uk'", id="star on co.uk"),
    pytest.param("https://*.co.uk.", "under 'co.uk'", id="star on co.uk with trailing dot"),
    pytest.param("https://*.github.io", "under 'github.io'", id="star on github.io"),
    pytest.param("https://*.herokuapp.com", "under 'herokuapp.com'", id="star on herokuapp"),
]


@pytest.mark.parametrize(("entry", "problem"), PUBLIC_SUFFIX_PATTERNS)
def test_a_wildcard_on_a_public_suffix_is_refused_with_credentials(
    entry: str, problem: str
) -> None:
    exc = refused({"allow_origins": [entry], "allow_credentials": True})
    assert exc.problems[0].code == "CC009"
    assert problem in str(exc)
    assert "Public Suffix List" in str(exc)
    assert "Fix:" in str(exc)


@pytest.mark.parametrize(("entry", "problem"), PUBLIC_SUFFIX_PATTERNS)
def test_a_wildcard_on_a_public_suffix_is_only_a_warning_without_credentials(
    entry: str, problem: str
) -> None:
    config = Config(allow_origins=[entry])
    assert [p.code for p in config.warnings if p.code == "CC116"] == ["CC116"]
    assert problem in str(Config.validate(allow_origins=[entry])[0])


def test_misplaced_star_names_the_safe_forms() -> None:
    message = str(refused({"allow_origins": ["https://app.*.example.com"]}))
    assert "'https://*.example.com'" in message
    assert "'http://localhost:*'" in message
    assert "allow_origin_regexes" in message


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param("https://*.example.com", id="subdomains of a domain you own"),
        pytest.param("https://*.example.com:8443", id="subdomains on one port"),
        pytest.param("http://localhost:*", id="localhost on any port"),
        pytest.param("https://app.example.com:*", id="one host on any port"),
        pytest.param("http://*.localhost", id="subdomains of localhost"),
        pytest.param("https://*.evil.github.io", id="subdomains of one github.io site"),
    ],
)
def test_a_safe_pattern_is_accepted_as_written(entry: str) -> None:
    assert Config(allow_origins=[entry]).allow_origins == (entry,)


# -- regexes -------------------------------------------------------------------

HOLEY_REGEXES = [
    pytest.param(
        r"https://app.example\.com",
        "unescaped '.'",
        "'https://appxexample.com'",
        id="unescaped dot",
    ),
    pytest.param(
        r"https://.*example\.com",
        "anybody can register",
        "'https://corecors-evilexample.com'",
        id="wildcard running into the domain",
    ),
    pytest.param(
        r"https://.*example\.com:8443",
        "anybody can register",
        "'https://corecors-evilexample.com:8443'",
        id="wildcard running into the domain with a port",
    ),
    pytest.param(
        r"https://app\.example\.com.*",
        "somebody else's domain",
        "'https://app.example.com.corecors-evil.net'",
        id="domain followed by more host",
    ),
    pytest.param(
        r"null|https://app\.example\.com",
        "opaque origin 'null'",
        "'null'",
        id="regex matching null",
    ),
    pytest.param(
        r"https://.*",
        "anybody can register",
        "corecors-evil",
        id="regex matching every https origin",
    ),
    pytest.param(
        r"https://(app|www).example\.com",
        "unescaped '.' at position 17",
        "escape it",
        id="unescaped dot between a group and the domain",
    ),
    pytest.param(
        r"https://partner-[a-z]+.example\.org",
        "unescaped '.' at position 22",
        "escape it",
        id="unescaped dot after a character class",
    ),
]


@pytest.mark.parametrize(
    ("regex", "suffix"),
    [
        pytest.param(r"https://.*\.com", "com", id="every .com"),
        pytest.param(r"https://[a-z]{3,10}\.com", "com", id="every short .com name"),
        pytest.param(r"https://.*\.github\.io", "github.io", id="a shared hosting suffix"),
        pytest.param(r"https://(?:[a-z]+\.)+co\.uk", "co.uk", id="a country suffix"),
        pytest.param(r"https://[a-z0-9-]+\.r2\.dev", "r2.dev", id="the PSL's private section"),
    ],
)
def test_a_regex_under_a_public_suffix_is_refused_with_credentials(
    regex: str, suffix: str
) -> None:
    exc = refused({"allow_origin_regexes": [regex], "allow_credentials": True})
    assert exc.problems[0].code == "CC009"
    assert f"under {suffix!r}" in str(exc)
    assert "Fix:" in str(exc)
    # Without credentials it is what the user asked for: accepted, with a warning.
    config = Config(allow_origin_regexes=[regex])
    assert [(p.code, p.severity) for p in config.warnings] == [("CC116", "warning")]


@pytest.mark.parametrize(
    "regex",
    [
        pytest.param("(?:)", id="no host at all"),
        pytest.param(r"x\.y", id="no scheme"),
        pytest.param(r"https://App\.example\.com", id="an upper-case host"),
        pytest.param(r"https://app\.example\.com/", id="a path"),
    ],
)
def test_a_regex_that_matches_no_origin_is_refused(regex: str) -> None:
    exc = refused({"allow_origin_regexes": [regex]})
    assert "can match no Origin a browser sends" in str(exc)


@pytest.mark.parametrize(("regex", "problem", "example"), HOLEY_REGEXES)
def test_a_regex_with_a_hole_is_refused_with_the_origin_that_got_in(
    regex: str, problem: str, example: str
) -> None:
    exc = refused({"allow_origin_regexes": [regex]})
    message = str(exc)
    assert exc.option == "allow_origin_regexes"
    assert message.startswith("allow_origin_regexes[0]: ")
    assert problem in message
    assert example in message
    assert "Fix:" in message


@pytest.mark.parametrize(
    ("regex", "problem"),
    [
        pytest.param("https://(", "is not a valid regex", id="unbalanced parenthesis"),
        pytest.param("https://[a-z", "is not a valid regex", id="unterminated class"),
        pytest.param(
            r"https://a{4294967296}\.example\.com",
            "is not a valid regex",
            id="repetition too large for re",
        ),
        pytest.param("(" * 5000 + ")" * 5000, "is not a valid regex", id="nesting too deep for re"),
        pytest.param(re.compile(b"https://app"), "is a bytes pattern", id="bytes regex"),
        pytest.param(42, "is an int", id="a number"),
    ],
)
def test_an_unusable_regex_is_a_config_error_never_skipped(regex: object, problem: str) -> None:
    exc = refused({"allow_origin_regexes": [regex]})
    assert exc.option == "allow_origin_regexes"
    assert problem in str(exc)
    assert "Fix:" in str(exc)


@pytest.mark.parametrize(
    "regex",
    [
        pytest.param(r"https://[a-z]+\.example\.com", id="one subdomain label"),
        pytest.param(r"https://(?:[a-z0-9-]+\.)*example\.com", id="any subdomain depth"),
        pytest.param(r"^https://shop\.example\.net$", id="anchors are harmless"),
        pytest.param(re.compile(r"https://app\.example\.com(?::[0-9]+)?"), id="compiled"),
        pytest.param(r"http://127\.0\.0\.1:[0-9]+", id="loopback"),
        pytest.param(".*", id="match-all without credentials"),
        pytest.param(r"https://[.a-z]+\.example\.com", id="a dot inside a character class"),
        pytest.param(r"https://[^.:]+\.example\.com", id="a negated class holding a dot"),
        pytest.param(r"https://[]a-z]+\.example\.com", id="a class opening with a literal ]"),
        pytest.param(r"https://[^]a-z.]+\.example\.com", id="a negated class opening with ]"),
        pytest.param(r"https://(?:.+\.)?example\.com", id="a quantified dot is a wildcard"),
    ],
)
def test_a_regex_without_holes_is_kept(regex: str | re.Pattern[str]) -> None:
    config = Config(allow_origin_regexes=[regex])
    (kept,) = config.allow_origin_regexes
    assert isinstance(kept, re.Pattern)
    assert kept.pattern == (regex.pattern if isinstance(regex, re.Pattern) else regex)


# -- credentials, wildcards and private network ------------------------------

INSECURE_COMBINATIONS = [
    pytest.param(
        {"allow_origins": "*", "allow_credentials": True},
        "allow_origins",
        "cannot be combined with allow_credentials",
        id="star with credentials",
    ),
    pytest.param(
        {"allow_origins": ["*", HTTPS], "allow_credentials": True},
        "allow_origins",
        "cannot be combined with allow_credentials",
        id="star among origins with credentials",
    ),
    pytest.param(
        {"allow_origin_regexes": [".*"], "allow_credentials": True},
        "allow_origin_regexes",
        "matches every origin",
        id="match-all regex with credentials",
    ),
    pytest.param(
        {"allow_origin_regexes": [r"(?s).*"], "allow_credentials": True},
        "allow_origin_regexes",
        "dangerously_allow_any_origin_with_credentials",
        id="match-all regex names the opt-in",
    ),
    pytest.param(
        {"allow_origins": ["http://app.example.com"], "allow_credentials": True},
        "allow_origins",
        "plain http",
        id="plain-http origin with credentials",
    ),
    pytest.param(
        {"allow_origins": ["http://*.example.com"], "allow_credentials": True},
        "allow_origins",
        "plain http",
        id="plain-http pattern with credentials",
    ),
    pytest.param(
        {"allow_origins": ["http://[::2]:8080"], "allow_credentials": True},
        "allow_origins",
        "plain http",
        id="plain-http non-loopback IPv6",
    ),
    pytest.param(
        {"allow_origins": ["http://10.0.0.1"], "allow_credentials": True},
        "allow_origins",
        "plain http",
        id="plain-http private IPv4",
    ),
    pytest.param(
        {"allow_origin_regexes": [r"https?://app\.example\.com"], "allow_credentials": True},
        "allow_origin_regexes",
        "plain-http origin 'http://app.example.com'",
        id="regex admitting plain http with credentials",
    ),
    pytest.param(
        {"allow_origins": [HTTPS], "expose_headers": "*", "allow_credentials": True},
        "expose_headers",
        "literal header name '*'",
        id="expose star with credentials",
    ),
    pytest.param(
        {"allow_origins": "*", "allow_private_network": True},
        "allow_private_network",
        "every website",
        id="private network with star",
    ),
    pytest.param(
        {"allow_origin_regexes": [".*"], "allow_private_network": True},
        "allow_private_network",
        "every website",
        id="private network with a match-all regex",
    ),
    pytest.param(
        {
            "allow_origin_regexes": [".*"],
            "allow_private_network": True,
            "allow_credentials": True,
            "dangerously_allow_any_origin_with_credentials": True,
        },
        "allow_private_network",
        "every website",
        id="opt-in for credentials does not open the private network",
    ),
]


@pytest.mark.parametrize(("options", "option", "problem"), INSECURE_COMBINATIONS)
def test_an_insecure_combination_is_refused(
    options: dict[str, Any], option: str, problem: str
) -> None:
    exc = refused(options)
    assert exc.option == option
    assert re.match(re.escape(option) + r"(\[\d+\])?: ", str(exc))
    assert problem in str(exc)
    assert "Fix:" in str(exc)


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("http://localhost", id="localhost"),
        pytest.param("http://localhost:3000", id="localhost with port"),
        pytest.param("http://127.0.0.1:8000", id="127.0.0.1"),
        pytest.param("http://127.1.2.3", id="anywhere in 127/8"),
        pytest.param("http://[::1]:8080", id="IPv6 loopback"),
        pytest.param("http://app.localhost", id="a name under localhost"),
        pytest.param("http://*.localhost", id="pattern under localhost"),
        pytest.param("http://localhost:*", id="localhost on any port"),
        pytest.param("https://app.example.com", id="https is always fine"),
    ],
)
def test_credentials_allow_plain_http_only_for_loopback(origin: str) -> None:
    config = Config(allow_origins=[origin], allow_credentials=True)
    assert config.allow_origins == (origin,)


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"allow_origins": ["http://app.example.com"]}, id="exact origin"),
        pytest.param({"allow_origins": ["http://*.example.com"]}, id="pattern"),
        pytest.param({"allow_origin_regexes": [r"http://app\.example\.com"]}, id="regex"),
    ],
)
def test_plain_http_with_credentials_needs_the_dangerous_opt_in(options: dict[str, Any]) -> None:
    refused({**options, "allow_credentials": True})
    config = Config(
        **options, allow_credentials=True, dangerously_allow_http_origins_with_credentials=True
    )
    assert config.dangerously_allow_http_origins_with_credentials is True


def test_a_match_all_regex_with_credentials_needs_the_dangerous_opt_in() -> None:
    config = Config(
        allow_origin_regexes=[".*"],
        allow_credentials=True,
        dangerously_allow_any_origin_with_credentials=True,
    )
    assert config.allow_credentials is True
    assert config.dangerously_allow_any_origin_with_credentials is True


def test_expose_star_without_credentials_is_fine() -> None:
    assert Config(allow_origins="*", expose_headers="*").expose_headers == ("*",)


# -- methods and header names --------------------------------------------------

BAD_TOKENS = [
    pytest.param(
        "allow_methods", ["DEL ETE"], "not a valid method", "'PATCH'", id="method with a space"
    ),
    pytest.param(
        "allow_methods",
        ["GET,PUT"],
        "not a valid method",
        "one method per entry",
        id="two methods in one entry",
    ),
    pytest.param("allow_methods", [""], "not a valid method", "'PATCH'", id="empty method"),
    pytest.param(
        "allow_methods",
        ["delete"],
        "browsers send it as 'DELETE'",
        "'DELETE'",
        id="lower-case delete never matches",
    ),
    pytest.param(
        "allow_methods",
        ["Put"],
        "browsers send it as 'PUT'",
        "'PUT'",
        id="mixed-case put never matches",
    ),
    pytest.param(
        "allow_methods", [3], "is an int, not a string", "as a string", id="method that is a number"
    ),
    pytest.param("allow_methods", b"GET", "is a bytes", "list of strings", id="bytes methods"),
    pytest.param(
        "allow_headers",
        ["X Requested With"],
        "not a valid header name",
        "'X-Requested-With'",
        id="header name with spaces",
    ),
    pytest.param(
        "allow_headers",
        ["X-Token\r\nSet-Cookie: a=b"],
        "not a valid header name",
        "'X-Requested-With'",
        id="header name with CR LF",
    ),
    pytest.param(
        "allow_headers",
        ["Content-Type:"],
        "not a valid header name",
        "'X-Requested-With'",
        id="header name with a colon",
    ),
    pytest.param(
        "expose_headers",
        ["X Total"],
        "not a valid header name",
        "'X-Requested-With'",
        id="exposed header with a space",
    ),
]


@pytest.mark.parametrize(("option", "value", "problem", "fix"), BAD_TOKENS)
def test_methods_and_header_names_must_be_http_tokens(
    option: str, value: object, problem: str, fix: str
) -> None:
    exc = refused({option: value})
    assert exc.option == option
    assert re.match(re.escape(option) + r"(\[\d+\])?: ", str(exc))
    assert problem in str(exc)
    assert fix in str(exc).split("Fix:", 1)[1]


def test_a_lower_case_method_browsers_do_not_normalise_is_accepted() -> None:
    assert Config(allow_methods=["patch"]).allow_methods == ("patch",)


# -- scalar options ------------------------------------------------------------

BOOL_OPTIONS = [
    "enabled",
    "allow_credentials",
    "preflight_passthrough",
    "allow_private_network",
    "dangerously_allow_http_origins_with_credentials",
    "dangerously_allow_any_origin_with_credentials",
]


@pytest.mark.parametrize("option", BOOL_OPTIONS)
@pytest.mark.parametrize(
    "value",
    [pytest.param(1, id="one"), pytest.param("true", id="string"), pytest.param(None, id="None")],
)
def test_boolean_options_must_be_bools(option: str, value: object) -> None:
    exc = refused({option: value})
    assert exc.option == option
    assert "is not a bool" in str(exc)
    assert "Fix: write True or False" in str(exc)


SCALAR_ERRORS = [
    pytest.param({"max_age": "600"}, "max_age", "is not an integer", id="max_age as string"),
    pytest.param({"max_age": True}, "max_age", "is not an integer", id="max_age as bool"),
    pytest.param({"max_age": 1.5}, "max_age", "is not an integer", id="max_age as float"),
    pytest.param({"max_age": -2}, "max_age", "is below -1", id="max_age below -1"),
    pytest.param(
        {"preflight_status": "204"},
        "preflight_status",
        "is not an integer",
        id="preflight_status as string",
    ),
    pytest.param(
        {"preflight_status": 302},
        "preflight_status",
        "is not a 2xx status",
        id="preflight_status 302",
    ),
    pytest.param(
        {"preflight_status": 199},
        "preflight_status",
        "is not a 2xx status",
        id="preflight_status 199",
    ),
    pytest.param(
        {"preflight_status": 300},
        "preflight_status",
        "is not a 2xx status",
        id="preflight_status 300",
    ),
    pytest.param(
        {"preflight_failure_status": 200},
        "preflight_failure_status",
        "is not a 4xx or 5xx",
        id="failure status 200",
    ),
    pytest.param(
        {"preflight_failure_status": 399},
        "preflight_failure_status",
        "is not a 4xx or 5xx",
        id="failure status 399",
    ),
    pytest.param(
        {"preflight_failure_status": 600},
        "preflight_failure_status",
        "is not a 4xx or 5xx",
        id="failure status 600",
    ),
]


@pytest.mark.parametrize(("options", "option", "problem"), SCALAR_ERRORS)
def test_numeric_options_are_checked(options: dict[str, Any], option: str, problem: str) -> None:
    exc = refused(options)
    assert exc.option == option
    assert re.match(re.escape(option) + r"(\[\d+\])?: ", str(exc))
    assert problem in str(exc)
    assert "Fix:" in str(exc)


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"max_age": -1}, id="max_age -1"),
        pytest.param({"max_age": 0}, id="max_age 0"),
        pytest.param({"preflight_status": 200}, id="preflight 200"),
        pytest.param({"preflight_status": 299}, id="preflight 299"),
        pytest.param({"preflight_failure_status": 400}, id="failure 400"),
        pytest.param({"preflight_failure_status": 599}, id="failure 599"),
    ],
)
def test_numeric_options_at_their_bounds_are_accepted(options: dict[str, Any]) -> None:
    config = Config(**options)
    for name, value in options.items():
        assert getattr(config, name) == value


# -- normalisation -------------------------------------------------------------

NORMALISED = [
    pytest.param(
        ["HTTPS://APP.Example.COM"],
        ("https://app.example.com",),
        id="upper-case origin is lower-cased",
    ),
    pytest.param(
        ["https://App.Example.com:8443"],
        ("https://app.example.com:8443",),
        id="host lower-cased, port kept",
    ),
    pytest.param(
        ["http://[0:0:0:0:0:0:0:1]:8080"], ("http://[::1]:8080",), id="IPv6 is compressed"
    ),
    pytest.param(["http://[2001:DB8::A]"], ("http://[2001:db8::a]",), id="IPv6 is lower-cased"),
    pytest.param(
        ["HTTPS://*.Example.COM"], ("https://*.example.com",), id="pattern is lower-cased"
    ),
    pytest.param(
        "https://app.example.com", ("https://app.example.com",), id="a single string is one origin"
    ),
    pytest.param([HTTPS, "HTTPS://app.example.com", HTTPS], (HTTPS,), id="duplicates are dropped"),
    pytest.param(
        ["https://*.example.org", HTTPS, "*"],
        ("*", HTTPS, "https://*.example.org"),
        id="star first, then exact origins, then patterns",
    ),
]


@pytest.mark.parametrize(("given", "expected"), NORMALISED)
def test_configured_origins_are_normalised_to_what_browsers_send(
    given: object, expected: tuple[str, ...]
) -> None:
    assert Config(allow_origins=given).allow_origins == expected  # type: ignore[arg-type]


def test_a_normalised_origin_matches_the_browser_form() -> None:
    config = Config(allow_origins=["HTTP://[0:0::1]:8080"])
    assert decide(Request("GET", origin="http://[::1]:8080"), config).allowed


def test_header_names_are_deduplicated_case_insensitively() -> None:
    config = Config(
        allow_headers=["X-Token", "x-token", "Content-Type"], expose_headers=["X-Total", "x-total"]
    )
    assert config.allow_headers == ("X-Token", "Content-Type")
    assert config.expose_headers == ("X-Total",)


def test_methods_are_deduplicated_case_sensitively() -> None:
    assert Config(allow_methods=["PATCH", "PATCH", "patch"]).allow_methods == ("PATCH", "patch")


def test_a_single_regex_string_is_one_regex() -> None:
    (rx,) = Config(allow_origin_regexes=r"https://[a-z]+\.example\.com").allow_origin_regexes
    assert rx.pattern == r"https://[a-z]+\.example\.com"


def test_defaults_are_safe_and_documented() -> None:
    config = Config()
    assert config.enabled is True
    assert config.allow_origins == ()
    assert config.allow_methods == DEFAULT_METHODS == ("GET", "HEAD", "POST")
    assert config.max_age == DEFAULT_MAX_AGE == 600
    assert config.allow_credentials is False
    assert (config.preflight_status, config.preflight_failure_status) == (204, 403)
    assert set(config.options()) == set(OPTIONS)
    assert not decide(Request("GET", origin=HTTPS), config).allowed


# -- a frozen value ------------------------------------------------------------


def test_config_is_immutable() -> None:
    config = Config(allow_origins=[HTTPS])
    with pytest.raises(AttributeError, match=r"config\.replace\(allow_origins=\.\.\.\)"):
        config.allow_origins = ("*",)
    with pytest.raises(AttributeError, match="immutable"):
        config.new_attribute = 1
    with pytest.raises(AttributeError, match="immutable"):
        del config.allow_origins
    assert config.allow_origins == (HTTPS,)


def test_replace_builds_a_new_validated_config() -> None:
    config = Config(allow_origins=[HTTPS])
    changed = config.replace(max_age=0, allow_credentials=True)
    assert (changed.max_age, changed.allow_credentials) == (0, True)
    assert changed.allow_origins == (HTTPS,)
    assert (config.max_age, config.allow_credentials) == (600, False)
    with pytest.raises(ConfigError, match="allow_credentials"):
        Config(allow_origins="*").replace(allow_credentials=True)


def test_equal_configs_are_equal_and_hash_alike() -> None:
    a = Config(allow_origins=["HTTPS://APP.example.com"], allow_origin_regexes=[r"https://x\.y"])
    b = Config(allow_origins=[HTTPS], allow_origin_regexes=[re.compile(r"https://x\.y")])
    c = a.replace(max_age=1)
    assert a == b
    assert hash(a) == hash(b)
    assert a != c
    assert a != "Config()"
    assert len({a, b, c}) == 2
    assert Config(**a.options()) == a


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        pytest.param(Config(), "Config()", id="defaults show nothing"),
        pytest.param(
            Config(allow_origins=[HTTPS], max_age=0),
            "Config(allow_origins=('https://app.example.com',), max_age=0)",
            id="only the options that differ",
        ),
        pytest.param(Config(enabled=False), "Config(enabled=False)", id="a boolean"),
    ],
)
def test_repr_shows_only_non_defaults(config: Config, expected: str) -> None:
    assert repr(config) == expected


# -- from_mapping --------------------------------------------------------------


def test_from_mapping_reads_prefixed_keys_and_ignores_the_rest() -> None:
    config = Config.from_mapping(
        {
            "CORECORS_ALLOW_ORIGINS": " https://a.example , https://b.example,, ",
            "CORECORS_ALLOW_METHODS": "GET,PUT",
            "CORECORS_ALLOW_HEADERS": "",
            "CORECORS_ALLOW_CREDENTIALS": "true",
            "CORECORS_MAX_AGE": " 0 ",
            "CORECORS_ALLOW_ORIGIN_REGEXES": r"https://[a-z]{1,8}\.example\.org",
            "CORS_ORIGINS": "*",  # flask-cors keys may coexist during a migration
            "SECRET_KEY": "not ours",
        }
    )
    assert config.allow_origins == ("https://a.example", "https://b.example")
    assert config.allow_methods == ("GET", "PUT")
    assert config.allow_headers == ()
    assert config.allow_credentials is True
    assert config.max_age == 0
    # A regex may hold commas: the whole string is one regex.
    assert [rx.pattern for rx in config.allow_origin_regexes] == [
        r"https://[a-z]{1,8}\.example\.org"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("true", True, id="true"),
        pytest.param("TRUE", True, id="TRUE"),
        pytest.param(" 1 ", True, id="1"),
        pytest.param("yes", True, id="yes"),
        pytest.param("on", True, id="on"),
        pytest.param("false", False, id="false"),
        pytest.param("0", False, id="0"),
        pytest.param("No", False, id="No"),
        pytest.param("off", False, id="off"),
    ],
)
def test_from_mapping_reads_booleans_as_environment_variables_spell_them(
    text: str, expected: bool
) -> None:
    assert Config.from_mapping({"CORECORS_ENABLED": text}).enabled is expected


def test_from_mapping_passes_non_string_values_through() -> None:
    config = Config.from_mapping(
        {
            "CORECORS_ALLOW_METHODS": ["PUT"],
            "CORECORS_MAX_AGE": 5,
            "CORECORS_ENABLED": False,
            "CORECORS_ALLOW_ORIGIN_REGEXES": "",
        }
    )
    assert (config.allow_methods, config.max_age, config.enabled) == (("PUT",), 5, False)
    assert config.allow_origin_regexes == ()


def test_from_mapping_takes_another_prefix() -> None:
    config = Config.from_mapping(
        {"MYAPP_CORS_ALLOW_ORIGINS": HTTPS, "CORECORS_ALLOW_ORIGINS": "ignored"},
        prefix="MYAPP_CORS_",
    )
    assert config.allow_origins == (HTTPS,)


@pytest.mark.parametrize(
    ("mapping", "option", "text"),
    [
        pytest.param(
            {"CORECORS_ALLOW_ORIGIN": HTTPS},
            "CORECORS_ALLOW_ORIGIN",
            "did you mean CORECORS_ALLOW_ORIGINS?",
            id="unknown key suggests the closest",
        ),
        pytest.param(
            {"CORECORS_MAXAGE": "5"},
            "CORECORS_MAXAGE",
            "did you mean CORECORS_MAX_AGE?",
            id="missing underscore",
        ),
        pytest.param(
            {"CORECORS_XYZZY": "1"},
            "CORECORS_XYZZY",
            "see the list of options",
            id="unknown key without a close match",
        ),
        pytest.param(
            {"CORECORS_ALLOW_CREDENTIALS": "maybe"},
            "CORECORS_ALLOW_CREDENTIALS",
            "is not a boolean",
            id="bad boolean",
        ),
        pytest.param(
            {"CORECORS_MAX_AGE": "ten"}, "CORECORS_MAX_AGE", "is not an integer", id="bad integer"
        ),
    ],
)
def test_from_mapping_refuses_what_it_cannot_read(
    mapping: dict[str, str], option: str, text: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Config.from_mapping(mapping)
    assert info.value.option == option
    assert str(info.value).startswith(option + ": ")
    assert text in str(info.value)
    assert "Fix:" in str(info.value)


def test_from_mapping_validates_like_the_constructor() -> None:
    with pytest.raises(ConfigError, match="allow_credentials"):
        Config.from_mapping({"CORECORS_ALLOW_ORIGINS": "*", "CORECORS_ALLOW_CREDENTIALS": "1"})


# -- messages that name what the user wrote -------------------------------------


def test_a_misspelt_keyword_is_a_config_error_with_a_suggestion() -> None:
    exc = refused({"allow_origin": [HTTPS]})
    assert exc.problems[0].code == "CC003"
    assert "did you mean allow_origins?" in str(exc)


def test_every_problem_is_reported_at_once_each_with_a_code() -> None:
    exc = refused(
        {
            "allow_origins": ["https://a.example/", "http://0177.0.0.1", "javascript://x"],
            "allow_methods": ["DEL ETE"],
            "max_age": "600",
        }
    )
    assert [(p.code, p.where) for p in exc.problems] == [
        ("CC004", "max_age"),
        ("CC005", "allow_origins[0]"),
        ("CC005", "allow_origins[1]"),
        ("CC005", "allow_origins[2]"),
        ("CC007", "allow_methods[0]"),
    ]
    assert str(exc).endswith("(and 4 more)")
    assert "write 600" in exc.problems[0].fix


@pytest.mark.parametrize(
    ("entry", "fix"),
    [
        pytest.param("http://0177.0.0.1", "http://127.0.0.1", id="octal"),
        pytest.param("http://2130706433", "http://127.0.0.1", id="one integer"),
        pytest.param("http://127.1:8080", "http://127.0.0.1:8080", id="two parts"),
        pytest.param("http://0x7f.0.0.1", "http://127.0.0.1", id="hex"),
    ],
)
def test_ipv4_forms_no_browser_sends_are_refused_with_the_dotted_form(entry: str, fix: str) -> None:
    exc = refused({"allow_origins": [entry]})
    assert exc.problems[0].code == "CC005"
    assert exc.fix == f"write {fix}"


@pytest.mark.parametrize("scheme", ["data", "javascript", "file", "about", "blob"])
def test_schemes_of_opaque_origins_are_refused(scheme: str) -> None:
    exc = refused({"allow_origins": [f"{scheme}://x"]})
    assert "'null'" in exc.problem


def test_tuple_origins_of_other_schemes_stay_accepted() -> None:
    config = Config(allow_origins=["chrome-extension://abcdefghijklmnop"])
    assert decide(Request("GET", origin="chrome-extension://abcdefghijklmnop"), config).allowed


def test_a_full_width_host_gets_the_fix_browsers_would_send() -> None:
    assert refused({"allow_origins": ["https://ａｐｐ.example.com"]}).fix == (
        "write https://app.example.com"
    )


def test_a_huge_max_age_is_a_config_error_not_a_value_error() -> None:
    exc = refused({"max_age": 10**5000})
    assert exc.problems[0].code == "CC004"
    assert "digits" in str(exc.value)


def test_an_int_subclass_is_normalised_before_anything_is_formatted() -> None:
    class Sneaky(int):
        def __str__(self) -> str:
            return "600\r\nSet-Cookie: x=1"

    config = Config(allow_origins=[HTTPS], allow_methods=["PUT"], max_age=Sneaky(600))
    assert type(config.max_age) is int
    d = decide(Request("OPTIONS", origin=HTTPS, request_method="PUT"), config)
    assert ("Access-Control-Max-Age", "600") in d.headers


def test_from_mapping_names_the_key_that_was_written() -> None:
    with pytest.raises(ConfigError) as info:
        Config.from_mapping({"CORECORS_MAX_AGE": "ten", "CORECORS_ALLOW_ORIGINS": "https://a/b"})
    assert [p.option for p in info.value.problems] == ["CORECORS_MAX_AGE", "CORECORS_ALLOW_ORIGINS"]


def test_from_mapping_reads_a_json_list_written_as_a_string() -> None:
    config = Config.from_mapping(
        {"CORECORS_ALLOW_ORIGINS": '["https://a.example", "https://b.example"]'}
    )
    assert config.allow_origins == ("https://a.example", "https://b.example")
    with pytest.raises(ConfigError, match="looks like a JSON list"):
        Config.from_mapping({"CORECORS_ALLOW_ORIGINS": '["https://a.example",'})


@pytest.mark.parametrize(
    "mapping",
    [
        pytest.param({"ALLOW_ORIGINS": HTTPS}, id="keys without the prefix"),
        pytest.param({"CORS_ORIGINS": HTTPS}, id="flask-cors keys"),
    ],
)
def test_from_mapping_warns_when_it_finds_no_prefixed_key_but_option_like_ones(
    mapping: dict[str, str],
) -> None:
    with pytest.warns(UserWarning, match="no CORECORS_\\* key"):
        config = Config.from_mapping(mapping)
    assert config.allow_origins == ()


def test_validate_returns_errors_and_warnings_without_raising() -> None:
    problems = Config.validate(allow_origins=["https://*.github.io", "https://a/"], max_age=True)
    assert sorted((p.code, p.severity) for p in problems) == [
        ("CC004", "error"),
        ("CC005", "error"),
        ("CC116", "warning"),
    ]
