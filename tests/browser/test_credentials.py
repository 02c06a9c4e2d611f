"""Credentials: cookies set and sent back only when the policy allows it.

The page origin ``http://app.corecors.localhost:PP`` and the API
``http://api.corecors.localhost:PA`` are cross-origin but same-site (site
``corecors.localhost``), so a ``SameSite=Lax`` cookie set by the API is sent
on the page's credentialed requests. Chromium blocks third-party cookies
here, so cross-site pairs (``127.0.0.2`` to ``127.0.0.1``, ``app.localhost``
to ``api.localhost``) cannot carry cookies at all: see docs/browser-tests.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from corecors import Config, ConfigError

if TYPE_CHECKING:
    from conftest import Lab, Tab

pytestmark = pytest.mark.browser

OpenTab = Callable[[str], "Tab"]


def log_in(lab: Lab, tab: Tab, tag: str, mount: str = "w/creds") -> str:
    """Have the API set cookie ``c<tag>=<tag>``; return the cookie's name.

    Other tests' cookies live in the same browser context: every check
    looks for this test's cookie by name.
    """
    out = tab.fetch(lab.url(mount, "/login", tag, cookie=f"c{tag}"), credentials="include")
    assert out.readable, out.error
    return f"c{tag}"


def test_cookie_set_then_sent_back_when_allowed(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    mount = lab.mount(adapter, "creds")
    cookie = log_in(lab, tab, tag, mount)
    out = tab.fetch(lab.url(mount, "/echo", tag), credentials="include")
    assert out.readable, out.error
    assert out.json()["cookies"][cookie] == tag
    login, echo = lab.recorder.seen(tag)
    assert login.cookie(cookie) is None
    assert login.response_headers["access-control-allow-credentials"] == "true"
    assert echo.cookie(cookie) == tag
    assert echo.response_headers["access-control-allow-origin"] == lab.origins.app


def test_cookie_not_sent_without_credentials_mode(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    mount = lab.mount(adapter, "creds")
    log_in(lab, tab, tag, mount)
    out = tab.fetch(lab.url(mount, "/echo", tag))  # credentials: "same-origin"
    assert out.readable, out.error
    assert out.json()["cookie_header"] is None
    assert lab.recorder.seen(tag)[-1].header("cookie") is None


def test_credentialed_request_refused_when_credentials_not_allowed(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    cookie = log_in(lab, tab, tag)
    out = tab.fetch(lab.url(lab.mount(adapter, "no_creds"), "/echo", tag), credentials="include")
    assert not out.readable
    assert "Access-Control-Allow-Credentials" in tab.cors_error()
    # The browser sent the cookie and the server answered; the page sees nothing.
    echo = lab.recorder.seen(tag)[-1]
    assert (echo.method, echo.status) == ("GET", 200)
    assert echo.cookie(cookie) == tag
    assert "access-control-allow-credentials" not in echo.response_headers


def test_preflight_carries_no_cookie_but_the_put_does(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    mount = lab.mount(adapter, "creds")
    cookie = log_in(lab, tab, tag, mount)
    out = tab.fetch(
        lab.url(mount, "/echo", tag), method="PUT", headers={"X-Token": "1"},
        credentials="include",
    )
    assert out.readable, out.error
    _, preflight, put = lab.recorder.seen(tag)
    assert preflight.method == "OPTIONS"
    assert preflight.header("cookie") is None
    assert preflight.response_headers["access-control-allow-credentials"] == "true"
    assert (put.method, put.cookie(cookie)) == ("PUT", tag)


def test_star_methods_and_headers_with_credentials_are_answered_by_name(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    """With credentials a literal '*' means nothing to the browser."""
    tab = open_tab(lab.origins.app)
    mount = lab.mount(adapter, "creds_star_methods")
    cookie = log_in(lab, tab, tag, mount)
    out = tab.fetch(
        lab.url(mount, "/echo", tag), method="PATCH", headers={"X-Anything": "1"},
        credentials="include",
    )
    assert out.readable, out.error
    _, preflight, patch = lab.recorder.seen(tag)
    assert preflight.response_headers["access-control-allow-methods"] == "PATCH"
    assert preflight.response_headers["access-control-allow-headers"] == "x-anything"
    assert (patch.method, patch.cookie(cookie)) == ("PATCH", tag)


def test_xhr_with_credentials(lab: Lab, open_tab: OpenTab, adapter: str, tag: str) -> None:
    tab = open_tab(lab.origins.app)
    mount = lab.mount(adapter, "creds")
    cookie = log_in(lab, tab, tag, mount)
    out = tab.xhr(lab.url(mount, "/echo", tag), with_credentials=True, read=["X-Exposed"])
    assert out.readable, out.error
    assert out.json()["cookies"][cookie] == tag
    assert out.read == {"X-Exposed": "exposed-value"}


def test_cookie_from_uncredentialed_response_is_not_stored(
    lab: Lab, open_tab: OpenTab, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(lab.url("w/creds", "/login", tag, cookie=f"c{tag}"))  # no "include"
    assert out.readable, out.error
    out = tab.fetch(lab.url("w/creds", "/echo", tag), credentials="include")
    assert out.readable, out.error
    assert f"c{tag}" not in out.json()["cookies"]
    assert lab.recorder.seen(tag)[-1].cookie(f"c{tag}") is None


def test_cookie_from_blocked_response_is_stored_anyway(
    lab: Lab, open_tab: OpenTab, tag: str
) -> None:
    """Observed Chromium behaviour (and Fetch's): Set-Cookie is applied before
    the CORS check, so a refused credentialed response still sets cookies."""
    tab = open_tab(lab.origins.app)
    out = tab.fetch(lab.url("w/no_creds", "/login", tag, cookie=f"c{tag}"), credentials="include")
    assert not out.readable
    out = tab.fetch(lab.url("w/creds", "/echo", tag), credentials="include")
    assert out.readable, out.error
    assert out.json()["cookies"][f"c{tag}"] == tag


def test_cross_site_page_gets_no_lax_cookie(lab: Lab, open_tab: OpenTab, tag: str) -> None:
    """``localhost`` and ``api.corecors.localhost`` are different sites: the
    credentialed request is allowed and readable, but the Lax cookie stays home."""
    cookie = log_in(lab, open_tab(lab.origins.app), tag)
    tab = open_tab(lab.origins.localhost)
    out = tab.fetch(lab.url("w/creds", "/echo", tag), credentials="include")
    assert out.readable, out.error
    echo = lab.recorder.seen(tag)[-1]
    assert echo.header("origin") == lab.origins.localhost
    assert echo.cookie(cookie) is None
    assert cookie not in out.json()["cookies"]


def test_config_refuses_star_with_credentials() -> None:
    with pytest.raises(ConfigError, match="allow_credentials"):
        Config(allow_origins="*", allow_credentials=True)


@pytest.mark.parametrize(
    ("credentials", "readable"),
    [
        pytest.param("include", False, id="with-credentials-fails"),
        pytest.param("omit", True, id="without-credentials-works"),
    ],
)
def test_control_hand_made_star_with_credentials(
    lab: Lab, open_tab: OpenTab, tag: str, credentials: str, readable: bool
) -> None:
    """Why corecors refuses that config: the browser rejects ACAO '*' with credentials."""
    tab = open_tab(lab.origins.app)
    out = tab.fetch(lab.url("hand/star_creds", "/echo", tag), credentials=credentials)
    assert out.readable is readable
    (seen,) = lab.recorder.seen(tag)
    assert seen.response_headers["access-control-allow-origin"] == "*"
    assert seen.response_headers["access-control-allow-credentials"] == "true"
    if not readable:
        assert "must not be the wildcard '*'" in tab.cors_error()
