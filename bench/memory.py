"""Peak memory per decision (tracemalloc), at two header sizes.

The adversarial preflights carry up to 100 KB of Access-Control-Request-Headers.
The request value itself is built before tracing starts (a server has already
read it); what is measured is what corecors allocates on top of it while it
decides, at full size and at a tenth of it. Equal peaks show that the work
does not grow with the header.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from subjects import ADVERSARIAL, CONFIG, KIND_BY_NAME, Kind, corecors_wsgi, decide
from subjects import bare_wsgi_app as _app


@dataclass
class MemoryRow:
    kind: str
    label: str
    header_bytes: int
    decide_peak: int
    wsgi_peak: int


def peak_of(action: Callable[[], Any]) -> int:
    """Bytes allocated at the peak of one call of *action*, above the start."""
    action()  # warm: first-call caches are not part of the steady state
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = action()
        peak = tracemalloc.get_traced_memory()[1] - base
        del result
    finally:
        tracemalloc.stop()
    return peak


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def measure_kind(kind: Kind) -> MemoryRow:
    request = kind.request()
    environ = kind.environ()
    middleware = corecors_wsgi(_app)
    copies = [dict(environ) for _ in range(2)]  # built before tracing starts

    def one_wsgi_call() -> Any:
        return list(middleware(copies.pop() if copies else dict(environ), _start_response))

    return MemoryRow(
        kind=kind.name,
        label=kind.label,
        header_bytes=len(kind.headers.get("Access-Control-Request-Headers", "")),
        decide_peak=peak_of(lambda: decide(request, CONFIG)),
        wsgi_peak=peak_of(one_wsgi_call),
    )


def measure() -> list[MemoryRow]:
    rows = [measure_kind(KIND_BY_NAME["allowed_preflight"])]
    for name, (label, make, size) in ADVERSARIAL.items():
        full = KIND_BY_NAME[name]
        small_value = make(size // 10)
        small = Kind(
            f"{name}_tenth",
            f"{label} (a tenth of it)",
            full.method,
            {**full.headers, "Access-Control-Request-Headers": small_value},
            adversarial=True,
        )
        rows.append(measure_kind(small))
        rows.append(measure_kind(full))
    return rows
