"""A small Flask API behind corecors: an app policy, a blueprint, one view of its own.

    flask --app examples/flask_app.py run
    gunicorn --chdir examples flask_app:app

Then, from another terminal::

    curl -i -X OPTIONS http://127.0.0.1:5000/api/items/1 \\
         -H 'Origin: https://app.example.com' -H 'Access-Control-Request-Method: PUT'

The app-level policy may also come from the environment:
``FLASK_CORECORS_ALLOW_ORIGINS="https://app.example.com"`` is read by
``app.config.from_prefixed_env()`` as ``CORECORS_ALLOW_ORIGINS``; keyword
options given to ``CORS`` replace the keys they name.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, request

from corecors.adapters.flask import CORS, cross_origin, current_decision

# The app-level policy, shared by every app the factory makes.
cors = CORS(
    allow_origins=["https://app.example.com"],
    allow_methods=["GET", "POST", "PUT"],
    allow_headers=["Content-Type", "Authorization"],
    allow_credentials=True,
)

api = Blueprint("api", __name__, url_prefix="/api")
public = Blueprint("public", __name__, url_prefix="/public")
# Anybody may read the public pages, without credentials.
cors.blueprint(public, allow_origins="*")

ITEMS = {1: "first", 2: "second"}


@api.get("/items/<int:item_id>")
def get_item(item_id: int) -> dict[str, Any]:
    if item_id not in ITEMS:
        abort(404)  # the 404 carries the same CORS headers
    return {"id": item_id, "name": ITEMS[item_id]}


@api.put("/items/<int:item_id>")
def put_item(item_id: int) -> dict[str, Any]:
    decision = current_decision()
    return {"id": item_id, "cors": decision.kind if decision else None}


@api.delete("/items/<int:item_id>")
@cross_origin(
    allow_origins=["https://admin.example.com"],
    allow_methods=["DELETE"],
    allow_headers=["Authorization"],
    allow_credentials=True,
)
def delete_item(item_id: int) -> tuple[str, int]:
    if request.headers.get("Authorization") != "Bearer admin":
        abort(401)
    ITEMS.pop(item_id, None)
    return "", 204


@public.get("/status")
def status() -> dict[str, str]:
    return {"status": "ok"}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_prefixed_env()
    if config:
        app.config.update(config)
    app.register_blueprint(api)
    app.register_blueprint(public)
    cors.init_app(app)
    return app


app = create_app()

if __name__ == "__main__":
    app.run()
