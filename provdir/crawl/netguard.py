"""Private-network guard: the crawler refuses loopback, private and link-local addresses.

Seeds may come from people we do not control; without this guard a seed, a redirect or a link
could point the crawler at cloud metadata (169.254.169.254), the crawl machine's own services
(127.0.0.1, ::1) or the office network (10/8, 172.16/12, 192.168/16, fc00::/7). The check runs on
the *resolved* address, so a public name that resolves to 127.0.0.1 is refused too, and so are
the other spellings of an address (``127.1``, ``2130706433``, ``0x7f.0.0.1``, ``::ffff:127.0.0.1``,
6to4 and NAT64 wrappings of a private IPv4 address).

Two places enforce it:

- :class:`GuardedResolver` is the Twisted name resolver the crawl connects through (setting
  ``TWISTED_DNS_RESOLVER``). It resolves each host once per run, *pins* the answer (no DNS
  rebinding between check and connect) and hands the connection no address at all when any
  address of the host is private: nothing ever connects to a refused address.
- :class:`provdir.crawl.middlewares.PrivateNetworkGuard` asks the same resolver before each request,
  so a refusal is reported as such (site error, stats ``netguard/refused``) instead of as a DNS
  failure, and is not retried.

``--allow-private-networks`` (setting ``PROVDIR_ALLOW_PRIVATE_NETWORKS``) lifts the guard, which
the demo and the tests need because they serve sites on 127.0.0.x.
``PROVDIR_ALLOWED_NETWORKS`` lists networks treated as public (an internal mirror; the tests
use it to stand a "public" site on loopback). ``PROVDIR_RESOLVER_OVERRIDES`` maps host names to
addresses like ``/etc/hosts`` (tests use it so that no real DNS is needed). Both are also read
from environment variables of the same name (JSON), so that the CLI's seed check, which runs
before Scrapy's settings exist, applies the same policy. Names under the reserved ``.invalid``
TLD (RFC 6761) never resolve and are never sent to a DNS server.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IHostnameResolver, IHostResolution, IResolutionReceiver
from twisted.internet.threads import deferToThreadPool
from zope.interface import implementer

log = logging.getLogger(__name__)

Resolver = Callable[[str], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ENV_OVERRIDES = "PROVDIR_RESOLVER_OVERRIDES"
ENV_ALLOWED_NETWORKS = "PROVDIR_ALLOWED_NETWORKS"

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


# -- which addresses are private -------------------------------------------------------------
def parse_address(text: str) -> IPAddress | None:
    """An IP address written as a URL host literal (``[::1]``, ``127.0.0.1``), else None."""
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address stands for (mapped, 6to4, NAT64, IPv4-compatible).

    Teredo (2001::/32) needs no unwrapping: Python counts all of 2001::/23 as not global.
    """
    out = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        out.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return out


def is_private(address: str | IPAddress) -> bool:
    """True unless ``address`` is a globally routable unicast address."""
    ip = address if not isinstance(address, str) else ipaddress.ip_address(address.split("%", 1)[0].strip("[]"))
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return True
        if any(is_private(v4) for v4 in _embedded_ipv4(ip)):
            return True
        if ip in _IPV4_COMPATIBLE or ip.is_site_local:
            return True
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_reserved
        or ip.is_unspecified
    )


# -- the policy ------------------------------------------------------------------------------
@dataclass(frozen=True)
class NetPolicy:
    """Which addresses the crawl may connect to, and how names resolve."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    overrides: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Any) -> NetPolicy:
        return cls(
            allow_private=settings.getbool("PROVDIR_ALLOW_PRIVATE_NETWORKS"),
            allowed_networks=parse_networks(_loads(settings.get(ENV_ALLOWED_NETWORKS), ENV_ALLOWED_NETWORKS) or []),
            overrides=parse_overrides(_loads(settings.get(ENV_OVERRIDES), ENV_OVERRIDES) or {}),
        )

    @classmethod
    def from_env(cls, allow_private: bool = False) -> NetPolicy:
        return cls(
            allow_private=allow_private,
            allowed_networks=parse_networks(env_allowed_networks()),
            overrides=parse_overrides(env_overrides()),
        )

    def refused_addresses(self, addresses: Iterable[str]) -> list[str]:
        """The addresses among ``addresses`` the crawl must not connect to."""
        if self.allow_private:
            return []
        out = []
        for a in addresses:
            ip = ipaddress.ip_address(a.split("%", 1)[0])
            if is_private(a) and not any(ip in net for net in self.allowed_networks if ip.version == net.version):
                out.append(a)
        return out

    def refusal(self, host: str, addresses: Iterable[str]) -> str:
        """Why ``host`` must not be fetched ('' when it may be), given what it resolved to."""
        private = self.refused_addresses(addresses)
        if not private:
            return ""
        literal = parse_address(host)
        if literal is not None and str(literal) == private[0]:
            return f"{host} is a private, loopback or link-local address"
        return f"{host} resolves to a private, loopback or link-local address ({', '.join(private)})"


def _loads(value: Any, name: str) -> Any:
    if isinstance(value, str):
        value = value.strip()
        try:
            return json.loads(value) if value else None
        except ValueError:
            raise ValueError(f"{name} must be JSON, got {value[:80]!r}") from None
    return value


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(str(v), strict=False) for v in values)
    except (TypeError, ValueError) as exc:
        raise ValueError(f'{ENV_ALLOWED_NETWORKS} must list networks like ["10.1.2.0/24"]: {exc}') from None


def parse_overrides(values: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    try:
        for host, addrs in dict(values).items():
            addrs = [addrs] if isinstance(addrs, str) else list(addrs)
            out[str(host).lower().rstrip(".")] = tuple(str(ipaddress.ip_address(a)) for a in addrs)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f'{ENV_OVERRIDES} must map host names to addresses like {{"host.example": "192.0.2.1"}}: {exc}'
        ) from None
    return out


def env_overrides() -> dict[str, Any]:
    """``PROVDIR_RESOLVER_OVERRIDES`` from the environment: JSON ``{"host": "address"}``."""
    value = _loads(os.environ.get(ENV_OVERRIDES, ""), ENV_OVERRIDES) or {}
    parse_overrides(value)  # fail now, naming the variable, rather than mid-crawl
    return value


def env_allowed_networks() -> list[str]:
    """``PROVDIR_ALLOWED_NETWORKS`` from the environment: JSON ``["10.1.2.0/24"]``."""
    value = _loads(os.environ.get(ENV_ALLOWED_NETWORKS, ""), ENV_ALLOWED_NETWORKS) or []
    parse_networks(value)
    return value


def is_invalid_tld(host: str) -> bool:
    """RFC 6761: names under ``.invalid`` never resolve; no DNS server is asked."""
    return host.lower().rstrip(".").endswith(".invalid") or host.lower().rstrip(".") == "invalid"


# -- blocking resolution (the CLI's seed check, before the crawl starts) ---------------------
def system_resolver(host: str, policy: NetPolicy | None = None) -> list[str]:
    policy = policy or NetPolicy.from_env()
    key = host.lower().rstrip(".")
    if key in policy.overrides:
        return list(policy.overrides[key])
    if is_invalid_tld(key):
        raise socket.gaierror(socket.EAI_NONAME, f"{host}: reserved .invalid name")
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def refusal(host: str, resolver: Resolver | None = None, policy: NetPolicy | None = None) -> str:
    """Why ``host`` must not be fetched ('' when it may be): it is, or resolves to, a private address."""
    policy = policy or NetPolicy.from_env()
    host = host.strip("[]")
    literal = parse_address(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolver(host) if resolver else system_resolver(host, policy)
        except (OSError, UnicodeError):
            return ""  # unresolvable: the download fails on its own and is reported as a DNS error
    return policy.refusal(host, addresses)


# -- the resolver the crawl connects through -------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    host: str
    addresses: tuple[str, ...]
    refused: str = ""  # why the host is refused, '' when it may be fetched


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:  # the lookup runs to completion; its answer is simply not used
        pass


@implementer(IHostnameResolver)
class GuardedResolver:
    """Twisted name resolver that refuses private addresses after resolution and pins answers.

    Installed with ``TWISTED_DNS_RESOLVER = "provdir.crawl.netguard.GuardedResolver"``. Each host is
    resolved once per run (``getaddrinfo`` in the reactor's thread pool, bounded by
    ``DNS_TIMEOUT``); the connection is handed exactly the addresses that were checked. A host
    with any refused address gets no address at all, so the connection fails without a packet
    being sent to it.
    """

    def __init__(self, reactor: Any, policy: NetPolicy, timeout: float = 10.0) -> None:
        self.reactor = reactor
        self.policy = policy
        self.timeout = timeout
        self._answers: dict[str, tuple[str, ...]] = {}
        self._pending: dict[str, list[Deferred[tuple[str, ...]]]] = {}
        self.refused: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        # ``crawler`` is the CrawlerProcess: only its settings are used.
        return cls(reactor, NetPolicy.from_settings(crawler.settings), crawler.settings.getfloat("DNS_TIMEOUT"))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    # Lookup with pinning: one answer per host per run.
    def lookup(self, host: str) -> Deferred[tuple[str, ...]]:
        key = host.lower().rstrip(".").strip("[]")
        literal = parse_address(key)
        if literal is not None:
            return succeed((str(literal),))
        if key in self.policy.overrides:
            return succeed(self.policy.overrides[key])
        if key in self._answers:
            return succeed(self._answers[key])
        if is_invalid_tld(key):
            return fail(DNSLookupError(f"{host}: reserved .invalid name, never resolves"))
        d: Deferred[tuple[str, ...]] = Deferred()
        waiting = self._pending.setdefault(key, [])
        waiting.append(d)
        if len(waiting) == 1:
            self._start_lookup(key)
        return d

    def _start_lookup(self, key: str) -> None:
        def resolve() -> tuple[str, ...]:
            infos = socket.getaddrinfo(key, None, proto=socket.IPPROTO_TCP)
            return tuple(sorted({str(info[4][0]) for info in infos}))

        d = deferToThreadPool(self.reactor, self.reactor.getThreadPool(), resolve)
        if self.timeout > 0:
            d.addTimeout(self.timeout, self.reactor)

        def done(result: Any) -> None:
            waiting = self._pending.pop(key, [])
            if isinstance(result, tuple) and result:
                self._answers[key] = result
                for w in waiting:
                    w.callback(result)
                return
            error = DNSLookupError(f"{key}: {getattr(result, 'value', 'no addresses')}")
            for w in waiting:
                w.errback(error)

        d.addBoth(done)

    def check(self, host: str) -> Deferred[Verdict]:
        """The verdict on ``host``; fails with DNSLookupError when it does not resolve."""

        def judge(addresses: tuple[str, ...]) -> Verdict:
            why = self.policy.refusal(host, addresses)
            if why:
                self.refused[host.lower()] = why
            return Verdict(host, addresses, why)

        return self.lookup(host).addCallback(judge)

    # IHostnameResolver
    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Any = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)

        def deliver(verdict: Verdict) -> None:
            if verdict.refused:
                log.warning("not connecting: %s", verdict.refused)
            else:
                for address in verdict.addresses:
                    cls = IPv6Address if ":" in address else IPv4Address
                    if addressTypes is None or cls in addressTypes:
                        resolutionReceiver.addressResolved(cls("TCP", address, portNumber))
            resolutionReceiver.resolutionComplete()

        def failed(failure: Any) -> None:
            resolutionReceiver.resolutionComplete()  # no address: the endpoint reports a DNS error

        self.check(hostName).addCallbacks(deliver, failed)
        return resolution


def installed_resolver() -> GuardedResolver | None:
    """The GuardedResolver the reactor connects through, if it is installed."""
    from twisted.internet import reactor

    resolver = getattr(reactor, "nameResolver", None)
    return resolver if isinstance(resolver, GuardedResolver) else None
