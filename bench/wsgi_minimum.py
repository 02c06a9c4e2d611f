"""How close a correct WSGI middleware can get to the table-lookup floor.

    python3 bench/wsgi_minimum.py

A diagnostic beside the harness, not part of it. On the bare WSGI app and an
allowed actual request it times, in interleaved rounds: the table-lookup
floor, the inlined minimum of bench/subjects.py, the same minimum without
leaving a decision in the environ, and wsgicors. Printed: each one's
overhead over the bare app and its ratio to the floor's and to wsgicors'.
"""

from __future__ import annotations

import gc
import random
import statistics
from collections.abc import Callable, Iterable
from typing import Any

from subjects import (
    KIND_BY_NAME,
    Environ,
    Headers,
    InlinedMinimum,
    bare_wsgi_app,
    floor,
    rewrite,
    wsgicors_wsgi,
)
from timing import wsgi_runner


class WithoutDecision(InlinedMinimum):
    """The inlined minimum, less the decision it leaves for the application."""

    __slots__ = ()

    def __call__(
        self, environ: Environ, start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "OPTIONS" or "HTTP_UPGRADE" in environ:
            return self.fallback(environ, start_response)
        tail = self.table.get(environ.get("HTTP_ORIGIN"), self.vary_only)  # type: ignore[arg-type]
        started = False
        plain = self.PLAIN

        def add_headers(status: str, headers: Headers, exc_info: Any = None) -> Any:
            nonlocal started
            started = True
            for item in headers:
                if item[0] not in plain:
                    break
            else:
                return start_response(status, headers + tail, exc_info)
            return start_response(status, rewrite(headers, tail), exc_info)

        try:
            return self.app(environ, add_headers)
        except Exception:
            if started:
                raise
            return self.answer_error(start_response, tail)


def main() -> None:
    environ = KIND_BY_NAME["allowed_actual"].environ()
    subjects = {
        "bare": bare_wsgi_app,
        "floor": floor(bare_wsgi_app),
        "inlined minimum": InlinedMinimum(bare_wsgi_app),
        "minimum, no decision": WithoutDecision(bare_wsgi_app),
        "wsgicors": wsgicors_wsgi(bare_wsgi_app),
    }
    runs = {name: wsgi_runner(app, environ) for name, app in subjects.items()}
    number = 20_000
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    gc.disable()
    for round_ in range(31):
        order = list(subjects)
        random.Random(round_).shuffle(order)
        for name in order:
            samples[name].append(runs[name](number) / number)
    medians = {name: statistics.median(values) * 1e9 for name, values in samples.items()}
    bare = medians["bare"]
    floor_cost = medians["floor"] - bare
    wsgicors_cost = medians["wsgicors"] - bare
    for name, median in medians.items():
        cost = median - bare
        print(f"{name:22} +{cost:5.0f} ns   {cost / floor_cost:4.2f}× the floor   "
              f"{cost / wsgicors_cost:4.2f}× wsgicors")


if __name__ == "__main__":
    main()
