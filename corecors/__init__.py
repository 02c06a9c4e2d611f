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
from ._decide import decide
from ._errors import ConfigError
from ._model import REASONS, Decision, Request, merge_vary

__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_METHODS",
    "OPTIONS",
    "REASONS",
    "Config",
    "ConfigError",
    "Decision",
    "Request",
    "__version__",
    "decide",
    "merge_vary",
]

__version__ = "0.1.0"
