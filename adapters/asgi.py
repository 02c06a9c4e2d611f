"""ASGI middleware: corecors in front of any ASGI 3 application.

.. code-block:: python

    from corecors import Config
    from corecors.adapters.asgi import CORSMiddleware

    config = Config(allow_origins=["https://app.example.com"], allow_methods=["GET", "PUT"])
    app = CORSMiddleware(app, config)

The twin of :class:`corecors.adapters.wsgi.CORSMiddleware` for Starlette,
FastAPI, Quart, Django under ASGI and any other ASGI 3 application. It
needs nothing outside the standard library.

Only ``http`` scopes are looked at: ``websocket`` and ``lifespan`` scopes go
to the application untouched, unless the config has
``check_websocket_origin=True``. Then a ``websocket`` scope whose ``Origin``
the origin rules do not allow never reaches the application: the middleware
takes the ``websocket.connect`` message and refuses the handshake before any
accept, with the core's ``403`` response through the ASGI
``websocket.http.response`` extension where the server offers it (uvicorn
with ``websockets``), else with ``websocket.close`` code ``1008``, which
servers answer with ``403``. An allowed handshake, or one without
``Origin``, goes to the application untouched. The middleware answers preflights itself (or,
with ``preflight_passthrough``, passes a valid one on to the application and
adds the preflight headers to its response). For every other request it
calls the application and, as ``http.response.start`` goes out, drops any
``Access-Control-*`` headers the application set, merges ``Vary`` and adds
the decision's headers (:meth:`corecors.Decision.apply`). Body messages go
out one by one as the application sends them, so streaming responses and
server-sent events stream.

Wrap the application object the server runs, so that the responses of the
framework's own outermost error handling (Starlette's
``ServerErrorMiddleware``) pass through the middleware too. If the
application raises before it has started a response, the middleware follows
the core's rule (:func:`corecors.error_answer`): for an allowed CORS request
it answers ``500`` with the CORS headers a success would have had; then, for
every request, it re-raises the exception so that the server logs the
traceback. With ``propagate_exceptions=True`` it re-raises without answering.

The decision is left in ``scope["corecors.decision"]`` for the application
(ASGI scopes may carry extra keys; ``scope["state"]`` is left alone, as
frameworks share that dict between requests).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from corecors import (
    Config,
    Decision,
    Policy,
    Request,
    decide,
    error_answer,
)
from corecors.adapters._middleware import Middleware

__all__ = ["SCOPE_KEY", "CORSMiddleware"]

#: Where the middleware leaves the :class:`~corecors.Decision` in the scope.
SCOPE_KEY = "corecors.decision"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Any ASGI 3 application, ``await app(scope, receive, send)``. Frameworks
# type the three differently (TypedDicts, dicts, mappings), so the
# application's own parameter types are not checked against ours.
ASGIApp = Callable[..., Awaitable[None]]

_from_asgi = Request.from_asgi


class CORSMiddleware(Middleware["ASGIApp"]):
    """Wrap an ASGI 3 application with the CORS policy *config*.

    :param app: the ASGI application to protect. Wrap the outermost
        application object, so that the middleware sees every response.
    :param config: a :class:`corecors.Config` or :class:`corecors.Policy`;
        or give the options as keywords instead
        (``app.add_middleware(CORSMiddleware, allow_origins=[...])``).
    :param propagate_exceptions: when the application raises before it has
        started a response, re-raise at once (for an error handler or a
        debugger outside this middleware) instead of first answering
        ``500`` with the CORS headers the browser needs to read the error
        (an allowed CORS request only: :func:`corecors.error_answer`).
        The exception is re-raised either way, for the server to log.
    """

    __slots__ = ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # This runs on every request: keep it to the decision, one closure
        # and the header rewrite (see docs/performance.md before adding to it).
        if scope["type"] != "http":  # websocket, lifespan: not CORS
            if scope["type"] == "websocket" and _checks_websockets(self.config):
                await self._websocket(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        decision = decide(_from_asgi(scope["method"], scope["headers"]), self.config)
        scope[SCOPE_KEY] = decision
        action = decision.action
        if action != "forward":
            if action == "respond":
                headers = decision.raw_headers
                await send(
                    {"type": "http.response.start", "status": decision.status, "headers": headers}
                )
                await send({"type": "http.response.body", "body": b""})
                return
            await self.app(scope, receive, send)  # "pass"
            return
        started = False

        async def cors_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                # The message is the application's to give away: rewritten
                # in place, not copied.
                message["headers"] = decision.apply_raw(message.get("headers", ()))
            await send(message)

        try:
            await self.app(scope, receive, cors_send)
        except Exception:
            # The core's rule (corecors.error_answer): before any response,
            # an allowed CORS request gets a 500 the browser can read.
            answer = None if started or self.propagate_exceptions else error_answer(decision)
            if answer is not None:
                await send(
                    {
                        "type": "http.response.start",
                        "status": answer.status,
                        "headers": answer.raw_headers,
                    }
                )
                await send({"type": "http.response.body", "body": answer.body})
            # ASGI servers log what the application raises (and, once a
            # response is complete, send nothing more): re-raise for them.
            raise

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A handshake under check_websocket_origin: the core decides."""
        decision = decide(_from_asgi("GET", scope["headers"], websocket=True), self.config)
        scope[SCOPE_KEY] = decision
        if decision.action != "respond":
            await self.app(scope, receive, send)
            return
        message = await receive()
        if message["type"] != "websocket.connect":
            return  # the client left before the handshake was answered
        await refuse_handshake(scope, send, decision)


def _checks_websockets(config: Config | Policy) -> bool:
    return (config.config if isinstance(config, Policy) else config).check_websocket_origin


async def refuse_handshake(scope: Scope, send: Send, decision: Decision) -> None:
    """Refuse a WebSocket handshake before accepting it, as *decision* says."""
    if "websocket.http.response" in (scope.get("extensions") or {}):
        # The ASGI denial response: the core's status and headers exactly.
        await send(
            {
                "type": "websocket.http.response.start",
                "status": decision.status,
                "headers": decision.raw_headers,
            }
        )
        await send({"type": "websocket.http.response.body", "body": b""})
        return
    # ASGI: a close before accept is answered "HTTP 403"; 1008 is RFC 6455's
    # "policy violation", for servers that log it.
    await send({"type": "websocket.close", "code": 1008})
