"""The Flask extension, through app.test_client(): what a Flask user sees."""

from __future__ import annotations

import gc
import logging
import weakref
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Blueprint, Flask, Response, abort, request
from flask.views import MethodView
from werkzeug.debug import DebuggedApplication
from werkzeug.test import Client, TestResponse

import corecors.adapters._flask_state as flask_state
from corecors import Config, ConfigError, Decision
from corecors.adapters.flask import CORS, CORSState, cross_origin, current_decision

APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
PARTNER = "https://partner.example.com"
EVIL = "https://evil.example"

PREFLIGHT_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network"
)


def acao(response: TestResponse) -> str | None:
    return response.headers.get("Access-Control-Allow-Origin")


def cors_headers(response: TestResponse) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers if k.lower().startswith("access-control-")]


def preflight(
    client: Any, path: str, origin: str = APP, method: str = "PUT", **headers: str
) -> TestResponse:
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    sent.update({k.replace("_", "-"): v for k, v in headers.items()})
    response: TestResponse = client.options(path, headers=sent)
    return response


class Counter:
    """Counts how often the app's hooks and views ran."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, what: str) -> None:
        self.calls.append(what)


def hello_app(counter: Counter | None = None, **cors: Any) -> Flask:
    app = Flask(__name__)
    seen = counter if counter is not None else Counter()

    @app.before_request
    def before() -> None:
        seen("before_request")

    @app.get("/")
    def index() -> Response:
        seen("view")
        # The app's own CORS headers must never reach the browser.
        return Response(
            "hello",
            headers={
                "Vary": "Accept-Encoding",
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Credentials": "true",
            },
        )

    @app.put("/items/<int:item_id>")
    def put_item(item_id: int) -> str:
        seen("view")
        return f"item {item_id}"

    if cors:
        CORS(app, **cors)
    return app


# -- registration and where the config comes from ------------------------------


def test_registers_state_in_app_extensions() -> None:
    app = Flask(__name__)
    cors = CORS(app, allow_origins=[APP])
    state = app.extensions["corecors"]
    assert isinstance(state, CORSState)
    assert state.extension is cors
    assert state.config == Config(allow_origins=[APP])
    assert app.wsgi_app == state.__call__
    assert app.wsgi_app.__self__ is state  # type: ignore[attr-defined]


def test_app_factory_one_extension_many_apps() -> None:
    cors = CORS()

    def create_app(origin: str) -> Flask:
        app = hello_app()
        app.config["CORECORS_ALLOW_ORIGINS"] = origin
        cors.init_app(app)
        return app

    first, second = create_app(APP), create_app(PARTNER)
    assert acao(first.test_client().get("/", headers={"Origin": APP})) == APP
    assert acao(first.test_client().get("/", headers={"Origin": PARTNER})) is None
    assert acao(second.test_client().get("/", headers={"Origin": PARTNER})) == PARTNER
    assert acao(second.test_client().get("/", headers={"Origin": APP})) is None


def test_extension_keeps_no_reference_to_the_app() -> None:
    cors = CORS(allow_origins=[APP])
    app = hello_app()
    cors.init_app(app)
    app.test_client().get("/", headers={"Origin": APP})
    ref = weakref.ref(app)
    del app
    gc.collect()
    assert ref() is None, "the CORS object (or something it holds) keeps the app alive"
    assert cors is not None


@pytest.mark.parametrize(
    "register_twice",
    [
        pytest.param(lambda app: (CORS(app), CORS(app)), id="CORS(app) twice"),
        pytest.param(lambda app: CORS(app).init_app(app), id="CORS(app) then init_app(app)"),
        pytest.param(lambda app: (CORS().init_app(app), CORS().init_app(app)), id="two extensions"),
    ],
)
def test_second_registration_is_refused(register_twice: Callable[[Flask], object]) -> None:
    app = Flask(__name__)
    with pytest.raises(RuntimeError, match="already registered") as info:
        register_twice(app)
    message = str(info.value)
    assert "init_app" in message, "the message should say what to do instead"
    assert "cross_origin" in message


def test_config_and_options_together_are_refused() -> None:
    given_both = r"\['allow_origins'\] was given both config= and keyword options"
    with pytest.raises(ConfigError, match=given_both):
        CORS(config=Config(allow_origins=[APP]), allow_origins=[PARTNER])


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: CORS(config={"allow_origins": [APP]}), id="CORS with a dict"),
        pytest.param(lambda: cross_origin(config="*"), id="cross_origin with a str"),
    ],
)
def test_config_must_be_a_config(build: Callable[[], object]) -> None:
    with pytest.raises(ConfigError, match=r"not a corecors\.Config"):
        build()


@pytest.mark.parametrize(
    ("build", "suggestion"),
    [
        pytest.param(lambda: CORS(allow_origin=[APP]), "allow_origins", id="CORS"),
        pytest.param(lambda: cross_origin(max_ag=5), "max_age", id="cross_origin"),
        pytest.param(
            lambda: CORS().blueprint("api", allow_header=["X"]), "allow_headers", id="blueprint"
        ),
    ],
)
def test_misspelt_option_names_the_fix(build: Callable[[], object], suggestion: str) -> None:
    with pytest.raises(ConfigError, match=f"did you mean {suggestion}"):
        build()


def test_options_from_prefixed_app_config() -> None:
    app = hello_app()
    app.config.update(
        CORECORS_ALLOW_ORIGINS=f"{APP}, {PARTNER}",
        CORECORS_ALLOW_CREDENTIALS="true",
        CORS_ORIGINS="*",  # flask-cors's keys may coexist during a migration
    )
    CORS(app)
    client = app.test_client()
    response = client.get("/", headers={"Origin": PARTNER})
    assert acao(response) == PARTNER
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert acao(client.get("/", headers={"Origin": EVIL})) is None


def test_keyword_options_replace_the_app_config_keys_they_name() -> None:
    app = hello_app()
    app.config.update(CORECORS_ALLOW_ORIGINS=APP, CORECORS_ALLOW_CREDENTIALS=True)
    CORS(app, allow_origins=[PARTNER])
    client = app.test_client()
    assert acao(client.get("/", headers={"Origin": APP})) is None
    response = client.get("/", headers={"Origin": PARTNER})
    assert acao(response) == PARTNER
    # Not named by a keyword: still from app.config.
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_explicit_config_wins_over_app_config_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = hello_app()
    app.config["CORECORS_ALLOW_ORIGINS"] = PARTNER
    with caplog.at_level(logging.WARNING, logger="corecors.flask"):
        CORS(app, config=Config(allow_origins=[APP]))
    assert "ignores" in caplog.text
    client = app.test_client()
    assert acao(client.get("/", headers={"Origin": APP})) == APP
    assert acao(client.get("/", headers={"Origin": PARTNER})) is None


def test_invalid_app_config_fails_at_init_app_not_per_request() -> None:
    app = hello_app()
    app.config["CORECORS_ALLOW_ORIGINS"] = "https://app.example.com/path"
    with pytest.raises(ConfigError, match="CORECORS_ALLOW_ORIGINS"):
        CORS(app)
    assert "corecors" not in app.extensions


# -- actual requests and preflights at the app level ---------------------------


def test_allowed_actual_request_gets_headers_and_loses_the_apps_own() -> None:
    client = hello_app(allow_origins=[APP], allow_credentials=True).test_client()
    response = client.get("/", headers={"Origin": APP})
    assert response.status_code == 200
    assert response.text == "hello"
    assert cors_headers(response) == [
        ("Access-Control-Allow-Origin", APP),
        ("Access-Control-Allow-Credentials", "true"),
    ]
    assert response.headers.getlist("Vary") == ["Accept-Encoding, Origin"]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": EVIL}, id="disallowed origin"),
        pytest.param({"Origin": "null"}, id="null origin"),
        pytest.param({}, id="no origin"),
    ],
)
def test_other_requests_reach_the_app_without_cors_headers(headers: dict[str, str]) -> None:
    counter = Counter()
    client = hello_app(counter, allow_origins=[APP]).test_client()
    response = client.get("/", headers=headers)
    assert response.status_code == 200
    assert counter.calls == ["before_request", "view"]
    assert cors_headers(response) == []
    assert response.headers.getlist("Vary") == ["Accept-Encoding, Origin"]


def test_preflight_is_answered_before_flask_handles_the_request() -> None:
    counter = Counter()
    client = hello_app(counter, allow_origins=[APP], allow_methods=["PUT"]).test_client()
    response = preflight(client, "/items/1", method="PUT")
    assert response.status_code == 204
    assert response.data == b""
    assert cors_headers(response) == [
        ("Access-Control-Allow-Origin", APP),
        ("Access-Control-Allow-Methods", "PUT"),
        ("Access-Control-Max-Age", "600"),
    ]
    assert response.headers["Vary"] == PREFLIGHT_VARY
    assert counter.calls == [], "no before_request hook or view may run for a preflight"


@pytest.mark.parametrize(
    ("origin", "method", "extra"),
    [
        pytest.param(EVIL, "PUT", {}, id="origin not allowed"),
        pytest.param(APP, "DELETE", {}, id="method not allowed"),
        pytest.param(APP, "put", {}, id="method compared case-sensitively"),
        pytest.param(
            APP, "PUT", {"Access_Control_Request_Headers": "x-secret"}, id="header not allowed"
        ),
    ],
)
def test_refused_preflight_reaches_nothing_and_discloses_nothing(
    origin: str, method: str, extra: dict[str, str]
) -> None:
    counter = Counter()
    client = hello_app(counter, allow_origins=[APP], allow_methods=["PUT"]).test_client()
    response = preflight(client, "/items/1", origin, method, **extra)
    assert response.status_code == 403
    assert cors_headers(response) == []
    assert counter.calls == []


def test_preflight_status_follows_the_config() -> None:
    client = hello_app(
        allow_origins=[APP],
        allow_methods=["PUT"],
        preflight_status=200,
        preflight_failure_status=401,
    ).test_client()
    assert preflight(client, "/items/1").status_code == 200
    assert preflight(client, "/items/1", origin=EVIL).status_code == 401


def test_plain_options_request_is_flasks_own_with_cors_headers() -> None:
    counter = Counter()
    client = hello_app(counter, allow_origins=[APP]).test_client()
    response = client.options("/items/1", headers={"Origin": APP})
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"PUT", "OPTIONS"}
    assert acao(response) == APP
    assert counter.calls == ["before_request"]


def test_decision_is_in_the_environ_for_hooks_and_views() -> None:
    app = Flask(__name__)
    seen: dict[str, Decision | None] = {}

    @app.before_request
    def before() -> None:
        seen["before_request"] = request.environ.get("corecors.decision")

    @app.get("/")
    def index() -> str:
        seen["view"] = current_decision()
        return "ok"

    CORS(app, allow_origins=[APP])
    app.test_client().get("/", headers={"Origin": EVIL})
    for where in ("before_request", "view"):
        decision = seen[where]
        assert decision is not None, where
        assert (decision.kind, decision.allowed, decision.reasons) == (
            "actual",
            False,
            ("origin_not_allowed",),
        )


def test_decision_left_by_an_outer_layer_is_not_taken_for_this_apps() -> None:
    app = Flask(__name__)
    seen: list[Decision | None] = []

    @app.get("/admin")
    @cross_origin(allow_origins=[ADMIN])
    def admin() -> str:
        seen.append(current_decision())
        return "admin"

    CORS(app, allow_origins=[APP])
    inner = app.wsgi_app
    stale = Decision.forward("actual", True, (), (("Access-Control-Allow-Origin", "*"),), ())

    def outer(environ: dict[str, Any], start_response: Any) -> Any:
        environ["corecors.decision"] = stale
        return inner(environ, start_response)

    app.wsgi_app = outer  # type: ignore[method-assign]
    response = app.test_client().get("/admin", headers={"Origin": EVIL})
    assert acao(response) is None
    assert seen[0] is not stale
    assert seen[0] is not None
    assert seen[0].reasons == ("origin_not_allowed",)


def test_disabled_config_leaves_responses_untouched() -> None:
    client = hello_app(enabled=False).test_client()
    response = client.get("/", headers={"Origin": APP})
    assert acao(response) == "*", "the app's own header stays"
    assert response.headers["Vary"] == "Accept-Encoding"


def test_websocket_handshake_is_left_untouched() -> None:
    app = hello_app(allow_origins=[APP])

    @app.route("/ws", websocket=True)
    def ws() -> Response:
        return Response("upgrade elsewhere", headers={"Access-Control-Allow-Origin": "*"})

    response = app.test_client().get(
        "/ws",
        headers={
            "Origin": APP,
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
        },
    )
    assert response.text == "upgrade elsewhere"
    assert acao(response) == "*", "the app's own header stays"
    assert "Vary" not in response.headers


def test_streaming_response_keeps_streaming_and_gets_headers() -> None:
    app = Flask(__name__)

    @app.get("/stream")
    def stream() -> Response:
        def chunks() -> Iterator[str]:
            yield "a"
            yield "b"

        return Response(chunks())

    CORS(app, allow_origins=[APP])
    response = app.test_client().get("/stream", headers={"Origin": APP}, buffered=False)
    assert acao(response) == APP
    assert list(response.response) == [b"a", b"b"]


# -- scopes: blueprint, rule, view --------------------------------------------


def scoped_app(cors: CORS) -> Flask:
    """app default APP; blueprint api: PARTNER; nested api.v2: ADMIN;
    rule /api/special: EVIL-free PARTNER+ADMIN; view /api/view: ADMIN only."""
    app = Flask(__name__)
    api = Blueprint("api", __name__, url_prefix="/api")
    v2 = Blueprint("v2", __name__, url_prefix="/v2")

    @app.get("/")
    def index() -> str:
        return "index"

    @api.route("/items", methods=["GET", "PUT"])
    def items() -> str:
        return "api items"

    @api.route("/special", methods=["GET", "PUT"])
    def special() -> str:
        return "api special"

    @api.route("/view", methods=["GET", "PUT"])
    @cross_origin(allow_origins=[ADMIN], allow_methods=["PUT"])
    def view() -> str:
        return "api view"

    @v2.route("/items", methods=["GET", "PUT"])
    def v2_items() -> str:
        return "v2 items"

    api.register_blueprint(v2)
    app.register_blueprint(api)
    cors.init_app(app)
    return app


def scoped_extension() -> CORS:
    cors = CORS(allow_origins=[APP], allow_methods=["PUT"])
    cors.blueprint("api", allow_origins=[PARTNER], allow_methods=["PUT"])
    cors.blueprint("api.v2", allow_origins=[ADMIN], allow_methods=["PUT"])
    cors.rule("/api/special", allow_origins=[PARTNER, ADMIN], allow_methods=["PUT"])
    return cors


SCOPES = [
    pytest.param("/", APP, id="app default"),
    pytest.param("/nowhere", APP, id="no matching rule: app default"),
    pytest.param("/api/items", PARTNER, id="blueprint"),
    pytest.param("/api/v2/items", ADMIN, id="nested blueprint: innermost wins"),
    pytest.param("/api/special", PARTNER, id="rule over blueprint"),
    pytest.param("/api/view", ADMIN, id="view over blueprint"),
]
ORIGINS = [APP, PARTNER, ADMIN, EVIL]


def allowed_for(path: str) -> set[str]:
    if path == "/api/special":
        return {PARTNER, ADMIN}
    policies: dict[object, str] = {p.values[0]: str(p.values[1]) for p in SCOPES}
    return {policies[path]}


@pytest.mark.parametrize(("path", "policy_origin"), SCOPES)
def test_most_specific_scope_wins_for_actual_requests(path: str, policy_origin: str) -> None:
    client = scoped_app(scoped_extension()).test_client()
    assert acao(client.get(path, headers={"Origin": policy_origin})) == policy_origin
    for origin in ORIGINS:
        expected = origin if origin in allowed_for(path) else None
        assert acao(client.get(path, headers={"Origin": origin})) == expected, origin


@pytest.mark.parametrize(("path", "policy_origin"), SCOPES)
def test_most_specific_scope_wins_for_preflights(path: str, policy_origin: str) -> None:
    client = scoped_app(scoped_extension()).test_client()
    for origin in ORIGINS:
        response = preflight(client, path, origin, "PUT")
        if origin in allowed_for(path):
            assert (response.status_code, acao(response)) == (204, origin), origin
        else:
            assert (response.status_code, acao(response)) == (403, None), origin


def test_blueprint_object_scopes_every_registration() -> None:
    app = Flask(__name__)
    bp = Blueprint("shared", __name__)

    @bp.get("/thing")
    def thing() -> str:
        return "thing"

    app.register_blueprint(bp, url_prefix="/one")
    app.register_blueprint(bp, url_prefix="/two", name="shared_two")
    cors = CORS(app, allow_origins=[APP])
    cors.blueprint(bp, allow_origins=[PARTNER])
    client = app.test_client()
    for path in ("/one/thing", "/two/thing"):
        assert acao(client.get(path, headers={"Origin": PARTNER})) == PARTNER, path
        assert acao(client.get(path, headers={"Origin": APP})) is None, path


# -- requests no rule matches, under a blueprint's URL prefix ---------------------


def blueprint_only_app() -> Flask:
    """No app-level policy at all; the api blueprint (at /api, given when it
    is registered) has PARTNER's, its nested v2 (at /api/v2) ADMIN's."""
    app = Flask(__name__)
    api = Blueprint("api", __name__)
    v2 = Blueprint("v2", __name__, url_prefix="/v2")

    @api.route("/items", methods=["GET", "PUT"])
    def items() -> str:
        return "items"

    @api.get("/items/<int:item_id>")
    def item(item_id: int) -> str:
        abort(404)

    @v2.get("/items/<int:item_id>")
    def v2_item(item_id: int) -> str:
        return "v2 item"

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return "the app's own 404 page", 404

    api.register_blueprint(v2)
    app.register_blueprint(api, url_prefix="/api")
    cors = CORS(app)
    cors.blueprint("api", allow_origins=[PARTNER], allow_methods=["PUT"])
    cors.blueprint("api.v2", allow_origins=[ADMIN], allow_methods=["PUT"])
    return app


UNROUTED = [
    pytest.param("GET", "/api/nothing", 404, PARTNER, id="404 under the blueprint's prefix"),
    pytest.param("GET", "/api/items/7", 404, PARTNER, id="404 from the blueprint's view"),
    pytest.param("GET", "/api", 404, PARTNER, id="the prefix itself"),
    pytest.param("DELETE", "/api/items", 405, PARTNER, id="405 under the prefix"),
    pytest.param("GET", "/api/v2/nothing", 404, ADMIN, id="404 under a nested prefix: innermost"),
    pytest.param("GET", "/api/items/", 404, PARTNER, id="trailing slash"),
    pytest.param("GET", "/apix/nothing", 404, None, id="whole segments only"),
    pytest.param("GET", "/API/nothing", 404, None, id="case-sensitive, as routing is"),
    pytest.param("GET", "/nothing", 404, None, id="outside every prefix: the app's policy"),
]


@pytest.mark.parametrize(("method", "path", "status", "allowed"), UNROUTED)
def test_unrouted_request_under_a_blueprint_prefix_gets_its_policy(
    method: str, path: str, status: int, allowed: str | None
) -> None:
    client = blueprint_only_app().test_client()
    for origin in (APP, PARTNER, ADMIN):
        response = client.open(path, method=method, headers={"Origin": origin})
        assert response.status_code == status
        assert acao(response) == (origin if origin == allowed else None), origin
        assert "Origin" in response.headers.get("Vary", "")


def test_unrouted_preflight_under_a_blueprint_prefix_gets_its_policy() -> None:
    # The preflight for a request that will get a 404 is answered with the
    # same policy, so the browser goes on to read that 404.
    client = blueprint_only_app().test_client()
    response = preflight(client, "/api/nothing", PARTNER, "PUT")
    assert (response.status_code, acao(response)) == (204, PARTNER)
    assert preflight(client, "/api/v2/nothing", ADMIN, "PUT").status_code == 204
    assert preflight(client, "/api/nothing", ADMIN, "PUT").status_code == 403
    assert preflight(client, "/nothing", PARTNER, "PUT").status_code == 403


def test_a_blueprint_registered_twice_has_a_prefix_per_registration() -> None:
    app = Flask(__name__)
    bp = Blueprint("shared", __name__)

    @bp.get("/things/list")
    def things() -> str:
        return "things"

    @bp.get("/things/<int:n>")
    def thing(n: int) -> str:
        return "thing"

    app.register_blueprint(bp, url_prefix="/one")
    app.register_blueprint(bp, url_prefix="/two", name="shared_two")
    cors = CORS(app)
    cors.blueprint("shared", allow_origins=[PARTNER])
    cors.blueprint("shared_two", allow_origins=[ADMIN])
    client = app.test_client()
    # Flask keeps no prefix; the rules show at least /one/things and /two/things.
    assert acao(client.get("/one/things/nothing", headers={"Origin": PARTNER})) == PARTNER
    assert acao(client.get("/two/things/nothing", headers={"Origin": ADMIN})) == ADMIN
    assert acao(client.get("/two/things/nothing", headers={"Origin": PARTNER})) is None


def test_a_blueprint_under_a_subdomain_gets_no_prefix() -> None:
    app = Flask(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.com"
    bp = Blueprint("sub", __name__, subdomain="api", url_prefix="/v1")

    @bp.get("/items")
    def items() -> str:
        return "items"

    app.register_blueprint(bp)
    cors = CORS(app, allow_origins=[APP])
    cors.blueprint(bp, allow_origins=[PARTNER])
    client = app.test_client()
    found = client.get("/v1/items", base_url="http://api.example.com", headers={"Origin": PARTNER})
    assert acao(found) == PARTNER
    missing = client.get("/v1/nothing", base_url="http://example.com", headers={"Origin": PARTNER})
    assert (missing.status_code, acao(missing)) == (404, None)
    assert acao(client.get("/v1/nothing", base_url="http://example.com",
                           headers={"Origin": APP})) == APP


TRICKY_PATHS = [
    pytest.param("/API/special", id="upper case"),
    pytest.param("/api/SPECIAL", id="upper case rule part"),
    pytest.param("/api/special/", id="trailing slash"),
    pytest.param("/api//special", id="double slash"),
    pytest.param("/api/./special", id="dot segment"),
    pytest.param("/api/x/../special", id="dot-dot segment"),
    pytest.param("/api/%73pecial", id="percent-encoded letter"),
    pytest.param("/api%2Fspecial", id="percent-encoded slash"),
    pytest.param("/api/special%20", id="trailing encoded space"),
    pytest.param("/api/special;x=1", id="path parameter"),
    pytest.param("/api+special", id="plus"),
    pytest.param("/api/special?x=/", id="query"),
]


def unrouted_policy(path: str) -> str:
    """Whose policy a request that matches no rule of scoped_app() gets."""
    decoded = unquote(path.partition("?")[0])
    for prefix, origin in (("/api/v2", ADMIN), ("/api", PARTNER)):
        if decoded == prefix or decoded.startswith(prefix + "/"):
            return origin
    return APP


@pytest.mark.parametrize("path", TRICKY_PATHS)
def test_path_tricks_cannot_pick_another_views_policy(path: str) -> None:
    """The policy is that of the view which actually answers, whatever the path."""
    client = scoped_app(scoped_extension()).test_client()
    by_body = {b"api special": {PARTNER, ADMIN}}
    for origin in ORIGINS:
        response = client.get(path, headers={"Origin": origin})
        # Anything else matched no rule: the policy of the blueprint whose
        # URL prefix holds the (decoded) path, else the app's.
        allowed = by_body.get(response.data) or {unrouted_policy(path)}
        assert acao(response) == (origin if origin in allowed else None), (origin, response.data)
        answer = preflight(client, path, origin, "PUT")
        assert acao(answer) == (origin if origin in allowed else None), ("preflight", origin)


def test_methods_on_one_url_each_get_their_views_policy() -> None:
    app = Flask(__name__)

    @app.get("/things")
    @cross_origin(allow_origins=[APP])
    def list_things() -> str:
        return "list"

    @app.delete("/things")
    @cross_origin(allow_origins=[ADMIN], allow_methods=["DELETE"])
    def delete_things() -> str:
        return "deleted"

    CORS(app, allow_origins=[PARTNER])
    client = app.test_client()
    assert acao(preflight(client, "/things", ADMIN, "DELETE")) == ADMIN
    assert preflight(client, "/things", APP, "DELETE").status_code == 403
    assert acao(client.delete("/things", headers={"Origin": ADMIN})) == ADMIN
    assert acao(client.get("/things", headers={"Origin": APP})) == APP
    assert acao(client.get("/things", headers={"Origin": ADMIN})) is None


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        pytest.param(
            lambda c: c.rule("/api/itemz", allow_origins=[APP]), "is no URL rule", id="unknown rule"
        ),
        pytest.param(
            lambda c: c.blueprint("apii", allow_origins=[APP]),
            "is not registered",
            id="unknown blueprint name",
        ),
        pytest.param(
            lambda c: c.blueprint(Blueprint("loose", __name__), allow_origins=[APP]),
            "is not registered",
            id="unregistered blueprint object",
        ),
    ],
)
def test_scope_that_matches_nothing_fails_loudly(
    scope: Callable[[CORS], object], message: str
) -> None:
    cors = scoped_extension()
    scope(cors)
    client = scoped_app(cors).test_client()
    for _ in range(2):  # and keeps failing: nothing half-built is kept
        with pytest.raises(ConfigError, match=message):
            client.get("/")


def test_scope_declared_after_the_first_request_is_refused() -> None:
    cors = scoped_extension()
    scoped_app(cors).test_client().get("/")
    with pytest.raises(RuntimeError, match="before any app using this extension serves requests"):
        cors.rule("/api/items", allow_origins=[APP])


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda c: c.rule("/x", config=Config(), allow_origins=[APP]), id="rule"),
        pytest.param(lambda c: c.blueprint("x", config=Config(), max_age=1), id="blueprint"),
        pytest.param(lambda c: cross_origin(config=Config(), max_age=1), id="cross_origin"),
    ],
)
def test_scopes_refuse_config_and_options_together(make: Callable[[CORS], object]) -> None:
    with pytest.raises(ConfigError, match="was given both config= and keyword options"):
        make(CORS())


def test_scope_policy_is_validated_when_declared() -> None:
    with pytest.raises(ConfigError, match="allow_credentials"):
        cross_origin(allow_origins="*", allow_credentials=True)


# -- the view decorator and Flask's automatic OPTIONS ----------------------------


def decorated_app(order: str, automatic_options: bool, passthrough: bool) -> tuple[Flask, Counter]:
    app = Flask(__name__)
    counter = Counter()
    policy = cross_origin(
        allow_origins=[ADMIN], allow_methods=["PUT"], preflight_passthrough=passthrough
    )
    # Flask adds OPTIONS itself only when provide_automatic_options is left unset.
    route = app.route(
        "/admin",
        methods=["GET", "PUT"],
        **({} if automatic_options else {"provide_automatic_options": False}),
    )

    def admin() -> str:
        counter("view")
        return "admin"

    if order == "route outside":
        route(policy(admin))
    else:
        policy(route(admin))

    @app.before_request
    def before() -> None:
        counter("before_request")

    CORS(app, allow_origins=[APP])
    return app, counter


DECORATOR_CASES = [
    pytest.param(
        order,
        automatic,
        passthrough,
        id=f"{order}, automatic OPTIONS {'on' if automatic else 'off'}"
        f"{', passthrough' if passthrough else ''}",
    )
    for order in ("route outside", "cross_origin outside")
    for automatic in (True, False)
    for passthrough in (False, True)
]


@pytest.mark.parametrize(("order", "automatic", "passthrough"), DECORATOR_CASES)
def test_view_decorator_works_in_either_order(
    order: str, automatic: bool, passthrough: bool
) -> None:
    app, counter = decorated_app(order, automatic, passthrough)
    client = app.test_client()

    response = preflight(client, "/admin", ADMIN, "PUT")
    # Passed through, Flask answers: its automatic OPTIONS answer, or 405
    # where the rule has no OPTIONS; either way with the preflight headers.
    assert response.status_code == (200 if automatic else 405) if passthrough else 204
    assert acao(response) == ADMIN
    assert response.headers["Access-Control-Allow-Methods"] == "PUT"
    assert counter.calls == (["before_request"] if passthrough else [])
    assert preflight(client, "/admin", APP, "PUT").status_code == 403, "app policy not used"

    counter.calls.clear()
    response = client.put("/admin", headers={"Origin": ADMIN})
    assert (response.status_code, acao(response)) == (200, ADMIN)
    assert counter.calls == ["before_request", "view"]
    assert acao(client.put("/admin", headers={"Origin": APP})) is None


@pytest.mark.parametrize(
    ("automatic", "status", "allowed"),
    [
        pytest.param(True, 200, ADMIN, id="automatic OPTIONS answers with the view's policy"),
        pytest.param(False, 405, APP, id="no OPTIONS route: 405 with the app's policy"),
    ],
)
def test_plain_options_to_a_decorated_view(automatic: bool, status: int, allowed: str) -> None:
    app, counter = decorated_app("route outside", automatic, passthrough=False)
    client = app.test_client()
    for origin in (ADMIN, APP):
        response = client.options("/admin", headers={"Origin": origin})
        assert response.status_code == status
        assert acao(response) == (origin if origin == allowed else None)
    assert "view" not in counter.calls


def test_decorator_without_parentheses_is_refused() -> None:
    def view() -> str:
        return ""

    with pytest.raises(TypeError, match="with parentheses"):
        cross_origin(view)


def test_decorating_a_view_twice_is_refused() -> None:
    @cross_origin(allow_origins=[APP])
    def view() -> str:
        return ""

    with pytest.raises(ConfigError, match="already has a policy"):
        cross_origin(allow_origins=[ADMIN])(view)


def test_class_based_view_with_decorators() -> None:
    class Items(MethodView):
        decorators = [cross_origin(allow_origins=[ADMIN], allow_methods=["PUT"])]  # noqa: RUF012

        def get(self) -> str:
            return "items"

        def put(self) -> str:
            return "put"

    app = Flask(__name__)
    app.add_url_rule("/items", view_func=Items.as_view("items"))
    CORS(app, allow_origins=[APP])
    client = app.test_client()
    assert acao(preflight(client, "/items", ADMIN, "PUT")) == ADMIN
    assert acao(client.get("/items", headers={"Origin": ADMIN})) == ADMIN
    assert acao(client.get("/items", headers={"Origin": APP})) is None


# -- error responses ---------------------------------------------------------------


def error_app(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)

    @app.get("/missing")
    def missing() -> str:
        abort(404)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    @app.get("/teapot")
    def teapot() -> str:
        raise LookupError("handled by a custom handler")

    @app.errorhandler(LookupError)
    def on_lookup(error: LookupError) -> tuple[str, int]:
        return "custom", 418

    @app.get("/scoped-forbidden")
    @cross_origin(allow_origins=[ADMIN])
    def scoped_forbidden() -> str:
        abort(403)

    @app.get("/before")
    def before_target() -> str:
        return "unreachable"

    @app.before_request
    def before() -> None:
        if request.path == "/before":
            abort(401)

    CORS(app, allow_origins=[APP])
    return app


ERRORS = [
    pytest.param("/missing", 404, APP, id="abort(404) in a view"),
    pytest.param("/no-such-route", 404, APP, id="no route: app policy"),
    pytest.param("/teapot", 418, APP, id="custom error handler"),
    pytest.param("/scoped-forbidden", 403, ADMIN, id="abort in a scoped view: its policy"),
    pytest.param("/before", 401, APP, id="abort in before_request"),
]


@pytest.mark.parametrize(
    "debug", [pytest.param(False, id="production"), pytest.param(True, id="debug")]
)
@pytest.mark.parametrize(("path", "status", "origin"), ERRORS)
def test_error_responses_carry_the_same_cors_headers(
    path: str, status: int, origin: str, debug: bool
) -> None:
    client = error_app(DEBUG=debug).test_client()
    response = client.get(path, headers={"Origin": origin})
    assert response.status_code == status
    assert acao(response) == origin
    assert "Origin" in response.headers["Vary"]


def test_unhandled_exception_500_carries_cors_headers() -> None:
    response = error_app().test_client().get("/boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert acao(response) == APP


def test_custom_500_handler_response_carries_cors_headers() -> None:
    app = error_app()

    @app.errorhandler(500)
    def on_500(error: Exception) -> tuple[str, int]:
        return "sorry", 500

    response = app.test_client().get("/boom", headers={"Origin": APP})
    assert (response.status_code, response.text, acao(response)) == (500, "sorry", APP)


def test_failing_error_handler_still_answers_with_cors_headers() -> None:
    app = error_app()

    @app.errorhandler(500)
    def on_500(error: Exception) -> str:
        raise ValueError("the handler itself fails")

    response = app.test_client().get("/boom", headers={"Origin": APP})
    assert (response.status_code, acao(response)) == (500, APP)


def test_debug_mode_unhandled_exception_is_readable_cross_origin(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = error_app(DEBUG=True)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert acao(response) == APP
    assert "RuntimeError: boom" in caplog.text, "the traceback is logged"


def test_debug_mode_without_origin_lets_the_exception_out() -> None:
    client = error_app(DEBUG=True).test_client()
    with pytest.raises(RuntimeError, match="boom"):
        client.get("/boom")


def test_werkzeug_debugger_keeps_its_page_unless_the_browser_needs_cors() -> None:
    app = error_app(DEBUG=True)
    client = Client(DebuggedApplication(app, evalex=False))
    own_page = client.get("/boom")
    assert own_page.status_code == 500
    assert b"Traceback" in own_page.data, "the debugger answers same-origin requests"
    cross = client.get("/boom", headers={"Origin": APP})
    assert (cross.status_code, acao(cross)) == (500, APP)


@pytest.mark.parametrize(
    "config",
    [
        pytest.param({"PROPAGATE_EXCEPTIONS": True}, id="PROPAGATE_EXCEPTIONS"),
        pytest.param({"TESTING": True}, id="testing"),
        pytest.param({"TESTING": True, "DEBUG": True}, id="testing and debug"),
    ],
)
def test_exceptions_propagate_when_asked_for(config: dict[str, bool]) -> None:
    client = error_app(**config).test_client()
    with pytest.raises(RuntimeError, match="boom"):
        client.get("/boom", headers={"Origin": APP})


# -- preflight_passthrough ---------------------------------------------------------


def passthrough_app(
    counter: Counter, *, verdict: str = "pass", status: int = 204, automatic: bool = True
) -> Flask:
    app = Flask(__name__)

    @app.before_request
    def gatekeeper() -> tuple[str, int] | None:
        counter("before_request")
        if verdict == "reject":
            return "no token", 401
        if verdict == "abort":
            abort(429)
        if verdict == "raise":
            raise RuntimeError("hook failed")
        return None

    @app.errorhandler(429)
    def too_many(error: Exception) -> tuple[str, int]:
        counter("error_handler")
        return "slow down", 429

    @app.after_request
    def after(response: Response) -> Response:
        counter("after_request")
        response.headers["Access-Control-Allow-Origin"] = "*"  # must be replaced
        return response

    @app.route(
        "/data",
        methods=["GET", "PUT"],
        **({} if automatic else {"provide_automatic_options": False}),
    )
    def data() -> str:
        counter("view")
        return "data"

    CORS(
        app,
        allow_origins=[APP],
        allow_methods=["PUT"],
        preflight_passthrough=True,
        preflight_status=status,
    )
    return app


PREFLIGHT_HEADERS = [
    ("Access-Control-Allow-Origin", APP),
    ("Access-Control-Allow-Methods", "PUT"),
    ("Access-Control-Max-Age", "600"),
]


@pytest.mark.parametrize(
    ("verdict", "status", "calls"),
    [
        pytest.param("pass", 200, ["before_request", "after_request"], id="hooks pass"),
        pytest.param("reject", 401, ["before_request", "after_request"], id="a hook answers"),
        pytest.param(
            "abort",
            429,
            ["before_request", "error_handler", "after_request"],
            id="a hook aborts into an error handler",
        ),
        pytest.param("raise", 500, ["before_request", "after_request"], id="a hook raises"),
    ],
)
def test_passthrough_goes_through_flask_not_the_view(
    verdict: str, status: int, calls: list[str]
) -> None:
    # The Decision says "forward", and Flask handles the preflight as any
    # OPTIONS request: its hooks and error handlers run, and its automatic
    # OPTIONS answer (not the view) answers when they let it through.
    counter = Counter()
    client = passthrough_app(counter, verdict=verdict).test_client()
    response = preflight(client, "/data", APP, "PUT")
    assert response.status_code == status
    assert cors_headers(response) == PREFLIGHT_HEADERS, "preflight headers either way"
    assert response.headers["Vary"] == PREFLIGHT_VARY
    assert counter.calls == calls


@pytest.mark.parametrize(
    ("automatic", "status"),
    [
        pytest.param(True, 200, id="automatic OPTIONS"),
        pytest.param(False, 405, id="no OPTIONS route"),
    ],
)
def test_passthrough_is_answered_by_flask_not_preflight_status(
    automatic: bool, status: int
) -> None:
    counter = Counter()
    client = passthrough_app(counter, status=202, automatic=automatic).test_client()
    response = preflight(client, "/data", APP, "PUT")
    assert response.status_code == status, "Flask's answer, never preflight_status"
    assert "PUT" in response.headers["Allow"], "Flask's own OPTIONS or 405 answer"
    assert cors_headers(response) == PREFLIGHT_HEADERS
    assert "view" not in counter.calls


@pytest.mark.parametrize(
    ("origin", "method"),
    [pytest.param(EVIL, "PUT", id="origin"), pytest.param(APP, "DELETE", id="method")],
)
def test_passthrough_invalid_preflight_reaches_nothing(origin: str, method: str) -> None:
    counter = Counter()
    client = passthrough_app(counter).test_client()
    response = preflight(client, "/data", origin, method)
    assert response.status_code == 403
    assert cors_headers(response) == []
    assert counter.calls == []


def test_passthrough_on_one_view_only() -> None:
    counter = Counter()
    app = Flask(__name__)

    @app.before_request
    def before() -> None:
        counter("before_request")

    @app.put("/guarded")
    @cross_origin(allow_origins=[APP], allow_methods=["PUT"], preflight_passthrough=True)
    def guarded() -> str:
        return "guarded"

    @app.put("/plain")
    def plain() -> str:
        return "plain"

    CORS(app, allow_origins=[APP], allow_methods=["PUT"])
    client = app.test_client()
    assert preflight(client, "/plain").status_code == 204
    assert counter.calls == []
    assert preflight(client, "/guarded").status_code == 200  # Flask's automatic OPTIONS
    assert counter.calls == ["before_request"]


# -- the per-request path: one decision, nothing built, nothing logged -------------


class Watch:
    """Counts decide() calls, and fails on any Config built, once armed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.decided: list[str] = []

    def arm(self) -> None:
        real = flask_state.decide

        def counting(request: Any, config: Config) -> Decision:
            self.decided.append(request.method)
            return real(request, config)

        def no_config(self: Config, **options: Any) -> None:
            raise AssertionError("a Config was built while handling a request")

        self.monkeypatch.setattr(flask_state, "decide", counting)
        self.monkeypatch.setattr(Config, "__init__", no_config)


@pytest.mark.parametrize(
    "scoped", [pytest.param(False, id="app policy only"), pytest.param(True, id="scoped app")]
)
@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        pytest.param("GET", "/api/items", {"Origin": PARTNER}, id="actual"),
        pytest.param("GET", "/api/items", {}, id="no origin"),
        pytest.param(
            "OPTIONS",
            "/api/items",
            {"Origin": PARTNER, "Access-Control-Request-Method": "PUT"},
            id="preflight",
        ),
        pytest.param("OPTIONS", "/api/items", {"Origin": PARTNER}, id="plain OPTIONS"),
        pytest.param("GET", "/nowhere", {"Origin": PARTNER}, id="404"),
    ],
)
def test_one_decision_per_request_and_no_config_built(
    monkeypatch: pytest.MonkeyPatch,
    scoped: bool,
    method: str,
    path: str,
    headers: dict[str, str],
) -> None:
    cors = scoped_extension() if scoped else CORS(allow_origins=[PARTNER], allow_methods=["PUT"])
    client = scoped_app(cors).test_client()
    client.open(path, method=method, headers=headers)  # the first request settles the scopes
    watch = Watch(monkeypatch)
    watch.arm()
    response = client.open(path, method=method, headers=headers)
    assert watch.decided == [method]
    assert response.status_code in {200, 204, 404}


def test_refusals_are_logged_as_reason_codes_never_request_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = hello_app(allow_origins=[APP], allow_methods=["PUT"]).test_client()
    marker = "https://marker.example"
    with caplog.at_level(logging.DEBUG, logger="corecors.flask"):
        client.get("/", headers={"Origin": marker})
        preflight(client, "/items/1", marker, "PUT")
    messages = [r.getMessage() for r in caplog.records if r.name == "corecors.flask"]
    assert messages == [
        "CORS actual refused: origin_not_allowed",
        "CORS preflight refused: origin_not_allowed",
    ]
    assert marker not in caplog.text


def test_nothing_is_logged_below_the_enabled_level(caplog: pytest.LogCaptureFixture) -> None:
    client = hello_app(allow_origins=[APP]).test_client()
    with caplog.at_level(logging.INFO, logger="corecors.flask"):
        client.get("/", headers={"Origin": EVIL})
    assert [r for r in caplog.records if r.name == "corecors.flask"] == []


# -- the response class that applies the decision ---------------------------------


def test_response_class_is_a_subclass_of_the_apps_own() -> None:
    from flask import Response as FlaskResponse

    class Mine(FlaskResponse):
        default_mimetype = "application/json"

        def shout(self) -> str:
            return "mine"

    app = Flask(__name__)
    app.response_class = Mine
    CORS(app, allow_origins=[APP])
    assert issubclass(app.response_class, Mine)
    assert app.response_class is not Mine
    assert app.response_class.__name__ == "Mine"

    @app.get("/")
    def index() -> Any:
        assert isinstance(app.make_response("x"), Mine)
        return "{}"

    response = app.test_client().get("/", headers={"Origin": APP})
    assert acao(response) == APP
    assert response.mimetype == "application/json", "the app's own class still builds responses"


def test_response_class_replaced_after_init_app_is_taken_at_the_first_request() -> None:
    from flask import Response as FlaskResponse

    class Later(FlaskResponse):
        default_mimetype = "application/json"

    app = Flask(__name__)
    CORS(app, allow_origins=[APP])
    app.response_class = Later  # after the extension: a common factory order

    @app.get("/")
    def index() -> str:
        return "{}"

    response = app.test_client().get("/", headers={"Origin": APP})
    assert acao(response) == APP
    assert response.headers["Vary"] == "Origin"
    assert response.mimetype == "application/json"
    assert issubclass(app.response_class, Later)


def test_after_request_returning_a_foreign_response_still_gets_cors_headers() -> None:
    from werkzeug.wrappers import Response as PlainResponse

    app = hello_app(allow_origins=[APP])

    @app.after_request
    def replace(response: Response) -> Any:
        # Another class altogether, with its own stale CORS header.
        return PlainResponse(
            "replaced", headers={"Access-Control-Allow-Origin": "*", "Vary": "Cookie"}
        )

    client = app.test_client()
    response = client.get("/", headers={"Origin": APP})
    assert response.data == b"replaced"
    assert cors_headers(response) == [("Access-Control-Allow-Origin", APP)]
    assert response.headers["Vary"] == "Cookie, Origin"
    refused = client.get("/", headers={"Origin": EVIL})
    assert acao(refused) is None
    assert refused.headers["Vary"] == "Cookie, Origin"


def test_without_after_request_hooks_process_response_is_flasks_own() -> None:
    app = hello_app(allow_origins=[APP])
    app.test_client().get("/", headers={"Origin": APP})
    assert "process_response" not in vars(app)


def test_a_server_whose_start_response_fails_gets_the_error_not_a_second_response() -> None:
    app = hello_app(allow_origins=[APP])
    calls: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        calls.append(status)
        raise OSError("client went away")

    from werkzeug.test import EnvironBuilder

    full = EnvironBuilder(path="/", headers={"Origin": APP}).get_environ()
    with pytest.raises(OSError, match="client went away"):
        app.wsgi_app(full, start_response)
    assert calls == ["200 OK"], "no 500 was attempted after the server's own failure"


def test_response_called_outside_the_extension_decides_for_itself() -> None:
    # A response object of the app's class, run as a WSGI app on an environ
    # the extension has not seen (for example by a test harness).
    app = Flask(__name__)
    CORS(app, allow_origins=[APP])
    with app.test_request_context("/", headers={"Origin": APP}):
        response = app.make_response("hi")
        environ = dict(request.environ)
    environ.pop("corecors.decision", None)
    seen: list[Any] = []
    body = response(environ, lambda status, headers, exc_info=None: seen.append(headers))
    assert b"".join(body) == b"hi"
    assert ("Access-Control-Allow-Origin", APP) in seen[0]


def test_after_this_request_returning_a_made_response_gets_cors_headers() -> None:
    from flask import after_this_request, make_response

    app = Flask(__name__)
    CORS(app, allow_origins=[APP])

    @app.get("/")
    def index() -> str:
        @after_this_request
        def replace(response: Response) -> Response:
            return make_response("replaced")

        return "original"

    response = app.test_client().get("/", headers={"Origin": APP})
    assert response.data == b"replaced"
    assert acao(response) == APP
    assert response.headers["Vary"] == "Origin"
