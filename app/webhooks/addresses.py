"""Where callbacks may go: http(s) URLs whose host resolves only to public addresses, unless an
address is inside the networks the operator allows (``webhook_allowed_networks``). Checked when
a URL is saved and again before each delivery, since DNS answers change."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from functools import lru_cache
from urllib.parse import urlsplit

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
    await check_host(host, port, settings)


async def check_host(host: str, port: int, settings: Settings) -> None:
    """AddressRefused unless the host resolves, and only to addresses that may be called."""
    loop = asyncio.get_running_loop()
    try:
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"host {host} does not resolve") from exc
    networks = allowed_networks(settings.webhook_allowed_networks)
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        if not address_allowed(address, networks):
            raise AddressRefused(f"address {address} is not public")
