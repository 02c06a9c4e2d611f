"""Typed use of the Flask extension and the dict hook. mypy checks it; nothing runs it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask

from corecors import Config, Decision
from corecors.adapters.flask import CORS, CORSState, cross_origin, current_decision
from corecors.adapters.hook import apply_forward, handle


def create_app() -> Flask:
    app = Flask(__name__)
    cors = CORS(app, allow_origins=["https://app.example.com"])
    bp = Blueprint("admin", __name__)
    policy: Config = cors.blueprint(bp, allow_origins=["https://admin.example.com"])
    cors.rule("/public", config=policy.replace(allow_origins="*"))

    @app.get("/items")
    @cross_origin(allow_origins=["https://partner.example.com"], max_age=-1)
    def items() -> str:
        decision: Decision | None = current_decision()
        return "allowed" if decision is not None and decision.allowed else "no decision"

    state: CORSState = app.extensions["corecors"]
    assert state.config.allow_origins == ("https://app.example.com",)
    return app


def proxy(upstream: list[list[str]]) -> list[list[str]]:
    result: dict[str, Any] = handle(
        {"method": "GET", "path": "/", "headers": [["Origin", "https://a.example"]]}, Config()
    )
    if result["action"] == "respond":
        return [list(h) for h in result["headers"]]
    return apply_forward(result, upstream)


def django_view_policies() -> None:
    from django.http import HttpRequest, HttpResponse

    from corecors import Scopes
    from corecors.adapters.django import CorsMiddleware, cors_policy, read_settings

    @cors_policy(allow_origins=["https://partner.example.com"], allow_methods=["GET"])
    def feed(request: HttpRequest) -> HttpResponse:
        return HttpResponse("feed")

    response: HttpResponse = feed(HttpRequest())
    middleware = CorsMiddleware(feed)
    assert middleware.async_mode is False
    scopes, problems = read_settings()
    if scopes is not None:
        found: Scopes = scopes
        assert found.policy_for("/") is not None or problems == ()
    assert response.status_code == 200
