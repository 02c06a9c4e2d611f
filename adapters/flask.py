"""Flask extension: one CORS policy per app, blueprint, URL rule or view.

.. code-block:: python

    from flask import Flask
    from corecors.adapters.flask import CORS

    app = Flask(__name__)
    CORS(app, allow_origins=["https://app.example.com"], allow_methods=["GET", "PUT"])

Or with an application factory::

    cors = CORS(allow_origins=["https://app.example.com"])

    def create_app():
        app = Flask(__name__)
        app.config.from_prefixed_env()  # FLASK_CORECORS_* variables, if any
        cors.init_app(app)
        return app

Where the app-level policy comes from, most explicit first:

1. ``config=`` given: that :class:`~corecors.Config`, as it is. ``CORECORS_*``
   keys in ``app.config`` are then ignored (a warning is logged).
2. otherwise the ``CORECORS_*`` keys of ``app.config`` (read by
   :meth:`corecors.Config.from_mapping` when :meth:`CORS.init_app` runs),
   with the keyword options given to :class:`CORS` replacing the keys they name.

Giving both ``config=`` and keyword options is a :class:`~corecors.ConfigError`.

Parts of an app can have their own policy. The most specific one wins:
a view's :func:`cross_origin` policy, then :meth:`CORS.rule`, then
:meth:`CORS.blueprint` (the innermost blueprint first), then the app's.
Scopes follow the rule Flask matched, never the raw path, so the policy is
always that of the view which handles (or would handle) the request. A
request that matches no rule (a 404, a 405) gets the policy of the blueprint
whose URL prefix holds its path, so that its error is readable; outside
every blueprint prefix, the app's. A
scoped policy is complete in itself: it inherits nothing from the app's
(share settings with :meth:`corecors.Config.replace`). Every policy is
built and validated when it is declared; which rule gets which policy is
settled once, when the app handles its first request.

The extension wraps ``app.wsgi_app``. Preflights are answered there, before
Flask builds a request context. Every other response, error responses
included, passes through :meth:`corecors.Decision.apply` as it starts: the
extension makes ``app.response_class`` a subclass of the app's own response
class that does this, so it needs no ``start_response`` wrapper. (Set your
own ``response_class`` before the first request; the extension derives its
subclass from it then. A response of another class returned by an
``after_request`` hook is converted, as Flask converts a view's.) The
:class:`~corecors.Decision` is in ``request.environ["corecors.decision"]``
(see :func:`current_decision`) before any ``before_request`` hook runs.
"""

from __future__ import annotations

import difflib
import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from flask import Blueprint, Flask, Response, request
from werkzeug.exceptions import HTTPException

from corecors import (
    OPTIONS,
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

__all__ = [
    "CORS",
    "ENVIRON_KEY",
    "EXTENSION_KEY",
    "CORSState",
    "cross_origin",
    "current_decision",
]

#: Where the :class:`~corecors.Decision` for the request is kept in the WSGI environ.
ENVIRON_KEY = "corecors.decision"
#: The ``app.extensions`` key the extension registers under.
EXTENSION_KEY = "corecors"

# Set when the server's start_response raised inside the response class, so
# the error path does not try to start a second response.
_STARTED_KEY = "corecors.started"
# The attribute cross_origin() leaves on a view function.
_VIEW_ATTR = "__corecors_config__"

_log = logging.getLogger("corecors.flask")
_DEBUG = logging.DEBUG


# Config accepts 2xx preflight and 4xx/5xx failure statuses only.
_STATUS_LINES = {code: status_line(code) for code in range(200, 600)}

F = TypeVar("F", bound=Callable[..., Any])


# -- building Configs (setup time only) --------------------------------------


def _check_names(where: str, options: Mapping[str, Any]) -> None:
    for name in options:
        if name not in OPTIONS:
            close = difflib.get_close_matches(name, OPTIONS, n=1)
            fix = f"did you mean {close[0]}?" if close else "see corecors.OPTIONS for the names"
            raise ConfigError.one(
                "CC003", name, options[name], f"is not a corecors option (given to {where})", fix
            )


def _one_of(where: str, config: Holder | None, options: Mapping[str, Any]) -> Holder | None:
    """Validate ``config=`` / keyword options; return the Config if one was given."""
    if config is not None:
        if options:
            names = ", ".join(f"{n}=" for n in options)
            raise ConfigError.one(
                "CC008",
                "config",
                config,
                f"was given to {where} together with keyword options ({names})",
                "give one or the other: put the options in the Config "
                "(config.replace(...)) or pass the keywords alone",
            )
        if not isinstance(config, (Config, Policy)):
            raise ConfigError.one(
                "CC004",
                "config",
                config,
                f"is a {type(config).__name__}, not a corecors.Config or Policy",
                "pass corecors.Config(...) (or a corecors.Policy), or the options as keywords",
            )
        return config
    _check_names(where, options)
    return None


Holder = Config | Policy


def _options(holder: Holder) -> Config:
    """The Config a policy holds now."""
    return holder.config if isinstance(holder, Policy) else holder


def _is_rule(rule: object) -> bool:
    return isinstance(rule, str) and rule.startswith("/")


def _build(where: str, config: Holder | None, options: dict[str, Any]) -> Holder:
    given = _one_of(where, config, options)
    return given if given is not None else Config(**options)


# -- the extension -----------------------------------------------------------


class CORS:
    """The corecors Flask extension.

    :param app: the app to register with now; or call :meth:`init_app` later.
    :param config: the app-level :class:`~corecors.Config`.
    :param options: or the app-level options as keywords, which replace the
        ``CORECORS_*`` keys of ``app.config`` they name.

    One ``CORS`` object may serve several apps; it keeps no reference to any.
    """

    __slots__ = (
        "_apps",
        "_blueprint_names",
        "_blueprints",
        "_config",
        "_frozen",
        "_options",
        "_rules",
    )

    def __init__(
        self, app: Flask | None = None, *, config: Holder | None = None, **options: Any
    ) -> None:
        self._config = _one_of("CORS()", config, options)
        self._options = dict(options)
        # Blueprint objects are hashed by identity.
        self._blueprints: dict[object, Holder] = {}
        self._blueprint_names: dict[str, Holder] = {}
        self._rules: dict[str, Holder] = {}
        self._frozen = False
        # Weakly: an extension made once serves many apps (the app factory)
        # and keeps none of them alive.
        self._apps: weakref.WeakSet[Flask] = weakref.WeakSet()
        if app is not None:
            self.init_app(app)

    def reconfigure(self, config: Config) -> None:
        """Put *config* in force as the app-level policy, on every app this
        extension is registered on, atomically; scopes keep their own.

        Anything but a Config raises :class:`~corecors.ConfigError` and
        changes nothing. (For a scope's policy, give the scope a
        :class:`~corecors.Policy` and reconfigure that.)
        """
        Policy(config)  # the one check, and the one ConfigError, for a wrong type
        for app in list(self._apps):
            app.extensions[EXTENSION_KEY].reconfigure(config)
        self._config = config  # and for the apps registered from now on

    # -- scopes --------------------------------------------------------------

    @overload
    def blueprint(
        self, blueprint: Blueprint | str, *, config: Policy, **options: Any
    ) -> Policy: ...
    @overload
    def blueprint(
        self, blueprint: Blueprint | str, *, config: Config | None = None, **options: Any
    ) -> Config: ...
    def blueprint(
        self, blueprint: Blueprint | str, *, config: Holder | None = None, **options: Any
    ) -> Holder:
        """Give every route of *blueprint* its own policy; returns it.

        *blueprint* is a :class:`flask.Blueprint` (every place it is
        registered) or a registered name (``"parent.child"`` for a nested one).
        """
        self._check_open("blueprint")
        policy = _build("CORS.blueprint()", config, options)
        if isinstance(blueprint, Blueprint):
            table: dict[Any, Holder] = self._blueprints
        elif isinstance(blueprint, str):
            table = self._blueprint_names
        else:
            raise TypeError(
                f"blueprint must be a flask.Blueprint or its registered name, "
                f"not {type(blueprint).__name__}"
            )
        if blueprint in table:
            raise ConfigError.one(
                "CC008",
                "blueprint",
                getattr(blueprint, "name", blueprint),
                "already has a policy",
                "declare each blueprint's policy once",
            )
        table[blueprint] = policy
        return policy

    @overload
    def rule(self, rule: str, *, config: Policy, **options: Any) -> Policy: ...
    @overload
    def rule(self, rule: str, *, config: Config | None = None, **options: Any) -> Config: ...
    def rule(self, rule: str, *, config: Holder | None = None, **options: Any) -> Holder:
        """Give the URL rule *rule*, written as registered
        (``"/items/<int:item_id>"``), its own policy; returns it."""
        self._check_open("rule")
        if not _is_rule(rule):
            raise ConfigError.one(
                "CC008",
                "rule",
                rule,
                "is not a URL rule",
                "write it as given to @app.route, such as '/items/<int:item_id>'",
            )
        policy = _build("CORS.rule()", config, options)
        if rule in self._rules:
            raise ConfigError.one(
                "CC008", "rule", rule, "already has a policy", "declare each rule's policy once"
            )
        self._rules[rule] = policy
        return policy

    def _check_open(self, what: str) -> None:
        if self._frozen:
            raise RuntimeError(
                f"CORS.{what}() was called after an app using this extension handled "
                "its first request, so it could not take effect. Declare each scope "
                "once, before any app using this extension serves requests (for "
                "example next to the blueprint or view it is for)."
            )

    # -- registration --------------------------------------------------------

    def init_app(self, app: Flask) -> None:
        """Register with *app*: read its config and wrap ``app.wsgi_app``.

        Raises :class:`RuntimeError` if corecors is already registered on *app*.
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                f"corecors is already registered on the app {app.name!r}. Register it "
                "once: either CORS(app) or cors.init_app(app), not both and not twice. "
                "For a different policy on part of the app, use cors.blueprint(), "
                "cors.rule() or the cross_origin() view decorator."
            )
        state = CORSState(self, app, self._app_config(app))
        app.extensions[EXTENSION_KEY] = state
        self._apps.add(app)
        # The bound method rather than the object: Flask calls it for every
        # request, and a method is called faster than an object's __call__.
        app.wsgi_app = state.__call__  # type: ignore[method-assign]
        # Every response Flask makes is of the app's response class, so the
        # decision is applied there, as the response starts (see _settle for
        # a response an after_request hook swaps in).
        state._install_response_class()

    def _app_config(self, app: Flask) -> Holder:
        keyed = any(isinstance(k, str) and k.startswith("CORECORS_") for k in app.config)
        if self._config is not None:
            if keyed:
                _log.warning(
                    "app.config holds CORECORS_* keys, which corecors ignores because "
                    "CORS(config=...) was given"
                )
            return self._config
        base = Config.from_mapping(app.config) if keyed else None
        if base is None:
            return Config(**self._options)
        return base.replace(**self._options) if self._options else base


def cross_origin(*args: object, config: Holder | None = None, **options: Any) -> Callable[[F], F]:
    """Give one view its own policy, the most specific of all.

    Use it above or below ``@app.route``; both orders work, because the
    policy is marked on the view function itself and looked up when the app
    handles its first request. The extension (:class:`CORS`) must be
    registered on the app: it is what applies the policy.

    .. code-block:: python

        @app.put("/items/<int:item_id>")
        @cross_origin(allow_origins=["https://admin.example.com"], allow_methods=["PUT"])
        def update_item(item_id): ...
    """
    if args:
        raise TypeError(
            "cross_origin takes keyword options only: write @cross_origin(...) with "
            "parentheses, for example @cross_origin(allow_origins=['https://app.example.com'])"
        )
    policy = _build("cross_origin()", config, options)

    def mark(view: F) -> F:
        if not callable(view):
            raise TypeError(f"cross_origin() decorates a view function, not {view!r}")
        if _VIEW_ATTR in getattr(view, "__dict__", {}):
            raise ConfigError.one(
                "CC008",
                "cross_origin",
                getattr(view, "__name__", view),
                "already has a policy",
                "decorate each view with cross_origin once",
            )
        try:
            setattr(view, _VIEW_ATTR, policy)
        except AttributeError:
            raise TypeError(
                f"cross_origin() cannot mark {view!r}; decorate a plain function "
                "(for class-based views, put it in the view class's `decorators`)"
            ) from None
        return view

    return mark


def current_decision() -> Decision | None:
    """The :class:`~corecors.Decision` for the current request, in a view or hook."""
    decision: Decision | None = request.environ.get(ENVIRON_KEY)
    return decision


# -- per app -----------------------------------------------------------------


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
                if not decision.allowed and kind == "actual" and _log.isEnabledFor(_DEBUG):
                    _log_refusal(decision)
                try:
                    return self.wsgi_app(environ, start_response)
                except Exception:
                    return self._failed(environ, start_response)
            if not decision.allowed:
                _log_refusal(decision)
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
                    _log_refusal(decision)
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
            _log_refusal(decision)
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
        return _options(self._holder)

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
                view_policy = getattr(app.view_functions.get(rule.endpoint), _VIEW_ATTR, None)
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


def _log_refusal(decision: Decision) -> None:
    # Reason codes only: raw request values never reach the log. Origin-less
    # requests are never logged.
    if (decision.kind != "not_cors" or decision.action == "respond") and _log.isEnabledFor(
        logging.DEBUG
    ):
        _log.debug("CORS %s refused: %s", decision.kind, ", ".join(decision.reasons))
