"""Where warta may connect, and how many requests one host gets at once.

Source and article URLs come from outside (a feed names any link it likes, a redirect can
point anywhere), so a fetch must not become a way into the publisher's own network (SSRF):
:class:`NetworkGuard` refuses every address that is not globally routable — private,
loopback, link-local, multicast, reserved, shared (CGNAT), unspecified — unless the operator
allowed it (``fetch.allow_private``). The check runs when the socket is opened, on the
address actually connected to, so every redirect hop is checked and a DNS answer that changes
between a check and the connection (DNS rebinding) cannot slip through.

:func:`host_slot` bounds concurrent requests per host across the threads of one process, so
several workers polling one publisher's feeds never hammer it.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpcore

from warta.core.errors import ConfigError, FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]


class BlockedAddressError(FetchError):
    """The URL's host is (or resolves to) an address warta may not connect to."""

    def __init__(self, url: str, host: str, address: str, kind: str) -> None:
        self.host = host
        self.address = address
        shown = f"{host} is" if host == address else f"{host} resolves to {address},"
        super().__init__(url, f"refused: {shown} a {kind} address (allow it with "
                              "fetch.allow_private)")


def _resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_kind(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public address ("loopback", "private", ...), or None when it is
    globally routable. IPv4-mapped IPv6 (``::ffff:10.0.0.1``) is judged as the IPv4."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:
        return "non-public"
    return None


@dataclass(frozen=True)
class NetworkGuard:
    """Which non-public addresses are allowed anyway: networks (``10.0.0.0/8``, a single
    ``127.0.0.1``) and host names (``intranet.example``: any address it resolves to).
    The default guard allows none. ``resolver`` is replaceable for tests of DNS answers."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()
    resolver: Resolver = field(default=_resolve, compare=False)

    @classmethod
    def from_setting(cls, value: str | Iterable[str], key: str = "fetch.allow_private"
                     ) -> NetworkGuard:
        """``"127.0.0.1, 10.0.0.0/8, wire.local"`` → a guard. Raises ConfigError naming
        ``key`` for an entry that is neither a network nor a host name."""
        items = value.split(",") if isinstance(value, str) else list(value)
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for raw in (i.strip() for i in items):
            if not raw:
                continue
            try:
                networks.append(ipaddress.ip_network(raw.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            name = raw.lower().rstrip(".")
            if not name or any(c in name for c in "/ :@") or name.startswith("."):
                raise ConfigError(key, f"{raw!r} is neither a network (10.0.0.0/8), an "
                                       "address nor a host name")
            hosts.add(name)
        return cls(tuple(networks), frozenset(hosts))

    def allows(self, ip: IPAddress) -> bool:
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        return any(a in n for n in self.networks for a in (ip, mapped) if a is not None
                   and a.version == n.version)

    def addresses(self, host: str, port: int, url: str = "") -> list[str]:
        """The addresses of ``host`` warta may connect to, in resolver order. Raises
        BlockedAddressError when a non-public address is not allowed (one forbidden answer
        refuses the host: a name that resolves into the private network is suspect), and
        FetchError when the name does not resolve."""
        name = host.strip("[]").lower().rstrip(".")
        try:
            literal: IPAddress | None = ipaddress.ip_address(name)
        except ValueError:
            literal = None
        if literal is not None:
            found = [str(literal)]
        else:
            try:
                found = self.resolver(name, port)
            except (OSError, UnicodeError) as e:
                raise FetchError(url or host, "could not resolve the host name") from e
        if name in self.hosts:
            return found
        for text in found:
            ip = ipaddress.ip_address(text.split("%")[0])
            kind = address_kind(ip)
            if kind is not None and not self.allows(ip):
                raise BlockedAddressError(url or host, host, str(ip), kind)
        return found

    def check_url_host(self, url: str) -> None:
        """Check ``url``'s host before any request (a clear error for ``warta source
        add``); the connection itself is checked again when it is opened."""
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        if parts.hostname:
            default = 443 if parts.scheme == "https" else 80
            try:
                port = parts.port or default
            except ValueError:
                port = default
            self.addresses(parts.hostname, port, url)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to addresses the guard allows. It
    connects to the checked address itself (TLS still verifies the host name), so what
    was checked is what is used."""

    def __init__(self, guard: NetworkGuard) -> None:
        self.guard = guard

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in self.guard.addresses(host, port, f"{host}:{port}"):
            try:
                return super().connect_tcp(address, port, timeout, local_address,
                                           socket_options)
            except httpcore.ConnectError as e:  # try the host's next address
                last = e
        raise last or httpcore.ConnectError(f"no address for {host}")


_slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


@contextmanager
def host_slot(host: str, limit: int) -> Iterator[None]:
    """Hold one of ``limit`` request slots for ``host`` (case-insensitive) for the body of
    the ``with``; waits while all are taken. ``limit < 1`` means no limit. Shared by every
    thread of the process (one semaphore per host and limit)."""
    if limit < 1 or not host:
        yield
        return
    key = (host.lower(), limit)
    with _slots_lock:
        slot = _slots.get(key)
        if slot is None:
            slot = _slots[key] = threading.BoundedSemaphore(limit)
    with slot:
        yield

