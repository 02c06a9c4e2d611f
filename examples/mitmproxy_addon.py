"""corecors in front of any HTTP service, as a mitmproxy addon.

    mitmdump --mode reverse:http://127.0.0.1:8000 --listen-host 127.0.0.1 -p 8080 \\
        -s examples/mitmproxy_addon.py --set corecors_config=cors.json

``cors.json`` holds the :class:`corecors.Config` options as a JSON object::

    {"allow_origins": ["https://app.example.com"], "allow_methods": ["GET", "PUT"]}

The option ``corecors_config`` defaults to the environment variable
``CORECORS_CONFIG``. Preflights corecors answers never reach the upstream;
every other response has the upstream's own ``Access-Control-*`` headers
replaced by corecors's and its ``Vary`` merged.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from mitmproxy import ctx, exceptions, http
from mitmproxy.addonmanager import Loader

from corecors import Config, ConfigError
from corecors.adapters.hook import apply_forward, handle

_RESULT = "corecors"


def load_config(path: str) -> Config:
    """Read a JSON object of Config options from *path*."""
    with open(path, encoding="utf-8") as f:
        options = json.load(f)
    if not isinstance(options, dict):
        raise ValueError(f"{path}: expected a JSON object of corecors options")
    return Config(**options)


def _headers(pairs: Sequence[Sequence[str]]) -> http.Headers:
    # mitmproxy keeps header bytes and shows them as UTF-8 with surrogateescape.
    return http.Headers(
        [(n.encode("utf-8", "surrogateescape"), v.encode("utf-8", "surrogateescape"))
         for n, v in pairs]
    )


class CorecorsAddon:
    def __init__(self) -> None:
        self.config: Config | None = None

    def load(self, loader: Loader) -> None:
        loader.add_option(
            name="corecors_config",
            typespec=str,
            default=os.environ.get("CORECORS_CONFIG", ""),
            help="Path to a JSON object of corecors Config options",
        )

    def configure(self, updated: set[str]) -> None:
        if "corecors_config" not in updated:
            return
        path = ctx.options.corecors_config
        if not path:
            raise exceptions.OptionsError(
                "corecors: give the config file with --set corecors_config=PATH "
                "or the CORECORS_CONFIG environment variable"
            )
        try:
            self.config = load_config(path)
        except (OSError, ValueError, TypeError) as exc:  # ConfigError is a ValueError
            kind = "invalid config" if isinstance(exc, ConfigError) else "cannot read config"
            raise exceptions.OptionsError(f"corecors: {kind}: {exc}") from exc

    def request(self, flow: http.HTTPFlow) -> None:
        if self.config is None:
            return
        req = flow.request
        result: dict[str, Any] = handle(
            {"method": req.method, "path": req.path,
             "headers": [[n, v] for n, v in req.headers.items(multi=True)]},
            self.config,
        )
        if result["action"] == "respond":
            # Answered here; the upstream never sees the request.
            flow.response = http.Response.make(result["status"], b"", _headers(result["headers"]))
            if result["status"] == 204:
                # No body and, for a 204, no Content-Length (RFC 9110, 8.6).
                flow.response.headers.pop("content-length", None)
        else:
            flow.metadata[_RESULT] = result

    def response(self, flow: http.HTTPFlow) -> None:
        result = flow.metadata.pop(_RESULT, None)
        if result is None or flow.response is None:
            return
        flow.response.headers = _headers(
            apply_forward(result, flow.response.headers.items(multi=True))
        )


addons = [CorecorsAddon()]
