"""Helpers for the command-line tests: run ``corecors`` in-process, write files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from corecors.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code = code
        self.out = out
        self.err = err

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run the command with these arguments; return its status and output."""

    def run_(*argv: str) -> Result:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run_


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, Any], str]:
    """Write a file (a dict is written as JSON) and return its path."""

    def write_(name: str, content: Any) -> str:
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return str(path)

    return write_
