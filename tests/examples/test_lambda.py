"""The API Gateway Lambda example, with events shaped as API Gateway sends them."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from corecors import Config

APP = "https://app.example.com"
EVIL = "https://evil.example"
CONFIG = Config(allow_origins=[APP], allow_methods=["PUT"], allow_headers=["Content-Type"],
                expose_headers=["X-Request-Id"])


def rest_event(
    method: str, headers: list[tuple[str, str]], path: str = "/items/1"
) -> dict[str, Any]:
    """A REST API (payload format 1.0) proxy event."""
    multi: dict[str, list[str]] = {}
    for name, value in [("Host", "api.example.com"), ("User-Agent", "Mozilla/5.0"), *headers]:
        multi.setdefault(name, []).append(value)
    return {
        "resource": "/items/{id}",
        "path": path,
        "httpMethod": method,
        # API Gateway keeps the last of repeated lines in "headers".
        "headers": {name: values[-1] for name, values in multi.items()},
        "multiValueHeaders": multi,
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"id": "1"},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "a1b2c3",
            "resourcePath": "/items/{id}",
            "httpMethod": method,
            "extendedRequestId": "Jx1AbFmsIAMEbxg=",
            "requestTime": "26/Nov/2026:05:30:00 +0000",
            "path": f"/prod{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": "prod",
            "domainPrefix": "api",
            "requestTimeEpoch": 1795670400000,
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"},
            "domainName": "api.example.com",
            "apiId": "1234567890",
        },
        "body": None,
        "isBase64Encoded": False,
    }


def http_event(
    method: str, headers: list[tuple[str, str]], path: str = "/items/1"
) -> dict[str, Any]:
    """An HTTP API (payload format 2.0) event: names lower-cased, repeats comma-joined."""
    joined: dict[str, str] = {}
    for name, value in [("host", "api.example.com"), ("user-agent", "Mozilla/5.0"), *headers]:
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "cookies": ["session=abc123", "theme=dark"],
        "headers": joined,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"},
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "26/Nov/2026:05:30:00 +0000",
            "timeEpoch": 1795670400000,
        },
        "isBase64Encoded": False,
    }


EVENTS = [pytest.param(rest_event, id="REST API v1"), pytest.param(http_event, id="HTTP API v2")]
EventMaker = Callable[..., dict[str, Any]]


class App:
    """The wrapped business handler: records calls, sets headers of its own.

    Its default response suits both formats: format 1.0 reads
    ``multiValueHeaders`` and ignores ``cookies``; 2.0 the other way round.
    """

    def __init__(self, response: Any = None) -> None:
        self.calls = 0
        self.response = response if response is not None else {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json", "Vary": "Accept-Encoding",
                        "Access-Control-Allow-Origin": "*", "X-Request-Id": "r1",
                        "Access-Control-Allow-Credentials": "true"},
            "multiValueHeaders": {"Access-Control-Allow-Credentials": ["true"],
                                  "X-Request-Id": ["r1"]},
            "cookies": ["fresh=1"],
            "body": "{}",
        }

    def __call__(self, event: Any, context: Any) -> Any:
        self.calls += 1
        return self.response


@pytest.fixture
def lam(load_example: Callable[[str], ModuleType]) -> ModuleType:
    return load_example("lambda_handler")


def headers_of(response: dict[str, Any]) -> dict[str, list[str]]:
    """Header name (lower-case) -> values, as API Gateway would send them."""
    out: dict[str, list[str]] = {}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        out.setdefault(name.lower(), []).extend(values)
    for name, value in (response.get("headers") or {}).items():
        if value not in out.get(name.lower(), []):
            out.setdefault(name.lower(), []).append(value)
    return out


def cors_of(response: dict[str, Any]) -> dict[str, list[str]]:
    return {k: v for k, v in headers_of(response).items() if k.startswith("access-control-")}


@pytest.mark.parametrize("event", EVENTS)
def test_allowed_request_gets_our_headers_instead_of_the_handlers(
    lam: ModuleType, event: EventMaker
) -> None:
    app = App()
    response = lam.with_cors(app, CONFIG)(event("GET", [("Origin", APP)]), None)
    assert app.calls == 1
    assert response["statusCode"] == 200
    assert cors_of(response) == {
        "access-control-allow-origin": [APP],
        "access-control-expose-headers": ["X-Request-Id"],
    }
    headers = headers_of(response)
    assert headers["vary"] == ["Accept-Encoding, Origin"]
    assert headers["content-type"] == ["application/json"]
    assert headers["x-request-id"] == ["r1"]
    assert response["cookies"] == ["fresh=1"], "cookies are left alone"
    assert json.loads(json.dumps(response)) == response


@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize(
    "headers",
    [pytest.param([("Origin", EVIL)], id="disallowed origin"),
     pytest.param([], id="no origin"),
     pytest.param([("Origin", EVIL), ("Origin", APP)], id="repeated Origin lines")],
)
def test_other_requests_get_no_cors_headers(
    lam: ModuleType, event: EventMaker, headers: list[tuple[str, str]]
) -> None:
    app = App()
    response = lam.with_cors(app, CONFIG)(event("GET", headers), None)
    assert app.calls == 1
    assert cors_of(response) == {}, "the handler's own are stripped too"
    assert headers_of(response)["vary"] == ["Accept-Encoding, Origin"]


def test_rest_api_reads_multi_value_headers_not_the_last_line(lam: ModuleType) -> None:
    event = rest_event("GET", [("Origin", EVIL), ("Origin", APP)])
    assert event["headers"]["Origin"] == APP, "the single-value view shows only the last"
    response = lam.with_cors(App(), CONFIG)(event, None)
    assert cors_of(response) == {}


@pytest.mark.parametrize("event", EVENTS)
def test_preflight_is_answered_without_calling_the_handler(
    lam: ModuleType, event: EventMaker
) -> None:
    app = App()
    handler = lam.with_cors(app, CONFIG)
    response = handler(event("OPTIONS", [("Origin", APP),
                                         ("Access-Control-Request-Method", "PUT"),
                                         ("Access-Control-Request-Headers", "content-type")]),
                       None)
    assert response["statusCode"] == 204
    assert response["body"] == ""
    assert response["headers"]["Access-Control-Allow-Origin"] == APP
    assert response["headers"]["Access-Control-Allow-Methods"] == "PUT"
    assert response["headers"]["Access-Control-Allow-Headers"] == "Content-Type"

    refused = handler(event("OPTIONS", [("Origin", APP),
                                        ("Access-Control-Request-Method", "DELETE")]), None)
    assert refused["statusCode"] == 403
    assert cors_of(refused) == {}
    assert app.calls == 0
    assert json.loads(json.dumps(response)) == response


def test_http_api_plain_value_response_is_wrapped_and_gets_headers(lam: ModuleType) -> None:
    response = lam.with_cors(App({"hello": "world"}), CONFIG)(
        http_event("GET", [("Origin", APP)]), None
    )
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"hello": "world"}
    assert response["headers"]["Access-Control-Allow-Origin"] == APP
    assert response["headers"]["content-type"] == "application/json"


def test_rest_api_duplicate_header_pairs_are_not_doubled(lam: ModuleType) -> None:
    app = App({"statusCode": 200, "headers": {"X-Id": "1", "Link": "<a>"},
               "multiValueHeaders": {"X-Id": ["1"], "Link": ["<b>"]}, "body": ""})
    response = lam.with_cors(app, CONFIG)(rest_event("GET", [("Origin", APP)]), None)
    assert "headers" not in response
    assert response["multiValueHeaders"]["X-Id"] == ["1"]
    assert response["multiValueHeaders"]["Link"] == ["<b>", "<a>"]


@pytest.mark.parametrize("event", EVENTS)
def test_disabled_config_passes_the_handlers_response_untouched(
    lam: ModuleType, event: EventMaker
) -> None:
    app = App()
    response = lam.with_cors(app, Config(enabled=False))(event("GET", [("Origin", APP)]), None)
    assert response is app.response


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({}, id="empty event"),
        pytest.param({"httpMethod": "GET", "headers": None, "multiValueHeaders": None},
                     id="REST event without headers"),
        pytest.param({"version": "2.0", "requestContext": None}, id="v2 without context"),
        pytest.param({"version": "2.0", "requestContext": {"http": "GET"},
                      "headers": {"origin": 7}}, id="v2 with wrong types"),
    ],
)
def test_odd_events_get_a_decision_not_an_exception(
    lam: ModuleType, event: dict[str, Any]
) -> None:
    app = App()
    response = lam.with_cors(app, CONFIG)(event, None)
    assert app.calls == 1
    assert cors_of(response) == {}


def test_module_handler_reads_its_config_from_the_environment(
    load_example: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORECORS_CONFIG_JSON", json.dumps({"allow_origins": [EVIL]}))
    module = load_example("lambda_handler")
    response = module.handler(rest_event("GET", [("Origin", EVIL)]), None)
    assert cors_of(response)["access-control-allow-origin"] == [EVIL]
    assert json.loads(response["body"]) == {"hello": "world"}


def test_module_handler_default_config(load_example: Callable[[str], ModuleType],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CORECORS_CONFIG_JSON", raising=False)
    module = load_example("lambda_handler")
    response = module.handler(http_event("OPTIONS", [("Origin", APP),
                                                     ("Access-Control-Request-Method", "PUT")]),
                              None)
    assert response["statusCode"] == 204
