"""Virus scan through a fake clamd that speaks the real INSTREAM protocol over TCP."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers import scan, service
from app.dossiers.errors import FileInfected, ScanUnavailable
from app.dossiers.schemas import Applicant
from app.storage import FileStorage
from tests.dossiers.conftest import PDF, chunks, keys, stored_bytes

# The standard anti-virus test file (harmless; every scanner reports it).
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
INFECTED_PDF = PDF[:60] + EICAR + PDF[60:]


@dataclass
class FakeClamd:
    """What it received, one entry per INSTREAM session."""

    url: str
    streams: list[bytes] = field(default_factory=list)
    chunk_sizes: list[int] = field(default_factory=list)


async def _serve(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, clamd: FakeClamd
) -> None:
    try:
        command = await reader.readexactly(len(b"zINSTREAM\0"))
        if command != b"zINSTREAM\0":
            writer.write(b"UNKNOWN COMMAND\0")
            return
        received = bytearray()
        while True:
            (length,) = struct.unpack(">I", await reader.readexactly(4))
            if length == 0:
                break
            clamd.chunk_sizes.append(length)
            received += await reader.readexactly(length)
        clamd.streams.append(bytes(received))
        if EICAR in received:
            writer.write(b"stream: Eicar-Test-Signature FOUND\0")
        else:
            writer.write(b"stream: OK\0")
        await writer.drain()
    finally:
        writer.close()


@pytest.fixture
async def clamd() -> AsyncIterator[FakeClamd]:
    fake = FakeClamd(url="")
    server = await asyncio.start_server(lambda r, w: _serve(r, w, fake), host="127.0.0.1", port=0)
    port = server.sockets[0].getsockname()[1]
    fake.url = f"tcp://127.0.0.1:{port}"
    async with server:
        yield fake
        server.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_protocol(clamd: FakeClamd) -> None:
    big = b"a" * 200_000

    async def pieces() -> AsyncIterator[bytes]:
        yield big[:150_000]
        yield big[150_000:]

    assert (await scan.scan(clamd.url, pieces())).clean
    assert clamd.streams == [big]
    # No chunk longer than clamd's default StreamMaxLength allows in one piece.
    assert max(clamd.chunk_sizes) <= scan.MAX_CHUNK
    verdict = await scan.scan(clamd.url, chunks(EICAR))
    assert not verdict.clean and verdict.signature == "Eicar-Test-Signature"
    with pytest.raises(ScanUnavailable) as unavailable:
        await scan.scan(f"tcp://127.0.0.1:{_closed_port()}", chunks(b"x"))
    assert unavailable.value.status == 503
    with pytest.raises(ValueError):
        await scan.scan("http://127.0.0.1:3310", chunks(b"x"))


async def test_clean_files_pass_and_infected_ones_are_refused(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    filing: str,
    citizen: Applicant,
    clamd: FakeClamd,
) -> None:
    scanned = settings.model_copy(update={"clamd_url": clamd.url})
    draft = await service.start_draft(db_session, citizen, filing, scanned)
    before = await keys(storage)
    with pytest.raises(FileInfected) as refused:
        await service.add_file(
            db_session,
            storage,
            scanned,
            citizen,
            draft.reference,
            "declaration",
            "virus.pdf",
            chunks(INFECTED_PDF),
        )
    assert refused.value.status == 422 and refused.value.code == "file_infected"
    assert "Eicar-Test-Signature" in refused.value.message_en
    assert refused.value.problems[0].location == "declaration"
    assert clamd.streams == [INFECTED_PDF]
    # Nothing of it is kept.
    assert await keys(storage) == before
    assert (await service.get_dossier(db_session, citizen, draft.reference)).files == []

    added = await service.add_file(
        db_session,
        storage,
        scanned,
        citizen,
        draft.reference,
        "declaration",
        "clean.pdf",
        chunks(PDF),
    )
    assert clamd.streams[-1] == PDF
    (key,) = await keys(storage) - before
    assert await stored_bytes(storage, key) == PDF
    assert added.size == len(PDF)


async def test_an_unreachable_scanner_keeps_nothing(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    filing: str,
    citizen: Applicant,
) -> None:
    down = settings.model_copy(update={"clamd_url": f"tcp://127.0.0.1:{_closed_port()}"})
    draft = await service.start_draft(db_session, citizen, filing, down)
    before = await keys(storage)
    with pytest.raises(ScanUnavailable) as unavailable:
        await service.add_file(
            db_session,
            storage,
            down,
            citizen,
            draft.reference,
            "declaration",
            "a.pdf",
            chunks(PDF),
        )
    assert unavailable.value.status == 503 and unavailable.value.code == "virus_scan_unavailable"
    assert await keys(storage) == before
    assert (await service.get_dossier(db_session, citizen, draft.reference)).files == []


async def test_a_finished_upload_is_scanned_too(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    filing: str,
    citizen: Applicant,
    clamd: FakeClamd,
) -> None:
    scanned = settings.model_copy(update={"clamd_url": clamd.url})
    draft = await service.start_draft(db_session, citizen, filing, scanned)
    stored = await storage.write("files/20250101000000/eicar-upload", chunks(INFECTED_PDF))
    with pytest.raises(FileInfected):
        await service.attach_finished_upload(
            db_session, storage, scanned, citizen, draft.reference, "declaration", "v.pdf", stored
        )
    assert not await storage.exists(stored.key)
    stored = await storage.write("files/20250101000000/clean-upload", chunks(PDF))
    added = await service.attach_finished_upload(
        db_session, storage, scanned, citizen, draft.reference, "declaration", "c.pdf", stored
    )
    assert added.sha256 == stored.sha256 and await storage.exists(stored.key)
    await storage.delete(stored.key)
