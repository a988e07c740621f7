"""Dossier operations for the pages and the API: drafts, files, submission, withdrawal, lookup.

Services flush and never commit. A file is written to storage before its row is flushed; if the
transaction then fails, the object is left without a row and the worker's clean-up job
(``tasks.delete_stray_files``) removes it. Removed files are deleted from storage through the
outbox, after the removal has committed.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import officials
from app.accounts import service as accounts
from app.accounts.schemas import AccountOut, OfficialOut
from app.catalog import service as catalog
from app.catalog.schemas import FilingTarget
from app.config import Settings
from app.documents import service as documents
from app.documents.errors import DocumentNotFound
from app.dossiers import repository, scan
from app.dossiers.content import HEAD_SIZE, check_content, display_name
from app.dossiers.errors import (
    CannotWithdraw,
    DossierInvalid,
    DossierNotFound,
    FileInfected,
    FileNotFound,
    FileRefused,
    FileTooLarge,
    NotADraft,
    NotAtTheDesk,
    NotAwaitingSupplement,
    TooManyLookups,
)
from app.dossiers.schemas import (
    AgencyBrief,
    Applicant,
    AskedItem,
    DeliveryIn,
    DocumentBrief,
    DossierOut,
    DossierSummary,
    DraftChanges,
    EventOut,
    FileOut,
    LookupOut,
    PostalAddress,
    SupplementAsked,
    SupplementChanges,
    file_out,
    status_out,
)
from app.dossiers.tasks import file_key
from app.errors import InvalidInput, InvalidPageCursor, NotFound, Problem
from app.forms import FieldError, FileField, FormDefinition, GroupField, parse_definition, validate
from app.forms.identifiers import citizen_id_problem, normalize_tax_code
from app.forms.messages import render
from app.kit.clock import aware, utcnow
from app.kit.pagination import InvalidCursor, Page, decode_cursor, encode_cursor
from app.kit.text import contains_nul
from app.models.accounts import AccountKind, OfficialRole
from app.models.catalog import OnlineLevel
from app.models.dossiers import (
    FINAL_STATUSES,
    ApplicantType,
    Channel,
    Delivery,
    Dossier,
    DossierEvent,
    DossierFile,
    EventKind,
    FileOrigin,
    Status,
)
from app.models.processing import DocumentForm
from app.outbox import service as outbox
from app.outbox.mail import KIND as EMAIL
from app.outbox.mail import email_payload
from app.processing import service as processing
from app.processing.rules import Action
from app.processing.schemas import ActionIn, SupplementItem, SupplementOut
from app.storage import FileStorage, ObjectStream, StoredObject, TooLarge
from app.store import service as store
from app.store.schemas import StoredDocumentOut

FILE_DELETE = "storage.delete"
MIB = 1024 * 1024
MAX_PAGE_SIZE = 100
MAX_REASON_LENGTH = 2000
_NUL_MESSAGES = (
    "Câu trả lời chứa ký tự điều khiển NUL, không lưu được.",
    "An answer holds a NUL control character, which cannot be saved.",
)
LOOKUPS_PER_ADDRESS = 30
LOOKUPS_PER_CODE = 10
_SLOT = re.compile(r"(?P<group>[a-z][a-z0-9_]*)\[(?P<index>[0-9]{1,3})\]\.(?P<key>[a-z][a-z0-9_]*)")
_CODE = re.compile(r"[0-9A-Z.]{5,20}-[0-9]{6}-[0-9]{4}")
_DELIVERY_FORM = parse_definition(
    {
        "format": 1,
        "sections": [
            {
                "key": "post",
                "title": "Địa chỉ nhận kết quả",
                "fields": [
                    {
                        "key": "recipient",
                        "type": "text",
                        "label": {"vi": "Người nhận", "en": "Recipient"},
                        "required": True,
                    },
                    {
                        "key": "phone",
                        "type": "phone",
                        "label": {"vi": "Số điện thoại", "en": "Phone"},
                        "required": True,
                    },
                    {
                        "key": "address",
                        "type": "address",
                        "label": {"vi": "Địa chỉ", "en": "Address"},
                        "required": True,
                    },
                ],
            }
        ],
    }
)


# --- Who files -------------------------------------------------------------------------------


async def applicant_for_account(session: AsyncSession, account: AccountOut) -> Applicant:
    """A citizen files for themself; enterprise staff file for their enterprise; a receiver of
    the one-stop desk also for the people who come to the counter or write."""
    if account.kind is AccountKind.official:
        official = await officials.official_of(session, account.id)
        if official is not None and _at_the_desk(official):
            return desk_applicant(official)
    if account.kind is AccountKind.enterprise_staff and account.enterprises:
        enterprise = await accounts.enterprise_ref(session, account.enterprises[0].tax_code)
        if enterprise is not None:
            return Applicant(
                account_id=account.id,
                enterprise_id=enterprise.id,
                type=ApplicantType.enterprise,
                id_number=enterprise.tax_code,
                name=enterprise.name,
                phone=account.phone or "",
                email=account.email,
            )
    return Applicant(
        account_id=account.id,
        enterprise_id=None,
        type=ApplicantType.citizen,
        id_number=account.citizen_id or "",
        name=account.full_name,
        phone=account.phone or "",
        email=account.email,
    )


async def applicant_for_enterprise(
    session: AsyncSession, tax_code: str, *, phone: str = "", email: str = ""
) -> Applicant:
    """An enterprise filing through its own software (an API key)."""
    enterprise = await accounts.enterprise_ref(session, tax_code)
    if enterprise is None:
        raise DossierNotFound(tax_code)
    return Applicant(
        account_id=None,
        enterprise_id=enterprise.id,
        type=ApplicantType.enterprise,
        id_number=enterprise.tax_code,
        name=enterprise.name,
        phone=phone,
        email=email,
    )


def _at_the_desk(official: OfficialOut) -> bool:
    return not official.disabled and official.holds(OfficialRole.receiver.value)


def desk_applicant(official: OfficialOut) -> Applicant:
    """A receiver of the one-stop desk, filing for the people who come to the counter or
    write; NotAtTheDesk for any other official."""
    if not _at_the_desk(official):
        raise NotAtTheDesk()
    return Applicant(
        account_id=official.account_id,
        enterprise_id=None,
        type=ApplicantType.citizen,
        id_number="",
        name=official.full_name,
        phone=official.phone or "",
        email=official.email,
        desk_agency_id=official.agency_id,
    )


def _may_see(applicant: Applicant, dossier: Dossier) -> bool:
    if dossier.channel != Channel.online:
        # Filed at a desk for someone else: the agency's receivers see its drafts (one may go
        # on with another's), and each the dossiers they received, to print the receipt; the
        # officials' pages show the rest.
        return (
            applicant.desk_agency_id is not None
            and dossier.agency_id == applicant.desk_agency_id
            and (dossier.status is None or dossier.account_id == applicant.account_id)
        )
    if dossier.enterprise_id is not None:
        return dossier.enterprise_id == applicant.enterprise_id
    return applicant.account_id is not None and dossier.account_id == applicant.account_id


# --- Reading ---------------------------------------------------------------------------------


def _reference() -> str:
    return secrets.token_urlsafe(16)


def _when(moment: datetime | None) -> datetime | None:
    # Read back from SQLite a moment has no time zone, fresh from a write it has one: shown
    # alike, a dossier's representation (and its ETag) is the same either way.
    return aware(moment) if moment is not None else None


def _summary_fields(dossier: Dossier) -> dict[str, Any]:
    agency = dossier.agency
    return {
        "reference": dossier.reference,
        "code": dossier.code,
        "status": status_out(dossier.status),
        "procedure_code": dossier.procedure.code,
        "procedure_name": dossier.procedure.name,
        "agency": AgencyBrief(code=agency.code, name=agency.name) if agency else None,
        "created_at": aware(dossier.created_at),
        "updated_at": aware(dossier.updated_at),
        "submitted_at": _when(dossier.submitted_at),
        "draft_expires_at": _when(dossier.draft_expires_at),
    }


def _out(dossier: Dossier) -> DossierOut:
    return DossierOut(
        **_summary_fields(dossier),
        procedure_version=dossier.procedure_version.number,
        applicant_type=ApplicantType(dossier.applicant_type),
        applicant_id_number=dossier.applicant_id_number,
        applicant_name=dossier.applicant_name,
        applicant_phone=dossier.applicant_phone,
        applicant_email=dossier.applicant_email,
        channel=dossier.channel,
        data=dict(dossier.data),
        files=[file_out(f) for f in dossier.files],
        delivery=Delivery(dossier.delivery) if dossier.delivery else None,
        delivery_address=(
            PostalAddress.model_validate(dossier.delivery_address)
            if dossier.delivery_address
            else None
        ),
        appointment_at=_when(dossier.due_at),
        withdrawn_at=_when(dossier.withdrawn_at),
        withdrawal_reason=dossier.withdrawal_reason,
        events=[
            EventOut(
                at=aware(e.at),
                kind=e.kind,
                status=status_out(e.status) if e.status is not None else None,
                note=e.note,
            )
            for e in dossier.events
        ],
    )


async def _load(session: AsyncSession, applicant: Applicant, reference: str) -> Dossier:
    """A dossier by draft reference or by code, if the applicant may see it."""
    if _CODE.fullmatch(reference):
        dossier = await repository.by_code(session, reference)
    else:
        dossier = await repository.by_reference(session, reference)
    if dossier is None or not _may_see(applicant, dossier):
        raise DossierNotFound(reference)
    return dossier


async def _load_draft(session: AsyncSession, applicant: Applicant, reference: str) -> Dossier:
    dossier = await _load(session, applicant, reference)
    if dossier.status is not None:
        raise NotADraft(dossier.code)
    return dossier


async def _load_submitted(session: AsyncSession, applicant: Applicant, code: str) -> Dossier:
    """A submitted dossier for the applicant to act on (withdraw it, answer a supplement). Only
    dossiers filed online are theirs to act on: one filed at the desk is followed at the desk."""
    dossier = await _load(session, applicant, code)
    if dossier.status is None or dossier.channel != Channel.online:
        raise DossierNotFound(code)
    return dossier


async def _awaiting_supplement(
    session: AsyncSession, applicant: Applicant, code: str
) -> tuple[Dossier, SupplementOut]:
    """A dossier of the applicant waiting for a supplement, and what its request asks."""
    dossier = await _load_submitted(session, applicant, code)
    request = (
        await processing.open_supplement(session, dossier.id)
        if dossier.status == Status.supplement_requested
        else None
    )
    if request is None:
        raise NotAwaitingSupplement(dossier.code)
    return dossier, request


async def check_taking_files(session: AsyncSession, dossier: Dossier, slot: str) -> None:
    """Files change in a draft, and in a dossier waiting for a supplement only in the slots
    the request asks for."""
    if dossier.status is None:
        return
    if dossier.status != Status.supplement_requested or dossier.channel != Channel.online:
        raise NotADraft(dossier.code)
    request = await processing.open_supplement(session, dossier.id)
    if request is None:
        raise NotADraft(dossier.code)
    if not _is_asked(slot, [item.path for item in request.items]):
        raise FileRefused(
            slot or "slot",
            "Mục tệp này không được yêu cầu bổ sung: không thể thêm hay xoá tệp ở đây.",
            "This file slot was not asked for: files cannot be added to it or removed from it.",
        )


async def _load_taking_files(
    session: AsyncSession, applicant: Applicant, reference: str, slot: str
) -> Dossier:
    dossier = await _load(session, applicant, reference)
    await check_taking_files(session, dossier, slot)
    return dossier


async def get_dossier(session: AsyncSession, applicant: Applicant, reference: str) -> DossierOut:
    """A draft (by reference) or a dossier (by code or reference) of the applicant."""
    return _out(await _load(session, applicant, reference))


async def list_dossiers(
    session: AsyncSession,
    applicant: Applicant,
    *,
    drafts: bool | None = None,
    status: int | None = None,
    procedure_code: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[DossierSummary]:
    """The applicant's drafts and dossiers, newest first."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    after: tuple[datetime, int] | None = None
    if cursor:
        try:
            created_at, dossier_id = decode_cursor(cursor, (str, int))
            after = (datetime.fromisoformat(str(created_at)), int(dossier_id))
        except (InvalidCursor, ValueError) as exc:
            raise InvalidPageCursor() from exc
    rows = await repository.list_owned(
        session,
        applicant.account_id,
        applicant.enterprise_id,
        drafts=drafts,
        status=status,
        procedure_code=procedure_code,
        after=after,
        limit=limit + 1,
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        encode_cursor((rows[-1].created_at.isoformat(), rows[-1].id)) if has_more else None
    )
    return Page(items=[DossierSummary(**_summary_fields(d)) for d in rows], next_cursor=next_cursor)


async def find_draft(
    session: AsyncSession, applicant: Applicant, procedure_code: str
) -> DossierOut | None:
    """The applicant's draft of the procedure's current version, if there is one."""
    target = await catalog.filing_target(session, procedure_code)
    if applicant.account_id is None:
        return None
    found = await repository.find_draft(
        session, applicant.account_id, applicant.enterprise_id, target.version_id
    )
    return _out(found) if found is not None else None


async def form_of(session: AsyncSession, dossier: DossierOut) -> FilingTarget:
    """The procedure version a draft or dossier was filed against, with its form."""
    version_id = await repository.version_id_of(session, dossier.reference)
    if version_id is None:
        raise DossierNotFound(dossier.reference)
    return await catalog.filing_target_of_version(session, version_id)


# --- Drafts ----------------------------------------------------------------------------------


def _choose_agency(target: FilingTarget, code: str | None) -> int | None:
    if code:
        for agency in target.agencies:
            if agency.code == code:
                return agency.id
        raise DossierInvalid(
            f"Cơ quan {code} không tiếp nhận thủ tục này.",
            message_en=f"Agency {code} does not handle this procedure.",
            problems=[
                Problem(
                    "agency",
                    f"Cơ quan {code} không tiếp nhận thủ tục này",
                    f"Agency {code} does not handle this procedure",
                )
            ],
        )
    return target.agencies[0].id if len(target.agencies) == 1 else None


async def start_draft(
    session: AsyncSession,
    applicant: Applicant,
    procedure_code: str,
    settings: Settings,
    *,
    resume: bool = False,
) -> DossierOut:
    """A new draft on the procedure's current version; with ``resume``, the applicant's own
    draft of that version if there is one (the pages keep one per applicant and version)."""
    target = await catalog.filing_target(session, procedure_code)
    if resume and applicant.account_id is not None:
        existing = await repository.find_draft(
            session, applicant.account_id, applicant.enterprise_id, target.version_id
        )
        if existing is not None:
            return _out(existing)
    now = utcnow()
    dossier = Dossier(
        reference=_reference(),
        procedure_id=target.procedure_id,
        procedure_version_id=target.version_id,
        agency_id=_choose_agency(target, None),
        account_id=applicant.account_id,
        enterprise_id=applicant.enterprise_id,
        applicant_type=applicant.type,
        applicant_id_number=applicant.id_number,
        applicant_name=applicant.name,
        applicant_phone=applicant.phone,
        applicant_email=applicant.email,
        channel=Channel.online,
        data={},
        created_at=now,
        updated_at=now,
        draft_expires_at=now + timedelta(days=settings.draft_days),
    )
    await repository.add(session, dossier)
    await session.flush()
    await repository.add_event(
        session, DossierEvent(dossier_id=dossier.id, at=now, kind=EventKind.created, status=None)
    )
    await session.flush()
    return await get_dossier(session, applicant, dossier.reference)


def _checked_delivery(target: FilingTarget, delivery: DeliveryIn) -> dict[str, Any] | None:
    """The postal address to keep (None unless by post); DossierInvalid if the choice is wrong."""
    if delivery.method is Delivery.online and target.online_level is not OnlineLevel.full:
        raise DossierInvalid(
            "Thủ tục này không trả kết quả trực tuyến:"
            " hãy chọn nhận tại cơ quan hoặc qua bưu chính.",
            message_en="This procedure gives no result online: choose the counter or the post.",
            problems=[
                Problem(
                    "delivery.method",
                    "Thủ tục này không trả kết quả trực tuyến",
                    "This procedure gives no result online",
                )
            ],
        )
    if delivery.method is not Delivery.post:
        return None
    if not target.postal_allowed:
        raise DossierInvalid(
            "Thủ tục này không trả kết quả qua bưu chính.",
            message_en="This procedure does not return results by post.",
            problems=[
                Problem(
                    "delivery.method",
                    "Thủ tục này không trả kết quả qua bưu chính",
                    "This procedure does not return results by post",
                )
            ],
        )
    address = delivery.address or PostalAddress()
    result = validate(
        _DELIVERY_FORM,
        {
            "recipient": address.recipient,
            "phone": address.phone,
            "address": {
                "province": address.province,
                "commune": address.commune,
                "street": address.street,
            },
        },
    )
    if not result.ok:
        raise DossierInvalid(
            "Địa chỉ nhận kết quả qua bưu chính chưa đúng.",
            message_en="The postal address for the result is not right.",
            problems=_problems(result.errors, "delivery.address."),
        )
    cleaned = result.cleaned
    return {
        "recipient": cleaned["recipient"],
        "phone": cleaned["phone"],
        **cleaned["address"],
    }


def _problems(errors: list[FieldError], prefix: str) -> list[Problem]:
    return [Problem(f"{prefix}{e.path}".rstrip("."), e.message_vi, e.message_en) for e in errors]


async def update_draft(
    session: AsyncSession,
    applicant: Applicant,
    reference: str,
    changes: DraftChanges,
    settings: Settings,
) -> DossierOut:
    """Merge answers into a draft (null removes one), choose the agency or the delivery.

    Answers are kept as given, right or wrong, so nothing typed is lost: ``check_draft`` and
    ``submit`` judge them. File slots are not answers: their files are added one by one.
    """
    if contains_nul(changes.model_dump()):
        message, message_en = _NUL_MESSAGES
        raise DossierInvalid(
            message, message_en=message_en, problems=[Problem("data", *_NUL_MESSAGES)]
        )
    dossier = await _load_draft(session, applicant, reference)
    target = await catalog.filing_target_of_version(session, dossier.procedure_version_id)
    if changes.data:
        data = dict(dossier.data)
        for key, value in changes.data.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        dossier.data = _without_files(target.definition, data)
    if changes.agency is not None:
        if dossier.channel != Channel.online:
            message = "Hồ sơ nhập tại bộ phận một cửa do chính cơ quan này tiếp nhận."
            message_en = "A dossier filed at the desk is received by the desk's own agency."
            raise DossierInvalid(
                message, message_en=message_en, problems=[Problem("agency", message, message_en)]
            )
        dossier.agency_id = _choose_agency(target, changes.agency)
    if changes.delivery is not None:
        dossier.delivery_address = _checked_delivery(target, changes.delivery)
        dossier.delivery = changes.delivery.method.value
    now = utcnow()
    dossier.updated_at = now
    dossier.draft_expires_at = now + timedelta(days=settings.draft_days)
    await session.flush()
    if changes.agency is not None:
        # The agency loaded with the draft is still the one from before the change.
        await session.refresh(dossier, ["agency"])
    return _out(dossier)


def _without_files(definition: FormDefinition, data: dict[str, Any]) -> dict[str, Any]:
    """The answers without file entries, also inside a repeating group's items: a file is
    attached, never typed in (an entry typed in would name a file that was never checked)."""
    data = dict(data)
    for field in definition.fields:
        if isinstance(field, FileField):
            data.pop(field.key, None)
        elif isinstance(field, GroupField) and isinstance(data.get(field.key), list):
            inner = {f.key for f in field.fields if isinstance(f, FileField)}
            data[field.key] = [
                {k: v for k, v in item.items() if k not in inner}
                if isinstance(item, dict)
                else item
                for item in data[field.key]
            ]
    return data


def _set_path(data: dict[str, Any], slot: str, value: Any) -> None:
    match = _SLOT.fullmatch(slot)
    if match is None:
        data[slot] = value
        return
    items = data.get(match["group"])
    index = int(match["index"])
    if not isinstance(items, list):
        items = []
    items = [dict(item) if isinstance(item, dict) else {} for item in items]
    while len(items) <= index:
        items.append({})
    items[index][match["key"]] = value
    data[match["group"]] = items


def _data_with_files(dossier: Dossier, definition: FormDefinition) -> dict[str, Any]:
    """The answers with each file slot filled from the files attached to it."""
    data = _without_files(definition, dossier.data)
    by_slot: dict[str, list[dict[str, Any]]] = {}
    for file in dossier.files:
        by_slot.setdefault(file.slot, []).append(
            {
                "id": file.reference,
                "name": file.display_name,
                "size": file.size,
                "content_type": file.content_type,
            }
        )
    for slot, files in by_slot.items():
        _set_path(data, slot, files)
    return data


def answers_with_files(dossier: DossierOut, definition: FormDefinition) -> dict[str, Any]:
    """A draft's answers with each file slot filled from its files, as ``check_draft`` and
    ``submit`` judge them (for a page that shows every answer)."""
    data = _without_files(definition, dossier.data)
    by_slot: dict[str, list[dict[str, Any]]] = {}
    for file in dossier.files:
        by_slot.setdefault(file.slot, []).append(
            {"id": file.id, "name": file.name, "size": file.size, "content_type": file.content_type}
        )
    for slot, files in by_slot.items():
        _set_path(data, slot, files)
    return data


async def check_draft(
    session: AsyncSession, applicant: Applicant, reference: str
) -> list[FieldError]:
    """What is still wrong or missing in the draft's answers and files (empty: ready)."""
    dossier = await _load_draft(session, applicant, reference)
    target = await catalog.filing_target_of_version(session, dossier.procedure_version_id)
    return validate(target.definition, _data_with_files(dossier, target.definition)).errors


async def delete_draft(session: AsyncSession, applicant: Applicant, reference: str) -> None:
    """Drop a draft; its files and unfinished uploads leave storage after the deletion commits."""
    dossier = await _load_draft(session, applicant, reference)
    for file in dossier.files:
        await outbox.enqueue(session, FILE_DELETE, {"key": file.storage_key})
    for key in await repository.unfinished_upload_keys(session, [dossier.id]):
        await outbox.enqueue(session, FILE_DELETE, {"key": key, "partial": True})
    await repository.delete_dossier(session, dossier)
    await session.flush()


# --- Files -----------------------------------------------------------------------------------


def slot_field(definition: FormDefinition, slot: str) -> FileField | None:
    """The file field a slot path names: ``id_card`` or ``children[0].birth_certificate``."""
    match = _SLOT.fullmatch(slot)
    if match is None:
        found = definition.field(slot)
        return found if isinstance(found, FileField) else None
    group = definition.field(match["group"])
    if not isinstance(group, GroupField):
        return None
    if group.max_items is not None and int(match["index"]) >= group.max_items:
        return None
    for inner in group.fields:
        if inner.key == match["key"] and isinstance(inner, FileField):
            return inner
    return None


def _unknown_slot(slot: str) -> FileRefused:
    return FileRefused(
        slot or "slot",
        f"Biểu mẫu không có mục tệp “{slot}”.",
        f"The form has no file slot “{slot}”.",
    )


async def file_limit(
    session: AsyncSession, dossier: Dossier, field: FileField, slot: str, settings: Settings
) -> int:
    """The most bytes one more file in the slot may have; refuses a slot that is full."""
    if await repository.slot_file_count(session, dossier.id, slot) >= field.max_files:
        raise FileRefused(
            slot,
            f"Mục này nhận tối đa {field.max_files} tệp: hãy xoá bớt trước khi thêm.",
            f"This slot takes at most {field.max_files} files: remove one before adding.",
        )
    limit = settings.max_file_mb * MIB
    if field.max_size_mb is not None:
        limit = min(limit, int(field.max_size_mb * MIB))
    left = settings.max_dossier_mb * MIB - await repository.total_file_size(session, dossier.id)
    return max(0, min(limit, left))


class _Checked:
    """Passes a stream through, checking its first bytes before the rest is let through."""

    def __init__(self, slot: str, field: FileField, name: str) -> None:
        self.slot = slot
        self.field = field
        self.name = name
        self.content_type = ""

    async def stream(self, chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        head = bytearray()
        async for chunk in chunks:
            if self.content_type:
                yield chunk
                continue
            head += chunk
            if len(head) >= HEAD_SIZE:
                self.content_type = check_content(self.slot, self.field, self.name, bytes(head))
                yield bytes(head)
                head.clear()
        if not self.content_type:
            self.content_type = check_content(self.slot, self.field, self.name, bytes(head))
            if head:
                yield bytes(head)


async def _scanned(
    storage: FileStorage, settings: Settings, slot: str, name: str, key: str
) -> None:
    """Scan a stored object when clamd is configured; delete it and refuse it if infected."""
    if not settings.clamd_url:
        return
    async with await storage.open(key) as stream:
        try:
            verdict = await scan.scan(settings.clamd_url, stream)
        except BaseException:
            await storage.delete(key)
            raise
    if not verdict.clean:
        await storage.delete(key)
        raise FileInfected(
            slot,
            f"Tệp “{name}” có mã độc ({verdict.signature}): không được nhận.",
            f"“{name}” contains malware ({verdict.signature}): it was refused.",
        )


async def add_file(
    session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    applicant: Applicant,
    reference: str,
    slot: str,
    filename: str | None,
    chunks: AsyncIterable[bytes],
) -> FileOut:
    """Stream a file into a slot of a draft, or of a dossier whose supplement asks for that slot:
    hashed on the way, its type read from its content, its size limited, scanned when clamd is
    set; nothing is kept of a refused file."""
    dossier = await _load_taking_files(session, applicant, reference, slot)
    target = await catalog.filing_target_of_version(session, dossier.procedure_version_id)
    field = slot_field(target.definition, slot)
    if field is None:
        raise _unknown_slot(slot)
    name = display_name(filename)
    limit = await file_limit(session, dossier, field, slot, settings)
    checked = _Checked(slot, field, name)
    key = file_key()
    try:
        stored = await storage.write(key, checked.stream(chunks), max_size=limit)
    except TooLarge as exc:
        raise FileTooLarge(slot, limit) from exc
    if stored.size == 0:
        await storage.delete(key)
        raise FileRefused(slot, f"Tệp “{name}” rỗng.", f"“{name}” is empty.")
    await _scanned(storage, settings, slot, name, key)
    return await _attach(session, dossier, slot, name, checked.content_type, stored, settings)


async def _attach(
    session: AsyncSession,
    dossier: Dossier,
    slot: str,
    name: str,
    content_type: str,
    stored: StoredObject,
    settings: Settings,
    stored_document_id: int | None = None,
) -> FileOut:
    now = utcnow()
    # Where it came from, for the statistics: chosen from the applicant's store, scanned by
    # the desk for someone at the counter or by post, or uploaded by the applicant.
    if stored_document_id is not None:
        origin = FileOrigin.reuse
    elif dossier.channel != Channel.online:
        origin = FileOrigin.scan
    else:
        origin = FileOrigin.upload
    file = DossierFile(
        reference=_reference(),
        dossier_id=dossier.id,
        slot=slot,
        storage_key=stored.key,
        display_name=name,
        content_type=content_type,
        size=stored.size,
        sha256=stored.sha256,
        created_at=now,
        origin=origin.value,
        stored_document_id=stored_document_id,
    )
    await repository.add(session, file)
    dossier.updated_at = now
    if dossier.status is None:
        dossier.draft_expires_at = now + timedelta(days=settings.draft_days)
    await session.flush()
    return file_out(file)


async def attach_finished_upload(
    session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    applicant: Applicant,
    reference: str,
    slot: str,
    filename: str,
    stored: StoredObject,
) -> FileOut:
    """Attach an object uploaded by other means (a finished tus upload) after the same checks
    as ``add_file``; a refused object is deleted from storage."""
    try:
        dossier = await _load_taking_files(session, applicant, reference, slot)
        target = await catalog.filing_target_of_version(session, dossier.procedure_version_id)
        field = slot_field(target.definition, slot)
        if field is None:
            raise _unknown_slot(slot)
        name = display_name(filename)
        limit = await file_limit(session, dossier, field, slot, settings)
        if stored.size > limit:
            raise FileTooLarge(slot, limit)
        if stored.size == 0:
            raise FileRefused(slot, f"Tệp “{name}” rỗng.", f"“{name}” is empty.")
        head = bytearray()
        async with await storage.open(stored.key) as stream:
            async for chunk in stream:
                head += chunk
                if len(head) >= HEAD_SIZE:
                    break
        content_type = check_content(slot, field, name, bytes(head[:HEAD_SIZE]))
    except BaseException:
        await storage.delete(stored.key)
        raise
    await _scanned(storage, settings, slot, name, stored.key)
    return await _attach(session, dossier, slot, name, content_type, stored, settings)


async def check_upload(
    session: AsyncSession,
    applicant: Applicant,
    settings: Settings,
    reference: str,
    slot: str,
    length: int,
) -> None:
    """Refuse a resumable upload at creation if the slot is unknown, full or not open to files,
    or it is too big."""
    dossier = await _load_taking_files(session, applicant, reference, slot)
    target = await catalog.filing_target_of_version(session, dossier.procedure_version_id)
    field = slot_field(target.definition, slot)
    if field is None:
        raise _unknown_slot(slot)
    limit = await file_limit(session, dossier, field, slot, settings)
    if length > limit:
        raise FileTooLarge(slot, limit)


async def remove_file(
    session: AsyncSession, applicant: Applicant, reference: str, file_id: str
) -> None:
    """Take a file out of a draft, or out of a slot a supplement asks for; it leaves storage
    once the removal has committed."""
    dossier = await _load(session, applicant, reference)
    file = next((f for f in dossier.files if f.reference == file_id), None)
    if file is None:
        raise FileNotFound()
    await check_taking_files(session, dossier, file.slot)
    # A filed file may be in the applicant's store too, which keeps its object.
    if not await store.holds(session, file.storage_key):
        await outbox.enqueue(session, FILE_DELETE, {"key": file.storage_key})
    await repository.delete_file(session, file)
    dossier.updated_at = utcnow()
    await session.flush()


async def open_file(
    session: AsyncSession, storage: FileStorage, applicant: Applicant, file_id: str
) -> tuple[FileOut, AsyncIterator[bytes]]:
    """A file of one of the applicant's dossiers, and its content."""
    file = await repository.file_by_reference(session, file_id)
    if file is None or not _may_see(applicant, file.dossier):
        raise FileNotFound()
    stream = await storage.open(file.storage_key)
    return file_out(file), stream


async def slot_choices(
    session: AsyncSession, applicant: Applicant, settings: Settings, reference: str, slot: str
) -> list[StoredDocumentOut]:
    """The documents of the applicant's store a slot of their draft (or of a slot a supplement
    asks for) could take: of a type it accepts, within its size limits, those of the same slot
    or name first. Refuses an unknown, full or closed slot as an upload would be."""
    dossier = await _load_taking_files(session, applicant, reference, slot)
    target = await catalog.filing_target_of_version(session, dossier.procedure_version_id)
    field = slot_field(target.definition, slot)
    if field is None:
        raise _unknown_slot(slot)
    limit = await file_limit(session, dossier, field, slot, settings)
    label = _item_label(target.definition, slot)
    return await store.choices_for(
        session, applicant, field, slot, label[0] if label else "", limit
    )


async def add_stored_file(
    session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    applicant: Applicant,
    reference: str,
    slot: str,
    document: str,
) -> FileOut:
    """Fill a slot from the applicant's document store instead of an upload: the document's
    bytes are copied into an object of the dossier's own, through the very checks of an upload
    (the slot's types, its size limits, the scan). The file remembers the document it came
    from; a document of someone else's store is StoredDocumentNotFound."""
    dossier = await _load_taking_files(session, applicant, reference, slot)
    target = await catalog.filing_target_of_version(session, dossier.procedure_version_id)
    field = slot_field(target.definition, slot)
    if field is None:
        raise _unknown_slot(slot)
    limit = await file_limit(session, dossier, field, slot, settings)
    chosen, stream, stored_id = await store.open_for_reuse(session, storage, applicant, document)
    name = display_name(chosen.name)
    checked = _Checked(slot, field, name)
    key = file_key()
    try:
        async with stream:
            stored = await storage.write(key, checked.stream(stream), max_size=limit)
    except TooLarge as exc:
        raise FileTooLarge(slot, limit) from exc
    await _scanned(storage, settings, slot, name, key)
    return await _attach(
        session, dossier, slot, name, checked.content_type, stored, settings, stored_id
    )


async def _keep_in_store(
    session: AsyncSession, dossier: Dossier, definition: FormDefinition
) -> None:
    """Keep the files of a dossier just filed or resubmitted in its applicant's store, each
    under its slot's label."""
    labels = {}
    for file in dossier.files:
        label = _item_label(definition, file.slot)
        labels[file.slot] = label[0] if label else file.slot
    await store.keep_files(session, dossier, dossier.files, labels)


# --- Submission ------------------------------------------------------------------------------


def _local_day(moment: datetime, settings: Settings) -> str:
    return moment.astimezone(ZoneInfo(settings.time_zone)).strftime("%y%m%d")


def _acknowledgement(dossier: Dossier, settings: Settings) -> tuple[str, str]:
    submitted = (dossier.submitted_at or utcnow()).astimezone(ZoneInfo(settings.time_zone))
    link = f"{settings.base_url.rstrip('/')}/ho-so/{dossier.code}"
    subject = f"Đã nhận hồ sơ {dossier.code} / Dossier {dossier.code} received"
    body = (
        f"Kính gửi {dossier.applicant_name},\n\n"
        f"Cổng dịch vụ công đã nhận hồ sơ trực tuyến của bạn.\n"
        f"Mã hồ sơ: {dossier.code}\n"
        f"Thủ tục: {dossier.procedure.name}\n"
        f"Thời điểm nộp: {submitted:%H:%M %d/%m/%Y}\n"
        f"Trạng thái: Mới đăng ký. Cơ quan tiếp nhận sẽ kiểm tra hồ sơ và báo cho bạn.\n"
        f"Theo dõi hồ sơ: {link}\n\n"
        f"---\n"
        f"Your online dossier has been received.\n"
        f"Dossier code: {dossier.code}\n"
        f"Submitted at: {submitted:%H:%M %d/%m/%Y}\n"
        f"Status: newly registered. Follow it at {link}\n"
    )
    return subject, body


def _submission_problems(
    dossier: Dossier, target: FilingTarget
) -> tuple[dict[str, Any], list[Problem]]:
    """The cleaned answers of a draft, and everything that keeps it from being filed: wrong or
    missing answers and files, no agency, no delivery or a wrong one."""
    checked = validate(target.definition, _data_with_files(dossier, target.definition))
    problems = _problems(checked.errors, "data.")
    if dossier.agency_id is None:
        problems.append(
            Problem("agency", "Hãy chọn cơ quan tiếp nhận", "Choose the receiving agency")
        )
    if dossier.delivery is None:
        problems.append(
            Problem(
                "delivery.method",
                "Hãy chọn cách nhận kết quả",
                "Choose how to receive the result",
            )
        )
    else:
        try:
            _checked_delivery(
                target,
                DeliveryIn(
                    method=Delivery(dossier.delivery),
                    address=PostalAddress.model_validate(dossier.delivery_address)
                    if dossier.delivery_address
                    else None,
                ),
            )
        except DossierInvalid as exc:
            problems.extend(exc.problems)
    return checked.cleaned, problems


def _incomplete(problems: list[Problem]) -> DossierInvalid:
    return DossierInvalid(
        "Hồ sơ chưa đủ hoặc chưa đúng: hãy sửa các mục được nêu rồi nộp lại.",
        message_en="The dossier is incomplete or wrong: fix the items listed and submit again.",
        problems=problems,
    )


async def _register(
    session: AsyncSession,
    dossier: Dossier,
    target: FilingTarget,
    cleaned: dict[str, Any],
    settings: Settings,
    note: str = "",
) -> None:
    """Give a checked draft its code and status 1, and hand it to the receiving agency."""
    assert dossier.agency_id is not None
    now = utcnow()
    agency = next(a for a in target.agencies if a.id == dossier.agency_id)
    number = await repository.next_sequence(session, agency.id, _local_day(now, settings))
    dossier.code = f"{agency.code}-{_local_day(now, settings)}-{number:04d}"
    dossier.status = Status.registered
    dossier.submitted_at = now
    dossier.updated_at = now
    dossier.draft_expires_at = None
    dossier.data = cleaned
    await repository.add_event(
        session,
        DossierEvent(
            dossier_id=dossier.id,
            at=now,
            kind=EventKind.submitted,
            status=Status.registered,
            note=note,
        ),
    )
    await session.flush()
    await processing.open_dossier(session, dossier, target.workflow)


async def submit(
    session: AsyncSession, applicant: Applicant, reference: str, settings: Settings
) -> DossierOut:
    """Check every answer, file and the delivery choice; give the dossier its code and status
    1, and queue the acknowledgement e-mail. DossierInvalid lists every problem at once."""
    dossier = await _load_draft(session, applicant, reference)
    if dossier.channel != Channel.online:
        # A desk's draft is received by the desk (submit_at_desk), never filed as online.
        raise DossierNotFound(reference)
    target = await catalog.filing_target_of_version(session, dossier.procedure_version_id)
    cleaned, problems = _submission_problems(dossier, target)
    if problems:
        raise _incomplete(problems)
    await _register(session, dossier, target, cleaned, settings)
    await _keep_in_store(session, dossier, target.definition)
    if dossier.applicant_email:
        subject, body = _acknowledgement(dossier, settings)
        await outbox.enqueue(session, EMAIL, email_payload(dossier.applicant_email, subject, body))
    # Of what was loaded with the draft, only its timeline changed behind its back.
    await session.refresh(dossier, ["events"])
    return _out(dossier)


async def withdraw(
    session: AsyncSession, applicant: Applicant, code: str, reason: str
) -> DossierOut:
    """The applicant takes the dossier back (status 7) before there is a result."""
    reason = reason.strip().replace("\x00", "")
    if not reason or len(reason) > MAX_REASON_LENGTH:
        message = (
            "Hãy nêu lý do rút hồ sơ."
            if not reason
            else f"Lý do dài quá {MAX_REASON_LENGTH} ký tự."
        )
        message_en = (
            "Give the reason for withdrawing."
            if not reason
            else f"The reason is longer than {MAX_REASON_LENGTH} characters."
        )
        raise InvalidInput(
            message, message_en=message_en, problems=[Problem("reason", message, message_en)]
        )
    dossier = await _load_submitted(session, applicant, code)
    if dossier.status in FINAL_STATUSES:
        raise CannotWithdraw(dossier.code)
    now = utcnow()
    dossier.status = Status.withdrawn
    dossier.withdrawn_at = now
    dossier.withdrawal_reason = reason
    dossier.updated_at = now
    await repository.add_event(
        session,
        DossierEvent(
            dossier_id=dossier.id,
            at=now,
            kind=EventKind.withdrawn,
            status=Status.withdrawn,
            account_id=applicant.account_id,
            note=reason,
        ),
    )
    await session.flush()
    await processing.withdrawn(session, dossier, reason)
    return await get_dossier(session, applicant, code)


# --- The one-stop desk ----------------------------------------------------------------------

DESK_CHANNELS = frozenset({Channel.counter, Channel.post})
DESK_DRAFTS_LISTED = 50
MAX_NAME_LENGTH = 255
# Who the desk files for; the ID number is checked against the type chosen.
DESK_APPLICANT_FORM = parse_definition(
    {
        "format": 1,
        "sections": [
            {
                "key": "applicant",
                "title": {"vi": "Người nộp hồ sơ", "en": "The applicant"},
                "fields": [
                    {
                        "key": "applicant_type",
                        "type": "radio",
                        "label": {"vi": "Người nộp là", "en": "The applicant is"},
                        "required": True,
                        "options": [
                            {
                                "value": str(ApplicantType.citizen.value),
                                "label": {"vi": "Công dân", "en": "A citizen"},
                            },
                            {
                                "value": str(ApplicantType.enterprise.value),
                                "label": {"vi": "Doanh nghiệp", "en": "An enterprise"},
                            },
                        ],
                    },
                    {
                        "key": "name",
                        "type": "text",
                        "label": {
                            "vi": "Họ tên công dân hoặc tên doanh nghiệp",
                            "en": "Citizen's full name or enterprise's name",
                        },
                        "required": True,
                        "max_length": MAX_NAME_LENGTH,
                    },
                    {
                        "key": "id_number",
                        "type": "text",
                        "label": {
                            "vi": "Số CCCD hoặc mã số thuế",
                            "en": "Citizen ID number or tax code",
                        },
                        "help": {
                            "vi": "Căn cước công dân: 12 chữ số. Mã số thuế: 10 hoặc 13 chữ số.",
                            "en": "Citizen ID: 12 digits. Tax code: 10 or 13 digits.",
                        },
                        "required": True,
                        "max_length": 20,
                    },
                    {
                        "key": "phone",
                        "type": "phone",
                        "label": {"vi": "Số điện thoại", "en": "Phone number"},
                        "required": True,
                    },
                    {
                        "key": "email",
                        "type": "email",
                        "label": {"vi": "Thư điện tử", "en": "E-mail"},
                        "help": {
                            "vi": "Nếu có: cổng gửi thông báo về hồ sơ tới địa chỉ này.",
                            "en": "If any: the portal sends news of the dossier there.",
                        },
                    },
                ],
            }
        ],
    }
)
# The day the letter was posted, as its postmark says: recorded, but the clock starts when the
# desk receives the dossier (postal transit time does not count).
POSTAL_FORM = parse_definition(
    {
        "format": 1,
        "sections": [
            {
                "key": "post",
                "title": {"vi": "Hồ sơ gửi qua bưu chính", "en": "Dossier sent by post"},
                "fields": [
                    {
                        "key": "postal_date",
                        "type": "date",
                        "label": {
                            "vi": "Ngày gửi theo dấu bưu điện",
                            "en": "Date of the postmark",
                        },
                        "required": True,
                        "not_before": "today-1y",
                        "not_after": "today",
                    }
                ],
            }
        ],
    }
)


def _identity_problems(identity: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The applicant's identity cleaned, and what is wrong with it: the form's own checks, then
    the ID number as a citizen ID (12 digits, a province's code first) or a tax code (10 or 13
    digits, its check digit right), as the type chosen says."""
    checked = validate(DESK_APPLICANT_FORM, identity)
    cleaned, problems = dict(checked.cleaned), _problems(checked.errors, "")
    number = "".join(str(cleaned.get("id_number", "")).split())
    kind = cleaned.get("applicant_type")
    if not number or kind is None:
        return cleaned, problems
    if kind == str(ApplicantType.citizen.value):
        problem = citizen_id_problem(number)
        code = {"format": "invalid_citizen_id", "province": "invalid_citizen_id_province"}
        labels = ("Số căn cước công dân", "The citizen ID number")
    else:
        normalized, problem = normalize_tax_code(number)
        number = normalized or number
        code = {"format": "invalid_tax_code", "checksum": "tax_code_checksum"}
        labels = ("Mã số thuế", "The tax code")
    if problem is not None:
        problems.append(Problem("id_number", *render(code[problem], *labels)))
    cleaned["id_number"] = number
    return cleaned, problems


async def start_desk_draft(
    session: AsyncSession,
    settings: Settings,
    official: OfficialOut,
    procedure_code: str,
    channel: Channel,
    identity: dict[str, Any],
) -> DossierOut:
    """A draft the desk fills for someone at the counter (channel 1) or whose dossier came by
    post (channel 3): the procedure must be one the official's agency receives, and the
    applicant's identity right. It carries that identity but belongs to the desk: the agency's
    receivers see it, nobody else. DossierInvalid lists every problem at once."""
    desk = desk_applicant(official)
    if channel not in DESK_CHANNELS:
        raise ValueError(f"channel {channel} is not a desk's")
    given = {"procedure": procedure_code, **identity}
    with_nul = [key for key, value in given.items() if contains_nul(value)]
    if with_nul:
        message, message_en = _NUL_MESSAGES
        raise DossierInvalid(
            message,
            message_en=message_en,
            problems=[Problem(key, *_NUL_MESSAGES) for key in with_nul],
        )
    cleaned, problems = _identity_problems(identity)
    target: FilingTarget | None = None
    if not procedure_code.strip():
        problems.insert(0, Problem("procedure", "Hãy chọn thủ tục", "Choose the procedure"))
    else:
        try:
            target = await catalog.filing_target(session, procedure_code.strip())
        except NotFound:
            target = None
        if target is None or all(a.id != official.agency_id for a in target.agencies):
            target = None
            problems.insert(
                0,
                Problem(
                    "procedure",
                    "Cơ quan của bạn không tiếp nhận thủ tục này",
                    "Your agency does not receive this procedure",
                ),
            )
    if problems or target is None:
        raise DossierInvalid(
            "Thông tin người nộp hoặc thủ tục chưa đúng: hãy sửa các mục được nêu.",
            message_en="The applicant's details or the procedure are wrong: correct the items"
            " listed.",
            problems=problems,
        )
    now = utcnow()
    dossier = Dossier(
        reference=_reference(),
        procedure_id=target.procedure_id,
        procedure_version_id=target.version_id,
        agency_id=official.agency_id,
        account_id=desk.account_id,
        enterprise_id=None,
        applicant_type=ApplicantType(int(cleaned["applicant_type"])),
        applicant_id_number=cleaned["id_number"],
        applicant_name=cleaned["name"],
        applicant_phone=cleaned["phone"],
        applicant_email=cleaned.get("email", ""),
        channel=channel,
        data={},
        created_at=now,
        updated_at=now,
        draft_expires_at=now + timedelta(days=settings.draft_days),
    )
    await repository.add(session, dossier)
    await session.flush()
    await repository.add_event(
        session,
        DossierEvent(
            dossier_id=dossier.id,
            at=now,
            kind=EventKind.created,
            status=None,
            account_id=desk.account_id,
        ),
    )
    await session.flush()
    return await get_dossier(session, desk, dossier.reference)


async def desk_drafts(
    session: AsyncSession, official: OfficialOut, channel: Channel
) -> list[DossierOut]:
    """The drafts the official's desk has started on this channel, newest first."""
    desk = desk_applicant(official)
    assert desk.desk_agency_id is not None
    rows = await repository.desk_drafts(session, desk.desk_agency_id, channel, DESK_DRAFTS_LISTED)
    return [_out(d) for d in rows]


async def submit_at_desk(
    session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    official: OfficialOut,
    reference: str,
    postal_date: str = "",
) -> DossierOut:
    """File a desk's draft and receive it at once, by that official: the dossier gets its code
    with the draft's channel, status 2, its appointment and the receipt (form 01). The clock
    starts now, however long a letter took; its postmark date is recorded as a note.
    DossierInvalid lists every problem at once."""
    desk = desk_applicant(official)
    dossier = await _load_draft(session, desk, reference)
    if dossier.channel == Channel.online:
        raise DossierNotFound(reference)
    target = await catalog.filing_target_of_version(session, dossier.procedure_version_id)
    cleaned, problems = _submission_problems(dossier, target)
    note = "Tiếp nhận trực tiếp tại bộ phận một cửa"
    if dossier.channel == Channel.post:
        zone = ZoneInfo(settings.time_zone)
        posted = validate(
            POSTAL_FORM,
            {"postal_date": postal_date},
            today=utcnow().astimezone(zone).date(),
        )
        problems += _problems(posted.errors, "")
        if posted.ok:
            day = date.fromisoformat(posted.cleaned["postal_date"])
            note = f"Nhận qua bưu chính; ngày gửi theo dấu bưu điện: {day:%d/%m/%Y}"
    if problems:
        raise _incomplete(problems)
    # The receiver who receives it is the one who may print its receipt.
    dossier.account_id = desk.account_id
    await _register(session, dossier, target, cleaned, settings, note)
    assert dossier.code is not None
    actor = processing.actor_for_official(official)
    await processing.act(
        session, settings, storage, actor, dossier.code, Action.receive, ActionIn(reason=note)
    )
    await session.refresh(dossier, ["events"])
    return _out(dossier)


# --- Supplements ------------------------------------------------------------------------------


def _covers(asked: str, path: str) -> bool:
    """Whether what was asked takes in ``path``: the path itself, or a part of it (an item of an
    asked group, a part of an asked address)."""
    return path == asked or path.startswith((f"{asked}.", f"{asked}["))


def _is_asked(path: str, asked: Sequence[str]) -> bool:
    return any(_covers(each, path) for each in asked)


def _leaves(value: Any, path: str, into: dict[str, str]) -> dict[str, str]:
    """Every answer's non-empty scalars by path, as text. Text because a page posts back as text
    what it was given (a stored 120 comes back as "120"), so an answer left alone compares equal;
    empty because an empty input stands for an answer never given."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _leaves(inner, f"{path}.{key}", into)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _leaves(inner, f"{path}[{index}]", into)
    elif isinstance(value, bool):
        into[path] = "true" if value else "false"
    elif value is not None and value != "":
        into[path] = str(value)
    return into


def _changed_paths(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    old: dict[str, str] = {}
    new: dict[str, str] = {}
    for key, value in before.items():
        _leaves(value, key, old)
    for key, value in after.items():
        _leaves(value, key, new)
    return sorted(path for path in old.keys() | new.keys() if old.get(path) != new.get(path))


def _item_label(definition: FormDefinition, path: str) -> tuple[str, str] | None:
    """The label of the field a path names, in Vietnamese and English, with the item's number
    for a part of a group (``children[1].name``: "Name (Child 2)"); None outside the form."""
    match = _SLOT.fullmatch(path) or re.fullmatch(
        r"(?P<group>[a-z][a-z0-9_]*)\[(?P<index>[0-9]{1,3})\]", path
    )
    root = definition.field(match["group"] if match else path.split(".", 1)[0])
    if root is None:
        return None
    if match is None or not isinstance(root, GroupField):
        return root.label.vi, root.label.get("en")
    vi, en = root.item_labels(int(match["index"]))
    inner = next((f for f in root.fields if f.key == match.groupdict().get("key")), None)
    if inner is None:
        return vi, en
    return f"{inner.label.vi} ({vi})", f"{inner.label.get('en')} ({en})"


def _asked_item(definition: FormDefinition, item: SupplementItem) -> AskedItem:
    label = _item_label(definition, item.path)
    kind: Literal["answer", "file", "other"] = "other"
    if slot_field(definition, item.path) is not None:
        kind = "file"
    elif label is not None:
        kind = "answer"
    vi, en = label or (item.path, item.path)
    return AskedItem(path=item.path, reason=item.reason, kind=kind, label_vi=vi, label_en=en)


async def supplement_of(session: AsyncSession, applicant: Applicant, code: str) -> SupplementAsked:
    """What the agency asks the applicant to complete or correct, item by item with its
    reason; NotAwaitingSupplement when the dossier is not waiting for a supplement."""
    dossier, request = await _awaiting_supplement(session, applicant, code)
    target = await catalog.filing_target_of_version(session, dossier.procedure_version_id)
    return SupplementAsked(
        code=dossier.code or code,
        requested_at=request.requested_at,
        requested_by=request.requested_by,
        note=request.note,
        items=[_asked_item(target.definition, item) for item in request.items],
    )


async def update_supplement(
    session: AsyncSession, applicant: Applicant, code: str, changes: SupplementChanges
) -> DossierOut:
    """Merge answers into a dossier waiting for a supplement (null removes one).

    Only what the request asks for may change: any other change refuses the whole of it, each
    answer changed without being asked named in the problems. Answers are kept as given, right
    or wrong, as on a draft: ``resubmit`` judges them. Files change through ``add_file``.
    """
    if contains_nul(changes.model_dump()):
        message, message_en = _NUL_MESSAGES
        raise DossierInvalid(
            message, message_en=message_en, problems=[Problem("data", *_NUL_MESSAGES)]
        )
    dossier, request = await _awaiting_supplement(session, applicant, code)
    target = await catalog.filing_target_of_version(session, dossier.procedure_version_id)
    before = _without_files(target.definition, dossier.data)
    data = dict(before)
    for key, value in changes.data.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    data = _without_files(target.definition, data)
    asked = [item.path for item in request.items]
    refused = [path for path in _changed_paths(before, data) if not _is_asked(path, asked)]
    if refused:
        raise DossierInvalid(
            "Chỉ sửa được các mục cơ quan yêu cầu bổ sung: các mục khác được giữ nguyên.",
            message_en="Only what the agency asked for can be changed: everything else stays"
            " as it was filed.",
            problems=[
                Problem(
                    f"data.{path}",
                    "Mục này không được yêu cầu bổ sung nên không sửa được",
                    "This was not asked for, so it cannot be changed",
                )
                for path in refused
            ],
        )
    dossier.data = data
    dossier.updated_at = utcnow()
    await session.flush()
    return _out(dossier)


def _resubmitted_acknowledgement(dossier: Dossier, settings: Settings) -> tuple[str, str]:
    link = f"{settings.base_url.rstrip('/')}/ho-so/{dossier.code}"
    subject = (
        f"Đã nhận hồ sơ bổ sung {dossier.code} / Supplement to dossier {dossier.code} received"
    )
    body = (
        f"Kính gửi {dossier.applicant_name},\n\n"
        f"Cổng dịch vụ công đã nhận phần bổ sung hồ sơ {dossier.code} của bạn"
        f" và chuyển lại cho cơ quan giải quyết.\n"
        f"Thủ tục: {dossier.procedure.name}\n"
        f"Theo dõi hồ sơ: {link}\n\n"
        f"---\n"
        f"The supplement to your dossier {dossier.code} has been received and sent back to the"
        f" agency. Follow it at {link}\n"
    )
    return subject, body


async def resubmit(
    session: AsyncSession, applicant: Applicant, code: str, settings: Settings
) -> DossierOut:
    """Send the completed dossier back to the agency: every answer and file is checked against
    its form again (DossierInvalid lists every problem); then the clock resumes or restarts as
    the procedure says, and the applicant gets an acknowledgement."""
    dossier, _request = await _awaiting_supplement(session, applicant, code)
    target = await catalog.filing_target_of_version(session, dossier.procedure_version_id)
    checked = validate(target.definition, _data_with_files(dossier, target.definition))
    if checked.errors:
        raise DossierInvalid(
            "Hồ sơ chưa đủ hoặc chưa đúng: hãy sửa các mục được nêu rồi nộp bổ sung lại.",
            message_en="The dossier is incomplete or wrong: fix the items listed and resubmit.",
            problems=_problems(checked.errors, "data."),
        )
    dossier.data = checked.cleaned
    dossier.updated_at = utcnow()
    await session.flush()
    await processing.resubmitted(session, settings, dossier)
    await _keep_in_store(session, dossier, target.definition)
    if dossier.applicant_email:
        subject, body = _resubmitted_acknowledgement(dossier, settings)
        await outbox.enqueue(session, EMAIL, email_payload(dossier.applicant_email, subject, body))
    # Of what was loaded with the dossier, only its timeline changed behind its back.
    await session.refresh(dossier, ["events"])
    return _out(dossier)


# --- Documents issued to the applicant -------------------------------------------------------

# The forms an action sends the applicant; the signed result is theirs once it is ready, when
# they chose to receive it online.
_APPLICANT_FORMS = frozenset(
    {
        DocumentForm.receipt,
        DocumentForm.supplement,
        DocumentForm.refusal,
        DocumentForm.apology,
        DocumentForm.stop,
        DocumentForm.payment_receipt,
    }
)
_RESULT_STATUSES = frozenset({Status.result_ready, Status.returned})


def _issued_to_applicant(dossier: Dossier, form: DocumentForm) -> bool:
    if form in _APPLICANT_FORMS:
        return True
    return (
        form is DocumentForm.result
        and dossier.status in _RESULT_STATUSES
        and dossier.delivery == Delivery.online
    )


async def documents_of(
    session: AsyncSession, applicant: Applicant, code: str
) -> list[DocumentBrief]:
    """The documents issued to the applicant on their dossier, oldest first."""
    dossier = await _load(session, applicant, code)
    return [
        DocumentBrief(
            reference=d.reference,
            form=d.form,
            signed=d.signed,
            size=d.size,
            created_at=aware(d.created_at),
        )
        for d in await documents.documents_of(session, dossier.id)
        if _issued_to_applicant(dossier, d.form)
    ]


async def open_document(
    session: AsyncSession, storage: FileStorage, applicant: Applicant, code: str, reference: str
) -> tuple[DocumentBrief, ObjectStream]:
    """A document issued to the applicant on their dossier, and its content; DocumentNotFound
    for any other (of another dossier, not theirs, not yet theirs)."""
    found = next(
        (d for d in await documents_of(session, applicant, code) if d.reference == reference),
        None,
    )
    if found is None:
        raise DocumentNotFound(reference)
    _document, stream = await documents.open_document(session, storage, reference)
    return found, stream


# --- Public lookup ---------------------------------------------------------------------------

_CURRENT_STEP: dict[int, tuple[str, str]] = {
    Status.registered: (
        "Chờ cơ quan tiếp nhận kiểm tra hồ sơ",
        "Waiting for the agency to check it",
    ),
    Status.received: ("Đã tiếp nhận, chờ xử lý", "Received, waiting to be processed"),
    Status.not_accepted: ("Hồ sơ không được tiếp nhận", "Not accepted"),
    Status.processing: ("Đang thẩm định, xử lý", "Being appraised and processed"),
    Status.supplement_requested: (
        "Chờ người nộp bổ sung hồ sơ",
        "Waiting for the applicant's supplement",
    ),
    Status.payment_required: ("Chờ thực hiện nghĩa vụ tài chính", "Waiting for payment"),
    Status.withdrawn: ("Người nộp đã rút hồ sơ", "Withdrawn by the applicant"),
    Status.stopped: ("Đã dừng xử lý", "Stopped"),
    Status.result_ready: ("Đã có kết quả, chờ trả", "Result ready to be returned"),
    Status.returned: ("Đã trả kết quả", "Result returned"),
}


def _verifies(dossier: Dossier, verifier: str) -> bool:
    digits = [d for d in (dossier.applicant_phone, dossier.applicant_id_number) if len(d) >= 4]
    return any(secrets.compare_digest(d[-4:], verifier) for d in digits)


async def lookup(
    session: AsyncSession, code: str, verifier: str, *, client: str
) -> LookupOut | None:
    """Status, current step and appointment of a dossier, for anyone who knows its code and the
    last 4 digits of the applicant's phone or ID. None when they do not match (the same for a
    wrong code and a wrong verifier). Throttled per client address and per code: raises
    TooManyLookups. The caller answers a None without raising, so the count is committed.
    """
    code, verifier = code.strip().upper(), verifier.strip()
    well_formed = bool(_CODE.fullmatch(code) and re.fullmatch(r"[0-9]{4}", verifier))
    limits = [(f"lookup:ip:{client}", LOOKUPS_PER_ADDRESS)]
    if well_formed:
        # Only a real code names a counter (any text could otherwise become a key).
        limits.append((f"lookup:code:{code}", LOOKUPS_PER_CODE))
    for key, limit in limits:
        wait = await accounts.limit_rate(session, key, limit)
        if wait is not None:
            raise TooManyLookups(wait)
    if not well_formed:
        return None
    dossier = await repository.by_code(session, code)
    if dossier is None or dossier.status is None or not _verifies(dossier, verifier):
        return None
    step = _CURRENT_STEP[dossier.status]
    agency = dossier.agency
    return LookupOut(
        code=code,
        status=status_out(dossier.status),
        procedure_name=dossier.procedure.name,
        agency=AgencyBrief(code=agency.code, name=agency.name) if agency else None,
        current_step=step[0],
        current_step_en=step[1],
        submitted_at=dossier.submitted_at,
        appointment_at=dossier.appointment_at,
    )
