"""One test per class of hole that a peer CORS library shipped.

docs/security.md points at these tests by name; each one fails if corecors
ever has the hole. (Path-matching holes are in test_paths.py, the comma
amplification in test_bounded_cost.py.)
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from publicsuffixlist import PublicSuffixList
from sec_adapters import adapter
from sec_support import STATS, captured_logs, vary_tokens

from corecors import Config, ConfigError, Request, decide
from corecors.adapters.wsgi import CORSMiddleware

APP = "https://app.example.com"


def acao(config: Config, origin: str, method: str = "GET", **extra: Any) -> list[str]:
    decision = decide(Request(method, origin=origin, **extra), config)
    return [v for n, v in decision.headers if n == "Access-Control-Allow-Origin"]


# -- 1. origin regexes that only match the start of the value ---------------------------


@pytest.mark.parametrize(
    "regex",
    [r"https://app\.example\.com", r"^https://app\.example\.com", r"https://app\.example\.com$"],
)
@pytest.mark.parametrize(
    "origin",
    [
        APP + ".evil.net",
        APP + "evil.net",
        APP + ":8080.evil.net",
        APP + "\n",
        APP + "\r\n",
        APP + "/",
        "https://evil.net/" + APP,
        "https://evil.net?" + APP,
        APP + "\x00",
    ],
)
def test_origin_regexes_match_the_whole_value(regex: str, origin: str) -> None:
    config = Config(allow_origin_regexes=[regex], allow_credentials=True)
    assert acao(config, origin) == []
    assert acao(config, origin, "OPTIONS", request_method="GET") == []
    assert acao(config, APP) == [APP]


# Regexes a person could write that also let in names anybody can register.
# README: "regexes that also match names anybody can register: each is a
# ConfigError". The probes include names made of letters only (for \w,
# [a-z], [a-z.]) and other top-level domains (for a wildcard TLD).
SLOPPY_REGEXES = [
    (r"https://.*example\.com", "https://evilexample.com"),
    (r"https://.+\.example\.com\.?.*", "https://a.example.com.evil.net"),
    (r"https://example\.com.*", "https://example.com.evil.net"),
    (r"https://app.example.com", "https://appxexample.com"),
    (r"https://\w*example\.com", "https://evilexample.com"),
    (r"https://[a-z]*example\.com", "https://evilexample.com"),
    (r"https://[a-z0-9]+example\.com", "https://evilexample.com"),
    (r"https://[a-z.]*example\.com", "https://evilexample.com"),
    (r"https://example\.com\w*", "https://example.community"),
    (r"https://example\.com[a-z.]*", "https://example.com.evil.net"),
    (r"https://app\.example\.com[a-z]*", "https://app.example.community"),
    (r"https://[a-z]+\.example\.[a-z]+", "https://a.example.evil"),
    (r"https://([a-z]+\.)?example\.[a-z]{2,}", "https://example.evil"),
]


@pytest.mark.parametrize("credentials", [True, False])
@pytest.mark.parametrize(("regex", "stranger"), SLOPPY_REGEXES)
def test_regexes_that_admit_strangers_are_refused(
    regex: str, stranger: str, credentials: bool
) -> None:
    assert re.fullmatch(regex, stranger)  # the regex really lets the stranger in
    with pytest.raises(ConfigError):
        Config(allow_origin_regexes=[regex], allow_credentials=credentials)


@pytest.mark.parametrize(("regex", "stranger"), SLOPPY_REGEXES)
def test_no_stranger_gets_through_whatever_config_accepts(regex: str, stranger: str) -> None:
    """What an accepted hole costs: the stranger is answered with credentials."""
    try:
        config = Config(allow_origin_regexes=[regex], allow_credentials=True)
    except ConfigError:
        return
    assert acao(config, stranger) == []


_SAFE_REGEXES = [
    r"https://(?:[a-z0-9-]+\.)*example\.com",
    r"https://[a-z0-9-]+\.example\.com",
    r"https://app[0-9]{1,3}\.example\.com",
    r"https://(?:www|api)\.example\.com",
    r"https://example\.com(?::[0-9]{2,5})?",
    r"http://localhost:[0-9]{2,5}",
]


@pytest.mark.parametrize("regex", _SAFE_REGEXES)
def test_careful_regexes_are_accepted(regex: str) -> None:
    """The check refuses holes, not regexes: careful ones still work."""
    Config(allow_origin_regexes=[regex], allow_credentials=True)


_DOMAINS = ("example.com", "example.org", "corp.example.net", "api.test")


def _strangers(domain: str) -> list[str]:
    label = domain.rpartition(".")[0]
    first = domain.split(".")[0]
    rest = domain[len(first) + 1 :]
    hosts = [
        "evil" + domain,
        "evil-" + domain,
        "evil" + domain.replace(".", "", 1),
        domain + ".evil.net",
        domain + "evil.net",
        domain + "x",
        domain + "munity",
        domain.replace(".", "x", 1),
        "a" + domain.replace(".", "x", 1),
        f"{label}.evil",
        f"a.{label}.evil",
        f"{first}x{rest}" if rest else "evil.net",
        "evil.net",
        "evil.com",
    ]
    return [f"{scheme}://{h}" for h in hosts for scheme in ("https", "http")]


_WILDCARDS = (
    r"\w*",
    r"\w+",
    "[a-z]*",
    "[a-z]+",
    "[a-z0-9]+",
    "[a-z.]*",
    "[a-z0-9.-]*",
    ".*",
    ".+",
    "[^/]*",
    r"[\w.-]*",
)


def _sloppy(domain: str) -> list[str]:
    """Regexes a hurried person writes for *domain*, most of them holes."""
    e = re.escape(domain)
    label = re.escape(domain.rpartition(".")[0])
    out = [f"https://{domain}", f"https://[a-z]+.{domain}"]  # dots not escaped
    for w in _WILDCARDS:
        out += [
            f"https://{w}{e}",
            f"https://{e}{w}",
            rf"https://(?:{w}\.)?{e}",
            rf"https://{w}\.{label}\.{w}",
            f"https?://{w}{e}",
        ]
    return out


_PSL = PublicSuffixList()


def _owned(origin: str, domain: str) -> bool:
    """Whether *origin* is a name only the owner of *domain* can create: one
    under the registrable domain (the Public Suffix List's) that holds it.
    'evilcorp.example.net' is not a stranger to 'corp.example.net'."""
    host = origin.partition("://")[2].partition(":")[0]
    owner = _PSL.privatesuffix(domain) or domain
    return host == owner or host.endswith("." + owner)


@pytest.mark.parametrize("credentials", [True, False])
@pytest.mark.parametrize("domain", _DOMAINS)
def test_no_accepted_regex_admits_a_stranger(domain: str, credentials: bool) -> None:
    """Whatever regex Config accepts, no origin outside the regex's own domain
    (a name anybody could register) is let in by it. Every regex of the
    catalogue is tried against every stranger."""
    holes = []
    for regex in _sloppy(domain):
        try:
            config = Config(allow_origin_regexes=[regex], allow_credentials=credentials)
        except ConfigError:
            continue
        STATS["holes: sloppy regexes accepted and probed"] += 1
        holes += [
            (regex, s) for s in _strangers(domain) if not _owned(s, domain) and acao(config, s)
        ]
    assert not holes, f"{len(holes)} strangers let in, such as {holes[:5]}"


# -- 2. reflecting any origin with credentials ---------------------------------------------


def test_any_origin_with_credentials_is_refused() -> None:
    with pytest.raises(ConfigError, match="allow_credentials"):
        Config(allow_origins="*", allow_credentials=True)
    with pytest.raises(ConfigError, match="every origin"):
        Config(allow_origin_regexes=[".*"], allow_credentials=True)
    with pytest.raises(ConfigError):
        Config(allow_origin_regexes=[r"https?://.*"], allow_credentials=True)
    with pytest.raises(ConfigError):
        Config.from_gravitee({"enabled": True, "allowOrigin": ["*"], "allowCredentials": True})
    with pytest.raises(ConfigError, match="null"):
        Config(allow_origin_regexes=["null|https://app\\.example\\.com"])
    with pytest.raises(ConfigError):
        Config(allow_origins=["null"], allow_credentials=True)


def test_credentials_never_come_with_a_wildcard_or_a_stranger() -> None:
    config = Config(
        allow_origins=[APP, "https://*.example.org"],
        allow_credentials=True,
        allow_methods="*",
        allow_headers="*",
    )
    for origin in ("https://evil.example", "null", "https://example.org", APP + ".evil.net"):
        for method, extra in (("GET", {}), ("OPTIONS", {"request_method": "PUT"})):
            decision = decide(Request(method, origin=origin, **extra), config)
            assert not any(n.startswith("Access-Control-") for n, _ in decision.headers)
    allowed = decide(
        Request("OPTIONS", origin=APP, request_method="PUT", request_headers="x-custom"), config
    )
    headers = dict(allowed.headers)
    assert headers["Access-Control-Allow-Origin"] == APP
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert headers["Access-Control-Allow-Methods"] == "PUT"  # named, not '*'
    assert headers["Access-Control-Allow-Headers"] == "x-custom"


def test_the_explicit_opt_in_is_the_only_way_to_reflect_every_origin() -> None:
    config = Config(
        allow_origin_regexes=[".*"],
        allow_credentials=True,
        dangerously_allow_any_origin_with_credentials=True,
    )
    assert acao(config, "https://evil.example") == ["https://evil.example"]
    # Even then a value that is not one origin is never reflected.
    for bad in ("https://a.example, https://b.example", "https://a.example\r\nX: y", ""):
        assert acao(config, bad) == []


# -- 3. Access-Control-Allow-Private-Network sent by default (CVE-2024-6221) ------------


def test_private_network_access_is_off_by_default() -> None:
    config = Config(allow_origins=[APP], allow_methods="*", allow_headers="*")
    refused = decide(
        Request("OPTIONS", origin=APP, request_method="GET", private_network=True), config
    )
    assert not refused.allowed
    assert refused.status == 403
    assert "private_network_not_allowed" in refused.reasons
    assert not any(n.startswith("Access-Control-") for n, _ in refused.headers)
    for request in (
        Request("OPTIONS", origin=APP, request_method="GET"),
        Request("GET", origin=APP, private_network=True),
    ):
        decision = decide(request, config)
        assert "Access-Control-Allow-Private-Network" not in dict(decision.headers)


def test_private_network_access_when_enabled_is_only_for_listed_origins() -> None:
    config = Config(allow_origins=[APP], allow_private_network=True)
    ok = decide(Request("OPTIONS", origin=APP, request_method="GET", private_network=True), config)
    assert dict(ok.headers)["Access-Control-Allow-Private-Network"] == "true"
    plain = decide(Request("OPTIONS", origin=APP, request_method="GET"), config)
    assert "Access-Control-Allow-Private-Network" not in dict(plain.headers)
    stranger = decide(
        Request(
            "OPTIONS", origin="https://evil.example", request_method="GET", private_network=True
        ),
        config,
    )
    assert not any(n.startswith("Access-Control-") for n, _ in stranger.headers)
    with pytest.raises(ConfigError):
        Config(allow_origins="*", allow_private_network=True)
    with pytest.raises(ConfigError):
        Config(allow_origin_regexes=[".*"], allow_private_network=True)


# -- 5. log injection through request values (CVE-2024-1681) ------------------------------

_FORGED = "https://marker-5e1f.example\r\n2024-01-01 INFO forged log line"


def _environ(origin: str, method: str = "GET", **headers: str) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "t",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "HTTP_ORIGIN": origin,
    }
    environ.update({"HTTP_" + k.upper(): v for k, v in headers.items()})
    return environ


def _call(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    seen: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen.append((status, headers))
        return lambda data: None

    b"".join(app(environ, start_response))
    return seen[-1]


def _flask_app(**options: Any) -> Any:
    flask_adapter = adapter("flask")
    from flask import Flask

    app = Flask("holes")
    app.add_url_rule("/", "index", lambda: "ok", methods=["GET", "PUT", "POST"])
    flask_adapter.CORS(app, **options)
    return app


def test_request_values_never_reach_a_log_record() -> None:
    options = {"allow_origins": [APP], "allow_methods": ["PUT"]}

    def wsgi_app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"ok"]

    apps = [CORSMiddleware(wsgi_app, Config(**options)), _flask_app(**options)]
    requests = [
        _environ(_FORGED),
        _environ(_FORGED, "OPTIONS", access_control_request_method="PUT\r\nX: 1"),
        _environ(
            APP,
            "OPTIONS",
            access_control_request_method="PUT",
            access_control_request_headers="x-a\r\nforged: 1",
        ),
        _environ(
            APP,
            "OPTIONS",
            access_control_request_method="DELETE\n",
            access_control_request_private_network="true",
        ),
    ]
    with captured_logs() as logs:
        for app in apps:
            for environ in requests:
                _call(app, dict(environ, **{"wsgi.input": io.BytesIO()}))
    assert logs.records, "the Flask extension logs refusals at DEBUG: something to check"
    for record in logs.records:
        text = record.getMessage()
        assert "\r" not in text, text
        assert "\n" not in text, text
        assert "marker-5e1f" not in text, text
        assert "forged" not in text, text


class _Tattletale(str):
    """A request value that reports being formatted."""

    formatted = 0

    def __str__(self) -> str:
        _Tattletale.formatted += 1
        return str.__str__(self)

    def __format__(self, spec: str) -> str:
        _Tattletale.formatted += 1
        return str.__format__(self, spec)

    def __repr__(self) -> str:
        _Tattletale.formatted += 1
        return str.__repr__(self)


def test_no_log_message_is_formatted_when_logging_is_off() -> None:
    import logging

    app = _flask_app(allow_origins=[APP])
    logger = logging.getLogger("corecors")
    saved = logger.level
    logger.setLevel(logging.WARNING)
    try:
        _Tattletale.formatted = 0
        for origin in ("https://evil.example", "x\r\ny"):
            _call(app, _environ(_Tattletale(origin)))
            _call(
                app,
                _environ(
                    _Tattletale(origin), "OPTIONS", access_control_request_method=_Tattletale("PUT")
                ),
            )
    finally:
        logger.setLevel(saved)
    assert _Tattletale.formatted == 0


# -- 7. Vary left off responses to disallowed origins ---------------------------------------


def _vary_everywhere(call: Any, static: bool) -> None:
    cases = [
        ("GET", {"origin": APP}),
        ("GET", {"origin": "https://evil.example"}),
        ("GET", {"origin": "https://a.example, " + APP}),
        ("GET", {}),
        ("OPTIONS", {"origin": APP, "access_control_request_method": "PUT"}),
        ("OPTIONS", {"origin": "https://evil.example", "access_control_request_method": "PUT"}),
        ("OPTIONS", {"origin": APP, "access_control_request_method": "DELETE"}),
        ("OPTIONS", {}),
    ]
    for method, headers in cases:
        response = call(method, headers)
        tokens = vary_tokens(response)
        assert static or "origin" in tokens, (method, headers, response)
        if "access_control_request_method" in headers:
            assert "access-control-request-method" in tokens, (method, headers, response)


@pytest.mark.parametrize("static", [False, True])
@pytest.mark.parametrize("surface", ["decide", "wsgi", "flask", "hook", "asgi"])
def test_vary_origin_on_every_response(surface: str, static: bool) -> None:
    options: dict[str, Any] = (
        {"allow_origins": "*", "allow_methods": ["PUT"]}
        if static
        else {"allow_origins": [APP], "allow_methods": ["PUT"]}
    )
    config = Config(**options)

    def via_decide(method: str, headers: dict[str, str]) -> list[tuple[str, str]]:
        pairs = [(k.replace("_", "-"), v) for k, v in headers.items()]
        decision = decide(Request.from_headers(method, pairs), config)
        return list(decision.headers) if decision.action == "respond" else decision.apply([])

    def via_wsgi(method: str, headers: dict[str, str]) -> list[tuple[str, str]]:
        def app(environ: Any, start_response: Any) -> list[bytes]:
            start_response("200 OK", [("Vary", "Accept-Encoding")])
            return [b"ok"]

        environ = _environ(
            headers.get("origin", ""), method, **{k: v for k, v in headers.items() if k != "origin"}
        )
        if "origin" not in headers:
            del environ["HTTP_ORIGIN"]
        return _call(CORSMiddleware(app, config), environ)[1]

    def via_flask(method: str, headers: dict[str, str]) -> list[tuple[str, str]]:
        environ = _environ(
            headers.get("origin", ""), method, **{k: v for k, v in headers.items() if k != "origin"}
        )
        if "origin" not in headers:
            del environ["HTTP_ORIGIN"]
        return _call(_flask_app(config=config), environ)[1]

    def via_hook(method: str, headers: dict[str, str]) -> list[tuple[str, str]]:
        hook = adapter("hook")
        result = hook.handle(
            {
                "method": method,
                "path": "/",
                "headers": [[k.replace("_", "-"), v] for k, v in headers.items()],
            },
            config,
        )
        if result["action"] == "respond":
            return [tuple(h) for h in result["headers"]]  # type: ignore[misc]
        return [tuple(h) for h in hook.apply_forward(result, [["Vary", "Accept-Encoding"]])]  # type: ignore[misc]

    def via_asgi(method: str, headers: dict[str, str]) -> list[tuple[str, str]]:
        import asyncio

        asgi = adapter("asgi")
        sent: list[Any] = []

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"vary", b"Accept-Encoding")]})
            await send({"type": "http.response.body", "body": b"ok"})

        async def send(message: Any) -> None:
            sent.append(message)

        async def receive() -> Any:
            return {"type": "http.request", "body": b"", "more_body": False}

        scope = {"type": "http", "method": method, "path": "/", "headers": [
            (k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]}
        asyncio.run(asgi.CORSMiddleware(app, config)(scope, receive, send))
        start = next(m for m in sent if m["type"] == "http.response.start")
        return [(n.decode("latin-1"), v.decode("latin-1")) for n, v in start["headers"]]

    call = {"decide": via_decide, "wsgi": via_wsgi, "flask": via_flask, "hook": via_hook,
            "asgi": via_asgi}
    _vary_everywhere(call[surface], static)


# -- 8. echoing a requested method that is a list ------------------------------------------


@pytest.mark.parametrize(
    "method", ["GET, DELETE", "GET,DELETE", "PUT DELETE", "PUT\tDELETE", "PUT\r\nX-A: b", ""]
)
def test_requested_method_is_echoed_only_as_one_token(method: str) -> None:
    """With credentials and allow_methods='*', corecors names the requested
    method: only ever one token, or the preflight is refused."""
    config = Config(allow_origins=[APP], allow_methods="*", allow_credentials=True)
    decision = decide(Request("OPTIONS", origin=APP, request_method=method), config)
    assert not decision.allowed
    assert "Access-Control-Allow-Methods" not in dict(decision.headers)
    ok = decide(Request("OPTIONS", origin=APP, request_method="DELETE"), config)
    assert dict(ok.headers)["Access-Control-Allow-Methods"] == "DELETE"
