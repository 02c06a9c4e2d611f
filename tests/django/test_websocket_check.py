"""check_websocket_origin and debug_refusals through the Django middleware.

Django itself never upgrades a connection (Channels routes WebSockets past
Django's middleware), but a handshake can reach a Django view through a WSGI
or ASGI server, and the middleware refuses it there as every adapter does.
The settings are ``CORECORS_*`` keys, read as Config.from_mapping reads them.
"""

from __future__ import annotations

import asyncio

import pytest
from django.test import AsyncClient, Client, override_settings

from corecors import Config

APP = "https://app.example.com"
EVIL = "https://evil.example"
REFUSAL = "Corecors-Refusal"
HANDSHAKE = {
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
}


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def handshake(origin: str | None) -> dict[str, str]:
    return {**HANDSHAKE, **({"Origin": origin} if origin else {})}


@override_settings(CORECORS_CHECK_WEBSOCKET_ORIGIN=True)
def test_a_handshake_from_a_disallowed_origin_is_refused_before_the_view(client: Client) -> None:
    response = client.get("/", headers=handshake(EVIL))
    assert response.status_code == 403
    assert response.content == b""
    assert response.headers["Vary"] == "Origin"
    assert REFUSAL not in response.headers


@override_settings(CORECORS_CHECK_WEBSOCKET_ORIGIN="true")
@pytest.mark.parametrize("origin", [APP, None], ids=["allowed origin", "no Origin"])
def test_an_allowed_handshake_reaches_the_view_untouched(
    client: Client, origin: str | None
) -> None:
    response = client.get("/", headers=handshake(origin))
    assert response.status_code == 200
    assert response.content == b"hello"
    # Untouched: the view's own CORS header stays, its Vary gets no Origin.
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Vary"] == "Accept-Encoding"


def test_with_the_check_off_every_handshake_reaches_the_view(client: Client) -> None:
    assert client.get("/", headers=handshake(EVIL)).status_code == 200


@override_settings(
    CORECORS_CHECK_WEBSOCKET_ORIGIN=True,
    CORECORS_POLICIES=[(r"/public/.*", {"allow_origins": "*", "check_websocket_origin": True}),
                       (r"/api/.*", Config(allow_origins=[APP], check_websocket_origin=True))],
)  # fmt: skip
def test_each_path_policy_checks_with_its_own_origins(client: Client) -> None:
    assert client.get("/public/x", headers=handshake(EVIL)).status_code == 200
    assert client.get("/api/x", headers=handshake(EVIL)).status_code == 403
    assert client.get("/api/x", headers=handshake(APP)).status_code == 200


@override_settings(CORECORS_CHECK_WEBSOCKET_ORIGIN=True, CORECORS_DEBUG_REFUSALS=True)
def test_debug_refusals_names_the_reasons(client: Client) -> None:
    assert client.get("/", headers=handshake(EVIL)).headers[REFUSAL] == (
        "websocket_origin_not_allowed"
    )
    assert client.get("/", headers={"Origin": EVIL}).headers[REFUSAL] == "origin_not_allowed"
    preflight = client.options(
        "/", headers={"Origin": APP, "Access-Control-Request-Method": "DELETE"}
    )
    assert preflight.status_code == 403
    assert preflight.headers[REFUSAL] == "method_not_allowed"
    assert REFUSAL not in client.get("/", headers={"Origin": APP}).headers


@override_settings(CORECORS_CHECK_WEBSOCKET_ORIGIN=True)
def test_the_async_middleware_refuses_the_same_way() -> None:
    async def both() -> tuple[int, int]:
        client = AsyncClient()
        refused = await client.get("/async", headers=handshake(EVIL))
        allowed = await client.get("/async", headers=handshake(APP))
        return refused.status_code, allowed.status_code

    assert asyncio.run(both()) == (403, 200)


@override_settings(CORECORS_DEBUG_REFUSALS=True)
def test_debug_refusals_is_a_system_check_warning() -> None:
    from corecors.adapters.django import check_settings

    # The test site's public scope gets its W101 for '*' as well.
    messages = [m for m in check_settings() if m.id != "corecors.W101"]
    assert [(m.id, m.obj) for m in messages] == [("corecors.W118", "CORECORS_DEBUG_REFUSALS")]
    assert "never in production" in (messages[0].hint or "")
