"""Run three requests through the WSGI middleware and print what it answers.

python3 examples/wsgi_demo.py
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from corecors import Config
from corecors.adapters.wsgi import CORSMiddleware


def hello(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello\n"]


config = Config(
    allow_origins=["https://app.example.com"],
    allow_methods=["GET", "PUT"],
    allow_headers=["Content-Type"],
)
app = CORSMiddleware(hello, config)


def call(method: str, **headers: str) -> None:
    environ = {"REQUEST_METHOD": method, "PATH_INFO": "/"}
    environ.update({"HTTP_" + k.upper(): v for k, v in headers.items()})
    shown = ", ".join(f"{k.replace('_', '-').title()}: {v}" for k, v in headers.items())

    def start_response(
        status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
    ) -> None:
        print(f"{method} / ({shown})\n  -> {status}")
        for name, value in response_headers:
            print(f"     {name}: {value}")

    b"".join(app(environ, start_response))
    print(f"  decision: {environ['corecors.decision'].reasons or 'allowed'}\n")


if __name__ == "__main__":
    call("GET", origin="https://app.example.com")
    call("GET", origin="https://evil.example")
    call(
        "OPTIONS",
        origin="https://app.example.com",
        access_control_request_method="PUT",
        access_control_request_headers="content-type",
    )
