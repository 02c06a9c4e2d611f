"""Config.from_gravitee: Gravitee API definitions as people export them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from corecors import Config, ConfigError, Request, decide

DATA = Path(__file__).parent / "data"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def patterns(config: Config) -> list[str]:
    return [rx.pattern for rx in config.allow_origin_regexes]


def test_v2_definition_reads_proxy_cors() -> None:
    config = Config.from_gravitee(load("gravitee-v2-orders.json"))
    assert config == Config(
        allow_origins=["https://shop.example.com", "https://admin.shop.example.com"],
        allow_headers=["content-type", "x-request-id", "authorization"],
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_credentials=True,
        max_age=3600,
        expose_headers=["x-request-id", "x-total-count"],
    )
    decision = decide(
        Request("OPTIONS", origin="https://shop.example.com", request_method="DELETE",
                request_headers="authorization,content-type"),
        config,
    )
    assert decision.allowed
    assert ("Access-Control-Max-Age", "3600") in decision.headers


def test_v4_definition_reads_the_http_listener_cors() -> None:
    config = Config.from_gravitee(load("gravitee-v4-catalog.json"))
    assert config.allow_origins == (
        "https://catalog.example.com", "https://*.partners.example.com"
    )
    assert config.allow_methods == ("GET", "PATCH")
    assert config.max_age == -1
    assert config.preflight_passthrough is True
    assert config.allow_private_network is True
    decision = decide(
        Request("OPTIONS", origin="https://acme.partners.example.com", request_method="PATCH",
                private_network=True),
        config,
    )
    assert decision.allowed
    assert decision.action == "forward"  # runPolicies: the preflight goes on to the API
    assert ("Access-Control-Allow-Private-Network", "true") in decision.headers
    assert not [n for n, _ in decision.headers if n == "Access-Control-Max-Age"]


def test_v4_export_wrapped_in_api_is_read() -> None:
    config = Config.from_gravitee(load("gravitee-v4-export.json"))
    assert config.allow_origins == ("https://pay.example.com",)
    assert config.allow_credentials is True
    assert config.max_age == 0
    assert config.expose_headers == ("x-payment-id",)


def test_a_cors_object_alone_is_read() -> None:
    config = Config.from_gravitee(load("gravitee-cors-only.json"))
    assert config.allow_origins == ("*",)
    assert config.allow_headers == ("content-type", "x-api-key")
    assert config.max_age == -1
    decision = decide(Request("GET", origin="null"), config)
    assert decision.headers == (("Access-Control-Allow-Origin", "*"),)


def test_a_cors_object_under_a_cors_key_is_read() -> None:
    cors = load("gravitee-cors-only.json")
    assert Config.from_gravitee({"cors": cors}) == Config.from_gravitee(cors)


def test_globs_become_safe_patterns_and_regexes_stay_regexes() -> None:
    config = Config.from_gravitee(load("gravitee-globs.json"))
    assert config.allow_origins == (
        "https://reports.example.com",
        "https://*.dashboards.example.com",
        "http://localhost:*",
    )
    assert patterns(config) == [r"https://(eu|us)\.status\.example\.com"]
    for origin, allowed in [
        ("https://team.dashboards.example.com", True),
        ("https://dashboards.example.com", False),
        ("https://evil-dashboards.example.com", False),
        ("http://localhost:5173", True),
        ("https://eu.status.example.com", True),
        ("https://ap.status.example.com", False),
    ]:
        assert decide(Request("GET", origin=origin), config).allowed is allowed, origin


def test_an_ipv6_literal_is_an_exact_origin_not_a_regex() -> None:
    config = Config.from_gravitee(load("gravitee-ipv6.json"))
    assert config.allow_origins == (
        "http://[::1]:8080", "http://[::1]:8081", "http://localhost:8080"
    )
    assert config.allow_origin_regexes == ()
    assert decide(Request("GET", origin="http://[::1]:8081"), config).allowed
    assert not decide(Request("GET", origin="http://[::1]:9090"), config).allowed


def test_a_holey_regex_is_refused_naming_the_gravitee_key() -> None:
    with pytest.raises(ConfigError) as info:
        Config.from_gravitee(load("gravitee-holey-regex.json"))
    message = str(info.value)
    assert "allowOrigin" in message
    assert "https://.*example.com" in message
    assert "Fix:" in message


@pytest.mark.parametrize(
    "definition",
    [
        pytest.param(load("gravitee-no-cors.json"), id="v4 listener without cors"),
        pytest.param({"gravitee": "2.0.0", "proxy": {"virtual_hosts": []}},
                     id="v2 proxy without cors"),
        pytest.param({"gravitee": "2.0.0", "proxy": {"cors": None}}, id="v2 cors null"),
        pytest.param({"definitionVersion": "V4", "name": "Kafka"}, id="v4 without listeners"),
        pytest.param({"gravitee": "2.0.0", "name": "old"}, id="v2 without proxy"),
        pytest.param({"api": {"definitionVersion": "V4", "listeners": []}},
                     id="export without listeners"),
        pytest.param({"definitionVersion": "V4", "listeners": ["http", {"type": "HTTP"}]},
                     id="listeners that are not objects"),
    ],
)
def test_a_definition_without_cors_imports_as_disabled(definition: dict[str, Any]) -> None:
    config = Config.from_gravitee(definition)
    assert config.enabled is False
    assert decide(Request("GET", origin="https://a.example"), config).action == "pass"


def test_same_cors_on_two_listeners_is_one_config() -> None:
    definition = load("gravitee-two-listeners.json")
    definition["listeners"][1]["cors"] = definition["listeners"][0]["cors"]
    config = Config.from_gravitee(definition)
    assert config.allow_origins == ("https://search.example.com",)


GRAVITEE_ERRORS = [
    pytest.param(load("gravitee-two-listeners.json"), "listeners",
                 "import each listener's cors object", id="different cors on two listeners"),
    pytest.param(load("gravitee-garbage.json"), "gravitee",
                 "neither a Gravitee cors object nor an API definition", id="not gravitee"),
    pytest.param([1, 2, 3], "gravitee", "is not a JSON object", id="a JSON array"),
    pytest.param({"listeners": "http"}, "gravitee", "neither a Gravitee cors object",
                 id="listeners that are a string"),
    pytest.param({"proxy": "x", "name": "y"}, "gravitee", "neither a Gravitee cors object",
                 id="proxy that is a string"),
    pytest.param({"enabled": True, "allowOrigin": {"https://a.example": True}}, "allowOrigin",
                 "JSON array", id="allowOrigin that is an object"),
    pytest.param({"enabled": True, "allowOrigin": ["https://a.example"], "allowMethods": 5},
                 "allowMethods", "JSON array", id="allowMethods that is a number"),
    pytest.param({"enabled": True, "allowOrigin": "*.example.com"}, "cors.allowOrigin",
                 "is not a valid regex", id="glob without a scheme is no regex"),
    pytest.param({"enabled": True, "allowOrigin": ["https://app.example.com/"]},
                 "cors.allowOrigin", "has a path", id="origin with a path"),
    pytest.param({"enabled": True, "allowOrigin": [r"https://app\.example\.com"]},
                 "cors.allowOrigin", "cannot appear in a host",
                 id="escaped dots without a bracket or parenthesis are no regex in Gravitee"),
    pytest.param({"enabled": True, "allowOrigin": ["https://*.co.uk"], "allowCredentials": True},
                 "cors.allowOrigin", "'https://*.co.uk'", id="glob on a shared suffix"),
    pytest.param({"enabled": True, "allowOrigin": ["https://*.github.io"],
                  "allowCredentials": True},
                 "cors.allowOrigin", "'https://*.github.io'", id="glob on github.io"),
    pytest.param({"enabled": True, "allowOrigin": ["https://*.co.uk"], "allowCredentials": True},
                 "cors.allowOrigin", "every name anybody registers under 'co.uk'",
                 id="glob on a shared suffix is explained as a glob, not as a regex"),
    pytest.param({"enabled": True, "allowOrigin": ["https://*.com"], "allowCredentials": True},
                 "cors.allowOrigin", "under 'com'", id="glob on a top-level domain is refused"),
    pytest.param({"enabled": True, "allowOrigin": ["*"], "allowCredentials": True},
                 "cors.allowOrigin", "allow_credentials", id="star with credentials"),
    pytest.param({"enabled": True, "allowOrigin": ["https://a.example"],
                  "allowMethods": ["DEL ETE"]},
                 "cors.allowMethods", "not a valid method", id="bad method"),
    pytest.param({"enabled": True, "allowOrigin": ["https://a.example"],
                  "allowHeaders": ["X Token"]},
                 "cors.allowHeaders", "not a valid header name", id="bad header"),
    pytest.param({"enabled": True, "allowOrigin": ["https://a.example"], "maxAge": -5},
                 "cors.maxAge", "below -1", id="maxAge below -1"),
    pytest.param({"enabled": True, "allowOrigin": ["https://a.example"],
                  "allowCredentials": True, "exposeHeaders": ["*"]},
                 "cors.exposeHeaders", "literal header name",
                 id="expose star with credentials"),
    pytest.param({"enabled": True, "allowOrigin": ["*"], "allowPrivateNetwork": True},
                 "cors.allowPrivateNetwork", "every website", id="private network with star"),
    pytest.param({"enabled": True, "allowOrigin": ["https://a.example"], "runPolicies": "yes"},
                 "cors.runPolicies", "is not a bool", id="runPolicies not a bool"),
]


@pytest.mark.parametrize(("definition", "key", "text"), GRAVITEE_ERRORS)
def test_a_gravitee_definition_corecors_refuses_names_the_gravitee_key(
    definition: Any, key: str, text: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Config.from_gravitee(definition)
    message = str(info.value)
    assert key in message
    assert text in message
    assert "Fix:" in message


IMPORTED = [
    pytest.param({"enabled": True}, {"enabled": True}, id="enabled with nothing else"),
    pytest.param({"allowOrigin": ["https://a.example"]},
                 {"enabled": False, "allow_origins": ["https://a.example"]},
                 id="enabled defaults to false as in Gravitee"),
    pytest.param({"enabled": True, "allowOrigin": "https://a.example"},
                 {"allow_origins": ["https://a.example"]}, id="a single origin string"),
    pytest.param({"enabled": True, "allowOrigin": None}, {}, id="allowOrigin null"),
    pytest.param({"enabled": True, "allowOrigin": ["https://a.example"], "maxAge": None},
                 {"allow_origins": ["https://a.example"]},
                 id="maxAge null is Gravitee's default: no Max-Age"),
    pytest.param({"enabled": True, "maxAge": 0}, {"max_age": 0}, id="maxAge 0 sends 0"),
    pytest.param({"enabled": True, "maxAge": 3600}, {"max_age": 3600}, id="maxAge in seconds"),
    pytest.param({"enabled": True, "allowMethods": {"PUT"}}, {"allow_methods": ["PUT"]},
                 id="a set of methods"),
    pytest.param({"enabled": True, "allowOrigin": ["HTTPS://A.Example"]},
                 {"allow_origins": ["https://a.example"]}, id="origins are normalised"),
    pytest.param({"enabled": True, "allowOrigin": [r"https://[a-z]+\.example\.com"]},
                 {"allow_origin_regexes": [r"https://[a-z]+\.example\.com"]},
                 id="an entry with a bracket is a regex"),
    pytest.param({"enabled": True, "allowOrigin": [r"https://(app|www)\.example\.com"]},
                 {"allow_origin_regexes": [r"https://(app|www)\.example\.com"]},
                 id="an entry with a parenthesis is a regex"),
]


@pytest.mark.parametrize(("cors", "options"), IMPORTED)
def test_gravitee_keys_map_one_to_one(cors: dict[str, Any], options: dict[str, Any]) -> None:
    # Gravitee sends no Access-Control-Max-Age unless maxAge is set (-1).
    expected = {"enabled": True, "max_age": -1, **options}
    assert Config.from_gravitee(cors) == Config(**expected)


def test_regex_entries_keep_whole_value_matching() -> None:
    config = Config.from_gravitee(
        {"enabled": True, "allowOrigin": [r"https://(app|www)\.example\.com"]}
    )
    (rx,) = config.allow_origin_regexes
    assert isinstance(rx, re.Pattern)
    assert decide(Request("GET", origin="https://www.example.com"), config).allowed
    assert not decide(Request("GET", origin="https://www.example.com.evil.net"), config).allowed
