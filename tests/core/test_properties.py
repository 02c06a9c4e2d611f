"""Properties of everything that parses request input (hypothesis).

decide() never raises, always returns a Decision, never puts CR or LF in a
header, and only ever sends Access-Control-Allow-Origin as '*' (for a static
'*' config) or as the request's exact origin when the config allows it. The
oracles below restate each config's meaning in plain string operations,
independently of how corecors compiles it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corecors import Config, ConfigError, Decision, Request, decide

APP = "https://app.example.com"
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?")


def _under(origin: str, scheme: str, domain: str) -> bool:
    """origin is scheme://<one or more labels>.domain, exactly."""
    prefix, suffix = scheme + "://", "." + domain
    if not (origin.startswith(prefix) and origin.endswith(suffix)):
        return False
    middle = origin[len(prefix) : -len(suffix)]
    return middle != "" and all(
        len(label) <= 63 and _LABEL.fullmatch(label) for label in middle.split(".")
    )


def _localhost_any_port(origin: str) -> bool:
    if origin == "http://localhost":
        return True
    head, _, port = origin.partition("http://localhost:")
    return (
        head == ""
        and port.isascii()
        and port.isdigit()
        and not port.startswith("0")
        and int(port) <= 65535
    )


Oracle = Callable[[str], bool]
CONFIGS: list[tuple[str, Config, Oracle | None]] = [
    (
        "exact origins",
        Config(
            allow_origins=[APP, "http://localhost:3000"],
            allow_methods=["PUT"],
            allow_headers=["X-Token"],
        ),
        lambda o: o in {APP, "http://localhost:3000"},
    ),
    (
        "patterns and a regex",
        Config(
            allow_origins=["https://*.example.org", "http://localhost:*"],
            allow_origin_regexes=[r"https://api-[0-9]{1,3}\.example\.net"],
            allow_headers="*",
            expose_headers=["X-Total"],
        ),
        lambda o: (
            _under(o, "https", "example.org")
            or _localhost_any_port(o)
            or re.fullmatch(r"https://api-[0-9]{1,3}\.example\.net", o) is not None
        ),
    ),
    (
        "credentials echo methods and headers",
        Config(
            allow_origins=[APP],
            allow_credentials=True,
            allow_methods="*",
            allow_headers="*",
            allow_private_network=True,
            max_age=0,
        ),
        lambda o: o == APP,
    ),
    (
        "passthrough",
        Config(
            allow_origins=[APP, "https://*.example.org"],
            preflight_passthrough=True,
            preflight_status=200,
        ),
        lambda o: o == APP or _under(o, "https", "example.org"),
    ),
    ("static star", Config(allow_origins="*", allow_methods="*", allow_headers="*"), None),
    ("nothing allowed", Config(), lambda o: False),
]
CONFIG_IDS = [name for name, _, _ in CONFIGS]

near_origins = st.one_of(
    st.sampled_from(
        [
            APP,
            "http://localhost:3000",
            "https://a.example.org",
            "https://example.org",
            "null",
            "https://api-7.example.net",
            "http://localhost",
            "http://localhost:0",
            "",
            "https://a.example.org\n",
            "https://ß.example.org",
            f"{APP}, {APP}",
        ]
    ),
    st.from_regex(
        r"(https?|HTTPS)://([a-z0-9_\-]{0,8}\.){0,3}(example\.(org|net|com)|localhost)"
        r"(:[0-9]{0,6})?",
        fullmatch=True,
    ),
    st.text(max_size=40),
)
header_lists = st.one_of(
    st.text(max_size=60),
    st.lists(
        st.one_of(
            st.sampled_from(["x-token", "Authorization", "content-type", " ", ""]),
            st.text(max_size=10),
        ),
        max_size=8,
    ).map(",".join),
)
requests = st.builds(
    Request,
    method=st.one_of(st.sampled_from(["OPTIONS", "GET", "POST", "options"]), st.text()),
    origin=st.one_of(st.none(), near_origins),
    request_method=st.one_of(st.none(), st.sampled_from(["PUT", "GET", "patch"]), st.text()),
    request_headers=st.one_of(st.none(), header_lists),
    private_network=st.booleans(),
    websocket=st.booleans(),
)


def with_cr_or_lf(texts: list[str]) -> list[str]:
    return [text for text in texts if "\r" in text or "\n" in text]


def assert_hygienic(decision: Decision) -> None:
    names = [name for name, _ in decision.headers]
    values = [value for _, value in decision.headers]
    assert with_cr_or_lf([*names, *values, *decision.vary]) == []


@pytest.mark.parametrize(("name", "config", "oracle"), CONFIGS, ids=CONFIG_IDS)
@given(request=requests)
def test_decide_never_raises_and_only_reflects_allowed_origins(
    name: str, config: Config, oracle: Oracle | None, request: Request
) -> None:
    decision = decide(request, config)
    assert isinstance(decision, Decision)
    assert_hygienic(decision)
    app_headers = [("Content-Type", "text/plain"), ("Vary", "Accept")]
    assert with_cr_or_lf([value for _, value in decision.apply(app_headers)]) == []
    acao = [v for n, v in decision.headers if n == "Access-Control-Allow-Origin"]
    assert len(acao) <= 1
    if not acao:
        assert not decision.allowed
        return
    if request.origin is None:
        # A static '*' is sent on origin-less responses too (Fetch, "CORS
        # protocol and HTTP caches"); nothing else is.
        assert acao == ["*"]
        assert "*" in config.allow_origins
        assert decision.vary == ()
        return
    assert decision.allowed
    assert decision.kind in {"actual", "preflight"}
    if oracle is None:
        assert acao == ["*"]
    else:
        assert request.origin is not None
        assert acao == [request.origin]
        assert oracle(request.origin)


@pytest.mark.parametrize(("name", "config", "oracle"), CONFIGS, ids=CONFIG_IDS)
@given(origin=near_origins)
def test_an_origin_the_config_allows_is_always_reflected(
    name: str, config: Config, oracle: Oracle | None, origin: str
) -> None:
    decision = decide(Request("GET", origin=origin), config)
    expected = "*" if oracle is None else (origin if oracle(origin) else None)
    acao = [v for n, v in decision.headers if n == "Access-Control-Allow-Origin"]
    assert acao == ([] if expected is None else [expected])


@given(
    raw=header_lists,
    names=st.lists(st.sampled_from(["X-Token", "Content-Type", "Authorization"]), max_size=3),
)
def test_echoed_request_headers_are_always_lower_case_tokens(raw: str, names: list[str]) -> None:
    config = Config(allow_origins=[APP], allow_credentials=True, allow_headers=["*", *names])
    decision = decide(
        Request("OPTIONS", origin=APP, request_method="GET", request_headers=raw), config
    )
    acah = [v for n, v in decision.headers if n == "Access-Control-Allow-Headers"]
    for value in acah:
        for name in value.split(", "):
            assert re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9a-z]+", name), name


@given(
    pairs=st.lists(
        st.tuples(
            st.one_of(
                st.sampled_from(
                    [
                        "Origin",
                        "origin",
                        "ORIGIN",
                        "Access-Control-Request-Method",
                        "access-control-request-headers",
                        "Upgrade",
                        "Access-Control-Request-Private-Network",
                    ]
                ),
                st.text(max_size=20),
            ),
            st.text(max_size=40),
        ),
        max_size=10,
    ),
    method=st.text(max_size=10),
)
def test_from_headers_never_raises_on_arbitrary_pairs(
    pairs: list[tuple[str, str]], method: str
) -> None:
    request = Request.from_headers(method, pairs)
    assert Request.from_headers(method, dict(pairs)).method == method
    assert isinstance(request, Request)
    for _name, config, _oracle in CONFIGS:
        assert_hygienic(decide(request, config))


def config_error(options: dict[str, list[str]]) -> ConfigError | None:
    """The ConfigError *options* raise, or None; any other exception escapes."""
    try:
        Config(**options)  # type: ignore[arg-type]
    except ConfigError as exc:
        return exc
    return None


@given(entry=st.one_of(st.text(max_size=40), near_origins))
def test_config_parsing_raises_only_config_error(entry: str) -> None:
    for options in (
        {"allow_origins": [entry]},
        {"allow_origin_regexes": [entry]},
        {"allow_methods": [entry]},
        {"allow_headers": [entry]},
    ):
        error = config_error(options)
        assert error is None or "Fix:" in str(error)
