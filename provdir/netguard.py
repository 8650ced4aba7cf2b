"""Private-network guard: the crawler refuses loopback, private and link-local addresses.

Seeds may come from people we do not control; without this guard a seed or a redirect could
point the crawler at cloud metadata (169.254.169.254) or services on the crawl machine. The
check runs on the *resolved* address, so a public name that resolves to 127.0.0.1 is refused
too. ``--allow-private-networks`` (setting ``PROVDIR_ALLOW_PRIVATE_NETWORKS``) lifts it, which
the demo and the tests need because they serve sites on 127.0.0.x.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from functools import lru_cache

Resolver = Callable[[str], list[str]]


def system_resolver(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def refusal(host: str, resolver: Resolver = system_resolver) -> str:
    """Why ``host`` must not be fetched ('' when it may be): it is, or resolves to, a private address."""
    host = host.strip("[]")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = resolver(host)
        except OSError:
            return ""  # unresolvable: the download fails on its own and is reported as a DNS error
    private = [a for a in addresses if is_private(a)]
    if private:
        return f"{host} resolves to a private or loopback address ({', '.join(private)})"
    return ""


@lru_cache(maxsize=4096)
def cached_refusal(host: str) -> str:
    return refusal(host)
