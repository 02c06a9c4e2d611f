"""Server-sent events across origins, streamed one event at a time.

The stream sends event n, then waits (at most 10 s) until the page has
acknowledged it with a separate request before it sends event n+1. If the
CORS layer buffered the body, the page would never see event 0 before the
stream ended, no acknowledgement would come, and the server would log a
timeout instead of ``ack:0:seen``: these tests would fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Lab, Tab

pytestmark = pytest.mark.browser

OpenTab = Callable[[str], "Tab"]
STREAMED = ["view:stream:GET", "sent:0", "ack:0:seen", "sent:1", "ack:1:seen", "sent:2"]


def log_in(lab: Lab, tab: Tab, tag: str) -> str:
    out = tab.fetch(lab.url("w/creds", "/login", tag, cookie=f"c{tag}"), credentials="include")
    assert out.readable, out.error
    return f"c{tag}"


@pytest.mark.parametrize(
    ("config", "with_credentials"),
    [
        pytest.param("plain", False, id="no-credentials"),
        pytest.param("creds", True, id="withCredentials"),
    ],
)
def test_events_arrive_one_by_one(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str, config: str, with_credentials: bool
) -> None:
    tab = open_tab(lab.origins.app)
    cookie = log_in(lab, tab, tag) if with_credentials else "none"
    mount = lab.mount(adapter, config)
    result = tab.event_source(
        lab.url(mount, "/stream", tag, n=3, cookie=cookie),
        count=3,
        ack_url=lab.url(mount, "/ack", tag),
        with_credentials=with_credentials,
    )
    assert result.get("complete"), result
    got = result["got"]
    assert [e["data"]["n"] for e in got] == [0, 1, 2]
    assert got[0]["at"] < got[1]["at"] < got[2]["at"]
    # The server sent each event only after the page had acknowledged the one before.
    assert [e for e in lab.recorder.events(tag) if not e.startswith("view:login")] == STREAMED
    stream = next(s for s in lab.recorder.seen(tag) if s.path.endswith("/stream"))
    assert stream.header("accept") == "text/event-stream"
    assert stream.response_headers["access-control-allow-origin"] == lab.origins.app
    if with_credentials:
        assert got[0]["data"]["cookie"] == tag
        assert stream.cookie(cookie) == tag
        assert stream.response_headers["access-control-allow-credentials"] == "true"
    else:
        assert stream.header("cookie") is None


@pytest.mark.parametrize(
    ("origin", "config", "with_credentials", "console"),
    [
        pytest.param("app", "no_creds", True, "Access-Control-Allow-Credentials",
                     id="withCredentials-but-credentials-not-allowed"),
        pytest.param("ip2", "plain", False, "No 'Access-Control-Allow-Origin'",
                     id="refused-origin"),
    ],
)
def test_refused_stream_delivers_nothing(
    lab: Lab,
    open_tab: OpenTab,
    adapter: str,
    tag: str,
    origin: str,
    config: str,
    with_credentials: bool,
    console: str,
) -> None:
    tab = open_tab(getattr(lab.origins, origin))
    result = tab.event_source(
        lab.url(lab.mount(adapter, config), "/stream", tag, n=1),
        count=1, ack_url=None, with_credentials=with_credentials,
    )
    assert result == {"got": [], "complete": False, "error": "error event", "readyState": 2}
    assert console in tab.cors_error()
    # One request, answered by the server; a CORS failure is final, no reconnect.
    assert [(s.method, s.status) for s in lab.recorder.seen(tag)] == [("GET", 200)]
