"""The client of a request: the TCP peer, or what a trusted proxy says it is.

Which proxies are trusted is a setting (:func:`geo.config.auth.parse_proxies`).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

__all__ = [
    "client_address",
    "is_trusted_proxy",
]

def client_address(peer: str, trusted: Sequence[str] = (), forwarded_for: Sequence[str] = (),
                   real_ip: str = "") -> str:
    """Return the client of a request: the TCP peer, unless the peer is a trusted proxy.

    Only when ``peer`` lies in ``trusted`` (:func:`parse_proxies`) are its headers read:
    the right-most address of ``X-Forwarded-For`` (all its headers, in order) that is not
    itself a trusted proxy — each proxy appends the address it saw, so what lies further
    left was written by the client and proves nothing — else ``X-Real-IP``. Anything that
    is not an IP address ends the walk at the last trusted hop.

    >>> client_address("203.0.113.5", (), ["6.6.6.6"])      # not a proxy: headers ignored
    '203.0.113.5'
    >>> client_address("127.0.0.1", ("127.0.0.1/32",), ["6.6.6.6, 198.51.100.7"])
    '198.51.100.7'
    >>> client_address("127.0.0.1", ("127.0.0.1/32",), [], "198.51.100.7")
    '198.51.100.7'
    """
    nets = _networks(tuple(trusted))
    here = _ip(peer)
    if here is None or not _within(here, nets):
        return str(here) if here is not None else peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    if not hops:
        real = _ip(real_ip)
        return str(real) if real is not None else str(here)
    for hop in reversed(hops):
        ip = _ip(hop)
        if ip is None:
            break
        here = ip
        if not _within(ip, nets):
            break
    return str(here)


def is_trusted_proxy(peer: str, trusted: Sequence[str]) -> bool:
    """Whether ``peer`` (a TCP peer's address) lies in ``trusted`` (:func:`parse_proxies`).

    >>> is_trusted_proxy("127.0.0.1", ("127.0.0.1/32",)), is_trusted_proxy("::1", ())
    (True, False)
    """
    ip = _ip(peer)
    return ip is not None and _within(ip, _networks(tuple(trusted)))


_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _ip(value: str | None) -> _Address | None:
    """Return the address in a header value (``1.2.3.4``, ``[::1]:80``), or None."""
    text = (value or "").strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped or ip


@functools.lru_cache(maxsize=16)
def _networks(trusted: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network,
                                                 ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def _within(ip: _Address, nets: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
            ) -> bool:
    return any(ip.version == net.version and ip in net for net in nets)


def _address_key(address: str) -> str:
    """Return the attempt key of a client address: an IPv6 client counts by its /64 network.

    One IPv6 customer holds a whole /64 and could try from a fresh address every time.

    >>> _address_key("2001:db8::1"), _address_key("@10.0.0.9")
    ('@2001:db8::/64', '@10.0.0.9')
    """
    address = address[1:] if address.startswith("@") else address
    ip = _ip(address)
    if ip is not None and ip.version == 6:
        return "@" + str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return "@" + (str(ip) if ip is not None else address)
