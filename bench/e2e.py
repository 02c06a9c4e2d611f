"""End to end: gunicorn on 127.0.0.1 serving the Flask hello apps, loaded by wrk.

All servers start first, each on a free loopback port; then rounds of
bounded ``wrk`` runs visit them in turn, so the throughput ratios compare
runs that saw the same machine. Servers run in their own process group and
are always stopped (SIGTERM, then SIGKILL), whatever happens.
"""

from __future__ import annotations

import contextlib
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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


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
        for name, attr in APPS.items():
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
    """Per subject, one value per round: wall-clock req/s and server CPU µs/request."""

    rps: dict[str, list[float]]
    cpu: dict[str, list[float]]


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


def wrk(url: str, seconds: int) -> tuple[float, int]:
    """Requests per second, and requests completed, for an allowed actual
    request, bounded in time."""
    try:
        result = subprocess.run(
            [
                "wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s",
                "--timeout", "5s", "-H", f"Origin: {ORIGIN}", url,
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


def measure(
    rounds: int, seconds: int, log_dir: Path, progress: Callable[[str], None]
) -> Results:
    """Requests/s and server CPU per request, per subject and round, rounds
    interleaved over the servers."""
    with servers(log_dir) as running:
        for server in running:
            wrk(server.url, 1)  # warm-up: first requests, worker imports
        for r in range(rounds):
            order = running[r % len(running):] + running[: r % len(running)]
            for server in order:
                before = cpu_seconds(server.process.pid)
                rps, requests = wrk(server.url, seconds)
                used = cpu_seconds(server.process.pid) - before
                server.rps.append(rps)
                server.cpu.append(used / max(requests, 1) * 1e6)
                progress(f"gunicorn round {r + 1}/{rounds}: {server.name} "
                         f"{rps:,.0f} req/s, {server.cpu[-1]:.1f} µs CPU/request")
        return Results(
            rps={server.name: server.rps for server in running},
            cpu={server.name: server.cpu for server in running},
        )
