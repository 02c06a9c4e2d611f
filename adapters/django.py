"""Django middleware: corecors configured in ``settings.py``, checked by ``manage.py check``.

.. code-block:: python

    # settings.py
    INSTALLED_APPS = [
        "corecors.adapters.django.CorecorsAppConfig",  # the system checks
        ...
    ]
    MIDDLEWARE = [
        "corecors.adapters.django.CorsMiddleware",  # first
        ...
    ]
    CORECORS_ALLOW_ORIGINS = ["https://app.example.com"]
    CORECORS_ALLOW_METHODS = ["GET", "POST", "PUT"]

The site's policy comes from the ``CORECORS_*`` settings, the names and
meanings of :meth:`corecors.Config.from_mapping` (``CORECORS_ALLOW_ORIGINS``,
``CORECORS_ALLOW_CREDENTIALS``, ``CORECORS_MAX_AGE`` ...), or from one
``CORECORS_CONFIG = Config(...)`` (or a :class:`~corecors.Policy`); setting
both is an error. Three settings choose which requests get which policy,
the most specific first:

1. a view's own policy, given with :func:`cors_policy`;
2. the first ``(regex, policy)`` of ``CORECORS_POLICIES`` whose regex matches
   the whole ``request.path_info`` (a policy is a ``Config``, a ``Policy`` or a
   dict of ``Config`` keyword options);
3. the site's policy, on the paths ``CORECORS_URLS_REGEX`` matches whole (on
   every path when it is not set).

A request none of them covers passes through untouched. Scopes are matched on
``request.path_info``, the decoded path Django routes, never on the raw one.

The middleware is sync- and async-capable, so it runs in the handler's own
mode under WSGI and ASGI. It answers preflights itself, before any other
middleware or view runs (with ``preflight_passthrough``, a valid preflight
goes on to them and the preflight headers are added to what comes back).
Every other response coming back through it gets the decision's headers
and ``Vary`` (:meth:`corecors.Decision.apply`): Django's 404 and 500 pages,
``PermissionDenied``, CSRF failures and the answers of inner middlewares
included. Streaming responses are never read.

Settings are read when the middleware is built (Django builds it at start-up)
and again after ``override_settings`` changes a ``CORECORS_*`` setting; a
setting corecors refuses raises :class:`~corecors.ConfigError` there, never on
some later request. :func:`check_settings`, registered with Django's system
check framework, reports every problem at ``manage.py check``, each with an
id derived from its code (``CC006`` is ``corecors.E006``, ``CC116`` is
``corecors.W116``).

The decision is in ``request.META["corecors.decision"]``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.apps import AppConfig
from django.conf import settings as django_settings
from django.core import checks
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import Resolver404, resolve

from corecors import (
    Config,
    ConfigError,
    Decision,
    Policy,
    Problem,
    Scopes,
    decide_cgi,
    middleware_order,
    read_scoped,
    reconfigured,
    resolve_config,
)

__all__ = [
    "META_KEY",
    "PREFIX",
    "CorecorsAppConfig",
    "CorsMiddleware",
    "check_settings",
    "cors_policy",
    "read_settings",
    "reconfigure",
]

#: Where the middleware leaves the :class:`~corecors.Decision` in ``request.META``.
META_KEY = "corecors.decision"
#: The prefix of corecors's Django settings.
PREFIX = "CORECORS_"

# The attribute cors_policy() leaves on a view (or a view class).
_VIEW_ATTR = "corecors_policy"

Holder = Config | Policy
GetResponse = Callable[[HttpRequest], Any]
V = TypeVar("V")


# -- settings (read at start-up and after override_settings) -----------------------


def read_settings(settings: Any = None) -> tuple[Scopes | None, tuple[Problem, ...]]:
    """Read corecors's settings from *settings* (Django's, by default).

    The core reads them (:func:`corecors.read_scoped`): this returns the
    scopes (``None`` when there is an error) and every problem, errors and
    warnings, each named by its setting (``CORECORS_MAX_AGE``,
    ``CORECORS_POLICIES[1].allow_origins``). Never raises on a bad setting.
    """
    if settings is None:
        settings = django_settings
    found = {key: getattr(settings, key) for key in dir(settings) if key.startswith(PREFIX)}
    # django-cors-headers' CORS_* settings, so that the core can warn they are not read.
    peers = {key: getattr(settings, key) for key in dir(settings) if key.startswith("CORS_")}
    return read_scoped(found, PREFIX, peers)


class _Settings:
    """The scopes in force, read again after a ``CORECORS_*`` setting changes."""

    __slots__ = ("scopes",)

    def __init__(self) -> None:
        self.scopes: Scopes | None = None

    def get(self) -> Scopes:
        scopes = self.scopes
        if scopes is None:
            found, problems = read_settings()
            if found is None:
                raise ConfigError(problems)
            # One assignment: a request that started reads one set of scopes.
            self.scopes = scopes = found
        return scopes

    def changed(self, *, setting: str, **kwargs: object) -> None:
        if setting.startswith(PREFIX):
            self.scopes = None


_settings = _Settings()


def reconfigure(config: Config) -> None:
    """Put *config* in force as the site's policy, atomically, without a restart.

    A ``CORECORS_CONFIG = Policy(...)`` is swapped in place; a site policy
    from ``CORECORS_*`` options becomes a :class:`~corecors.Policy` holding
    *config*. Scopes (``CORECORS_POLICIES``, ``cors_policy``) keep their
    own: give them a Policy to reconfigure them. Anything but a Config
    raises :class:`~corecors.ConfigError` and changes nothing. A later
    change of a ``CORECORS_*`` setting (``override_settings``) reads the
    settings again.
    """
    scopes = _settings.get()
    site = reconfigured(scopes.site, config)
    if site is not scopes.site:
        # One assignment: a request that started reads one set of scopes.
        _settings.scopes = dataclasses.replace(scopes, site=site)


setting_changed.connect(_settings.changed, weak=False, dispatch_uid="corecors.adapters.django")


# -- a view's own policy --------------------------------------------------------------

# Whether any view has its own policy: until one has, no request pays for
# resolving its path in the middleware.
_views_have_policies = False


def cors_policy(config: Config | Policy | None = None, **options: Any) -> Callable[[V], V]:
    """Give one view its own policy, instead of the settings' scopes.

    .. code-block:: python

        @cors_policy(allow_origins=["https://partner.example"], allow_methods=["GET"])
        def feed(request): ...

    Decorate a function view, the result of ``View.as_view()``, or a view
    class. The policy is built (and refused, with :class:`~corecors.ConfigError`)
    when the decorator runs. The middleware finds it by resolving the
    request's ``path_info``, also for preflights, which never reach the view.
    """
    policy = resolve_config(config, options, "cors_policy")

    def decorate(view: V) -> V:
        global _views_have_policies
        setattr(view, _VIEW_ATTR, policy)
        _views_have_policies = True
        return view

    return decorate


def _view_policy(path: str) -> Holder | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    func = match.func
    policy = getattr(func, _VIEW_ATTR, None)
    if policy is None:
        policy = getattr(getattr(func, "view_class", None), _VIEW_ATTR, None)
    return policy if isinstance(policy, (Config, Policy)) else None


def _policy_for(request: HttpRequest) -> Holder | None:
    scopes = _settings.scopes or _settings.get()
    path = request.path_info
    if _views_have_policies:
        policy = _view_policy(path)
        if policy is not None:
            return policy
    return scopes.policy_for(path)


# -- the middleware -------------------------------------------------------------------


def _preflight_answer(decision: Decision) -> HttpResponse:
    response = HttpResponse(status=decision.status or 204)
    del response.headers["Content-Type"]
    for name, value in decision.headers:
        response.headers[name] = value
    return response


def _apply(response: HttpResponseBase, decision: Decision) -> None:
    """Put *decision*'s headers on *response*, in :meth:`~corecors.Decision.apply`'s
    order; the content is never touched."""
    global _last
    headers = response.headers
    try:
        store: dict[str, tuple[str, str]] | None = headers._store
    except AttributeError:  # not Django's own header store: the public API below
        store = None
    if store is not None:
        # Django keeps a response's headers as {lower-case name: (name,
        # value)} (django.utils.datastructures.CaseInsensitiveMapping).
        # Writing there skips the per-header charset and newline checks,
        # which corecors's values always pass: ASCII tokens and origins,
        # refused with any CR or LF when the config is built or the request
        # decided. This is the usual response: nothing to merge or replace.
        if _PLAIN_KEYS.issuperset(store) or _plain(store):
            known = _last
            if known[0] is not decision:
                known = _ENTRIES.get(id(decision)) or _remember(decision)
                if known[0] is not decision:
                    known = _remember(decision)
                _last = known
            store.update(known[1])
            return
    elif not any(_is_ours(n.lower()) for n in headers):
        # Nothing to merge or replace (the usual response): add the tail.
        for name, value in decision.apply([]):
            headers[name] = value
        return
    applied = decision.apply(list(headers.items()))
    # apply() keeps every other header as it is, in place, and puts Vary and
    # the Access-Control-* headers after them.
    for name in [n for n in headers if _is_ours(n.lower())]:
        del headers[name]
    for name, value in applied:
        if name not in headers:
            headers[name] = value


# Lower-case header names seen on responses that are neither Vary nor
# Access-Control-*: learned and bounded, so that the usual response is
# checked by one set operation.
_PLAIN_KEYS: set[str] = {"content-type", "content-length"}
_MAX_PLAIN_KEYS = 256


def _plain(store: dict[str, tuple[str, str]]) -> bool:
    """Whether no key of *store* is Vary or Access-Control-* (learning the rest)."""
    for key in store:
        if key == "vary" or key.startswith("access-control-"):
            return False
    if len(_PLAIN_KEYS) < _MAX_PLAIN_KEYS:
        _PLAIN_KEYS.update(store)
    return True


# What apply() adds to the usual response, in the form Django's header store
# takes, by decision: a pure function of the (immutable, shared) Decision,
# made once per decision rather than once per request. Keyed by id(), with
# the decision kept beside its entries, so that a key is never mistaken for
# a later object's; emptied when full, like the core's tables.
_ENTRIES: dict[int, tuple[Decision, dict[str, tuple[str, str]]]] = {}
_MAX_ENTRIES = 1024
# The entry used last: a site whose requests come from one origin finds it
# without a lookup. Replaced by one assignment.
_last: tuple[Decision | None, dict[str, tuple[str, str]]] = (None, {})


def _remember(decision: Decision) -> tuple[Decision, dict[str, tuple[str, str]]]:
    known = (decision, {name.lower(): (name, value) for name, value in decision.apply([])})
    if len(_ENTRIES) >= _MAX_ENTRIES:
        _ENTRIES.clear()
    _ENTRIES[id(decision)] = known
    return known


def _is_ours(lname: str) -> bool:
    return lname == "vary" or lname.startswith("access-control-")


class CorsMiddleware:
    """The corecors middleware: put it first in ``settings.MIDDLEWARE``.

    It takes its policies from the settings (see the module's documentation).
    Building it reads them, so a refused setting raises
    :class:`~corecors.ConfigError` when Django loads its middleware.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)
        _settings.get()

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        # The usual site has one policy for every path: one attribute.
        policy = (_settings.scopes or _settings.get()).unscoped
        if policy is None or _views_have_policies:
            policy = _policy_for(request)
            if policy is None:
                return self.get_response(request)
        meta = request.META
        meta[META_KEY] = decision = decide_cgi(meta, policy)
        action = decision.action
        if action == "forward":  # the usual request
            response = self.get_response(request)
            _apply(response, decision)
            return response
        if action == "respond":
            return _preflight_answer(decision)
        return self.get_response(request)  # "pass"

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        policy = (_settings.scopes or _settings.get()).unscoped
        if policy is None or _views_have_policies:
            policy = _policy_for(request)
            if policy is None:
                return await get_response(request)
        meta = request.META
        meta[META_KEY] = decision = decide_cgi(meta, policy)
        action = decision.action
        if action == "forward":  # the usual request
            response = await get_response(request)
            _apply(response, decision)
            return response
        if action == "respond":
            return _preflight_answer(decision)
        return await get_response(request)  # "pass"


# -- system checks ------------------------------------------------------------------


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every problem in corecors's settings, as Django system check messages.

    ``CC006`` becomes ``corecors.E006``, ``CC116`` ``corecors.W116``; the
    message is the problem, the hint its fix, ``obj`` the setting's name.
    """
    _, problems = read_settings()
    order = middleware_order(
        getattr(django_settings, "MIDDLEWARE", None), f"{__name__}.CorsMiddleware"
    )
    return [_message(p) for p in (*problems, *order)]


def _message(p: Problem) -> checks.CheckMessage:
    at = f"entry {p.index}: " if p.index is not None else ""
    msg = f"{at}{p.value!r} {p.problem}"
    if p.severity == "error":
        return checks.Error(msg, hint=p.fix, obj=p.option, id=f"corecors.E{p.code[2:]}")
    return checks.Warning(msg, hint=p.fix, obj=p.option, id=f"corecors.W{p.code[2:]}")


checks.register(check_settings, "corecors")


class CorecorsAppConfig(AppConfig):
    """Put ``"corecors.adapters.django.CorecorsAppConfig"`` in ``INSTALLED_APPS``
    so that ``manage.py check`` reports corecors's settings problems."""

    name = "corecors.adapters.django"
    label = "corecors"
    verbose_name = "corecors"
    default = True
