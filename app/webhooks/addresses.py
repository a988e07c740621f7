"""Where callbacks may go: http(s) URLs whose host resolves only to public addresses, unless an
address is inside the networks the operator allows (``webhook_allowed_networks``). Checked when
a URL is saved and again each time a connection to it is opened, since DNS answers change; the
connection then goes to the very addresses checked (``PinnedTransport``), never to a second
answer of the resolver."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

import httpcore
import httpx

from app.config import Environment, Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_URL_LENGTH = 2000


class AddressRefused(ValueError):
    """The URL may not receive callbacks; ``args[0]`` says why (English, for logs)."""


@lru_cache(maxsize=8)
def allowed_networks(spec: str) -> tuple[Network, ...]:
    """The networks of ``webhook_allowed_networks`` (CIDRs separated by commas or spaces)."""
    parts = spec.replace(",", " ").split()
    return tuple(ipaddress.ip_network(p, strict=False) for p in parts)


def is_public(address: IPAddress) -> bool:
    """Whether the address is a public one (IPv4-mapped IPv6 addresses judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def address_allowed(address: IPAddress, networks: tuple[Network, ...]) -> bool:
    return is_public(address) or any(address in network for network in networks)


def split_url(url: str, settings: Settings) -> tuple[str, int]:
    """The host and port of a URL callbacks may use; AddressRefused if its form is wrong."""
    if len(url) > MAX_URL_LENGTH:
        raise AddressRefused("URL too long")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressRefused("malformed URL") from exc
    schemes = ("https",) if settings.environment is Environment.production else ("http", "https")
    if parts.scheme not in schemes:
        raise AddressRefused(f"scheme must be {' or '.join(schemes)}")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise AddressRefused("URL needs a host and no user name")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def check_url(url: str, settings: Settings) -> None:
    """AddressRefused unless every address the URL's host resolves to may be called."""
    host, port = split_url(url, settings)
    await allowed_addresses(host, port, settings)


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses of a host name (or address literal), in the resolver's order."""
    loop = asyncio.get_running_loop()
    try:
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"host {host} does not resolve") from exc
    # A scope (``%eth0``) only follows link-local addresses, which are refused anyway.
    return list(dict.fromkeys(ipaddress.ip_address(str(s[0]).partition("%")[0]) for *_, s in found))


async def allowed_addresses(host: str, port: int, settings: Settings) -> list[IPAddress]:
    """The addresses of the host, if it resolves and every one of them may be called;
    AddressRefused otherwise."""
    addresses = await resolve(host, port)
    networks = allowed_networks(settings.webhook_allowed_networks)
    for address in addresses:
        if not address_allowed(address, networks):
            raise AddressRefused(f"address {address} is not public")
    return addresses


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens each connection to an address that was checked in the same breath: the host is
    resolved and checked here, and the socket goes to one of those addresses, so a name cannot
    pass the check with one answer and be reached at another (DNS rebinding). Only the socket's
    address changes: the request keeps its URL, hence its Host header, its TLS server name and
    certificate check, and the pool keeps its connections per origin."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await allowed_addresses(host, port, self._settings)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # resolve() never answers with no address
        raise failure

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport whose connections are opened by ``PinnedBackend``. AddressRefused
    comes out of a request whose host may not be called. No proxy is used, not even one from
    the environment: a proxy would connect to addresses it resolves itself."""

    def __init__(
        self, settings: Settings, limits: httpx.Limits, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        # Loading the system's certificates takes tens of milliseconds: transports share one.
        context = ssl_context or httpx.create_ssl_context()
        super().__init__(verify=context, limits=limits)
        # httpx 0.28 takes no network backend: its pool is made again with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(settings),
        )
