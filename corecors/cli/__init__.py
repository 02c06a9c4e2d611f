"""The ``corecors`` command: ``explain``, ``lint`` and ``probe``.

``explain`` plays one browser request through a config: whether the browser
sends a preflight, what corecors answers to it and to the actual request,
and what the browser then does with those answers. ``lint`` prints every
problem the core finds in a config file, errors and advice, each with a
stable code, where it is and the fix. ``probe`` looks at a running
deployment as a browser does.

``explain`` and ``lint`` read a TOML or JSON file of Config options, or a
Gravitee API definition (see :doc:`/cli`). Standard library only. The
package has one module per subcommand, plus the files it reads
(:mod:`.files`), the browser model (:mod:`.browser`) and what every
subcommand's output shares (:mod:`.output`).
"""

from __future__ import annotations

import argparse
import os
import sys

from .. import __version__
from .explain import run_explain
from .lint import run_lint
from .output import EXIT_BAD_INPUT, EXIT_REFUSED
from .probe import add_arguments as add_probe_arguments
from .probe import run_probe

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corecors",
        description="Explain how a browser request fares under a CORS config, and lint configs.",
    )
    parser.add_argument("--version", action="version", version=f"corecors {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    colour = argparse.ArgumentParser(add_help=False)
    colour.add_argument(
        "--color",
        "--colour",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output: auto (default) colours a terminal unless NO_COLOR is set",
    )
    colour.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default) or json for programs",
    )

    ex = sub.add_parser(
        "explain",
        parents=[colour],
        help="show how one browser request fares under CONFIG",
        description="Show whether the browser sends a preflight, what corecors answers, "
        "and what the browser does with the answer. Exit status: 0 allowed, 1 refused, "
        "2 bad input.",
    )
    ex.add_argument("config", metavar="CONFIG", help="TOML or JSON options, or a Gravitee export")
    ex.add_argument(
        "--origin", required=True, help="the page's origin, e.g. https://app.example.com"
    )
    ex.add_argument("--method", default="GET", help="the request method (default GET)")
    ex.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="NAME[: VALUE]",
        help="a header the script sets; repeat for more. Give the value of Content-Type "
        "(e.g. 'Content-Type: text/plain') to have it judged; without one it needs a preflight",
    )
    ex.add_argument(
        "--credentials",
        action="store_true",
        help="the request includes credentials (fetch credentials: 'include')",
    )
    ex.add_argument(
        "--private-network",
        action="store_true",
        help="the request goes from a public page to a private-network address",
    )
    ex.add_argument(
        "--websocket",
        action="store_true",
        help="the page opens a WebSocket (new WebSocket()) instead of calling fetch()",
    )
    ex.add_argument("--path", default="/", help="the request path, for display (default /)")

    li = sub.add_parser(
        "lint",
        parents=[colour],
        help="report errors and risky settings in CONFIG files",
        description="Report every error and warning in each CONFIG, with a stable code, "
        "its location and the fix. Exit status: 0 clean, 1 errors (or warnings with "
        "--strict), 2 a file could not be read.",
    )
    li.add_argument(
        "config", metavar="CONFIG", nargs="*", help="TOML or JSON options, or a Gravitee export"
    )
    li.add_argument(
        "--sql",
        metavar="URL",
        help="also lint a table of tenant origins, as corecors.sources.SQLSource reads it: "
        "sqlite:///PATH or postgresql://USER@HOST/DB (needs the postgres extra)",
    )
    li.add_argument("--table", default="cors_origins", help="with --sql: the table")
    li.add_argument("--column", default="origin", help="with --sql: the origin column")
    li.add_argument("--query", help="with --sql: the query the source runs, if your own")
    li.add_argument("--strict", action="store_true", help="fail on warnings too")
    li.add_argument(
        "--from",
        dest="source",
        choices=["auto", "django-cors-headers"],
        default="auto",
        help="what the files hold: corecors options or a Gravitee definition (auto, the "
        "default), or django-cors-headers' CORS_* settings as JSON or TOML keys",
    )

    pr = sub.add_parser(
        "probe",
        help="look at a running deployment as a browser does",
        description="Send preflights and GET requests from the allowed origins and from "
        "attacker origins made from them, to the URL's host only, and report what a "
        "browser would see. Exit status: 0 clean, 1 findings, 2 could not probe.",
    )
    add_probe_arguments(pr)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``corecors`` command with *argv*; return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or bad arguments (status 2)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "explain":
            return run_explain(args, out, err)
        if args.command == "probe":
            return run_probe(args, out, err)
        return run_lint(args, out)
    except BrokenPipeError:  # e.g. `corecors lint ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_REFUSED
