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

import weakref
from collections.abc import Callable
from typing import Any, TypeVar, overload

from flask import Blueprint, Flask, request

from corecors import Config, ConfigError, Decision, Policy, resolve_config
from corecors.adapters._flask_state import (
    ENVIRON_KEY,
    VIEW_ATTR,
    CORSState,
    Holder,
    log,
)

__all__ = [
    "CORS",
    "ENVIRON_KEY",
    "EXTENSION_KEY",
    "CORSState",
    "cross_origin",
    "current_decision",
]

#: The ``app.extensions`` key the extension registers under.
EXTENSION_KEY = "corecors"

CORSState.__module__ = __name__  # documented, and shown in tracebacks, as this module's

F = TypeVar("F", bound=Callable[..., Any])


def _names_checked(where: str, options: dict[str, Any]) -> dict[str, Any]:
    """Keyword options completed later (by app.config at init_app): only
    their names can be checked now, by the core, with its CC003."""
    unknown = [p for p in Config.validate(**options) if p.code == "CC003"]
    if unknown:
        raise ConfigError(unknown)
    return options


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
        self._config = None if config is None else resolve_config(config, options, "CORS")
        self._options = _names_checked("CORS", dict(options))
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
        policy = resolve_config(config, options, "CORS.blueprint")
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
        given: object = rule  # typed str, but callers may pass anything
        if not (isinstance(given, str) and given.startswith("/")):
            raise ConfigError.one(
                "CC008",
                "rule",
                rule,
                "is not a URL rule",
                "write it as given to @app.route, such as '/items/<int:item_id>'",
            )
        policy = resolve_config(config, options, "CORS.rule")
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
                log.warning(
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
    policy = resolve_config(config, options, "cross_origin")

    def mark(view: F) -> F:
        if not callable(view):
            raise TypeError(f"cross_origin() decorates a view function, not {view!r}")
        if VIEW_ATTR in getattr(view, "__dict__", {}):
            raise ConfigError.one(
                "CC008",
                "cross_origin",
                getattr(view, "__name__", view),
                "already has a policy",
                "decorate each view with cross_origin once",
            )
        try:
            setattr(view, VIEW_ATTR, policy)
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
