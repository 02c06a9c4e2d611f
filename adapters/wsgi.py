"""WSGI middleware: corecors in front of any PEP 3333 application.

.. code-block:: python

    from corecors import Config
    from corecors.adapters.wsgi import CORSMiddleware

    config = Config(allow_origins=["https://app.example.com"], allow_methods=["GET", "PUT"])
    application = CORSMiddleware(application, config)

The middleware answers preflights itself (or, with ``preflight_passthrough``,
passes a valid one on to the application and adds the preflight headers to
its response). For every other request it calls the application and, at
``start_response``, drops any ``Access-Control-*`` headers the application
set, merges ``Vary`` and adds the decision's headers. The response body is
passed through untouched, so streaming responses stream.

The decision is left in ``environ["corecors.decision"]`` for the application.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from corecors import Config, Decision, Policy, decide_cgi, reconfigured, resolve_config

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["ENVIRON_KEY", "CORSMiddleware"]

#: Where the middleware leaves the :class:`~corecors.Decision` in the environ.
ENVIRON_KEY = "corecors.decision"

_ERROR_BODY = b"Internal Server Error"


class _StatusLines(dict[int, str]):
    """Status lines by code, made once each (the 2xx and 4xx-5xx codes allowed)."""

    def __missing__(self, status: int) -> str:
        line = self[status] = status_line(status)
        return line


_STATUS_LINES = _StatusLines()


def status_line(status: int) -> str:
    """``204`` -> ``"204 No Content"``."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class CORSMiddleware:
    """Wrap a WSGI application with the CORS policy *config*.

    :param app: the WSGI application to protect.
    :param config: a :class:`corecors.Config`.
    :param propagate_exceptions: when the application raises before it has
        started a response, re-raise (for a debugger outside this
        middleware) instead of answering ``500`` with the CORS headers the
        browser needs to read the error. The traceback goes to
        ``wsgi.errors`` either way.
    """

    __slots__ = ("_status_lines", "app", "config", "propagate_exceptions")

    def __init__(
        self,
        app: WSGIApplication,
        config: Config | Policy | None = None,
        *,
        propagate_exceptions: bool = False,
        **options: Any,
    ) -> None:
        self.app = app
        self.config = resolve_config(config, options, "CORSMiddleware")
        self.propagate_exceptions = propagate_exceptions
        self._status_lines = _STATUS_LINES

    def reconfigure(self, config: Config) -> None:
        """Put *config* in force for the requests that start from now on."""
        self.config = reconfigured(self.config, config)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # This runs on every request: keep it to the decision, one closure
        # and the header rewrite (see docs/performance.md before adding to it).
        decision = decide_cgi(environ, self.config)
        environ[ENVIRON_KEY] = decision
        if decision.respond:
            start_response(self._status_lines[decision.status], list(decision.headers))  # type: ignore[index]
            return []
        if decision.untouched:
            return self.app(environ, start_response)
        apply = decision.apply
        started = False

        def cors_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            nonlocal started
            started = True
            if exc_info is None:
                return start_response(status, apply(headers))
            return start_response(status, apply(headers), exc_info)

        try:
            result = self.app(environ, cors_start_response)
        except Exception:
            if started or self.propagate_exceptions:
                raise
            return self._error(environ, start_response, decision)
        if started or self.propagate_exceptions:
            return result
        # PEP 3333 lets an application call start_response when its iterable
        # is first iterated (a generator does): an exception raised in that
        # first step, before the response starts, gets the same readable 500.
        return _FirstStep(self, result, environ, start_response, decision, lambda: started)

    @staticmethod
    def _error(
        environ: WSGIEnvironment, start_response: StartResponse, decision: Decision
    ) -> Iterable[bytes]:
        exc_info = sys.exc_info()
        errors = environ.get("wsgi.errors")
        if errors is not None:
            errors.write("".join(traceback.format_exception(*exc_info)))
        return answer_error(start_response, decision)


class _FirstStep:
    """An application's response iterable whose first step may start the
    response. If that step raises first, the 500 with the CORS headers is
    sent instead; ``close`` reaches the application's iterable (PEP 3333).
    Nothing is taken from the iterable before the server asks for it."""

    __slots__ = ("_decision", "_environ", "_middleware", "_result", "_start_response", "_started")

    def __init__(
        self,
        middleware: CORSMiddleware,
        result: Iterable[bytes],
        environ: WSGIEnvironment,
        start_response: StartResponse,
        decision: Decision,
        started: Callable[[], bool],
    ) -> None:
        self._middleware = middleware
        self._result = result
        self._environ = environ
        self._start_response = start_response
        self._decision = decision
        self._started = started

    def __iter__(self) -> Iterator[bytes]:
        iterator = iter(self._result)
        try:
            first = next(iterator)
        except StopIteration:
            return
        except Exception:
            if self._started():
                raise
            yield from self._middleware._error(self._environ, self._start_response, self._decision)
            return
        yield first
        yield from iterator

    def close(self) -> None:
        close = getattr(self._result, "close", None)
        if close is not None:
            close()


def answer_error(start_response: StartResponse, decision: Decision) -> list[bytes]:
    """Answer ``500`` with *decision*'s headers, for an app that raised before
    it started a response (the Flask extension answers the same way)."""
    headers = decision.apply(
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(_ERROR_BODY))),
        ]
    )
    # No response has started, so a plain start_response is the right
    # call (passing exc_info would make some servers re-raise).
    start_response("500 Internal Server Error", headers)
    return [_ERROR_BODY]
