"""An inner middleware that answers some requests itself (sync and async)."""

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse


def short_circuit(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    """Answer ``/blocked`` with a 429 before any view runs."""
    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> Any:
            if request.path_info == "/blocked":
                return blocked()
            return await get_response(request)

        return markcoroutinefunction(middleware)

    def sync_middleware(request: HttpRequest) -> Any:
        if request.path_info == "/blocked":
            return blocked()
        return get_response(request)

    return sync_middleware


short_circuit.sync_capable = True  # type: ignore[attr-defined]
short_circuit.async_capable = True  # type: ignore[attr-defined]


def blocked() -> HttpResponse:
    return HttpResponse("slow down", status=429, headers={"Retry-After": "1"})
