"""The fast form of a Config: what decide() reads on every request.

Everything that does not depend on the request is computed here once:
lookup sets, header values, and whole Decisions for the common answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ._fetch import SAFELISTED_METHODS
from ._model import Decision, Header, Request
from ._options import Options
from ._origins import OriginMatcher
from ._syntax import TOKEN

# Bounds on what one request may ask for. Browsers send a few lower-case
# names without spaces; anything far beyond is refused without being read.
MAX_METHOD_LENGTH = 64
MAX_REQUEST_HEADERS_LENGTH = 4096
MAX_REQUEST_HEADERS_NAMES = 64

# Bounds on the memo tables below. A flood of distinct request values
# cannot grow them, and cannot push out the values seen again and again
# (see actual_for).
MAX_CACHED = 1024
MAX_CACHED_REQUEST_HEADERS_LENGTH = 256


ACAO = "Access-Control-Allow-Origin"
ACAC = ("Access-Control-Allow-Credentials", "true")
ACAPN = ("Access-Control-Allow-Private-Network", "true")
NO_BODY = ("Content-Length", "0")


def _not_cors(reason: str, vary: tuple[str, ...], untouched: bool = False) -> Decision:
    return Decision("not_cors", False, (reason,), False, None, (), vary, untouched)


class Trial(Protocol):
    """What decide() hands a request to when a report-only trial runs.

    decide() passes itself along, so that the trial (a layer above the
    Config) needs no import of it.
    """

    def decide(self, request: Request, decide: Callable[[Request, Any], Decision]) -> Decision: ...


class Compiled:
    __slots__ = (
        "acah",
        "acam",
        "actual",
        "actual_denied",
        "actual_limit",
        "actual_malformed",
        "allowed_tail",
        "any_header",
        "any_method",
        "any_origin",
        "checked_headers",
        "credentials",
        "disabled",
        "echo_headers",
        "echo_method",
        "enabled",
        "exact",
        "failure_status",
        "headers",
        "matcher",
        "max_age",
        "methods",
        "no_origin",
        "oversized",
        "passthrough",
        "permanent",
        "pna",
        "preflight_cache",
        "preflight_exact",
        "preflight_vary",
        "preflight_vary_value",
        "probation",
        "refused",
        "static_actual",
        "status",
        "trial",
        "untouched_ws",
        "vary",
    )

    def __init__(self, config: Options) -> None:
        # A report-only trial (corecors._trial) puts a gate here; see decide().
        self.trial: Trial | None = None
        self.enabled = config.enabled
        self.credentials = credentials = config.allow_credentials
        self.any_origin = any_origin = config.any_origin
        self.exact = exact = frozenset(config.exact)
        self.matcher = OriginMatcher(exact, config.patterns, config.regex_domains)
        self.passthrough = config.preflight_passthrough
        self.pna = config.allow_private_network
        self.status = config.preflight_status
        self.failure_status = config.preflight_failure_status

        # Fetch, "CORS protocol and HTTP caches": a response that depends on
        # Origin must say so with Vary, or a shared cache serves one origin's
        # answer to another. A static '*' answer does not depend on it.
        static = any_origin
        self.vary = vary = () if static else ("Origin",)
        self.preflight_vary = (
            *vary,
            "Access-Control-Request-Method",
            "Access-Control-Request-Headers",
            "Access-Control-Request-Private-Network",
        )
        self.preflight_vary_value = ", ".join(self.preflight_vary)

        self.untouched_ws = _not_cors("websocket", (), untouched=True)
        self.disabled = _not_cors("disabled", (), untouched=True)
        self.actual_denied = Decision(
            "actual", False, ("origin_not_allowed",), False, None, (), vary
        )
        self.actual_malformed = Decision(
            "actual", False, ("origin_malformed",), False, None, (), vary
        )

        # Headers every allowed response carries after the ACAO line.
        tail: list[Header] = []
        if credentials:
            tail.append(ACAC)
        if config.expose_headers:
            tail.append(("Access-Control-Expose-Headers", ", ".join(config.expose_headers)))
        self.allowed_tail = tuple(tail)
        # Fetch, "CORS protocol and HTTP caches": a resource that answers '*'
        # should send it "for non-CORS requests as well as CORS requests", so
        # that a cached origin-less answer still serves a cross-origin fetch.
        # Any other config's answer depends on Origin: Vary says so.
        self.no_origin = Decision(
            "not_cors",
            False,
            ("no_origin",),
            False,
            None,
            ((ACAO, "*"), *tail) if static else (),
            vary,
        )
        self.static_actual: Decision | None = (
            Decision("actual", True, (), False, None, ((ACAO, "*"), *tail), ()) if static else None
        )
        # An Origin longer than any a browser sends: '*' still covers it.
        self.oversized = self.static_actual or self.actual_malformed

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

        # Memo tables: every entry is a pure function of the immutable config
        # and its key, so a hit returns exactly what computing would.
        self.checked_headers: dict[str, tuple[str | None, tuple[str, ...]]] = {}
        self.refused: dict[tuple[str, ...], Decision] = {}
        self.preflight_cache: dict[tuple[str, str, tuple[str, ...], bool], Decision] = {}
        # Origin -> Decision for actual requests: listed origins now, any
        # other once it has been matched (see actual_for). A hit is one
        # lookup in a plain dict.
        self.actual: dict[str, Decision] = {}
        self.probation: dict[str, Decision] = {}
        self.actual_limit = len(exact) + MAX_CACHED
        self.preflight_exact: dict[tuple[str, bool], Decision] = {}
        # With '*' every origin gets the static answer, listed or not: an
        # echoed origin without Vary: Origin would poison shared caches.
        for origin in () if static else exact:
            self.actual[origin] = Decision(
                "actual", True, (), False, None, ((ACAO, origin), *tail), vary
            )
            if not (self.echo_method or self.echo_headers):
                for pna in (False, True) if self.pna else (False,):
                    self.preflight_exact[origin, pna] = self.preflight_allowed(origin, "", (), pna)
        # What actual_for() falls back to when the remembered table is full.
        self.permanent = dict(self.actual)

    # -- origins -----------------------------------------------------------

    def origin_reason(self, origin: str) -> str | None:
        """None if *origin* is allowed, else the reason code."""
        if self.any_origin or origin in self.exact:
            return None
        matcher = self.matcher
        if not matcher.well_formed(origin):
            return "origin_malformed"
        return None if matcher.allows(origin) else "origin_not_allowed"

    def actual_for(self, origin: str) -> Decision:
        """The decision for an actual request whose origin is not in self.actual."""
        # Two tables, so that a scan cannot push out the origins in real use
        # (a segmented cache): an origin seen once waits in self.probation;
        # seen again, it moves to self.actual, where decide() finds it in
        # one lookup. A flood of one-off origins only churns probation. If
        # self.actual fills up, it starts again from the listed origins, and
        # the origins in use come back after two requests each. Every entry
        # is a pure function of the immutable config and its key, and each
        # table is replaced by one assignment, so no lock is needed.
        decision = self.probation.get(origin)
        if decision is not None:
            if len(self.actual) >= self.actual_limit:
                self.actual = dict(self.permanent)
            self.actual[origin] = decision
            return decision
        reason = self.origin_reason(origin)
        if reason is None:
            decision = self.static_actual or Decision(
                "actual", True, (), False, None, ((ACAO, origin), *self.allowed_tail), self.vary
            )
        elif reason == "origin_malformed":
            decision = self.actual_malformed
        else:
            decision = self.actual_denied
        # decide() never passes an over-long origin, so every key is bounded.
        if len(self.probation) >= MAX_CACHED:
            self.probation = {}
        self.probation[origin] = decision
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

    def preflight_allowed_cached(
        self, origin: str, method: str, names: tuple[str, ...], pna: bool
    ) -> Decision:
        """:meth:`preflight_allowed`, remembered by what the answer depends on."""
        key = (
            "*" if self.any_origin else origin,
            method if self.echo_method else "",
            names if self.echo_headers else (),
            pna,
        )
        decision = self.preflight_cache.get(key)
        if decision is None:
            decision = self.preflight_allowed(origin, method, names, pna)
            if len(self.preflight_cache) < MAX_CACHED:
                self.preflight_cache[key] = decision
        return decision

    def preflight_refused(self, reasons: tuple[str, ...]) -> Decision:
        # A refused preflight discloses nothing of the policy: no CORS headers.
        # Reason codes come from a small fixed set, so this table stays small.
        # decide() looks in self.refused first; what is stored here is found
        # there next time.
        headers = (("Vary", self.preflight_vary_value), NO_BODY)
        decision = Decision(
            "preflight", False, reasons, True, self.failure_status, headers, self.preflight_vary
        )
        self.refused[reasons] = decision
        return decision

    def unlisted_method_reason(self, method: str) -> str | None:
        """The reason code for a requested method not in self.methods, or None."""
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
        # Browsers send the same short list again and again: remember it
        # (decide() looks in self.checked_headers before calling this).
        checked = self._check_header_names(raw)
        if len(raw) <= MAX_CACHED_REQUEST_HEADERS_LENGTH and len(self.checked_headers) < MAX_CACHED:
            self.checked_headers[raw] = checked
        return checked

    def _check_header_names(self, raw: str) -> tuple[str | None, tuple[str, ...]]:
        names: list[str] = []
        allowed = self.headers
        for item in raw.split(","):
            # A comma list element with optional whitespace; empty ones are
            # tolerated (RFC 9110, 5.6.1).
            name = item.strip(" \t")
            # Fetch lower-cases ASCII only: a non-ASCII name must not fold
            # into a listed one (the Kelvin sign K lower-cases to "k").
            name = name.lower() if name.isascii() else name
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
