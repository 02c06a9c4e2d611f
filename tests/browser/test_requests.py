"""Simple and preflighted requests, allowed and refused, through both adapters.

Each test checks both sides: what the page could read (or the TypeError it
got) and what the server received (whether a preflight came, and whether
the actual request followed it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Lab, Tab

pytestmark = pytest.mark.browser

OpenTab = Callable[[str], "Tab"]


def test_simple_get_from_allowed_origin_is_readable(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(lab.url(lab.mount(adapter, "basic"), "/echo", tag))
    assert out.readable, out.error
    assert out.status == 200
    assert out.json()["method"] == "GET"
    (seen,) = lab.recorder.seen(tag)
    assert (seen.method, seen.header("origin")) == ("GET", lab.origins.app)
    # corecors replaced the application's own stale ACAO with the right one.
    assert seen.response_headers["access-control-allow-origin"] == lab.origins.app


def test_simple_get_from_refused_origin_reaches_server_but_page_cannot_read(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.ip2)
    out = tab.fetch(lab.url(lab.mount(adapter, "basic"), "/echo", tag))
    assert not out.readable
    assert out.error is not None
    assert out.error.startswith("TypeError")
    assert "No 'Access-Control-Allow-Origin' header" in tab.cors_error()
    # CORS is not access control: the simple request ran on the server...
    (seen,) = lab.recorder.seen(tag)
    assert (seen.method, seen.header("origin"), seen.status) == ("GET", lab.origins.ip2, 200)
    assert lab.recorder.events(tag) == ["view:echo:GET"]
    # ...but its response carried no CORS header (not even the app's stale one).
    assert not any(h.startswith("access-control-") for h in seen.response_headers)


def test_preflighted_put_allowed(lab: Lab, open_tab: OpenTab, adapter: str, tag: str) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(
        lab.url(lab.mount(adapter, "basic"), "/echo", tag),
        method="PUT", headers={"X-Token": "t0k"},
    )
    assert out.readable, out.error
    assert out.json()["method"] == "PUT"
    assert out.json()["x_header"] == "t0k"
    preflight, actual = lab.recorder.seen(tag)
    assert preflight.method == "OPTIONS"
    assert preflight.header("access-control-request-method") == "PUT"
    assert preflight.header("access-control-request-headers") == "x-token"
    assert preflight.status == 204
    assert actual.method == "PUT"
    # corecors answered the preflight itself: the application never saw it.
    assert lab.recorder.events(tag) == ["view:echo:PUT"]


def test_preflighted_put_from_refused_origin_never_sends_the_put(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.ip2)
    out = tab.fetch(lab.url(lab.mount(adapter, "basic"), "/echo", tag), method="PUT")
    assert not out.readable
    assert "Response to preflight request doesn't pass access control check" in tab.cors_error()
    (preflight,) = lab.recorder.seen(tag)
    assert (preflight.method, preflight.status) == ("OPTIONS", 403)
    assert lab.recorder.events(tag) == []


@pytest.mark.parametrize(
    ("method", "config", "allowed"),
    [
        pytest.param("DELETE", "basic", False, id="DELETE-not-listed"),
        pytest.param("PATCH", "basic", True, id="PATCH-listed"),
        pytest.param("patch", "basic", False, id="lowercase-patch-vs-PATCH"),
        pytest.param("patch", "lower", True, id="lowercase-patch-vs-patch"),
        pytest.param("PATCH", "lower", False, id="PATCH-vs-lowercase-patch"),
        pytest.param("DELETE", "star_methods", True, id="star-covers-DELETE"),
        pytest.param("patch", "star_methods", True, id="star-covers-lowercase-patch"),
    ],
)
def test_method_is_checked_case_sensitively(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str, method: str, config: str, allowed: bool
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(lab.url(lab.mount(adapter, config), "/echo", tag), method=method)
    seen = lab.recorder.seen(tag)
    # Chromium upper-cases only DELETE GET HEAD OPTIONS POST PUT: "patch"
    # goes out (and is asked for) exactly as written.
    assert seen[0].method == "OPTIONS"
    assert seen[0].header("access-control-request-method") == method
    if allowed:
        assert out.readable, out.error
        assert [s.method for s in seen] == ["OPTIONS", method]
        assert out.json()["method"] == method
    else:
        assert not out.readable
        assert f"Method {method} is not allowed" in tab.cors_error() or (
            "doesn't pass access control check" in tab.cors_error()
        )
        assert [s.method for s in seen] == ["OPTIONS"]
        assert seen[0].status == 403


@pytest.mark.parametrize(
    ("config", "header", "allowed"),
    [
        pytest.param("basic", "X-Token", True, id="listed-header"),
        pytest.param("basic", "X-Other", False, id="unlisted-header"),
        pytest.param("star_headers", "X-Other", True, id="star-covers-X-Other"),
        pytest.param("star_headers", "Authorization", False, id="star-never-covers-Authorization"),
        pytest.param("star_headers_auth", "Authorization", True, id="star-plus-Authorization"),
    ],
)
def test_request_headers(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str, config: str, header: str, allowed: bool
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(
        lab.url(lab.mount(adapter, config), "/echo", tag),
        method="PUT", headers={header: "Bearer abc"},
    )
    seen = lab.recorder.seen(tag)
    assert seen[0].method == "OPTIONS"
    assert seen[0].header("access-control-request-headers") == header.lower()
    if allowed:
        assert out.readable, out.error
        assert [s.method for s in seen] == ["OPTIONS", "PUT"]
        assert seen[1].header(header) == "Bearer abc"
    else:
        assert not out.readable
        assert "doesn't pass access control check" in tab.cors_error()
        assert [s.method for s in seen] == ["OPTIONS"]
        assert seen[0].status == 403


def test_star_headers_cover_eighty_request_headers(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    """allow_headers="*" without credentials: Chromium names all 80 headers
    in one preflight, and '*' covers them (no limit on their number; 80,
    since the test server, Python's http.server, takes 100 header lines)."""
    tab = open_tab(lab.origins.app)
    headers = {f"X-Custom-{i:03}": "1" for i in range(80)}
    out = tab.fetch(
        lab.url(lab.mount(adapter, "star_headers"), "/echo", tag), method="PUT", headers=headers
    )
    seen = lab.recorder.seen(tag)
    assert out.readable, (out.error, tab.cors_error(), [(s.method, s.status) for s in seen])
    assert [(s.method, s.status) for s in seen] == [("OPTIONS", 204), ("PUT", 200)]
    asked = seen[0].header("access-control-request-headers")
    assert asked is not None
    assert asked.split(",") == sorted(name.lower() for name in headers)


def test_json_post_is_preflighted_then_sent(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(
        lab.url(lab.mount(adapter, "basic"), "/echo", tag),
        method="POST", headers={"Content-Type": "application/json"}, body='{"answer": 42}',
    )
    assert out.readable, out.error
    assert out.json()["body"] == '{"answer": 42}'
    preflight, post = lab.recorder.seen(tag)
    assert preflight.method == "OPTIONS"
    assert preflight.header("access-control-request-method") == "POST"
    assert preflight.header("access-control-request-headers") == "content-type"
    assert post.method == "POST"
    assert post.header("content-type") == "application/json"


def test_json_post_from_refused_origin_sends_no_body(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.ip2)
    out = tab.fetch(
        lab.url(lab.mount(adapter, "basic"), "/echo", tag),
        method="POST", headers={"Content-Type": "application/json"}, body='{"answer": 42}',
    )
    assert not out.readable
    assert lab.recorder.methods(tag) == ["OPTIONS"]


def test_form_post_is_simple_no_preflight(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(
        lab.url(lab.mount(adapter, "basic"), "/echo", tag),
        method="POST", form={"name": "Ada", "lang": "en"},
    )
    assert out.readable, out.error
    assert out.json()["body"] == "name=Ada&lang=en"
    (post,) = lab.recorder.seen(tag)
    assert post.method == "POST"
    assert post.header("content-type") == "application/x-www-form-urlencoded;charset=UTF-8"


def test_form_post_from_refused_origin_still_runs_on_server(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    """A simple POST is sent whatever the policy: CORS only hides the answer."""
    tab = open_tab(lab.origins.ip2)
    out = tab.fetch(
        lab.url(lab.mount(adapter, "basic"), "/echo", tag), method="POST", form={"a": "1"}
    )
    assert not out.readable
    (post,) = lab.recorder.seen(tag)
    assert (post.method, post.status) == ("POST", 200)
    assert lab.recorder.events(tag) == ["view:echo:POST"]


def test_xhr_get_reads_exposed_header_only(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.xhr(
        lab.url(lab.mount(adapter, "basic"), "/echo", tag),
        read=["X-Exposed", "X-Hidden", "Content-Language"],
    )
    assert out.readable, out.error
    assert out.status == 200
    assert out.read == {"X-Exposed": "exposed-value", "X-Hidden": None, "Content-Language": "en"}
    # getAllResponseHeaders() lists only what the page may read.
    assert "x-exposed: exposed-value" in out.all_headers
    assert "x-hidden" not in out.all_headers
    assert lab.recorder.methods(tag) == ["GET"]


def test_xhr_put_with_header_preflighted(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.xhr(
        lab.url(lab.mount(adapter, "basic"), "/echo", tag),
        method="PUT", headers={"X-Token": "x"}, body="payload",
    )
    assert out.readable, out.error
    assert out.json()["body"] == "payload"
    assert lab.recorder.methods(tag) == ["OPTIONS", "PUT"]


def test_xhr_from_refused_origin_gets_status_zero(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.ip2)
    out = tab.xhr(lab.url(lab.mount(adapter, "basic"), "/echo", tag))
    assert not out.readable
    assert out.status == 0
    assert "XMLHttpRequest" in tab.cors_error()
    assert lab.recorder.methods(tag) == ["GET"]


def test_no_private_network_preflight_between_loopback_addresses(
    lab: Lab, open_tab: OpenTab, tag: str
) -> None:
    """Chromium does not apply Private Network Access loopback to loopback.

    Checked, not assumed: the preflight from a page on 127.0.0.2 to an API
    on 127.0.0.1 carries no ``Access-Control-Request-Private-Network``, so
    ``allow_private_network`` cannot be exercised on loopback.
    """
    tab = open_tab(lab.origins.ip2)
    tab.fetch(lab.url("w/star", "/echo", tag), method="PUT")
    preflight, put = lab.recorder.seen(tag)
    assert preflight.method == "OPTIONS"
    assert "access-control-request-private-network" not in preflight.headers
    assert put.method == "PUT"
