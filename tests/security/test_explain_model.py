"""``corecors explain``'s browser model against the independent Fetch oracle.

``corecors.cli.browser`` (what ``explain`` prints) and
``sec_fetch_model`` (written from the standard's text for the security
suite) are two models of one browser. On the same generated configs and
page requests, both must reach the same verdict: a bug in either shows as
a disagreement.
"""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sec_fetch_model import Browser, PageRequest, normalize_method
from sec_policy import Policy, friendly_requests, page_requests, policies
from sec_support import corecors_server

from corecors import Config, ConfigError
from corecors._fetch import FORBIDDEN_METHODS
from corecors._syntax import TOKEN
from corecors.cli.browser import BrowserRequest, HeaderArg
from corecors.cli.explain import explain


def _as_explained(page: PageRequest) -> BrowserRequest:
    return BrowserRequest(
        origin=page.origin,
        method=normalize_method(page.method),
        path="/",
        headers=tuple(HeaderArg(n, v.strip(" \t\r\n")) for n, v in page.headers),
        credentials=page.include,
        private_network=page.private_network,
    )


def _comparable(page: PageRequest) -> bool:
    # explain models fetch() pages: no XHR upload listeners, only requests
    # fetch() does not throw on (run_explain refuses those before explain()).
    method = normalize_method(page.method)
    return (
        not page.use_cors_preflight
        and TOKEN.fullmatch(method) is not None
        and method.upper() not in FORBIDDEN_METHODS
        and all(TOKEN.fullmatch(n) and not any(c in v for c in "\r\n\0") for n, v in page.headers)
    )


@st.composite
def exchanges(draw: st.DrawFn) -> tuple[Policy, PageRequest]:
    policy = draw(policies())
    origin = draw(st.sampled_from([*(sent for _, sent in policy.exact), "https://other.example"]))
    page = draw(st.one_of(page_requests(origin), friendly_requests(policy, origin)))
    return policy, page


@settings(max_examples=400)
@given(exchanges())
def test_explain_and_the_oracle_agree(exchange: tuple[Policy, PageRequest]) -> None:
    policy, page = exchange
    assume(_comparable(page))
    try:
        config: Config = policy.config()
    except ConfigError:
        assume(False)
        raise
    oracle = Browser().fetch(page, corecors_server(config, policy))
    _, preflight, actual = explain(config, _as_explained(page))
    explained = actual is not None and actual.problem is None
    assert explained == oracle.granted, (
        f"explain says {'allowed' if explained else 'refused'} "
        f"({(preflight and preflight.problem) or (actual and actual.problem)}), the oracle "
        f"{oracle.stage}: {oracle.reason}\npolicy={policy}\npage={page}"
    )
    # Both send a preflight for the same pages.
    assert (preflight is not None) == oracle.preflight_sent
