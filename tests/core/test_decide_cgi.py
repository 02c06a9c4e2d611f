"""decide_cgi(environ, config) answers exactly as decide(Request.from_cgi(environ), config)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corecors import Config, Request, decide, decide_cgi

APP = "https://app.example.com"

CONFIGS = [
    Config(allow_origins=[APP], allow_methods=["PUT"], allow_headers=["X-Token"]),
    Config(allow_origins="*", expose_headers=["X-Total"]),
    Config(allow_origins=[APP, "https://*.example.org"], allow_credentials=True),
    Config(allow_origins=[APP], enabled=False),
    Config(allow_origins=[APP], preflight_passthrough=True),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: repr(c)[:60])
@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({"REQUEST_METHOD": "GET"}, id="no origin"),
        pytest.param({"REQUEST_METHOD": "GET", "HTTP_ORIGIN": APP}, id="allowed actual"),
        pytest.param(
            {"REQUEST_METHOD": "POST", "HTTP_ORIGIN": "https://evil.example"}, id="other origin"
        ),
        pytest.param(
            {"REQUEST_METHOD": "OPTIONS", "HTTP_ORIGIN": APP,
             "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"},
            id="preflight",
        ),
        pytest.param({"REQUEST_METHOD": "OPTIONS", "HTTP_ORIGIN": APP}, id="plain OPTIONS"),
        pytest.param(
            {"REQUEST_METHOD": "GET", "HTTP_ORIGIN": APP, "HTTP_UPGRADE": "websocket"},
            id="websocket handshake",
        ),
        pytest.param(
            {"REQUEST_METHOD": "GET", "HTTP_ORIGIN": APP, "HTTP_UPGRADE": "h2c"},
            id="another upgrade",
        ),
        pytest.param(
            {"REQUEST_METHOD": "GET", "HTTP_ORIGIN": APP, "HTTP_UPGRADE": None},
            id="upgrade present but None",
        ),
        pytest.param(
            {"REQUEST_METHOD": "GET", "HTTP_ORIGIN": "https://" + "a" * 5000 + ".example"},
            id="over-long origin",
        ),
    ],
)
def test_decide_cgi_is_decide_on_the_request_from_cgi(
    config: Config, environ: dict[str, Any]
) -> None:
    assert decide_cgi(environ, config) == decide(Request.from_cgi(environ), config)


_text = st.one_of(st.none(), st.text(max_size=40), st.sampled_from([APP, "*", "null", ""]))


@given(
    method=st.sampled_from(["GET", "POST", "OPTIONS", "options", "PUT"]),
    origin=_text,
    request_method=_text,
    request_headers=_text,
    upgrade=st.one_of(st.none(), st.sampled_from(["websocket", "WebSocket", "h2c", ""])),
    config=st.sampled_from(CONFIGS),
)
def test_decide_cgi_agrees_with_decide_on_any_environ(
    method: str,
    origin: str | None,
    request_method: str | None,
    request_headers: str | None,
    upgrade: str | None,
    config: Config,
) -> None:
    environ: dict[str, Any] = {"REQUEST_METHOD": method}
    for key, value in (
        ("HTTP_ORIGIN", origin),
        ("HTTP_ACCESS_CONTROL_REQUEST_METHOD", request_method),
        ("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", request_headers),
        ("HTTP_UPGRADE", upgrade),
    ):
        if value is not None:
            environ[key] = value
    assert decide_cgi(environ, config) == decide(Request.from_cgi(environ), config)
