"""Private Network Access: what this Chromium actually does (checked, not assumed).

Between loopback addresses there is no private-network check at all (see
test_requests.py). To see what happens when a *public* page calls loopback,
this module starts a browser that treats the page server on 127.0.0.2 as
public (``--ip-address-space-overrides``). Observed in Chromium 156: no
``Access-Control-Request-Private-Network`` preflight is ever sent; Chromium's
Local Network Access permission replaced it. Without the permission the
request never leaves the browser; with it, the ordinary CORS preflight goes
out without any private-network header. So ``allow_private_network`` cannot
be exercised in this browser, and these tests guard that finding: if a
future Chromium sends the header again, they fail and the suite should grow
real PNA scenarios.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from conftest import Lab, Tab
    from playwright.sync_api import BrowserContext

pytestmark = pytest.mark.browser

Launcher = Callable[[str, Sequence[str]], "BrowserContext"]
OpenTabIn = Callable[["BrowserContext", str], "Tab"]


@pytest.fixture(scope="module")
def public_page_browser(launch_browser: Launcher, lab: Lab) -> BrowserContext:
    page = urlsplit(lab.origins.ip2)
    return launch_browser(
        "public-page", [f"--ip-address-space-overrides={page.hostname}:{page.port}=public"]
    )


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_public_page_to_loopback_blocked_before_any_request(
    lab: Lab, public_page_browser: BrowserContext, open_tab_in: OpenTabIn, tag: str, method: str
) -> None:
    public_page_browser.clear_permissions()
    tab = open_tab_in(public_page_browser, lab.origins.ip2)
    out = tab.fetch(lab.url("w/star", "/echo", tag), method=method)
    assert not out.readable
    assert "Permission was denied for this request to access the `loopback` address space" in (
        tab.cors_error()
    )
    assert lab.recorder.seen(tag) == []


def test_public_page_with_local_network_permission_sends_no_pna_header(
    lab: Lab, public_page_browser: BrowserContext, open_tab_in: OpenTabIn, tag: str
) -> None:
    public_page_browser.grant_permissions(["local-network-access"], origin=lab.origins.ip2)
    try:
        tab = open_tab_in(public_page_browser, lab.origins.ip2)
        out = tab.fetch(lab.url("w/star", "/echo", tag), method="PUT")
    finally:
        public_page_browser.clear_permissions()
    assert out.readable, out.error
    preflight, put = lab.recorder.seen(tag)
    assert preflight.method == "OPTIONS"
    assert "access-control-request-private-network" not in preflight.headers
    assert put.method == "PUT"
