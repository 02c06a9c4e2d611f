"""Fuzzing every way a request (or a configuration) gets into corecors.

Properties, for any input: no exception escapes (a configuration is a
Config or a ConfigError, nothing else); no CR or LF reaches a response
header or a log record (every logger is captured at DEBUG); no
Access-Control-Allow-Origin appears unless the config allows that origin
(or is the static ``*``).

CI runs a short campaign. A long one (every test here, N examples each,
fresh random data each run):

    CORECORS_FUZZ_EXAMPLES=200000 pytest tests/security -k fuzz
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sec_adapters import adapter
from sec_fetch_model import Header
from sec_policy import Policy, browser_origins, policies, raw_origins
from sec_support import (
    APP_HEADERS,
    STATS,
    assert_clean_logs,
    budget,
    captured_logs,
    check_response,
)

from corecors import Config, ConfigError, Decision, Request, decide, error_answer

# -- input strategies -----------------------------------------------------------

_NASTY = (
    "\r\n",
    "\n",
    "\r",
    "\x00",
    ",",
    ", ",
    " ",
    "\t",
    "*",
    "null",
    "%0d%0a",
    "\u2028",
    "\u212a",
    "ß",
    "İ",
    "\ufeff",
    "\x85",
    ":",
    ";",
    "=",
    '"',
    "\\",
    "/",
    "..",
    "\x7f",
)


def nasty_text(max_size: int = 60) -> st.SearchStrategy[str]:
    """Any text, with the characters that break parsers well represented."""
    return st.one_of(
        st.text(max_size=max_size),
        st.lists(st.one_of(st.sampled_from(_NASTY), st.text(max_size=8)), max_size=8).map("".join),
        st.text(alphabet=st.characters(max_codepoint=255), max_size=max_size),
    )


def origins() -> st.SearchStrategy[str]:
    return st.one_of(browser_origins(), raw_origins(), nasty_text())


def request_methods() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(("GET", "PUT", "PATCH", "patch", "DELETE", "OPTIONS", "*", "", "P UT")),
        nasty_text(20),
    )


def request_header_lists() -> st.SearchStrategy[str]:
    names = st.sampled_from(
        (
            "x-custom",
            "content-type",
            "authorization",
            "Authorization",
            "x-requested-with",
            "*",
            "",
            " ",
            "a b",
            "k\u212a",
        )
    )
    return st.one_of(
        st.lists(st.one_of(names, nasty_text(12)), max_size=12).map(",".join),
        st.lists(names, max_size=12).map(" , ".join),
        st.integers(0, 200).map(lambda n: "," * n),
        nasty_text(200),
    )


_METHODS = st.one_of(st.sampled_from(("GET", "OPTIONS", "POST", "options")), nasty_text(12))
_ORIGINS = origins()
_REQUEST_METHODS = request_methods()
_REQUEST_HEADER_LISTS = request_header_lists()


@st.composite
def requests(draw: st.DrawFn) -> Request:
    return Request(
        method=draw(_METHODS),
        origin=draw(st.none() | _ORIGINS),
        request_method=draw(st.none() | _REQUEST_METHODS),
        request_headers=draw(st.none() | _REQUEST_HEADER_LISTS),
        private_network=draw(st.booleans()),
        websocket=draw(st.integers(0, 15)) == 0,
    )


@st.composite
def fuzz_policies(draw: st.DrawFn) -> Policy:
    policy = draw(policies())
    if draw(st.integers(0, 15)) == 0:
        return Policy(extra={"enabled": False}, exact=policy.exact)
    return policy


def request_headers_of(request: Request) -> list[Header]:
    """The header lines that describe *request* (for the response checks)."""
    out: list[Header] = []
    if request.origin is not None:
        out.append(("Origin", request.origin))
    if request.request_method is not None:
        out.append(("Access-Control-Request-Method", request.request_method))
    if request.request_headers is not None:
        out.append(("Access-Control-Request-Headers", request.request_headers))
    if request.private_network:
        out.append(("Access-Control-Request-Private-Network", "true"))
    return out


def check_decision(policy: Policy, request: Request, decision: Decision) -> None:
    """A decision, rendered as a response, passes every response check."""
    assert isinstance(decision, Decision)
    assert isinstance(decision.reasons, tuple)
    assert isinstance(decision.vary, tuple)
    if decision.action == "pass":
        assert decision.headers == (), decision
        assert decision.action != "respond", decision
        assert request.websocket or policy.extra.get("enabled") is False
        return
    if policy.extra.get("enabled") is False or request.websocket:
        raise AssertionError(f"expected an untouched decision: {decision}")
    if decision.action == "respond":
        assert decision.status is not None
        status, response = decision.status, list(decision.headers)
    else:
        status, response = 200, decision.apply(APP_HEADERS)
    check_response(
        policy,
        request.method,
        request_headers_of(request),
        status,
        response,
        answered=decision.action == "respond",
    )
    if decision.allowed:
        assert not decision.reasons
    else:
        assert decision.reasons


# -- decide ------------------------------------------------------------------------


@budget(ci=500)
@given(fuzz_policies(), requests())
def test_fuzz_decide(policy: Policy, request: Request) -> None:
    config = policy.config()
    with captured_logs() as logs:
        decision = decide(request, config)
    check_decision(policy, request, decision)
    assert_clean_logs(logs)
    assert decide(request, config) == decision  # pure: same question, same answer
    STATS["fuzz: decide() executions"] += 1


@st.composite
def related_requests(draw: st.DrawFn) -> list[Request]:
    """Requests that share origins, methods and header lists: memo keys collide."""
    pool_origins = draw(st.lists(st.one_of(_BROWSER, _ORIGINS), min_size=1, max_size=3))
    pool_methods = draw(
        st.lists(
            st.one_of(st.sampled_from(("PUT", "GET", "patch")), _REQUEST_METHODS),
            min_size=1,
            max_size=3,
        )
    )
    pool_headers = draw(st.lists(_REQUEST_HEADER_LISTS, min_size=1, max_size=3))
    return [
        Request(
            draw(st.sampled_from(("OPTIONS", "OPTIONS", "GET"))),
            draw(st.sampled_from(pool_origins)),
            draw(st.none() | st.sampled_from(pool_methods)),
            draw(st.none() | st.sampled_from(pool_headers)),
            draw(st.booleans()),
        )
        for _ in range(draw(st.integers(1, 25)))
    ]


_BROWSER = browser_origins()


@budget(ci=200)
@given(fuzz_policies(), related_requests(), st.randoms())
def test_fuzz_decide_does_not_depend_on_history(
    policy: Policy, batch: list[Request], rnd: Any
) -> None:
    """corecors memoizes answers per config; whatever came before, a request
    gets exactly the answer a fresh, identical config gives it."""
    config = policy.config()
    history = batch * 2
    rnd.shuffle(history)
    for request in history:
        assert decide(request, config) == decide(request, policy.config()), request
    STATS["fuzz: decide() executions (history-independence)"] += 2 * len(history)


# -- Request.from_headers / from_cgi -------------------------------------------------

_NAMES = (
    "Origin",
    "origin",
    "ORIGIN",
    "Access-Control-Request-Method",
    "access-control-request-headers",
    "Access-Control-Request-Headers",
    "Access-Control-Request-Private-Network",
    "Upgrade",
    "Connection",
    "Host",
    "Vary",
)


_PAIRS = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(_NAMES), nasty_text(20)),
        st.one_of(
            _ORIGINS,
            _REQUEST_METHODS,
            _REQUEST_HEADER_LISTS,
            st.sampled_from(("true", " TRUE ", "websocket", "WebSocket, h2c")),
        ),
    ),
    max_size=10,
)


def header_pairs() -> st.SearchStrategy[list[tuple[str, str]]]:
    return _PAIRS


@budget(ci=500)
@given(fuzz_policies(), nasty_text(12), header_pairs(), st.booleans())
def test_fuzz_request_from_headers(
    policy: Policy, method: str, pairs: list[tuple[str, str]], as_mapping: bool
) -> None:
    config = policy.config()
    source: Any = dict(pairs) if as_mapping else pairs
    with captured_logs() as logs:
        request = Request.from_headers(method, source)
        decision = decide(request, config)
    assert isinstance(request, Request)
    for value in (request.origin, request.request_method, request.request_headers):
        assert value is None or isinstance(value, str)
    assert isinstance(request.private_network, bool)
    assert isinstance(request.websocket, bool)
    origins_sent = [
        v for n, v in (source.items() if as_mapping else pairs) if n.lower() == "origin"
    ]
    if len(origins_sent) > 1:
        assert request.origin == ", ".join(origins_sent)
    check_decision(policy, request, decision)
    assert_clean_logs(logs)
    STATS["fuzz: Request.from_headers executions"] += 1


# -- Config.from_gravitee, Config.from_mapping, Config(**options) ----------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-2, 100_000),
    st.floats(allow_nan=True, allow_infinity=True),
    nasty_text(30),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(nasty_text(10), children, max_size=4)
    ),
    max_leaves=16,
)
_ORIGINISH = st.one_of(
    browser_origins(),
    raw_origins(),
    st.sampled_from(
        (
            "*",
            "https://*.example.com",
            "http://localhost:*",
            "https://*.github.io",
            r"https://.*\.example\.com",
            r"https://(.*)example\.com",
            r"^https://app\.example\.com$",
            r"https://[a-z]+\.example\.com",
            "(",
            "[",
            r"https://(a+)+\.example\.com",
            ".*",
            "http://[::1]:8080",
            r"https://(a){99999999999}\.example\.com",
            "(" * 300 + ")" * 300,
            "null",
            "https://app.example.com/",
            r"(?i)HTTPS://APP\.EXAMPLE\.COM",
            r"\d",
        )
    ),
    nasty_text(40),
)


def gravitee_value(key: str) -> st.SearchStrategy[Any]:
    lists = {
        "allowOrigin": _ORIGINISH,
        "allowMethods": request_methods(),
        "allowHeaders": st.one_of(
            st.sampled_from(("Content-Type", "*", "Authorization")), nasty_text(12)
        ),
        "exposeHeaders": st.one_of(st.sampled_from(("ETag", "*")), nasty_text(12)),
    }
    if key in lists:
        return st.one_of(st.lists(lists[key], max_size=4), lists[key], json_values)
    if key == "maxAge":
        return st.one_of(st.integers(-3, 10**6), st.integers(), json_values)
    return st.one_of(st.booleans(), json_values)


_GRAVITEE_KEYS = (
    "enabled",
    "allowOrigin",
    "allowMethods",
    "allowHeaders",
    "allowCredentials",
    "maxAge",
    "exposeHeaders",
    "runPolicies",
    "allowPrivateNetwork",
)


_GRAVITEE_VALUES = {key: gravitee_value(key) for key in _GRAVITEE_KEYS}
_GRAVITEE_KEY_LISTS = st.lists(st.sampled_from(_GRAVITEE_KEYS), unique=True, max_size=9)
_UNKNOWN_KEYS = st.dictionaries(nasty_text(10), json_values, max_size=2)


@st.composite
def cors_objects(draw: st.DrawFn) -> dict[str, Any]:
    cors = {key: draw(_GRAVITEE_VALUES[key]) for key in draw(_GRAVITEE_KEY_LISTS)}
    cors.update(draw(_UNKNOWN_KEYS))
    return cors


_CORS_OBJECTS = cors_objects()


@st.composite
def gravitee_definitions(draw: st.DrawFn) -> Any:
    cors = draw(_CORS_OBJECTS)
    shape = draw(st.integers(0, 7))
    if shape == 0:
        return {"proxy": {"cors": cors}, "definitionVersion": "2.0.0"}
    if shape == 1:
        listeners = draw(
            st.lists(
                st.one_of(
                    st.just({"type": "HTTP", "cors": cors}),
                    st.builds(dict, cors=_CORS_OBJECTS),
                    json_values,
                ),
                max_size=3,
            )
        )
        return {"listeners": listeners, "definitionVersion": "V4"}
    if shape == 2:
        return {"api": {"proxy": {"cors": cors}}}
    if shape == 3:
        return draw(json_values)
    if shape == 4:
        # Deeper nesting is its own test below (Hypothesis cannot print it).
        depth = draw(st.integers(1, 40))
        definition: Any = cors
        for _ in range(depth):
            definition = {"api": definition}
        return definition
    return cors


def _config_or_config_error(build: Callable[[], Config]) -> Config | None:
    error: ConfigError | None = None
    try:
        config = build()
    except ConfigError as exc:
        error = exc
    if error is not None:
        # The message quotes what was given with repr(): one line whatever it
        # holds, so it cannot forge lines in the log it is written to.
        message = str(error)
        assert "\r" not in message, message
        assert "\n" not in message, message
        return None
    assert isinstance(config, Config)
    return config


def _exercise(config: Config) -> None:
    """A config corecors accepted answers requests without raising."""
    for request in (
        Request("GET", origin="https://app.example.com"),
        Request(
            "OPTIONS",
            origin="https://app.example.com",
            request_method="PUT",
            request_headers="content-type,x-custom",
            private_network=True,
        ),
        Request("GET", origin="https://evil.example"),
        Request("GET", origin="null"),
        Request("GET"),
    ):
        decision = decide(request, config)
        for name, value in decision.headers:
            assert "\r" not in name + value, decision
            assert "\n" not in name + value, decision


@budget(ci=500)
@given(gravitee_definitions())
def test_fuzz_config_from_gravitee(definition: Any) -> None:
    with captured_logs() as logs:
        config = _config_or_config_error(lambda: Config.from_gravitee(definition))
        if config is not None:
            _exercise(config)
    assert_clean_logs(logs)
    STATS["fuzz: Config.from_gravitee executions"] += 1
    STATS[f"fuzz: from_gravitee -> {'Config' if config else 'ConfigError'}"] += 1


_OPTIONS = (
    "enabled",
    "allow_origins",
    "allow_origin_regexes",
    "allow_methods",
    "allow_headers",
    "allow_credentials",
    "expose_headers",
    "max_age",
    "preflight_passthrough",
    "allow_private_network",
    "preflight_status",
    "preflight_failure_status",
)


@budget(ci=300)
@given(
    st.dictionaries(
        st.sampled_from(_OPTIONS),
        st.one_of(
            st.lists(_ORIGINISH, max_size=3),
            _ORIGINISH,
            json_values,
            st.integers(100, 700),
            st.booleans(),
        ),
        max_size=6,
    )
)
def test_fuzz_config_options(options: dict[str, Any]) -> None:
    config = _config_or_config_error(lambda: Config(**options))
    if config is not None:
        _exercise(config)
    STATS["fuzz: Config(**options) executions"] += 1


@budget(ci=300)
@given(
    st.dictionaries(
        st.one_of(st.sampled_from(_OPTIONS).map(lambda o: "CORECORS_" + o.upper()), nasty_text(20)),
        st.one_of(nasty_text(40), _ORIGINISH, st.sampled_from(("true", "0", "yes", "-1", "204"))),
        max_size=6,
    )
)
def test_fuzz_config_from_mapping(mapping: dict[str, str]) -> None:
    with warnings.catch_warnings():
        # A mapping with option-like keys but no CORECORS_ key is warned about.
        warnings.simplefilter("ignore", UserWarning)
        config = _config_or_config_error(lambda: Config.from_mapping(mapping))
    if config is not None:
        _exercise(config)
    STATS["fuzz: Config.from_mapping executions"] += 1


# -- the WSGI middleware, called directly with arbitrary environs ---------------------


class StartResponse:
    """Records start_response calls and checks what crosses it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Header], Any]] = []

    def __call__(self, status: str, headers: list[Header], exc_info: Any = None) -> Any:
        assert isinstance(status, str)
        assert "\r" not in status
        assert "\n" not in status
        self.calls.append((status, list(headers), exc_info))
        return lambda data: None


def _app(mode: int) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if mode == 1:
            raise RuntimeError("the application failed")
        if mode == 2:
            try:
                raise ValueError("late")
            except ValueError:
                import sys

                start_response("500 Internal Server Error", list(APP_HEADERS), sys.exc_info())
                return [b"error"]
        start_response("200 OK", list(APP_HEADERS))
        return [b"body"]

    return app


def _wsgi(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """PEP 3333 native strings: the bytes a server read, decoded as Latin-1."""
    return text.map(lambda s: s.encode("utf-8", "surrogatepass").decode("latin-1"))


_CGI = {
    "HTTP_ORIGIN": _wsgi(_ORIGINS),
    "HTTP_ACCESS_CONTROL_REQUEST_METHOD": _wsgi(_REQUEST_METHODS),
    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": _wsgi(_REQUEST_HEADER_LISTS),
    "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK": st.sampled_from(("true", "TRUE", "false", "")),
    "HTTP_UPGRADE": st.sampled_from(("websocket", "h2c", "")),
}


_PATHS = st.one_of(st.just("/"), nasty_text(30))
_SHORT = nasty_text(20)
_CGI_KEYS = st.lists(st.sampled_from(sorted(_CGI)), unique=True)
_EXTRA_CGI = st.dictionaries(
    nasty_text(12).map(lambda k: "HTTP_" + k.upper()), _wsgi(_SHORT), max_size=3
)
_WSGI_METHODS = _wsgi(_METHODS)
_WSGI_PATHS = _wsgi(_PATHS)
_WSGI_SHORT = _wsgi(_SHORT)


@st.composite
def environs(draw: st.DrawFn) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": draw(_WSGI_METHODS),
        "PATH_INFO": draw(_WSGI_PATHS),
        "QUERY_STRING": draw(_WSGI_SHORT),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for key in draw(_CGI_KEYS):
        environ[key] = draw(_CGI[key])
    extra = draw(_EXTRA_CGI)
    return {**extra, **environ}


def cgi_request_headers(environ: dict[str, Any]) -> list[Header]:
    names = {
        "HTTP_ORIGIN": "Origin",
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "Access-Control-Request-Method",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "Access-Control-Request-Headers",
        "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK": "Access-Control-Request-Private-Network",
    }
    return [(names[k], environ[k]) for k in names if k in environ]


@budget(ci=500)
@given(fuzz_policies(), environs(), st.sampled_from((0, 0, 0, 1, 2)))
def test_fuzz_wsgi_middleware(policy: Policy, environ: dict[str, Any], mode: int) -> None:
    from corecors.adapters.wsgi import CORSMiddleware

    config = policy.config()
    start = StartResponse()
    expected = decide(Request.from_cgi(environ), config)
    with captured_logs() as logs:
        try:
            body = b"".join(CORSMiddleware(_app(mode), config)(environ, start))
        except RuntimeError:
            # The core's rule: only an allowed CORS request gets corecors's
            # 500; any other failure goes on to the server.
            assert error_answer(expected) is None
            assert mode == 1
            return
    assert_clean_logs(logs)
    assert start.calls, "start_response was never called"
    status, headers, _ = start.calls[-1]
    decision = environ["corecors.decision"]
    assert decision == expected
    if decision.action == "pass":
        assert headers == list(APP_HEADERS)
    else:
        check_response(
            policy,
            environ["REQUEST_METHOD"],
            cgi_request_headers(environ),
            int(status.split()[0]),
            headers,
            answered=decision.action == "respond",
        )
        if decision.action == "respond":
            assert body == b""
            assert len(start.calls) == 1
        elif mode == 1:
            assert status.startswith("500")
            assert body == b"Internal Server Error"
    STATS["fuzz: WSGI middleware executions"] += 1


# -- the dict hook ------------------------------------------------------------------


@st.composite
def hook_requests(draw: st.DrawFn) -> dict[str, Any]:
    pairs = draw(_PAIRS)
    headers: Any = [list(p) for p in pairs] if draw(st.booleans()) else dict(pairs)
    return {
        "method": draw(_METHODS),
        "path": draw(_PATHS),
        "headers": headers,
    }


def _hook_request_headers(request: dict[str, Any]) -> list[Header]:
    headers = request["headers"]
    pairs = headers.items() if isinstance(headers, dict) else [tuple(p) for p in headers]
    return [(n, v) for n, v in pairs]


@budget(ci=400)
@given(fuzz_policies(), hook_requests())
def test_fuzz_hook(policy: Policy, request: dict[str, Any]) -> None:
    hook = adapter("hook")
    config = policy.config()
    with captured_logs() as logs:
        result = hook.handle(request, config)
    assert_clean_logs(logs)
    assert json.loads(json.dumps(result)) == result, "the hook's answer is not plain JSON"
    pairs = _hook_request_headers(request)
    expected = decide(Request.from_headers(request["method"], pairs), config)
    action = result["action"]
    assert action == (
        expected.action
    ), (result, expected)
    headers = [tuple(h) for h in result["headers"]]
    upstream = [list(h) for h in APP_HEADERS]
    if action == "respond":
        assert result["status"] == expected.status
        check_response(policy, request["method"], pairs, result["status"], headers, answered=True)
    elif action == "pass":
        assert headers == []
        assert hook.apply_forward(result, upstream) == upstream
    else:
        applied = [tuple(h) for h in hook.apply_forward(result, upstream)]
        check_response(policy, request["method"], pairs, 200, applied)
    assert list(result["reasons"]) == list(expected.reasons)
    STATS["fuzz: hook.handle executions"] += 1


# -- the Flask extension, called as a WSGI app with arbitrary environs ------------------


def _flask_app(config: Config) -> Any:
    flask = adapter("flask")
    from flask import Flask

    app = Flask("fuzz")

    @app.route("/", methods=["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
    def index() -> Any:
        return "body", 200, list(APP_HEADERS)

    @app.route("/boom")
    def boom() -> Any:
        raise RuntimeError("boom")

    flask.CORS(app, config=config)
    return app


@budget(ci=300)
@given(fuzz_policies(), environs(), st.sampled_from(("/", "/", "/boom", "/missing")))
def test_fuzz_flask_extension(policy: Policy, environ: dict[str, Any], path: str) -> None:
    config = policy.config()
    app = _flask_app(config)
    environ["PATH_INFO"] = path
    start = StartResponse()
    with captured_logs() as logs:
        body = b"".join(app(environ, start))
    assert_clean_logs(logs)
    assert start.calls
    status, headers, _ = start.calls[-1]
    expected = decide(Request.from_cgi(environ), config)
    if expected.action != "pass":
        # The view set CORS headers of its own: the extension owns CORS and
        # must have dropped them, on errors (404, 500) as on successes.
        check_response(
            policy,
            environ["REQUEST_METHOD"],
            cgi_request_headers(environ),
            int(status.split()[0]),
            headers,
            answered=expected.action == "respond",
        )
        acao = [v for n, v in headers if n.lower() == "access-control-allow-origin"]
        assert acao == [v for n, v in expected.headers if n == "Access-Control-Allow-Origin"], (
            headers,
            expected,
        )
    assert isinstance(body, bytes)
    STATS["fuzz: Flask extension executions"] += 1


_ANY_DICT_PART = st.one_of(json_values, st.binary(max_size=20), nasty_text(20))


@st.composite
def malformed_hook_requests(draw: st.DrawFn) -> Any:
    """What a careless proxy could pass: wrong types, bytes, odd nesting."""
    pairs = draw(_PAIRS)
    headers = draw(
        st.one_of(
            st.just([list(p) for p in pairs]),
            st.just([[n.encode("utf-8"), v.encode("utf-8")] for n, v in pairs]),
            st.just({n: [v, v] for n, v in pairs}),
            st.lists(st.one_of(st.lists(_ANY_DICT_PART, max_size=3), _ANY_DICT_PART), max_size=4),
            _ANY_DICT_PART,
        )
    )
    request = {"method": draw(st.one_of(_METHODS, _ANY_DICT_PART)), "headers": headers}
    request.update(draw(st.dictionaries(nasty_text(8), _ANY_DICT_PART, max_size=2)))
    return draw(st.one_of(st.just(request), _ANY_DICT_PART))


@budget(ci=300)
@given(fuzz_policies(), malformed_hook_requests())
def test_fuzz_hook_malformed_dicts(policy: Policy, request: Any) -> None:
    """handle() never raises on the request dict, whatever its shape."""
    hook = adapter("hook")
    with captured_logs() as logs:
        result = hook.handle(request, policy.config())
    assert_clean_logs(logs)
    assert json.loads(json.dumps(result)) == result
    assert result["action"] in ("respond", "forward", "pass")
    for name, value in result["headers"]:
        assert "\r" not in name + value
        assert "\n" not in name + value
    STATS["fuzz: hook.handle executions (malformed dicts)"] += 1


# -- the configuration inputs fuzzing found (deterministic, so CI always runs them) -------

_CONFIG_CRASHERS = [
    r"https://a{99999999999}\.example\.com",  # OverflowError inside re.compile
    r"https://(a){99999999999}\.example\.com",  # the same through Gravitee's regex rule
    "(" * 1000 + "a" + ")" * 1000,  # RecursionError inside re.compile
]


@pytest.mark.parametrize("regex", _CONFIG_CRASHERS)
def test_regexes_re_cannot_compile_are_config_errors(regex: str) -> None:
    with pytest.raises(ConfigError):
        Config(allow_origin_regexes=[regex])
    with pytest.raises(ConfigError):
        Config.from_gravitee({"enabled": True, "allowOrigin": [regex]})


def test_deeply_nested_gravitee_definition_is_a_config_error() -> None:
    definition: Any = {"allowOrigin": ["https://app.example.com"]}
    for _ in range(5000):
        definition = {"api": definition}
    with contextlib.suppress(ConfigError):
        Config.from_gravitee(definition)


# -- the ASGI middleware, called directly with arbitrary scopes --------------------------

_BYTE_NAMES = st.one_of(
    st.sampled_from(_NAMES).map(lambda n: n.lower().encode("latin-1")),
    st.sampled_from(_NAMES).map(lambda n: n.encode("latin-1")),  # servers should lower-case
    st.binary(max_size=16),
)
_BYTE_VALUES = st.one_of(
    _wsgi(_ORIGINS).map(lambda s: s.encode("latin-1")),
    _wsgi(_REQUEST_METHODS).map(lambda s: s.encode("latin-1")),
    _wsgi(_REQUEST_HEADER_LISTS).map(lambda s: s.encode("latin-1")),
    st.sampled_from((b"true", b"websocket", b"")),
    st.binary(max_size=40),
)


@st.composite
def asgi_scopes(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "type": draw(st.sampled_from(("http", "http", "http", "websocket"))),
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": draw(_WSGI_METHODS),
        "scheme": "http",
        "path": draw(_WSGI_PATHS),
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": draw(st.lists(st.tuples(_BYTE_NAMES, _BYTE_VALUES), max_size=8)),
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
    }


def _asgi_app(mode: int) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if mode == 1:
            raise RuntimeError("the application failed")
        headers = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in APP_HEADERS]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"body"})

    return app


@budget(ci=300)
@given(fuzz_policies(), asgi_scopes(), st.sampled_from((0, 0, 0, 1)))
def test_fuzz_asgi_middleware(policy: Policy, scope: dict[str, Any], mode: int) -> None:
    import asyncio

    asgi = adapter("asgi")
    config = policy.config()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        await asgi.CORSMiddleware(_asgi_app(mode), config)(dict(scope), receive, send)

    with captured_logs() as logs:
        try:
            asyncio.run(run())
        except RuntimeError:
            assert mode == 1  # the application's own failure, re-raised for the server
    assert_clean_logs(logs)
    if scope["type"] != "http":
        STATS["fuzz: ASGI middleware executions"] += 1
        return
    pairs = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in scope["headers"]]
    expected = decide(Request.from_headers(scope["method"], pairs), config)
    starts = [m for m in sent if m["type"] == "http.response.start"]
    if expected.action == "pass" or (mode == 1 and expected.action == "forward" and not starts):
        # Passed on, or failed where the core's rule says no answer.
        assert starts or (mode == 1 and error_answer(expected) is None)
        STATS["fuzz: ASGI middleware executions"] += 1
        return
    assert len(starts) == 1, sent
    headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in starts[0]["headers"]]
    for name, _ in starts[0]["headers"]:
        assert name == name.lower(), name
    check_response(policy, scope["method"], pairs, starts[0]["status"], headers,
                   answered=expected.action == "respond")
    acao = [v for n, v in headers if n == "access-control-allow-origin"]
    assert acao == [v for n, v in expected.headers if n == "Access-Control-Allow-Origin"]
    STATS["fuzz: ASGI middleware executions"] += 1
