"""What the WSGI and ASGI middlewares share: how they take a policy."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from corecors import Config, Policy, reconfigured, resolve_config

__all__ = ["Middleware"]

App = TypeVar("App")


class Middleware(Generic[App]):
    """An application wrapped with a CORS policy, given as ``config=`` (a
    Config or a Policy) or as keyword options, and reconfigurable."""

    __slots__ = ("app", "config", "propagate_exceptions")

    def __init__(
        self,
        app: App,
        config: Config | Policy | None = None,
        *,
        propagate_exceptions: bool = False,
        **options: Any,
    ) -> None:
        self.app = app
        self.config = resolve_config(config, options, type(self).__name__)
        self.propagate_exceptions = propagate_exceptions

    def reconfigure(self, config: Config) -> None:
        """Put *config* in force for the requests that start from now on."""
        self.config = reconfigured(self.config, config)
