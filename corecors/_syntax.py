"""Parsing of the few grammars CORS needs: tokens, origins, origin patterns.

Everything here runs when a :class:`~corecors.Config` is built, except the
compiled ``ORIGIN_VALUE`` check, which guards the decision's slow path.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import NamedTuple

from ._errors import ConfigError

# RFC 9110, 5.6.2:  token = 1*tchar
#   tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
#           "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

# The shape of an origin as a browser serialises it (Fetch, "serialization
# of an origin"): lower-case scheme and host, an optional port, nothing else;
# or the opaque origin "null". Checked before any pattern or regex sees a
# request's Origin, so no CR, LF, comma or space can ever be reflected.
# Its groups are the scheme, the host and the port (None when absent; all
# three None for "null"), so that a match is parsed once.
ORIGIN_VALUE = re.compile(
    r"null|([a-z][a-z0-9+.\-]*)://(\[[0-9a-f:.]+\]|[a-z0-9_.~\-]+)(?::([0-9]{1,5}))?"
)

# Ports 1-65535 without leading zeros, for "any port" patterns.
_PORT = (
    r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}"
    r"|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
)
# One DNS label as browsers serialise it (underscores occur in the wild).
_LABEL = r"[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?"
# The same labels, dot-separated, checked at request time: runs of label
# characters joined by hyphens, so that no label starts or ends with one.
# Without _LABEL's counted repeat it is about three times faster; the
# 63-character bound is checked apart (see _origins.subdomains_ok).
# tests/core/test_origins.py holds the two to the same answers.
LABELS_UNBOUNDED = re.compile(r"[a-z0-9_]+(?:-+[a-z0-9_]+)*(?:\.[a-z0-9_]+(?:-+[a-z0-9_]+)*)*")
MAX_LABEL_LENGTH = 63
_HOST_CHARS = re.compile(r"[a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*\.?")

DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}

# Fetch, "serialization of an origin": these schemes make opaque origins,
# which browsers send as "null", so an entry with one of them never matches.
OPAQUE_SCHEMES = frozenset({"data", "javascript", "file", "about", "blob"})

# The IPv4 forms the URL parser accepts but no browser serialises: a number
# with a leading 0 or 0x, or fewer than four parts ('127.1', '2130706433').
_IPV4_PART = re.compile(r"(?:0[xX][0-9a-fA-F]*|[0-9]+)")


def _odd_ipv4(host: str) -> str | None:
    """The dotted-decimal form of *host* if it is an IPv4 address written in a
    form browsers never send (octal, hex, integer, fewer than four parts)."""
    parts = host.split(".")
    if parts and parts[-1] == "":
        parts.pop()
    if not parts or len(parts) > 4 or not all(_IPV4_PART.fullmatch(p) for p in parts):
        return None
    try:
        numbers = [
            int(p, 16) if p[:2].lower() == "0x" else int(p, 8 if p[0] == "0" and len(p) > 1 else 10)
            for p in parts
        ]
    except ValueError:  # '08' is not octal
        return None
    if len(parts) == 4 and all(str(n) == p for n, p in zip(numbers, parts, strict=True)):
        return None  # already dotted decimal
    last_room = 256 ** (5 - len(numbers))
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= last_room:
        return None
    value = 0
    for n in numbers[:-1]:
        value = value * 256 + n
    value = value * last_room + numbers[-1]
    return ".".join(str((value >> shift) & 255) for shift in (24, 16, 8, 0))


def uts46_host(host: str) -> str:
    """*host* as browsers serialise it (UTS 46 non-transitional: NFKC mapping,
    lower case, ideographic full stops as dots, then punycode per label).

    >>> uts46_host("ａｐｐ.example.com"), uts46_host("straße.de")
    ('app.example.com', 'xn--strae-oqa.de')
    """
    mapped = unicodedata.normalize("NFKC", host).lower()
    for dot in "\u3002\uff0e\uff61":
        mapped = mapped.replace(dot, ".")
    return ".".join(
        label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        for label in mapped.split(".")
    )


def article(noun: str) -> str:
    """*noun* with its indefinite article: 'an int', 'a str'."""
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def is_token(value: str) -> bool:
    """Whether *value* is an RFC 9110 token (a method or header name)."""
    return TOKEN.fullmatch(value) is not None


def is_loopback_host(host: str) -> bool:
    """localhost, *.localhost, 127.0.0.0/8 and [::1]: hosts no stranger can own."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    if host.startswith("["):
        return host == "[::1]"
    try:
        return ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        return False


class Origin(NamedTuple):
    """A configured origin or origin pattern, split into its parts."""

    scheme: str
    host: str  # lower case; IPv6 in brackets; for a pattern, without "*."
    port: str  # "" for the scheme's default, "*" for any port
    any_subdomain: bool

    def serialise(self) -> str:
        sub = "*." if self.any_subdomain else ""
        port = f":{self.port}" if self.port else ""
        return f"{self.scheme}://{sub}{self.host}{port}"

    def regex(self) -> str:
        """The regular expression (for ``fullmatch``) this pattern stands for."""
        sub = f"(?:{_LABEL}\\.)+" if self.any_subdomain else ""
        if self.port == "*":
            port = f"(?::{_PORT})?"
        elif self.port:
            port = re.escape(":" + self.port)
        else:
            port = ""
        return re.escape(f"{self.scheme}://") + sub + re.escape(self.host) + port


# An exact origin already written as browsers send it: the common entry, and
# the one a config of 100,000 tenant origins is made of. Its last label
# starts with a letter, so it is no IPv4 address in any form; the port has
# no leading zero and is in range. parse_origin gives such an entry exactly
# what the full parse would (tests/core/test_hardening.py checks that).
_CANONICAL = re.compile(rf"(https?)://((?:[a-z0-9_\-]+\.)*[a-z][a-z0-9_\-]*)(?::({_PORT}))?")


def parse_origin(option: str, entry: object, *, pattern: bool) -> Origin:
    """Parse one configured origin (or, with *pattern*, a safe origin pattern).

    Raises :class:`ConfigError` naming *option* with the fix for every way an
    entry can fail to be what a browser sends.
    """
    if not pattern and type(entry) is str:
        canonical = _CANONICAL.fullmatch(entry)
        if canonical is not None:
            scheme, host, port = canonical.groups()
            if port is None:
                return Origin(scheme, host, "", False)
            if DEFAULT_PORTS[scheme] != port:
                return Origin(scheme, host, port, False)
    return _parse_origin(option, entry, pattern=pattern)


def _parse_origin(option: str, entry: object, *, pattern: bool) -> Origin:
    """:func:`parse_origin`, every step spelt out."""
    if not isinstance(entry, str):
        raise ConfigError.one(
            "CC005",
            option,
            entry,
            f"is {article(type(entry).__name__)}, not a string",
            "give each origin as a string such as 'https://app.example.com'",
        )
    if entry == "":
        raise ConfigError.one("CC005", option, entry, "is empty", "remove the empty entry")
    if entry.strip() != entry or any(c in entry for c in " \t\r\n\x00,"):
        raise ConfigError.one(
            "CC005",
            option,
            entry,
            "contains whitespace, a comma or a control character",
            "give one origin per entry, with no spaces, such as 'https://app.example.com'",
        )
    if entry.lower() == "null":
        raise ConfigError.one(
            "CC005",
            option,
            entry,
            "is the opaque origin, which any sandboxed iframe or local file can send",
            "list the real origins of your pages; if anonymous access from anywhere "
            "is what you want, use '*' without credentials",
        )
    scheme, sep, rest = entry.partition("://")
    if not sep or not scheme:
        raise ConfigError.one(
            "CC005",
            option,
            entry,
            "has no scheme",
            f"write the scheme too, such as 'https://{entry.lstrip('/')}'",
        )
    scheme = scheme.lower()
    if not re.fullmatch(r"[a-z][a-z0-9+.\-]*", scheme):
        raise ConfigError.one("CC005", option, entry, "has an invalid scheme", "use http or https")
    if scheme in OPAQUE_SCHEMES:
        raise ConfigError.one(
            "CC005",
            option,
            entry,
            f"has the scheme {scheme!r}, whose pages have an opaque origin that browsers "
            "send as 'null', so it never matches",
            "list the http or https origin of the page that makes the requests",
        )
    cuts = [i for i in (rest.find(c) for c in "/?#") if i != -1]
    if cuts:
        cut = min(cuts)
        what = {"/": "a path", "?": "a query", "#": "a fragment"}[rest[cut]]
        raise ConfigError.one(
            "CC005",
            option,
            entry,
            f"has {what}, but an origin is only scheme, host and port",
            f"write '{scheme}://{rest[:cut]}' (browsers never send a path or a trailing slash)",
        )
    if "@" in rest:
        raise ConfigError.one(
            "CC005", option, entry, "has user information", "remove everything up to the '@'"
        )
    if not rest.isascii():
        # Browsers map hosts per UTS 46 (non-transitional): 'straße.de' is
        # 'xn--strae-oqa.de' and a full-width 'ａｐｐ' is 'app'. Python's "idna"
        # codec is IDNA 2003, which would suggest 'strasse.de', somebody else's.
        suggestion = uts46_host(rest)
        raise ConfigError.one(
            "CC005",
            option,
            entry,
            "has a non-ASCII host, but browsers send the punycode form",
            f"write {scheme}://{suggestion}",
        )
    if rest.startswith("["):
        end = rest.find("]")
        host, after = (rest[: end + 1], rest[end + 1 :]) if end != -1 else (rest, "")
        if end == -1 or (after and not after.startswith(":")):
            raise ConfigError.one(
                "CC005", option, entry, "has a malformed IPv6 host", "write it as [::1]"
            )
        port = after[1:] if after else ""
        if "%" in host:
            raise ConfigError.one(
                "CC005",
                option,
                entry,
                "has an IPv6 zone identifier, which browsers never send",
                "remove everything from the '%' to the ']'",
            )
        try:
            host = f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            raise ConfigError.one(
                "CC005", option, entry, "has an invalid IPv6 address", "write it as [::1]"
            ) from None
        had_port = bool(after)
    else:
        host, colon, port = rest.partition(":")
        had_port = bool(colon)
        host = host.lower()
    any_subdomain = False
    if pattern and host.startswith("*."):
        any_subdomain = True
        host = host[2:]
    if not host:
        raise ConfigError.one(
            "CC005", option, entry, "has no host", "write a host, such as example.com"
        )
    if not host.startswith("[") and not _HOST_CHARS.fullmatch(host):
        if "*" in host:
            raise ConfigError.one(
                "CC005",
                option,
                entry,
                "uses '*' where corecors cannot match it safely",
                "'*' may only stand as the first label ('https://*.example.com') or as "
                "the port ('http://localhost:*'); for anything else use "
                "allow_origin_regexes with a whole-value regex",
            )
        raise ConfigError.one(
            "CC005",
            option,
            entry,
            "has characters that cannot appear in a host",
            "use letters, digits, '-' and '.' only",
        )
    dotted = None if host.startswith("[") else _odd_ipv4(host)
    if dotted is not None:
        raise ConfigError.one(
            "CC005",
            option,
            entry,
            "writes an IPv4 address in a form browsers never send (they serialise "
            "four decimal parts)",
            f"write {scheme}://{dotted}" + (f":{port}" if had_port else ""),
        )
    if had_port:
        if pattern and port == "*":
            pass
        elif not port.isdigit() or not port.isascii():
            raise ConfigError.one(
                "CC005",
                option,
                entry,
                "has an invalid port",
                "write a port number from 1 to 65535, or leave it out",
            )
        elif not 0 < int(port) <= 65535:
            raise ConfigError.one(
                "CC005",
                option,
                entry,
                "has a port outside 1-65535",
                "write a port number from 1 to 65535, or leave it out",
            )
        elif str(int(port)) != port:
            raise ConfigError.one(
                "CC005",
                option,
                entry,
                "has a port with leading zeros",
                f"write :{int(port)} (browsers send the port without them)",
            )
        elif DEFAULT_PORTS.get(scheme) == port:
            raise ConfigError.one(
                "CC005",
                option,
                entry,
                f"names {scheme}'s default port, which browsers never send",
                f"write {scheme}://{'*.' if any_subdomain else ''}{host} without :{port}",
            )
    if any_subdomain:
        _check_subdomain_base(option, entry, host)
    return Origin(scheme, host, port, any_subdomain)


def _check_subdomain_base(option: str, entry: str, base: str) -> None:
    labels = base.rstrip(".").split(".")
    is_ip = base.startswith("[") or all(label.isdigit() for label in labels)
    if is_ip:
        raise ConfigError.one(
            "CC005",
            option,
            entry,
            "puts a subdomain wildcard on an IP address",
            "list the exact origin instead",
        )
