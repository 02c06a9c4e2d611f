"""The Fetch standard's tables, each under the URL of the section it comes from."""

from __future__ import annotations

__all__ = ["NORMALISED_METHODS", "SAFELISTED_METHODS"]

# https://fetch.spec.whatwg.org/#cors-safelisted-method
# A browser that asks about one of these needs no Access-Control-Allow-Methods.
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})

# https://fetch.spec.whatwg.org/#concept-method-normalize
# Browsers upper-case these six methods before sending them, so a lower-case
# entry could never match.
NORMALISED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
