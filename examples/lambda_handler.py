"""corecors in an AWS Lambda function behind API Gateway (proxy integration).

Both event formats are understood:

- REST APIs (payload format 1.0): ``httpMethod``, ``path``, ``headers`` and
  ``multiValueHeaders`` (which keeps repeated header lines apart);
- HTTP APIs (payload format 2.0): ``version: "2.0"``,
  ``requestContext.http.method``, ``rawPath``, ``headers`` (repeated lines
  joined with commas) and ``cookies``.

Wrap your own handler with :func:`with_cors`::

    from corecors import Config
    from lambda_handler import with_cors

    def my_handler(event, context):
        return {"statusCode": 200, "body": "hello"}

    handler = with_cors(my_handler, Config(allow_origins=["https://app.example.com"]))

Preflights corecors answers never reach your handler. Every other response
gets corecors's CORS headers in place of any your handler set, and its
``Vary`` merged. This module's own ``handler`` reads the Config options as a
JSON object from the environment variable ``CORECORS_CONFIG_JSON`` once, at
cold start.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from corecors import Config
from corecors.adapters.hook import apply_forward, handle

Event = Mapping[str, Any]
Handler = Callable[[Event, Any], Any]


def is_v2(event: Event) -> bool:
    """HTTP API payload format 2.0 (else REST API, format 1.0)."""
    return event.get("version") == "2.0"


def hook_request(event: Event) -> dict[str, Any]:
    """The dict :func:`corecors.adapters.hook.handle` takes, from an API Gateway event."""
    if is_v2(event):
        http = _mapping(_mapping(event.get("requestContext")).get("http"))
        return {"method": http.get("method"), "path": event.get("rawPath"),
                "headers": event.get("headers")}
    # multiValueHeaders keeps repeated lines apart; headers keeps only the last.
    headers = event.get("multiValueHeaders") or event.get("headers")
    return {"method": event.get("httpMethod"), "path": event.get("path"), "headers": headers}


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def response_headers(response: Mapping[str, Any], v2: bool) -> list[tuple[str, str]]:
    """A proxy response's headers as pairs, merged as API Gateway merges them.

    Format 1.0 merges ``multiValueHeaders`` with ``headers`` (a pair in both
    counts once); format 2.0 reads ``headers`` only.
    """
    pairs: list[tuple[str, str]] = []
    multi = {} if v2 else _mapping(response.get("multiValueHeaders"))
    for name, values in multi.items():
        pairs.extend((name, str(v)) for v in values)
    seen = {(n.lower(), v) for n, v in pairs}
    for name, value in _mapping(response.get("headers")).items():
        if (name.lower(), str(value)) not in seen:
            pairs.append((name, str(value)))
    return pairs


def _grouped(pairs: list[list[str]]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for name, value in pairs:
        key = spelling.setdefault(name.lower(), name)
        groups.setdefault(key, []).append(value)
    return groups


def _as_v2_response(response: Any) -> dict[str, Any]:
    # HTTP APIs accept any JSON value and wrap it in a 200 themselves.
    if isinstance(response, dict) and "statusCode" in response:
        return dict(response)
    body = response if isinstance(response, str) else json.dumps(response)
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": body}


def with_cors(app: Handler, config: Config) -> Handler:
    """Wrap the Lambda handler *app* with the CORS policy *config*."""

    def handler(event: Event, context: Any) -> Any:
        result = handle(hook_request(event), config)
        if result["action"] == "respond":
            return {
                "statusCode": result["status"],
                "headers": dict(result["headers"]),  # corecors's names are unique
                "body": "",
                "isBase64Encoded": False,
            }
        response = app(event, context)
        if result["action"] == "pass":
            return response
        v2 = is_v2(event)
        if v2:
            response = _as_v2_response(response)
        elif not isinstance(response, dict):
            return response  # not a proxy response; API Gateway will refuse it anyway
        else:
            response = dict(response)
        grouped = _grouped(apply_forward(result, response_headers(response, v2)))
        if v2:
            # Format 2.0 has one value per name and no multiValueHeaders;
            # cookies stay in "cookies".
            response.pop("multiValueHeaders", None)
            response["headers"] = {name: ", ".join(values) for name, values in grouped.items()}
        else:
            response.pop("headers", None)
            response["multiValueHeaders"] = grouped
        return response

    return handler


def hello(event: Event, context: Any) -> dict[str, Any]:
    """The example's own business: say hello, with a header or two of its own."""
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "Vary": "Accept-Encoding"},
        "body": json.dumps({"hello": "world"}),
    }


CONFIG = Config(**json.loads(os.environ.get("CORECORS_CONFIG_JSON") or json.dumps({
    "allow_origins": ["https://app.example.com"],
    "allow_methods": ["GET", "POST", "PUT"],
    "allow_headers": ["Content-Type", "Authorization"],
})))

handler = with_cors(hello, CONFIG)
