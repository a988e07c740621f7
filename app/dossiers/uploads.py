"""Resumable uploads (tus 1.0.0) into a file slot of a draft or of a dossier whose supplement
asks for it, without HTTP.

An upload is a row (``Upload``) naming a partial upload in storage; its offset is the partial
upload's size, so every byte the storage kept counts and nothing else needs saving. When the
last byte lands, the partial upload becomes an object and ``service.attach_finished_upload``
checks it like any other file (type read from the content, size, virus scan) before it joins
the dossier; the row then keeps the file's id, so a client whose last answer was lost can
still learn it.

Appends to one upload must never run at once (the storage backends check the offset before
writing, not atomically with it). Two locks see to it, both taken before the offset is read:
within a process, an asyncio lock per upload; across processes, the upload row locked with
``SELECT … FOR UPDATE`` on PostgreSQL until the request's transaction ends. SQLite has no row
locks, and taking its one database write lock for the length of an upload would stall every
other writer of the portal meanwhile; so on SQLite run one process per database (as the
default ``motcua serve`` does). A client racing itself across processes could only spoil its
own upload, which is hashed and checked whole at the end.

An expired, terminated, unknown or someone else's upload gets the same 404; the worker's
``tasks.expire_uploads`` removes the unfinished ones past ``expires_at`` with their bytes.
"""

from __future__ import annotations

import asyncio
import secrets
import weakref
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from app.config import Settings
from app.dossiers import repository, service
from app.dossiers.content import display_name
from app.dossiers.errors import FileRefused
from app.dossiers.schemas import Applicant, FileOut, UploadOut
from app.dossiers.tasks import file_key
from app.errors import ChangedMeanwhile, Conflict, InvalidInput, NotFound, PortalError, Problem
from app.kit.clock import aware, utcnow
from app.models.dossiers import Dossier, Upload
from app.storage import FileStorage, OffsetMismatch, TooLarge
from app.storage import NotFound as NotStored

MIB = 1024 * 1024
# One PATCH is appended in slices of this size, so a connection cut late in a long request
# keeps every whole slice that arrived (8 MiB: also the size of one S3 part).
SLICE_SIZE = 8 * MIB
MAX_METADATA_LENGTH = 4096
# Attaching a finished file is tried again once if the draft changed meanwhile.
ATTACH_ATTEMPTS = 2


class UploadNotFound(NotFound):
    code = "upload_not_found"

    def __init__(self) -> None:
        # One answer for an upload that never existed, expired, was terminated or is not yours.
        super().__init__(
            "Không tìm thấy phiên tải tệp lên (có thể đã hết hạn): hãy tải lại tệp từ đầu.",
            message_en="No such upload (it may have expired): upload the file again.",
        )


class UploadOffsetMismatch(Conflict):
    code = "upload_offset_mismatch"

    def __init__(self, expected: int, given: int) -> None:
        super().__init__(
            f"Phiên tải lên đang ở byte {expected}, không phải {given}: hãy hỏi lại vị trí"
            " (HEAD) rồi gửi tiếp từ đó.",
            message_en=f"The upload is at byte {expected}, not {given}: ask for the offset"
            " (HEAD) and resume from there.",
        )
        self.expected = expected


class UploadTooLong(PortalError):
    status = 413
    code = "upload_too_long"
    title_vi = "Dữ liệu quá dài"
    title_en = "Too much data"

    def __init__(self, length: int) -> None:
        super().__init__(
            f"Dữ liệu gửi lên vượt quá độ dài {length} byte đã khai báo (Upload-Length).",
            message_en=f"More bytes were sent than the {length} declared (Upload-Length).",
        )


@dataclass(frozen=True)
class Appended:
    """What a PATCH did: the upload, its new offset, and, when the finished file was refused by
    the checks, the error to answer with (the upload is then gone, and so are its bytes)."""

    upload: UploadOut
    offset: int
    refused: PortalError | None = None


# Upload ids being appended to in this process; an entry lives while a request holds it.
_local_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def _local_lock(upload_id: str) -> asyncio.Lock:
    lock = _local_locks.get(upload_id)
    if lock is None:
        lock = asyncio.Lock()
        _local_locks[upload_id] = lock
    return lock


def _out(upload: Upload, dossier: Dossier, file_reference: str | None) -> UploadOut:
    return UploadOut(
        id=upload.id,
        dossier_reference=dossier.reference,
        slot=upload.slot,
        name=upload.display_name,
        length=upload.length,
        storage_key=upload.storage_key,
        metadata_header=upload.metadata_header,
        created_at=aware(upload.created_at),
        expires_at=aware(upload.expires_at),
        file_id=file_reference,
    )


def is_expired(upload: UploadOut, now: datetime | None = None) -> bool:
    """Past its expiry and unfinished: the same test as the worker's ``expire_uploads``."""
    return upload.file_id is None and upload.expires_at < (now or utcnow())


async def _find(
    session: AsyncSession, applicant: Applicant, upload_id: str, *, lock: bool
) -> tuple[Upload, Dossier, UploadOut]:
    found = await repository.owned_upload(
        session,
        upload_id,
        applicant.account_id,
        applicant.enterprise_id,
        desk_agency_id=applicant.desk_agency_id,
        lock=lock,
    )
    if found is None:
        raise UploadNotFound()
    upload, dossier, file_reference = found
    out = _out(upload, dossier, file_reference)
    if is_expired(out):
        raise UploadNotFound()
    return upload, dossier, out


async def create_upload(
    session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    applicant: Applicant,
    *,
    dossier_reference: str,
    slot: str,
    filename: str,
    length: int,
    metadata_header: str,
) -> UploadOut:
    """Start a resumable upload of ``length`` bytes into a slot of the applicant's draft.

    Refused at once if the draft or slot is wrong, the slot is full, or the length is over the
    slot's or the dossier's limit (FileTooLarge, 413). It expires after ``upload_hours``.
    """
    name = display_name(filename)
    if length <= 0:
        raise FileRefused(slot or "slot", f"Tệp “{name}” rỗng.", f"“{name}” is empty.")
    if len(metadata_header) > MAX_METADATA_LENGTH:
        message = f"Upload-Metadata dài quá {MAX_METADATA_LENGTH} ký tự."
        message_en = f"Upload-Metadata is longer than {MAX_METADATA_LENGTH} characters."
        raise InvalidInput(
            message,
            message_en=message_en,
            problems=[Problem("Upload-Metadata", message, message_en)],
        )
    await service.check_upload(session, applicant, settings, dossier_reference, slot, length)
    dossier = await repository.by_reference(session, dossier_reference)
    if dossier is None:  # check_upload has just found it
        raise UploadNotFound()
    now = utcnow()
    upload = Upload(
        id=secrets.token_urlsafe(32),
        dossier_id=dossier.id,
        slot=slot,
        display_name=name,
        storage_key=file_key(now),
        length=length,
        metadata_header=metadata_header,
        created_at=now,
        expires_at=now + timedelta(hours=settings.upload_hours),
        file_id=None,
    )
    await repository.add(session, upload)
    # The row first: if it cannot be written, no partial upload is left behind.
    await session.flush()
    await storage.create_partial(upload.storage_key)
    return _out(upload, dossier, None)


async def get_upload(
    session: AsyncSession, storage: FileStorage, applicant: Applicant, upload_id: str
) -> tuple[UploadOut, int]:
    """An upload of the applicant's and how many bytes of it have arrived (tus HEAD)."""
    upload, _dossier, out = await _find(session, applicant, upload_id, lock=False)
    if out.file_id is not None:
        return out, upload.length
    try:
        offset = await storage.partial_size(upload.storage_key)
    except NotStored:
        # Finished into an object whose attachment then failed: it cannot go on.
        raise UploadNotFound() from None
    return out, offset


class _Slices:
    """Cuts a stream of chunks into successive streams of at most ``size`` bytes each."""

    def __init__(self, chunks: AsyncIterable[bytes], size: int) -> None:
        self._chunks = aiter(chunks)
        self._size = size
        self._pending = b""
        self._ended = False

    async def more(self) -> bool:
        """Whether another byte is coming (reads ahead one chunk if needed)."""
        while not self._pending and not self._ended:
            try:
                self._pending = await anext(self._chunks)
            except StopAsyncIteration:
                self._ended = True
        return bool(self._pending)

    async def next_slice(self) -> AsyncIterator[bytes]:
        left = self._size
        while left > 0 and await self.more():
            chunk, self._pending = self._pending[:left], self._pending[left:]
            left -= len(chunk)
            yield chunk


async def append(
    session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    applicant: Applicant,
    upload_id: str,
    *,
    offset: int,
    chunks: AsyncIterable[bytes],
) -> Appended:
    """Add a request's bytes at ``offset`` (tus PATCH); attach the file once it is whole.

    UploadOffsetMismatch (409) unless offset is where the upload stands; UploadTooLong (413)
    past its length. Every whole slice of ``SLICE_SIZE`` bytes that arrived is kept even if the
    client goes away later. A finished file refused by the checks is reported in ``refused``
    rather than raised, so the caller can commit the upload's removal.
    """
    async with _local_lock(upload_id):
        upload, dossier, out = await _find(session, applicant, upload_id, lock=True)
        if out.file_id is not None:
            # Already whole and attached: only an empty PATCH at its end is in order.
            if offset != upload.length:
                raise UploadOffsetMismatch(upload.length, offset)
            async for chunk in chunks:
                if chunk:
                    raise UploadTooLong(upload.length)
            return Appended(out, upload.length)
        # Stop at once if the dossier stopped taking files since the upload began.
        await service.check_taking_files(session, dossier, upload.slot)
        try:
            position = await storage.partial_size(upload.storage_key)
        except NotStored:
            raise UploadNotFound() from None
        if position != offset:
            raise UploadOffsetMismatch(position, offset)
        slices = _Slices(chunks, SLICE_SIZE)
        try:
            while await slices.more():
                position = await storage.append(
                    upload.storage_key, position, slices.next_slice(), max_size=upload.length
                )
        except OffsetMismatch as exc:  # the locks keep appends apart
            raise UploadOffsetMismatch(exc.expected, exc.given) from exc
        except TooLarge as exc:
            raise UploadTooLong(upload.length) from exc
        except NotStored:
            raise UploadNotFound() from None
        if position < upload.length:
            return Appended(out, position)
        return await _finish(session, storage, settings, applicant, upload, dossier, out)


async def _finish(
    session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    applicant: Applicant,
    upload: Upload,
    dossier: Dossier,
    out: UploadOut,
) -> Appended:
    stored = await storage.finish_partial(upload.storage_key)
    file: FileOut | None = None
    refused: PortalError | None = None
    for attempt in range(ATTACH_ATTEMPTS):
        try:
            # A savepoint: if the draft changed since it was read (optimistic locking), only
            # this attempt is undone, and the next one reads the draft afresh.
            async with session.begin_nested():
                file = await service.attach_finished_upload(
                    session,
                    storage,
                    settings,
                    applicant,
                    dossier.reference,
                    upload.slot,
                    upload.display_name,
                    stored,
                )
            break
        except PortalError as exc:
            # attach_finished_upload has deleted the object.
            refused = exc
            break
        except StaleDataError:
            if attempt + 1 == ATTACH_ATTEMPTS:
                await storage.delete(stored.key)
                refused = ChangedMeanwhile()
    if file is None:
        # The bytes are gone with the refused file: the upload cannot go on.
        await repository.delete_upload(session, upload)
        await session.flush()
        return Appended(out, upload.length, refused=refused or ChangedMeanwhile())
    row = await repository.file_by_reference(session, file.id)
    assert row is not None
    upload.file_id = row.id
    await session.flush()
    return Appended(out.model_copy(update={"file_id": file.id}), upload.length)


async def terminate(
    session: AsyncSession, storage: FileStorage, applicant: Applicant, upload_id: str
) -> None:
    """End an upload (tus DELETE): its row and the bytes received go.

    For an upload already whole, only the upload goes: the file it became stays in the
    dossier (remove it as a dossier file), and the answer is the same 204.
    """
    async with _local_lock(upload_id):
        upload, _dossier, out = await _find(session, applicant, upload_id, lock=True)
        await repository.delete_upload(session, upload)
        await session.flush()
        if out.file_id is None:
            await storage.discard_partial(upload.storage_key)
