"""decide(): the pure, total CORS decision for one request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._compiled import MAX_CACHED_REQUEST_HEADERS_LENGTH, MAX_METHOD_LENGTH
from ._config import Config
from ._decision import Decision
from ._model import Request
from ._origins import MAX_ORIGIN_LENGTH
from ._policy import Policy

__all__ = ["decide", "decide_cgi"]


def decide(request: Request, config: Config | Policy) -> Decision:
    """Decide how to answer *request* under *config*. Pure; never raises.

    >>> from corecors import Config, Request, decide
    >>> config = Config(allow_origins=["https://app.example.com"], allow_methods=["PUT"])
    >>> d = decide(Request("OPTIONS", origin="https://app.example.com",
    ...                    request_method="PUT"), config)
    >>> d.kind, d.allowed, d.status
    ('preflight', True, 204)
    >>> decide(Request("GET", origin="https://evil.example"), config).reasons
    ('origin_not_allowed',)
    """
    c = config._c
    if request.websocket:
        # RFC 6455 handshakes are not CORS; check_websocket_origin opts in
        # to refusing those whose Origin the policy does not allow.
        if c.ws_check:
            return c.websocket(request.origin)
        # A report-only trial's gate checks nothing itself: both configs decide.
        trial = c.trial
        return c.untouched_ws if trial is None else trial.decide(request, decide)
    if not c.enabled:
        # A report-only trial's gate says "not enabled", so that a config
        # without a trial pays nothing for the feature: see corecors._trial.
        trial = c.trial
        return c.disabled if trial is None else trial.decide(request, decide)
    origin = request.origin
    if origin is None:
        return c.no_origin
    # The origin's verdict for an actual request; its table remembers every
    # origin's verdict, so a repeat is one dict lookup. The length is checked
    # first, so that no over-long value is ever hashed.
    verdict = (
        c.actual.get(origin) or c.actual_for(origin)
        if len(origin) <= MAX_ORIGIN_LENGTH
        else c.oversized
    )
    # Fetch, "CORS-preflight request": an OPTIONS request carrying Origin and
    # Access-Control-Request-Method. Any other OPTIONS is an ordinary request.
    method = request.request_method
    if method is None or request.method != "OPTIONS":
        return verdict

    reasons: list[str] = []
    if not verdict.allowed:
        reasons.append(verdict.reasons[0])
    if len(method) > MAX_METHOD_LENGTH or method not in c.methods:
        reason = c.unlisted_method_reason(method)
        if reason is not None:
            reasons.append(reason)
    names: tuple[str, ...] = ()
    raw = request.request_headers
    if raw is not None:
        known = (
            c.checked_headers.get(raw) if len(raw) <= MAX_CACHED_REQUEST_HEADERS_LENGTH else None
        )
        reason, names = known or c.check_headers(raw)
        if reason is not None:
            reasons.append(reason)
    # Private Network Access: answer "Access-Control-Request-Private-Network:
    # true" only when the config opts in and the origin is allowed. (On hold
    # in Chrome since October 2024; Local Network Access, its successor, is a
    # permission prompt that needs no server header. Kept for the browsers
    # that still send this preflight.)
    pna = request.private_network is True
    if pna and not c.pna:
        reasons.append("private_network_not_allowed")
    if reasons:
        refusal = tuple(reasons)
        return c.refused.get(refusal) or c.preflight_refused(refusal)
    cached = c.preflight_exact.get((origin, pna))
    if cached is not None:
        return cached
    return c.preflight_allowed_cached(origin, method, names, pna)


def decide_cgi(environ: Mapping[str, Any], config: Config | Policy) -> Decision:
    """:func:`decide` for CGI-style variables, such as a WSGI environ.

    The same answer as ``decide(Request.from_cgi(environ), config)``, without
    building the :class:`Request` for the common requests (no Origin, or an
    Origin on anything but ``OPTIONS``). Adapters for WSGI servers call this.

    >>> from corecors import Config, decide_cgi
    >>> config = Config(allow_origins=["https://app.example.com"])
    >>> decide_cgi({"REQUEST_METHOD": "GET", "HTTP_ORIGIN": "https://app.example.com"},
    ...            config).allowed
    True
    """
    # The fewest steps for the usual requests: this runs inside every
    # request of a WSGI app, where each step costs more than in a loop.
    c = config._c
    if c.enabled and "HTTP_UPGRADE" not in environ:
        origin = environ.get("HTTP_ORIGIN")
        if origin is None:
            return c.no_origin
        if environ["REQUEST_METHOD"] != "OPTIONS":
            if len(origin) > MAX_ORIGIN_LENGTH:
                return c.oversized
            return c.actual.get(origin) or c.actual_for(origin)
    return decide(Request.from_cgi(environ), config)
