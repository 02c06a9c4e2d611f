"""The application test_load.py runs under gunicorn: a Flask app with the
corecors extension, one app-wide policy and one rule-scoped policy.

The test imports the same module for the configs, so the answers it
expects come from ``decide()`` on the very same Config objects.
"""

from __future__ import annotations

from flask import Flask

from corecors import Config
from corecors.adapters.flask import CORS

APP_CONFIG = Config(
    allow_origins=["https://app.example.com", "https://*.example.org", "http://localhost:3000"],
    allow_methods=["GET", "PUT", "DELETE", "patch"],
    allow_headers=["Content-Type", "X-Custom", "Authorization"],
    allow_credentials=True,
    expose_headers=["ETag"],
    max_age=600,
    allow_private_network=True,
)
ADMIN_CONFIG = Config(
    allow_origins=["https://admin.example.com"],
    allow_methods=["POST"],
    allow_credentials=True,
    max_age=-1,
)

app = Flask(__name__)
cors = CORS(app, config=APP_CONFIG)
cors.rule("/admin", config=ADMIN_CONFIG)


@app.route("/items", methods=["GET", "PUT", "DELETE", "patch"])
def items() -> tuple[str, int, list[tuple[str, str]]]:
    # The view sets CORS headers of its own: the extension must drop them.
    return (
        "items",
        200,
        [("ETag", '"1"'), ("Access-Control-Allow-Origin", "*"), ("Vary", "Accept-Encoding")],
    )


@app.route("/admin", methods=["POST"])
def admin() -> str:
    return "admin"


@app.route("/error")
def error() -> str:
    raise RuntimeError("this view fails on purpose")
