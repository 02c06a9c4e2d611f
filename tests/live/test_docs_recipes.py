"""The recipes of docs/live-policies.md run as written.

Every Python block runs, in order, in one namespace. The fleet block names
the reader's DATABASE_URL and app, so it runs with the session's PostgreSQL
and a hello app.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from pg_server import PostgreSQL

PAGE = Path(__file__).parents[2] / "docs" / "live-policies.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def test_the_page_has_its_recipes() -> None:
    assert len(BLOCKS) >= 6


def test_every_recipe_runs(tenants: PostgreSQL, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="corecors.report_only")
    namespace: dict[str, Any] = {"DATABASE_URL": tenants.url, "my_app": hello}
    for block in BLOCKS:
        exec(compile(block, str(PAGE), "exec"), namespace)  # noqa: S102 - the docs' own code
    namespace["source"].stop()
    assert any(r.name == "corecors.report_only" for r in caplog.records)
