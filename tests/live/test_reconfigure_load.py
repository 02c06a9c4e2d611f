"""Reconfigure under load: swaps while requests run, never a mixed answer.

Four client threads send mixed requests while another thread swaps the
policy between two configs 200 times. Every response must be exactly the
answer of one of the two configs (status and every CORS header), and no
request may fail. Loops are bounded by counts, never by time.
"""

from __future__ import annotations

import http.client
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from corecors import Config, Policy
from corecors.adapters.asgi import CORSMiddleware as ASGIMiddleware
from corecors.adapters.wsgi import CORSMiddleware as WSGIMiddleware

A = "https://a.example"
B = "https://b.example"
ONE = Config(allow_origins=[A], allow_methods=["PUT"], expose_headers=["X-One"], max_age=100)
TWO = Config(
    allow_origins=[B, "https://*.b.example"],
    allow_methods=["DELETE"],
    allow_headers=["X-Token"],
    allow_credentials=True,
    max_age=200,
)

#: (method, request headers): every kind of answer either config gives.
REQUESTS: list[tuple[str, dict[str, str]]] = [
    ("GET", {}),
    ("GET", {"Origin": A}),
    ("GET", {"Origin": B}),
    ("GET", {"Origin": "https://x.b.example"}),
    ("OPTIONS", {"Origin": A, "Access-Control-Request-Method": "PUT"}),
    ("OPTIONS", {"Origin": B, "Access-Control-Request-Method": "DELETE",
                 "Access-Control-Request-Headers": "x-token"}),
    ("OPTIONS", {"Origin": B, "Access-Control-Request-Method": "PUT"}),
]
SWAPS = 200
THREADS = 4
#: Most requests one client thread sends (it stops early once swaps end).
MAX_PER_THREAD = 20_000
TIMEOUT = 10.0

Answer = tuple[int, tuple[tuple[str, str], ...]]


def answer(status: int, headers: Iterable[tuple[str, str]]) -> Answer:
    """The part of a response that CORS decides: status, CORS headers and Vary."""
    kept = sorted(
        (name.lower(), value) for name, value in headers
        if name.lower().startswith("access-control-") or name.lower() == "vary"
    )
    return status, tuple(kept)


def wsgi_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def environ_for(method: str, headers: dict[str, str]) -> dict[str, Any]:
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": "/",
                               "SERVER_NAME": "localhost", "SERVER_PORT": "80",
                               "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http"}
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def call_wsgi(middleware: WSGIMiddleware, index: int) -> Answer:
    seen: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> Any:
        seen.append((int(status.split()[0]), headers))

    body = b"".join(middleware(environ_for(*REQUESTS[index]), start_response))
    assert body in (b"ok", b"")
    return answer(*seen[0])


def expected(send: Callable[[Config], list[Answer]]) -> list[set[Answer]]:
    """Per request, the two answers allowed: ONE's and TWO's."""
    one, two = send(ONE), send(TWO)
    assert one != two
    return [{a, b} for a, b in zip(one, two, strict=True)]


def load(send_one: Callable[[int], Answer], policy: Policy) -> tuple[int, list[str]]:
    """Run the clients and the swapper; return (requests sent, failures)."""
    allowed = expected(lambda config: [_under(config, send_one, policy, i)
                                       for i in range(len(REQUESTS))])
    policy.reconfigure(ONE)
    failures: list[str] = []
    sent = [0] * THREADS
    swapping = threading.Event()
    swapping.set()
    lock = threading.Lock()
    finished: list[int] = []
    during = [0]  # swaps made while every client was still sending

    def client(n: int) -> None:
        for i in range(MAX_PER_THREAD):
            if not swapping.is_set():
                break
            index = (i + n) % len(REQUESTS)
            try:
                got = send_one(index)
            except Exception as error:  # every error is a failure to report
                with lock:
                    failures.append(f"request {index}: {error!r}")
                continue
            sent[n] += 1
            if got not in allowed[index]:
                with lock:
                    failures.append(f"request {index}: mixed answer {got}")
        finished.append(n)

    def swapper() -> None:
        # Each swap waits (boundedly) for every client to send a request or
        # two under the config in force, so that swaps land among requests.
        for i in range(SWAPS):
            start = sum(sent)
            for _ in range(10_000):
                if sum(sent) >= start + THREADS or len(finished) == THREADS:
                    break
                time.sleep(0.0001)
            policy.reconfigure(TWO if i % 2 == 0 else ONE)
            if not finished:
                during[0] += 1
        swapping.clear()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
    threads.append(threading.Thread(target=swapper))
    # Switch threads often, so that swaps land inside requests.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
            assert not thread.is_alive()
    finally:
        sys.setswitchinterval(interval)
    assert during[0] == SWAPS, f"only {during[0]} swaps while all clients ran"
    return sum(sent), failures


def _under(config: Config, send_one: Callable[[int], Answer], policy: Policy, i: int) -> Answer:
    policy.reconfigure(config)
    return send_one(i)


def test_wsgi_reconfigure_under_load_never_mixes_two_configs() -> None:
    policy = Policy(ONE)
    middleware = WSGIMiddleware(wsgi_app, policy)
    sent, failures = load(lambda index: call_wsgi(middleware, index), policy)
    assert failures == []
    assert sent >= SWAPS * THREADS
    print(f"WSGI: {sent} requests, {SWAPS} swaps, 0 errors")


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@contextmanager
def uvicorn_serving(app: Any) -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_config=None,
                                           access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(1000):  # bounded: 10 s at most
            if server.started:
                break
            time.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield port
    finally:
        server.should_exit = True
        thread.join(TIMEOUT)
        sock.close()


def test_asgi_under_uvicorn_reconfigure_under_load_never_mixes_two_configs() -> None:
    policy = Policy(ONE)
    local = threading.local()
    connections: list[http.client.HTTPConnection] = []
    with uvicorn_serving(ASGIMiddleware(asgi_app, policy)) as port:

        def send_one(index: int) -> Answer:
            connection = getattr(local, "connection", None)
            if connection is None:
                connection = local.connection = http.client.HTTPConnection(
                    "127.0.0.1", port, timeout=TIMEOUT)
                connections.append(connection)
            method, headers = REQUESTS[index]
            connection.request(method, "/", headers=headers)
            response = connection.getresponse()
            response.read()
            return answer(response.status, response.getheaders())

        try:
            sent, failures = load(send_one, policy)
        finally:
            for connection in connections:
                connection.close()
    assert failures == []
    assert sent >= SWAPS * THREADS
    print(f"ASGI under uvicorn: {sent} requests, {SWAPS} swaps, 0 errors")
