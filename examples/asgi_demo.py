"""Run three requests through the ASGI middleware and print what it answers.

python3 examples/asgi_demo.py

No server and no framework: the middleware is called as an ASGI server
would call it. Serve the same app for real with
``uvicorn --app-dir examples asgi_demo:app``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from corecors import Config
from corecors.adapters.asgi import CORSMiddleware


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The smallest ASGI application: ``hello`` for every request."""
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": b"hello\n"})


config = Config(
    allow_origins=["https://app.example.com"],
    allow_methods=["GET", "PUT"],
    allow_headers=["Content-Type"],
)
app = CORSMiddleware(hello, config)


async def call(method: str, **headers: str) -> None:
    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": "/",
        "headers": [
            (name.replace("_", "-").encode("latin-1"), value.encode("latin-1"))
            for name, value in headers.items()
        ],
    }
    shown = ", ".join(f"{k.replace('_', '-').title()}: {v}" for k, v in headers.items())

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            print(f"{method} / ({shown})\n  -> {message['status']}")
            for name, value in message["headers"]:
                print(f"     {name.decode('latin-1')}: {value.decode('latin-1')}")

    await app(scope, receive, send)
    print(f"  decision: {scope['corecors.decision'].reasons or 'allowed'}\n")


async def main() -> None:
    await call("GET", origin="https://app.example.com")
    await call("GET", origin="https://evil.example")
    await call(
        "OPTIONS",
        origin="https://app.example.com",
        access_control_request_method="PUT",
        access_control_request_headers="content-type",
    )


if __name__ == "__main__":
    asyncio.run(main())
