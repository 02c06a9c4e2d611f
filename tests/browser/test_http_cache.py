"""``Vary: Origin`` as the browser's own HTTP cache needs it.

Chromium partitions its HTTP cache by site, so two origins of one site
(``app.corecors.localhost`` and ``admin.corecors.localhost``, site
``corecors.localhost``) share cache entries. The API answers ``/cached``
with ``Cache-Control: max-age=60``. If the answer for one origin were
reused for the other, its ``Access-Control-Allow-Origin`` would name the
wrong origin and the second page would be refused. corecors' ``Vary:
Origin`` makes the browser go back to the server instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Lab, Tab

pytestmark = pytest.mark.browser

OpenTab = Callable[[str], "Tab"]


def test_cached_answer_not_reused_for_another_origin(
    lab: Lab, open_tab: OpenTab, adapter: str, tag: str
) -> None:
    url = lab.url(lab.mount(adapter, "sub_corecors"), "/cached", tag)
    first = open_tab(lab.origins.app).fetch(url)
    assert first.readable, first.error
    # (Vary is not readable by the page; the server log shows it was sent.)
    assert "Origin" in lab.recorder.seen(tag)[0].response_headers["vary"]
    again = open_tab(lab.origins.app).fetch(url)
    assert again.readable, again.error
    # The same origin is served from the cache: one request so far...
    assert len(lab.recorder.seen(tag)) == 1
    other = open_tab(lab.origins.admin).fetch(url)
    assert other.readable, other.error
    # ...and the other origin's request went to the server.
    assert [s.header("origin") for s in lab.recorder.seen(tag)] == [
        lab.origins.app, lab.origins.admin,
    ]


def test_control_without_vary_the_cache_serves_the_wrong_origin(
    lab: Lab, open_tab: OpenTab, tag: str
) -> None:
    """Hand-made CORS that reflects the origin but forgets Vary: the second
    origin gets the first one's cached answer and is refused."""
    url = lab.url("hand/reflect", "/cached", tag)
    first = open_tab(lab.origins.app).fetch(url)
    assert first.readable, first.error
    assert "vary" not in lab.recorder.seen(tag)[0].response_headers
    tab = open_tab(lab.origins.admin)
    other = tab.fetch(url)
    assert not other.readable
    assert "not equal to the supplied origin" in tab.cors_error()
    assert len(lab.recorder.seen(tag)) == 1  # served from the cache
