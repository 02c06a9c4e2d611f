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

from corecors import Decision, decide_cgi, error_answer
from corecors.adapters._middleware import Middleware

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["ENVIRON_KEY", "CORSMiddleware"]

#: Where the middleware leaves the :class:`~corecors.Decision` in the environ.
ENVIRON_KEY = "corecors.decision"


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


class CORSMiddleware(Middleware["WSGIApplication"]):
    """Wrap a WSGI application with the CORS policy *config*.

    :param app: the WSGI application to protect.
    :param config: a :class:`corecors.Config` or :class:`corecors.Policy`;
        or give the options as keywords instead
        (``CORSMiddleware(app, allow_origins=[...])``).
    :param propagate_exceptions: when the application raises before it has
        started a response, re-raise at once (for a debugger outside this
        middleware). Otherwise the middleware follows the core's rule
        (:func:`corecors.error_answer`): for an allowed CORS request it
        answers ``500`` with the CORS headers the browser needs to read the
        error, and writes the traceback to ``wsgi.errors``; any other
        request's exception propagates unchanged.
    """

    __slots__ = ()

    app: WSGIApplication

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # This runs on every request: keep it to the decision, one closure
        # and the header rewrite (see docs/performance.md before adding to it).
        environ[ENVIRON_KEY] = decision = decide_cgi(environ, self.config)
        action = decision.action
        if action != "forward":
            if action == "respond":
                start_response(_STATUS_LINES[decision.status], list(decision.headers))  # type: ignore[index]
                return []
            return self.app(environ, start_response)  # "pass"
        started = False

        def cors_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            nonlocal started
            started = True
            if exc_info is None:  # some callers' start_response takes two arguments
                return start_response(status, decision.apply(headers))
            return start_response(status, decision.apply(headers), exc_info)

        try:
            result = self.app(environ, cors_start_response)
        except Exception:
            if started or self.propagate_exceptions:
                raise
            return _error(environ, start_response, decision)
        if started or self.propagate_exceptions:
            return result
        # PEP 3333 lets an application call start_response when its iterable
        # is first iterated (a generator does): an exception raised in that
        # first step, before the response starts, follows the same rule.
        return _FirstStep(result, environ, start_response, decision, lambda: started)


def _error(
    environ: WSGIEnvironment, start_response: StartResponse, decision: Decision
) -> Iterable[bytes]:
    """The core's rule for an exception before the response started (called
    from an ``except`` block: a bare ``raise`` lets the exception go on)."""
    answer = error_answer(decision)
    if answer is None:
        raise  # the exception being handled goes on
    errors = environ.get("wsgi.errors")
    if errors is not None:
        errors.write("".join(traceback.format_exception(*sys.exc_info())))
    # No response has started, so a plain start_response is the right
    # call (passing exc_info would make some servers re-raise).
    start_response(_STATUS_LINES[answer.status], answer.headers)
    return [answer.body]


class _FirstStep:
    """An application's response iterable whose first step may start the
    response. If that step raises first, the core's rule applies (see
    :func:`_error`); ``close`` reaches the application's iterable (PEP 3333).
    Nothing is taken from the iterable before the server asks for it."""

    __slots__ = ("_decision", "_environ", "_result", "_start_response", "_started")

    def __init__(
        self,
        result: Iterable[bytes],
        environ: WSGIEnvironment,
        start_response: StartResponse,
        decision: Decision,
        started: Callable[[], bool],
    ) -> None:
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
            yield from _error(self._environ, self._start_response, self._decision)
            return
        yield first
        yield from iterator

    def close(self) -> None:
        close = getattr(self._result, "close", None)
        if close is not None:
            close()
