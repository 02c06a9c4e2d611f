"""``corecors probe``: judging the answers a deployment gave, as a browser would.

Each finding has a stable code (:data:`corecors.cli.probing.CODES`), the
request it comes from, a one-line explanation and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._fetch import CHROMIUM_MAX_AGE, FIREFOX_MAX_AGE, SAFELISTED_METHODS
from .probing import CODES, Exchange, Settings

__all__ = ["Finding", "judge", "where"]

# -- judging ---------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    code: str
    detail: str
    exchange: Exchange

    @property
    def title(self) -> str:
        return CODES[self.code][0]

    @property
    def fix(self) -> str:
        return CODES[self.code][1]

    def as_json(self) -> dict[str, Any]:
        e = self.exchange
        return {
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
            "fix": self.fix,
            "request": {
                "method": e.probe.method,
                "path": e.probe.path,
                "origin": e.probe.origin,
                "role": e.probe.role,
                "headers": [[n, v] for n, v in e.sent if n.lower().startswith("access-control-")],
            },
            "response": {"status": e.status, "headers": [[n, v] for n, v in e.cors_headers()]},
        }


def _vary_covers_origin(exchange: Exchange) -> bool:
    tokens = {t.strip().lower() for v in exchange.values("Vary") for t in v.split(",")}
    return "origin" in tokens or "*" in tokens


def _several_acao(exchange: Exchange) -> bool:
    values = exchange.values("Access-Control-Allow-Origin")
    return len(values) > 1 or any("," in v for v in values)


def cors_check(exchange: Exchange, credentials: bool) -> str | None:
    """Fetch, "CORS check": None when the browser lets the page read the response."""
    origin = exchange.probe.origin
    acao = exchange.get("Access-Control-Allow-Origin")
    if acao is None:
        return "no Access-Control-Allow-Origin"
    if acao == "*" and not credentials:
        return None
    if acao == "*":
        return "Access-Control-Allow-Origin is '*' on a credentialed request"
    if acao != origin:
        return f"Access-Control-Allow-Origin is {acao!r}, not {origin!r}"
    if credentials and exchange.get("Access-Control-Allow-Credentials") != "true":
        return "no Access-Control-Allow-Credentials: true on a credentialed request"
    return None


def _list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def preflight_check(exchange: Exchange, settings: Settings) -> str | None:
    """Fetch, "CORS-preflight fetch", after the response arrives."""
    problem = cors_check(exchange, settings.credentials)
    if problem:
        return problem
    methods = _list(exchange.get("Access-Control-Allow-Methods"))
    wildcard = not settings.credentials
    if (
        settings.method not in SAFELISTED_METHODS
        and settings.method not in methods
        and not (wildcard and "*" in methods)
    ):
        return f"Access-Control-Allow-Methods does not list {settings.method}"
    names = {n.lower() for n in _list(exchange.get("Access-Control-Allow-Headers"))}
    for name in settings.unsafe_names():
        # Fetch: "*" never covers Authorization, and means nothing with credentials.
        if name not in names and not (wildcard and "*" in names and name != "authorization"):
            return f"Access-Control-Allow-Headers does not list {name}"
    return None


def _max_age(exchange: Exchange) -> int | None:
    value = exchange.get("Access-Control-Max-Age")
    if value is None or not value.isdigit():
        return None
    return int(value)


def where(e: Exchange) -> str:
    origin = "no Origin" if e.probe.origin is None else f"Origin {e.probe.origin}"
    return f"{e.probe.method} {e.probe.path} from {origin} ({e.probe.role})"


def judge(exchanges: Sequence[Exchange], settings: Settings) -> list[Finding]:
    """The findings, each code and detail once, in the order of the codes."""
    found: dict[tuple[str, str], Finding] = {}

    def add(code: str, detail: str, e: Exchange) -> None:
        found.setdefault((code, detail), Finding(code, detail, e))

    done = [e for e in exchanges if e.status is not None]
    readable: set[str] = set()  # given origins some response let the page read
    for e in done:
        p = e.probe
        status = e.status or 0
        acao = e.values("Access-Control-Allow-Origin")
        credentials = e.get("Access-Control-Allow-Credentials") == "true"
        if _several_acao(e):
            add("CP006", f"{where(e)}: Access-Control-Allow-Origin {', '.join(acao)}", e)
        elif acao == ["*"] and credentials:
            add("CP002", f"{where(e)}: '*' with credentials", e)
        if p.kind == "preflight":
            age = _max_age(e)
            if age is not None and age > CHROMIUM_MAX_AGE and 200 <= status <= 299:
                cap = "above both caps" if age > FIREFOX_MAX_AGE else "above Chromium's cap"
                add("CP009", f"Access-Control-Max-Age: {age} ({cap})", e)
        if p.role == "given":
            if _several_acao(e):
                continue
            if p.kind == "actual" and status < 400 and cors_check(e, settings.credentials) is None:
                readable.add(p.origin or "")
            continue
        if p.role == "none" or p.origin is None:
            continue
        # An origin nobody allowed.
        reflected = acao == [p.origin]
        if reflected:
            with_credentials = " with credentials" if credentials else ""
            if p.role == "unrelated":
                add("CP001", f"Origin {p.origin} is allowed{with_credentials}", e)
            elif "sibling subdomain" in p.role:
                add("CP004", f"Origin {p.origin} is allowed{with_credentials}", e)
            else:
                add("CP003", f"{p.role}: Origin {p.origin} is allowed{with_credentials}", e)
        elif p.kind == "preflight" and acao != ["*"]:
            told = [
                n
                for n in (
                    "Access-Control-Allow-Methods",
                    "Access-Control-Allow-Headers",
                    "Access-Control-Max-Age",
                    "Access-Control-Allow-Credentials",
                )
                if e.get(n) is not None
            ]
            if told:
                add("CP010", f"Origin {p.origin} is told {', '.join(told)}", e)
    # corecors's debug_refusals left on: every refusal names its reasons.
    disclosing = next((e for e in done if e.get("Corecors-Refusal") is not None), None)
    if disclosing is not None:
        add("CP012", f"Corecors-Refusal: {disclosing.get('Corecors-Refusal')}", disclosing)
    # A server that allows every origin allows the attacker-made ones too:
    # one finding says it.
    if any(code == "CP001" for code, _ in found):
        found = {k: f for k, f in found.items() if k[0] not in ("CP003", "CP004")}

    for e in done:
        p = e.probe
        status = e.status or 0
        if p.role != "given" or _several_acao(e):
            continue
        if p.kind == "preflight":
            if not settings.needs_preflight():
                continue  # a browser sends no preflight for this request
            if not 200 <= status <= 299:
                add("CP008", f"{where(e)}: status {status}", e)
                continue
            problem = preflight_check(e, settings)
            if problem:
                add("CP011", f"{where(e)}: {problem}", e)
            continue
        problem = cors_check(e, settings.credentials)
        if problem is None:
            continue
        if status >= 400 and p.origin in readable:
            add("CP007", f"{where(e)}: status {status}, {problem}", e)
        else:
            add("CP011", f"{where(e)}: status {status}, {problem}", e)

    # Vary: per path, does the CORS part of the answer change with Origin?
    by_path: dict[str, list[Exchange]] = {}
    for e in done:
        if e.probe.kind == "actual":
            by_path.setdefault(e.probe.path, []).append(e)
    for path, group in by_path.items():
        answers = {
            (
                tuple(e.values("Access-Control-Allow-Origin")),
                e.get("Access-Control-Allow-Credentials"),
            )
            for e in group
        }
        if len(answers) < 2:
            continue
        for e in group:
            if not _vary_covers_origin(e):
                add("CP005", f"GET {path}: responses differ by Origin, some lack Vary: Origin", e)
                break
    return sorted(found.values(), key=lambda f: f.code)
