#!/usr/bin/env python3
"""The corecors benchmark: ``python3 bench/run.py`` (``--quick`` for a short run).

It times corecors beside the bare app, a table-lookup floor and the peer
libraries (wsgicors, flask-cors, Starlette's CORSMiddleware) in one run,
with interleaved rounds, and writes ``bench/results.md`` (the table the
docs include), ``bench/results.png`` (the chart) and ``bench/results.json``.
Needs: flask, flask-cors, werkzeug, wsgicors, starlette, gunicorn,
matplotlib, and Debian's ``wrk`` for the end-to-end rows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import e2e  # noqa: E402
import memory  # noqa: E402
import report  # noqa: E402
import scale  # noqa: E402
import subjects as s  # noqa: E402
from timing import Subject, calibrate, call_runner, run_rounds, wsgi_runner  # noqa: E402


def build_subjects(loop: asyncio.AbstractEventLoop, log: Any) -> list[Subject]:
    out: list[Subject] = []
    # decide() alone, against an empty call of the same shape.
    first = s.KINDS[1].request()
    out.append(Subject("decide", "-", "empty call", call_runner(s.empty_call, first, s.CONFIG)))
    for kind in s.KINDS:
        out.append(Subject("decide", kind.name, "corecors",
                           call_runner(s.decide, kind.request(), s.CONFIG)))

    environs = {kind.name: kind.environ() for kind in s.KINDS}
    for name, wrap in s.WSGI_SUBJECTS.items():
        app = wrap(s.bare_wsgi_app)
        for kind in s.KINDS:
            if name in s.ACTUAL_ONLY and kind.method == "OPTIONS":
                continue
            out.append(Subject("wsgi", kind.name, name, wsgi_runner(app, environs[kind.name])))

    for name in s.FLASK_SUBJECTS:
        try:
            flask = s.flask_app(name)
        except ImportError as exc:
            log(f"Flask subject {name} skipped: {exc}")
            continue
        for kind in s.KINDS:
            out.append(Subject("flask", kind.name, name,
                               wsgi_runner(flask, environs[kind.name])))

    for name in s.STARLETTE_SUBJECTS:
        asgi_app = s.starlette_app(name)
        for kind in s.KINDS:
            out.append(Subject("starlette", kind.name, name,
                               s.asgi_runner(asgi_app, kind.scope(), loop)))
    return out


def sanity_check(log: Any) -> None:
    """Refuse to time subjects that do not answer the way the table claims."""
    allowed = s.KIND_BY_NAME["allowed_actual"].environ()
    preflight = s.KIND_BY_NAME["allowed_preflight"].environ()
    apps = {name: wrap(s.bare_wsgi_app) for name, wrap in s.WSGI_SUBJECTS.items()}
    for name in s.FLASK_SUBJECTS:
        with contextlib.suppress(ImportError):  # reported when the subjects are built
            apps[f"flask {name}"] = s.flask_app(name)
    for name, app in apps.items():
        status, headers = s.check_wsgi(app, allowed)
        names = {h.lower() for h, _ in headers}
        cors = "bare" not in name
        if status[:3] != "200" or cors != ("access-control-allow-origin" in names):
            raise SystemExit(f"sanity check failed for {name}: {status} {headers}")
        if cors and name != "floor":
            status, headers = s.check_wsgi(app, preflight)
            if not status.startswith("20") or "access-control-allow-origin" not in {
                h.lower() for h, _ in headers
            }:
                raise SystemExit(f"preflight sanity check failed for {name}: {status} {headers}")
    log("sanity check: every subject answers as configured")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer, shorter rounds (about half a minute)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds of micro timings")
    parser.add_argument("--no-e2e", action="store_true", help="skip gunicorn + wrk")
    parser.add_argument("--no-scale", action="store_true",
                        help="skip the scale section (bench/scale.py)")
    parser.add_argument("--out", type=Path, default=BENCH_DIR,
                        help="where results.md/.png/.json go (default: bench/)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    rounds = args.rounds or (7 if args.quick else 31)
    sample = 0.004 if args.quick else 0.008
    e2e_rounds, wrk_seconds = (1, 2) if args.quick else (10, 2)

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    meta: dict[str, Any] = {
        "command": "python3 bench/run.py" + (" --quick" if args.quick else "")
        + (f" --rounds {args.rounds}" if args.rounds else "")
        + (" --no-e2e" if args.no_e2e else ""),
        "when": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "rounds": rounds,
        "quick": args.quick,
        "workers": e2e.WORKERS,
        "threads": e2e.THREADS,
        "wrk_seconds": wrk_seconds,
    }

    sanity_check(log)
    loop = asyncio.new_event_loop()
    try:
        subjects = build_subjects(loop, log)
        log(f"calibrating {len(subjects)} subjects")
        for subject in subjects:
            calibrate(subject, sample)
        log(f"timing: {rounds} interleaved rounds")
        run_rounds(subjects, rounds,
                   lambda done, total: log(f"round {done}/{total}") if done % 5 == 0 else None)
    finally:
        loop.close()
    medians = {subject.key: subject.median() for subject in subjects}

    log("memory: tracemalloc peaks")
    mem = memory.measure()

    e2e_results: e2e.Results | None = None
    if args.no_e2e:
        meta["e2e_skipped"] = "--no-e2e"
    else:
        log("end to end: gunicorn + wrk")
        try:
            with tempfile.TemporaryDirectory(prefix="corecors-bench-") as tmp:
                e2e_results = e2e.measure(e2e_rounds, wrk_seconds, Path(tmp), log)
        except e2e.E2EUnavailable as exc:
            meta["e2e_skipped"] = str(exc)
            log(f"end to end skipped: {exc}")

    scale_rows: list[tuple[str, str, float]] = []
    scale_section = ""
    if not args.no_scale:
        log("scale: configs of 1 to 10,000 origins, 1,000 patterns, 50 regexes")
        scale_base, scale_rows = scale.measure(args.quick)
        scale_section = "\n" + scale.markdown(scale_base, scale_rows)
        meta["scale_base_seconds"] = scale_base

    meta["runtime"] = time.perf_counter() - started
    verdicts = report.targets(medians, mem, e2e_results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.md").write_text(
        report.markdown(medians, mem, e2e_results, verdicts, meta) + scale_section,
        encoding="utf-8",
    )
    report.chart(medians, e2e_results, args.out / "results.png")
    raw = {
        "meta": meta,
        "subjects": [
            {"group": x.group, "kind": x.kind, "name": x.name, "calls_per_sample": x.number,
             "seconds_per_call": x.samples}
            for x in subjects
        ],
        "memory": [vars(row) for row in mem],
        "e2e_requests_per_second": e2e_results.rps if e2e_results else None,
        "e2e_cpu_us_per_request": e2e_results.cpu if e2e_results else None,
        "e2e_app_cpu_us_per_request": e2e_results.app_cpu if e2e_results else None,
        "e2e_mixed_app_cpu_us_per_request": e2e_results.mixed_app_cpu if e2e_results else None,
        "scale": [{"config": c, "request": w, "ratio": r} for c, w, r in scale_rows],
        "targets": [
            {"what": t.what, "measured": t.measured, "limit": t.limit, "verdict": t.verdict}
            for t in verdicts
        ],
    }
    (args.out / "results.json").write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {args.out / 'results.md'}, results.png, results.json "
        f"in {meta['runtime']:.0f} s ({shlex.join(sys.argv)})")
    for t in verdicts:
        print(f"{t.verdict:4}  {t.what}: {report._format_measured(t)} (limit {t.limit})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
