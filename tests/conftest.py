"""Shared by every suite: ``tests/`` goes on ``sys.path`` for ``servers.py``
(pytest runs in importlib mode, which does not add it)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
