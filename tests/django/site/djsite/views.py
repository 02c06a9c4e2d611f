"""The test project's views."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views import View

from corecors import Config
from corecors.adapters.django import META_KEY, cors_policy

PARTNER = "https://partner.example"
# The streaming views wait for this file before their second event, so a
# test can prove the first one arrived before the response was complete.
RELEASE_ENV = "DJSITE_RELEASE_FILE"
WAIT_SECONDS = 10


def index(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("hello", headers={"Vary": "Accept-Encoding", "X-Total": "3"})
    # A CORS header of the view's own, which corecors replaces.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def reasons(request: HttpRequest) -> JsonResponse:
    decision = request.META.get(META_KEY)
    return JsonResponse({"reasons": list(decision.reasons) if decision else None})


async def async_view(request: HttpRequest) -> HttpResponse:
    await asyncio.sleep(0)
    return HttpResponse("async hello")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("no")


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the view failed (on purpose)")


def submit(request: HttpRequest) -> HttpResponse:
    # CSRF-protected: a POST without the token never gets here.
    return HttpResponse("submitted")


def custom_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return JsonResponse({"error": "not found"}, status=404)


def _released() -> bool:
    name = os.environ.get(RELEASE_ENV)
    deadline = time.monotonic() + WAIT_SECONDS
    while name and not Path(name).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return True


def stream(request: HttpRequest) -> StreamingHttpResponse:
    def events() -> Iterator[bytes]:
        yield b"data: first\n\n"
        _released()
        yield b"data: second\n\n"

    return StreamingHttpResponse(events(), content_type="text/event-stream")


async def async_stream(request: HttpRequest) -> StreamingHttpResponse:
    async def events() -> AsyncIterator[bytes]:
        yield b"data: first\n\n"
        await asyncio.to_thread(_released)
        yield b"data: second\n\n"

    return StreamingHttpResponse(events(), content_type="text/event-stream")


def anything(request: HttpRequest, rest: str = "") -> HttpResponse:
    return HttpResponse(f"{request.method} {request.path_info}")


@cors_policy(allow_origins=[PARTNER], allow_methods=["DELETE"], max_age=60)
def partner(request: HttpRequest) -> HttpResponse:
    return HttpResponse("partner")


@cors_policy(config=Config(allow_origins=[PARTNER], allow_headers=["X-Partner"]))
class PartnerView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("partner class")


def passthrough(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"view saw {request.method}", headers={"X-View": "yes"})


passthrough = cors_policy(
    allow_origins=[PARTNER], allow_methods=["PUT"], preflight_passthrough=True
)(passthrough)


# What tests/adapters/test_equivalence.py's upstream answers: 200, CORS
# headers of its own, and Vary: Accept-Encoding except on OPTIONS.
UPSTREAM_CORS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Credentials", "true"),
    ("Access-Control-Expose-Headers", "X-Upstream"),
]


def upstream(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(b"ok", content_type="text/plain; charset=utf-8")
    for name, value in UPSTREAM_CORS:
        response[name] = value
    if request.method != "OPTIONS":
        response["Vary"] = "Accept-Encoding"
    return response
