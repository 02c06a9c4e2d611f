"""The ASGI middleware in FastAPI, Quart and Django, each set up as its docs page says.

- FastAPI (docs/fastapi.md): ``app = CORSMiddleware(api, config)`` around the
  FastAPI object, here the one in ``examples/asgi_fastapi.py``, through the
  TestClient and through uvicorn.
- Quart (docs/quart.md): ``app.asgi_app = CORSMiddleware(app.asgi_app, config)``,
  through Quart's own test client.
- Django (docs/django-asgi.md): ``CORSMiddleware(get_asgi_application(), config)``
  in a child process (Django's settings are global to a process).
"""

from __future__ import annotations

import asyncio
import http.client
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from corecors import Config
from corecors.adapters.asgi import SCOPE_KEY, CORSMiddleware

with warnings.catch_warnings():
    # Starlette's TestClient prefers httpx2 and warns when it runs on httpx.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
APP = "https://app.example.com"
EVIL = "https://evil.example"
TIMEOUT = 60


def load(path: Path) -> ModuleType:
    """Import the file at *path* (an example, or a helper beside this file)."""
    spec = importlib.util.spec_from_file_location(f"corecors_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cors_headers(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower().startswith("access-control-")}


# -- FastAPI -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fastapi_example() -> ModuleType:
    pytest.importorskip("fastapi")
    return load(ROOT / "examples" / "asgi_fastapi.py")


@pytest.fixture
def fastapi_client(fastapi_example: ModuleType) -> TestClient:
    return TestClient(fastapi_example.app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/items/1", 200, id="200 from a route"),
        pytest.param("/items/7", 404, id="404 from HTTPException"),
        pytest.param("/items/x", 422, id="422 from request validation"),
        pytest.param("/nowhere", 404, id="404 from the router"),
        pytest.param("/boom", 500, id="500 from an exception"),
    ],
)
def test_fastapi_every_response_carries_the_cors_headers(
    fastapi_client: TestClient, path: str, status: int
) -> None:
    r = fastapi_client.get(path, headers={"Origin": APP})
    assert r.status_code == status
    assert cors_headers(r.headers) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "X-Request-Id",
    }
    assert "Origin" in r.headers["Vary"]


def test_fastapi_preflight_is_answered_by_the_middleware(fastapi_client: TestClient) -> None:
    """FastAPI has no OPTIONS route here: without the middleware this would be a 405."""
    r = fastapi_client.options(
        "/items/1",
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert r.headers["Access-Control-Allow-Headers"] == "Content-Type, Authorization"


def test_fastapi_refused_preflight_discloses_nothing(fastapi_client: TestClient) -> None:
    r = fastapi_client.options(
        "/items/1", headers={"Origin": EVIL, "Access-Control-Request-Method": "PUT"}
    )
    assert (r.status_code, r.content) == (403, b"")
    assert cors_headers(r.headers) == {}


def test_fastapi_route_reads_the_decision(fastapi_client: TestClient) -> None:
    assert fastapi_client.get("/why", headers={"Origin": EVIL}).json() == {
        "allowed": False,
        "reasons": ["origin_not_allowed"],
    }


def test_fastapi_streaming_response_carries_the_cors_headers(fastapi_client: TestClient) -> None:
    r = fastapi_client.get("/events", headers={"Origin": "http://localhost:5173"})
    assert r.text == "data: 0\n\ndata: 1\n\ndata: 2\n\n"
    assert r.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"


def test_fastapi_example_over_uvicorn(fastapi_example: ModuleType) -> None:
    """The documented setup, served as docs/fastapi.md says to serve it."""
    serving = load(Path(__file__).with_name("test_asgi_server.py")).serving
    with serving(fastapi_example.app) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/boom", headers={"Origin": APP})
            r = conn.getresponse()
            r.read()
        finally:
            conn.close()
    assert r.status == 500
    assert r.getheader("Access-Control-Allow-Origin") == APP


# -- Quart ---------------------------------------------------------------------------------


def quart_app(config: Config) -> Any:
    quart = pytest.importorskip("quart")
    app = quart.Quart(__name__)

    @app.route("/items", methods=["GET", "PUT"])
    async def items() -> Any:
        decision = quart.request.scope[SCOPE_KEY]
        return {"reasons": list(decision.reasons)}

    @app.route("/gone")
    async def gone() -> Any:
        quart.abort(410)

    @app.route("/boom")
    async def boom() -> Any:
        raise RuntimeError("the view failed (on purpose)")

    @app.websocket("/ws")
    async def ws() -> None:
        await quart.websocket.send(str(SCOPE_KEY in quart.websocket.scope))

    app.asgi_app = CORSMiddleware(app.asgi_app, config)  # type: ignore[method-assign]
    return app


QUART_CONFIG = Config(allow_origins=[APP], allow_methods=["GET", "PUT"], allow_credentials=True)


def quart_get(method: str, path: str, headers: dict[str, str]) -> Any:
    app = quart_app(QUART_CONFIG)

    async def run() -> Any:
        response = await app.test_client().open(path, method=method, headers=headers)
        return response.status_code, dict(response.headers), await response.get_data()

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/items", 200, id="200 from a view"),
        pytest.param("/gone", 410, id="410 from abort"),
        pytest.param("/nowhere", 404, id="404 from the router"),
        pytest.param("/boom", 500, id="500 from Quart's error handling"),
    ],
)
def test_quart_every_response_carries_the_cors_headers(path: str, status: int) -> None:
    code, headers, _ = quart_get("GET", path, {"Origin": APP})
    assert code == status
    assert cors_headers(headers) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
    }


def test_quart_preflight_is_answered_by_the_middleware_not_quart() -> None:
    """Quart answers OPTIONS itself (200 with Allow); the middleware answers first."""
    code, headers, body = quart_get(
        "OPTIONS", "/items", {"Origin": APP, "Access-Control-Request-Method": "PUT"}
    )
    assert (code, body) == (204, b"")
    assert headers["access-control-allow-methods"] == "GET, PUT"
    assert "allow" not in {k.lower() for k in headers}


def test_quart_view_reads_the_decision() -> None:
    _, _, body = quart_get("GET", "/items", {"Origin": EVIL})
    assert json.loads(body) == {"reasons": ["origin_not_allowed"]}


def test_quart_websocket_passes_through_untouched() -> None:
    app = quart_app(QUART_CONFIG)

    async def run() -> Any:
        async with app.test_client().websocket("/ws", headers={"Origin": EVIL}) as ws:
            return await ws.receive()

    assert asyncio.run(run()) == "False"


# -- Django under ASGI ------------------------------------------------------------------------

DJANGO_SCRIPT = textwrap.dedent(
    """
    import asyncio, json
    from django.conf import settings

    settings.configure(
        SECRET_KEY="test", ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"], USE_TZ=True,
        MIDDLEWARE=[], LOGGING_CONFIG=None,
    )
    from django.http import JsonResponse, StreamingHttpResponse
    from django.urls import path

    def items(request):
        return JsonResponse({"reasons": list(request.scope["corecors.decision"].reasons)})

    def boom(request):
        raise RuntimeError("the view failed (on purpose)")

    async def stream(request):
        async def events():
            for n in range(2):
                yield f"data: {n}\\n\\n"
        return StreamingHttpResponse(events(), content_type="text/event-stream")

    urlpatterns = [path("items", items), path("boom", boom), path("stream", stream)]

    from django.core.asgi import get_asgi_application
    from corecors import Config
    from corecors.adapters.asgi import CORSMiddleware

    application = CORSMiddleware(
        get_asgi_application(),
        Config(allow_origins=["https://app.example.com"], allow_methods=["GET", "PUT"]),
    )

    async def call(method, path, headers):
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
                 "root_path": "", "query_string": b"", "server": ("testserver", 80),
                 "client": ("127.0.0.1", 5000),
                 "headers": [(b"host", b"testserver")]
                 + [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
        sent = []
        messages = [{"type": "http.request", "body": b""}]
        async def receive():
            if messages:
                return messages.pop()
            await asyncio.Event().wait()  # no disconnect: Django cancels this wait
        async def send(message):
            sent.append(message)
        await application(scope, receive, send)
        start = sent[0]
        return {"status": start["status"],
                "headers": [[k.decode(), v.decode()] for k, v in start["headers"]],
                "body": b"".join(m.get("body", b"") for m in sent[1:]).decode()}

    origin = {"Origin": "https://app.example.com"}
    out = {
        "items": asyncio.run(call("GET", "/items", {"Origin": "https://evil.example"})),
        "missing": asyncio.run(call("GET", "/missing", origin)),
        "boom": asyncio.run(call("GET", "/boom", origin)),
        "stream": asyncio.run(call("GET", "/stream", origin)),
        "preflight": asyncio.run(call("OPTIONS", "/items", dict(
            origin, **{"Access-Control-Request-Method": "PUT"}))),
    }
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def django_answers() -> dict[str, Any]:
    pytest.importorskip("django")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", DJANGO_SCRIPT],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return answers


def header(answer: dict[str, Any], name: str) -> str | None:
    values = [v for k, v in answer["headers"] if k == name]
    assert len(values) <= 1, values
    return values[0] if values else None


@pytest.mark.parametrize(
    ("name", "status"),
    [
        pytest.param("missing", 404, id="404 from Django's URL resolver"),
        pytest.param("boom", 500, id="500 from Django's exception handling"),
        pytest.param("stream", 200, id="streaming response"),
    ],
)
def test_django_asgi_responses_carry_the_cors_headers(
    django_answers: dict[str, Any], name: str, status: int
) -> None:
    answer = django_answers[name]
    assert answer["status"] == status
    assert header(answer, "access-control-allow-origin") == APP
    assert header(answer, "vary") is not None


def test_django_asgi_streams_every_event(django_answers: dict[str, Any]) -> None:
    assert django_answers["stream"]["body"] == "data: 0\n\ndata: 1\n\n"


def test_django_asgi_view_reads_the_decision(django_answers: dict[str, Any]) -> None:
    answer = django_answers["items"]
    assert json.loads(answer["body"]) == {"reasons": ["origin_not_allowed"]}
    assert header(answer, "access-control-allow-origin") is None


def test_django_asgi_preflight_is_answered_by_the_middleware(
    django_answers: dict[str, Any],
) -> None:
    answer = django_answers["preflight"]
    assert (answer["status"], answer["body"]) == (204, "")
    assert header(answer, "access-control-allow-methods") == "GET, PUT"
