"""``corecors explain``: one browser request played through a config.

Whether the browser sends a preflight, what corecors answers to it and to
the actual request (the core's :func:`corecors.decide`), and what the
browser then does with the answers (:mod:`corecors.cli.browser`). A
refusal's verdict carries the fix, as lint's findings do.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from typing import Any, TextIO

from .._config import Config
from .._decide import decide
from .._decision import Decision
from .._errors import ConfigError
from .._fetch import FORBIDDEN_METHODS, NORMALISED_METHODS, SAFELISTED_METHODS
from .._model import REASONS, Header, Request
from .._syntax import ORIGIN_VALUE, TOKEN, parse_origin
from .browser import (
    BrowserRequest,
    HeaderArg,
    browser_cors_check,
    browser_preflight_check,
    readable_headers,
)
from .files import InputError, NotAConfig, load_config
from .handshake import explain_handshake
from .output import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_REFUSED,
    Style,
    show,
    status_text,
    use_colour,
    wrap,
    write_json,
)

__all__ = ["BadArgument", "build_request", "explain", "run_explain"]


class BadArgument(Exception):
    pass


def parse_origin_argument(value: str) -> str:
    if value == "null" or (len(value) <= 2048 and ORIGIN_VALUE.fullmatch(value)):
        return value
    try:
        suggestion = parse_origin("--origin", value, pattern=False).serialise()
    except ConfigError as exc:
        raise BadArgument(f"--origin {show(value)} {exc.problem}; {exc.fix}") from None
    raise BadArgument(
        f"--origin {show(value)} is not what a browser sends; it sends {show(suggestion)}"
    )


def parse_header_argument(value: str) -> HeaderArg:
    name, colon, header_value = value.partition(":")
    name = name.strip()
    if not TOKEN.fullmatch(name):
        raise BadArgument(
            f"--header {show(value)}: {show(name)} is not a header name; "
            "write NAME or 'NAME: VALUE'"
        )
    return HeaderArg(name, header_value.strip(" \t") if colon else None)


def build_request(args: argparse.Namespace) -> BrowserRequest:
    origin = parse_origin_argument(args.origin)
    method = args.method
    if not TOKEN.fullmatch(method):
        raise BadArgument(f"--method {show(method)} is not a method name (an HTTP token)")
    # Fetch, "normalize a method".
    if method.upper() in NORMALISED_METHODS:
        method = method.upper()
    # Each --header is one entry of the header list, as headers.append() makes.
    headers = tuple(parse_header_argument(raw) for raw in args.header)
    path = args.path if args.path.startswith("/") else "/" + args.path
    return BrowserRequest(origin, method, path, headers, args.credentials, args.private_network)


@dataclass
class Step:
    """One request the browser sends, corecors's answer and the browser's verdict."""

    name: str
    request_headers: list[Header]
    decision: Decision
    checks: list[tuple[str, bool, str]]
    response_status: int | None  # None: the application's own status
    response_headers: list[Header]
    problem: str | None

    def as_json(self) -> dict[str, Any]:
        d = self.decision
        return {
            "request_headers": [list(h) for h in self.request_headers],
            "decision": {
                "kind": d.kind,
                "allowed": d.allowed,
                "action": d.action,
                "status": d.status,
                "headers": [list(h) for h in d.headers],
                "vary": list(d.vary),
                "reasons": [{"code": r, "text": REASONS.get(r, r)} for r in d.reasons],
            },
            "checks": [{"check": c, "ok": ok, "text": t} for c, ok, t in self.checks],
            "response": {
                "status": self.response_status,
                "headers": [list(h) for h in self.response_headers],
            },
            "browser": {"ok": self.problem is None, "problem": self.problem},
        }


def _origin_detail(config: Config, origin: str) -> str:
    if "*" in config.allow_origins:
        return "'*' in allow_origins allows every origin"
    if origin in config.allow_origins:
        return f"{origin} is listed in allow_origins"
    for entry in config.allow_origins:
        if "*" in entry and re.fullmatch(parse_origin("", entry, pattern=True).regex(), origin):
            return f"{origin} matches the pattern {entry}"
    for rx in config.allow_origin_regexes:
        if rx.fullmatch(origin):
            return f"{origin} matches the regex {show(rx.pattern)}"
    return f"{origin} is allowed"


_CHECK_OF = {
    "origin_not_allowed": "origin",
    "origin_malformed": "origin",
    "method_not_allowed": "method",
    "method_malformed": "method",
    "headers_not_allowed": "headers",
    "headers_malformed": "headers",
    "headers_over_limit": "headers",
    "authorization_not_covered": "headers",
    "private_network_not_allowed": "private network",
}


def _checks(
    config: Config, request: BrowserRequest, decision: Decision, preflight: bool
) -> list[tuple[str, bool, str]]:
    if decision.kind == "not_cors":
        return [("cors", False, REASONS.get(r, r)) for r in decision.reasons]
    failed = {_CHECK_OF.get(r, r): REASONS.get(r, r) for r in decision.reasons}
    rows: list[tuple[str, bool, str]] = []

    def row(check: str, detail: str) -> None:
        rows.append((check, check not in failed, failed.get(check, detail)))

    row("origin", _origin_detail(config, request.origin) if "origin" not in failed else "")
    if not preflight:
        return rows
    method = request.method
    row(
        "method",
        f"{method} is CORS-safelisted"
        if method in SAFELISTED_METHODS
        else "allow_methods is '*'"
        if method not in config.allow_methods
        else f"{method} is listed in allow_methods",
    )
    unsafe = request.unsafe_names()
    if unsafe:
        listed = {h.lower() for h in config.allow_headers}
        row(
            "headers",
            ", ".join(unsafe)
            + (
                " listed in allow_headers"
                if set(unsafe) <= listed
                else " covered by '*' in allow_headers"
            ),
        )
    if request.private_network:
        row("private network", "allow_private_network is on")
    return rows


def explain(config: Config, request: BrowserRequest) -> tuple[list[str], Step | None, Step | None]:
    why = request.preflight_why()
    preflight: Step | None = None
    if why:
        acrh = ",".join(request.unsafe_names())
        req_headers: list[Header] = [
            ("Origin", request.origin),
            ("Access-Control-Request-Method", request.method),
        ]
        if acrh:
            req_headers.append(("Access-Control-Request-Headers", acrh))
        if request.private_network:
            req_headers.append(("Access-Control-Request-Private-Network", "true"))
        decision = decide(Request.from_headers("OPTIONS", req_headers), config)
        if decision.action == "respond":
            status, headers = decision.status, list(decision.headers)
        else:  # passed on to the application (preflight_passthrough, or disabled)
            status, headers = None, decision.apply([])
        preflight = Step(
            "preflight",
            req_headers,
            decision,
            _checks(config, request, decision, True),
            status,
            headers,
            browser_preflight_check(status, headers, request),
        )
        if preflight.problem is not None:
            return why, preflight, None
    req_headers = [("Origin", request.origin)] + [
        (h.name, h.value if h.value is not None else "<value>") for h in request.sent_headers()
    ]
    decision = decide(Request.from_headers(request.method, req_headers), config)
    headers = decision.apply([])
    actual = Step(
        "actual",
        req_headers,
        decision,
        _checks(config, request, decision, False),
        None,
        headers,
        browser_cors_check(headers, request),
    )
    return why, preflight, actual


def run_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        request = build_request(args)
    except BadArgument as exc:
        err.write(f"corecors explain: error: {exc}\n")
        return EXIT_BAD_INPUT
    try:
        config, kind = load_config(args.config)
    except InputError as exc:
        err.write(f"corecors explain: {args.config}: the file {exc.message}\n  fix: {exc.fix}\n")
        return EXIT_BAD_INPUT
    except NotAConfig as exc:
        err.write(f"corecors explain: {args.config}: the file {exc.message}\n  fix: {exc.fix}\n")
        return EXIT_BAD_INPUT
    except ConfigError as exc:
        err.write(
            f"corecors explain: {args.config}: invalid config\n"
            f"  {exc.option}: {show(exc.value)} {exc.problem}\n  fix: {exc.fix}\n"
            f"  (corecors lint {args.config} lists every problem)\n"
        )
        return EXIT_BAD_INPUT

    if args.websocket:
        if request.method != "GET" or request.headers or request.credentials:
            err.write(
                "corecors explain: error: --websocket is a GET handshake: it takes no "
                "--method, --header or --credentials (the browser sends the page's cookies)\n"
            )
            return EXIT_BAD_INPUT
        return explain_handshake(config, args.config, kind, request, args.format, out)

    if request.method in FORBIDDEN_METHODS or request.method.upper() in FORBIDDEN_METHODS:
        verdict = (
            f"the browser refuses to send {request.method}: fetch() throws a TypeError "
            "(a forbidden method), so no request leaves the page"
        )
        if args.format == "json":
            write_json(
                out,
                {
                    "config": {"file": args.config, "read_as": kind},
                    "request": _request_json(request),
                    "preflight": None,
                    "actual": None,
                    "allowed": False,
                    "verdict": verdict,
                    "fix": "use another method: no browser ever sends this one",
                },
            )
        else:
            out.write(verdict + "\n")
        return EXIT_REFUSED

    why, preflight, actual = explain(config, request)
    allowed = actual is not None and actual.problem is None
    fix: str | None = None
    if allowed:
        assert actual is not None
        verdict = (
            f"allowed: the browser sends {request.method} {request.path} and gives the "
            f"response to the script, which can read the status, the body and "
            f"{readable_headers(actual.response_headers, request)}"
        )
    elif actual is None:
        assert preflight is not None
        fix = fix_for(config, request, preflight)
        verdict = (
            f"refused: {_why_refused(preflight)}the browser blocks the request because "
            f"the preflight failed: {preflight.problem}. The {request.method} request "
            f"is never sent, and fetch() rejects with a TypeError; fix: {fix}"
        )
    else:
        fix = fix_for(config, request, actual)
        verdict = (
            f"refused: {_why_refused(actual)}the browser blocks the response: "
            f"{actual.problem}. The request did reach your application and ran; only "
            "the script is kept from the response (fetch() rejects with a TypeError); "
            f"fix: {fix}"
        )
    if args.format == "json":
        write_json(
            out,
            {
                "config": {"file": args.config, "read_as": kind},
                "request": _request_json(request),
                "preflight": ({"needed": True, "why": why} | preflight.as_json())
                if preflight
                else {"needed": False, "why": []},
                "actual": ({"sent": True} | actual.as_json()) if actual else {"sent": False},
                "allowed": allowed,
                "verdict": verdict,
                "fix": fix,
            },
        )
    else:
        _print_explain(
            out,
            Style(use_colour(args.color, out)),
            args.config,
            kind,
            request,
            why,
            preflight,
            actual,
            allowed,
            verdict,
        )
    return EXIT_OK if allowed else EXIT_REFUSED


def fix_for(config: Config, request: BrowserRequest, step: Step) -> str:
    """What to change so that *step* passes: for corecors's refusal, its first
    reason; for an answer the browser refuses, what the answer lacks."""
    reasons = [r for r in step.decision.reasons if r not in ("no_origin", "websocket")]
    reason = reasons[0] if reasons else None
    if reason == "disabled":
        return "set enabled to true"
    if reason in ("origin_not_allowed", "origin_malformed"):
        return f"add {show(request.origin)} to allow_origins, if that page may read the responses"
    if reason == "method_not_allowed":
        return f"add {show(request.method)} to allow_methods"
    if reason == "authorization_not_covered":
        return "add 'Authorization' to allow_headers by name: '*' never covers it"
    if reason in ("headers_not_allowed", "headers_over_limit"):
        listed = {h.lower() for h in config.allow_headers}
        missing = [n for n in request.unsafe_names() if n not in listed]
        return "add " + ", ".join(show(n) for n in missing) + " to allow_headers"
    if reason == "private_network_not_allowed":
        return "set allow_private_network to true"
    if request.credentials and not config.allow_credentials:
        return "set allow_credentials to true, so that the exact origin and " + (
            "Access-Control-Allow-Credentials: true are sent"
        )
    return "see the failed check above"


def _why_refused(step: Step) -> str:
    reasons = [
        REASONS.get(r, r) for r in step.decision.reasons if r not in ("no_origin", "websocket")
    ]
    return f"corecors refuses it ({'; '.join(reasons)}), so " if reasons else ""


def _request_json(request: BrowserRequest) -> dict[str, Any]:
    return {
        "origin": request.origin,
        "method": request.method,
        "path": request.path,
        "credentials": request.credentials,
        "private_network": request.private_network,
        "headers": [
            {
                "name": h.name,
                "value": h.value,
                "forbidden": h.forbidden,
                "safelisted": h.safelisted(),
            }
            for h in request.headers
        ],
    }


def _print_explain(
    out: TextIO,
    s: Style,
    file: str,
    kind: str,
    request: BrowserRequest,
    why: list[str],
    preflight: Step | None,
    actual: Step | None,
    allowed: bool,
    verdict: str,
) -> None:
    w = out.write

    def para(text: str, indent: int = 2) -> None:
        for line in wrap(text, indent):
            w(" " * indent + line + "\n")

    w(s.bold("Config") + f"   {file} ({kind})\n")
    w(s.bold("Request") + f"  {request.method} {request.path} from a page on {request.origin}\n")
    w(
        " " * 9
        + (
            "credentials included (fetch credentials: 'include', or XHR withCredentials)"
            if request.credentials
            else "no credentials (fetch's default: cookies only go to the page's own origin)"
        )
        + "\n"
    )
    for h in request.headers:
        shown = h.name + (f": {h.value}" if h.value is not None else "")
        if h.forbidden:
            note = s.warn("dropped: scripts cannot set a forbidden request header")
        elif h.safelisted():
            note = "CORS-safelisted" + (
                " (assumed: give a value to check it)" if h.value is None else ""
            )
        else:
            note = "not CORS-safelisted" + (
                " (Content-Type is judged by its value: 'Content-Type: text/plain' is "
                "safelisted, application/json is not)"
                if h.value is None and h.name.lower() == "content-type"
                else ""
            )
        w(" " * 9 + f"{shown}  " + s.dim(note) + "\n")
    w("\n")
    if preflight is None:
        w(s.bold("1. Preflight") + "  not needed: the method and headers are CORS-safelisted\n")
    else:
        w(s.bold("1. Preflight") + "  needed, because:\n")
        for reason in why:
            para("- " + reason, 4)
        _print_step(out, s, preflight, f"OPTIONS {request.path}")
    w("\n" + s.bold("2. Actual request") + "\n")
    if actual is None:
        para("not sent: the browser stopped at the failed preflight", 4)
    else:
        _print_step(out, s, actual, f"{request.method} {request.path}")
    w("\n" + s.bold("Verdict") + "\n")
    lines = wrap(verdict, 2)
    colour = s.good if allowed else s.bad
    for line in lines:
        w("  " + colour(line) + "\n")


def _print_step(out: TextIO, s: Style, step: Step, line: str) -> None:
    w = out.write
    w(f"  {s.dim('the browser sends')}\n    {line}\n")
    for name, value in step.request_headers:
        w(f"    {name}: {value}\n")
    w(f"  {s.dim('corecors checks')}\n")
    width = max((len(c) for c, _, _ in step.checks), default=0)
    for check, ok, text in step.checks:
        mark = s.good("ok     ") if ok else s.bad("refused")
        lines = wrap(text, 4 + width + 2 + 9)
        w(f"    {check:<{width}}  {mark}  {lines[0]}\n")
        for more in lines[1:]:
            w(" " * (4 + width + 2 + 9) + more + "\n")
    d = step.decision
    if d.action == "respond":
        assert d.status is not None
        w(f"  {s.dim('corecors answers it at once')}\n    HTTP {status_text(d.status)}\n")
        for name, value in d.headers:
            w(f"    {name}: {value}\n")
    elif d.action == "pass":
        w(f"  {s.dim('corecors leaves it to your application and adds nothing')}\n")
    else:
        intro = (
            "corecors passes it to your application (preflight_passthrough) and adds"
            if step.name == "preflight"
            else "your application answers; corecors adds"
        )
        w(f"  {s.dim(intro)}\n")
        for name, value in d.headers:
            w(f"    {name}: {value}\n")
        if d.vary:
            w(f"    Vary: {', '.join(d.vary)}  {s.dim('(merged into your Vary)')}\n")
        if not d.headers:
            w(f"    {s.dim('no Access-Control-* header (and removes any your app sets)')}\n")
    w(f"  {s.dim('the browser')}\n")
    if step.problem is None:
        text = (
            "accepts the preflight and sends the actual request"
            if step.name == "preflight"
            else "passes the CORS check and hands the response to the script"
        )
        w("    " + s.good(text) + "\n")
    else:
        prefix = "blocks the request: " if step.name == "preflight" else "blocks the response: "
        for more in wrap(prefix + step.problem, 4):
            w("    " + s.bad(more) + "\n")


# -- the command line --------------------------------------------------------------
