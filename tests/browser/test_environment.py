"""The suite's own contract: without chromium it fails under CI, skips locally."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

Resolver = Callable[[Mapping[str, str], Callable[[str], str | None]], str]
ROOT = Path(__file__).resolve().parents[2]
HELP = "install Debian's chromium: apt-get install chromium"


def nowhere(_name: str) -> None:
    return None


def test_found_on_path(chromium_resolver: Resolver) -> None:
    assert chromium_resolver({}, lambda name: f"/usr/bin/{name}") == "/usr/bin/chromium"


def test_env_variable_wins(chromium_resolver: Resolver) -> None:
    assert chromium_resolver({"CORECORS_CHROMIUM": sys.executable}, nowhere) == sys.executable


def test_missing_under_ci_fails(chromium_resolver: Resolver) -> None:
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium"):
        chromium_resolver({"CI": "true"}, nowhere)


def test_missing_locally_skips(chromium_resolver: Resolver) -> None:
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        chromium_resolver({}, nowhere)


def test_bad_env_variable_fails_even_locally(chromium_resolver: Resolver) -> None:
    with pytest.raises(pytest.fail.Exception, match="CORECORS_CHROMIUM"):
        chromium_resolver({"CORECORS_CHROMIUM": "/nonexistent/chromium"}, lambda _: "/x")


def test_ci_without_chromium_end_to_end() -> None:
    """A child pytest whose PATH holds only the Python tools: the browser
    test errors (never skips) and says how to install chromium."""
    bindir = Path(sys.executable).parent
    script = bindir / "pytest"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pytest"]
    env = {k: v for k, v in os.environ.items() if k not in {"CORECORS_CHROMIUM", "PATH"}}
    env.update(PATH=str(bindir), CI="true")
    child = subprocess.run(
        [*command, "tests/browser/test_requests.py::test_preflighted_put_allowed[wsgi]",
         "-p", "no:cacheprovider", "-q"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    output = child.stdout + child.stderr
    assert child.returncode == 1, output
    assert "1 error" in output, output
    assert "skipped" not in output, output
    assert HELP in output, output
