"""``corecors lint``: the core's problem list for each file, formatted.

Every error and warning comes from the core (:meth:`corecors.Reading.check`:
validation, then the advice of :mod:`corecors._advice`), so lint refuses
exactly what ``Config`` refuses, with the same code. This module only reads
the files and prints the list.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from .._config import Config
from .._django_cors_headers import read_django_cors_headers
from .._errors import PROBLEM_CODES, Problem, Severity
from .files import InputError, NotAConfig, classify, read_document
from .output import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_REFUSED,
    Style,
    count,
    show,
    use_colour,
    wrap,
    write_json,
)

__all__ = ["Finding", "lint_file", "lint_sql", "run_lint"]


@dataclass(frozen=True)
class Finding:
    """One problem, placed in its file."""

    code: str
    severity: Severity
    file: str
    path: str
    message: str
    fix: str

    @classmethod
    def of(cls, file: str, p: Problem) -> Finding:
        message = f"{p.where} {p.problem}" if p.value is None else f"{show(p.value)} {p.problem}"
        return cls(p.code, p.severity, file, p.where, message, p.fix)

    @property
    def location(self) -> str:
        return f"{self.file}: {self.path}" if self.path else self.file

    def as_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity,
            "file": self.file,
            "path": self.path,
            "location": self.location,
            "message": self.message,
            "fix": self.fix,
        }


def _file_problem(code: str, path: str, message: str, fix: str) -> Finding:
    return Finding(code, PROBLEM_CODES[code][0], path, "", f"the file {message}", fix)


def lint_file(path: str, reader: str = "auto") -> tuple[list[Finding], list[str], bool]:
    """Lint one file: its findings, what it was read as, and whether it was readable.

    *reader* ``"django-cors-headers"`` reads the file as django-cors-headers'
    ``CORS_*`` settings (:func:`corecors.read_django_cors_headers`).
    """
    try:
        syntax, document = read_document(path)
    except InputError as exc:
        return [_file_problem("CC001", path, exc.message, exc.fix)], [], False
    if reader == "django-cors-headers":
        problems = list(read_django_cors_headers(document).check())
        kinds = [f"django-cors-headers settings, {syntax}"]
    else:
        try:
            sources = classify(path, syntax, document)
        except NotAConfig as exc:
            return [_file_problem("CC002", path, exc.message, exc.fix)], [], True
        problems = [p for source in sources for p in source.reading().check()]
        kind = sources[0].kind
        if sources[0].gravitee and sources[0].prefix:
            kind += ", cors at " + " and ".join(source.prefix for source in sources)
        kinds = [kind]
    findings = [Finding.of(path, p) for p in problems]
    findings.sort(key=lambda f: f.severity != "error")  # errors first, stable otherwise
    return findings, kinds, True


def _connector(url: str) -> Callable[[], Any]:
    """A DB-API connect callable for *url*: ``sqlite:///PATH`` or ``postgresql://…``."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        # Read-only: lint never writes, and never creates a missing database.
        return lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    if url.startswith(("postgresql://", "postgres://")):
        try:
            import psycopg
        except ImportError:
            raise InputError(
                "needs psycopg to read PostgreSQL",
                "install corecors with the postgres extra: python3 -m pip install '.[postgres]'",
            ) from None
        return lambda: psycopg.connect(url, connect_timeout=10)
    raise InputError(
        "is not a database URL corecors reads",
        "write sqlite:///path/to/file.db or postgresql://user@host/dbname",
    )


def lint_sql(
    url: str, table: str, column: str, query: str | None
) -> tuple[list[Finding], list[str], bool]:
    """Lint a tenant-origins table as :class:`corecors.sources.SQLSource` reads it."""
    from .._policy import Policy
    from ..sources import SQLSource, lint_rows

    shown = url.split("@")[-1] if "@" in url else url  # never print a password
    try:
        source = SQLSource(_connector(url), Policy(Config()), table=table, column=column,
                           query=query)  # fmt: skip
        try:
            rows = source.read_rows()
        finally:
            source.stop()
    except InputError as exc:
        return [_file_problem("CC001", shown, exc.message, exc.fix)], [], False
    except Exception as exc:  # the driver's own errors: an unreachable server, a bad query
        message = f"cannot be read ({type(exc).__name__}: {str(exc).strip() or 'no detail'})"
        fix = "check the URL, the table and the query; lint reads it as the source would"
        return [_file_problem("CC001", shown, message, fix)], [], False
    findings = [Finding.of(shown, p) for p in lint_rows(rows, where=source.table)]
    return findings, [f"tenant origins, {len(rows)} rows ({source.query})"], True


def run_lint(args: argparse.Namespace, out: TextIO) -> int:
    style = Style(use_colour(args.color, out))
    if not args.config and not args.sql:
        sys.stderr.write("corecors lint: error: give CONFIG files, --sql URL, or both\n")
        return EXIT_BAD_INPUT
    results = [(path, *lint_file(path, args.source)) for path in args.config]
    if args.sql:
        shown = args.sql.split("@")[-1] if "@" in args.sql else args.sql
        results.append((shown, *lint_sql(args.sql, args.table, args.column, args.query)))
    findings = [f for _, fs, _, _ in results for f in fs]
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    unreadable = any(not readable for *_, readable in results)
    if args.format == "json":
        write_json(
            out,
            {
                "findings": [f.as_json() for f in findings],
                "files": [
                    {
                        "file": p,
                        "read_as": k,
                        "errors": sum(f.severity == "error" for f in fs),
                        "warnings": sum(f.severity == "warning" for f in fs),
                    }
                    for p, fs, k, _ in results
                ],
                "summary": {"files": len(results), "errors": errors, "warnings": warnings},
            },
        )
    else:
        for finding in findings:
            severity = f"{finding.severity:<8}"
            out.write(
                (style.bad(severity) if finding.severity == "error" else style.warn(severity))
                + " "
                + style.code(finding.code)
                + "  "
                + style.bold(finding.location)
                + "\n"
            )
            for line in wrap(finding.message, 16):
                out.write(" " * 16 + line + "\n")
            for line in wrap("fix: " + finding.fix, 16):
                out.write(" " * 16 + style.dim(line) + "\n")
        if findings:
            out.write("\n")
        for path, fs, kinds, _ in results:
            e = sum(f.severity == "error" for f in fs)
            w = len(fs) - e
            what = f" ({'; '.join(kinds)})" if kinds else ""
            verdict = (
                style.good("ok")
                if not fs
                else style.bad(count(e, "error") + (", " + count(w, "warning") if w else ""))
                if e
                else style.warn(count(w, "warning"))
            )
            out.write(f"{path}{style.dim(what)}: {verdict}\n")
    if unreadable:
        return EXIT_BAD_INPUT
    if errors or (args.strict and warnings):
        return EXIT_REFUSED
    return EXIT_OK
