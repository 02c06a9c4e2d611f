"""Preflight caching as Chromium does it, driven by ``max_age``.

Chromium keys its preflight cache by (page's network partition, origin,
URL, credentials mode), so each test's unique URL gives it a cache entry of
its own inside the shared browser context.

Observed in Chromium: no ``Access-Control-Max-Age`` at all (``max_age=-1``)
still caches for 5 seconds (the Fetch standard's default), and ``0`` caches
nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Lab, Tab

pytestmark = pytest.mark.browser

OpenTab = Callable[[str], "Tab"]


def put_twice(lab: Lab, tab: Tab, url: str) -> None:
    for _ in range(2):
        out = tab.fetch(url, method="PUT")
        assert out.readable, out.error


@pytest.mark.parametrize(
    ("config", "max_age_header", "methods"),
    [
        pytest.param("max60", "60", ["OPTIONS", "PUT", "PUT"], id="max_age-60-cached"),
        pytest.param("max0", "0", ["OPTIONS", "PUT", "OPTIONS", "PUT"], id="max_age-0-not-cached"),
        pytest.param(
            "max_none", None, ["OPTIONS", "PUT", "PUT"], id="max_age-minus1-default-5s-cache"
        ),
    ],
)
def test_second_identical_request(
    lab: Lab,
    open_tab: OpenTab,
    adapter: str,
    tag: str,
    config: str,
    max_age_header: str | None,
    methods: list[str],
) -> None:
    tab = open_tab(lab.origins.app)
    put_twice(lab, tab, lab.url(lab.mount(adapter, config), "/echo", tag))
    assert lab.recorder.methods(tag) == methods
    preflight = lab.recorder.seen(tag)[0]
    assert preflight.response_headers.get("access-control-max-age") == max_age_header


@pytest.mark.parametrize(
    ("config", "wait_s"),
    [
        pytest.param("max1", 1.5, id="max_age-1-expires"),
        pytest.param("max_none", 5.5, id="no-max_age-expires-after-5s"),
    ],
)
def test_cached_preflight_expires(
    lab: Lab, open_tab: OpenTab, tag: str, config: str, wait_s: float
) -> None:
    """A bounded wait past the lifetime: the next request preflights again.

    (That the entry is used while fresh is shown above, with 60 s and with
    the 5 s default; asserting it for a 1 s lifetime would race the clock.)
    """
    tab = open_tab(lab.origins.app)
    url = lab.url(f"w/{config}", "/echo", tag)
    assert tab.fetch(url, method="PUT").readable
    assert lab.recorder.methods(tag) == ["OPTIONS", "PUT"]
    time.sleep(wait_s)
    assert tab.fetch(url, method="PUT").readable
    assert lab.recorder.methods(tag) == ["OPTIONS", "PUT", "OPTIONS", "PUT"]


def test_cache_entry_holds_the_allow_lists_not_the_question(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    """Chromium caches the methods and headers the answer allowed: a later
    PATCH or X-Token request needs no new preflight; X-Other does (and fails)."""
    tab = open_tab(lab.origins.app)
    url = lab.url(lab.mount(adapter, "basic"), "/echo", tag)
    put_twice(lab, tab, url)
    assert tab.fetch(url, method="PUT", headers={"X-Token": "1"}).readable
    assert tab.fetch(url, method="PATCH").readable
    assert lab.recorder.methods(tag) == ["OPTIONS", "PUT", "PUT", "PUT", "PATCH"]
    assert not tab.fetch(url, method="PUT", headers={"X-Other": "1"}).readable
    assert lab.recorder.methods(tag)[5:] == ["OPTIONS"]
