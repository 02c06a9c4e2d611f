"""Per-path policies in the Flask extension, against the path-matching holes
peers shipped: case-insensitive matching (CVE-2024-6866), '+' decoded as a
space (CVE-2024-6844), a broad pattern beating a specific one
(CVE-2024-6839), and the percent-encoding and dot-segment variants of those.

The property, for every path variant, origin and method: the response
carries exactly the decision of the policy declared for the view that
handled the request (cross_origin, then CORS.rule, then CORS.blueprint,
then the app's); when no view ran (a 404, 405 or redirect), that of the
blueprint whose URL prefix holds the decoded path, else the app's; and a
preflight is decided by the policy of the view its follow-up request
reaches. So no spelling of a path can get a view answered under another
view's policy.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
from sec_adapters import adapter
from sec_support import STATS

from corecors import Config, Request, decide

APP_ORIGIN = "https://app.example.com"
ORIGINS = (
    APP_ORIGIN,
    "https://admin.example.com",
    "https://private.example.com",
    "https://plus.example.com",
    "https://space.example.com",
    "https://view.example.com",
    "https://evil.example",
)

APP_POLICY = Config(
    allow_origins=[APP_ORIGIN], allow_methods=["GET", "POST", "PUT"], allow_credentials=True
)
ADMIN = Config(
    allow_origins=["https://admin.example.com"],
    allow_methods=["POST", "PUT"],
    allow_credentials=True,
)
BROAD = Config(allow_origins="*", allow_methods="*", allow_headers="*")
PRIVATE = Config(allow_origins=["https://private.example.com"], allow_methods=["GET", "PUT"])
PLUS = Config(allow_origins=["https://plus.example.com"], allow_methods=["PUT"])
SPACE = Config(allow_origins=["https://space.example.com"], allow_methods=["PUT"])
VIEW = Config(allow_origins=["https://view.example.com"], allow_methods=["PUT"])
ADMIN_PAGES = Config(allow_origins=["https://admin.example.com"], allow_methods=["GET"])

#: the policy each view is declared to have
POLICY_OF_VIEW = {
    "public": APP_POLICY,
    "admin": ADMIN,
    "admin_page": ADMIN_PAGES,
    "api_public": BROAD,
    "api_private": PRIVATE,
    "api_rest": BROAD,
    "file_plus": PLUS,
    "file_space": SPACE,
    "decorated": VIEW,
}


@pytest.fixture(scope="module")
def app() -> Any:
    flask_adapter = adapter("flask")
    from flask import Blueprint, Flask, g

    app = Flask("paths")
    ran: list[str] = []
    app.config["RAN"] = ran

    def view(name: str) -> Any:
        def handler(**_: Any) -> str:
            ran.append(name)
            g.view = name
            return name

        handler.__name__ = name
        return handler

    methods = ["GET", "POST", "PUT", "DELETE"]
    app.add_url_rule("/public", "public", view("public"), methods=methods)
    app.add_url_rule("/admin", "admin", view("admin"), methods=methods)
    app.add_url_rule("/admin/pages/<page>", "admin_page", view("admin_page"), methods=methods)
    app.add_url_rule("/files/a+b", "file_plus", view("file_plus"), methods=methods)
    app.add_url_rule("/files/a b", "file_space", view("file_space"), methods=methods)
    decorated = flask_adapter.cross_origin(config=VIEW)(view("decorated"))
    app.add_url_rule("/decorated", "decorated", decorated, methods=methods)

    api = Blueprint("api", "api", url_prefix="/api")
    api.add_url_rule("/public", "api_public", view("api_public"), methods=methods)
    api.add_url_rule("/private", "api_private", view("api_private"), methods=["GET", "PUT"])
    # A broad catch-all under the same prefix as the specific rule.
    api.add_url_rule("/<path:rest>", "api_rest", view("api_rest"), methods=methods)
    app.register_blueprint(api)

    cors = flask_adapter.CORS(app, config=APP_POLICY)
    cors.blueprint(api, config=BROAD)
    cors.rule("/admin", config=ADMIN)
    cors.rule("/admin/pages/<page>", config=ADMIN_PAGES)
    cors.rule("/api/private", config=PRIVATE)
    cors.rule("/files/a+b", config=PLUS)
    cors.rule("/files/a b", config=SPACE)
    cors.rule("/decorated", config=ADMIN)  # the view's own cross_origin must win
    return app


PATHS = [
    # the rules as written, and case variants (CVE-2024-6866)
    "/public",
    "/admin",
    "/Admin",
    "/ADMIN",
    "/aDmIn",
    "/admin/pages/x",
    "/Admin/pages/x",
    "/api/private",
    "/api/Private",
    "/API/private",
    "/api/PRIVATE",
    "/api/public",
    # '+' and space (CVE-2024-6844)
    "/files/a+b",
    "/files/a b",
    "/files/a%20b",
    "/files/a%2Bb",
    "/files/a%2bb",
    "/files/a++b",
    # percent-encoding, single and double
    "/adm%69n",
    "/%61dmin",
    "/admin%2F",
    "/adm%2569n",
    "/api/privat%65",
    "/api%2Fprivate",
    "/api/private%00",
    "/admin%20",
    # dot segments and slashes
    "/public/../admin",
    "/./admin",
    "/admin/.",
    "/api/public/../private",
    "/api/./private",
    "/api//private",
    "//admin",
    "/admin/",
    "/api/private/",
    "/admin;x",
    # a specific rule next to a broad catch-all (CVE-2024-6839)
    "/api/private/x",
    "/api/privatex",
    "/api/x/../private",
    "/decorated",
    "/Decorated",
]


def _send(client: Any, method: str, path: str, headers: dict[str, str]) -> Any:
    return client.open(path, method=method, headers=headers)


def _cors(response: Any) -> list[tuple[str, str]]:
    return sorted(
        (n, v) for n, v in response.headers.items() if n.lower().startswith("access-control-")
    )


def _expected(request: Request, config: Config) -> list[tuple[str, str]]:
    decision = decide(request, config)
    return sorted((n, v) for n, v in decision.headers if n.lower().startswith("access-control-"))


def _unrouted_policy(path: str) -> Config:
    """The policy of a request no view answers: the api blueprint's under
    its prefix /api (the path as the server decodes it), else the app's."""
    decoded = unquote(path)
    return BROAD if decoded == "/api" or decoded.startswith("/api/") else APP_POLICY


@pytest.mark.parametrize("path", PATHS)
def test_each_view_is_answered_under_its_own_policy(app: Any, path: str) -> None:
    client = app.test_client()
    ran: list[str] = app.config["RAN"]
    for origin in ORIGINS:
        for method in ("GET", "PUT", "POST"):
            del ran[:]
            actual = _send(client, method, path, {"Origin": origin})
            view = ran[0] if ran else None
            policy = POLICY_OF_VIEW[view] if view else _unrouted_policy(path)
            assert _cors(actual) == _expected(Request(method, origin), policy), (
                path,
                origin,
                method,
                view,
                actual.status_code,
            )

            # The preflight for that request: decided by the policy of the
            # view the follow-up reaches, and never reaching a view itself.
            del ran[:]
            preflight = _send(
                client, "OPTIONS", path, {"Origin": origin, "Access-Control-Request-Method": method}
            )
            assert ran == [], ("a preflight ran a view", path, ran)
            want = _expected(Request("OPTIONS", origin, method), policy)
            assert _cors(preflight) == want, (path, origin, method, view, preflight.status_code)
            STATS["paths: request pairs checked"] += 1


def test_path_variants_reach_the_view_a_router_sends_them_to(app: Any) -> None:
    """The holes, spelled out: a variant either reaches the specific view
    (and gets its strict answer) or does not reach it at all."""
    client = app.test_client()
    ran: list[str] = app.config["RAN"]

    def reached(path: str, method: str = "GET") -> str | None:
        del ran[:]
        _send(client, method, path, {"Origin": APP_ORIGIN})
        return ran[0] if ran else None

    assert reached("/Admin") is None
    assert reached("/ADMIN") is None
    assert reached("/adm%69n") == "admin"  # decoded once, like any server
    assert reached("/adm%2569n") is None  # not decoded twice
    assert reached("/files/a+b") == "file_plus"
    assert reached("/files/a%2Bb") == "file_plus"
    assert reached("/files/a%20b") == "file_space"  # '+' is never a space in a path
    assert reached("/api/private") == "api_private"
    assert reached("/api/Private") == "api_rest"
    assert reached("/api/private", "POST") == "api_rest"  # the method picks the rule
    assert reached("/decorated") == "decorated"

    def acao(path: str, origin: str, method: str = "GET") -> str | None:
        response = _send(client, method, path, {"Origin": origin})
        value: str | None = response.headers.get("Access-Control-Allow-Origin")
        return value

    # The broad blueprint policy ('*') never answers for the specific view...
    assert acao("/api/private", "https://evil.example") is None
    assert acao("/api/private", "https://private.example.com") == "https://private.example.com"
    # ...while the catch-all, a different view, is answered under '*'.
    assert acao("/api/Private", "https://evil.example") == "*"
    # The view's own decorator beats the rule declared for its path.
    assert acao("/decorated", "https://view.example.com") == "https://view.example.com"
    assert acao("/decorated", "https://admin.example.com") is None
    # '+' and space are two rules with two policies.
    assert acao("/files/a+b", "https://plus.example.com") == "https://plus.example.com"
    assert acao("/files/a+b", "https://space.example.com") is None
    assert acao("/files/a%20b", "https://space.example.com") == "https://space.example.com"
    # The app origin, allowed app-wide, gets nothing from the admin view.
    assert acao("/admin", APP_ORIGIN, "POST") is None
    assert acao("/adm%69n", APP_ORIGIN, "POST") is None


def test_preflight_scope_follows_the_requested_method(app: Any) -> None:
    """The route for the follow-up depends on its method: the preflight is
    matched with Access-Control-Request-Method, as the follow-up will be."""
    client = app.test_client()
    for method, allowed in (("GET", "https://private.example.com"), ("POST", "*")):
        response = _send(
            client,
            "OPTIONS",
            "/api/private",
            {"Origin": "https://private.example.com", "Access-Control-Request-Method": method},
        )
        assert response.headers.get("Access-Control-Allow-Origin") == allowed, method


def test_raw_path_info_variants_are_routed_not_guessed(app: Any) -> None:
    """PATH_INFO exactly as a server might hand it over (no client in between)."""
    import io

    ran: list[str] = app.config["RAN"]
    for raw in (
        "/admin",
        "/Admin",
        "/adm%69n",
        "/admin/../admin",
        "/files/a+b",
        "/files/a b",
        "/api/private",
        "/api/private\x00",
        "/api/privat\u00e9",
    ):
        del ran[:]
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": raw.encode("utf-8").decode("latin-1"),
            "QUERY_STRING": "",
            "SERVER_NAME": "t",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": io.StringIO(),
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "HTTP_ORIGIN": "https://admin.example.com",
        }
        seen: list[Any] = []

        def start_response(
            status: str, headers: Any, exc_info: Any = None, seen: list[Any] = seen
        ) -> Any:
            seen.append((status, headers))
            return lambda data: None

        b"".join(app(environ, start_response))
        headers = dict(seen[-1][1])
        view = ran[0] if ran else None
        policy = POLICY_OF_VIEW[view] if view else APP_POLICY
        expected = dict(decide(Request("POST", "https://admin.example.com"), policy).headers)
        assert headers.get("Access-Control-Allow-Origin") == expected.get(
            "Access-Control-Allow-Origin"
        ), (raw, view)
        STATS["paths: raw PATH_INFO requests checked"] += 1
