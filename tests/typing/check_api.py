"""Typed use of the public API, as users write it. mypy checks it; nothing runs it."""

from __future__ import annotations

import re

from corecors import Config, ConfigError, Decision, Request, decide
from corecors.adapters.wsgi import CORSMiddleware


def build() -> Config:
    return Config(
        allow_origins=["https://app.example.com", "https://*.example.org"],
        allow_origin_regexes=[re.compile(r"https://pr-[0-9]+\.preview\.example\.com")],
        allow_methods=("GET", "PUT"),
        allow_headers="*",
        max_age=-1,
    )


def answer(config: Config) -> tuple[int | None, list[tuple[str, str]]]:
    decision: Decision = decide(
        Request.from_headers("GET", {"Origin": "https://a.example"}), config
    )
    return decision.status, decision.apply([("Content-Type", "text/plain")])


def safe() -> str | None:
    try:
        Config(allow_origins="*", allow_credentials=True)
    except ConfigError as exc:
        return exc.option
    return None


def wrap(app: object) -> CORSMiddleware:
    return CORSMiddleware(app, build())  # type: ignore[arg-type]  # not a WSGI app


def websocket_handshake(config: Config, headers: list[tuple[bytes, bytes]]) -> bool:
    checked = config.replace(check_websocket_origin=True, debug_refusals=False)
    decision = decide(Request.from_asgi("GET", headers, websocket=True), checked)
    return decision.action == "respond" and decision.status == 403
