"""The one rule for an application that raises before its response starts.

Every adapter follows it; the rule is :func:`error_answer`'s docstring.
"""

from __future__ import annotations

from typing import NamedTuple

from ._decision import Decision, _encode
from ._model import Header, RawHeader

__all__ = ["ERROR_BODY", "ErrorAnswer", "error_answer"]

#: The body of the ``500`` an adapter sends for an application that raised.
ERROR_BODY = b"Internal Server Error"

_ERROR_HEADERS: list[Header] = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Length", str(len(ERROR_BODY))),
]


class ErrorAnswer(NamedTuple):
    """What to send for an application that raised: see :func:`error_answer`."""

    #: always ``500``
    status: int
    #: the whole header list, CORS headers included
    headers: list[Header]
    #: :data:`ERROR_BODY`
    body: bytes

    @property
    def raw_headers(self) -> list[RawHeader]:
        """``headers`` as ASGI carries them: lower-case names, Latin-1 bytes."""
        return _encode(self.headers)


def error_answer(decision: Decision) -> ErrorAnswer | None:
    """The ``500`` to send when the application raised before its response
    started, or ``None`` to let the exception propagate.

    This is the one rule for an application that raises; every adapter
    follows it, and none has a rule of its own.

    1. The exception propagates unchanged, to the server or the framework, when
       the response has already started, when the adapter is told to let
       exceptions through (``propagate_exceptions=True`` in WSGI and ASGI,
       Flask's ``PROPAGATE_EXCEPTIONS`` or testing mode, Django's
       ``DEBUG_PROPAGATE_EXCEPTIONS``), or when this function returns ``None``.
    2. Otherwise the adapter sends this answer's status, headers and body
       instead, and still reports the exception where the server logs
       it: ASGI re-raises it after the answer, WSGI writes its traceback to
       ``wsgi.errors``, Flask logs it with ``app.logger.exception``.

    It answers only when the browser needs corecors to read
    the failure: the request was forwarded as an allowed CORS request (an
    allowed actual request, or a valid preflight under
    ``preflight_passthrough``). Its ``500`` then carries the same CORS headers a
    success would have, so the page sees a ``500`` rather than an opaque
    network error. Any other request (no Origin, a refused Origin, a request
    corecors leaves alone) gains nothing a browser could read from corecors's
    answer, so its exception goes where it would go without corecors.

    Where a framework turns exceptions into responses itself (Django's
    ``handler500``, Flask's error handling), that response comes back through
    corecors like any other and gets the decision's headers; no exception
    reaches the rule.

    >>> from corecors import Config, Request, decide
    >>> config = Config(allow_origins=["https://app.example.com"])
    >>> error_answer(decide(Request("GET", origin="https://app.example.com"), config))
    ErrorAnswer(status=500, headers=[('Content-Type', 'text/plain; charset=utf-8'), \
('Content-Length', '21'), ('Vary', 'Origin'), \
('Access-Control-Allow-Origin', 'https://app.example.com')], body=b'Internal Server Error')
    >>> error_answer(decide(Request("GET"), config)) is None
    True
    """
    if decision.action != "forward" or not decision.allowed:
        return None
    return ErrorAnswer(500, decision.apply(list(_ERROR_HEADERS)), ERROR_BODY)
