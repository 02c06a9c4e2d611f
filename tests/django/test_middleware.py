"""The Django middleware under Django's own test clients, sync and async."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, override_settings

from corecors import Config, ConfigError, Policy
from corecors.adapters.django import CorsMiddleware

APP = "https://app.example.com"
PARTNER = "https://partner.example"
EVIL = "https://evil.example"

PREFLIGHT = {"Origin": APP, "Access-Control-Request-Method": "PUT"}


def cors_headers(response: HttpResponse) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def test_allowed_request_gets_the_policy_headers_and_vary(client: Client) -> None:
    response = client.get("/", headers={"Origin": APP})
    assert response.status_code == 200
    assert cors_headers(response) == {
        "Access-Control-Allow-Origin": APP,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": "X-Total",
    }
    assert response.headers["Vary"] == "Accept-Encoding, Origin"
    assert response.content == b"hello"


def test_refused_origin_gets_no_cors_headers_not_even_the_views(client: Client) -> None:
    response = client.get("/", headers={"Origin": EVIL})
    assert response.status_code == 200
    assert cors_headers(response) == {}
    assert response.headers["Vary"] == "Accept-Encoding, Origin"


def test_request_without_origin_still_says_vary_origin(client: Client) -> None:
    response = client.get("/")
    assert cors_headers(response) == {}
    assert response.headers["Vary"] == "Accept-Encoding, Origin"


def test_preflight_is_answered_before_any_view_or_middleware(client: Client) -> None:
    # /blocked would be answered 429 by an inner middleware, and /submit is
    # CSRF-protected: the preflight reaches neither.
    for path in ("/blocked", "/submit"):
        response = client.options(path, headers=PREFLIGHT)
        assert response.status_code == 204
        assert response.content == b""
        assert "Content-Type" not in response.headers
        assert response.headers["Access-Control-Allow-Origin"] == APP
        assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, PUT"
        assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_refused_preflight_is_403_without_cors_headers(client: Client) -> None:
    response = client.options(
        "/", headers={"Origin": APP, "Access-Control-Request-Method": "DELETE"}
    )
    assert response.status_code == 403
    assert cors_headers(response) == {}


def test_star_headers_cover_hundreds_of_request_headers(client: Client) -> None:
    """allow_headers="*" without credentials: any number of names, one bound
    on the value's length (as through the other adapters:
    tests/adapters/test_many_request_headers.py)."""
    many = ",".join(f"x-custom-{i}" for i in range(300))
    with override_settings(CORECORS_ALLOW_HEADERS="*", CORECORS_ALLOW_CREDENTIALS=False):
        asked = {**PREFLIGHT, "Access-Control-Request-Headers": many}
        response = client.options("/", headers=asked)
        assert response.status_code == 204
        assert response.headers["Access-Control-Allow-Headers"] == "*"
        auth = {**PREFLIGHT, "Access-Control-Request-Headers": many + ",authorization"}
        assert client.options("/", headers=auth).status_code == 403
        huge = {**PREFLIGHT, "Access-Control-Request-Headers": "x" * 8193}
        assert client.options("/", headers=huge).status_code == 403
    # The project's explicit list (two names) refuses that many names unread.
    assert client.options("/", headers=asked).status_code == 403


def test_options_without_request_method_reaches_django(client: Client) -> None:
    response = client.options("/anything-unknown", headers={"Origin": APP})
    assert response.status_code == 404  # not a preflight: Django routes it


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("get", "/no/such/page", 404, id="custom handler404"),
        pytest.param("get", "/boom", 500, id="handler500 after an exception"),
        pytest.param("get", "/forbidden", 403, id="PermissionDenied"),
        pytest.param("post", "/submit", 403, id="CSRF failure"),
        pytest.param("get", "/blocked", 429, id="an inner middleware's own answer"),
    ],
)
def test_every_response_carries_the_headers(method: str, path: str, status: int) -> None:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = getattr(client, method)(path, headers={"Origin": APP})
    assert response.status_code == status
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.headers["Vary"]


def test_the_custom_404_is_the_projects(client: Client) -> None:
    response = client.get("/no/such/page", headers={"Origin": APP})
    assert response.json() == {"error": "not found"}


def test_the_decision_is_in_request_meta(client: Client) -> None:
    assert client.get("/reasons", headers={"Origin": EVIL}).json() == {
        "reasons": ["origin_not_allowed"]
    }
    assert client.get("/reasons", headers={"Origin": APP}).json() == {"reasons": []}


def test_streaming_response_is_not_buffered(client: Client) -> None:
    response = client.get("/stream", headers={"Origin": APP})
    assert response.streaming
    assert response.headers["Access-Control-Allow-Origin"] == APP
    chunks = iter(response.streaming_content)
    # The generator has not run past its first event: nothing read it.
    assert next(chunks) == b"data: first\n\n"
    assert next(chunks) == b"data: second\n\n"


# -- the async path ----------------------------------------------------------------


def test_the_middleware_is_async_under_an_async_handler() -> None:
    async def get_response(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    def sync_get_response(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    assert CorsMiddleware.sync_capable
    assert CorsMiddleware.async_capable
    assert iscoroutinefunction(CorsMiddleware(get_response))
    assert not iscoroutinefunction(CorsMiddleware(sync_get_response))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("get", "/async", 200, id="async view"),
        pytest.param("get", "/", 200, id="sync view"),
        pytest.param("get", "/no/such/page", 404, id="404"),
        pytest.param("get", "/boom", 500, id="500"),
        pytest.param("get", "/forbidden", 403, id="PermissionDenied"),
        pytest.param("post", "/submit", 403, id="CSRF failure"),
        pytest.param("get", "/blocked", 429, id="short-circuit"),
    ],
)
def test_async_client_responses_carry_the_headers(method: str, path: str, status: int) -> None:
    async def run() -> HttpResponse:
        client = AsyncClient(enforce_csrf_checks=True, raise_request_exception=False)
        response: HttpResponse = await getattr(client, method)(path, headers={"Origin": APP})
        return response

    response = asyncio.run(run())
    assert response.status_code == status
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert "Origin" in response.headers["Vary"]


def test_async_preflight_is_answered_by_the_middleware() -> None:
    async def run() -> HttpResponse:
        response: HttpResponse = await AsyncClient().options("/blocked", headers=PREFLIGHT)
        return response

    response = asyncio.run(run())
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, PUT"


def test_async_streaming_is_not_buffered() -> None:
    async def run() -> list[bytes]:
        response = await AsyncClient().get("/async-stream", headers={"Origin": APP})
        assert response.headers["Access-Control-Allow-Origin"] == APP
        chunks = aiter(response.streaming_content)
        return [await anext(chunks), await anext(chunks)]

    assert asyncio.run(run()) == [b"data: first\n\n", b"data: second\n\n"]


# -- settings ------------------------------------------------------------------------


def test_override_settings_takes_effect_and_is_undone(client: Client) -> None:
    with override_settings(CORECORS_ALLOW_ORIGINS=[EVIL]):
        assert (
            client.get("/", headers={"Origin": EVIL}).headers.get("Access-Control-Allow-Origin")
            == EVIL
        )
        assert "Access-Control-Allow-Origin" not in client.get("/", headers={"Origin": APP}).headers
    assert client.get("/", headers={"Origin": APP}).headers["Access-Control-Allow-Origin"] == APP


def test_corecors_config_setting(client: Client) -> None:
    keys = [
        "CORECORS_ALLOW_ORIGINS",
        "CORECORS_ALLOW_METHODS",
        "CORECORS_ALLOW_HEADERS",
        "CORECORS_ALLOW_CREDENTIALS",
        "CORECORS_EXPOSE_HEADERS",
    ]
    policy = Policy(Config(allow_origins=[EVIL]))
    with override_settings(CORECORS_CONFIG=policy):
        from django.conf import settings

        for key in keys:
            delattr(settings, key)
        assert (
            client.get("/", headers={"Origin": EVIL}).headers["Access-Control-Allow-Origin"] == EVIL
        )
        # A Policy given as the setting can be swapped while the site runs.
        policy.reconfigure(Config(allow_origins=[PARTNER]))
        assert (
            client.get("/", headers={"Origin": PARTNER}).headers["Access-Control-Allow-Origin"]
            == PARTNER
        )


def test_config_and_options_together_are_refused() -> None:
    with override_settings(CORECORS_CONFIG=Config()), pytest.raises(ConfigError) as caught:
        CorsMiddleware(lambda request: HttpResponse())
    assert caught.value.problems[0].code == "CC008"
    assert caught.value.problems[0].option == "CORECORS_CONFIG"


def test_a_bad_setting_is_refused_when_the_middleware_is_built() -> None:
    with (
        override_settings(CORECORS_ALLOW_ORIGINS=["https://app.example.com/"]),
        pytest.raises(ConfigError) as caught,
    ):
        CorsMiddleware(lambda request: HttpResponse())
    assert caught.value.option == "CORECORS_ALLOW_ORIGINS"
    # Restored settings are read again.
    CorsMiddleware(lambda request: HttpResponse())


# -- scopes ----------------------------------------------------------------------------


def test_outside_urls_regex_is_untouched(client: Client) -> None:
    response = client.get("/outside/x", headers={"Origin": APP})
    assert response.status_code == 200
    assert cors_headers(response) == {}
    assert "Vary" not in response.headers
    # Not even a preflight is answered there: Django gets it.
    response = client.options("/outside/x", headers=PREFLIGHT)
    assert response.content == b"OPTIONS /outside/x"


def test_policies_first_match_wins(client: Client) -> None:
    response = client.get("/public/x", headers={"Origin": EVIL})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    response = client.get("/partner-api/x", headers={"Origin": PARTNER})
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER
    response = client.get("/partner-api/x", headers={"Origin": APP})
    assert "Access-Control-Allow-Origin" not in response.headers
    response = client.options(
        "/public/x", headers={"Origin": EVIL, "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 204
    assert "Access-Control-Max-Age" not in response.headers


def test_scopes_match_the_decoded_path_django_routes(client: Client) -> None:
    # %70 is "p": Django routes /public/x, and so does the scope.
    response = client.get("/%70ublic/x", headers={"Origin": EVIL})
    assert response.content == b"GET /public/x"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_scopes_match_the_whole_path(client: Client) -> None:
    # r"/public/.*" must not match /api/public/...: fullmatch, not search.
    response = client.get("/api/public/x", headers={"Origin": EVIL})
    assert "Access-Control-Allow-Origin" not in response.headers


@override_settings(CORECORS_POLICIES=[(r"/api/.*", {"allow_origins": [EVIL]})])
def test_policies_follow_override_settings(client: Client) -> None:
    response = client.get("/api/x", headers={"Origin": EVIL})
    assert response.headers["Access-Control-Allow-Origin"] == EVIL


# -- the view decorator ------------------------------------------------------------------


def test_decorated_view_has_its_own_policy(client: Client) -> None:
    response = client.get("/partner", headers={"Origin": PARTNER})
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert (
        "Access-Control-Allow-Origin" not in client.get("/partner", headers={"Origin": APP}).headers
    )


def test_decorated_view_preflight_uses_its_policy(client: Client) -> None:
    response = client.options(
        "/partner", headers={"Origin": PARTNER, "Access-Control-Request-Method": "DELETE"}
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Methods"] == "DELETE"
    assert response.headers["Access-Control-Max-Age"] == "60"


def test_decorated_view_class(client: Client) -> None:
    response = client.options(
        "/partner-class",
        headers={
            "Origin": PARTNER,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-partner",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Headers"] == "X-Partner"


def test_passthrough_preflight_reaches_the_view(client: Client) -> None:
    response = client.options(
        "/passthrough", headers={"Origin": PARTNER, "Access-Control-Request-Method": "PUT"}
    )
    assert response.content == b"view saw OPTIONS"
    assert response.headers["X-View"] == "yes"
    assert response.headers["Access-Control-Allow-Methods"] == "PUT"
    # An invalid preflight never does.
    response = client.options(
        "/passthrough", headers={"Origin": EVIL, "Access-Control-Request-Method": "PUT"}
    )
    assert response.status_code == 403
    assert response.content == b""


def test_decorator_refuses_a_bad_policy_at_once() -> None:
    from corecors.adapters.django import cors_policy

    with pytest.raises(ConfigError):
        cors_policy(allow_origins=["*"], allow_credentials=True)


# -- threads --------------------------------------------------------------------------


def test_requests_in_threads_see_one_policy_each() -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            c = Client()
            for _ in range(20):
                r = c.get("/", headers={"Origin": APP})
                assert r.headers["Access-Control-Allow-Origin"] == APP
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []


@pytest.fixture(autouse=True)
def _no_leftover_overrides() -> Iterator[None]:
    yield
    from django.conf import settings

    assert settings.CORECORS_ALLOW_ORIGINS == [APP]
