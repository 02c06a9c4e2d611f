"""The Django middleware in the browser: a Django project on uvicorn.

Django is configured in this process (``settings.configure``) with
``corecors.adapters.django.CorsMiddleware`` first and Django's CSRF
middleware after it, the policy given as ``CORECORS_CONFIG`` (the lab's
``creds`` configuration), and served on 127.0.0.1 through Django's own ASGI
handler by conftest's ``asgi_serving`` (the uvicorn of
tests/adapters/test_asgi_server.py). The scenarios: a preflighted PUT
answered before any view, a credentialed cookie round trip, a 500 from
Django's handler readable by the page, and a CSRF-protected POST whose 403
the page can read.
"""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest

from corecors import Config

if TYPE_CHECKING:
    from conftest import Lab, Tab

pytestmark = pytest.mark.browser

OpenTab = Callable[[str], "Tab"]
URLCONF = "corecors_browser_django_urls"
SEEN: list[str] = []  # views that ran, as "view:method:tag"


def _urlconf() -> types.ModuleType:
    from django.http import HttpRequest, HttpResponse, JsonResponse
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    @csrf_exempt  # an API view; /form keeps Django's CSRF protection
    def echo(request: HttpRequest) -> HttpResponse:
        SEEN.append(f"echo:{request.method}:{request.GET.get('t', '')}")
        return JsonResponse(
            {
                "method": request.method,
                "cookies": dict(request.COOKIES),
                "x_header": request.headers.get("X-Token"),
            }
        )

    def login(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("ok")
        response.set_cookie(request.GET["cookie"], request.GET["t"], samesite="Lax", httponly=True)
        return response

    def boom(request: HttpRequest) -> HttpResponse:
        raise RuntimeError("boom")

    def form(request: HttpRequest) -> HttpResponse:  # CSRF-protected: no exemption
        SEEN.append(f"form:{request.method}:{request.GET.get('t', '')}")
        return HttpResponse("posted")

    module = types.ModuleType(URLCONF)
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("echo", echo),
        path("login", login),
        path("boom", boom),
        path("form", form),
    ]
    return module


@pytest.fixture(scope="module")
def api(lab: Lab, asgi_serving: Callable[[Any], Any]) -> Iterator[str]:
    import django
    from django.conf import settings
    from django.core.asgi import get_asgi_application

    assert not settings.configured, "another test configured Django first"
    sys.modules[URLCONF] = _urlconf()
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=URLCONF,
        SECRET_KEY="corecors-browser-tests",  # noqa: S106 - a test-only key
        INSTALLED_APPS=["corecors.adapters.django.CorecorsAppConfig"],
        MIDDLEWARE=[
            "corecors.adapters.django.CorsMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
        ],
        CORECORS_CONFIG=Config(**{**lab.configs["creds"], "allow_methods": ["GET", "PUT", "POST"]}),
    )
    django.setup()
    with asgi_serving(_with_lifespan(get_asgi_application())) as port:
        yield f"http://api.corecors.localhost:{port}"


def _with_lifespan(app: Any) -> Any:
    """Django's handler refuses uvicorn's lifespan messages: answer them here."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return

    return wrapped


def url(api: str, path: str, tag: str, **params: Any) -> str:
    return f"{api}{path}?{urlencode({'t': tag, **params})}"


def test_preflighted_put_is_answered_before_any_view(
    lab: Lab, api: str, open_tab: OpenTab, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(url(api, "/echo", tag), method="PUT", headers={"X-Token": "t0k"})
    assert out.readable, out.error
    assert json.loads(out.body) == {"method": "PUT", "cookies": {}, "x_header": "t0k"}
    # The view ran for the PUT only; the middleware answered the OPTIONS.
    assert [s for s in SEEN if s.endswith(":" + tag)] == [f"echo:PUT:{tag}"]


def test_a_page_not_allowed_is_refused_at_the_preflight(
    lab: Lab, api: str, open_tab: OpenTab, tag: str
) -> None:
    tab = open_tab(lab.origins.ip2)
    out = tab.fetch(url(api, "/echo", tag), method="PUT", headers={"X-Token": "t0k"})
    assert not out.readable
    assert "preflight" in tab.cors_error()
    assert [s for s in SEEN if s.endswith(":" + tag)] == []


def test_credentials_cookie_round_trip(lab: Lab, api: str, open_tab: OpenTab, tag: str) -> None:
    tab = open_tab(lab.origins.app)
    cookie = f"c{tag}"
    login = tab.fetch(url(api, "/login", tag, cookie=cookie), credentials="include")
    assert login.readable, login.error
    out = tab.fetch(url(api, "/echo", tag), credentials="include")
    assert out.readable, out.error
    assert json.loads(out.body)["cookies"][cookie] == tag


def test_a_500_from_djangos_handler_is_readable(
    lab: Lab, api: str, open_tab: OpenTab, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(url(api, "/boom", tag))
    assert out.readable, out.error
    assert out.status == 500


def test_a_csrf_failure_reaches_the_page_as_a_readable_403(
    lab: Lab, api: str, open_tab: OpenTab, tag: str
) -> None:
    """CORS does not replace CSRF protection: the cross-site POST without a
    token is refused by Django, and the page can read why."""
    tab = open_tab(lab.origins.app)
    out = tab.fetch(
        url(api, "/form", tag), method="POST", body="x=1", credentials="include"
    )
    assert out.readable, out.error
    assert out.status == 403
    assert [s for s in SEEN if s.endswith(":" + tag)] == []
