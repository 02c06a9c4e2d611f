"""The sound rule for origin regexes, through Config: what is accepted, what
is refused and why. The rule is in corecors/_regexes.py, its proof in corecors/_regex_proofs.py."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from corecors import Config, ConfigError, Request, decide


def allowed(config: Config, origin: str) -> bool:
    return decide(Request("GET", origin=origin), config).allowed


def problems(regex: str, **options: object) -> list[tuple[str, str]]:
    return [(p.code, p.problem) for p in Config.validate(allow_origin_regexes=[regex], **options)]


@pytest.mark.parametrize(
    ("regex", "inside", "outside"),
    [
        pytest.param(
            r"https://[^x]+\.example\.com",
            "https://a.example.com",
            "https://x.example.com",
            id="a negated literal",
        ),
        pytest.param(
            r"https://(?>app)\.example\.com",
            "https://app.example.com",
            "https://api.example.com",
            id="an atomic group",
        ),
        pytest.param(
            r"https://app\.example\.com(?::8080|:8443)",
            "https://app.example.com:8443",
            "https://app.example.com",
            id="alternative ports",
        ),
        pytest.param(
            r"(?:https://)?app\.example\.com",
            "https://app.example.com",
            "https://evil.com",
            id="an optional scheme",
        ),
        pytest.param(
            r"https://(?:a|b)c\.example\.com",
            "https://bc.example.com",
            "https://cc.example.com",
            id="alternatives before a literal",
        ),
        pytest.param(
            r"https://[a-z0-9]+-preview\.example\.com",
            "https://x1-preview.example.com",
            "https://preview.example.com",
            id="a preview-branch name",
        ),
        pytest.param(
            r"https://(?:[a-z]+\.)?(?:app|api)\.example\.(?:com|org)",
            "https://x.api.example.org",
            "https://api.example.net",
            id="several domains",
        ),
    ],
)
def test_a_regex_that_stays_in_its_domain_is_kept(regex: str, inside: str, outside: str) -> None:
    config = Config(allow_origin_regexes=[regex], allow_credentials=True)
    assert allowed(config, inside)
    assert not allowed(config, outside)


@pytest.mark.parametrize(
    ("regex", "problem"),
    [
        pytest.param(
            r"https://[a-z]*[a-z]*\.example\.com",
            "grows polynomially",
            id="adjacent overlapping repeats",
        ),
        pytest.param(
            r"https://(?:[a-z]*)*\.example\.com", "grows exponentially", id="a star of a star"
        ),
        pytest.param(r"(?:.*)*", "grows exponentially", id="everything, exponentially"),
        pytest.param(
            r"https://a\+b\.example\.com", "can match no Origin", id="a character no host holds"
        ),
        pytest.param(
            r"https://[a-z]+\[x\.example\.com", "can match no Origin", id="a bracket in the host"
        ),
        pytest.param(
            "https://" + "a" * 400 + r"\.example\.com", "too big to check", id="too big to prove"
        ),
        pytest.param(
            "https://" + "(?:xa|yb)" * 9 + r"\.example\.com",
            "too many alternatives",
            id="too many alternatives",
        ),
        pytest.param(
            r"https://[^]x]+.example\.com",
            "unescaped '.' at position 14",
            id="an unescaped dot after a negated class opening with ]",
        ),
        pytest.param(r"https://(a)\1\.example\.com", "a back-reference", id="a back-reference"),
    ],
)
def test_a_regex_the_rule_cannot_prove_is_refused(regex: str, problem: str) -> None:
    found = problems(regex)
    assert any(code == "CC006" and problem in text for code, text in found), found


# -- the property: nothing outside the named domains ever matches ------------------

_SCHEMES = ["https", "https?", "(?:https|wss)", "wss?"]
_BELOW = [
    "",
    r"[a-z0-9-]+\.",
    r"(?:[a-z0-9-]+\.)*",
    r"(?:[a-z0-9-]+\.)?",
    r"[a-z]+-preview\.",
    r".*\.",
    r"(?:app|api|www)\.",
    r"[^.]+\.",
    r"[\w-]+\.",
    r"(?:.+\.)?",
    r"[a-z]{1,4}x",
]
_PORTS = ["", r"(?::[0-9]+)?", ":8443", r"(?::\d{1,5})?", r"(?::80|:8080)?"]
_LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8).filter(
    lambda s: s[0] != "-" and s[-1] != "-"
)
_DOMAIN = st.tuples(_LABEL, st.sampled_from(["com", "org", "example", "co.uk", "test"])).map(
    ".".join
)


def _under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


@given(
    scheme=st.sampled_from(_SCHEMES),
    below=st.sampled_from(_BELOW),
    domain=_DOMAIN,
    port=st.sampled_from(_PORTS),
    data=st.data(),
)
def test_no_origin_outside_the_domain_matches_an_accepted_regex(
    scheme: str, below: str, domain: str, port: str, data: st.DataObject
) -> None:
    regex = f"{scheme}://{below}{re.escape(domain)}{port}"
    try:
        config = Config(allow_origin_regexes=[regex])
    except ConfigError:  # the analysis may refuse: then nothing is let in at all
        return
    # The domain the regex names: the literal text after its last wildcard.
    named = (
        domain
        if below == "" or below.endswith(r"\.") or below.endswith(")*") or below.endswith(")?")
        else domain.split(".", 1)[1]
    )
    # Origins that the regex matches, made by hypothesis from the regex itself,
    # and strangers made to look like the domain.
    stranger = data.draw(
        st.one_of(
            st.from_regex(re.compile(regex), fullmatch=True),
            st.tuples(_LABEL, st.sampled_from(["", ".", "-"]), st.just(domain)).map(
                lambda t: f"https://{t[0]}{t[1]}{t[2]}"
            ),
            st.just(f"https://{domain}.evil.test"),
        )
    )
    if allowed(config, stranger):
        host = stranger.partition("://")[2].rsplit(":", 1)[0]
        assert _under(host, named), (regex, stranger)


@given(
    host=st.lists(_LABEL, min_size=1, max_size=3).map(".".join),
    tld=st.sampled_from(["com", "net", "dev", "[a-z]+", "[a-z]{2,3}", r"\w+"]),
    glue=st.sampled_from([r"\.", ".", r"\D", "[.-]", r"[^a]", ""]),
)
def test_a_regex_without_a_literal_registrable_end_is_refused_with_credentials(
    host: str, tld: str, glue: str
) -> None:
    regex = f"https://[a-z]+{glue}{host}{glue}{tld}"
    assume(not (glue == r"\." and tld in ("com", "net", "dev")))
    with pytest.raises(ConfigError) as exc:
        Config(allow_origin_regexes=[regex], allow_credentials=True)
    assert exc.value.problems[0].code in ("CC006", "CC009")


def test_a_plain_http_regex_is_refused_with_credentials_and_kept_without() -> None:
    regex = r"http://[a-z]+\.example\.com"
    found = problems(regex, allow_credentials=True)
    assert found == [
        (
            "CC008",
            "matches the plain-http origin 'http://a.example.com' while allow_credentials is "
            "on; anybody on the network path can act as such an origin",
        )
    ]
    assert allowed(Config(allow_origin_regexes=[regex]), "http://a.example.com")


@pytest.mark.parametrize("port", ["", ":8443"])
def test_no_pattern_or_regex_reads_a_host_longer_than_dns_allows(port: str) -> None:
    config = Config(
        allow_origins=["https://*.example.com:*"],
        allow_origin_regexes=[r"https://(?:[a-z0-9-]+\.)*example\.org(?::[0-9]+)?"],
    )
    labels = "a" * 60 + "." + "b" * 60 + "." + "c" * 60 + "."
    for domain in ("example.com", "example.org"):
        longest = labels + "d" * (253 - len(labels) - len(domain) - 1) + "." + domain
        assert len(longest) == 253
        assert allowed(config, f"https://{longest}{port}")
        reason = decide(Request("GET", origin=f"https://x{longest}{port}"), config).reasons
        assert reason == ("origin_malformed",)
