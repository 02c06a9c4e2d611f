"""The core's advice (CC101-CC115): warnings Config.validate lists beside the errors."""

from __future__ import annotations

from typing import Any

import pytest

from corecors import PROBLEM_CODES, Config, Problem, read_gravitee

APP = "https://app.example.com"


def found(**options: Any) -> set[tuple[str, str]]:
    return {(p.code, p.where) for p in Config.validate(**options)}


def warnings(**options: Any) -> list[Problem]:
    return [p for p in Config.validate(**options) if p.severity == "warning"]


CASES = [
    pytest.param({"allow_origins": ["*"]}, ("CC101", "allow_origins[0]"), id="star"),
    pytest.param({"allow_origins": [APP, APP.upper()]}, ("CC102", "allow_origins[1]"),
                 id="origin twice"),
    pytest.param({"allow_origin_regexes": [r"https://a\.example\.com"] * 2},
                 ("CC102", "allow_origin_regexes[1]"), id="regex twice"),
    pytest.param({"allow_origins": [APP], "allow_headers": ["X-A", "x-a"]},
                 ("CC102", "allow_headers[1]"), id="header twice in other case"),
    pytest.param({"allow_origins": [APP], "allow_methods": ["PUT", "PUT"]},
                 ("CC102", "allow_methods[1]"), id="method twice"),
    pytest.param({"allow_origins": ["*", APP]}, ("CC103", "allow_origins[1]"),
                 id="origin beside star"),
    pytest.param({"allow_origins": ["*", "https://*.example.com"]},
                 ("CC103", "allow_origins[1]"), id="pattern beside star"),
    pytest.param({"allow_origins": ["*"], "allow_origin_regexes": [r"https://a\.example\.com"]},
                 ("CC103", "allow_origin_regexes[0]"), id="regex beside star"),
    pytest.param({"allow_origins": ["https://a.example.com:*", "https://a.example.com:8443"]},
                 ("CC103", "allow_origins[1]"), id="port inside any-port pattern"),
    pytest.param({"allow_origins": ["https://*.example.com:*", "https://*.a.example.com:*"]},
                 ("CC103", "allow_origins[1]"), id="any-port pattern inside another"),
    pytest.param({"allow_origins": [APP],
                  "allow_origin_regexes": [r"https://(?:app|www)\.example\.com"]},
                 ("CC103", "allow_origins[0]"), id="origin matched by a regex"),
    pytest.param({"allow_origins": [APP], "max_age": 7201}, ("CC104", "max_age"),
                 id="max_age over Chromium"),
    pytest.param({"allow_origins": [APP], "expose_headers": ["Cache-Control"]},
                 ("CC105", "expose_headers[0]"), id="safelisted exposed"),
    pytest.param({"allow_origins": [APP], "allow_headers": ["Cookie"]},
                 ("CC106", "allow_headers[0]"), id="forbidden request header"),
    pytest.param({"allow_origins": [APP], "allow_methods": ["TRACE"]},
                 ("CC107", "allow_methods[0]"), id="forbidden method"),
    pytest.param({"allow_origins": [APP], "allow_methods": ["patch"]},
                 ("CC108", "allow_methods[0]"), id="lower-case method"),
    pytest.param({}, ("CC109", "allow_origins"), id="no origin"),
    pytest.param({"enabled": False}, ("CC110", "enabled"), id="disabled"),
    pytest.param({"allow_origins": [APP], "allow_methods": ["*", "PUT"]},
                 ("CC111", "allow_methods[1]"), id="method beside star"),
    pytest.param({"allow_origins": [APP], "allow_headers": ["*", "X-A"]},
                 ("CC111", "allow_headers[1]"), id="header beside star"),
    pytest.param({"allow_origins": [APP], "expose_headers": ["*", "X-A"]},
                 ("CC111", "expose_headers[1]"), id="exposed beside star"),
    pytest.param({"allow_origin_regexes": [".*"]}, ("CC112", "allow_origin_regexes[0]"),
                 id="regex matching everything"),
    pytest.param({"allow_origins": [APP], "expose_headers": ["Set-Cookie"]},
                 ("CC113", "expose_headers[0]"), id="set-cookie exposed"),
    pytest.param({"allow_origin_regexes": [".*"], "allow_credentials": True,
                  "dangerously_allow_any_origin_with_credentials": True},
                 ("CC114", "dangerously_allow_any_origin_with_credentials"), id="dangerously on"),
]


@pytest.mark.parametrize(("options", "expected"), CASES)
def test_each_advice(options: dict[str, Any], expected: tuple[str, str]) -> None:
    problems = Config.validate(**options)
    assert expected in {(p.code, p.where) for p in problems}
    (p,) = [p for p in problems if (p.code, p.where) == expected]
    assert p.severity == PROBLEM_CODES[p.code][0] == "warning"
    assert p.problem
    assert p.fix


def test_every_advice_code_has_a_case() -> None:
    advice = {code for code in PROBLEM_CODES if "CC101" <= code <= "CC114"}
    assert {case.values[1][0] for case in CASES} == advice


def test_clean_config_has_no_advice() -> None:
    assert Config.validate(allow_origins=[APP], allow_methods=["PUT"], max_age=600) == ()


def test_disabled_config_gets_only_that_advice() -> None:
    assert found(enabled=False, allow_origins=["*"], max_age=99999) == {("CC110", "enabled")}


def test_no_origin_advice_is_left_out_when_every_origin_was_refused() -> None:
    assert ("CC109", "allow_origins") not in found(allow_origins=["https://a.example/"])
    problem = next(p for p in warnings(allow_credentials=True) if p.code == "CC109")
    assert "allow_credentials is on" in problem.problem
    assert str(problem).startswith("allow_origins is empty")  # no value to quote


def test_firefox_cap_is_named_past_a_day() -> None:
    (p,) = [p for p in warnings(allow_origins=[APP], max_age=86401) if p.code == "CC104"]
    assert "Firefox" in p.problem


@pytest.mark.parametrize(
    "origins",
    [
        ["https://*.example.com", "http://*.example.com"],  # other scheme
        ["http://a.example.com:8443", "https://a.example.com:*"],  # exact of another scheme
        ["https://*.example.com:8443", "https://*.a.example.com:9443"],  # two fixed ports
        ["https://*.example.com:8443", "https://*.example.com"],  # other port
        ["https://*.example.com", "https://b.example.org"],  # not covered
        ["https://a.example.com:*", "https://*.example.com:8443"],  # host-only wider
    ],
)
def test_entries_that_do_not_cover_each_other(origins: list[str]) -> None:
    assert not {c for c, _ in found(allow_origins=origins)} & {"CC103"}


def test_exact_origin_not_matched_by_a_regex_is_not_covered() -> None:
    assert found(allow_origins=[APP], allow_origin_regexes=[r"https://b\.example\.com"]) == set()


def test_authorization_beside_star_is_needed() -> None:
    assert found(allow_origins=[APP], allow_headers=["*", "Authorization"]) == set()


def test_gravitee_glob_advice() -> None:
    reading = read_gravitee({"enabled": True, "allowOrigin": ["https://*.example.com",
                                                              "http://localhost:*"]})
    codes = [(p.code, p.where) for p in reading.check()]
    assert ("CC115", "cors.allowOrigin[0]") in codes
    assert ("CC115", "cors.allowOrigin[1]") in codes
    texts = {p.where: p.problem for p in reading.check() if p.code == "CC115"}
    assert "xexample.com" in texts["cors.allowOrigin[0]"]  # what Gravitee lets in
    assert "but does match" not in texts["cors.allowOrigin[1]"]


def test_gravitee_glob_that_is_no_pattern_is_left_to_validation() -> None:
    reading = read_gravitee({"enabled": True, "allowOrigin": ["https://*.example.com:99999"]})
    codes = {p.code for p in reading.check()}
    assert "CC115" not in codes
    assert "CC005" in codes


def test_gravitee_api_without_cors_is_advised_once() -> None:
    problems = read_gravitee({"proxy": {"groups": []}}).check()
    assert [(p.code, p.where) for p in problems] == [("CC110", "proxy.cors")]
    assert str(problems[0]).startswith("proxy.cors is missing")
