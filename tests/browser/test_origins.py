"""Origin matching: subdomain patterns, any-port patterns and regexes.

Pages are served under many loopback host names (all ``*.localhost`` names
resolve to loopback inside Chromium) and on three ports, so each
(host, port) pair is an origin of its own. Each case runs a preflighted PUT:
allowed means the preflight passed and the PUT followed; refused means the
preflight got corecors' 403 and the PUT never left the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Lab, Tab

pytestmark = pytest.mark.browser

OpenTab = Callable[[str], "Tab"]

CASES = [
    # http://*.corecors.localhost:PP
    ("sub_corecors", "app", True),
    ("sub_corecors", "deep", True),  # two labels deep
    ("sub_corecors", "admin", True),
    ("sub_corecors", "base", False),  # the base domain itself is not a subdomain
    ("sub_corecors", "other_sub", False),  # evil.localhost
    ("sub_corecors", "app2", False),  # right host, other port
    ("sub_corecors", "ip2", False),
    # http://*.localhost:PP
    ("sub_localhost", "app", True),
    ("sub_localhost", "other_sub", True),
    ("sub_localhost", "localhost", False),
    ("sub_localhost", "ip1", False),  # 127.0.0.1 is loopback, but not a *.localhost name
    # http://localhost:*
    ("any_port", "localhost", True),
    ("any_port", "localhost2", True),
    ("any_port", "ip1", False),
    ("any_port", "app", False),
    # regexes: http://127\.0\.0\.2:PQ and http://[a-z]+\.corecors\.localhost:PP
    ("regex", "ip2", True),
    ("regex", "app", True),
    ("regex", "admin", True),
    ("regex", "deep", False),  # one label only
    ("regex", "base", False),
    ("regex", "ip1", False),
    ("regex", "app2", False),
]


@pytest.mark.parametrize(
    ("config", "origin", "allowed"),
    [
        pytest.param(c, o, a, id=f"{c}-{o}-{'allowed' if a else 'refused'}")
        for c, o, a in CASES
    ],
)
def test_origin_matching(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str, config: str, origin: str, allowed: bool
) -> None:
    page_origin = getattr(lab.origins, origin)
    tab = open_tab(page_origin)
    out = tab.fetch(lab.url(lab.mount(adapter, config), "/echo", tag), method="PUT")
    seen = lab.recorder.seen(tag)
    assert seen[0].method == "OPTIONS"
    assert seen[0].header("origin") == page_origin
    if allowed:
        assert out.readable, out.error
        assert [s.method for s in seen] == ["OPTIONS", "PUT"]
        assert seen[0].response_headers["access-control-allow-origin"] == page_origin
        assert seen[1].response_headers["access-control-allow-origin"] == page_origin
    else:
        assert not out.readable
        assert [s.method for s in seen] == ["OPTIONS"]
        assert seen[0].status == 403
        assert "access-control-allow-origin" not in seen[0].response_headers
