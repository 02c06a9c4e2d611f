"""The WSGI middleware, the Flask extension and the dict hook answer alike.

For generated requests and several configs, all three give the same status,
the same ``Access-Control-*`` headers (names, values and order) and the same
``Vary``, in front of upstreams that behave the same: 200, ``Vary:
Accept-Encoding`` (not on OPTIONS), and CORS headers of their own that must
never get through unless corecors leaves the response untouched.

There is no carve-out: with ``preflight_passthrough`` the Decision says
"forward", and every adapter hands a valid preflight to the application (the
passthrough config's ``preflight_status`` is one the upstream never answers
with, so an adapter answering the preflight itself would show).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from flask import Flask, Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from corecors import Config
from corecors.adapters.flask import CORS
from corecors.adapters.hook import apply_forward, handle
from corecors.adapters.wsgi import CORSMiddleware

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]

UPSTREAM_CORS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Credentials", "true"),
    ("Access-Control-Expose-Headers", "X-Upstream"),
]


def upstream_headers(method: str) -> list[tuple[str, str]]:
    headers = [("Content-Type", "text/plain; charset=utf-8"), *UPSTREAM_CORS]
    if method != "OPTIONS":
        headers.append(("Vary", "Accept-Encoding"))
    return headers


def upstream(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", upstream_headers(environ["REQUEST_METHOD"]))
    return [b"ok"]


def flask_app(config: Config) -> Flask:
    app = Flask(__name__)

    def view(path: str = "") -> Response:
        return Response(b"ok", headers=upstream_headers(_method()))

    # OPTIONS listed explicitly: the view answers it, as the upstream does.
    for rule in ("/", "/<path:path>"):
        app.add_url_rule(rule, f"http{rule}", view, methods=METHODS)
        app.add_url_rule(rule, f"ws{rule}", view, methods=["GET"], websocket=True)
    CORS(app, config=config)
    return app


def _method() -> str:
    from flask import request

    return request.method


CONFIGS = [
    pytest.param(
        Config(
            allow_origins=["https://app.example.com", "https://admin.example.com"],
            allow_methods=["GET", "PUT", "DELETE"],
            allow_headers=["Content-Type", "X-Token"],
            expose_headers=["X-Total"],
        ),
        id="exact origins",
    ),
    pytest.param(
        Config(
            allow_origins="*", allow_methods=["PUT", "PATCH"], expose_headers="*", allow_headers="*"
        ),
        id="any origin",
    ),
    pytest.param(
        Config(
            allow_origins=["https://*.example.org"],
            allow_origin_regexes=[r"https://pr-[0-9]+\.preview\.example\.com"],
            allow_credentials=True,
            allow_methods="*",
            allow_headers="*",
            max_age=0,
        ),
        id="patterns, regex, credentials, echoed method and headers",
    ),
    pytest.param(
        Config(
            allow_origins=["https://app.example.com", "http://localhost:*"],
            allow_methods=["PUT"],
            allow_private_network=True,
            preflight_passthrough=True,
            preflight_status=202,
        ),
        id="passthrough and private network",
    ),
    pytest.param(
        Config(
            allow_origins=["https://app.example.com"],
            max_age=-1,
            preflight_status=200,
            preflight_failure_status=401,
            allow_credentials=True,
        ),
        id="other statuses, no max-age",
    ),
    pytest.param(Config(enabled=False, allow_origins="*"), id="disabled"),
]

# Header values as an HTTP parser hands them over: no CR, LF or NUL, no
# surrounding whitespace.
VALUE = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=40,
).map(lambda s: s.strip(" \t"))
ORIGINS = st.sampled_from(
    [
        "https://app.example.com",
        "https://admin.example.com",
        "https://evil.example",
        "https://a.example.org",
        "https://a.b.example.org",
        "https://example.org",
        "https://pr-12.preview.example.com",
        "http://localhost:8080",
        "null",
        "",
        "https://app.example.com, https://evil.example",
        "HTTPS://APP.EXAMPLE.COM",
        "https://app.example.com/",
        "https://app.example.com:443",
    ]
)
REQUEST_METHODS = st.sampled_from(["GET", "PUT", "PATCH", "DELETE", "patch", "X-CUSTOM", ""])
REQUEST_HEADERS = st.sampled_from(
    [
        "content-type",
        "x-token",
        "content-type, x-token",
        "authorization",
        "x-other",
        " , x-token,, ",
        "a b",
        ",".join(["x"] * 70),
    ]
)


def sometimes(draw: st.DrawFn, one_in: int) -> bool:
    return draw(st.integers(1, one_in)) == 1


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    # Weighted towards preflights and listed values, so that allowed and
    # refused answers of every kind turn up (the next test checks that).
    method = draw(st.sampled_from([*METHODS, "OPTIONS", "OPTIONS", "OPTIONS"]))
    headers: list[tuple[str, str]] = []
    if not sometimes(draw, 5):
        headers.append(("Origin", draw(VALUE if sometimes(draw, 4) else ORIGINS)))
    if (method == "OPTIONS" and not sometimes(draw, 4)) or sometimes(draw, 4):
        headers.append(
            (
                "Access-Control-Request-Method",
                draw(VALUE if sometimes(draw, 5) else REQUEST_METHODS),
            )
        )
    if sometimes(draw, 3):
        headers.append(
            (
                "Access-Control-Request-Headers",
                draw(VALUE if sometimes(draw, 5) else REQUEST_HEADERS),
            )
        )
    if sometimes(draw, 5):
        headers.append(
            ("Access-Control-Request-Private-Network", draw(st.sampled_from(["true", "false"])))
        )
    if method == "GET" and sometimes(draw, 5):  # handshakes are GETs
        headers += [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "13"),
        ]
    return method, headers


Answer = tuple[int, list[tuple[str, str]], list[str]]


def summary(status: int, headers: Iterable[tuple[str, str]] | Iterable[list[str]]) -> Answer:
    pairs = [(n, v) for n, v in headers]
    return (
        status,
        [(n, v) for n, v in pairs if n.lower().startswith("access-control-")],
        [v for n, v in pairs if n.lower() == "vary"],
    )


def through_client(client: Any, method: str, headers: list[tuple[str, str]]) -> Answer:
    response = client.open("/items/1", method=method, headers=headers)
    return summary(response.status_code, response.headers.to_wsgi_list())


def through_hook(config: Config, method: str, headers: list[tuple[str, str]]) -> Answer:
    result = handle(
        {"method": method, "path": "/items/1", "headers": [[n, v] for n, v in headers]}, config
    )
    if result["action"] == "respond":
        return summary(result["status"], result["headers"])
    status, _, _ = through_client(Client(upstream), method, headers)
    return summary(status, apply_forward(result, upstream_headers(method)))


@pytest.mark.parametrize("config", CONFIGS)
def test_three_adapters_answer_alike(config: Config) -> None:
    wsgi = Client(CORSMiddleware(upstream, config))
    flask = flask_app(config).test_client()

    @settings(
        max_examples=120,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(request=requests())
    def check(request: tuple[str, list[tuple[str, str]]]) -> None:
        method, headers = request
        expected = through_client(wsgi, method, headers)
        assert through_client(flask, method, headers) == expected, "Flask"
        assert through_hook(config, method, headers) == expected, "hook"

    check()


def test_the_generated_range_covers_every_kind_of_answer() -> None:
    """The comparison is only as good as its range: it must reach every answer."""
    seen: set[str] = set()
    config = CONFIGS[0].values[0]
    assert isinstance(config, Config)

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(request=requests())
    def collect(request: tuple[str, list[tuple[str, str]]]) -> None:
        method, headers = request
        result = handle({"method": method, "headers": headers}, config)
        seen.add(f"{result['action']}:{result['kind']}:{result['allowed']}")
        seen.update(result["reasons"])

    collect()
    expected = {
        "respond:preflight:True",
        "respond:preflight:False",
        "forward:actual:True",
        "forward:actual:False",
        "forward:not_cors:False",
        "pass:not_cors:False",
        "origin_not_allowed",
        "origin_malformed",
        "method_not_allowed",
        "headers_not_allowed",
    }
    assert expected <= seen, sorted(expected - seen)
