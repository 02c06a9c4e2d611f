"""Advice: what is accepted but probably not meant (the warnings lint prints).

The checks move here from the command line (CC101-CC115); until they do,
validation's own warnings (CC116, CC117) are the only advice.
"""

from __future__ import annotations

from ._errors import Problem
from ._options import Options

__all__ = ["advise"]


def advise(options: Options) -> list[Problem]:
    """The warnings for *options*, beyond validation's own."""
    del options
    return []
