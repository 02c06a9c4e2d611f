"""Sphinx configuration for the corecors documentation site.

Built with ``sphinx-build -W --keep-going -n -b html docs docs/_build/html``
(the tox env ``docs``): warnings are errors and every cross-reference must
resolve. No extension fetches anything from the network.
"""

from __future__ import annotations

import corecors

project = "corecors"
author = "The corecors developers"
copyright = "the corecors developers"
version = release = corecors.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"corecors {release}"

# -- autodoc ---------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# The Flask adapter's reference is built without Flask installed (the docs
# env installs only corecors and Sphinx), so Flask and Werkzeug are mocked
# for autodoc, always, for the same page everywhere.
autodoc_mock_imports = ["flask", "werkzeug", "django", "asgiref"]

# -- nitpicky: every reference resolves, or is named here ----------------------------
nitpicky = True
# Without intersphinx (no network), names from the standard library and from
# Flask cannot be linked; they are still shown.
nitpick_ignore_regex = [
    (r"py:.*", r"(re|collections\.abc|typing|_typeshed|_typeshed\.wsgi|types|flask|"
               r"werkzeug|django|asgiref|http|logging|threading|pathlib|os|asyncio|dataclasses)(\..*)?"),
    (r"py:.*", r"(Iterable|Mapping|Sequence|Callable|Iterator|Any|Literal|Pattern|"
               r"Header|Holder|Kind|StrList|RegexList|Pairs|F|T|WSGIApplication|"
               r"WSGIEnvironment|StartResponse|ResponseReturnValue|Blueprint|Flask)"),
    (r"py:.*", r"corecors\._.*"),
    # Type variables of the adapters' decorators.
    (r"py:.*", r"corecors\.adapters\.\w+\.[A-Z]"),
    # The middlewares' shared private base (adapters/_middleware.py).
    (r"py:.*", r"corecors\.adapters\._\w+\..*"),
]
