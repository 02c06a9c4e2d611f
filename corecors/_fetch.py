"""The Fetch standard's tables, each under the URL of the section it comes from.

One copy, read by validation, the compiled tables, the advice that lint
prints, the command's browser model and the probe.
"""

from __future__ import annotations

__all__ = [
    "CHROMIUM_MAX_AGE",
    "FIREFOX_MAX_AGE",
    "FORBIDDEN_METHODS",
    "FORBIDDEN_REQUEST_HEADERS",
    "FORBIDDEN_REQUEST_PREFIXES",
    "FORBIDDEN_RESPONSE_HEADERS",
    "METHOD_OVERRIDE_HEADERS",
    "NORMALISED_METHODS",
    "SAFELISTED_CONTENT_TYPES",
    "SAFELISTED_METHODS",
    "SAFELISTED_RESPONSE_HEADERS",
    "UNSAFE_BYTES",
    "is_forbidden_request_header",
]

# https://fetch.spec.whatwg.org/#cors-safelisted-method
# A browser that asks about one of these needs no Access-Control-Allow-Methods.
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})

# https://fetch.spec.whatwg.org/#concept-method-normalize
# Browsers upper-case these six methods before sending them, so a lower-case
# entry could never match; every other method is sent as the script wrote it.
NORMALISED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})

# https://fetch.spec.whatwg.org/#forbidden-method
# fetch() throws a TypeError for these: no browser ever sends them.
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})

# https://fetch.spec.whatwg.org/#forbidden-request-header
# A script cannot set these (the browser sets or drops them), nor any name
# that starts with one of the prefixes.
FORBIDDEN_REQUEST_HEADERS = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
FORBIDDEN_REQUEST_PREFIXES = ("proxy-", "sec-")
# ... and these, when one of the comma-separated methods in the value is a
# forbidden method.
METHOD_OVERRIDE_HEADERS = frozenset(
    {"x-http-method", "x-http-method-override", "x-method-override"}
)

# https://fetch.spec.whatwg.org/#cors-safelisted-response-header-name
# Every script can read these without Access-Control-Expose-Headers.
SAFELISTED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)

# https://fetch.spec.whatwg.org/#forbidden-response-header-name
# Never exposed to a script, whatever Access-Control-Expose-Headers says.
FORBIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})

# https://fetch.spec.whatwg.org/#cors-unsafe-request-header-byte
UNSAFE_BYTES = frozenset([chr(c) for c in range(0x20) if c != 0x09] + list('"():<>?@[\\]{}\x7f'))

# https://fetch.spec.whatwg.org/#cors-safelisted-request-header ("Content-Type")
SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)

# https://fetch.spec.whatwg.org/#http-access-control-max-age
# Browsers cap a preflight's cache lifetime whatever the server says:
# Chromium at two hours (kMaxPreflightCacheAge), Firefox at 24 hours.
CHROMIUM_MAX_AGE = 7200
FIREFOX_MAX_AGE = 86400


def is_forbidden_request_header(name: str) -> bool:
    """Fetch, "forbidden request-header", by name.

    >>> is_forbidden_request_header("Sec-Fetch-Mode"), is_forbidden_request_header("X-A")
    (True, False)
    """
    lname = name.lower()
    return lname in FORBIDDEN_REQUEST_HEADERS or lname.startswith(FORBIDDEN_REQUEST_PREFIXES)
