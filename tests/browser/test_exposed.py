"""Exposed response headers: readable when listed, hidden otherwise.

The application answers every ``/echo`` with ``X-Exposed``, ``X-Hidden``
and the CORS-safelisted ``Content-Language``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Lab, Tab

pytestmark = pytest.mark.browser

OpenTab = Callable[[str], "Tab"]
CUSTOM = ("x-exposed", "x-hidden")


@pytest.mark.parametrize(
    ("config", "credentials", "readable"),
    [
        pytest.param("basic", "same-origin", {"x-exposed"}, id="listed-X-Exposed"),
        pytest.param("plain", "same-origin", set(), id="none-exposed"),
        pytest.param("expose_star", "same-origin", {"x-exposed", "x-hidden"}, id="star"),
        pytest.param("creds", "include", {"x-exposed"}, id="listed-with-credentials"),
    ],
)
def test_exposed_headers(
    lab: Lab,
    open_tab: OpenTab,
    adapter: str,
    tag: str,
    config: str,
    credentials: str,
    readable: set[str],
) -> None:
    tab = open_tab(lab.origins.app)
    url = lab.url(lab.mount(adapter, config), "/echo", tag)
    out = tab.fetch(url, credentials=credentials)
    assert out.readable, out.error
    assert {h for h in CUSTOM if h in out.headers} == readable
    # Safelisted response headers are always readable.
    assert out.headers["content-language"] == "en"
    xhr = tab.xhr(url, with_credentials=credentials == "include", read=["X-Exposed", "X-Hidden"])
    assert xhr.readable, xhr.error
    assert {h for h in ("X-Exposed", "X-Hidden") if xhr.read[h] is not None} == {
        h.title() for h in readable
    }
    # The server sent both headers every time; the browser did the hiding.
    for seen in lab.recorder.seen(tag):
        assert {"x-exposed", "x-hidden"} <= set(seen.response_headers)


def test_control_hand_made_expose_star_with_credentials_hides_everything(
    lab: Lab, open_tab: OpenTab, tag: str
) -> None:
    """Why corecors refuses expose_headers='*' with credentials: with
    credentials the browser reads '*' as a header literally named '*'."""
    tab = open_tab(lab.origins.app)
    out = tab.fetch(lab.url("hand/aceh_star_creds", "/echo", tag), credentials="include")
    assert out.readable, out.error
    assert not {h for h in CUSTOM if h in out.headers}
    (seen,) = lab.recorder.seen(tag)
    assert seen.response_headers["access-control-expose-headers"] == "*"


def test_control_hand_made_expose_star_without_credentials_shows_everything(
    lab: Lab, open_tab: OpenTab, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(lab.url("hand/reflect", "/echo", tag))
    assert out.readable, out.error
    assert {h for h in CUSTOM if h in out.headers} == set(CUSTOM)
