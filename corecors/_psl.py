"""The Public Suffix List, from the ``publicsuffixlist`` package.

The package ships the whole list (ICANN and private sections) and is
released whenever the list changes, so corecors never keeps a copy of its
own. A wildcard that can cover a name anybody may register under one of
these suffixes would let strangers in.
"""

from __future__ import annotations

from functools import lru_cache

from publicsuffixlist import PublicSuffixList

__all__ = ["public_suffix"]

_PSL = PublicSuffixList()


@lru_cache(maxsize=4096)
def public_suffix(host: str) -> str | None:
    """The longest public suffix that *host* is or ends with (ICANN or private).

    >>> public_suffix("app.r2.dev"), public_suffix("a.b.co.uk")
    ('r2.dev', 'co.uk')
    """
    return _PSL.publicsuffix(host.rstrip(".").lower(), accept_unknown=True)
