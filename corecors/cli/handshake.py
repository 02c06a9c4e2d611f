"""``corecors explain --websocket``: a page's ``new WebSocket()`` under a config.

CORS does not apply to WebSocket handshakes; ``check_websocket_origin``
makes corecors check their Origin with the same rules (see
:doc:`/websockets`). This says what the core decides for the handshake a
browser sends, and whether the socket opens.
"""

from __future__ import annotations

from typing import TextIO

from .._config import Config
from .._decide import decide
from .._model import REASONS, Request
from .browser import BrowserRequest
from .output import EXIT_OK, EXIT_REFUSED, status_text, write_json

__all__ = ["explain_handshake"]

# What a browser's new WebSocket() sends, besides Origin (RFC 6455, 4.1).
_HANDSHAKE = (
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("Sec-WebSocket-Version", "13"),
)


def explain_handshake(
    config: Config, file: str, kind: str, request: BrowserRequest, fmt: str, out: TextIO
) -> int:
    headers = [("Origin", request.origin), *_HANDSHAKE]
    decision = decide(Request.from_headers("GET", headers), config)
    if decision.action == "respond":
        assert decision.status is not None
        reasons = "; ".join(REASONS.get(r, r) for r in decision.reasons)
        verdict = (
            f"refused: corecors answers HTTP {status_text(decision.status)} ({reasons}), so "
            "the socket never opens (the page sees an error event, close code 1006)"
        )
        fix = f"add '{request.origin}' to allow_origins, if that page may open this socket"
    elif not config.check_websocket_origin:
        verdict = (
            "opens, unchecked: check_websocket_origin is off, so any page on any site can "
            "open this socket with your users' cookies (CORS does not apply to WebSockets)"
        )
        fix = "set check_websocket_origin to true if the socket trusts cookies"
    else:
        verdict = "opens: the Origin is allowed, and the handshake goes to your application"
        fix = None
    allowed = decision.action != "respond"
    if fmt == "json":
        write_json(
            out,
            {
                "config": {"file": file, "read_as": kind},
                "handshake": {
                    "request_headers": [list(h) for h in headers],
                    "status": decision.status,
                    "response_headers": [list(h) for h in decision.headers],
                    "reasons": [{"code": r, "text": REASONS.get(r, r)} for r in decision.reasons],
                },
                "allowed": allowed,
                "verdict": verdict,
                "fix": fix,
            },
        )
    else:
        out.write(f"Config     {file} ({kind})\nHandshake  new WebSocket() from a page on ")
        out.write(f"{request.origin}\n  the browser sends\n    GET {request.path}\n")
        for name, value in headers:
            out.write(f"    {name}: {value}\n")
        if decision.action == "respond":
            assert decision.status is not None
            out.write(f"  corecors answers it at once\n    HTTP {status_text(decision.status)}\n")
            for name, value in decision.headers:
                out.write(f"    {name}: {value}\n")
        else:
            out.write("  corecors leaves it to your application and adds nothing\n")
        out.write(f"\nVerdict\n  {verdict}" + (f"; fix: {fix}" if fix else "") + "\n")
    return EXIT_OK if allowed else EXIT_REFUSED
