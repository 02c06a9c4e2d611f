"""Reaching the adapters that are written beside the core.

The Flask extension and the dict hook are optional here only while they do
not exist yet: a test that needs one skips when its module is missing and
the ``CI`` environment variable is unset, and fails in CI.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def adapter(name: str) -> ModuleType:
    """``corecors.adapters.<name>``, or skip (outside CI) if it is not written yet."""
    module = f"corecors.adapters.{name}"
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        if os.environ.get("CI"):
            pytest.fail(f"{module} is missing, and CI is set: these tests must run")
        pytest.skip(f"{module} does not exist yet (set CI=1 to make this a failure)")
