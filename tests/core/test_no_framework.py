"""The core stands alone: importing it pulls in no web framework."""

from __future__ import annotations

import json
import subprocess
import sys


def test_importing_the_core_imports_no_web_framework() -> None:
    code = (
        "import json, sys, corecors; "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.partition('.')[0] in {'flask', 'werkzeug', 'django', 'starlette'})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []
