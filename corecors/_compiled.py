"""The fast form of a Config: what decide() reads on every request.

Everything that does not depend on the request is computed here once:
lookup sets, header values, and whole Decisions for the common answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from ._decision import Decision, _make
from ._fetch import SAFELISTED_METHODS
from ._model import Header, Request
from ._options import Options
from ._origins import MAX_ORIGIN_LENGTH, OriginMatcher
from ._syntax import TOKEN

# Bounds on what one request may ask for. Browsers send a few lower-case
# names without spaces; anything far beyond is refused without being read.
MAX_METHOD_LENGTH = 64
MAX_REQUEST_HEADERS_LENGTH = 4096
# Names read one by one, against an explicit list or to be echoed: at most
# this many, or as many as the list holds if it holds more (more names than
# the list holds cannot all be listed).
MAX_REQUEST_HEADERS_NAMES = 64
# allow_headers="*" without credentials answers '*' whatever the names, so
# their number is not limited: the value is scanned once, by two regexes in
# linear time, up to this length (gunicorn's default field limit is 8190
# bytes and nginx's default header buffer 8 KB, so a value longer than this
# rarely reaches an application at all).
MAX_WILDCARD_REQUEST_HEADERS_LENGTH = 8192

# The wildcard scan. Something that is not a comma list of tokens: a
# character outside tchar, comma, space and tab, or two tokens with only
# whitespace between them. Each alternative backtracks at most over one run
# of whitespace, so the search is linear in the value's length.
_TCHAR = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
_NOT_A_NAME_LIST = re.compile(rf"[^!#$%&'*+\-.^_`|~0-9A-Za-z \t,]|{_TCHAR}[ \t]+{_TCHAR}")
# Authorization as one element of the list, in any ASCII case (Fetch
# lower-cases ASCII bytes only; re.ASCII keeps "K" and the like out).
_AUTHORIZATION = re.compile(r"(?:^|[ \t,])authorization(?=[ \t,]|\Z)", re.IGNORECASE | re.ASCII)

# Bounds on the memo tables below. A flood of distinct request values
# cannot grow them, and cannot push out the values seen again and again
# (see actual_for).
MAX_CACHED = 1024
MAX_CACHED_REQUEST_HEADERS_LENGTH = 256


ACAO = "Access-Control-Allow-Origin"
ACAC = ("Access-Control-Allow-Credentials", "true")
ACAPN = ("Access-Control-Allow-Private-Network", "true")
NO_BODY = ("Content-Length", "0")
#: With debug_refusals, the reason codes of a refusal (never a request value).
REFUSAL = "Corecors-Refusal"
#: The status a refused WebSocket handshake is answered with.
WEBSOCKET_REFUSED_STATUS = 403


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
        "debug",
        "disabled",
        "echo_headers",
        "echo_method",
        "enabled",
        "exact",
        "failure_status",
        "fixed_preflight",
        "headers",
        "headers_limit",
        "matcher",
        "max_age",
        "methods",
        "no_origin",
        "oversized",
        "passthrough",
        "pna",
        "preflight_cache",
        "preflight_exact",
        "preflight_vary",
        "preflight_vary_value",
        "probation",
        "refused",
        "static_actual",
        "static_headers",
        "status",
        "trial",
        "untouched_ws",
        "vary",
        "ws_check",
        "ws_denied",
        "ws_malformed",
    )

    # Decisions made while a request waits (an origin or a preflight not
    # seen before) are made by _model._make, the function behind
    # Decision.answer and Decision.forward, without their extra frame.

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

        # debug_refusals: every refusal names its reasons in one header. The
        # refusal Decisions below are built once, so the header costs nothing
        # per request.
        self.debug = config.debug_refusals

        self.untouched_ws = Decision.let_pass(("websocket",))
        self.disabled = Decision.let_pass(("disabled",))
        denied, malformed = ("origin_not_allowed",), ("origin_malformed",)
        self.actual_denied = Decision.forward("actual", False, denied, self.refusal(denied), vary)
        self.actual_malformed = Decision.forward(
            "actual", False, malformed, self.refusal(malformed), vary
        )

        # check_websocket_origin: a handshake whose Origin the origin rules do
        # not allow is refused before the application sees it (cross-site
        # WebSocket hijacking); CORS itself does not cover WebSockets.
        self.ws_check = config.check_websocket_origin and config.enabled
        self.ws_denied = self.websocket_refused(("websocket_origin_not_allowed",))
        self.ws_malformed = self.websocket_refused(
            ("websocket_origin_not_allowed", "origin_malformed")
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
        self.no_origin = Decision.forward(
            "not_cors", False, ("no_origin",), ((ACAO, "*"), *tail) if static else (), vary
        )
        self.static_actual: Decision | None = (
            Decision.forward("actual", True, (), ((ACAO, "*"), *tail), ()) if static else None
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
        # '*' without credentials: the answer is the same for any names.
        self.static_headers = self.any_header and not credentials
        self.headers_limit = max(MAX_REQUEST_HEADERS_NAMES, len(self.headers))
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
        # Origin -> Decision for actual requests: a listed origin from its
        # first request, any other once it has been seen twice (see
        # actual_for). A hit is one lookup in a plain dict.
        self.actual: dict[str, Decision] = {}
        self.probation: dict[str, Decision] = {}
        self.actual_limit = len(exact) + MAX_CACHED
        self.preflight_exact: dict[tuple[str, bool], Decision] = {}
        # With '*' every origin gets the static answer, listed or not: an
        # echoed origin without Vary: Origin would poison shared caches.
        # A listed origin's preflight answer, when it depends on nothing else,
        # is made at its first preflight (see preflight_allowed_cached), so
        # that a build costs one Decision per origin.
        self.fixed_preflight = not (self.echo_method or self.echo_headers)

    # -- origins -----------------------------------------------------------

    def actual_for(self, origin: str) -> Decision:
        """The decision for an actual request whose origin is not in self.actual."""
        # Two tables, so that a scan cannot push out the origins in real use
        # (a segmented cache): an origin seen once waits in self.probation;
        # seen again, it moves to self.actual, where decide() finds it in
        # one lookup. A flood of one-off origins only churns probation. If
        # self.actual fills up, it starts again empty: listed origins come
        # back at their next request, others after two requests each. Every entry
        # is a pure function of the immutable config and its key, and each
        # table is replaced by one assignment, so no lock is needed.
        decision = self.probation.get(origin)
        if decision is None and origin in self.exact and not self.any_origin:
            # A listed origin's decision is made at its first request (a build
            # of 100,000 origins makes none) and kept at once.
            decision = self.allowed_for(origin)
        if decision is not None:
            if len(self.actual) >= self.actual_limit:
                self.actual = {}
            self.actual[origin] = decision
            return decision
        # Not listed (that was looked at above): the patterns and regexes.
        reason = None if self.any_origin else self.matcher.verdict(origin)
        if reason is None:
            decision = self.static_actual or self.allowed_for(origin)
        elif reason == "origin_malformed":
            decision = self.actual_malformed
        else:
            decision = self.actual_denied
        # decide() never passes an over-long origin, so every key is bounded.
        if len(self.probation) >= MAX_CACHED:
            self.probation = {}
        self.probation[origin] = decision
        return decision

    def allowed_for(self, origin: str) -> Decision:
        """An allowed actual request's decision: *origin* echoed."""
        headers = ((ACAO, origin), *self.allowed_tail)
        return _make("forward", "actual", True, (), None, headers, self.vary)

    def refusal(self, reasons: tuple[str, ...]) -> tuple[Header, ...]:
        """The debug_refusals header for a refusal, or nothing."""
        # Reason codes only: never a value from the request.
        return ((REFUSAL, ", ".join(reasons)),) if self.debug else ()

    # -- WebSocket handshakes ----------------------------------------------

    def websocket_refused(self, reasons: tuple[str, ...]) -> Decision:
        headers = (("Vary", "Origin"), NO_BODY, *self.refusal(reasons))
        return Decision.answer(
            "not_cors", False, reasons, WEBSOCKET_REFUSED_STATUS, headers, ("Origin",)
        )

    def websocket(self, origin: str | None) -> Decision:
        """The decision for a WebSocket handshake under check_websocket_origin."""
        # A handshake without Origin comes from no browser (RFC 6455, 10.2:
        # the Origin header protects against browsers' scripts), so it passes.
        if origin is None:
            return self.untouched_ws
        # The same verdict, and the same memo tables, as an actual request's.
        verdict = (
            self.actual.get(origin) or self.actual_for(origin)
            if len(origin) <= MAX_ORIGIN_LENGTH
            else self.oversized
        )
        if verdict.allowed:
            return self.untouched_ws
        return self.ws_malformed if verdict is self.actual_malformed else self.ws_denied

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
            # The application answers a valid preflight; these headers are
            # added to its answer.
            return Decision.forward("preflight", True, (), tuple(headers), self.preflight_vary)
        headers.append(("Vary", self.preflight_vary_value))
        if self.status != 204:
            headers.append(NO_BODY)
        return _make(
            "respond", "preflight", True, (), self.status, tuple(headers), self.preflight_vary
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
            if self.fixed_preflight and origin in self.exact:
                # Bounded by the listed origins; decide() looks here first.
                self.preflight_exact[origin, pna] = decision
            elif len(self.preflight_cache) < MAX_CACHED:
                self.preflight_cache[key] = decision
        return decision

    def preflight_refused(self, reasons: tuple[str, ...]) -> Decision:
        # A refused preflight discloses nothing of the policy: no CORS headers.
        # Reason codes come from a small fixed set, so this table stays small.
        # decide() looks in self.refused first; what is stored here is found
        # there next time.
        headers = (("Vary", self.preflight_vary_value), NO_BODY, *self.refusal(reasons))
        decision = _make(
            "respond",
            "preflight",
            False,
            reasons,
            self.failure_status,
            headers,
            self.preflight_vary,
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
        if self.static_headers:
            # Fetch: '*' covers any number of names but Authorization. Only
            # the value's length is bounded; it is never split or copied.
            if len(raw) > MAX_WILDCARD_REQUEST_HEADERS_LENGTH:
                return "headers_over_limit", ()
            checked = self._scan_header_names(raw)
        else:
            # Refuse oversized input by its length and comma count alone,
            # both bounded, before anything is split or copied.
            if len(raw) > MAX_REQUEST_HEADERS_LENGTH:
                return "headers_over_limit", ()
            if raw.count(",") >= self.headers_limit:
                return "headers_over_limit", ()
            checked = self._check_header_names(raw)
        # Browsers send the same short list again and again: remember it
        # (decide() looks in self.checked_headers before calling this).
        if len(raw) <= MAX_CACHED_REQUEST_HEADERS_LENGTH and len(self.checked_headers) < MAX_CACHED:
            self.checked_headers[raw] = checked
        return checked

    def _scan_header_names(self, raw: str) -> tuple[str | None, tuple[str, ...]]:
        # The names are not needed for the answer ('*'), only two facts about
        # the value: that it is a comma list of tokens, and whether it names
        # Authorization, which '*' never covers.
        if _NOT_A_NAME_LIST.search(raw) is not None:
            return "headers_malformed", ()
        if "authorization" not in self.headers and _AUTHORIZATION.search(raw) is not None:
            return "authorization_not_covered", ()
        return None, ()

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
