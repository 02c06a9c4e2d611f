"""How a decision's cost grows with the config: exact origins, patterns, regexes.

Every figure is a ratio to a cached allowed ``decide()`` on a one-origin
config, timed in the same run. Run: ``python bench/scale.py`` (about a
minute); ``--quick`` runs fewer rounds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial

from adversarial import adversarial_origins

from corecors import Config, Request, decide

ROUNDS = 7

#: Accepted regexes of every shape the proof allows, with their domain.
ACCEPTED = [
    (r"https://[a-z0-9-]+\.example\.com", "example.com"),
    (r"https://(?:[a-z0-9-]+\.)*example\.com(?::[0-9]+)?", "example.com"),
    (r"https://.*\.example\.com", "example.com"),
    (r"https://(?:.+\.)?example\.com", "example.com"),
    (r"https?://[\w.-]+\.example\.com", "example.com"),
    (r"https://[a-z0-9]+-preview\.example\.com", "example.com"),
    (r"https://(?:[a-z0-9]+-)*[a-z0-9]+\.example\.com", "example.com"),
    (r"https://(?:[a-z]+[0-9]*\.)+example\.com", "example.com"),
    (r"https://(?:x[a-z]*\.)+example\.com", "example.com"),
    (r"https://[^.]+\.(?:app|api)\.example\.(?:com|org)", "example.com"),
]


def per_call(fn: Callable[[], object], n: int) -> float:
    """The median over ROUNDS of the seconds one call takes, *n* calls a round."""
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - start) / n)
    return statistics.median(samples)


def fresh(origins: list[str], config: Config) -> float:
    """Seconds per decision for origins never seen before (each used once)."""
    requests = [Request("GET", origin=o) for o in origins]
    start = time.perf_counter()
    for r in requests:
        decide(r, config)
    return (time.perf_counter() - start) / len(requests)


def rand_label(rng: random.Random, n: int = 10) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


def build(options: dict[str, object]) -> tuple[Config, float, int]:
    """The config, seconds to build it, and bytes it holds (measured apart:
    tracemalloc slows the build down many times)."""
    start = time.perf_counter()
    config = Config(**options)  # type: ignore[arg-type]
    took = time.perf_counter() - start
    tracemalloc.start()
    again = Config(**options)  # type: ignore[arg-type]
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del again
    return config, took, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    base, rows = measure(args.quick)
    print(f"base: cached allowed decide() on a one-origin config = {base * 1e9:.0f} ns\n")
    print(f"{'config':<14} {'request':<52} ratio")
    for config_name, what, value in rows:
        shown = f"{value:6.2f}x" if value else ""
        print(f"{config_name:<14} {what:<52} {shown}")
    return 0


def markdown(base: float, rows: list[tuple[str, str, float]]) -> str:
    """The scale section of bench/results.md (bench/run.py)."""
    lines = [
        "## Scale: the cost against the size of the config",
        "",
        f"Each ratio is to a cached allowed `decide()` on a one-origin config in the same "
        f"run ({base * 1e9:.0f} ns); build rows give the cost and memory per origin. "
        "Targets are in docs/performance.md.",
        "",
        "| config | request | ratio |",
        "| --- | --- | --- |",
    ]
    for config_name, what, value in rows:
        # Regex text as code ("[^.]" would be a footnote, "*" emphasis); a
        # table cell's "|" is escaped even there.
        escaped = what.replace("|", "\\|")
        if what.startswith(("http", "^")):
            text, _, rest = what.partition(" (")
            escaped = "`" + text.replace("|", "\\|") + "`" + (" (" + rest if rest else "")
        ratio = f"{value:.2f}×" if value else ""
        lines.append(f"| {config_name} | {escaped} | {ratio} |")
    return "\n".join(lines) + "\n"


def measure(quick: bool) -> tuple[float, list[tuple[str, str, float]]]:
    """The base (seconds per cached decision) and every row, as a ratio to it."""
    global ROUNDS
    if quick:
        ROUNDS = 3
    rng = random.Random(7)
    n = 2000 if quick else 20000
    base_config = Config(allow_origins=["https://app.example.com"])
    hit = Request("GET", origin="https://app.example.com")
    base = per_call(lambda: decide(hit, base_config), n)
    rows: list[tuple[str, str, float]] = []

    def unseen(config: Config, template: str, count: int = n) -> float:
        """The ratio for *count* never-seen origins made from *template*."""
        return fresh([template.format(rand_label(rng)) for _ in range(count)], config) / base

    for size in (1, 10, 100, 1000, 10000):
        origins = [f"https://t{i}.example.com" for i in range(size)]
        config, took, mem = build({"allow_origins": origins})
        cached = partial(decide, Request("GET", origin=origins[-1]), config)
        name = f"{size} exact"
        rows.append((name, "cached allowed", per_call(cached, n) / base))
        rows.append((name, "unseen disallowed", unseen(config, "https://{}.example.net")))
        rows.append(
            (name, f"build {took / size * 1e6:.1f} µs/origin, {mem / size:.0f} B/origin", 0)
        )

    for size in (1, 10, 100, 1000):
        config, _, _ = build(
            {"allow_origins": [f"https://*.t{i}.example.com" for i in range(size)]}
        )
        last, name = size - 1, f"{size} patterns"
        rows.append((name, "unseen allowed", unseen(config, f"https://{{}}.t{last}.example.com")))
        rows.append(
            (name, "unseen disallowed", unseen(config, f"https://{{}}.t{last}.example.org"))
        )
        crafted = "https://" + "a." * 1000 + "{}" + f".t{last}.example.org"
        rows.append((name, "crafted 2 KB", unseen(config, crafted, 200)))
        # The worst a host DNS could resolve can do: 253 characters of labels.
        crafted = "https://" + "a." * 110 + "{}" + f".t{last}.example.org"
        rows.append((name, "crafted 253-character host", unseen(config, crafted, 200)))
        # A flood of 100,000 random origins, then a legitimate one seen before it.
        warm = partial(decide, Request("GET", origin=f"https://hot.t{last}.example.com"), config)
        warm()
        warm()
        before = per_call(warm, n)
        unseen(config, f"https://{{}}.t{last}.example.com", 100_000)
        rows.append((name, "seen before a 100k flood, after/before", per_call(warm, n) / before))

    for size in (1, 10, 50):
        regexes = [rf"https://[a-z0-9-]+\.r{i}\.example\.com" for i in range(size)]
        config, _, _ = build({"allow_origin_regexes": regexes})
        last, name = size - 1, f"{size} regexes"
        rows.append((name, "unseen allowed", unseen(config, f"https://{{}}.r{last}.example.com")))
        rows.append(
            (name, "unseen disallowed", unseen(config, f"https://{{}}.r{last}.example.org"))
        )

    # The worst adversarial Origin for each accepted regex (bench/adversarial.py).
    for regex, domain in ACCEPTED:
        # Each origin is timed once per config, never cached, and the best of
        # three kept: one timing of one call is at the mercy of the scheduler.
        configs = [Config(allow_origin_regexes=[regex]) for _ in range(3)]
        attacks = adversarial_origins(regex, domain)
        worst, worst_origin = 0.0, ""
        for origin in attacks:
            ratio = min(fresh([origin], c) for c in configs) / base
            if ratio > worst:
                worst, worst_origin = ratio, origin
        rows.append(
            ("adversarial", f"{regex[:40]} ({len(attacks)} origins, {len(worst_origin)} ch)", worst)
        )

    return base, rows


if __name__ == "__main__":
    sys.exit(main())
