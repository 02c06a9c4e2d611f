#!/usr/bin/env python3
"""Instructions per request, counted by callgrind: ``python3 bench/instructions.py``.

Wall-clock medians on a small shared machine cannot tell a 3% overhead
from noise; an instruction count can, because it does not depend on what
else the machine is doing. For each subject (the WSGI middlewares, the
Flask extensions, the Django middlewares of bench/subjects.py and
bench/django_overhead.py) a driver process runs under
``valgrind --tool=callgrind``: it builds the subject, warms it up, then
makes requests through the WSGI callable, each on a copy of a prepared
environ (the loop of bench/timing.py, with the garbage collector off), in
segments of N1 and of N2 requests of each kind. Callgrind writes its counts
before each segment (``--dump-before`` a libc function the driver calls
between segments), and a kind's N2 segment minus its N1 segment, over
N2 - N1, is the count per request: start-up, warm-up and the work around a
segment cancel. ``--separate`` gets the same figure the slower way, from
whole processes: one with N1 requests of every kind, and one per kind with
N2 of it.

Options: ``--json PATH`` writes the figures, ``--markdown`` prints the
section bench/run.py can include, ``--jobs`` runs that many valgrind
processes at once (default 2), ``--repeat FAMILY/SUBJECT`` (default
``wsgi/corecors`` and ``flask/corecors``) counts a subject again, once
exactly as before and once with its memory layout shifted, to show how far
the counts repeat. Needs valgrind (Debian's ``valgrind``) and everything bench/run.py
and bench/django_overhead.py need.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent

N1 = 300
N2 = 1300
WARMUP = 200
#: Counted again: the WSGI subject with the tightest targets, and a Flask
#: one, where a shifted memory layout moves a count the most.
DEFAULT_REPEAT = ("wsgi/corecors", "flask/corecors")

#: The Django requests: bench/django_overhead.py's cases, by kind name.
DJANGO_KINDS = {"allowed_get": "GET", "preflight": "OPTIONS"}

KIND_LABELS = {
    "allowed_actual": "allowed actual",
    "no_origin": "no Origin",
    "allowed_get": "allowed GET",
    "preflight": "preflight",
}
FAMILY_LABELS = {"wsgi": "WSGI", "flask": "Flask", "django": "Django"}

Environ = dict[str, Any]
App = Callable[..., Iterable[bytes]]


# -- the driver: what runs under valgrind ---------------------------------------------


def build(family: str, subject: str) -> tuple[App, Callable[[str], Environ]]:
    """The subject's WSGI app and a function from kind name to prepared environ."""
    if family == "django":
        import django_overhead

        django_overhead.setup()  # once per process: one subject per process

        def django_environ(kind: str) -> Environ:
            method = DJANGO_KINDS[kind]
            return django_overhead.environ(method, django_overhead.CASES[method])

        return django_overhead.handler(subject), django_environ

    import subjects

    def wsgi_environ(kind: str) -> Environ:
        return subjects.KIND_BY_NAME[kind].environ()

    if family == "wsgi":
        app: App = subjects.WSGI_SUBJECTS[subject](subjects.bare_wsgi_app)
        return app, wsgi_environ
    if family == "flask":
        flask: App = subjects.flask_app(subject)
        return flask, wsgi_environ
    raise ValueError(f"unknown family {family!r}")


def drive(payload: dict[str, Any]) -> None:
    """Build one subject, warm every kind up, then make the counted requests.

    With ``check`` set (run natively, before valgrind), it makes one more
    request of each kind instead and prints its status and header names, and
    where corecors was imported from, as JSON.
    """
    from timing import wsgi_runner

    app, environ_of = build(payload["family"], payload["subject"])
    segments: list[tuple[str, int]] = [(kind, n) for kind, n in payload["segments"]]
    # The same loop for every subject: copy the environ, call, drain, close.
    runners = {kind: wsgi_runner(app, environ_of(kind)) for kind, _ in segments}
    for run in runners.values():
        run(payload["warmup"])
    if payload.get("check"):
        import subjects

        import corecors

        answers = {}
        for kind in runners:
            status, headers = subjects.check_wsgi(app, environ_of(kind))
            answers[kind] = {"status": status, "headers": [name.lower() for name, _ in headers]}
        print(json.dumps({"answers": answers, "corecors": corecors.__file__}))
        return
    import gc

    gc.collect()
    marker = os.getpgrp  # callgrind dumps its counts before each call (MARKER)
    for kind, n in segments:
        marker()
        runners[kind](n)  # timeit: the garbage collector is off while it runs
    marker()


# -- the parent: plans, runs valgrind, does the arithmetic ------------------------------


#: The kinds each family is counted on. Every subject of a family serves
#: the same kinds in the same order: what a process served before changes
#: what a request costs (specialized bytecode, caches), by a few percent
#: for a Django request, so the subjects must share their history.
FAMILY_KINDS: dict[str, tuple[str, ...]] = {
    "wsgi": ("allowed_actual", "no_origin"),
    "flask": ("allowed_actual",),
    "django": ("allowed_get", "preflight"),
}


@dataclass(frozen=True)
class Spec:
    """One subject of one family."""

    family: str
    subject: str

    @property
    def kinds(self) -> tuple[str, ...]:
        return FAMILY_KINDS[self.family]

    @property
    def name(self) -> str:
        return f"{self.family}/{self.subject}"


SPECS: list[Spec] = [
    *(Spec("wsgi", name) for name in ("bare", "inlined minimum", "corecors", "wsgicors")),
    *(Spec("flask", name) for name in ("bare", "corecors", "flask-cors")),
    *(
        Spec("django", name)
        for name in ("bare", "no-op middleware", "corecors", "django-cors-headers")
    ),
]
SPEC_BY_NAME = {spec.name: spec for spec in SPECS}


#: The C function the driver calls between segments; callgrind, told
#: ``--dump-before`` it, writes the counts since the last dump before each
#: call. A libc function no subject calls while it serves a request (the
#: parts are counted, so a stray call fails the run instead of skewing it).
MARKER = "getpgrp"

Segments = list[tuple[str, int]]


def plan(spec: Spec, n1: int, n2: int, separate: bool) -> list[Segments]:
    """The processes for one subject, each a list of (kind, requests) segments.

    One process, N1 then N2 requests of each kind in turn; or, *separate*,
    one process with N1 of every kind, then one per kind with N2 of it.
    """
    if not separate:
        return [[(kind, n) for kind in spec.kinds for n in (n1, n2)]]
    base = [(kind, n1) for kind in spec.kinds]
    return [base, *([(k, n2 if k == kind else n1) for k in spec.kinds] for kind in spec.kinds)]


def per_request(
    spec: Spec, parts: list[list[int]], n1: int, n2: int, separate: bool
) -> dict[str, float]:
    """Instructions per request of each kind, from the counts of :func:`plan`'s processes.

    *parts* has, per process, the counts of its start-up, of each segment
    and of its exit. In one process, a kind's N2 segment minus its N1
    segment; in separate processes, a kind's process minus the N1 one.
    """
    if not separate:
        segments = parts[0][1:-1]
        return {
            kind: (segments[2 * i + 1] - segments[2 * i]) / (n2 - n1)
            for i, kind in enumerate(spec.kinds)
        }
    totals = [sum(process) for process in parts]
    return {kind: (totals[i + 1] - totals[0]) / (n2 - n1) for i, kind in enumerate(spec.kinds)}


def environment(valgrind: bool) -> dict[str, str]:
    """The fixed environment of every driver: the same counts on every run.

    Under valgrind no driver writes bytecode: each reads what the native
    check compiled, or compiles what is missing itself, the same in every
    run, instead of the first run paying for what the others read.
    """
    fixed = {
        "PATH": "/usr/bin:/bin",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONNOUSERSITE": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH_DIR)]),
    }
    if valgrind:
        fixed["PYTHONDONTWRITEBYTECODE"] = "1"
    return fixed


#: The length of every driver's JSON argument, padded: the arguments and
#: environment sit at the top of the process's stack, so their length moves
#: its memory layout, which changes the counts a little (id-keyed hashing,
#: allocation). The same length for every subject; a shifted repeat adds
#: SHIFT to show how much.
ARGUMENT_LENGTH = 400
SHIFT = 64


def driver_command(payload: dict[str, Any], shift: int = 0) -> list[str]:
    text = json.dumps(payload)
    pad = ARGUMENT_LENGTH + shift - len(text) - len(', "pad": ""')
    if pad < 0:
        raise ValueError(f"driver argument longer than {ARGUMENT_LENGTH}: {text}")
    text = json.dumps({**payload, "pad": "x" * pad})
    return [sys.executable, str(Path(__file__).resolve()), "--driver", text]


def read_part(path: Path) -> tuple[int, int]:
    """The part number and the total instruction count of a callgrind out file."""
    part, total = None, None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("part:"):
            part = int(line.split()[1])
        elif line.startswith(("totals:", "summary:")):
            total = int(line.split()[1])
            if line.startswith("totals:"):
                break
    if total is None:
        raise RuntimeError(f"no totals line in {path}")
    return part or 1, total


def callgrind(
    valgrind: str, payload: dict[str, Any], tmp: Path, tag: str, shift: int = 0
) -> list[int]:
    """Run the driver under callgrind: the counts of its start-up, segments and exit."""
    out = tmp / f"callgrind.{tag}.out"
    command = [
        valgrind,
        "--tool=callgrind",
        f"--dump-before={MARKER}",
        f"--callgrind-out-file={out}",
        *driver_command(payload, shift),
    ]
    proc = subprocess.run(
        command, env=environment(True), cwd=BENCH_DIR, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed:\n{proc.stderr[-3000:]}")
    files = [out, *tmp.glob(f"{out.name}.*")]
    parts = sorted(read_part(path) for path in files)
    for path in files:
        path.unlink()
    expected = len(payload["segments"]) + 2
    if [number for number, _ in parts] != list(range(1, expected + 1)):
        raise RuntimeError(
            f"{shlex.join(command)}: {len(parts)} parts, not {expected}: "
            f"something else called {MARKER}()"
        )
    return [total for _, total in parts]


def check(spec: Spec) -> str:
    """Run the subject once natively: it must answer as its row claims.

    This also leaves every module compiled, so that no run under valgrind
    pays for compiling what another only reads. Returns where corecors was
    imported from.
    """
    payload: dict[str, Any] = {"family": spec.family, "subject": spec.subject}
    payload.update(segments=[(kind, 1) for kind in spec.kinds], warmup=1, check=True)
    proc = subprocess.run(
        driver_command(payload),
        env=environment(False),
        cwd=BENCH_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{spec.name}: the driver failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.splitlines()[-1])
    cors = spec.subject not in ("bare", "no-op middleware")
    for kind, answer in result["answers"].items():
        status, names = answer["status"], set(answer["headers"])
        allowed = "access-control-allow-origin" in names
        expect = cors and kind != "no_origin"
        if not status.startswith("20") or allowed != expect:
            raise SystemExit(f"sanity check failed for {spec.name}, {kind}: {status} {names}")
    return str(result["corecors"])


@dataclass
class Results:
    """Instructions per request, by (family, kind, subject), and how they were got."""

    n1: int
    n2: int
    warmup: int
    figures: dict[tuple[str, str, str], float] = field(default_factory=dict)
    separate: bool = False
    #: Per subject (a repeat's name ends in " (again)" or " (shifted)"), per process, the
    #: counts of its start-up, of each segment and of its exit.
    parts: dict[str, list[list[int]]] = field(default_factory=dict)
    repeats: dict[str, dict[str, Any]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def get(self, family: str, kind: str, subject: str) -> float:
        return self.figures[family, kind, subject]

    def overhead(self, family: str, kind: str, subject: str) -> float:
        return self.get(family, kind, subject) - self.get(family, kind, "bare")


def measure(
    n1: int = N1,
    n2: int = N2,
    warmup: int = WARMUP,
    jobs: int = 2,
    repeat: Iterable[str] = DEFAULT_REPEAT,
    separate: bool = False,
    specs: Iterable[Spec] = SPECS,
    log: Callable[[str], None] = lambda message: None,
) -> Results:
    """Count every subject (the repeated ones twice more), *jobs* processes at a time."""
    from concurrent.futures import ThreadPoolExecutor

    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind not found (Debian: apt-get install valgrind)")
    specs = list(specs)
    repeated = [SPEC_BY_NAME[name] for name in repeat]
    started = time.perf_counter()
    where = {check(spec) for spec in [*specs, *repeated]}
    log(f"sanity check: every subject answers as configured (corecors from {', '.join(where)})")

    # (key, process index, payload, shift). A repeat is counted twice more:
    # once exactly as before, once with its memory layout shifted.
    keyed = [(spec.name, spec, 0) for spec in specs]
    for s in repeated:
        keyed += [(f"{s.name} (again)", s, 0), (f"{s.name} (shifted)", s, SHIFT)]
    todo: list[tuple[str, int, dict[str, Any], int]] = []
    for key, spec, shift in keyed:
        for i, segments in enumerate(plan(spec, n1, n2, separate)):
            payload: dict[str, Any] = {"family": spec.family, "subject": spec.subject}
            payload.update(segments=segments, warmup=warmup)
            todo.append((key, i, payload, shift))
    # The costliest first, so that the workers finish together.
    order = {"django": 0, "flask": 1, "wsgi": 2}
    todo.sort(key=lambda job: order[job[2]["family"]])

    parts: dict[str, list[list[int]]] = {
        key: [[] for _ in plan(spec, n1, n2, separate)] for key, spec, _ in keyed
    }
    done = 0
    with (
        tempfile.TemporaryDirectory(prefix="corecors-callgrind-") as tmp,
        ThreadPoolExecutor(max_workers=jobs) as pool,
    ):

        def one(number: int, job: tuple[str, int, dict[str, Any], int]) -> None:
            nonlocal done
            key, i, payload, shift = job
            parts[key][i] = callgrind(valgrind, payload, Path(tmp), f"{number:03d}", shift)
            done += 1
            log(f"{done}/{len(todo)} {key}: {sum(parts[key][i]):,} instructions")

        for future in [pool.submit(one, number, job) for number, job in enumerate(todo)]:
            future.result()

    results = Results(n1, n2, warmup, separate=separate, parts=parts)
    for spec in specs:
        for kind, value in per_request(spec, parts[spec.name], n1, n2, separate).items():
            results.figures[spec.family, kind, spec.subject] = value
    for spec in repeated:
        first = per_request(spec, parts[spec.name], n1, n2, separate)
        for variant in ("again", "shifted"):
            key = f"{spec.name} ({variant})"
            again = per_request(spec, parts[key], n1, n2, separate)
            raw = max(
                abs(b - a) / a
                for x, y in zip(parts[spec.name], parts[key], strict=True)
                for a, b in zip(x, y, strict=True)
            )
            kinds = {}
            for kind in spec.kinds:
                entry: dict[str, float] = {"first": first[kind], "again": again[kind]}
                entry["difference"] = again[kind] - first[kind]
                entry["relative"] = entry["difference"] / first[kind]
                if spec.subject != "bare" and (spec.family, kind, "bare") in results.figures:
                    ovh = first[kind] - results.figures[spec.family, kind, "bare"]
                    entry["of_overhead"] = entry["difference"] / ovh
                kinds[kind] = entry
            results.repeats[key] = {"kinds": kinds, "largest_part_difference": raw}
    results.meta = {
        "python": platform.python_version(),
        "valgrind": subprocess.run(
            [valgrind, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "corecors": sorted(where),
        "jobs": jobs,
        "processes": len(todo),
        "runtime": time.perf_counter() - started,
    }
    return results


# -- targets and reports ------------------------------------------------------------------


@dataclass
class Target:
    what: str
    measured: float
    limit: float
    shown_limit: str
    below: bool = False  # strictly below the limit, not at most
    percent: bool = False

    @property
    def verdict(self) -> str:
        ok = self.measured < self.limit if self.below else self.measured <= self.limit
        return "PASS" if ok else "FAIL"

    @property
    def shown(self) -> str:
        return f"{self.measured:.2%}" if self.percent else f"{self.measured:.3f}"


def targets(r: Results) -> list[Target]:
    """Every target the counts can judge, each from figures of the same family."""
    out: list[Target] = []
    ovh = r.overhead
    ours, inlined = ovh("wsgi", "allowed_actual", "corecors"), "inlined minimum"
    out.append(
        Target(
            "WSGI, allowed actual: corecors overhead / inlined-minimum overhead",
            ours / ovh("wsgi", "allowed_actual", inlined),
            1.15,
            "≤ 1.15",
        )
    )
    out.append(
        Target(
            "WSGI, allowed actual: corecors overhead / wsgicors overhead",
            ours / ovh("wsgi", "allowed_actual", "wsgicors"),
            0.75,
            "≤ 0.75",
        )
    )
    no_origin = ovh("wsgi", "no_origin", "corecors")
    out.append(
        Target(
            "WSGI, no Origin: corecors overhead / inlined-minimum overhead",
            no_origin / ovh("wsgi", "no_origin", inlined),
            1.15,
            "≤ 1.15",
        )
    )
    out.append(
        Target(
            "WSGI: corecors overhead, no Origin / allowed actual",
            no_origin / ours,
            1.0,
            "≤ 1",
        )
    )
    flask = ovh("flask", "allowed_actual", "corecors")
    out.append(
        Target(
            "Flask, allowed actual: corecors overhead / bare request",
            flask / r.get("flask", "allowed_actual", "bare"),
            0.05,
            "≤ 5%",
            percent=True,
        )
    )
    out.append(
        Target(
            "Flask, allowed actual: corecors overhead / flask-cors overhead",
            flask / ovh("flask", "allowed_actual", "flask-cors"),
            1 / 15,
            "≤ 1/15 (0.067)",
        )
    )
    django = ovh("django", "allowed_get", "corecors")
    out.append(
        Target(
            "Django, allowed GET: corecors overhead / bare request",
            django / r.get("django", "allowed_get", "bare"),
            0.03,
            "≤ 3%",
            percent=True,
        )
    )
    out.append(
        Target(
            "Django, allowed GET: corecors overhead / django-cors-headers overhead",
            django / ovh("django", "allowed_get", "django-cors-headers"),
            0.5,
            "≤ 0.5",
        )
    )
    out.append(
        Target(
            "Django: corecors preflight / Django answering OPTIONS itself",
            r.get("django", "preflight", "corecors") / r.get("django", "preflight", "bare"),
            1.0,
            "< 1",
            below=True,
        )
    )
    return out


def rows(r: Results) -> list[list[str]]:
    """The table: one row per family, request kind and subject."""
    out = []
    for (family, kind, subject), value in r.figures.items():
        bare = r.figures[family, kind, "bare"]
        extra = value - bare
        out.append(
            [
                FAMILY_LABELS[family],
                KIND_LABELS[kind],
                subject,
                f"{value:,.0f}",
                "" if subject == "bare" else f"{extra:+,.0f}",
                "" if subject == "bare" else f"{extra / bare:+.2%}",
            ]
        )
    return out


HEADER = [
    "family",
    "request",
    "subject",
    "instructions per request",
    "overhead over bare",
    "overhead / bare",
]


def repeat_lines(r: Results) -> list[str]:
    lines = []
    for name, entry in r.repeats.items():
        subject, variant = name.split(" (")
        how = (
            "exactly as before"
            if variant == "again)"
            else f"with its argument {SHIFT} bytes longer (its memory layout shifted)"
        )
        lines.append(f"{subject}, counted again {how}:")
        for kind, k in entry["kinds"].items():
            of_overhead = f", {k['of_overhead']:+.2%} of its overhead" if "of_overhead" in k else ""
            lines.append(
                f"  {KIND_LABELS[kind]}: {k['first']:,.1f} then {k['again']:,.1f} "
                f"instructions per request ({k['difference']:+,.1f}, {k['relative']:+.3%}"
                f"{of_overhead})"
            )
        lines.append(
            f"  largest difference between the same raw count (start-up, a segment, "
            f"exit) of the two: {entry['largest_part_difference']:.4%}"
        )
    return lines


def text(r: Results, verdicts: list[Target]) -> str:
    table = [HEADER, *rows(r)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    right = {3, 4, 5}
    lines = [
        "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines += [f"{t.verdict}  {t.what}: {t.shown} (target {t.shown_limit})" for t in verdicts]
    lines.append("")
    lines += ["repeatability: one subject counted again in the same run", *repeat_lines(r)]
    return "\n".join(lines)


def markdown(r: Results, verdicts: list[Target]) -> str:
    """The instruction-count section, in the shape of bench/results.md."""
    separate = " (in separate processes)" if r.separate else ""
    lines = [
        "## Instructions per request (callgrind)",
        "",
        "The instructions the CPU executes per request, counted by valgrind's callgrind "
        "(`python3 bench/instructions.py`): each subject runs in its own process with "
        f"the same fixed environment (`PYTHONHASHSEED=0`), is warmed up with {r.warmup} "
        f"requests of each kind, then makes {r.n1} and {r.n2} requests of each; "
        f"the difference of the two counts over {r.n2 - r.n1} is the count per "
        f"request, with start-up and warm-up cancelled{separate}. Each request goes "
        "through the WSGI callable on a copy of a prepared environ, with the garbage "
        "collector off, as in the timed rows. Instructions, not seconds, because "
        "the count does not depend on what else the machine is doing, where "
        "wall-clock medians on a busy machine cannot resolve a 3% overhead: the same "
        "process gives the same count to the instruction, and what moves it is the "
        "process's history and memory layout, by up to about 1% of a Flask or Django "
        "request (so every subject of a family serves the same requests in the same "
        "order, and the repeatability lines below shift one's layout). An instruction "
        "is not a unit of time (cache misses and branches cost differently), so these "
        "ratios approximate the timed ones.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "| " + " | ".join("---" for _ in HEADER) + " |",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows(r)]
    lines += ["", "| target | measured | limit | verdict |", "| --- | --- | --- | --- |"]
    lines += [f"| {t.what} | {t.shown} | {t.shown_limit} | {t.verdict} |" for t in verdicts]
    repeats = repeat_lines(r)
    if repeats:
        lines += ["", "Repeatability (one subject counted again in the same run):", ""]
        lines += [f"  - {x.strip()}" if x.startswith("  ") else f"- {x}" for x in repeats]
    return "\n".join(lines) + "\n"


def as_json(r: Results, verdicts: list[Target]) -> dict[str, Any]:
    return {
        "meta": {**r.meta, "n1": r.n1, "n2": r.n2, "warmup": r.warmup, "separate": r.separate},
        "instructions_per_request": [
            {"family": f, "kind": k, "subject": s, "instructions": v}
            for (f, k, s), v in r.figures.items()
        ],
        "parts": r.parts,
        "repeatability": r.repeats,
        "targets": [
            {"what": t.what, "measured": t.measured, "limit": t.limit, "verdict": t.verdict}
            for t in verdicts
        ],
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--driver"]:
        drive(json.loads(args[1]))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the figures here")
    parser.add_argument("--markdown", action="store_true", help="print the markdown section")
    parser.add_argument("--jobs", type=int, default=2, help="valgrind processes at once")
    parser.add_argument("--n1", type=int, default=N1, help=f"requests, first run ({N1})")
    parser.add_argument("--n2", type=int, default=N2, help=f"requests, second run ({N2})")
    parser.add_argument("--warmup", type=int, default=WARMUP, help=f"requests first ({WARMUP})")
    parser.add_argument(
        "--repeat",
        action="append",
        choices=sorted(SPEC_BY_NAME),
        metavar="FAMILY/SUBJECT",
        help=f"count this subject again (default: {', '.join(DEFAULT_REPEAT)}; may be repeated)",
    )
    parser.add_argument(
        "--separate",
        action="store_true",
        help="N1 and N2 in separate processes (slower; a cross-check of the segments)",
    )
    opts = parser.parse_args(args)
    if opts.n2 <= opts.n1:
        parser.error("--n2 must be larger than --n1")
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    repeat = opts.repeat or DEFAULT_REPEAT
    results = measure(opts.n1, opts.n2, opts.warmup, opts.jobs, repeat, opts.separate, log=log)
    results.meta["command"] = shlex.join(["python3", "bench/instructions.py", *args])
    verdicts = targets(results)
    print(text(results, verdicts))
    if opts.markdown:
        print()
        print(markdown(results, verdicts), end="")
    if opts.json is not None:
        opts.json.write_text(
            json.dumps(as_json(results, verdicts), indent=1) + "\n", encoding="utf-8"
        )
        log(f"wrote {opts.json}")
    log(f"{results.meta['processes']} valgrind processes in {results.meta['runtime']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
