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
from ._decision import Decision, merge_vary
from ._django_cors_headers import read_django_cors_headers
from ._errors import PROBLEM_CODES, ConfigError, Problem
from ._failure import ERROR_BODY, ErrorAnswer, error_answer
from ._files import read_file, read_text
from ._model import REASONS, Request
from ._policy import Policy, reconfigured, resolve_config
from ._readers import Reading, read_gravitee, read_mapping, read_options
from ._scopes import Scopes, middleware_order, read_scoped
from ._trial import TrialCounts

__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_METHODS",
    "ERROR_BODY",
    "OPTIONS",
    "PROBLEM_CODES",
    "REASONS",
    "Config",
    "ConfigError",
    "Decision",
    "ErrorAnswer",
    "Policy",
    "Problem",
    "Reading",
    "Request",
    "Scopes",
    "TrialCounts",
    "__version__",
    "decide",
    "decide_cgi",
    "error_answer",
    "merge_vary",
    "middleware_order",
    "read_django_cors_headers",
    "read_file",
    "read_gravitee",
    "read_mapping",
    "read_options",
    "read_scoped",
    "read_text",
    "reconfigured",
    "resolve_config",
]

__version__ = "0.1.0"

ConfigError.__module__ = __name__  # tracebacks say corecors.ConfigError
