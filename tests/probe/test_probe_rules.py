"""Each finding code on a small hand-written server, and the command's limits."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from probe_servers import free_port, serve_wsgi

from corecors.cli import main
from corecors.cli.probing import CODES, plan

APP = "https://app.example.com"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def hand_written(check: Callable[[str], bool], extra: list[tuple[str, str]]) -> WSGIApp:
    """CORS by hand: the origins *check* accepts are reflected, with *extra*."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        headers = [("Vary", "Origin")]
        if origin and check(origin):
            headers += [("Access-Control-Allow-Origin", origin), *extra]
        start_response("200 OK", headers)
        return [b""]

    return app


def run(port: int, *args: str, fmt: str = "json") -> tuple[int, Any]:
    out, saved = io.StringIO(), sys.stdout
    sys.stdout = out
    try:
        code = main(["probe", f"http://127.0.0.1:{port}/", "--format", fmt, *args])
    finally:
        sys.stdout = saved
    return code, (json.loads(out.getvalue()) if fmt == "json" else out.getvalue())


@pytest.fixture
def serve() -> Iterator[Callable[[WSGIApp], int]]:
    stack: list[Any] = []

    def start(app: WSGIApp) -> int:
        ctx = serve_wsgi(app)
        stack.append(ctx)
        return ctx.__enter__()

    yield start
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        pytest.param(
            lambda o: o.startswith(APP), {"CP003"}, id="a prefix check lets the suffix trick in"
        ),
        pytest.param(
            lambda o: o.endswith("app.example.com"),
            {"CP003", "CP004"},
            id="a suffix check lets evilapp and http in",
        ),
        pytest.param(lambda o: o in (APP, "null"), {"CP003"}, id="null is allowed"),
        pytest.param(
            lambda o: o.startswith("https://") and o.endswith(".example.com"),
            {"CP004"},
            id="any subdomain is allowed",
        ),
        pytest.param(lambda o: o == APP, set(), id="an exact check is clean"),
    ],
)
def test_loose_origin_checks_are_found(
    serve: Callable[[WSGIApp], int], check: Callable[[str], bool], expected: set[str]
) -> None:
    port = serve(hand_written(check, []))
    code, report = run(port, "--origin", APP)
    assert {f["code"] for f in report["findings"]} == expected
    assert code == (1 if expected else 0)


def test_wildcard_with_credentials(serve: Callable[[WSGIApp], int]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(
            "200 OK",
            [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")],
        )
        return [b""]

    code, report = run(serve(app), "--origin", APP)
    assert {f["code"] for f in report["findings"]} == {"CP002"}
    assert code == 1


def test_max_age_above_the_browsers_caps(serve: Callable[[WSGIApp], int]) -> None:
    port = serve(hand_written(lambda o: o == APP, [("Access-Control-Max-Age", "86401")]))
    code, report = run(port, "--origin", APP)
    (finding,) = report["findings"]
    assert finding["code"] == "CP009"
    assert "above both caps" in finding["detail"]
    assert code == 1


def test_refused_preflight_that_lists_the_methods(serve: Callable[[WSGIApp], int]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        headers = [("Vary", "Origin")]
        if environ.get("HTTP_ORIGIN") == APP:
            headers.append(("Access-Control-Allow-Origin", APP))
        if environ["REQUEST_METHOD"] == "OPTIONS":
            headers.append(("Access-Control-Allow-Methods", "GET, PUT, DELETE"))
        start_response("200 OK", headers)
        return [b""]

    code, report = run(serve(app), "--origin", APP, "--method", "PUT")
    assert {f["code"] for f in report["findings"]} == {"CP010"}
    assert code == 1


def test_missing_vary(serve: Callable[[WSGIApp], int]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        ok = environ.get("HTTP_ORIGIN") == APP
        start_response("200 OK", [("Access-Control-Allow-Origin", APP)] if ok else [])
        return [b""]

    code, report = run(serve(app), "--origin", APP)
    assert {f["code"] for f in report["findings"]} == {"CP005"}
    assert code == 1


def test_an_allowed_origin_that_is_refused(serve: Callable[[WSGIApp], int]) -> None:
    port = serve(hand_written(lambda o: False, []))
    code, report = run(port, "--origin", APP)
    assert {f["code"] for f in report["findings"]} == {"CP011"}
    assert code == 1


def test_debug_refusals_left_on_is_found(serve: Callable[[WSGIApp], int]) -> None:
    from corecors.adapters.wsgi import CORSMiddleware

    def inner(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    on = serve(CORSMiddleware(inner, allow_origins=[APP], debug_refusals=True))
    code, report = run(on, "--origin", APP)
    assert {f["code"] for f in report["findings"]} == {"CP012"}
    assert "origin_not_allowed" in report["findings"][0]["detail"]
    assert code == 1
    off = serve(CORSMiddleware(inner, allow_origins=[APP]))
    code_off, report_off = run(off, "--origin", APP)
    assert (code_off, report_off["findings"]) == (0, [])


def test_text_output_names_code_explanation_and_fix(serve: Callable[[WSGIApp], int]) -> None:
    port = serve(hand_written(lambda o: True, []))
    code, text = run(port, "--origin", APP, fmt="text")
    assert code == 1
    assert "CP001  " + CODES["CP001"][0] in text
    assert "fix:  " + CODES["CP001"][1] in text
    assert "Access-Control-Allow-Origin: https://corecors-probe.invalid" in text


def test_never_more_than_max_requests(serve: Callable[[WSGIApp], int]) -> None:
    seen: list[str] = []
    inner = hand_written(lambda o: o == APP, [])

    def counting(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(environ["REQUEST_METHOD"])
        return inner(environ, start_response)

    code, report = run(serve(counting), "--origin", APP, "--max-requests", "5")
    assert len(seen) == 5
    assert report["requests"] == 5
    assert report["skipped"] == len(plan(["/"], [APP])) - 5
    assert code == 0


def test_an_unreachable_server_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()  # nothing listens there
    code = main(["probe", f"http://127.0.0.1:{port}/", "--origin", APP, "--timeout", "2"])
    assert code == 2
    assert "cannot reach" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["ftp://example.com/"], id="not http"),
        pytest.param(
            ["http://127.0.0.1/", "--origin", "https://app.example.com/path"],
            id="origin with a path",
        ),
        pytest.param(
            ["http://127.0.0.1/", "--path", "http://elsewhere.test/"], id="path on another host"
        ),
        pytest.param(["http://127.0.0.1/", "--max-requests", "0"], id="no budget"),
        pytest.param(["http://127.0.0.1/", "--header", "Bad Name: x"], id="bad header name"),
    ],
)
def test_bad_arguments_exit_2_without_a_request(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["probe", *args]) == 2
    assert capsys.readouterr().err.startswith("corecors probe: ")


def test_missing_nginx_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    import probe_servers  # the module, to patch its NGINX

    monkeypatch.setattr(probe_servers, "NGINX", "/nonexistent/nginx")
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install nginx"):
        probe_servers.resolve_nginx()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        probe_servers.resolve_nginx()
