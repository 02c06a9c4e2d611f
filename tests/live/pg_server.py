"""A throwaway PostgreSQL server for the live-policy tests (see conftest.py).

Debian's ``postgresql`` package provides it (``.ci/run`` installs it). The
cluster lives in a temporary directory, listens on 127.0.0.1 on a free port
and on a Unix socket there, and is stopped at the end. PostgreSQL refuses to
run as root, so under root it runs as the ``postgres`` user.

When PostgreSQL or psycopg is missing, the tests that need it fail under CI
(``$CI`` set) and skip locally, with what to install.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

POSTGRES_HELP = (
    "install PostgreSQL (Debian: apt-get install postgresql) and psycopg "
    "(pip install 'corecors[postgres]')"
)
#: Upper bound for the server to start or stop, in seconds.
TIMEOUT = 30.0


def missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so this test must run: {POSTGRES_HELP}", pytrace=False)
    pytest.skip(f"{message}: {POSTGRES_HELP}")


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    return Path(on_path).parent if on_path else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class PostgreSQL:
    """One throwaway cluster; ``stop()`` and ``start()`` for the fault tests."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="corecors-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.proc: subprocess.Popen[bytes] | None = None
        self.as_root = os.geteuid() == 0
        self.sockets.mkdir()
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.sockets, "postgres", "postgres")
        self._run([str(bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                   "--auth=trust", "-E", "UTF8", "--no-sync"], check=True)

    def _command(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if self.as_root else argv

    def _run(self, argv: list[str], check: bool) -> None:
        subprocess.run(self._command(argv), check=check, capture_output=True, timeout=TIMEOUT)

    def start(self) -> None:
        log = (self.root / "postgres.log").open("ab")
        self.proc = subprocess.Popen(
            self._command([str(self.bindir / "postgres"), "-D", str(self.data),
                           "-k", str(self.sockets), "-h", "127.0.0.1", "-p", str(self.port),
                           "-c", "fsync=off", "-c", "synchronous_commit=off"]),
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        import psycopg

        for _ in range(int(TIMEOUT / 0.05)):  # bounded
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited:\n" + self.log())
            try:
                psycopg.connect(self.url, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.05)
        raise RuntimeError("postgres did not start:\n" + self.log())

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        # SIGINT is PostgreSQL's fast shutdown. runuser does not pass it on,
        # so it goes to the postmaster itself (the first line of its pid file).
        pid_file = self.data / "postmaster.pid"
        try:
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)
        except (OSError, ValueError, IndexError):
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=TIMEOUT)

    def log(self) -> str:
        path = self.root / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def connect(self, **kwargs: Any) -> Any:
        import psycopg

        return psycopg.connect(self.url, autocommit=True, connect_timeout=2, **kwargs)

    def execute(self, sql: str, *args: object) -> None:
        with self.connect() as connection:
            connection.execute(sql, args or None)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


