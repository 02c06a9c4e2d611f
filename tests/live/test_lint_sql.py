"""``corecors lint --sql`` against the real PostgreSQL the live tests start."""

from __future__ import annotations

import io
import json
import sys

from pg_server import PostgreSQL

from corecors.cli import main


def lint(*argv: str) -> tuple[int, dict[str, object]]:
    out, saved = io.StringIO(), sys.stdout
    sys.stdout = out
    try:
        code = main(["lint", "--format", "json", *argv])
    finally:
        sys.stdout = saved
    return code, json.loads(out.getvalue())


def test_lint_sql_reads_the_table_a_source_reads(tenants: PostgreSQL) -> None:
    tenants.execute("INSERT INTO cors_origins VALUES ('https://t1.example'), (NULL), "
                    "('https://t2.example/app')")
    code, report = lint("--sql", tenants.url)
    assert code == 1
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [f["code"] for f in findings] == ["CC005", "CC005"]
    tenants.execute("DELETE FROM cors_origins WHERE origin IS NULL OR origin LIKE '%/app'")
    assert lint("--sql", tenants.url)[0] == 0


def test_lint_sql_of_a_server_that_is_down_exits_2(tenants: PostgreSQL) -> None:
    code, report = lint("--sql", tenants.url.replace(str(tenants.port), "1"))
    assert code == 2
    findings = report["findings"]
    assert isinstance(findings, list)
    assert findings[0]["code"] == "CC001"
