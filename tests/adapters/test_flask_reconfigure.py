"""The Flask extension takes a corecors.Policy wherever it takes a Config, and
swaps its app-level policy with CORS.reconfigure()."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask

from corecors import Config, ConfigError, Policy
from corecors.adapters.flask import CORS, cross_origin

APP = "https://app.example.com"
OTHER = "https://other.example.com"


def make() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        return "ok"

    return app


def acao(app: Flask, origin: str, path: str = "/") -> str | None:
    return app.test_client().get(path, headers={"Origin": origin}).headers.get(
        "Access-Control-Allow-Origin"
    )


def test_reconfigure_swaps_the_app_policy_after_the_first_request() -> None:
    app = make()
    cors = CORS(app, allow_origins=[APP])
    assert acao(app, APP) == APP
    cors.reconfigure(Config(allow_origins=[OTHER]))
    assert acao(app, APP) is None
    assert acao(app, OTHER) == OTHER


def test_reconfigure_reaches_every_app_of_a_factory_extension() -> None:
    cors = CORS(allow_origins=[APP])
    first, second = make(), make()
    cors.init_app(first)
    cors.init_app(second)
    assert acao(first, APP) == APP
    cors.reconfigure(Config(allow_origins=[OTHER]))
    assert (acao(first, OTHER), acao(second, OTHER)) == (OTHER, OTHER)
    third = make()
    cors.init_app(third)  # registered later: the policy in force now
    assert acao(third, OTHER) == OTHER


def test_a_bad_reconfigure_raises_and_keeps_the_policy() -> None:
    app = make()
    cors = CORS(app, allow_origins=[APP])
    with pytest.raises(ConfigError) as caught:
        cors.reconfigure({"allow_origins": [OTHER]})  # type: ignore[arg-type]
    assert caught.value.problems[0].code == "CC004"
    assert acao(app, APP) == APP


def test_a_policy_is_accepted_for_the_app_a_blueprint_and_a_view() -> None:
    app = make()
    site, part, view = (Policy(Config(allow_origins=[o])) for o in (APP, OTHER, APP))
    bp = Blueprint("part", __name__, url_prefix="/part")

    @bp.get("/x")
    def part_x() -> str:
        return "x"

    @app.get("/view")
    @cross_origin(config=view)
    def view_fn() -> str:
        return "v"

    app.register_blueprint(bp)
    cors = CORS(app, config=site)
    cors.blueprint(bp, config=part)
    assert (acao(app, APP), acao(app, OTHER, "/part/x"), acao(app, APP, "/view")) == (
        APP, OTHER, APP,
    )
    # Each Policy is swapped in place, after the first request too.
    part.reconfigure(Config(allow_origins=[APP]))
    view.reconfigure(Config(allow_origins=[OTHER]))
    assert (acao(app, APP, "/part/x"), acao(app, OTHER, "/view")) == (APP, OTHER)
    assert acao(app, OTHER, "/part/x") is None


def test_passthrough_taken_on_by_a_reconfigure_reaches_before_request_hooks() -> None:
    app = make()
    seen: list[str] = []

    @app.before_request
    def hook() -> None:
        seen.append("hook")

    cors = CORS(app, allow_origins=[APP], allow_methods=["PUT"])
    preflight = {"Origin": APP, "Access-Control-Request-Method": "PUT"}
    assert app.test_client().options("/", headers=preflight).status_code == 204
    assert seen == []  # answered before Flask ran
    cors.reconfigure(Config(allow_origins=[APP], allow_methods=["PUT"],
                            preflight_passthrough=True, preflight_status=200))
    response = app.test_client().options("/", headers=preflight)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert seen == ["hook"]
