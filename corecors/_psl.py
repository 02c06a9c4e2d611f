"""The Public Suffix List, from the ``publicsuffixlist`` package.

The package ships the whole list (ICANN and private sections) and is
released whenever the list changes, so corecors never keeps a copy of its
own. A wildcard that can cover a name anybody may register under one of
these suffixes would let strangers in.
"""

from __future__ import annotations

from functools import lru_cache

from publicsuffixlist import PublicSuffixList

from ._errors import Problem

__all__ = ["public_suffix", "wildcard_problem"]

_PSL = PublicSuffixList()


@lru_cache(maxsize=4096)
def public_suffix(host: str) -> str | None:
    """The longest public suffix that *host* is or ends with (ICANN or private).

    >>> public_suffix("app.r2.dev"), public_suffix("a.b.co.uk")
    ('r2.dev', 'co.uk')
    """
    return _PSL.publicsuffix(host.rstrip(".").lower(), accept_unknown=True)


def wildcard_problem(
    option: str,
    given: object,
    domain: str,
    index: int | None,
    *,
    credentials: bool,
    pna: bool,
) -> Problem | None:
    """What is wrong with a wildcard (a pattern's ``*.`` or a regex) that
    covers the names below *domain*, if *domain* is a public suffix: an
    error with credentials or private network access, else a warning."""
    suffix = public_suffix(domain)
    if suffix is None or suffix != domain.rstrip(".").lower():
        return None
    where = f"'{suffix}' is on the Public Suffix List"
    fix = (
        f"name your own site under it in full, such as 'https://*.myapp.{suffix}' "
        f"or 'https://myapp.{suffix}'"
    )
    if credentials or pna:
        what = "credentials" if credentials else "private network access"
        return Problem(
            "CC009",
            "error",
            option,
            given,
            f"lets in every name anybody registers under {suffix!r} ({where}), with {what}",
            fix,
            index,
        )
    return Problem(
        "CC116",
        "warning",
        option,
        given,
        f"lets any site registered under {suffix!r} read the responses ({where})",
        fix,
        index,
    )
