"""The probe tests' helpers live beside them: this directory goes on ``sys.path``
(pytest runs in importlib mode, which does not add it), as in tests/security."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
