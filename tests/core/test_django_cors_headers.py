"""Reading django-cors-headers' settings: Config.from_django_cors_headers."""

from __future__ import annotations

import re

import pytest

from corecors import Config, ConfigError, Request, decide, read_django_cors_headers

APP = "https://app.example.com"


def codes(mapping: dict[str, object]) -> list[tuple[str, str, int | None]]:
    return [(p.code, p.option, p.index) for p in read_django_cors_headers(mapping).check()]


def allowed(config: Config, origin: str) -> bool:
    return decide(Request("GET", origin=origin), config).allowed


def test_their_defaults_are_kept() -> None:
    config = Config.from_django_cors_headers({"CORS_ALLOWED_ORIGINS": [APP]})
    assert config.allow_origins == (APP,)
    assert config.allow_methods == ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT")
    assert "x-csrftoken" in config.allow_headers
    assert config.max_age == 86400
    assert config.preflight_status == 200
    assert config.expose_headers == ()
    assert not config.allow_credentials


def test_every_current_setting_maps() -> None:
    config = Config.from_django_cors_headers(
        {
            "CORS_ALLOWED_ORIGINS": [APP],
            "CORS_ALLOWED_ORIGIN_REGEXES": [re.compile(r"^https://pr-\d+\.preview\.example\.com$")],
            "CORS_ALLOW_METHODS": ["GET", "PUT"],
            "CORS_ALLOW_HEADERS": ("content-type",),
            "CORS_EXPOSE_HEADERS": ["X-Total"],
            "CORS_ALLOW_CREDENTIALS": True,
            "CORS_PREFLIGHT_MAX_AGE": 60,
            "CORS_ALLOW_PRIVATE_NETWORK": True,
            "CORS_URLS_REGEX": r"^.*$",
            "DEBUG": True,  # the rest of a settings module is ignored
        }
    )
    assert config.allow_methods == ("GET", "PUT")
    assert config.expose_headers == ("X-Total",)
    assert config.allow_credentials
    assert config.allow_private_network
    assert config.max_age == 60
    assert allowed(config, "https://pr-12.preview.example.com")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param({"CORS_ORIGIN_WHITELIST": [APP]}, {"CORS_ALLOWED_ORIGINS": [APP]}, id="list"),
        pytest.param(
            {"CORS_ORIGIN_REGEX_WHITELIST": [r"^https://app\.example\.com$"]},
            {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://app\.example\.com$"]},
            id="regexes",
        ),
        pytest.param({"CORS_ORIGIN_ALLOW_ALL": True}, {"CORS_ALLOW_ALL_ORIGINS": True}, id="all"),
    ],
)
def test_old_names_mean_the_same(old: dict[str, object], new: dict[str, object]) -> None:
    assert Config.from_django_cors_headers(old) == Config.from_django_cors_headers(new)


def test_old_and_new_name_together_are_refused() -> None:
    found = codes({"CORS_ORIGIN_WHITELIST": [APP], "CORS_ALLOWED_ORIGINS": [APP]})
    assert [c for c in found if c[0] < "CC100"] == [("CC008", "CORS_ORIGIN_WHITELIST", None)]


def test_allow_all_replaces_the_lists() -> None:
    config = Config.from_django_cors_headers(
        {"CORS_ALLOW_ALL_ORIGINS": True, "CORS_ALLOWED_ORIGINS": ["not an origin"]}
    )
    assert config.allow_origins == ("*",)
    assert Config.from_django_cors_headers(
        {"CORS_ALLOW_ALL_ORIGINS": False, "CORS_ALLOWED_ORIGINS": [APP]}
    ).allow_origins == (APP,)


def test_allow_all_with_credentials_is_refused_naming_their_key() -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_django_cors_headers(
            {"CORS_ALLOW_ALL_ORIGINS": True, "CORS_ALLOW_CREDENTIALS": True}
        )
    assert {p.option for p in caught.value.problems} <= {
        "CORS_ALLOW_ALL_ORIGINS",
        "CORS_ALLOW_CREDENTIALS",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(0, -1, id="0 sends no header"),
        pytest.param(None, -1, id="None sends no header"),
        pytest.param(3600, 3600, id="seconds"),
    ],
)
def test_preflight_max_age(value: object, expected: int) -> None:
    assert Config.from_django_cors_headers({"CORS_PREFLIGHT_MAX_AGE": value}).max_age == expected


@pytest.mark.parametrize(
    ("regex", "anchored"),
    [
        pytest.param(r"^https://\w+\.example\.com", r"^https://\w+\.example\.com$", id="prefix"),
        pytest.param(r"https://a\.example", r"^https://a\.example$", id="no caret"),
        pytest.param(r"^https://a\.example|^https://b\.example", None, id="alternation"),
        pytest.param(r"https://a\.example\$", r"^https://a\.example\$$", id="escaped dollar"),
    ],
)
def test_prefix_regexes_are_refused_with_the_anchored_form(
    regex: str, anchored: str | None
) -> None:
    (problem,) = [
        p
        for p in read_django_cors_headers({"CORS_ALLOWED_ORIGIN_REGEXES": [APP, regex]}).check()
        if p.code == "CC006" and p.value == regex
    ]
    assert problem.option == "CORS_ALLOWED_ORIGIN_REGEXES"
    assert problem.index == 1
    if anchored is None:
        anchored = r"^(?:https://a\.example|^https://b\.example)$"
    assert repr(anchored) in problem.fix


@pytest.mark.parametrize("regex", [r"^https://a\.example\.com$", r"^https://a\.example\.com\Z"])
def test_anchored_regexes_are_accepted(regex: str) -> None:
    config = Config.from_django_cors_headers({"CORS_ALLOWED_ORIGIN_REGEXES": [regex]})
    assert allowed(config, "https://a.example.com")
    assert not allowed(config, "https://a.example.com.evil.net")


def test_a_regex_that_lets_strangers_in_is_named_by_their_key() -> None:
    found = codes(
        {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://.*$"], "CORS_ALLOW_CREDENTIALS": True}
    )
    assert ("CC006", "CORS_ALLOWED_ORIGIN_REGEXES", 0) in found


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        pytest.param(
            {"CORS_ALLOWED_ORIGINS": APP}, ("CC004", "CORS_ALLOWED_ORIGINS", None), id="str"
        ),
        pytest.param({"CORS_ALLOW_METHODS": 5}, ("CC004", "CORS_ALLOW_METHODS", None), id="int"),
        pytest.param(
            {"CORS_ALLOWED_ORIGIN_REGEXES": [5]},
            ("CC004", "CORS_ALLOWED_ORIGIN_REGEXES", 0),
            id="not a regex",
        ),
        pytest.param({"CORS_URLS_REGEX": 5}, ("CC004", "CORS_URLS_REGEX", None), id="urls type"),
        pytest.param(
            {"CORS_ALLOWED_ORIGIN": [APP]}, ("CC003", "CORS_ALLOWED_ORIGIN", None), id="typo"
        ),
        pytest.param({"CORS_XYZZY_QUUX": 1}, ("CC003", "CORS_XYZZY_QUUX", None), id="unknown"),
        pytest.param(
            {"CORS_REPLACE_HTTPS_REFERER": True},
            ("CC003", "CORS_REPLACE_HTTPS_REFERER", None),
            id="removed by them",
        ),
        pytest.param(
            {"CORS_ALLOWED_ORIGINS": [APP + "/"]}, ("CC005", "CORS_ALLOWED_ORIGINS", 0), id="path"
        ),
    ],
)
def test_problems_name_the_setting(
    mapping: dict[str, object], expected: tuple[str, str, int | None]
) -> None:
    assert expected in codes(mapping)


def test_typo_gets_a_suggestion() -> None:
    (problem,) = read_django_cors_headers({"CORS_ALLOWED_ORIGIN": [APP]}).problems
    assert "CORS_ALLOWED_ORIGINS" in problem.fix


@pytest.mark.parametrize(
    ("regex", "scope"),
    [
        pytest.param(r"^/api/.*$", "'/api/.*'", id="anchored"),
        pytest.param(r"^/api/", "'/api/.*'", id="prefix"),
        pytest.param(r"^/api/\Z", "'/api/'", id="backslash Z"),
        pytest.param(re.compile(r"^/api/"), "'/api/.*'", id="compiled"),
    ],
)
def test_a_url_scope_is_refused_with_the_setting_to_write(regex: object, scope: str) -> None:
    (problem,) = read_django_cors_headers({"CORS_URLS_REGEX": regex}).problems
    assert (problem.code, problem.option) == ("CC008", "CORS_URLS_REGEX")
    assert f"CORECORS_URLS_REGEX = {scope}" in problem.fix


def test_not_a_mapping() -> None:
    reading = read_django_cors_headers([("CORS_ALLOWED_ORIGINS", [APP])])
    assert [p.code for p in reading.problems] == ["CC002"]
    assert reading.options == {"enabled": False}
