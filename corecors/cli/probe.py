"""``corecors probe``: the command's arguments, report and exit status.

What to send, sending it and judging the answers is :mod:`.probing`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any, TextIO

from .._syntax import TOKEN
from .judging import Finding, judge, where
from .output import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, count, write_json
from .probing import (
    DEFAULT_MAX_REQUESTS,
    DEFAULT_TIMEOUT,
    Exchange,
    ProbeError,
    Settings,
    parse_header,
    parse_page_origin,
    parse_target,
    plan,
    send,
)

__all__ = ["add_arguments", "run_probe"]

# -- the command ---------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``probe`` subcommand's arguments."""
    parser.add_argument(
        "url", metavar="URL", help="the deployment to probe, e.g. https://api.example.com/items"
    )
    parser.add_argument(
        "--origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="an origin that should be allowed, e.g. https://app.example.com; repeat for more",
    )
    parser.add_argument(
        "--credentials",
        action="store_true",
        help="the pages send credentials (fetch credentials: 'include')",
    )
    parser.add_argument(
        "--path",
        action="append",
        default=[],
        metavar="PATH",
        help="another path on the URL's host to probe; repeat for more",
    )
    parser.add_argument(
        "--method",
        default="GET",
        help="the method the pages use, for the preflights (default GET); "
        "actual requests are always GET",
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="NAME[: VALUE]",
        help="a header the pages' scripts set; repeat for more",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default) or json for programs",
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=DEFAULT_MAX_REQUESTS,
        metavar="N",
        help=f"send at most N requests (default {DEFAULT_MAX_REQUESTS})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on one request after SECONDS (default {DEFAULT_TIMEOUT:g})",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    target = parse_target(args.url)
    origins = tuple(dict.fromkeys(parse_page_origin(o) for o in args.origin))
    for p in args.path:
        if not p.startswith("/"):
            raise ProbeError(
                f"--path expects a path on the URL's host starting with '/', not {p!r}"
            )
        if any(c in p for c in " \t\r\n\x00"):
            raise ProbeError(f"--path {p!r} holds whitespace or a control character")
    paths = tuple(dict.fromkeys([target.path, *args.path]))
    if not TOKEN.fullmatch(args.method):
        raise ProbeError(f"--method expects a method token such as PUT, not {args.method!r}")
    if args.max_requests < 1:
        raise ProbeError("--max-requests must be at least 1")
    if not args.timeout > 0:
        raise ProbeError("--timeout must be above 0")
    return Settings(
        target=target,
        origins=origins,
        paths=paths,
        method=args.method,
        headers=tuple(parse_header(h) for h in args.header),
        credentials=args.credentials,
        max_requests=args.max_requests,
        timeout=args.timeout,
    )


@dataclass
class Report:
    settings: Settings
    exchanges: list[Exchange]
    skipped: int
    findings: list[Finding]

    @property
    def errors(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.error is not None]

    def status(self) -> int:
        if self.findings:
            return EXIT_REFUSED
        if self.errors:
            return EXIT_BAD_INPUT
        return EXIT_OK

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.settings.target.url,
            "requests": len(self.exchanges),
            "skipped": self.skipped,
            "errors": [{"request": where(e), "error": e.error} for e in self.errors],
            "findings": [f.as_json() for f in self.findings],
        }


def probe(settings: Settings) -> Report:
    """Send the plan, within the budget, and judge the answers."""
    todo = plan(settings.paths, settings.origins)
    exchanges: list[Exchange] = []
    for p in todo[: settings.max_requests]:
        exchange = send(settings, p)
        exchanges.append(exchange)
        if exchange.error is not None and not exchanges[:-1]:
            break  # the first request failed: the server cannot be reached
    skipped = len(todo) - len(exchanges)
    return Report(settings, exchanges, skipped, judge(exchanges, settings))


def print_text(report: Report, out: TextIO) -> None:
    s = report.settings
    w = out.write
    w(f"corecors probe {s.target.url}\n")
    origins = ", ".join(s.origins) if s.origins else "none given (only refusals checked)"
    w(f"  allowed origins: {origins}\n")
    w(f"  sent {count(len(report.exchanges), 'request')}")
    if report.skipped:
        w(f", skipped {report.skipped} (--max-requests {s.max_requests})")
    w("\n")
    for e in report.errors:
        w(f"  no answer: {where(e)}: {e.error}\n")
    for f in report.findings:
        e = f.exchange
        w(f"\n{f.code}  {f.title}\n")
        w(f"       seen: {f.detail}\n")
        for n, v in e.cors_headers():
            w(f"             {n}: {v}\n")
        w(f"       fix:  {f.fix}\n")
    if report.findings:
        w(f"\n{count(len(report.findings), 'finding')}.\n")
    elif report.errors:
        w("\nThe probe is incomplete: some requests got no answer.\n")
    else:
        w("\nNo findings.\n")


def run_probe(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``corecors probe`` with parsed *args*; return the exit status."""
    try:
        settings = settings_from(args)
    except ProbeError as exc:
        err.write(f"corecors probe: {exc}\n")
        return EXIT_BAD_INPUT
    report = probe(settings)
    if report.exchanges and all(e.error is not None for e in report.exchanges):
        e = report.exchanges[0]
        err.write(f"corecors probe: cannot reach {settings.target.url}: {e.error}\n")
        if args.format == "json":
            write_json(out, report.as_json())
        return EXIT_BAD_INPUT
    if args.format == "json":
        write_json(out, report.as_json())
    else:
        print_text(report, out)
    return report.status()
