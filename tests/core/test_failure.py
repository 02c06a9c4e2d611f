"""The one rule for an application that raises: corecors.error_answer."""

from __future__ import annotations

import pytest

from corecors import ERROR_BODY, Config, Request, decide, error_answer

APP = "https://app.example.com"
CONFIG = Config(allow_origins=[APP], allow_methods=["PUT"], allow_credentials=True)
PASSTHROUGH = CONFIG.replace(preflight_passthrough=True)


def preflight(origin: str = APP, method: str = "PUT") -> Request:
    return Request("OPTIONS", origin=origin, request_method=method)


def test_an_allowed_request_gets_a_500_the_browser_can_read() -> None:
    answer = error_answer(decide(Request("GET", origin=APP), CONFIG))
    assert answer is not None
    assert answer.status == 500
    assert answer.body == ERROR_BODY == b"Internal Server Error"
    assert answer.headers == [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(ERROR_BODY))),
        ("Vary", "Origin"),
        ("Access-Control-Allow-Origin", APP),
        ("Access-Control-Allow-Credentials", "true"),
    ]
    assert answer.raw_headers[-2:] == [
        (b"access-control-allow-origin", APP.encode()),
        (b"access-control-allow-credentials", b"true"),
    ]


def test_a_passed_through_preflight_is_an_allowed_request_too() -> None:
    answer = error_answer(decide(preflight(), PASSTHROUGH))
    assert answer is not None
    assert ("Access-Control-Allow-Methods", "PUT") in answer.headers


@pytest.mark.parametrize(
    ("request_", "config"),
    [
        pytest.param(Request("GET"), CONFIG, id="no Origin"),
        pytest.param(Request("GET"), Config(allow_origins="*"), id="no Origin under '*'"),
        pytest.param(Request("GET", origin="https://evil.example"), CONFIG, id="refused"),
        pytest.param(
            Request("GET", origin="https://evil.example"),
            CONFIG.replace(debug_refusals=True),
            id="refused, with a debug header",
        ),
        pytest.param(preflight(), CONFIG, id="a preflight corecors answers"),
        pytest.param(preflight(method="DELETE"), PASSTHROUGH, id="a refused preflight"),
        pytest.param(Request("GET", origin=APP), CONFIG.replace(enabled=False), id="disabled"),
    ],
)
def test_every_other_exception_propagates(request_: Request, config: Config) -> None:
    assert error_answer(decide(request_, config)) is None
