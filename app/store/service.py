"""The document store (kho dữ liệu): every file an applicant submitted and every result issued
to them, kept in the store of the citizen's account or of the enterprise (its members share it).

A stored document points at the very object of the dossier file or the issued document it came
from (same storage key, size and SHA-256): the store adds no copy, and the same bytes are kept
once per store. Deleting one from the store only takes it out of the store: the dossier keeps
its object as long as the law asks. An object the dossier no longer refers to (a file replaced
during a supplement) stays while a store holds it; once nothing refers to it, the dossiers'
clean-up job removes it. A new dossier reusing a stored document gets its own copy, under its
own key (see ``app.dossiers.service.add_stored_file``), so deleting either never touches the
other.

Services flush and never commit.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.documents.schemas import DocumentOut
from app.dossiers.content import ARCHIVE_TYPES
from app.dossiers.schemas import Applicant
from app.errors import InvalidPageCursor
from app.forms import FileField
from app.kit.clock import aware, utcnow
from app.kit.pagination import InvalidCursor, Page, decode_cursor, encode_cursor
from app.models.dossiers import Channel, Dossier, DossierFile
from app.models.store import StoredDocument, StoredKind
from app.storage import FileStorage, ObjectStream
from app.store import repository
from app.store.errors import StoredDocumentNotFound
from app.store.schemas import Owner, StoredDocumentOut

MAX_PAGE_SIZE = 100
# The most documents a file slot offers to choose from.
MAX_CHOICES = 200
LABEL_LENGTH = 255
_INDEX = re.compile(r"\[[0-9]+\]")


def owner_of(applicant: Applicant) -> Owner | None:
    """Whose store an applicant sees: the enterprise's for its staff and its API keys, the
    citizen's own otherwise; none for the one-stop desk (it files for other people)."""
    if applicant.desk_agency_id is not None:
        return None
    if applicant.enterprise_id is not None:
        return Owner(account_id=None, enterprise_id=applicant.enterprise_id)
    if applicant.account_id is not None:
        return Owner(account_id=applicant.account_id, enterprise_id=None)
    return None


def _owner_of_dossier(dossier: Dossier) -> Owner | None:
    """The store a dossier's files and result go to: only a dossier filed online is the
    applicant's own (one filed at the desk belongs to the desk, not to a person's account)."""
    if dossier.channel != Channel.online:
        return None
    if dossier.enterprise_id is not None:
        return Owner(account_id=None, enterprise_id=dossier.enterprise_id)
    if dossier.account_id is not None:
        return Owner(account_id=dossier.account_id, enterprise_id=None)
    return None


def _required_owner(applicant: Applicant, reference: str) -> Owner:
    owner = owner_of(applicant)
    if owner is None:
        raise StoredDocumentNotFound(reference)
    return owner


def _out(document: StoredDocument, dossier_code: str | None) -> StoredDocumentOut:
    return StoredDocumentOut(
        reference=document.reference,
        kind=StoredKind(document.kind),
        label=document.label,
        slot=document.slot,
        name=document.display_name,
        content_type=document.content_type,
        size=document.size,
        sha256=document.sha256,
        dossier_code=dossier_code,
        created_at=aware(document.created_at),
    )


def _reference() -> str:
    return secrets.token_urlsafe(16)


# --- Filling the store -----------------------------------------------------------------------


async def keep_files(
    session: AsyncSession, dossier: Dossier, files: Iterable[DossierFile], labels: Mapping[str, str]
) -> int:
    """Keep the files of a dossier just filed (or resubmitted) in its applicant's store, each
    under the label of its slot; bytes the store already holds are not kept twice. Returns how
    many were added."""
    owner = _owner_of_dossier(dossier)
    if owner is None:
        return 0
    added = 0
    seen: set[str] = set()
    now = utcnow()
    for file in files:
        if file.sha256 in seen or await repository.live_with_sha256(session, owner, file.sha256):
            continue
        seen.add(file.sha256)
        repository.add(
            session,
            StoredDocument(
                reference=_reference(),
                account_id=owner.account_id,
                enterprise_id=owner.enterprise_id,
                kind=StoredKind.upload.value,
                label=labels.get(file.slot, file.slot)[:LABEL_LENGTH],
                slot=file.slot,
                display_name=file.display_name,
                content_type=file.content_type,
                size=file.size,
                sha256=file.sha256,
                storage_key=file.storage_key,
                dossier_id=dossier.id,
                dossier_file_id=file.id,
                created_at=now,
            ),
        )
        added += 1
    if added:
        await session.flush()
    return added


async def keep_result(session: AsyncSession, dossier: Dossier, document: DocumentOut) -> None:
    """Keep a dossier's signed result in its applicant's store. The store shows it once the
    dossier gives it to the applicant (ready, to be received online). A result signed again
    (after a send-back) takes the place of the earlier one: a store holds one result a dossier."""
    owner = _owner_of_dossier(dossier)
    if owner is None or await repository.live_with_sha256(session, owner, document.sha256):
        return
    # The key is not part of what the documents service shows: read it from the row.
    key = await repository.document_key(session, document.reference)
    if key is None:
        return
    name = f"{dossier.code or dossier.reference}-{document.form.value}.pdf"
    label = f"Kết quả giải quyết: {dossier.procedure.name}"[:LABEL_LENGTH]
    earlier = await repository.live_result_of(session, owner, dossier.id)
    if earlier is not None:
        earlier.storage_key = key
        earlier.sha256 = document.sha256
        earlier.size = document.size
        earlier.display_name = name
        earlier.label = label
        earlier.created_at = utcnow()
        await session.flush()
        return
    repository.add(
        session,
        StoredDocument(
            reference=_reference(),
            account_id=owner.account_id,
            enterprise_id=owner.enterprise_id,
            kind=StoredKind.result.value,
            label=label,
            slot="",
            display_name=name,
            content_type="application/pdf",
            size=document.size,
            sha256=document.sha256,
            storage_key=key,
            dossier_id=dossier.id,
            created_at=utcnow(),
        ),
    )
    await session.flush()


# --- Reading ---------------------------------------------------------------------------------


async def list_documents(
    session: AsyncSession,
    applicant: Applicant,
    *,
    kind: StoredKind | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[StoredDocumentOut]:
    """The applicant's stored documents, newest first, a page at a time."""
    owner = owner_of(applicant)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    before: int | None = None
    if cursor:
        try:
            (last,) = decode_cursor(cursor, (int,))
        except InvalidCursor as exc:
            raise InvalidPageCursor() from exc
        before = int(last)
    if owner is None:
        return Page(items=[], next_cursor=None)
    rows = await repository.page(session, owner, kind=kind, before_id=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[_out(document, code) for document, code in rows],
        next_cursor=encode_cursor((rows[-1][0].id,)) if more else None,
    )


async def get_document(
    session: AsyncSession, applicant: Applicant, reference: str
) -> StoredDocumentOut:
    """One document of the applicant's store; StoredDocumentNotFound for any other."""
    owner = _required_owner(applicant, reference)
    found = await repository.shown_by_reference(session, owner, reference)
    if found is None:
        raise StoredDocumentNotFound(reference)
    return _out(*found)


async def open_document(
    session: AsyncSession, storage: FileStorage, applicant: Applicant, reference: str
) -> tuple[StoredDocumentOut, ObjectStream]:
    """A document of the applicant's store and its content."""
    document = await get_document(session, applicant, reference)
    found = await repository.by_reference(session, _required_owner(applicant, reference), reference)
    assert found is not None
    return document, await storage.open(found.storage_key)


async def delete_document(session: AsyncSession, applicant: Applicant, reference: str) -> None:
    """Take a document out of the applicant's store. Its object stays with the dossier it came
    from, which keeps it as the law asks; nothing of the dossier changes."""
    owner = _required_owner(applicant, reference)
    if await repository.shown_by_reference(session, owner, reference) is None:
        raise StoredDocumentNotFound(reference)
    found = await repository.by_reference(session, owner, reference)
    assert found is not None
    found.deleted_at = utcnow()
    await session.flush()


# --- Reuse -----------------------------------------------------------------------------------


def _takes(field: FileField, content_type: str) -> bool:
    """Whether a slot takes a type, as ``app.dossiers.content.check_content`` judges it."""
    if content_type in ARCHIVE_TYPES and content_type not in (field.accept or []):
        return False
    return field.accepts(content_type)


def _generic(slot: str) -> str:
    """A slot without its items' numbers: ``members[2].cert`` -> ``members[].cert``."""
    return _INDEX.sub("[]", slot)


async def choices_for(
    session: AsyncSession,
    applicant: Applicant,
    field: FileField,
    slot: str,
    label: str,
    limit: int,
) -> list[StoredDocumentOut]:
    """The applicant's documents a file slot could take: of a type it accepts and no larger
    than ``limit`` bytes; those that filled the same slot, or one of the same name, first."""
    owner = owner_of(applicant)
    if owner is None:
        return []
    rows = await repository.candidates(session, owner, MAX_CHOICES)
    fitting = [
        (document, code)
        for document, code in rows
        if document.size <= limit and _takes(field, document.content_type)
    ]

    def matches(document: StoredDocument) -> bool:
        return bool(
            (document.slot and _generic(document.slot) == _generic(slot))
            or (label and document.label.casefold() == label.casefold())
        )

    ordered = [r for r in fitting if matches(r[0])] + [r for r in fitting if not matches(r[0])]
    return [_out(document, code) for document, code in ordered]


async def open_for_reuse(
    session: AsyncSession, storage: FileStorage, applicant: Applicant, reference: str
) -> tuple[StoredDocumentOut, ObjectStream, int]:
    """A document of the applicant's store to copy into a dossier: what the store shows of it,
    its content, and its id (for the dossier file's ``stored_document_id``)."""
    document = await get_document(session, applicant, reference)
    found = await repository.by_reference(session, _required_owner(applicant, reference), reference)
    assert found is not None
    return document, await storage.open(found.storage_key), found.id


# --- Housekeeping ----------------------------------------------------------------------------


async def known_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of these storage keys a document still in a store refers to: the clean-up keeps
    them."""
    return await repository.known_keys(session, keys)


async def holds(session: AsyncSession, key: str) -> bool:
    """Whether a document still in a store refers to this storage key."""
    return bool(await repository.known_keys(session, [key]))
