"""Where a webhook may go: not to this machine or the private network around it (SSRF).

A facilitator types the URL, but a URL pointing at 127.0.0.1:6379, the cloud's metadata
address (169.254.169.254) or a database on the private network would let whoever holds that
role make the server send requests inside the network and read the answers in the delivery
log. So every address the host name resolves to must be public, when the endpoint is saved
and again at every delivery (DNS can change in between), and a redirect is not followed.
``STOPLINE_WEBHOOK_ALLOW_PRIVATE`` lifts the rule for receivers inside a private network
(self-hosted chat, an on-premise AI platform); it is off by default.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings


class AddressRefused(ValueError):
    """The URL's host is not a public internet address."""


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def url_check(url: str) -> None:
    """Raise AddressRefused unless every address the URL's host resolves to is public (or
    private addresses are allowed). A host that does not resolve is refused too."""
    if settings.STOPLINE_WEBHOOK_ALLOW_PRIVATE:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError) as exc:
        raise AddressRefused(f"The host {host!r} cannot be resolved.") from exc
    refused = sorted({info[4][0] for info in found if _private(info[4][0])})
    if refused:
        raise AddressRefused(
            f"The host {host!r} is a private, loopback or reserved address "
            f"({', '.join(refused)}): webhooks go to public addresses only."
        )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect answer is the receiver's answer: following it could lead anywhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, PLR0913
        return None


OPENER = urllib.request.build_opener(_NoRedirects)
