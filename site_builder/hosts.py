"""Which Host names a local server answers: the defence against DNS rebinding.

A page on another site can make the browser resolve its own domain name to
127.0.0.1 and then read the preview as if it were that site. The browser still
sends the foreign name in the Host header (and in the Origin of a websocket), so
the server answers only names that cannot be someone else's: IP addresses,
`localhost` and its subdomains, and the host it was told to listen on.
"""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def host_name(header: str) -> str:
    """Return the name part of a Host header ("[::1]:8000" → "::1", "Example.org:80" → "example.org")."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def allowed_host(header: str | None, configured: str) -> bool:
    """Return whether a request's Host header names this machine as only it can be named."""
    if not header:
        return False
    name = host_name(header).rstrip(".")
    if not name:
        return False
    try:
        ipaddress.ip_address(name)
        return True  # a literal address is not a name that DNS could rebind
    except ValueError:
        pass
    return name == "localhost" or name.endswith(".localhost") or name == host_name(configured).rstrip(".")


def allowed_origin(origin: str | None, configured: str) -> bool:
    """Return whether a websocket's Origin is a page of this server (or no browser page at all)."""
    if not origin:
        return True  # not sent by browsers' pages; a page of another site always sends one
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return False
    return bool(netloc) and allowed_host(netloc, configured)
