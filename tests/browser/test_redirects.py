"""Redirects across origins, as Chromium follows them.

Fetch: when a cross-origin request is redirected to yet another origin, the
request's origin becomes opaque and the next hop is sent ``Origin: null``.
So the redirect response itself must pass the CORS check (corecors adds the
headers to a 3xx like to any response), and the target must allow ``null``,
which only ``allow_origins="*"`` does: corecors refuses ``null`` as a
configured origin, since any sandboxed iframe can send it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Lab, Tab

pytestmark = pytest.mark.browser

OpenTab = Callable[[str], "Tab"]


def test_redirect_to_other_origin_that_allows_any_origin(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    target = lab.url("w/star", "/echo", tag, base=lab.api2)
    out = tab.fetch(lab.url(lab.mount(adapter, "basic"), "/redirect", tag, to=target))
    assert out.readable, out.error
    assert (out.status, out.url, out.redirected) == (200, target, True)
    (hop,) = lab.recorder.seen(tag, "api")
    assert (hop.status, hop.header("origin")) == (302, lab.origins.app)
    assert hop.response_headers["access-control-allow-origin"] == lab.origins.app
    (landed,) = lab.recorder.seen(tag, "api2")
    assert landed.header("origin") == "null"
    assert landed.response_headers["access-control-allow-origin"] == "*"


def test_redirect_to_other_origin_that_allows_only_the_page(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    """The target allows the page's origin, but the browser sends ``null``."""
    tab = open_tab(lab.origins.app)
    target = lab.url("w/plain", "/echo", tag, base=lab.api2)
    out = tab.fetch(lab.url(lab.mount(adapter, "basic"), "/redirect", tag, to=target))
    assert not out.readable
    assert "No 'Access-Control-Allow-Origin' header" in tab.cors_error()
    (landed,) = lab.recorder.seen(tag, "api2")
    assert (landed.header("origin"), landed.status) == ("null", 200)
    assert "access-control-allow-origin" not in landed.response_headers


def test_same_origin_redirect_keeps_the_origin(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    mount = lab.mount(adapter, "basic")
    target = lab.url(mount, "/echo", tag)
    out = tab.fetch(lab.url(mount, "/redirect", tag, to=target))
    assert out.readable, out.error
    assert out.url == target
    assert [(s.header("origin"), s.status) for s in lab.recorder.seen(tag)] == [
        (lab.origins.app, 302), (lab.origins.app, 200),
    ]


def test_preflighted_put_redirected_307_preflights_again_with_null_origin(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    target = lab.url("w/star", "/echo", tag, base=lab.api2)
    out = tab.fetch(
        lab.url(lab.mount(adapter, "basic"), "/redirect", tag, to=target, code=307),
        method="PUT", headers={"X-Token": "1"}, body="moved",
    )
    assert out.readable, out.error
    assert out.json()["body"] == "moved"
    assert [(s.server, s.method, s.header("origin")) for s in lab.recorder.seen(tag)] == [
        ("api", "OPTIONS", lab.origins.app),
        ("api", "PUT", lab.origins.app),
        ("api2", "OPTIONS", "null"),
        ("api2", "PUT", "null"),
    ]


def test_control_redirect_without_cors_headers_is_not_followed(
    lab: Lab, open_tab: OpenTab, tag: str
) -> None:
    """Without the middleware the 302 itself fails the CORS check."""
    tab = open_tab(lab.origins.app)
    target = lab.url("w/star", "/echo", tag, base=lab.api2)
    out = tab.fetch(lab.url("bare", "/redirect", tag, to=target))
    assert not out.readable
    assert [(s.method, s.status) for s in lab.recorder.seen(tag, "api")] == [("GET", 302)]
    assert lab.recorder.seen(tag, "api2") == []
