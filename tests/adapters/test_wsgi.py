"""The WSGI middleware, through werkzeug's test client: it only translates."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from corecors import Config, ConfigError, Decision, Policy
from corecors.adapters.wsgi import ENVIRON_KEY, CORSMiddleware

Environ = dict[str, Any]
StartResponse = Callable[..., Any]

APP = "https://app.example.com"
EVIL = "https://evil.example"


def make_app(
    status: str = "200 OK",
    headers: list[tuple[str, str]] | None = None,
    seen: list[Environ] | None = None,
) -> Callable[[Environ, StartResponse], Iterable[bytes]]:
    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if seen is not None:
            seen.append(environ)
        start_response(status, list(headers or [("Content-Type", "text/plain")]))
        return [b"body"]

    return app


def client(config: Config, **app_kwargs: Any) -> Client:
    return Client(CORSMiddleware(make_app(**app_kwargs), config))


CONFIG = Config(
    allow_origins=[APP],
    allow_methods=["GET", "PUT", "PATCH"],
    allow_headers=["X-Token"],
    expose_headers=["X-Total"],
    allow_credentials=True,
)


def preflight(c: Client, origin: str = APP, method: str = "PUT", **headers: str) -> Any:
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    h.update({k.replace("_", "-"): v for k, v in headers.items()})
    return c.open("/", method="OPTIONS", headers=h)


def cors_headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def test_allowed_actual_request_gets_origin_credentials_and_exposed_headers() -> None:
    r = client(CONFIG).get("/", headers={"Origin": APP})
    assert r.status_code == 200
    assert r.get_data() == b"body"
    assert cors_headers(r) == {
        "Access-Control-Allow-Origin": APP,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": "X-Total",
    }
    assert r.headers["Vary"] == "Origin"


def test_disallowed_actual_request_reaches_the_app_without_cors_headers() -> None:
    seen: list[Environ] = []
    r = client(CONFIG, seen=seen).get("/", headers={"Origin": EVIL})
    assert r.status_code == 200
    assert len(seen) == 1
    assert cors_headers(r) == {}
    assert r.headers["Vary"] == "Origin"


def test_request_without_origin_still_says_vary_origin() -> None:
    r = client(CONFIG).get("/")
    assert cors_headers(r) == {}
    assert r.headers["Vary"] == "Origin"


def test_allowed_preflight_is_answered_without_calling_the_app() -> None:
    seen: list[Environ] = []
    r = preflight(client(CONFIG, seen=seen), access_control_request_headers="x-token")
    assert seen == []
    assert r.status_code == 204
    assert r.get_data() == b""
    assert cors_headers(r) == {
        "Access-Control-Allow-Origin": APP,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "GET, PUT, PATCH",
        "Access-Control-Allow-Headers": "X-Token",
        "Access-Control-Max-Age": "600",
    }
    assert "Origin" in r.headers["Vary"]


@pytest.mark.parametrize(
    ("origin", "method", "request_headers"),
    [
        pytest.param(EVIL, "PUT", "", id="origin not allowed"),
        pytest.param(APP, "patch", "", id="lower-case patch is not PATCH"),
        pytest.param(APP, "DELETE", "", id="method not listed"),
        pytest.param(APP, "PUT", "x-other", id="header not listed"),
        pytest.param(APP, "PUT", "," * 100_000, id="100,000 commas"),
    ],
)
def test_refused_preflight_gets_403_without_cors_headers_and_never_reaches_the_app(
    origin: str, method: str, request_headers: str
) -> None:
    seen: list[Environ] = []
    extra = {"access_control_request_headers": request_headers} if request_headers else {}
    r = preflight(client(CONFIG, seen=seen), origin, method, **extra)
    assert seen == []
    assert r.status_code == 403
    assert cors_headers(r) == {}


def test_options_without_request_method_is_an_ordinary_request() -> None:
    seen: list[Environ] = []
    r = client(CONFIG, seen=seen).open("/", method="OPTIONS", headers={"Origin": APP})
    assert len(seen) == 1
    assert r.headers["Access-Control-Allow-Origin"] == APP


def test_app_set_cors_headers_are_replaced_and_vary_merged() -> None:
    app_headers = [
        ("Content-Type", "text/plain"),
        ("Access-Control-Allow-Origin", "*"),
        ("access-control-allow-methods", "DELETE"),
        ("Vary", "Accept-Encoding"),
    ]
    r = client(CONFIG, headers=app_headers).get("/", headers={"Origin": APP})
    assert r.headers.getlist("Access-Control-Allow-Origin") == [APP]
    assert "Access-Control-Allow-Methods" not in r.headers
    assert r.headers.getlist("Vary") == ["Accept-Encoding, Origin"]


def test_app_cors_headers_are_removed_for_disallowed_origins() -> None:
    app_headers = [("Access-Control-Allow-Origin", "*")]
    r = client(CONFIG, headers=app_headers).get("/", headers={"Origin": EVIL})
    assert cors_headers(r) == {}


def test_vary_star_from_the_app_is_kept_alone() -> None:
    r = client(CONFIG, headers=[("Vary", "*")]).get("/", headers={"Origin": APP})
    assert r.headers.getlist("Vary") == ["*"]


@pytest.mark.parametrize("status", ["404 NOT FOUND", "500 INTERNAL SERVER ERROR"])
def test_error_responses_carry_the_same_cors_headers(status: str) -> None:
    r = client(CONFIG, status=status).get("/", headers={"Origin": APP})
    assert r.status_code == int(status[:3])
    assert r.headers["Access-Control-Allow-Origin"] == APP


def test_exception_before_start_response_becomes_a_readable_500() -> None:
    def broken(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        raise RuntimeError("boom")

    errors: list[str] = []

    class Errors:
        def write(self, text: str) -> None:
            errors.append(text)

        def flush(self) -> None:
            pass

    c = Client(CORSMiddleware(broken, CONFIG))
    r = c.get("/", headers={"Origin": APP}, environ_overrides={"wsgi.errors": Errors()})
    assert r.status_code == 500
    assert r.headers["Access-Control-Allow-Origin"] == APP
    assert "RuntimeError: boom" in "".join(errors)


def test_propagate_exceptions_reraises_for_a_debugger_outside() -> None:
    def broken(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        raise RuntimeError("boom")

    c = Client(CORSMiddleware(broken, CONFIG, propagate_exceptions=True))
    with pytest.raises(RuntimeError, match="boom"):
        c.get("/", headers={"Origin": APP})


class Generated:
    """A generator app's response iterable, recording how far it got."""

    def __init__(self, fail: str | None = None, status: str = "200 OK") -> None:
        self.fail = fail
        self.status = status
        self.steps: list[str] = []
        self.closed = False

    def app(self, environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        # A generator: nothing here runs until the server iterates.
        self.steps.append("started")
        if self.fail == "before start_response":
            raise RuntimeError("boom")
        start_response(self.status, [("Content-Type", "text/plain")])
        if self.fail == "after start_response":
            raise RuntimeError("late")
        yield b"one"
        self.steps.append("second")
        yield b"two"

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        generator = self.app(environ, start_response)
        outer = self

        class Result:
            def __iter__(self) -> Iterator[bytes]:
                return generator

            def close(self) -> None:
                outer.closed = True
                generator.close()

        return Result()


class Errors:
    """A wsgi.errors stream that keeps what is written."""

    def __init__(self) -> None:
        self.text: list[str] = []

    def write(self, text: str) -> None:
        self.text.append(text)

    def flush(self) -> None:
        pass


def test_generator_raising_before_start_response_becomes_a_readable_500() -> None:
    app = Generated(fail="before start_response")
    errors = Errors()
    c = Client(CORSMiddleware(app, CONFIG))
    r = c.get("/", headers={"Origin": APP}, environ_overrides={"wsgi.errors": errors})
    assert r.status_code == 500
    assert r.headers.get("Access-Control-Allow-Origin") == APP
    assert r.headers["Vary"] == "Origin"
    assert r.get_data() == b"Internal Server Error"
    assert "RuntimeError: boom" in "".join(errors.text)
    r.close()  # as a server does: close() reaches the application's iterable
    assert app.closed


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": EVIL}, id="refused origin"),
        pytest.param({}, id="no Origin"),
    ],
)
@pytest.mark.parametrize("fail", ["before start_response", "in the call"])
def test_an_exception_the_browser_could_not_read_propagates(
    headers: dict[str, str], fail: str
) -> None:
    # The core's rule (corecors.error_answer): only an allowed CORS request
    # gets corecors's 500; any other exception goes on to the server.
    def raising(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        raise RuntimeError("boom")

    app = Generated(fail="before start_response") if fail != "in the call" else raising
    errors = Errors()
    c = Client(CORSMiddleware(app, CONFIG))
    with pytest.raises(RuntimeError, match="boom"):
        c.get("/", headers=headers, environ_overrides={"wsgi.errors": errors})
    assert errors.text == [], "the server logs it, not corecors"


def test_generator_is_not_iterated_before_the_server_asks() -> None:
    app = Generated()
    calls: list[tuple[str, list[tuple[str, str]]]] = []
    body = CORSMiddleware(app, CONFIG)(
        {"REQUEST_METHOD": "GET", "HTTP_ORIGIN": APP}, lambda s, h, e=None: calls.append((s, h))
    )
    assert app.steps == []
    assert calls == []
    iterator = iter(body)
    assert next(iterator) == b"one"
    assert app.steps == ["started"]
    assert calls[0][0] == "200 OK"
    assert ("Access-Control-Allow-Origin", APP) in calls[0][1]
    assert list(iterator) == [b"two"]
    body.close()  # type: ignore[attr-defined]
    assert app.closed


def test_generator_raising_after_start_response_propagates() -> None:
    # The response has started: its headers are the app's, and the server
    # decides what to do with the exception (as for a plain app).
    c = Client(CORSMiddleware(Generated(fail="after start_response"), CONFIG))
    with pytest.raises(RuntimeError, match="late"):
        c.get("/", headers={"Origin": APP})


def test_generator_error_propagates_with_propagate_exceptions() -> None:
    c = Client(CORSMiddleware(Generated(fail="before start_response"), CONFIG,
                              propagate_exceptions=True))
    with pytest.raises(RuntimeError, match="boom"):
        c.get("/", headers={"Origin": APP})


def test_generator_error_response_gets_the_cors_headers() -> None:
    r = Client(CORSMiddleware(Generated(status="404 NOT FOUND"), CONFIG)).get(
        "/", headers={"Origin": APP}
    )
    assert r.status_code == 404
    assert r.headers["Access-Control-Allow-Origin"] == APP
    assert r.get_data() == b"onetwo"


def test_an_empty_iterable_that_never_starts_is_passed_on() -> None:
    def empty(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        yield from ()

    body = CORSMiddleware(empty, CONFIG)({"REQUEST_METHOD": "GET", "HTTP_ORIGIN": APP},
                                         lambda *a: None)
    assert list(body) == []


def test_exc_info_is_passed_on_when_the_app_restarts_its_response() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError("late")
        except ValueError:
            import sys

            start_response("500 Internal Server Error", [("X-Late", "1")], sys.exc_info())
        return [b"late"]

    calls: list[tuple[str, list[tuple[str, str]], Any]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        calls.append((status, headers, exc_info))

    body = CORSMiddleware(app, CONFIG)(
        {"REQUEST_METHOD": "GET", "HTTP_ORIGIN": APP}, start_response
    )
    assert list(body) == [b"late"]
    assert calls[0][2] is None
    status, headers, exc_info = calls[1]
    assert status.startswith("500")
    assert exc_info is not None
    assert exc_info[0] is ValueError
    assert ("X-Late", "1") in headers
    assert ("Access-Control-Allow-Origin", APP) in headers


def test_streaming_body_is_passed_through_lazily() -> None:
    produced: list[int] = []

    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/event-stream")])
        for i in range(3):
            produced.append(i)
            yield f"data: {i}\n\n".encode()

    response = CORSMiddleware(app, CONFIG)(
        {"REQUEST_METHOD": "GET", "HTTP_ORIGIN": APP}, lambda *a: None
    )
    iterator = iter(response)
    assert next(iterator) == b"data: 0\n\n"
    assert produced == [0]


def test_decision_is_left_in_the_environ_for_the_app() -> None:
    seen: list[Environ] = []
    client(CONFIG, seen=seen).get("/", headers={"Origin": EVIL})
    decision = seen[0][ENVIRON_KEY]
    assert isinstance(decision, Decision)
    assert decision.reasons == ("origin_not_allowed",)


@pytest.mark.parametrize(
    ("config", "headers"),
    [
        pytest.param(
            CONFIG,
            {
                "Origin": APP,
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                "Sec-WebSocket-Version": "13",
            },
            id="websocket handshake",
        ),
        pytest.param(CONFIG.replace(enabled=False), {"Origin": APP}, id="enabled=False"),
    ],
)
def test_untouched_requests_pass_through_exactly(config: Config, headers: dict[str, str]) -> None:
    app_headers = [("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", "*")]
    r = client(config, headers=app_headers).get("/", headers=headers)
    assert r.headers.getlist("Access-Control-Allow-Origin") == ["*"]
    assert "Vary" not in r.headers


def test_disabled_config_passes_preflights_to_the_app() -> None:
    seen: list[Environ] = []
    r = preflight(client(CONFIG.replace(enabled=False), seen=seen))
    assert len(seen) == 1
    assert r.status_code == 200


def test_passthrough_preflight_reaches_the_app_and_gets_preflight_headers() -> None:
    seen: list[Environ] = []
    config = CONFIG.replace(preflight_passthrough=True)
    r = preflight(client(config, seen=seen, status="401 UNAUTHORIZED"))
    assert len(seen) == 1
    assert r.status_code == 401
    assert r.headers["Access-Control-Allow-Origin"] == APP
    assert r.headers["Access-Control-Allow-Methods"] == "GET, PUT, PATCH"
    assert "Access-Control-Request-Method" in r.headers["Vary"]


def test_passthrough_never_lets_an_invalid_preflight_reach_the_app() -> None:
    seen: list[Environ] = []
    config = CONFIG.replace(preflight_passthrough=True)
    r = preflight(client(config, seen=seen), origin=EVIL)
    assert seen == []
    assert r.status_code == 403


def test_custom_preflight_statuses_are_sent_with_their_reason_phrase() -> None:
    config = CONFIG.replace(preflight_status=200, preflight_failure_status=400)
    ok = preflight(client(config))
    refused = preflight(client(config), origin=EVIL)
    assert ok.status == "200 OK"
    assert ok.headers["Content-Length"] == "0"
    assert refused.status == "400 Bad Request"


def test_duplicate_origin_lines_are_no_origin() -> None:
    r = client(CONFIG).get("/", headers=[("Origin", APP), ("Origin", EVIL)])
    assert cors_headers(r) == {}


def test_non_config_is_refused_at_construction() -> None:
    with pytest.raises(ConfigError, match=r"corecors\.Config") as info:
        CORSMiddleware(make_app(), {"allow_origins": [APP]})  # type: ignore[arg-type]
    assert info.value.problems[0].code == "CC004"


# -- config=, keyword options, a Policy -----------------------------------------


def _get(app: object, origin: str) -> str | None:
    from werkzeug.test import Client

    return (
        Client(app).get("/", headers={"Origin": origin}).headers.get("Access-Control-Allow-Origin")
    )


def test_keyword_options_work_as_config() -> None:
    app = CORSMiddleware(make_app(), allow_origins=[APP])
    assert _get(app, APP) == APP


def test_config_and_keyword_options_together_are_refused() -> None:
    with pytest.raises(ConfigError, match="both config= and keyword options") as info:
        CORSMiddleware(make_app(), Config(allow_origins=[APP]), allow_credentials=True)
    assert info.value.problems[0].code == "CC008"


def test_bad_keyword_options_raise_every_problem() -> None:
    with pytest.raises(ConfigError) as info:
        CORSMiddleware(make_app(), allow_origins=["https://a/"], max_age="x")
    assert len(info.value.problems) == 2


def test_a_policy_is_accepted_and_reconfigure_takes_effect() -> None:
    other = "https://other.example.com"
    policy = Policy(Config(allow_origins=[APP]))
    app = CORSMiddleware(make_app(), config=policy)
    assert _get(app, other) is None
    app.reconfigure(Config(allow_origins=[other]))
    assert _get(app, other) == other
    assert policy.config.allow_origins == (other,)


def test_reconfigure_of_a_plain_config_and_a_bad_one() -> None:
    other = "https://other.example.com"
    app = CORSMiddleware(make_app(), Config(allow_origins=[APP]))
    app.reconfigure(Config(allow_origins=[other]))
    assert _get(app, other) == other
    with pytest.raises(ConfigError):
        app.reconfigure({"allow_origins": [APP]})  # type: ignore[arg-type]
    assert _get(app, other) == other  # the last good policy stays
