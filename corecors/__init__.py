"""corecors: a sans-IO CORS engine exact to the WHATWG Fetch standard.

Describe a request, give a :class:`Config`, and :func:`decide` says what to
answer. The adapters in :mod:`corecors.adapters` carry that answer into
WSGI, Flask and proxy hooks.

>>> import corecors
>>> config = corecors.Config(allow_origins=["https://app.example.com"])
>>> decision = corecors.decide(
...     corecors.Request("GET", origin="https://app.example.com"), config)
>>> decision.headers
(('Access-Control-Allow-Origin', 'https://app.example.com'),)
>>> decision.vary
('Origin',)
"""

from ._config import DEFAULT_MAX_AGE, DEFAULT_METHODS, OPTIONS, Config
from ._decide import decide, decide_cgi
from ._errors import PROBLEM_CODES, ConfigError, Problem
from ._model import REASONS, Decision, Request, merge_vary
from ._policy import Policy

__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_METHODS",
    "OPTIONS",
    "PROBLEM_CODES",
    "REASONS",
    "Config",
    "ConfigError",
    "Decision",
    "Policy",
    "Problem",
    "Request",
    "__version__",
    "decide",
    "decide_cgi",
    "merge_vary",
]

__version__ = "0.1.0"

ConfigError.__module__ = __name__  # tracebacks say corecors.ConfigError


def _checkout_root() -> list[str]:
    # In a source checkout, adapters/ sits beside corecors/ and only the
    # installed package has corecors/adapters. Let corecors.adapters resolve
    # to it, so that code run from the checkout's root works as installed.
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    checkout = os.path.isfile(os.path.join(root, "adapters", "wsgi.py")) and not os.path.isdir(
        os.path.join(here, "adapters")
    )
    return [root] * checkout


__path__ += _checkout_root()
