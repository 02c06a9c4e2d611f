"""Django: the cost corecors adds to a hello view, against django-cors-headers.

Three Django projects in one process, each a WSGI handler called directly
with a prepared environ (no server, no socket: only Django's and the
middleware's own work): bare, with ``corecors.adapters.django.CorsMiddleware``
first, and with django-cors-headers' ``CorsMiddleware`` first, both allowing
one origin with credentials. Timed: an allowed GET, and a preflight, which
corecors answers itself and the bare project answers with Django's own
OPTIONS handling of a ``View``. Run: ``python bench/django_overhead.py``
(needs django and django-cors-headers: ``pip install django django-cors-headers``).
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

ORIGIN = "https://app.example.com"
ROUNDS = 15
CALLS = 2000


def environ(method: str, headers: dict[str, str]) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/hello",
        "QUERY_STRING": "",
        "SERVER_NAME": "api.example.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "HTTP_HOST": "api.example.com",
    }
    env.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    return env


#: The subjects, each a MIDDLEWARE list for the same project.
MIDDLEWARE: dict[str, list[str]] = {
    "bare": [],
    # The floor: a middleware that does nothing but call the next one.
    "no-op middleware": [f"{__name__}.noop"],
    "corecors": ["corecors.adapters.django.CorsMiddleware"],
    "django-cors-headers": ["corsheaders.middleware.CorsMiddleware"],
}
#: The requests: an allowed GET and a preflight, as header names and values.
CASES: dict[str, dict[str, str]] = {
    "GET": {"Origin": ORIGIN},
    "OPTIONS": {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"},
}


def setup() -> None:
    """Configure Django's settings (once per process) for every subject."""
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        SECRET_KEY="bench",  # noqa: S106 - a benchmark-only key
        MIDDLEWARE=[],
        INSTALLED_APPS=["corsheaders"],
        CORECORS_ALLOW_ORIGINS=[ORIGIN],
        CORECORS_ALLOW_CREDENTIALS=True,
        CORECORS_ALLOW_METHODS=["GET", "PUT"],
        CORS_ALLOWED_ORIGINS=[ORIGIN],
        CORS_ALLOW_CREDENTIALS=True,
    )
    django.setup()


def handler(subject: str) -> Callable[..., Iterable[bytes]]:
    """The WSGI handler of one subject's project (after :func:`setup`)."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    settings.MIDDLEWARE = MIDDLEWARE[subject]
    return WSGIHandler()


def main() -> int:
    setup()
    subjects = {name: handler(name) for name in MIDDLEWARE}

    def timed(
        app: Callable[..., Iterable[bytes]], method: str, headers: dict[str, str]
    ) -> Callable[[], float]:
        def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
            return None

        def one_round() -> float:
            envs = [environ(method, headers) for _ in range(CALLS)]
            begin = time.perf_counter()
            for env in envs:
                for _ in app(env, start_response):
                    pass
            return (time.perf_counter() - begin) / CALLS

        return one_round

    results: dict[tuple[str, str], list[float]] = {}
    cases = list(CASES.items())
    for _ in range(ROUNDS):  # interleaved, so that drift hits every subject alike
        for name, app in subjects.items():
            for method, headers in cases:
                results.setdefault((name, method), []).append(timed(app, method, headers)())
    # The fastest round of each: on a shared machine, load only ever adds time.
    med = {k: min(v) for k, v in results.items()}
    bare = med["bare", "GET"]
    ours = med["corecors", "GET"] - bare
    theirs = med["django-cors-headers", "GET"] - bare
    print(f"bare Django hello GET: {bare * 1e6:.1f} µs")
    print(f"corecors overhead: {ours * 1e6:.2f} µs = {ours / bare:.1%} of the bare request")
    print(f"django-cors-headers overhead: {theirs * 1e6:.2f} µs = {theirs / bare:.1%}")
    print(f"corecors / django-cors-headers overhead: {ours / theirs:.2f}x")
    floor = med["no-op middleware", "GET"] - bare
    print(
        f"a no-op middleware (the floor any middleware pays): {floor * 1e6:.2f} µs = "
        f"{floor / bare:.1%}; corecors above it: {(ours - floor) * 1e6:.2f} µs = "
        f"{(ours - floor) / bare:.1%}"
    )
    print(
        f"preflight: corecors {med['corecors', 'OPTIONS'] * 1e6:.1f} µs, "
        f"Django answering OPTIONS itself {med['bare', 'OPTIONS'] * 1e6:.1f} µs, "
        f"django-cors-headers {med['django-cors-headers', 'OPTIONS'] * 1e6:.1f} µs"
    )
    return 0


def noop(get_response: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A Django middleware that only calls the next layer."""

    def middleware(request: Any) -> Any:
        return get_response(request)

    return middleware


def _hello(request: Any) -> Any:
    from django.http import HttpResponse

    return HttpResponse("hello")


def _urls() -> list[Any]:
    from django.urls import path
    from django.views import View

    class Hello(View):
        def get(self, request: Any) -> Any:
            return _hello(request)

    return [path("hello", Hello.as_view())]


def __getattr__(name: str) -> Any:  # Django reads urlpatterns after configure
    if name == "urlpatterns":
        return _urls()
    raise AttributeError(name)


if __name__ == "__main__":
    sys.exit(main())
