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


_DEFAULT_PORTS = {"http": 80, "https": 443}


def same_origin(origin: str | None, host_header: str | None, scheme: str, configured: str) -> bool:
    """Return whether a request's Origin is exactly the origin this request reached: scheme, host and port.

    `allowed_origin` takes any page on this machine; a state-changing request must come
    from this server's own pages, not from another local server (another port) or scheme.
    """
    if not origin:
        return True  # not sent by browsers' pages; a page of another site always sends one
    if not allowed_origin(origin, configured) or not host_header:
        return False
    try:
        sent, reached = urlsplit(origin), urlsplit(f"//{host_header.strip()}")
        sent_port, reached_port = sent.port, reached.port
    except ValueError:  # a port that is not a number, a bracket left open
        return False
    default = _DEFAULT_PORTS.get(scheme)
    # An origin is scheme://host[:port], nothing more (RFC 6454); the Host header may leave the default port unsaid.
    return (f"{sent.scheme}://{sent.netloc}" == origin.strip() and sent.scheme.lower() == scheme.lower()
            and sent.hostname is not None and sent.hostname == reached.hostname
            and (sent_port or default) == (reached_port or default))
