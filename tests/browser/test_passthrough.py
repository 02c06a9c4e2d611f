"""``preflight_passthrough``: valid preflights go on to the application.

The application's ``before_request`` hook logs every OPTIONS it sees; the
``passthrough`` mount's hook also rejects it with 401 (a policy that says
no), the ``passthrough_ok`` mount's hook lets it through. Views log when
they run. Under the WSGI middleware the hook belongs to the wrapped Flask
application; under the Flask extension it is the app's own hook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Lab, Tab

pytestmark = pytest.mark.browser

OpenTab = Callable[[str], "Tab"]


def test_hook_rejects_preflight_so_browser_fails(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(lab.url(lab.mount(adapter, "passthrough"), "/echo", tag), method="PUT")
    assert not out.readable
    assert "It does not have HTTP ok status" in tab.cors_error()
    (preflight,) = lab.recorder.seen(tag)
    assert (preflight.method, preflight.status) == ("OPTIONS", 401)
    # The OPTIONS reached the hook; no view ran; the PUT was never sent.
    assert lab.recorder.events(tag) == ["hook:OPTIONS"]


def test_hook_lets_preflight_through_and_put_follows(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.app)
    out = tab.fetch(lab.url(lab.mount(adapter, "passthrough_ok"), "/echo", tag), method="PUT")
    assert out.readable, out.error
    preflight, put = lab.recorder.seen(tag)
    assert preflight.method == "OPTIONS"
    assert 200 <= (preflight.status or 0) < 300
    assert preflight.response_headers["access-control-allow-origin"] == lab.origins.app
    assert preflight.response_headers["access-control-allow-methods"] == "PUT"
    assert put.method == "PUT"
    # The view ran for the PUT only, never for the preflight.
    assert lab.recorder.events(tag) == ["hook:OPTIONS", "view:echo:PUT"]


def test_invalid_preflight_never_reaches_the_application(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    tab = open_tab(lab.origins.ip2)
    out = tab.fetch(lab.url(lab.mount(adapter, "passthrough_ok"), "/echo", tag), method="PUT")
    assert not out.readable
    (preflight,) = lab.recorder.seen(tag)
    assert (preflight.method, preflight.status) == ("OPTIONS", 403)
    assert lab.recorder.events(tag) == []
