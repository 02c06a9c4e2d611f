"""The Flask hello apps gunicorn serves in the end-to-end rows.

``gunicorn gunicorn_apps:bare`` (or ``corecors``, ``flask_cors``), with
``bench/`` on the Python path.
"""

from __future__ import annotations

from subjects import flask_app

bare = flask_app("bare")
corecors = flask_app("corecors")
flask_cors = flask_app("flask-cors")
