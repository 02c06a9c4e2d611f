"""Security tests: a browser model, fuzzing, bounded cost, load, per-path policies.

The helper modules beside this file (``sec_*.py``) are imported by name, so
this directory goes on ``sys.path`` (pytest runs in importlib mode, which
does not add it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from sec_support import LONG_RUN, STATS  # noqa: E402


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not STATS:
        return
    mode = f"long run, CORECORS_FUZZ_EXAMPLES={LONG_RUN}" if LONG_RUN else "CI budget"
    terminalreporter.section(f"corecors security figures ({mode})")
    for name, count in sorted(STATS.items()):
        terminalreporter.write_line(f"{name:<48} {count:>10}")
