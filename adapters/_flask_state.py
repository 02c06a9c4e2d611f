"""The Flask extension's per-app state: the request path, settled once.

:class:`CORSState` is what :class:`corecors.adapters.flask.CORS` leaves in
``app.extensions["corecors"]`` for each app: it wraps ``app.wsgi_app``,
decides each request with the core, and settles which rule gets which
policy at the app's first request. Import it from
``corecors.adapters.flask``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from corecors import (
    Config,
    ConfigError,
    Decision,
    Policy,
    Request,
    decide,
    decide_cgi,
    error_answer,
    reconfigured,
)
from corecors.adapters.wsgi import status_line

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from corecors.adapters.flask import CORS

__all__ = ["ENVIRON_KEY", "CORSState", "Holder", "policy_config"]

#: Where the :class:`~corecors.Decision` for the request is kept in the WSGI environ.
ENVIRON_KEY = "corecors.decision"
# Set when the server's start_response raised inside the response class, so
# the error path does not try to start a second response.
_STARTED_KEY = "corecors.started"
# The attribute cross_origin() leaves on a view function.
VIEW_ATTR = "__corecors_config__"

log = logging.getLogger("corecors.flask")
_DEBUG = logging.DEBUG

# Config accepts 2xx preflight and 4xx/5xx failure statuses only.
_STATUS_LINES = {code: status_line(code) for code in range(200, 600)}

Holder = Config | Policy


def policy_config(holder: Holder) -> Config:
    """The Config a policy holds now."""
    return holder.config if isinstance(holder, Policy) else holder


class CORSState:
    """What :meth:`CORS.init_app` leaves in ``app.extensions["corecors"]``.

    Its ``__call__`` is the WSGI layer that replaces ``app.wsgi_app``.

    :ivar extension: the :class:`CORS` object.
    """

    __slots__ = (
        "_flask_process_response",
        "_holder",
        "_lock",
        "_prefixes",
        "_response_class",
        "_single",
        "_table",
        "app",
        "extension",
        "wsgi_app",
    )

    def __init__(self, extension: CORS, app: Flask, config: Holder) -> None:
        self.extension = extension
        self._holder = config
        self.app = app
        self.wsgi_app: WSGIApplication = app.wsgi_app
        self._flask_process_response = app.process_response
        self._response_class: type[Response] = app.response_class
        # id(Rule) -> its policy when it is not the app's; None until the
        # first request. werkzeug Rules are unhashable but live as long as
        # the app's url_map, so their ids are stable keys.
        self._table: dict[int, Holder] | None = None
        # The app's policy once the first request has shown that it covers
        # every rule; None before that, or when some rule has its own.
        self._single: Holder | None = None
        # (URL prefix, policy) of the blueprints with a policy, longest
        # first: for requests that no rule matches (see _unmatched_config).
        self._prefixes: tuple[tuple[str, Holder], ...] = ()
        self._lock = threading.Lock()

    # -- the per-request path --------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        single = self._single
        if single is not None:
            # One policy covers the whole app (the usual case): decide now.
            # The response class applies the decision as the response
            # starts; no start_response wrapper is needed.
            environ[ENVIRON_KEY] = decision = decide_cgi(environ, single)
            # Only a preflight, or a WebSocket handshake refused under
            # check_websocket_origin, is answered here; origin-less requests
            # are never logged.
            kind = decision.kind
            if kind != "preflight" and decision.action != "respond":
                if not decision.allowed and kind == "actual" and log.isEnabledFor(_DEBUG):
                    log_refusal(decision)
                try:
                    return self.wsgi_app(environ, start_response)
                except Exception:
                    return self._failed(environ, start_response)
            if not decision.allowed:
                log_refusal(decision)
            return self._preflight(environ, start_response, single, decision)
        table = self._table
        if table is None:
            table = self._settle()
            if not table:
                return self(environ, start_response)
        if environ["REQUEST_METHOD"] == "OPTIONS" or "HTTP_UPGRADE" in environ:
            cors_request = Request.from_cgi(environ)
            if cors_request.method == "OPTIONS" or cors_request.websocket:
                # Decided before Flask runs, by the rule the request (a
                # preflight: its follow-up) will hit.
                config = self._options_config(environ, cors_request, table)
                decision = decide(cors_request, config)
                environ[ENVIRON_KEY] = decision
                if not decision.allowed:
                    log_refusal(decision)
                return self._preflight(environ, start_response, config, decision)
        # Decided once Flask has matched the rule (an outer layer's
        # decision, if any, is not this app's).
        environ.pop(ENVIRON_KEY, None)
        try:
            return self.wsgi_app(environ, start_response)
        except Exception:
            return self._failed(environ, start_response)

    def _preflight(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        config: Holder,
        decision: Decision,
    ) -> Iterable[bytes]:
        """Answer a preflight (or a refused handshake) now, or pass it to Flask:
        under preflight_passthrough, or a handshake the policy lets through."""
        if decision.action == "respond":
            start_response(_STATUS_LINES[decision.status], list(decision.headers))  # type: ignore[index]
            return []
        try:
            return self.wsgi_app(environ, start_response)
        except Exception:
            return self._failed(environ, start_response)

    def _failed(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """An exception left Flask: Flask lets one out in debug or testing
        mode, with PROPAGATE_EXCEPTIONS, or when an error handler itself fails.

        Called from an ``except`` block: a bare ``raise`` lets it go on."""
        if _STARTED_KEY in environ or self._propagate():
            raise
        # The core's rule (corecors.error_answer): an allowed CORS request
        # gets a 500 the browser can read; any other exception goes on.
        answer = error_answer(environ.get(ENVIRON_KEY) or self._decide_late(environ))
        if answer is None:
            raise
        self.app.logger.exception("Unhandled exception; corecors answered 500 with CORS headers")
        start_response(_STATUS_LINES[answer.status], answer.headers)
        return [answer.body]

    def _process_response(self, response: Response) -> Response:
        """Flask's ``process_response``, then make sure the response is of the
        class that applies the decision (an ``after_request`` hook may have
        returned a response of another class)."""
        response = self._flask_process_response(response)
        cls = self._response_class
        if not isinstance(response, cls):
            # As Flask's make_response does: a response object changes class
            # in place; any other WSGI callable is run into a new response.
            return cast("Response", cls.force_type(response, request.environ))
        return response

    def _install_response_class(self) -> None:
        """Make ``app.response_class`` a subclass of itself that applies the
        request's decision to the headers as the response starts."""
        base = self.app.response_class
        if getattr(base, "_corecors_state", None) is self:
            self._response_class = base  # ours, or a subclass of ours
            return
        state = self

        def __call__(
            self: Response, environ: WSGIEnvironment, start_response: StartResponse
        ) -> Iterable[bytes]:
            app_iter, status, headers = self.get_wsgi_response(environ)
            decision = environ.get(ENVIRON_KEY) or state._decide_late(environ)
            try:
                start_response(status, decision.apply(headers))
            except BaseException:
                environ[_STARTED_KEY] = True
                raise
            return app_iter

        cls = type(
            base.__name__,
            (base,),
            {
                "__call__": __call__,
                "__module__": base.__module__,
                "__qualname__": base.__qualname__,
                "__doc__": base.__doc__,
                "_corecors_state": state,
            },
        )
        self._response_class = cls
        self.app.response_class = cls

    def _decide_late(self, environ: WSGIEnvironment) -> Decision:
        """Decide with the policy of the rule Flask matched (or the app's)."""
        rule = getattr(environ.get("werkzeug.request"), "url_rule", None)
        config = self._holder
        if self._table:
            if rule is not None:
                config = self._table.get(id(rule), config)
            else:
                config = self._unmatched_config(environ)
        decision = decide(Request.from_cgi(environ), config)
        environ[ENVIRON_KEY] = decision
        if not decision.allowed:
            log_refusal(decision)
        return decision

    def _preprocess(self, endpoint: str | None, values: dict[str, Any] | None) -> None:
        # Installed only when some rule has its own policy (see _settle).
        environ = request.environ
        if ENVIRON_KEY not in environ:
            self._decide_late(environ)

    def _options_config(
        self, environ: WSGIEnvironment, cors_request: Request, table: dict[int, Holder]
    ) -> Holder:
        """The policy for an OPTIONS request, from the rule its follow-up hits
        (or for a WebSocket handshake, from the rule it hits).

        A preflight asks about the request the browser will send next, so the
        rule is matched with that method, exactly as Flask will match it.
        """
        app = self.app
        method = cors_request.request_method or cors_request.method
        try:
            adapter = app.create_url_adapter(app.request_class(environ))
            if adapter is None:
                return self._holder
            rule, _ = adapter.match(method=method, return_rule=True)
        except HTTPException:  # not found, wrong method, redirect, bad host
            return self._unmatched_config(environ)
        return table.get(id(rule), self._holder)

    @property
    def config(self) -> Config:
        """The app-level Config in force (a Policy's current one)."""
        return policy_config(self._holder)

    def reconfigure(self, config: Config) -> None:
        """Put *config* in force as this app's policy (see :meth:`CORS.reconfigure`)."""
        with self._lock:
            old = self._holder
            new = reconfigured(old, config)  # a Policy is swapped in place
            if self._single is old:
                self._single = new
            self._holder = new

    def _unmatched_config(self, environ: WSGIEnvironment) -> Holder:
        """The policy for a request no rule matched (a 404, a 405, a redirect
        for a missing trailing slash): the policy of the blueprint whose URL
        prefix holds the path, the longest prefix first, so that the error is
        readable where that blueprint's pages are; else the app's policy."""
        path = environ.get("PATH_INFO") or "/"
        for prefix, policy in self._prefixes:
            if path.startswith(prefix) and path[len(prefix) : len(prefix) + 1] in ("", "/"):
                return policy
        return self._holder

    def _propagate(self) -> bool:
        # PROPAGATE_EXCEPTIONS = True and testing ask for the exception itself.
        return self.app.config.get("PROPAGATE_EXCEPTIONS") is True or self.app.testing

    # -- settled once, at the first request --------------------------------------

    def _settle(self) -> dict[int, Holder]:
        with self._lock:
            if self._table is not None:
                return self._table
            ext = self.extension
            ext._frozen = True
            app = self.app
            # The app may have been given another response class since
            # init_app: derive ours from that one.
            self._install_response_class()
            if any(app.after_request_funcs.values()):
                # An after_request hook may return a response of another
                # class; make sure it is converted to ours. (Flask refuses
                # new hooks once the app has handled a request.)
                self._flask_process_response = app.process_response
                app.process_response = self._process_response  # type: ignore[method-assign]
            default = self._holder

            by_name: dict[str, Holder] = {}
            for name, bp in app.blueprints.items():
                policy = ext._blueprint_names.get(name) or ext._blueprints.get(bp)
                if policy is not None:
                    by_name[name] = policy
            for name in ext._blueprint_names:
                if name not in app.blueprints:
                    raise ConfigError.one(
                        "CC008",
                        "blueprint",
                        name,
                        f"is not registered on the app {app.name!r}",
                        "use a registered name: " + (", ".join(sorted(app.blueprints)) or "none"),
                    )
            registered: set[object] = set(app.blueprints.values())
            for obj in ext._blueprints:
                if obj not in registered:
                    raise ConfigError.one(
                        "CC008",
                        "blueprint",
                        getattr(obj, "name", obj),
                        f"is not registered on the app {app.name!r}",
                        "register the blueprint before the first request, or drop its policy",
                    )

            table: dict[int, Holder] = {}
            rules_seen: set[str] = set()
            for rule in app.url_map.iter_rules():
                policy = ext._rules.get(rule.rule)
                if policy is not None:
                    rules_seen.add(rule.rule)
                view_policy = getattr(app.view_functions.get(rule.endpoint), VIEW_ATTR, None)
                if isinstance(view_policy, (Config, Policy)):
                    policy = view_policy
                if policy is None:
                    # The blueprint chain as Flask's request.blueprints gives it.
                    name = rule.endpoint.rpartition(".")[0]
                    while name and policy is None:
                        policy = by_name.get(name)
                        name = name.rpartition(".")[0]
                if policy is not None and policy is not default:
                    table[id(rule)] = policy
            for rule_text in ext._rules:
                if rule_text not in rules_seen:
                    shown = sorted({r.rule for r in app.url_map.iter_rules()})[:10]
                    raise ConfigError.one(
                        "CC008",
                        "rule",
                        rule_text,
                        f"is no URL rule of the app {app.name!r}",
                        "write it exactly as registered; the app has: " + ", ".join(shown),
                    )

            self._prefixes = _blueprint_prefixes(app, by_name)
            if table:
                # Scoped policies: the decision waits for the rule Flask
                # matches. First among the app's URL value preprocessors, so
                # it is in the environ before any before_request hook runs.
                app.url_value_preprocessors[None].insert(0, self._preprocess)
            else:
                # One policy for the whole app: decided before Flask runs.
                self._single = default
            self._table = table
            return table


def _blueprint_prefixes(app: Flask, by_name: dict[str, Holder]) -> tuple[tuple[str, Holder], ...]:
    """The URL prefix of each blueprint registration with a policy, longest first.

    Flask keeps no registration's ``url_prefix``; its rules show it. The
    prefix is the leading path segments every rule of the registration (its
    nested blueprints' included) shares, before any variable part, cut after
    the blueprint's own ``url_prefix`` where those segments hold it. It is
    never broader than the real prefix. A registration under a subdomain or
    host, or whose rules share no segment, gets none.
    """
    rules: dict[str, list[list[str]]] = {name: [] for name in by_name}
    unseen: set[str] = set()  # registrations under a subdomain or host
    for rule in app.url_map.iter_rules():
        name = rule.endpoint.rpartition(".")[0]
        while name:
            if name in rules:
                if rule.subdomain or rule.host:
                    unseen.add(name)
                rules[name].append(_literal(rule.rule.split("/")[1:]))
            name = name.rpartition(".")[0]
    prefixes: list[tuple[str, Holder]] = []
    for name, found in rules.items():
        if not found or name in unseen:
            continue
        common = found[0]
        for parts in found[1:]:
            n = 0
            while n < min(len(common), len(parts)) and common[n] == parts[n]:
                n += 1
            common = common[:n]
        own = [p for p in (app.blueprints[name].url_prefix or "").split("/") if p]
        if own:
            for end in range(len(common), len(own) - 1, -1):
                if common[end - len(own) : end] == own:
                    common = common[:end]
                    break
        if common:
            prefixes.append(("/" + "/".join(common), by_name[name]))
    prefixes.sort(key=lambda item: -len(item[0]))
    return tuple(prefixes)


def _literal(parts: list[str]) -> list[str]:
    """The leading path segments of a rule before any variable part; the
    last segment of a rule counts only if it is followed by more."""
    out: list[str] = []
    for part in parts[:-1]:
        if "<" in part or not part:
            break
        out.append(part)
    return out


def log_refusal(decision: Decision) -> None:
    # Reason codes only: raw request values never reach the log. Origin-less
    # requests are never logged.
    if (decision.kind != "not_cors" or decision.action == "respond") and log.isEnabledFor(
        logging.DEBUG
    ):
        log.debug("CORS %s refused: %s", decision.kind, ", ".join(decision.reasons))
