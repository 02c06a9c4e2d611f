"""The request-time origin matcher agrees with the grammar it stands for."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from corecors import Config, Request, decide
from corecors._origins import subdomains_ok
from corecors._syntax import _LABEL

# What '*.' stands for, written with the build-time label grammar.
SUBDOMAINS = re.compile(f"(?:{_LABEL}\\.)*{_LABEL}")

# Host characters a well-formed Origin may hold, weighted to the edges.
HOSTISH = st.text(st.sampled_from("ab9_-.~"), max_size=12) | st.builds(
    lambda a, b: a + b, st.text(st.sampled_from("ab-"), min_size=60, max_size=70),
    st.text(st.sampled_from("a.-"), max_size=4),
)


@settings(max_examples=600, database=None, derandomize=True)
@given(HOSTISH)
@example("a" * 63)
@example("a" * 64)
@example("b." + "a" * 64)
@example("a-b--c.d")
@example("-a")
@example("a-")
@example("a..b")
@example("")
def test_the_fast_label_check_is_the_label_grammar(text: str) -> None:
    assert subdomains_ok(text, len(text)) is (SUBDOMAINS.fullmatch(text) is not None)


CONFIG = Config(
    allow_origins=[
        "https://*.example.com",
        "https://*.deep.a.example.org:*",
        "http://localhost:*",
        "https://example.net",
    ],
    allow_origin_regexes=[r"https://pr-[0-9]+\.preview\.example\.io"],
)


@settings(max_examples=600, database=None, derandomize=True)
@given(
    st.sampled_from(["https", "http", "wss"]),
    st.lists(st.sampled_from(["a", "x-y", "-a", "b_", "", "deep", "preview", "pr-7"]), max_size=3),
    st.sampled_from(
        ["example.com", "a.example.org", "deep.a.example.org", "example.net", "localhost",
         "preview.example.io", "example.io", "com", ""]
    ),
    st.sampled_from(["", ":8080", ":0", ":65536", ":443"]),
)
@example("https", ["a", "deep"], "a.example.org", ":8080")  # allowed, two labels deep
@example("https", ["deep"], "a.example.org", "")  # the pattern's own domain: refused
@example("https", ["-a"], "example.com", "")  # a label starting with '-': refused
@example("https", ["x-y", "b_"], "example.com", "")
def test_the_verdict_is_the_pattern_rule(
    scheme: str, labels: list[str], domain: str, port: str
) -> None:
    host = ".".join([*labels, domain]) if labels else domain
    origin = f"{scheme}://{host}{port}"
    verdict = decide(Request("GET", origin=origin), CONFIG).reasons
    assert (verdict == ()) is expected_verdict(scheme, host, port, origin), (origin, verdict)


def any_port(port: str) -> bool:
    return port == "" or (
        re.fullmatch(r":[1-9][0-9]{0,4}", port) is not None and int(port[1:]) <= 65535
    )


def under(host: str, base: str) -> bool:
    """host is one or more labels, then '.' and base."""
    sub = host[: -len(base) - 1]
    return host.endswith("." + base) and SUBDOMAINS.fullmatch(sub) is not None


def expected_verdict(scheme: str, host: str, port: str, origin: str) -> bool:
    return (
        (scheme == "https" and port == "" and under(host, "example.com"))
        or (scheme == "https" and any_port(port) and under(host, "deep.a.example.org"))
        or (scheme == "http" and host == "localhost" and any_port(port))
        or (scheme == "https" and host == "example.net" and port == "")
        or re.fullmatch(r"https://pr-[0-9]+\.preview\.example\.io", origin) is not None
    )
