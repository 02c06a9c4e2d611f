"""End to end: gunicorn on 127.0.0.1 serving the Flask hello apps, loaded by wrk.

All servers start first, each on a free loopback port; then rounds of
bounded ``wrk`` runs visit them in turn, so the throughput ratios compare
runs that saw the same machine. Servers run in their own process group and
are always stopped (SIGTERM, then SIGKILL), whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from subjects import ORIGIN

BENCH_DIR = Path(__file__).resolve().parent

#: subject name -> the gunicorn_apps attribute that serves it
APPS = {"bare": "bare", "corecors": "corecors", "flask-cors": "flask_cors"}
#: the server that runs all three apps side by side (see gunicorn_apps.Timed)
MIXED = "mixed"
#: wrk sends the mixed server the three kinds of request in turn
MIXED_SCRIPT = """\
local paths = {"/bare", "/corecors", "/flask-cors"}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], {["Origin"] = "%s"})
end
"""
WORKERS = 2
THREADS = 8
WRK_THREADS = 2
WRK_CONNECTIONS = 16


class E2EUnavailable(RuntimeError):
    """wrk or gunicorn is missing, or a server would not start."""


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    rps: list[float] = field(default_factory=list)
    #: server CPU time (user + system, master and workers) per request, in µs
    cpu: list[float] = field(default_factory=list)
    #: the app's own thread CPU time per request, in µs
    app_cpu: list[float] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def app_url(self) -> str:
        """Where the server's app is (the mixed server's wrk script picks paths)."""
        return self.url if self.name == MIXED else self.url + self.name


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the harness dies, even by SIGKILL (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _wait_ready(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(server.url, headers={"Origin": ORIGIN})
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise E2EUnavailable(
                f"gunicorn for {server.name} exited: {server.log.read_text()[-2000:]}"
            )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise E2EUnavailable(f"gunicorn for {server.name} did not answer within {timeout:.0f} s")


@contextlib.contextmanager
def servers(log_dir: Path) -> Iterator[list[Server]]:
    """Start one gunicorn per subject; stop them all on the way out."""
    if shutil.which("wrk") is None:
        raise E2EUnavailable("wrk is not installed (Debian: apt-get install wrk)")
    started: list[Server] = []
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    try:
        for name, attr in [*APPS.items(), (MIXED, MIXED)]:
            port = free_port()
            log = log_dir / f"gunicorn-{attr}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [
                        sys.executable, "-m", "gunicorn",
                        "--bind", f"127.0.0.1:{port}",
                        "--workers", str(WORKERS),
                        "--worker-class", "gthread",
                        "--threads", str(THREADS),
                        "--log-level", "warning",
                        "--preload",  # the CPU sums are shared by the workers
                        "--pythonpath", str(BENCH_DIR),
                        f"gunicorn_apps:{attr}",
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, killed whole
                    preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                )
            started.append(Server(name, port, process, log))
        for server in started:
            _wait_ready(server)
        yield started
    finally:
        for server in started:
            _stop(server.process)
        signal.signal(signal.SIGTERM, previous)


@dataclass
class Results:
    """Per subject, one value per round: wall-clock req/s, server CPU µs per
    request, and the app's own CPU µs per request, in its own server and in
    the mixed one."""

    rps: dict[str, list[float]]
    cpu: dict[str, list[float]]
    app_cpu: dict[str, list[float]] = field(default_factory=dict)
    mixed_app_cpu: dict[str, list[float]] = field(default_factory=dict)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by process *pid* and its live
    children: a gunicorn master and its workers, every thread included."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # the process is gone
        # After the parenthesised command name: state, ppid, ... utime
        # (field 14) and stime (field 15) of proc(5).
        fields = stat.rpartition(")")[2].split()
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


_RPS = re.compile(r"^Requests/sec:\s+([0-9.]+)", re.MULTILINE)
_REQUESTS = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)
_BAD = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)|Socket errors:.*", re.MULTILINE)


def wrk(url: str, seconds: int, script: Path | None = None) -> tuple[float, int]:
    """Requests per second, and requests completed, for an allowed actual
    request (or what *script* sends), bounded in time."""
    extra = ["-s", str(script)] if script is not None else ["-H", f"Origin: {ORIGIN}"]
    try:
        result = subprocess.run(
            [
                "wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s",
                "--timeout", "5s", *extra, url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise E2EUnavailable(f"wrk failed: {exc}") from exc
    match = _RPS.search(result.stdout)
    count = _REQUESTS.search(result.stdout)
    if match is None or count is None:
        raise E2EUnavailable(f"could not read wrk's output:\n{result.stdout}")
    bad = _BAD.search(result.stdout)
    if bad is not None:
        raise E2EUnavailable(f"wrk saw failed requests: {bad.group(0)}")
    return float(match.group(1)), int(count.group(1))


def app_cpu_stats(server: Server) -> dict[str, tuple[int, int]]:
    """The mixed server's CPU ns and request count per app since the last call."""
    with urllib.request.urlopen(server.url + "_stats", timeout=10) as response:
        raw: dict[str, list[int]] = json.load(response)
    return {name: (pair[0], pair[1]) for name, pair in raw.items()}


def measure(
    rounds: int, seconds: int, log_dir: Path, progress: Callable[[str], None]
) -> Results:
    """Per subject and round, rounds interleaved over the servers: req/s,
    server CPU per request and the app's own CPU per request; and the same
    app CPU from the mixed server."""
    script = log_dir / "mixed.lua"
    script.write_text(MIXED_SCRIPT.replace("%s", ORIGIN), encoding="utf-8")
    with servers(log_dir) as running:
        for server in running:
            wrk(server.app_url, 1, script if server.name == MIXED else None)  # warm-up
        mixed: dict[str, list[float]] = {name: [] for name in APPS}
        for r in range(rounds):
            order = running[r % len(running):] + running[: r % len(running)]
            for server in order:
                app_cpu_stats(server)  # reset
                if server.name == MIXED:
                    wrk(server.app_url, seconds, script)
                    for name, (ns, count) in app_cpu_stats(server).items():
                        mixed[name].append(ns / max(count, 1) / 1e3)
                    progress(f"gunicorn round {r + 1}/{rounds}: mixed, app CPU/request "
                             + ", ".join(f"{n} {v[-1]:.1f} µs" for n, v in mixed.items()))
                    continue
                before = cpu_seconds(server.process.pid)
                rps, requests = wrk(server.app_url, seconds)
                used = cpu_seconds(server.process.pid) - before
                ns, count = app_cpu_stats(server)[server.name]
                server.rps.append(rps)
                server.cpu.append(used / max(requests, 1) * 1e6)
                server.app_cpu.append(ns / max(count, 1) / 1e3)
                progress(f"gunicorn round {r + 1}/{rounds}: {server.name} {rps:,.0f} req/s, "
                         f"CPU/request {server.cpu[-1]:.1f} µs, app {server.app_cpu[-1]:.1f} µs")
        by_name = {server.name: server for server in running if server.name != MIXED}
        return Results(
            rps={name: server.rps for name, server in by_name.items()},
            cpu={name: server.cpu for name, server in by_name.items()},
            app_cpu={name: server.app_cpu for name, server in by_name.items()},
            mixed_app_cpu=mixed,
        )
