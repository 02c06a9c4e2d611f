"""corecors lint: every error Config refuses, every risky setting, with codes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from corecors import PROBLEM_CODES as CODES
from corecors import Config, ConfigError
from corecors._regexes import lone_dot
from corecors.cli.files import load_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
Run = Callable[..., Any]  # the `run` fixture (conftest.py)
Write = Callable[[str, Any], str]


def findings(run: Run, path: str, *extra: str) -> tuple[int, list[dict[str, str]]]:
    result = run("lint", "--format", "json", path, *extra)
    return result.code, result.json()["findings"]


def codes_at(items: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(f["code"], f["path"]) for f in items}


def test_shipped_toml_example_is_clean(run: Run) -> None:
    result = run("lint", str(EXAMPLES / "config.toml"))
    assert result.code == 0
    assert result.out.strip().endswith(": ok")


def test_gravitee_v2_export_reports_its_regex_hole_at_the_gravitee_key(run: Run) -> None:
    code, items = findings(run, str(EXAMPLES / "gravitee-v2.json"))
    assert code == 1
    hole = [f for f in items if f["code"] == "CC006"]
    assert len(hole) == 1
    assert hole[0]["path"] == "proxy.cors.allowOrigin[2]"
    assert hole[0]["location"].endswith("gravitee-v2.json: proxy.cors.allowOrigin[2]")
    assert "corecors-evilexample.com" in hole[0]["message"]
    assert hole[0]["fix"]


def test_gravitee_v4_export_has_warnings_only_and_strict_fails_on_them(run: Run) -> None:
    path = str(EXAMPLES / "gravitee-v4.json")
    code, items = findings(run, path)
    assert code == 0
    assert items
    assert all(f["severity"] == "warning" for f in items)
    assert ("CC115", "api.listeners[0].cors.allowOrigin[2]") in codes_at(items)
    assert run("lint", "--strict", path).code == 1


def test_json_output_shape(run: Run) -> None:
    result = run("lint", "--format", "json", str(EXAMPLES / "gravitee-v2.json"),
                 str(EXAMPLES / "config.toml"))
    data = result.json()
    assert set(data) == {"findings", "files", "summary"}
    assert data["summary"]["files"] == 2
    assert data["summary"]["errors"] == sum(f["severity"] == "error" for f in data["findings"])
    for finding in data["findings"]:
        assert set(finding) == {"code", "severity", "file", "path", "location", "message", "fix"}
        assert CODES[finding["code"]][0] == finding["severity"]
    assert data["files"][1]["read_as"] == ["corecors options, TOML"]


# Each code, triggered by a small file: (content, code, key path).
CASES = [
    pytest.param({"allow_originz": ["https://a.example"]}, "CC003", "allow_originz",
                 id="CC003 unknown option"),
    pytest.param({"allow_origins": ["https://a.example"], "max_age": "600"}, "CC004", "max_age",
                 id="CC004 max_age as a string"),
    pytest.param({"allow_origins": {"a": 1}}, "CC004", "allow_origins",
                 id="CC004 a mapping where a list goes"),
    pytest.param({"allow_origins": ["https://a.example", "https://b.example/"]}, "CC005",
                 "allow_origins[1]", id="CC005 origin with a path"),
    pytest.param({"allow_origin_regexes": ["https://app.example.com"]}, "CC006",
                 "allow_origin_regexes[0]", id="CC006 unescaped dot"),
    pytest.param({"allow_origin_regexes": ["https://("]}, "CC006", "allow_origin_regexes[0]",
                 id="CC006 invalid regex"),
    pytest.param({"allow_origins": ["https://a.example"], "allow_headers": ["X One"]}, "CC007",
                 "allow_headers[0]", id="CC007 header name with a space"),
    pytest.param({"allow_origins": ["https://a.example"], "allow_methods": ["get"]}, "CC007",
                 "allow_methods[0]", id="CC007 lower-case get never matches"),
    pytest.param({"allow_origins": ["*"], "allow_credentials": True}, "CC008",
                 "allow_origins[0]", id="CC008 star with credentials"),
    pytest.param({"allow_origins": ["https://a.example"], "allow_credentials": True,
                  "expose_headers": ["*"]}, "CC008", "expose_headers[0]",
                 id="CC008 expose star with credentials"),
    pytest.param({"allow_origins": ["*"]}, "CC101", "allow_origins[0]", id="CC101 star"),
    pytest.param({"allow_origins": ["https://a.example", "https://A.example"]}, "CC102",
                 "allow_origins[1]", id="CC102 same origin twice in other case"),
    pytest.param({"allow_origins": ["https://a.example.com", "https://*.example.com"]}, "CC103",
                 "allow_origins[0]", id="CC103 exact origin inside a pattern"),
    pytest.param({"allow_origins": ["https://*.a.example.com", "https://*.example.com"]},
                 "CC103", "allow_origins[0]", id="CC103 pattern inside a pattern"),
    pytest.param({"allow_origins": ["https://a.example.com"],
                  "allow_origin_regexes": ["https://(a|b)\\.example\\.com"]}, "CC103",
                 "allow_origins[0]", id="CC103 exact origin matched by a regex"),
    pytest.param({"allow_origins": ["https://a.example"], "max_age": 7201}, "CC104", "max_age",
                 id="CC104 max_age above Chromium's cap"),
    pytest.param({"allow_origins": ["https://a.example"], "expose_headers": ["Content-Type"]},
                 "CC105", "expose_headers[0]", id="CC105 safelisted response header"),
    pytest.param({"allow_origins": ["https://a.example"], "allow_headers": ["Sec-Fetch-Mode"]},
                 "CC106", "allow_headers[0]", id="CC106 forbidden request header"),
    pytest.param({"allow_origins": ["https://a.example"], "allow_methods": ["CONNECT"]},
                 "CC107", "allow_methods[0]", id="CC107 forbidden method"),
    pytest.param({"allow_origins": ["https://a.example"], "allow_methods": ["patch"]},
                 "CC108", "allow_methods[0]", id="CC108 lower-case patch"),
    pytest.param({"allow_credentials": True}, "CC109", "allow_origins",
                 id="CC109 credentials and no origin"),
    pytest.param({"enabled": False, "allow_origins": ["https://a.example"]}, "CC110", "enabled",
                 id="CC110 disabled"),
    pytest.param({"allow_origins": ["https://a.example"], "allow_headers": ["*", "X-A"]},
                 "CC111", "allow_headers[1]", id="CC111 names beside star"),
    pytest.param({"allow_origin_regexes": [".*"]}, "CC112", "allow_origin_regexes[0]",
                 id="CC112 regex matching everything"),
    pytest.param({"allow_origins": ["https://a.example"], "expose_headers": ["Set-Cookie"]},
                 "CC113", "expose_headers[0]", id="CC113 set-cookie exposed"),
    pytest.param({"allow_origins": ["http://a.example"], "allow_credentials": True,
                  "dangerously_allow_http_origins_with_credentials": True}, "CC114",
                 "dangerously_allow_http_origins_with_credentials", id="CC114 dangerously on"),
    pytest.param({"enabled": True, "allowOrigin": ["https://*.example.com"]}, "CC115",
                 "allowOrigin[0]", id="CC115 Gravitee glob"),
    pytest.param({"allow_origins": ["https://*.r2.dev"], "allow_credentials": True}, "CC009",
                 "allow_origins[0]", id="CC009 public suffix wildcard with credentials"),
    pytest.param({"allow_origins": ["https://*.github.io"]}, "CC116", "allow_origins[0]",
                 id="CC116 public suffix wildcard without credentials"),
    pytest.param({"allow_origins": ["https://a.example"], "debug_refusals": True}, "CC118",
                 "debug_refusals", id="CC118 debug_refusals on"),
    pytest.param({"allow_origins": ["*"], "check_websocket_origin": True}, "CC119",
                 "check_websocket_origin", id="CC119 websocket check under star"),
    pytest.param({"allow_origin_regexes": ["https://(app|www).example\\.com"]}, "CC006",
                 "allow_origin_regexes[0]", id="CC006 unescaped dot outside the domain name"),
]


@pytest.mark.parametrize(("content", "code", "path"), CASES)
def test_each_code(run: Run, write: Write, content: dict[str, Any], code: str,
                   path: str) -> None:
    status, items = findings(run, write("c.json", content))
    assert (code, path) in codes_at(items), items
    assert status == (1 if CODES[code][0] == "error" else 0)


def test_every_code_has_a_case() -> None:
    # CC117 is about flat CORECORS_* keys (Config.from_mapping) and CC120
    # about Django's MIDDLEWARE, neither of which lint reads: tests/core and
    # tests/django cover them.
    tested = {case.values[1] for case in CASES} | {"CC001", "CC002", "CC117", "CC120"}
    assert tested == set(CODES)


def test_every_code_is_documented() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    for code in CODES:
        assert f"`{code}`" in text, code
    assert "CC999" not in text


def test_every_error_in_one_file_is_reported(run: Run, write: Write) -> None:
    content = {
        "allow_origins": ["https://a.example/", "null", "https://ok.example", "ftp//x"],
        "allow_origin_regexes": ["(", "https://x.example.com"],
        "allow_methods": ["DEL ETE", "get"],
        "max_age": -5,
    }
    status, items = findings(run, write("c.json", content))
    assert status == 1
    errors = {(f["code"], f["path"]) for f in items if f["severity"] == "error"}
    assert errors == {
        ("CC005", "allow_origins[0]"), ("CC005", "allow_origins[1]"),
        ("CC005", "allow_origins[3]"), ("CC006", "allow_origin_regexes[0]"),
        ("CC006", "allow_origin_regexes[1]"), ("CC007", "allow_methods[0]"),
        ("CC007", "allow_methods[1]"), ("CC004", "max_age"),
    }


def test_errors_only_seen_together_are_found_after_each_entry_passes(
    run: Run, write: Write
) -> None:
    # Each entry is fine alone; together with credentials they are not.
    content = {"allow_origins": ["http://intranet.example", "https://ok.example"],
               "allow_credentials": True}
    status, items = findings(run, write("c.json", content))
    assert status == 1
    assert ("CC008", "allow_origins[0]") in codes_at(items)
    assert ("CC008", "allow_origins[1]") not in codes_at(items)


CONFIGS = [
    {"allow_origins": ["https://a.example"], "allow_credentials": True},
    {"allow_origins": ["*"], "allow_private_network": True},
    {"allow_origin_regexes": [".*"], "allow_private_network": True},
    {"allow_origin_regexes": [".*"], "allow_credentials": True,
     "dangerously_allow_any_origin_with_credentials": True},
    {"allow_origins": ["http://localhost:*"], "allow_credentials": True},
    {"preflight_failure_status": 200},
    {"allow_origins": "https://a.example", "allow_methods": "*", "allow_headers": "*"},
]


@pytest.mark.parametrize("content", CONFIGS)
def test_lint_errors_exactly_when_config_refuses(run: Run, write: Write,
                                                 content: dict[str, Any]) -> None:
    try:
        Config(**content)
        refused = False
    except ConfigError:
        refused = True
    _, items = findings(run, write("c.json", content))
    assert any(f["severity"] == "error" for f in items) is refused


AGREEMENT = [
    *[pytest.param(case.values[0], id=case.id) for case in CASES],
    *[pytest.param(c, id=f"config {i}") for i, c in enumerate(CONFIGS)],
    pytest.param({"enabled": "false", "allowOrigin": ["https://a.example"]},
                 id="Gravitee enabled as the string 'false'"),
    pytest.param({"proxy": {"cors": {"enabled": True, "allowOrigin": ["*"],
                                      "allowCredentials": True, "maxAge": "x"}}},
                 id="Gravitee v2, two errors"),
]


@pytest.mark.parametrize("content", AGREEMENT)
def test_lint_and_config_agree(run: Run, write: Write, content: dict[str, Any]) -> None:
    # One source of truth: what Config refuses, lint reports as an error with
    # the same code at the same place, and nothing else is an error.
    path = write("c.json", content)
    _, items = findings(run, path)
    linted = sorted((f["code"], f["path"]) for f in items if f["severity"] == "error")
    try:
        load_config(path)
        refused: list[tuple[str, str]] = []
    except ConfigError as exc:
        refused = sorted((p.code, p.where) for p in exc.problems if p.severity == "error")
    if "proxy" not in content and "allow_origins" not in content and any(
        k[0].islower() and not k.islower() for k in content
    ):
        # A bare Gravitee cors object: Config.from_gravitee names it "cors".
        refused = [(code, where.removeprefix("cors.")) for code, where in refused]
    assert linted == refused


def test_gravitee_enabled_string_is_refused_by_lint_and_explain(run: Run, write: Write) -> None:
    path = write("g.json", {"enabled": "false", "allowOrigin": ["https://a.example"]})
    status, items = findings(run, path)
    assert status == 1
    assert ("CC004", "enabled") in codes_at(items)
    explained = run("explain", path, "--origin", "https://a.example")
    assert explained.code == 2
    assert "is not a bool" in explained.err


def test_gravitee_listeners_with_different_cors_are_each_linted(run: Run, write: Write) -> None:
    path = write("v4.json", {"api": {"definitionVersion": "V4", "listeners": [
        {"type": "HTTP", "cors": {"enabled": True, "allowOrigin": ["https://a.example"],
                                  "maxAge": 9000}},
        {"type": "HTTP", "cors": {"enabled": True, "allowOrigin": ["*"],
                                  "allowCredentials": True}},
    ]}})
    _, items = findings(run, path)
    assert codes_at(items) >= {("CC104", "api.listeners[0].cors.maxAge"),
                               ("CC008", "api.listeners[1].cors.allowOrigin[0]")}


def test_gravitee_api_without_cors_is_disabled(run: Run, write: Write) -> None:
    path = write("v2.json", {"gravitee": "2.0.0", "proxy": {"virtual_hosts": []}})
    status, items = findings(run, path)
    assert status == 0
    assert codes_at(items) == {("CC110", "proxy.cors")}


# -- exit statuses -----------------------------------------------------------------


def test_unreadable_file_is_cc001_and_exit_2(run: Run, tmp_path: Path) -> None:
    status, items = findings(run, str(tmp_path / "missing.json"))
    assert status == 2
    assert [f["code"] for f in items] == ["CC001"]


def test_syntax_error_is_cc001_and_exit_2(run: Run, write: Write) -> None:
    status, items = findings(run, write("c.toml", "allow_origins = [\n"))
    assert status == 2
    assert items[0]["code"] == "CC001"
    assert "TOML" in items[0]["message"]


def test_not_a_config_is_cc002_and_exit_1(run: Run, write: Write) -> None:
    status, items = findings(run, write("c.json", {"proxy": 3, "x": 1}))
    assert status == 1
    assert [f["code"] for f in items] == ["CC002"]


def test_clean_file_exits_0_even_with_strict(run: Run, write: Write) -> None:
    path = write("c.json", {"allow_origins": ["https://a.example"]})
    assert run("lint", "--strict", path).code == 0


def test_text_output_lists_code_location_message_and_fix(run: Run) -> None:
    result = run("lint", str(EXAMPLES / "gravitee-v2.json"))
    lines = result.out.splitlines()
    first = next(line for line in lines if "CC006" in line)
    assert first.startswith("error    CC006  ")
    assert first.endswith("gravitee-v2.json: proxy.cors.allowOrigin[2]")
    assert any(line.startswith(" " * 16 + "fix: ") for line in lines)
    assert lines[-1].endswith("1 error, 5 warnings")


def test_no_arguments_is_a_usage_error(run: Run) -> None:
    assert run("lint").code == 2


@pytest.mark.parametrize(
    ("source", "position"),
    [
        pytest.param(r"https://(app|www).example\.com", 17, id="dot after a group"),
        pytest.param(r"https://[a-z]+.example\.com", 14, id="dot after a class"),
        pytest.param(r"https://app\.example\.com", None, id="escaped dots"),
        pytest.param(r"https://.*\.example\.com", None, id="dot-star wildcard"),
        pytest.param(r"https://[.a-z]+\.example\.com", None, id="dot inside a class"),
        pytest.param(r"https://[]a.]+\.example\.com", None, id="leading bracket in a class"),
        pytest.param(r"https://x{2}.example", 12, id="dot after a quantifier"),
    ],
)
def test_lone_dot(source: str, position: int | None) -> None:
    assert lone_dot(source) == position


# -- --from django-cors-headers -----------------------------------------------------


def test_lint_reads_django_cors_headers_settings(run: Run, write: Write) -> None:
    path = write(
        "settings.json",
        {
            "CORS_ALLOWED_ORIGINS": ["https://app.example.com/"],
            "CORS_ORIGIN_REGEX_WHITELIST": [r"^https://\w+\.example\.com"],
            "CORS_ALLOW_ALL_ORIGINS": False,
        },
    )
    code, found = findings(run, path, "--from", "django-cors-headers")
    assert code == 1
    assert codes_at(found) == {
        ("CC005", "CORS_ALLOWED_ORIGINS[0]"),
        ("CC006", "CORS_ORIGIN_REGEX_WHITELIST[0]"),
        # django-cors-headers' default max-age, 86400, is above Chromium's cap
        ("CC104", "CORS_PREFLIGHT_MAX_AGE"),
    }
    assert r"^https://\\w+\\.example\\.com$" in found[1]["fix"] + found[0]["fix"]


def test_lint_of_clean_django_cors_headers_settings(run: Run, write: Write) -> None:
    path = write("settings.toml", 'CORS_ALLOWED_ORIGINS = ["https://app.example.com"]\n')
    result = run("lint", "--from", "django-cors-headers", path)
    assert result.code == 0
    assert "django-cors-headers settings" in result.out


def _tenants(tmp_path: Path, *origins: object) -> str:
    import sqlite3

    db = tmp_path / "tenants.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE cors_origins (origin TEXT)")
        connection.executemany("INSERT INTO cors_origins VALUES (?)", [(o,) for o in origins])
    connection.close()
    return f"sqlite:///{db}"


def test_lint_sql_reports_every_bad_row(run: Run, tmp_path: Path) -> None:
    url = _tenants(tmp_path, "https://t1.example", "https://t2.example/path", None, "x" * 10_000)
    status, items = findings(run, "--sql", url)
    assert status == 1
    assert [f["code"] for f in items] == ["CC005"] * 3
    assert all(f["path"].startswith("cors_origins[") for f in items)
    result = run("lint", "--sql", url)
    assert "tenant origins, 4 rows" in result.out


def test_lint_sql_of_a_clean_table_with_a_config_file(run: Run, write: Write,
                                                      tmp_path: Path) -> None:
    url = _tenants(tmp_path, "https://t1.example", "https://t2.example")
    path = write("c.json", {"allow_origins": ["https://app.example"]})
    result = run("lint", path, "--sql", url)
    assert result.code == 0, result.out
    assert result.out.count(": ok") == 2


def test_lint_sql_that_cannot_be_read_exits_2(run: Run, tmp_path: Path) -> None:
    status, items = findings(run, "--sql", f"sqlite:///{tmp_path / 'missing.db'}")
    assert status == 2
    assert [f["code"] for f in items] == ["CC001"]
    status, items = findings(run, "--sql", "mysql://db/x")
    assert status == 2
    assert "not a database URL" in items[0]["message"]


def test_lint_needs_files_or_sql(run: Run) -> None:
    result = run("lint")
    assert result.code == 2
    assert "give CONFIG files, --sql URL, or both" in result.err
