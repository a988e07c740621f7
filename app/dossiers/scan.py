"""Virus scan of stored files by a clamd daemon (``MOTCUA_CLAMD_URL``), with INSTREAM."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.dossiers.errors import ScanUnavailable

TIMEOUT_SECONDS = 120.0
MAX_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Verdict:
    clean: bool
    # The signature name clamd reports when the file is infected.
    signature: str = ""


async def _connect(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return await asyncio.open_unix_connection(parts.path)
    if parts.scheme == "tcp" and parts.hostname:
        return await asyncio.open_connection(parts.hostname, parts.port or 3310)
    raise ValueError(f"MOTCUA_CLAMD_URL must be tcp://host:port or unix:///path, not {url!r}")


async def scan(url: str, chunks: AsyncIterable[bytes]) -> Verdict:
    """Send the content to clamd and read its verdict; ScanUnavailable if clamd cannot answer."""
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            reader, writer = await _connect(url)
            try:
                writer.write(b"zINSTREAM\0")
                async for chunk in chunks:
                    for start in range(0, len(chunk), MAX_CHUNK):
                        piece = chunk[start : start + MAX_CHUNK]
                        writer.write(struct.pack(">I", len(piece)) + piece)
                        await writer.drain()
                writer.write(struct.pack(">I", 0))
                await writer.drain()
                reply = (await reader.readuntil(b"\0")).rstrip(b"\0").decode("utf-8", "replace")
            finally:
                writer.close()
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        raise ScanUnavailable() from exc
    # "stream: OK", "stream: Eicar-Test-Signature FOUND" or "... ERROR".
    _, _, result = reply.partition(": ")
    if result == "OK":
        return Verdict(clean=True)
    if result.endswith(" FOUND"):
        return Verdict(clean=False, signature=result.removesuffix(" FOUND"))
    raise ScanUnavailable()
