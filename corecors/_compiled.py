"""The fast form of a Config: what decide() reads on every request.

Everything that does not depend on the request is computed here once:
lookup sets, header values, and whole Decisions for the common answers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ._model import Decision, Header
from ._syntax import ORIGIN_VALUE, TOKEN, Origin

if TYPE_CHECKING:
    from ._config import Config

# Bounds on what one request may ask for. Browsers send a few lower-case
# names without spaces; anything far beyond is refused without being read.
MAX_ORIGIN_LENGTH = 2048
MAX_METHOD_LENGTH = 64
MAX_REQUEST_HEADERS_LENGTH = 4096
MAX_REQUEST_HEADERS_NAMES = 64

# Fetch, "CORS-safelisted method": GET, HEAD, POST. A browser that asks
# about one of these needs no Access-Control-Allow-Methods to cover it.
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})

ACAO = "Access-Control-Allow-Origin"
ACAC = ("Access-Control-Allow-Credentials", "true")
ACAPN = ("Access-Control-Allow-Private-Network", "true")
NO_BODY = ("Content-Length", "0")


def _not_cors(reason: str, vary: tuple[str, ...], untouched: bool = False) -> Decision:
    return Decision("not_cors", False, (reason,), False, None, (), vary, untouched)


class _ActualTable(dict[str, Decision]):
    """Origin -> Decision for actual requests; misses go to the matcher."""

    __slots__ = ("_c",)

    def __init__(self, compiled: Compiled) -> None:
        super().__init__()
        self._c = compiled

    def __missing__(self, origin: str) -> Decision:
        return self._c.actual_for(origin)


class Compiled:
    __slots__ = (
        "enabled", "untouched_ws", "disabled", "no_origin", "actual", "exact",
        "pattern", "regexes", "any_origin", "actual_denied", "actual_malformed",
        "static_actual", "credentials", "allowed_tail", "methods", "any_method",
        "echo_method", "headers", "any_header", "echo_headers",
        "acam", "acah", "max_age", "pna", "passthrough", "status", "failure_status",
        "preflight_vary", "preflight_vary_value", "preflight_exact", "vary",
        "cache",
    )

    def __init__(
        self, config: Config, exact: frozenset[str], patterns: list[Origin], any_origin: bool
    ) -> None:
        self.enabled = config.enabled
        self.credentials = credentials = config.allow_credentials
        self.any_origin = any_origin
        self.exact = exact
        self.pattern = (
            re.compile("|".join(f"(?:{p.regex()})" for p in patterns)) if patterns else None
        )
        self.regexes = config.allow_origin_regexes
        self.passthrough = config.preflight_passthrough
        self.pna = config.allow_private_network
        self.status = config.preflight_status
        self.failure_status = config.preflight_failure_status

        # Fetch, "CORS protocol and HTTP caches": a response that depends on
        # Origin must say so with Vary, or a shared cache serves one origin's
        # answer to another. A static '*' answer does not depend on it.
        static = any_origin
        self.vary = vary = () if static else ("Origin",)
        self.preflight_vary = vary + (
            "Access-Control-Request-Method",
            "Access-Control-Request-Headers",
            "Access-Control-Request-Private-Network",
        )
        self.preflight_vary_value = ", ".join(self.preflight_vary)

        self.untouched_ws = _not_cors("websocket", (), untouched=True)
        self.disabled = _not_cors("disabled", (), untouched=True)
        self.no_origin = _not_cors("no_origin", vary)
        self.actual_denied = Decision("actual", False, ("origin_not_allowed",), False, None, (), vary)
        self.actual_malformed = Decision("actual", False, ("origin_malformed",), False, None, (), vary)

        # Headers every allowed response carries after the ACAO line.
        tail: list[Header] = []
        if credentials:
            tail.append(ACAC)
        if config.expose_headers:
            tail.append(("Access-Control-Expose-Headers", ", ".join(config.expose_headers)))
        self.allowed_tail = tuple(tail)
        self.static_actual = (
            Decision("actual", True, (), False, None, ((ACAO, "*"), *tail), ())
            if static else None
        )

        methods = config.allow_methods
        self.any_method = "*" in methods
        self.methods = SAFELISTED_METHODS | frozenset(m for m in methods if m != "*")
        # With credentials a '*' is the literal method name '*' to the
        # browser (Fetch, CORS-preflight fetch step 7), so name the method.
        self.echo_method = self.any_method and credentials
        if self.echo_method:
            self.acam = None
        elif self.any_method:
            self.acam = "*"
        else:
            self.acam = ", ".join(methods) or None

        headers = config.allow_headers
        self.any_header = "*" in headers
        self.headers = frozenset(h.lower() for h in headers if h != "*")
        self.echo_headers = self.any_header and credentials
        if self.echo_headers:
            self.acah = None
        elif self.any_header:
            # '*' covers every name except Authorization, which must be named.
            self.acah = "*, Authorization" if "authorization" in self.headers else "*"
        else:
            self.acah = ", ".join(headers) or None

        self.max_age = None if config.max_age == -1 else str(config.max_age)

        self.cache: dict[str, Decision] = {}
        self.actual = _ActualTable(self)
        self.preflight_exact: dict[tuple[str, bool], Decision] = {}
        for origin in exact:
            self.actual[origin] = Decision(
                "actual", True, (), False, None, ((ACAO, origin), *tail), vary
            )
            if not (self.echo_method or self.echo_headers):
                for pna in (False, True) if self.pna else (False,):
                    self.preflight_exact[origin, pna] = self.preflight_allowed(
                        origin, "", (), pna
                    )

    # -- origins -----------------------------------------------------------

    def origin_reason(self, origin: str) -> str | None:
        """None if *origin* is allowed, else the reason code."""
        if self.any_origin or origin in self.exact:
            return None
        if len(origin) > MAX_ORIGIN_LENGTH or ORIGIN_VALUE.fullmatch(origin) is None:
            return "origin_malformed"
        if self.pattern is not None and self.pattern.fullmatch(origin):
            return None
        for rx in self.regexes:
            if rx.fullmatch(origin):
                return None
        return "origin_not_allowed"

    def actual_for(self, origin: str) -> Decision:
        """The decision for an actual request whose origin is not listed exactly."""
        if self.static_actual is not None:
            return self.static_actual
        cached = self.cache.get(origin)
        if cached is not None:
            return cached
        reason = self.origin_reason(origin)
        if reason == "origin_malformed":
            return self.actual_malformed
        if reason is not None:
            return self.actual_denied
        decision = Decision(
            "actual", True, (), False, None, ((ACAO, origin), *self.allowed_tail), self.vary
        )
        if len(self.cache) < 1024:  # bounded: a flood of origins cannot grow it
            self.cache[origin] = decision
        return decision

    # -- preflights --------------------------------------------------------

    def preflight_allowed(
        self, origin: str, method: str, names: tuple[str, ...], pna: bool
    ) -> Decision:
        headers: list[Header] = [(ACAO, "*" if self.any_origin else origin)]
        if self.credentials:
            headers.append(ACAC)
        acam = method if self.echo_method else self.acam
        if acam:
            headers.append(("Access-Control-Allow-Methods", acam))
        acah = ", ".join(names) if self.echo_headers else self.acah
        if acah:
            headers.append(("Access-Control-Allow-Headers", acah))
        if self.max_age is not None:
            headers.append(("Access-Control-Max-Age", self.max_age))
        if pna:
            headers.append(ACAPN)
        if self.passthrough:
            return Decision("preflight", True, (), False, None, tuple(headers), self.preflight_vary)
        headers.append(("Vary", self.preflight_vary_value))
        if self.status != 204:
            headers.append(NO_BODY)
        return Decision(
            "preflight", True, (), True, self.status, tuple(headers), self.preflight_vary
        )

    def preflight_refused(self, reasons: tuple[str, ...]) -> Decision:
        # A refused preflight discloses nothing of the policy: no CORS headers.
        return Decision(
            "preflight", False, reasons, True, self.failure_status,
            (("Vary", self.preflight_vary_value), NO_BODY), self.preflight_vary,
        )

    def check_method(self, method: str) -> str | None:
        if method in self.methods:
            return None
        # Fetch compares methods byte for byte: "patch" is not "PATCH".
        if len(method) > MAX_METHOD_LENGTH or TOKEN.fullmatch(method) is None:
            return "method_malformed"
        return None if self.any_method else "method_not_allowed"

    def check_headers(self, raw: str) -> tuple[str | None, tuple[str, ...]]:
        """Parse Access-Control-Request-Headers in bounded time and memory."""
        # Refuse oversized input by its length and comma count alone, both
        # bounded, before anything is split or copied.
        if len(raw) > MAX_REQUEST_HEADERS_LENGTH:
            return "headers_over_limit", ()
        if raw.count(",") >= MAX_REQUEST_HEADERS_NAMES:
            return "headers_over_limit", ()
        names: list[str] = []
        allowed = self.headers
        for item in raw.split(","):
            # A comma list element with optional whitespace; empty ones are
            # tolerated (RFC 9110, 5.6.1).
            name = item.strip(" \t").lower()
            if not name:
                continue
            if name not in allowed:
                if TOKEN.fullmatch(name) is None:
                    return "headers_malformed", ()
                if not self.any_header:
                    return "headers_not_allowed", ()
                if name == "authorization":
                    return "authorization_not_covered", ()
            names.append(name)
        return None, tuple(names)
