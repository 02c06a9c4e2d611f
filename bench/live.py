"""Live policies at scale: a SQL source of many tenant origins.

Builds a SQLite table of ``--origins`` tenant origins (100,000 by default),
then measures:

- the build: reading the rows and building the merged Config, per origin,
  and the memory the Config holds per origin;
- requests during a rebuild: a thread decides requests against the policy
  while the source rebuilds it in its background thread; the median cost of
  a decision during the build against before it (the request threads
  sleep 1 ms between batches, as traffic does: two busy loops would starve
  the build of the GIL), and that every answer
  during the build came from the old policy (the new origin refused until
  the swap, the old ones allowed throughout).

Run: ``python bench/live.py`` (about a minute at 100,000 origins);
``--origins 10000`` for a quick look; ``--profile`` prints where the build
spends its time.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import sqlite3
import statistics
import tempfile
import threading
import time
import tracemalloc

from corecors import Config, Policy, Request, decide
from corecors.sources import SQLSource, merge_rows


def make_table(path: str, count: int) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE cors_origins (origin TEXT)")
        connection.executemany(
            "INSERT INTO cors_origins VALUES (?)",
            ((f"https://tenant{i}.example.com",) for i in range(count)),
        )
    connection.close()


def timed_decisions(request: Request, policy: Policy, until: threading.Event) -> list[float]:
    """Seconds per decision, one sample per 100 decisions, until *until* is set."""
    samples = []
    for _ in range(1_000_000):  # bounded
        if until.is_set():
            break
        start = time.perf_counter()
        for _ in range(100):
            decide(request, policy)
        samples.append((time.perf_counter() - start) / 100)
        time.sleep(0.001)  # traffic, not a busy loop: the build needs the GIL too
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--origins", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    count: int = args.origins
    directory = tempfile.mkdtemp()
    db = os.path.join(directory, "tenants.db")
    make_table(db, count)
    connect = functools.partial(sqlite3.connect, db, check_same_thread=False)

    # -- the build ------------------------------------------------------------------------
    with connect() as connection:
        rows = connection.execute("SELECT origin FROM cors_origins ORDER BY origin").fetchall()
    connection.close()
    builds = []
    for _ in range(3):
        start = time.perf_counter()
        _config, problems = merge_rows(rows)
        builds.append(time.perf_counter() - start)
    assert not problems
    build = min(builds)
    tracemalloc.start()
    again, _ = merge_rows(rows)
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del again
    policy = Policy(Config())
    source = SQLSource(connect, policy)
    start = time.perf_counter()
    source.refresh()
    whole = time.perf_counter() - start
    assert len(policy.config.allow_origins) == count

    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        merge_rows(rows)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(15)

    # -- requests during a rebuild ------------------------------------------------------------
    old = Request("GET", origin="https://tenant7.example.com")
    new_origin = "https://newcomer.example.com"
    new = Request("GET", origin=new_origin)
    decide(old, policy)
    decide(old, policy)
    stop = threading.Event()
    before = timed_decisions_for(old, policy, 0.5)
    with connect() as connection:
        connection.execute("INSERT INTO cors_origins VALUES (?)", (new_origin,))
    connection.close()
    wrong: list[str] = []
    during: list[float] = []
    swapped = threading.Event()

    def watch() -> None:
        # Every answer comes from one whole config: the old origin is
        # allowed throughout, the new one only once the swap is done.
        for _ in range(10_000_000):  # bounded
            if stop.is_set():
                return
            if not decide(old, policy).allowed:
                wrong.append("an old tenant was refused during the build")
            if decide(new, policy).allowed:
                swapped.set()
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    timer = threading.Thread(target=lambda: during.extend(timed_decisions(old, policy, swapped)))
    watcher.start()
    timer.start()
    start = time.perf_counter()
    assert source.refresh() is True  # in this thread: the builder
    rebuild = time.perf_counter() - start
    for _ in range(1000):  # bounded: the watcher sees the swap
        if swapped.is_set():
            break
        time.sleep(0.01)
    stop.set()
    swapped.set()
    watcher.join()
    timer.join()
    source.stop()
    assert not wrong, wrong

    print(f"| figure ({count:,} tenant origins, SQLite) | measured | target |")
    print("| --- | --- | --- |")
    print(f"| build (merge_rows: validate and compile) | {build / count * 1e6:.1f} µs/origin, "
          f"{build:.2f} s | ≤ 10 µs/origin |")
    print(f"| read and build (SQLSource.refresh) | {whole / count * 1e6:.1f} µs/origin, "
          f"{whole:.2f} s | |")
    print(f"| memory the Config holds | {held / count:.0f} B/origin, {held / 2**20:.0f} MiB | |")
    print(f"| rebuild after an INSERT (in the source's thread) | {rebuild:.2f} s | |")
    if during:
        print(f"| decision during the rebuild / before | "
              f"{statistics.median(during) * 1e9:.0f} ns / {statistics.median(before) * 1e9:.0f}"
              f" ns ({len(during)} samples; the GIL is shared with the build) | |")
    print("| answers during the rebuild | all from the old policy until the swap | |")
    return 0


def timed_decisions_for(request: Request, policy: Policy, seconds: float) -> list[float]:
    until = threading.Event()
    timer = threading.Timer(seconds, until.set)
    timer.start()
    try:
        return timed_decisions(request, policy, until)
    finally:
        timer.cancel()


if __name__ == "__main__":
    raise SystemExit(main())
