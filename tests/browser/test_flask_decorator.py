"""The Flask extension's per-view policy: ``cross_origin(**options)``.

The ``f/decorated`` app's policy is ``basic`` (``origins.app``, PUT); its
``/special`` view is decorated with ``cross_origin`` allowing
``origins.ip2`` and PUT. The most specific policy wins, for the preflight
(matched by the rule the PUT will hit) and for the PUT itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Lab, Tab

pytestmark = pytest.mark.browser

OpenTab = Callable[[str], "Tab"]


@pytest.mark.parametrize(
    ("origin", "path", "allowed"),
    [
        pytest.param("ip2", "/special", True, id="view-policy-allows-its-origin"),
        pytest.param("app", "/special", False, id="view-policy-replaces-app-policy"),
        pytest.param("ip2", "/echo", False, id="app-policy-elsewhere-refuses"),
        pytest.param("app", "/echo", True, id="app-policy-elsewhere-allows"),
    ],
)
def test_cross_origin_view_policy(
    lab: Lab, open_tab: OpenTab, tag: str, origin: str, path: str, allowed: bool
) -> None:
    tab = open_tab(getattr(lab.origins, origin))
    out = tab.fetch(lab.url(lab.mount("flask", "decorated"), path, tag), method="PUT")
    seen = lab.recorder.seen(tag)
    assert seen[0].method == "OPTIONS"
    if allowed:
        assert out.readable, out.error
        assert [s.method for s in seen] == ["OPTIONS", "PUT"]
        assert seen[1].response_headers["access-control-allow-origin"] == tab.origin
    else:
        assert not out.readable
        assert [(s.method, s.status) for s in seen] == [("OPTIONS", 403)]
