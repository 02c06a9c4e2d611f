"""How the command runs and looks: entry points, colour, file detection."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
Run = Callable[..., Any]  # the `run` fixture (conftest.py)
Write = Callable[[str, Any], str]

ESC = "\033["
EXPLAIN = ["explain", str(EXAMPLES / "config.toml"), "--origin", "https://app.example.com",
           "--method", "PUT", "--header", "X-Requested-With"]


def _env(**changes: str | None) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _script() -> str:
    """The installed console script, beside this interpreter (venv, tox) or on PATH."""
    beside = Path(sys.executable).parent / "corecors"
    found = str(beside) if beside.exists() else shutil.which("corecors")
    assert found, "the corecors console script is not installed"
    return found


@pytest.mark.parametrize(
    "command",
    [pytest.param([sys.executable, "-m", "corecors"], id="python -m corecors"),
     pytest.param(None, id="console script")],
)
def test_entry_points_run_explain_and_exit_with_its_status(
    command: list[str] | None, tmp_path: Path
) -> None:
    argv = command or [_script()]
    # Run outside the repository, so the installed package is the one used.
    allowed = subprocess.run([*argv, *EXPLAIN], capture_output=True, text=True, cwd=tmp_path,
                             env=_env(NO_COLOR=None), check=False)
    assert allowed.returncode == 0, allowed.stderr
    assert "Access-Control-Allow-Origin: https://app.example.com" in allowed.stdout
    refused = subprocess.run([*argv, *EXPLAIN[:3], "https://evil.example"], capture_output=True,
                             text=True, cwd=tmp_path, check=False)
    assert refused.returncode == 1
    usage = subprocess.run([*argv, "explain"], capture_output=True, text=True, cwd=tmp_path,
                           check=False)
    assert usage.returncode == 2
    assert "usage: corecors explain" in usage.stderr


def test_no_colour_when_stdout_is_not_a_terminal(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "corecors", *EXPLAIN], capture_output=True,
                            text=True, cwd=tmp_path, env=_env(NO_COLOR=None), check=False)
    assert result.returncode == 0
    assert ESC not in result.stdout


def _run_on_a_terminal(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.Popen(argv, stdout=secondary, stderr=subprocess.DEVNULL, env=env,
                                cwd=cwd)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the terminal's other end closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        return proc.wait(), b"".join(chunks).decode()
    finally:
        os.close(primary)


def test_colour_on_a_terminal_and_never_with_no_color(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "corecors", *EXPLAIN]
    code, out = _run_on_a_terminal(argv, _env(NO_COLOR=None, TERM="xterm"), tmp_path)
    assert code == 0
    assert ESC in out
    code, out = _run_on_a_terminal(argv, _env(NO_COLOR="1", TERM="xterm"), tmp_path)
    assert code == 0
    assert ESC not in out


def test_color_option_overrides_detection(run: Run) -> None:
    assert ESC in run(*EXPLAIN, "--color", "always").out
    assert ESC not in run(*EXPLAIN, "--color", "never").out
    assert ESC not in run(*EXPLAIN).out  # captured output is not a terminal


def test_lint_colours_severity_only_on_request(run: Run) -> None:
    path = str(EXAMPLES / "gravitee-v2.json")
    assert ESC + "31m" in run("lint", path, "--color", "always").out
    assert ESC not in run("lint", path).out


def test_json_output_is_never_coloured(run: Run) -> None:
    result = run(*EXPLAIN, "--format", "json", "--color", "always")
    assert ESC not in result.out
    result.json()


def test_version_and_help_exit_0(run: Run) -> None:
    import corecors

    version = run("--version")
    assert version.code == 0
    assert corecors.__version__ in version.out
    assert run("lint", "--help").code == 0


# -- what a file is read as ---------------------------------------------------------

ORIGINS = ["https://app.example.com"]


@pytest.mark.parametrize(
    ("name", "content", "read_as"),
    [
        pytest.param("c.toml", '[corecors]\nallow_origins = ["https://app.example.com"]\n',
                     "corecors options, TOML", id="TOML corecors table"),
        pytest.param("pyproject.toml",
                     '[project]\nname = "x"\n[tool.corecors]\n'
                     'allow_origins = ["https://app.example.com"]\n',
                     "corecors options, TOML", id="TOML tool.corecors table"),
        pytest.param("c.toml", 'allow_origins = ["https://app.example.com"]\n',
                     "corecors options, TOML", id="TOML top-level keys"),
        pytest.param("c.json", {"allow_origins": ORIGINS}, "corecors options, JSON",
                     id="JSON top-level keys"),
        pytest.param("c.json", {"corecors": {"allow_origins": ORIGINS}},
                     "corecors options, JSON", id="JSON corecors object"),
        pytest.param("c.conf", '{"allow_origins": ["https://app.example.com"]}',
                     "corecors options, JSON", id="JSON under another extension"),
        pytest.param("c.conf", 'allow_origins = ["https://app.example.com"]',
                     "corecors options, TOML", id="TOML under another extension"),
        pytest.param("c.json", {"enabled": True, "allowOrigin": ORIGINS},
                     "Gravitee cors object", id="Gravitee cors object alone"),
        pytest.param("c.json", {"gravitee": "2.0.0", "proxy": {"cors": {
            "enabled": True, "allowOrigin": ORIGINS}}},
                     "Gravitee v2 API definition, cors at proxy.cors", id="Gravitee v2"),
        pytest.param("c.json", {"api": {"definitionVersion": "V4", "listeners": [
            {"type": "HTTP", "cors": {"enabled": True, "allowOrigin": ORIGINS}}]}},
                     "Gravitee v4 API definition, cors at api.listeners[0].cors",
                     id="Gravitee v4 export"),
        pytest.param("c.json", {"api": {"proxy": {"cors": {
            "enabled": True, "allowOrigin": ORIGINS}}}},
                     "Gravitee v2 API definition, cors at api.proxy.cors",
                     id="Gravitee v2 in an api wrapper"),
    ],
)
def test_file_kind_is_detected(run: Run, write: Write, name: str, content: Any,
                               read_as: str) -> None:
    path = write(name, content)
    lint = run("lint", "--format", "json", path)
    assert lint.json()["files"][0]["read_as"] == [read_as]
    assert lint.code == 0, lint.out
    explain = run("explain", path, "--origin", "https://app.example.com", "--format", "json")
    assert explain.code == 0, explain.out + explain.err
    assert explain.json()["config"]["read_as"] == read_as.split(", cors at")[0]


def test_gravitee_enabled_defaults_to_false_like_gravitee(run: Run, write: Write) -> None:
    path = write("c.json", {"allowOrigin": ORIGINS})
    assert run("explain", path, "--origin", ORIGINS[0]).code == 1
