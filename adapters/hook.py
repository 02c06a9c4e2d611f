"""The dict hook: corecors for any proxy or gateway that can call Python.

.. code-block:: python

    from corecors import Config
    from corecors.adapters.hook import apply_forward, handle

    config = Config(allow_origins=["https://app.example.com"])

    result = handle({"method": "GET", "path": "/items",
                     "headers": [["Origin", "https://app.example.com"]]}, config)
    if result["action"] == "respond":
        ...  # answer now: result["status"], result["headers"], empty body
    else:
        ...  # forward the request upstream, then:
        headers = apply_forward(result, upstream_response_headers)

Plain JSON-serialisable data goes in and out, so the hook works across any
process boundary. :func:`handle` returns one of three actions:

``"respond"``
    Answer now with ``status`` and ``headers`` and an empty body; do not
    forward (a preflight corecors answers, allowed or refused, or a
    WebSocket handshake refused with ``403`` under ``check_websocket_origin``).
``"forward"``
    Forward the request. On the way back, remove every ``Access-Control-*``
    header the upstream set, merge ``vary`` into its ``Vary`` and add
    ``headers``: :func:`apply_forward` does exactly that.
``"pass"``
    Forward the request and leave the upstream's response untouched
    (``headers`` and ``vary`` are empty). corecors has nothing to say: a
    WebSocket handshake it does not refuse, or a config with ``enabled=False``.
    :func:`apply_forward` returns the upstream headers as they are.

Every result also carries ``reasons`` (see :data:`corecors.REASONS`),
``kind`` and ``allowed`` from the :class:`~corecors.Decision`.

:func:`handle` never raises on the request dict. A part that is missing or
of the wrong type counts as absent: a missing or non-text ``method`` is no
method (so never a preflight), and a header whose name or value is not text
is skipped. Text may be ``str`` or ``bytes`` (read as Latin-1, as HTTP
header bytes are); a value that is a list of texts counts as repeated lines,
as API Gateway's ``multiValueHeaders`` give them. ``path`` is not read: pick
the config for a path before you call :func:`handle`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from corecors import Config, Decision, Policy, Request, decide, resolve_config

__all__ = ["apply_forward", "handle", "result_of"]

Pairs = Iterable[Sequence[str]] | Mapping[str, str]


def handle(request: Mapping[str, Any], config: Config | Policy) -> dict[str, Any]:
    """Decide about one request given as a dict; return the action as a dict.

    >>> from corecors import Config
    >>> config = Config(allow_origins=["https://app.example.com"], allow_methods=["PUT"])
    >>> handle({"method": "OPTIONS", "headers": {"Origin": "https://app.example.com",
    ...         "Access-Control-Request-Method": "PUT"}}, config)["status"]
    204
    >>> handle({"method": "GET", "headers": [["Origin", "https://evil.example"]]}, config)
    {'action': 'forward', 'headers': [], 'vary': ['Origin'], \
'reasons': ['origin_not_allowed'], 'kind': 'actual', 'allowed': False}
    """
    config = resolve_config(config, {}, "handle")
    method = ""
    headers: object = ()
    if isinstance(request, Mapping):
        method = _text(request.get("method")) or ""
        headers = request.get("headers")
    return result_of(decide(Request.from_headers(method, _pairs(headers)), config))


def result_of(decision: Decision) -> dict[str, Any]:
    """The dict form of a :class:`~corecors.Decision`, as :func:`handle` returns it."""
    common = {
        "reasons": list(decision.reasons),
        "kind": decision.kind,
        "allowed": decision.allowed,
    }
    action = decision.action
    if action == "respond":
        return {
            "action": action,
            "status": decision.status,
            "headers": [[name, value] for name, value in decision.headers],
            **common,
        }
    if action == "pass":
        return {"action": action, "headers": [], "vary": [], **common}
    return {
        "action": action,
        "headers": [[name, value] for name, value in decision.headers],
        "vary": list(decision.vary),
        **common,
    }


def apply_forward(result: Mapping[str, Any], upstream_headers: Pairs) -> list[list[Any]]:
    """The upstream's response headers with a ``forward`` (or ``pass``) result applied.

    *upstream_headers* is a list of ``[name, value]`` pairs (repeated names
    allowed) or a mapping. For ``forward``: every ``Access-Control-*`` header
    is dropped, ``vary`` is merged into ``Vary`` and ``headers`` are added,
    by :meth:`corecors.Decision.apply`. For ``pass``: unchanged.

    >>> apply_forward({"action": "forward", "headers": [["Access-Control-Allow-Origin",
    ...     "https://app.example.com"]], "vary": ["Origin"]},
    ...     [["Vary", "Accept-Encoding"], ["Access-Control-Allow-Origin", "*"]])
    [['Vary', 'Accept-Encoding, Origin'], ['Access-Control-Allow-Origin', \
'https://app.example.com']]
    """
    items = upstream_headers.items() if isinstance(upstream_headers, Mapping) else upstream_headers
    given = [(name, value) for name, value in items]
    # Names and values may be str or bytes (as proxies hold them); the
    # result comes back in the form it was given.
    as_bytes = any(isinstance(n, (bytes, bytearray)) for n, _ in given)
    pairs = [(_latin1(name), _latin1(value)) for name, value in given]
    action = result.get("action")
    if action == "pass":
        return [[name, value] for name, value in given]
    if action != "forward":
        raise ValueError(
            f"apply_forward takes a 'forward' or 'pass' result, not {action!r}: "
            "a 'respond' result is answered at once and never forwarded"
        )
    decision = Decision.forward(
        result.get("kind", "actual"),
        bool(result.get("allowed", False)),
        tuple(result.get("reasons", ())),
        tuple((name, value) for name, value in result["headers"]),
        tuple(result["vary"]),
    )
    applied = decision.apply(pairs)
    if as_bytes:
        return [[n.encode("latin-1"), v.encode("latin-1")] for n, v in applied]
    return [[name, value] for name, value in applied]


def _latin1(value: object) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return str(value)


# -- reading the request dict, never raising ---------------------------------


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return None


def _pairs(headers: object) -> Iterator[tuple[str, str]]:
    if isinstance(headers, Mapping):
        items: Iterable[object] = headers.items()
    elif isinstance(headers, Iterable) and not isinstance(headers, (str, bytes, bytearray)):
        items = headers  # a list, a tuple, a set, a generator: any iterable of pairs
    else:
        return
    for item in items:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            continue
        name = _text(item[0])
        if name is None:
            continue
        raw = item[1]
        values = raw if isinstance(raw, (list, tuple)) else (raw,)
        for value in values:
            text = _text(value)
            if text is not None:
                yield name, text
