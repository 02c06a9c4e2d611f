"""corecors explain: a browser request played through a config."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from corecors.cli.browser import (
    BrowserRequest,
    HeaderArg,
    browser_cors_check,
    browser_preflight_check,
    is_safelisted_request_header,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
Run = Callable[..., Any]  # the `run` fixture (conftest.py)
Write = Callable[[str, Any], str]

CONFIG = str(EXAMPLES / "config.toml")
APP = "https://app.example.com"


def test_readme_command_is_allowed_and_prints_the_exact_headers(run: Run) -> None:
    result = run("explain", CONFIG, "--origin", APP, "--method", "PUT",
                 "--header", "X-Requested-With")
    assert result.code == 0, result.out
    assert "Access-Control-Request-Headers: x-requested-with" in result.out
    assert "HTTP 204 No Content" in result.out
    assert f"Access-Control-Allow-Origin: {APP}" in result.out
    assert "Access-Control-Allow-Methods: GET, POST, PUT, PATCH, DELETE" in result.out
    assert "Access-Control-Max-Age: 3600" in result.out
    assert "allowed:" in result.out


def test_json_output_carries_both_decisions(run: Run) -> None:
    result = run("explain", CONFIG, "--origin", APP, "--method", "PUT",
                 "--header", "X-Requested-With", "--format", "json")
    assert result.code == 0
    data = result.json()
    assert data["allowed"] is True
    assert data["preflight"]["needed"] is True
    assert data["preflight"]["request_headers"] == [
        ["Origin", APP], ["Access-Control-Request-Method", "PUT"],
        ["Access-Control-Request-Headers", "x-requested-with"],
    ]
    assert data["preflight"]["decision"]["status"] == 204
    assert data["preflight"]["browser"] == {"ok": True, "problem": None}
    assert data["actual"]["sent"] is True
    assert ["Access-Control-Allow-Credentials", "true"] in data["actual"]["decision"]["headers"]
    assert data["actual"]["decision"]["vary"] == ["Origin"]


def test_refused_origin_exits_1_and_says_why_in_plain_words(run: Run) -> None:
    result = run("explain", CONFIG, "--origin", "https://evil.example", "--method", "PUT",
                 "--format", "json")
    assert result.code == 1
    data = result.json()
    assert data["allowed"] is False
    reasons = data["preflight"]["decision"]["reasons"]
    assert reasons == [{"code": "origin_not_allowed",
                        "text": "the Origin is not one of the allowed origins"}]
    assert data["preflight"]["decision"]["status"] == 403
    assert data["actual"] == {"sent": False}
    checks = {c["check"]: c["ok"] for c in data["preflight"]["checks"]}
    assert checks == {"origin": False, "method": True}


def test_refused_preflight_text_names_the_check_and_the_browser_outcome(run: Run) -> None:
    result = run("explain", CONFIG, "--origin", "https://evil.example", "--method", "PUT")
    assert result.code == 1
    assert "the Origin is not one of the allowed origins" in result.out
    assert "blocks the request" in result.out
    assert "never sent" in result.out


def test_simple_get_needs_no_preflight(run: Run) -> None:
    data = run("explain", CONFIG, "--origin", APP, "--format", "json").json()
    assert data["preflight"] == {"needed": False, "why": []}
    assert data["allowed"] is True


@pytest.mark.parametrize(
    ("header", "preflight"),
    [
        pytest.param("Content-Type", True, id="content-type without a value is assumed unsafe"),
        pytest.param("Content-Type: text/plain", False, id="text/plain is safelisted"),
        pytest.param("Content-Type: multipart/form-data; boundary=x", False,
                     id="form data is safelisted"),
        pytest.param("Content-Type: application/json", True, id="json is not safelisted"),
        pytest.param("Accept", False, id="accept is safelisted"),
        pytest.param("Accept: (", True, id="accept with an unsafe byte is not"),
        pytest.param("X-Requested-With", True, id="custom headers are not safelisted"),
        pytest.param("Cookie: a=b", False, id="a forbidden header is dropped, no preflight"),
    ],
)
def test_which_headers_make_a_preflight(run: Run, header: str, preflight: bool) -> None:
    data = run("explain", CONFIG, "--origin", APP, "--method", "POST", "--header", header,
               "--format", "json").json()
    assert data["preflight"]["needed"] is preflight


def test_forbidden_header_is_never_sent(run: Run) -> None:
    result = run("explain", CONFIG, "--origin", APP, "--method", "PUT",
                 "--header", "Cookie: a=b", "--header", "X-Requested-With", "--format", "json")
    data = result.json()
    assert ["Access-Control-Request-Headers", "x-requested-with"] in \
        data["preflight"]["request_headers"]
    assert all(name != "Cookie" for name, _ in data["actual"]["request_headers"])


def test_credentials_need_acac_from_the_config(run: Run, write: Write) -> None:
    config = write("c.json", {"allow_origins": [APP]})
    result = run("explain", config, "--origin", APP, "--credentials")
    assert result.code == 1
    assert "Access-Control-Allow-Credentials: true" in result.out
    assert "did reach your application" in result.out


def test_credentials_never_accept_a_wildcard_origin(run: Run, write: Write) -> None:
    config = write("c.json", {"allow_origins": ["*"]})
    assert run("explain", config, "--origin", APP).code == 0
    result = run("explain", config, "--origin", APP, "--credentials", "--format", "json")
    assert result.code == 1
    assert "'*'" in result.json()["actual"]["browser"]["problem"]


def test_private_network_always_preflights(run: Run, write: Write) -> None:
    off = write("off.json", {"allow_origins": [APP]})
    on = write("on.json", {"allow_origins": [APP], "allow_private_network": True})
    refused = run("explain", off, "--origin", APP, "--private-network", "--format", "json")
    assert refused.code == 1
    assert refused.json()["preflight"]["needed"] is True
    assert refused.json()["preflight"]["decision"]["reasons"][0]["code"] == \
        "private_network_not_allowed"
    allowed = run("explain", on, "--origin", APP, "--private-network", "--format", "json")
    assert allowed.code == 0
    assert ["Access-Control-Allow-Private-Network", "true"] in \
        allowed.json()["preflight"]["response"]["headers"]


def test_browser_upper_cases_put_but_not_patch(run: Run) -> None:
    put = run("explain", CONFIG, "--origin", APP, "--method", "put", "--format", "json").json()
    assert put["request"]["method"] == "PUT"
    assert put["allowed"] is True
    patch = run("explain", CONFIG, "--origin", APP, "--method", "patch", "--format", "json")
    assert patch.code == 1
    assert patch.json()["request"]["method"] == "patch"
    assert patch.json()["preflight"]["decision"]["reasons"][0]["code"] == "method_not_allowed"


def test_authorization_is_never_covered_by_a_wildcard(run: Run, write: Write) -> None:
    config = write("c.json", {"allow_origins": [APP], "allow_headers": ["*"]})
    assert run("explain", config, "--origin", APP, "--header", "X-Anything").code == 0
    result = run("explain", config, "--origin", APP, "--header", "Authorization: Bearer x",
                 "--format", "json")
    assert result.code == 1
    assert result.json()["preflight"]["decision"]["reasons"][0]["code"] == \
        "authorization_not_covered"


def test_forbidden_method_is_refused_by_the_browser(run: Run) -> None:
    result = run("explain", CONFIG, "--origin", APP, "--method", "TRACE")
    assert result.code == 1
    assert "refuses to send TRACE" in result.out


def test_passthrough_preflight_goes_to_the_application(run: Run, write: Write) -> None:
    config = write("c.json", {"allow_origins": [APP], "allow_methods": ["PUT"],
                              "preflight_passthrough": True})
    result = run("explain", config, "--origin", APP, "--method", "PUT")
    assert result.code == 0
    assert "passes it to your application" in result.out


def test_disabled_config_sends_no_cors_headers(run: Run, write: Write) -> None:
    config = write("c.json", {"enabled": False, "allow_origins": [APP]})
    result = run("explain", config, "--origin", APP, "--format", "json")
    assert result.code == 1
    assert result.json()["actual"]["response"]["headers"] == []


@pytest.mark.parametrize(
    "example", ["gravitee-v4.json"], ids=["v4 export"],
)
def test_explain_reads_a_gravitee_export(run: Run, example: str) -> None:
    result = run("explain", str(EXAMPLES / example), "--origin", "https://beta.example.com",
                 "--method", "PUT", "--header", "If-None-Match", "--format", "json")
    assert result.code == 0, result.out
    assert result.json()["config"]["read_as"] == "Gravitee v4 API definition"


# -- exit status 2: bad input ----------------------------------------------------


def test_missing_origin_is_a_usage_error(run: Run) -> None:
    assert run("explain", CONFIG).code == 2


def test_unreadable_file_exits_2(run: Run, tmp_path: Any) -> None:
    result = run("explain", str(tmp_path / "missing.toml"), "--origin", APP)
    assert result.code == 2
    assert "cannot be read" in result.err


def test_invalid_config_exits_2_with_the_config_error(run: Run, write: Write) -> None:
    config = write("c.toml", '[corecors]\nallow_origins = "*"\nallow_credentials = true\n')
    result = run("explain", config, "--origin", APP)
    assert result.code == 2
    assert "allow_origins: '*' cannot be combined with allow_credentials=True" in result.err
    assert "fix: list the origins that may send credentials" in result.err


def test_holey_gravitee_export_exits_2(run: Run) -> None:
    result = run("explain", str(EXAMPLES / "gravitee-v2.json"), "--origin", APP)
    assert result.code == 2
    assert "corecors-evilexample.com" in result.err


def test_unknown_option_exits_2_with_a_suggestion(run: Run, write: Write) -> None:
    config = write("c.json", {"allow_origin": [APP]})
    result = run("explain", config, "--origin", APP)
    assert result.code == 2
    assert "allow_origins" in result.err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["--origin", "https://app.example.com/"], "'https://app.example.com'",
                     id="origin with a trailing slash"),
        pytest.param(["--origin", "https://App.example.com"], "'https://app.example.com'",
                     id="origin in upper case"),
        pytest.param(["--origin", "app.example.com"], "scheme", id="origin without scheme"),
        pytest.param(["--origin", APP, "--header", "X Bad"], "not a header name",
                     id="header name with a space"),
        pytest.param(["--origin", APP, "--method", "P UT"], "not a method", id="bad method"),
    ],
)
def test_bad_arguments_exit_2(run: Run, argv: list[str], expected: str) -> None:
    result = run("explain", CONFIG, *argv)
    assert result.code == 2
    assert expected in result.err


# -- the browser model, rule by rule ---------------------------------------------


def _request(**kw: Any) -> BrowserRequest:
    fields: dict[str, Any] = {"origin": APP, "method": "PUT", "path": "/", "headers": (),
                              "credentials": False, "private_network": False}
    fields.update(kw)
    return BrowserRequest(**fields)


@pytest.mark.parametrize(
    ("headers", "credentials", "ok"),
    [
        pytest.param([("Access-Control-Allow-Origin", "*")], False, True, id="star without creds"),
        pytest.param([("Access-Control-Allow-Origin", "*")], True, False, id="star with creds"),
        pytest.param([("Access-Control-Allow-Origin", APP)], True, False, id="creds without ACAC"),
        pytest.param([("Access-Control-Allow-Origin", APP),
                      ("Access-Control-Allow-Credentials", "true")], True, True,
                     id="creds with exact origin and ACAC"),
        pytest.param([("Access-Control-Allow-Origin", APP),
                      ("Access-Control-Allow-Origin", APP)], False, False,
                     id="two ACAO lines are no origin"),
        pytest.param([("Access-Control-Allow-Origin", APP + "/")], False, False,
                     id="a trailing slash does not match"),
        pytest.param([], False, False, id="no ACAO"),
    ],
)
def test_browser_cors_check(headers: list[tuple[str, str]], credentials: bool, ok: bool) -> None:
    assert (browser_cors_check(headers, _request(credentials=credentials)) is None) is ok


@pytest.mark.parametrize(
    ("acam", "credentials", "ok"),
    [
        pytest.param("PUT", False, True, id="listed"),
        pytest.param("put", False, False, id="methods are case-sensitive"),
        pytest.param("*", False, True, id="star without credentials"),
        pytest.param("*", True, False, id="star is literal with credentials"),
    ],
)
def test_browser_preflight_method_check(acam: str, credentials: bool, ok: bool) -> None:
    headers = [("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Credentials", "true"),
               ("Access-Control-Allow-Methods", acam)]
    problem = browser_preflight_check(204, headers, _request(credentials=credentials))
    assert (problem is None) is ok


def test_browser_preflight_needs_a_2xx_status() -> None:
    headers = [("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Methods", "PUT")]
    assert browser_preflight_check(204, headers, _request()) is None
    assert "status 302" in (browser_preflight_check(302, headers, _request()) or "")


@pytest.mark.parametrize(
    ("name", "value", "safelisted"),
    [
        ("Accept", "application/json", True),
        ("Accept", "a" * 129, False),
        ("Accept-Language", "en-GB, fr;q=0.5", True),
        ("Content-Language", "en@x", False),
        ("Content-Type", "text/plain; charset=utf-8", True),
        ("Content-Type", "application/x-www-form-urlencoded", True),
        ("Content-Type", "application/json", False),
        ("Content-Type", "text/plain; a=\"x\"", False),
        ("Range", "bytes=0-", True),
        ("Range", "bytes=5-1", False),
        ("Range", "bytes=-5", False),
        ("X-Custom", "1", False),
    ],
)
def test_cors_safelisted_request_headers(name: str, value: str, safelisted: bool) -> None:
    assert is_safelisted_request_header(name, value) is safelisted


def test_over_1024_bytes_of_safelisted_values_make_them_all_unsafe() -> None:
    # Fetch, "CORS-unsafe request-header names": each header list entry counts.
    within = _request(method="GET", headers=tuple(HeaderArg("Accept", "a" * 120)
                                                  for _ in range(8)))
    assert within.unsafe_names() == []
    assert within.preflight_why() == []
    over = _request(method="GET", headers=tuple(HeaderArg("Accept", "a" * 120)
                                                for _ in range(9)))
    assert over.unsafe_names() == ["accept"]
    assert over.preflight_why() != []


FIX_CASES = [
    pytest.param({"allow_origins": [APP]}, ["--origin", "https://evil.example"],
                 "add 'https://evil.example' to allow_origins", id="origin"),
    pytest.param({"allow_origins": [APP], "allow_methods": ["GET"]},
                 ["--origin", APP, "--method", "DELETE"], "add 'DELETE' to allow_methods",
                 id="method"),
    pytest.param({"allow_origins": [APP], "allow_headers": ["X-A"]},
                 ["--origin", APP, "--header", "X-B", "--header", "X-A"],
                 "add 'x-b' to allow_headers", id="header"),
    pytest.param({"allow_origins": [APP], "allow_headers": ["*"]},
                 ["--origin", APP, "--header", "Authorization"],
                 "add 'Authorization' to allow_headers by name", id="authorization"),
    pytest.param({"allow_origins": [APP]}, ["--origin", APP, "--private-network"],
                 "set allow_private_network to true", id="private network"),
    pytest.param({"allow_origins": [APP]}, ["--origin", APP, "--credentials"],
                 "set allow_credentials to true", id="credentials"),
    pytest.param({"enabled": False, "allow_origins": [APP]}, ["--origin", APP],
                 "set enabled to true", id="disabled"),
]


@pytest.mark.parametrize(("config", "args", "fix"), FIX_CASES)
def test_a_refusal_verdict_carries_the_fix(run: Run, write: Write, config: dict[str, Any],
                                           args: list[str], fix: str) -> None:
    path = write("c.json", config)
    as_json = run("explain", path, *args, "--format", "json")
    assert as_json.code == 1
    assert as_json.json()["fix"].startswith(fix)
    assert as_json.json()["verdict"].endswith("fix: " + as_json.json()["fix"])
    as_text = run("explain", path, *args, "--color", "never")
    assert "fix: " + fix.split()[0] in " ".join(as_text.out.split())


def test_an_allowed_verdict_has_no_fix(run: Run) -> None:
    result = run("explain", CONFIG, "--origin", APP, "--format", "json")
    assert result.json()["allowed"] is True
    assert result.json()["fix"] is None


def test_a_file_that_is_neither_toml_nor_json_is_not_a_config_file(run: Run, write: Write) -> None:
    path = write("settings.yaml", "allow_origins:\n  - https://app.example.com\n")
    explained = run("explain", path, "--origin", APP)
    assert explained.code == 2
    assert "not a corecors config file" in explained.err
    assert "TOML:" not in explained.err
    linted = run("lint", "--format", "json", path)
    assert linted.code == 2
    (finding,) = linted.json()["findings"]
    assert finding["code"] == "CC001"
    assert "not a corecors config file" in finding["message"]


WS = {"allow_origins": [APP], "check_websocket_origin": True}


def test_websocket_from_a_disallowed_page_is_refused_with_403(run: Run, write: Write) -> None:
    result = run("explain", write("ws.json", WS), "--origin", "https://evil.example",
                 "--websocket", "--format", "json")
    assert result.code == 1
    data = result.json()
    assert data["handshake"]["status"] == 403
    assert data["handshake"]["reasons"][0]["code"] == "websocket_origin_not_allowed"
    assert ("Upgrade", "websocket") in map(tuple, data["handshake"]["request_headers"])
    assert data["fix"].startswith("add 'https://evil.example' to allow_origins")


def test_websocket_from_an_allowed_page_opens(run: Run, write: Write) -> None:
    result = run("explain", write("ws.json", WS), "--origin", APP, "--websocket")
    assert result.code == 0
    assert "opens: the Origin is allowed" in result.out


def test_websocket_unchecked_opens_and_says_so(run: Run, write: Write) -> None:
    path = write("c.json", {"allow_origins": [APP]})
    result = run("explain", path, "--origin", "https://evil.example", "--websocket",
                 "--format", "json")
    assert result.code == 0
    assert "check_websocket_origin is off" in result.json()["verdict"]
    assert result.json()["fix"].startswith("set check_websocket_origin")


def test_websocket_takes_no_method_or_headers(run: Run, write: Write) -> None:
    result = run("explain", write("ws.json", WS), "--origin", APP, "--websocket",
                 "--method", "PUT")
    assert result.code == 2
    assert "--websocket is a GET handshake" in result.err


def test_a_method_override_naming_a_forbidden_method_is_dropped(run: Run) -> None:
    # Fetch, "forbidden request-header": X-HTTP-Method-Override: TRACE is never sent.
    result = run("explain", CONFIG, "--origin", APP, "--header", "X-HTTP-Method-Override: TRACE",
                 "--format", "json")
    assert result.code == 0
    (header,) = result.json()["request"]["headers"]
    assert header["forbidden"] is True
    assert result.json()["preflight"]["needed"] is False
