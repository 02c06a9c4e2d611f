"""Decision: what corecors decided about one request, and how it applies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import FrozenInstanceError
from typing import Any, Literal

from ._model import Header, Kind, RawHeader

__all__ = ["Action", "Decision", "merge_vary"]

Action = Literal["respond", "forward", "pass"]

_new = object.__new__


class _DecisionSlots:
    """The storage of a Decision: its slots, and nothing else."""

    __slots__ = (
        "_raw",
        "_tail",
        "action",
        "allowed",
        "headers",
        "kind",
        "reasons",
        "status",
        "vary",
    )

    action: Action
    kind: Kind
    allowed: bool
    reasons: tuple[str, ...]
    status: int | None
    headers: tuple[Header, ...]
    vary: tuple[str, ...]
    _tail: list[Header]
    _raw: tuple[list[RawHeader], list[RawHeader]] | None


class _Building(_DecisionSlots):
    # A Decision under construction: the same slots, plain assignment (a
    # frozen class's __setattr__ would cost a call per field). The named
    # constructors fill one in, then make it a Decision, which is frozen.
    __slots__ = ()


class Decision(_DecisionSlots):
    """What corecors decided about one request: plain, immutable data.

    ``action`` says what the adapter does, and every adapter does exactly
    that:

    - ``"respond"``: send ``status`` and ``headers`` now, with an empty body,
      and do not call the application (a preflight corecors answers, or a
      WebSocket handshake refused under ``check_websocket_origin``).
    - ``"forward"``: call the application, then pass its response headers
      through :meth:`apply`: it drops any ``Access-Control-*`` headers the
      application set, merges ``vary`` into its ``Vary``, and adds
      ``headers``. A valid preflight under ``preflight_passthrough`` is
      forwarded too: the application answers it, with the preflight headers
      added.
    - ``"pass"``: corecors has nothing to say (a WebSocket handshake it does
      not refuse, ``enabled=False``); call the application and leave its
      response exactly as it made it.

    If the application raises before its response starts,
    :func:`corecors.error_answer` says what to send instead.

    Its fields:

    - ``action``: ``"respond"``, ``"forward"`` or ``"pass"``;
    - ``kind``: ``"not_cors"``, ``"actual"`` or ``"preflight"``;
    - ``allowed``: whether the browser will be granted access;
    - ``reasons``: reason codes, see :data:`corecors.REASONS`; empty when
      allowed;
    - ``status``: the status to answer with, when the action is ``"respond"``
      (else ``None``);
    - ``headers``: the whole response header list when responding, else the
      headers to add;
    - ``vary``: the Vary tokens the response must carry.

    Make one with :meth:`answer`, :meth:`forward` or :meth:`let_pass`.
    Assigning to a field raises :class:`dataclasses.FrozenInstanceError` (an
    :class:`AttributeError`), since decisions are shared between requests.

    >>> Decision.forward("actual", True, (), (("Access-Control-Allow-Origin", "*"),), ())
    Decision(action='forward', kind='actual', allowed=True, reasons=(), status=None, \
headers=(('Access-Control-Allow-Origin', '*'),), vary=())
    """

    __slots__ = ()

    def __new__(cls, *args: object, **kwargs: object) -> Decision:
        raise TypeError(
            "make a Decision with Decision.answer(), Decision.forward() or Decision.let_pass()"
        )

    @staticmethod
    def answer(
        kind: Kind,
        allowed: bool,
        reasons: tuple[str, ...],
        status: int,
        headers: tuple[Header, ...],
        vary: tuple[str, ...],
    ) -> Decision:
        """Answer now with *status* and *headers* (the whole header list)."""
        return _make("respond", kind, allowed, reasons, status, headers, vary)

    @staticmethod
    def forward(
        kind: Kind,
        allowed: bool,
        reasons: tuple[str, ...],
        headers: tuple[Header, ...],
        vary: tuple[str, ...],
    ) -> Decision:
        """Call the application and add *headers* and *vary* to its response."""
        return _make("forward", kind, allowed, reasons, None, headers, vary)

    @staticmethod
    def let_pass(reasons: tuple[str, ...]) -> Decision:
        """Call the application and leave its response alone (not CORS)."""
        return _make("pass", "not_cors", False, reasons, None, (), ())

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"a Decision is immutable (it is shared): cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"a Decision is immutable (it is shared): cannot delete {name!r}")

    def _fields(self) -> tuple[object, ...]:
        return (
            self.action,
            self.kind,
            self.allowed,
            self.reasons,
            self.status,
            self.headers,
            self.vary,
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not Decision:
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        names = ("action", "kind", "allowed", "reasons", "status", "headers", "vary")
        shown = ", ".join(f"{n}={v!r}" for n, v in zip(names, self._fields(), strict=True))
        return f"Decision({shown})"

    def __reduce__(self) -> tuple[Any, tuple[object, ...]]:
        return _make, self._fields()

    def apply(self, headers: Iterable[Header]) -> list[Header]:
        """Return the application's response headers with this decision applied.

        >>> from corecors import Config, Request, decide
        >>> config = Config(allow_origins=["https://app.example.com"])
        >>> d = decide(Request("GET", origin="https://app.example.com"), config)
        >>> d.apply([("Content-Type", "text/plain"), ("Vary", "Accept"),
        ...          ("Access-Control-Allow-Origin", "*")])
        [('Content-Type', 'text/plain'), ('Vary', 'Accept, Origin'), \
('Access-Control-Allow-Origin', 'https://app.example.com')]
        """
        # Fast path for the usual response: a list whose names are all known
        # to be neither Vary nor Access-Control-* (one set lookup each), so
        # there is nothing to drop or merge. (A "pass" decision's tail is
        # empty, so this copies the list.)
        # (An item is left as the application gave it, as without corecors.)
        if type(headers) is list:
            plain = _PLAIN_NAMES
            for item in headers:
                if item[0] not in plain:
                    break
            else:
                return headers + self._tail
        if self.action == "pass":
            return list(headers)
        out: list[Header] = []
        app_vary: list[str] = []
        for name, value in headers:
            lname = name.lower()
            if lname == "vary":
                app_vary.append(value)
            elif not lname.startswith("access-control-"):
                out.append((name, value))
                if len(_PLAIN_NAMES) < _MAX_PLAIN_NAMES:
                    _PLAIN_NAMES.add(name)
        vary = merge_vary(app_vary, self.vary)
        if vary:
            out.append(("Vary", vary))
        out.extend(self.headers)
        return out

    def apply_raw(self, headers: Iterable[Sequence[bytes]]) -> list[RawHeader]:
        """:meth:`apply` for header bytes as ASGI carries them.

        The headers corecors adds have lower-case names, as ASGI asks.

        >>> from corecors import Config, Request, decide
        >>> config = Config(allow_origins=["https://app.example.com"])
        >>> d = decide(Request("GET", origin="https://app.example.com"), config)
        >>> d.apply_raw([(b"content-type", b"text/plain")])
        [(b'content-type', b'text/plain'), (b'vary', b'Origin'), \
(b'access-control-allow-origin', b'https://app.example.com')]
        """
        if self.action == "pass":
            return [(bytes(name), bytes(value)) for name, value in headers]
        raw = self._raw or self._encode()
        raw_tail = raw[1]
        if type(headers) is list:
            plain = _PLAIN_RAW_NAMES
            for item in headers:
                if type(item) is not tuple or item[0] not in plain:
                    break
            else:
                return headers + raw_tail
        out: list[RawHeader] = []
        app_vary: list[str] = []
        for name, value in headers:
            lname = bytes(name).lower()
            if lname == b"vary":
                app_vary.append(bytes(value).decode("latin-1"))
            elif not lname.startswith(b"access-control-"):
                out.append((bytes(name), bytes(value)))
                if len(_PLAIN_RAW_NAMES) < _MAX_PLAIN_NAMES:
                    _PLAIN_RAW_NAMES.add(bytes(name))
        vary = merge_vary(app_vary, self.vary)
        if vary:
            out.append((b"vary", vary.encode("latin-1")))
        out.extend(raw[0])
        return out

    @property
    def raw_headers(self) -> list[RawHeader]:
        """``headers`` as ASGI carries them: lower-case names, Latin-1 bytes.

        >>> from corecors import Config, Request, decide
        >>> config = Config(allow_origins="*")
        >>> decide(Request("GET", origin="https://a.example"), config).raw_headers
        [(b'access-control-allow-origin', b'*')]
        """
        return list((self._raw or self._encode())[0])

    def _encode(self) -> tuple[list[RawHeader], list[RawHeader]]:
        # Made once per Decision, when first asked for; the decision tables
        # keep their Decisions, so a repeated answer pays nothing.
        raw = (_encode(self.headers), _encode(self._tail))
        _set_raw(self, raw)
        return raw


# The slot's own setter: the one write a Decision takes, its cache of ASGI forms.
_set_raw = _DecisionSlots.__dict__["_raw"].__set__


def _make(
    action: Action,
    kind: Kind,
    allowed: bool,
    reasons: tuple[str, ...],
    status: int | None,
    headers: tuple[Header, ...],
    vary: tuple[str, ...],
) -> Decision:
    d = _new(_Building)
    d.action = action
    d.kind = kind
    d.allowed = allowed
    d.reasons = reasons
    d.status = status
    d.headers = headers
    d.vary = vary
    # What apply() appends to a response that has no Vary of its own.
    d._tail = [("Vary", ", ".join(vary)), *headers] if vary else list(headers)
    d._raw = None  # the ASGI forms, made when first needed
    d.__class__ = Decision  # type: ignore[assignment]
    return d  # type: ignore[return-value]


def _encode(headers: Iterable[Header]) -> list[RawHeader]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]


# Response header names, as applications spell them, that are neither Vary
# nor Access-Control-*: learned by apply() and bounded, so that the usual
# response is checked with one set lookup per header.
_MAX_PLAIN_NAMES = 256
_PLAIN_NAMES: set[str] = {"Content-Type", "Content-Length", "content-type", "content-length"}
_PLAIN_RAW_NAMES: set[bytes] = {b"content-type", b"content-length"}


def merge_vary(existing: Iterable[str], tokens: tuple[str, ...]) -> str:
    """One ``Vary`` value holding the *existing* values' tokens and *tokens*.

    Tokens compare case-insensitively and are added once; ``*`` already
    covers everything.

    >>> merge_vary(["Accept-Encoding", "origin"], ("Origin", "Access-Control-Request-Method"))
    'Accept-Encoding, origin, Access-Control-Request-Method'
    >>> merge_vary(["*"], ("Origin",))
    '*'
    """
    merged: list[str] = []
    seen: set[str] = set()
    for value in existing:
        for token in value.split(","):
            token = token.strip(" \t")
            if token and token.lower() not in seen:
                seen.add(token.lower())
                merged.append(token)
    if "*" not in seen:
        for token in tokens:
            if token.lower() not in seen:
                seen.add(token.lower())
                merged.append(token)
    return ", ".join(merged)
