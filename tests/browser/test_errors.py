"""Error responses carry the CORS headers, so the page can read them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Lab, Tab

pytestmark = pytest.mark.browser

OpenTab = Callable[[str], "Tab"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/no/such/page", 404, id="404-unknown-route"),
        pytest.param("/status/410", 410, id="410-abort"),
        pytest.param("/boom", 500, id="500-view-raises"),
    ],
)
def test_error_response_readable_cross_origin(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str, path: str, status: int
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(lab.url(lab.mount(adapter, "plain"), path, tag))
    assert out.readable, out.error
    assert out.status == status
    (seen,) = lab.recorder.seen(tag)
    assert seen.status == status
    assert seen.response_headers["access-control-allow-origin"] == lab.origins.app


def test_error_after_allowed_preflight_is_readable(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(lab.url(lab.mount(adapter, "basic"), "/no/such/page", tag), method="PUT")
    assert out.readable, out.error
    assert out.status == 404
    assert [(s.method, s.status) for s in lab.recorder.seen(tag)] == [
        ("OPTIONS", 204), ("PUT", 404),
    ]


def test_middleware_own_500_when_the_application_raises(
    lab: Lab, open_tab: OpenTab, tag: str
) -> None:
    """A bare WSGI app raises; CORSMiddleware answers 500 the page can read."""
    tab = open_tab(lab.origins.app)
    out = tab.xhr(lab.url("w/raw", "/anything", tag))
    assert out.readable, out.error
    assert (out.status, out.body) == (500, "Internal Server Error")
    (seen,) = lab.recorder.seen(tag)
    assert seen.response_headers["access-control-allow-origin"] == lab.origins.app


def test_middleware_own_500_when_a_generator_app_raises(
    lab: Lab, open_tab: OpenTab, tag: str
) -> None:
    """A generator app raises in its first step, before start_response: the
    page reads the middleware's 500, as for an app that raises at once."""
    tab = open_tab(lab.origins.app)
    out = tab.fetch(lab.url("w/raw_generator", "/anything", tag))
    assert out.readable, out.error
    assert (out.status, out.body) == (500, "Internal Server Error")
    (seen,) = lab.recorder.seen(tag)
    assert seen.response_headers["access-control-allow-origin"] == lab.origins.app


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_flask_404_under_a_blueprint_prefix_is_readable(
    lab: Lab, open_tab: OpenTab, tag: str, method: str
) -> None:
    """A policy only on the blueprint at /api: a 404 under /api (and, for a
    PUT, its preflight) gets the blueprint's policy, so the page reads it."""
    tab = open_tab(lab.origins.app)
    mount = lab.mount("flask", "blueprint_only")
    out = tab.fetch(lab.url(mount, "/api/no/such/item", tag), method=method)
    assert out.readable, out.error
    assert out.status == 404
    expected = [("OPTIONS", 204), ("PUT", 404)] if method == "PUT" else [("GET", 404)]
    assert [(s.method, s.status) for s in lab.recorder.seen(tag)] == expected
    # Outside the prefix the app has no policy: the page cannot read the 404.
    tag2 = tag + "-outside"
    outside = tab.fetch(lab.url(mount, "/no/such/item", tag2))
    assert not outside.readable
