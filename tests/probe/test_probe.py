"""``corecors probe`` against real servers on 127.0.0.1.

Each deployment is probed as a browser would reach it; the test asserts the
exact set of finding codes, so a missed problem and a false alarm both fail.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import probe_apps as apps
import pytest
from probe_servers import serve_asgi, serve_gunicorn, serve_nginx, serve_wsgi

from corecors.cli import main
from corecors.cli.probing import plan

APP = apps.APP
# The request the pages make: a credentialed PUT with Authorization.
BROWSER = [
    "--origin",
    APP,
    "--credentials",
    "--method",
    "PUT",
    "--header",
    "Authorization: Bearer t",
]


def probe(port: int, *args: str, path: str = "/") -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    saved = sys.stdout
    sys.stdout = out
    try:
        code = main(["probe", f"http://127.0.0.1:{port}{path}", "--format", "json", *args])
    finally:
        sys.stdout = saved
    return code, json.loads(out.getvalue())


def codes(report: dict[str, Any]) -> set[str]:
    return {f["code"] for f in report["findings"]}


# -- corecors deployments: no findings ------------------------------------------------


def test_wsgi_middleware_under_gunicorn_is_clean(tmp_path: Path) -> None:
    if importlib.util.find_spec("gunicorn") is None:
        if os.environ.get("CI"):
            pytest.fail("gunicorn is not installed, and CI is set: this test must run")
        pytest.skip("needs gunicorn (pip install gunicorn)")
    with serve_gunicorn("probe_apps:wsgi_app", tmp_path) as port:
        code, report = probe(port, *BROWSER, "--path", "/items")
    assert report["findings"] == []
    assert code == 0
    assert report["requests"] == len(plan(["/", "/items"], [APP]))


def test_asgi_middleware_under_uvicorn_is_clean() -> None:
    with serve_asgi(apps.asgi_app()) as port:
        code, report = probe(port, *BROWSER, "--path", "/boom")
    assert report["findings"] == []
    assert code == 0


def test_flask_adapter_is_clean() -> None:
    with serve_wsgi(apps.flask_adapter_app()) as port:
        code, report = probe(port, *BROWSER)
    assert report["findings"] == []
    assert code == 0


# -- broken deployments: the expected findings, and no others -------------------------


def test_flask_cors_defaults_reflect_any_origin() -> None:
    with serve_wsgi(apps.flask_cors_app()) as port:
        code, report = probe(port, "--origin", APP, "--method", "PUT")
    # flask-cors reflects every Origin; its origin-less answer is '*' without Vary.
    assert codes(report) == {"CP001", "CP005"}
    assert code == 1


def test_flask_cors_with_credentials_reflects_any_origin_with_credentials() -> None:
    with serve_wsgi(apps.flask_cors_app(supports_credentials=True)) as port:
        code, report = probe(port, *BROWSER)
    assert codes(report) == {"CP001", "CP005"}
    (cp001,) = [f for f in report["findings"] if f["code"] == "CP001"]
    assert ["Access-Control-Allow-Credentials", "true"] in cp001["response"]["headers"]
    assert cp001["request"]["origin"] == "https://corecors-probe.invalid"
    assert code == 1


def test_auth_in_front_of_cors_answers_preflights_401() -> None:
    app = apps.auth_in_front_app()
    with serve_wsgi(app) as port:
        code, report = probe(port, *BROWSER)
    assert codes(report) == {"CP008"}
    (finding,) = report["findings"]
    assert finding["request"]["method"] == "OPTIONS"
    assert finding["response"]["status"] == 401
    assert code == 1


def test_nginx_adding_its_own_allow_origin_gives_two_values(tmp_path: Path) -> None:
    with (
        serve_wsgi(apps.wsgi_app) as upstream,
        serve_nginx(upstream, "add_header Access-Control-Allow-Origin *;", tmp_path) as port,
    ):
        code, report = probe(port, *BROWSER)
    assert codes(report) == {"CP006"}
    values = [
        v
        for n, v in report["findings"][0]["response"]["headers"]
        if n.lower() == "access-control-allow-origin"
    ]
    assert sorted(values) == sorted(["*", APP])
    assert code == 1


def test_nginx_passing_corecors_through_is_clean(tmp_path: Path) -> None:
    with serve_wsgi(apps.wsgi_app) as upstream, serve_nginx(upstream, "", tmp_path) as port:
        code, report = probe(port, *BROWSER)
    assert report["findings"] == []
    assert code == 0


def test_starlette_500s_lack_cors_headers() -> None:
    with serve_asgi(apps.starlette_cors_app()) as port:
        code, report = probe(port, *BROWSER, "--path", "/boom")
    found = codes(report)
    assert "CP007" in found
    (cp007,) = [f for f in report["findings"] if f["code"] == "CP007"]
    assert cp007["request"]["path"] == "/boom"
    assert cp007["response"]["status"] == 500
    # Starlette's own middleware also tells refused preflights its policy.
    assert found == {"CP007", "CP010"}
    assert code == 1
