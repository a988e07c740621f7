"""The documents an action issues: the standard form drawn from the dossier, rendered, stored,
and for the result, signed with the agency's certificate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.schemas import RequiredDocument
from app.config import Settings
from app.documents import forms
from app.documents import service as documents
from app.documents.schemas import (
    AgencyPart,
    ApologyData,
    ApplicantPart,
    FormBase,
    ReceiptData,
    ReceivedDocument,
    RefusalData,
    ResultData,
    StopNoticeData,
    StopReason,
    SupplementRequestData,
)
from app.documents.schemas import SupplementItem as FormItem
from app.kit.clock import aware, utcnow
from app.models.dossiers import Delivery, Dossier
from app.models.processing import DocumentForm
from app.processing.schemas import SupplementItem
from app.storage import FileStorage
from app.store import service as store


def lookup_url(settings: Settings, code: str) -> str:
    """The public lookup page of a dossier, printed as a QR code on every form."""
    return f"{settings.base_url.rstrip('/')}/tra-cuu-ho-so?{urlencode({'ma': code})}"


def _agency(dossier: Dossier) -> AgencyPart:
    assert dossier.agency is not None
    return AgencyPart(code=dossier.agency.code, name=dossier.agency.name)


def _applicant(dossier: Dossier) -> ApplicantPart:
    address = dossier.delivery_address or {}
    line = ", ".join(
        part
        for part in (address.get("street"), address.get("commune"), address.get("province"))
        if part
    )
    return ApplicantPart(
        name=dossier.applicant_name,
        id_number=dossier.applicant_id_number,
        address=line,
        phone=dossier.applicant_phone,
        email=dossier.applicant_email,
    )


def _collect_at(dossier: Dossier) -> str:
    match dossier.delivery:
        case Delivery.online:
            return "Nhận kết quả điện tử trên Cổng dịch vụ công"
        case Delivery.post:
            return "Nhận kết quả qua dịch vụ bưu chính công ích"
        case _:
            assert dossier.agency is not None
            where = f" ({dossier.agency.address})" if dossier.agency.address else ""
            return f"Bộ phận Một cửa, {dossier.agency.name}{where}"


def _common(settings: Settings, dossier: Dossier) -> dict[str, object]:
    assert dossier.code is not None
    return {
        "agency": _agency(dossier),
        "issued_at": utcnow(),
        "lookup_url": lookup_url(settings, dossier.code),
    }


def _receipt(settings: Settings, dossier: Dossier, official: str) -> ReceiptData:
    assert dossier.received_at and dossier.due_at and dossier.code
    required = [RequiredDocument.model_validate(d) for d in dossier.procedure_version.documents]
    slots = {file.slot.split("[")[0].split(".")[0] for file in dossier.files}
    received = [
        ReceivedDocument(name=d.name, kind=d.kind, count=d.count)
        for d in required
        if d.required or d.code in slots
    ] or [ReceivedDocument(name="Tờ khai trực tuyến", kind="original", count=1)]
    return ReceiptData(
        **_common(settings, dossier),
        dossier_code=dossier.code,
        applicant=_applicant(dossier),
        procedure=dossier.procedure.name,
        documents=received,
        processing_days=Decimal(dossier.procedure.committed_days),
        received_at=aware(dossier.received_at),
        return_at=aware(dossier.due_at),
        collect_at=_collect_at(dossier),
        official=official,
    )


def _form_data(
    settings: Settings,
    dossier: Dossier,
    form: DocumentForm,
    *,
    actor_name: str,
    reason: str,
    items: Sequence[SupplementItem],
    previous_due: datetime | None,
) -> FormBase:
    assert dossier.code is not None
    common = _common(settings, dossier)
    match form:
        case DocumentForm.receipt:
            return _receipt(settings, dossier, actor_name)
        case DocumentForm.supplement:
            return SupplementRequestData(
                **common,
                dossier_code=dossier.code,
                applicant=_applicant(dossier),
                procedure=dossier.procedure.name,
                items=[FormItem(item=i.path, reason=i.reason) for i in items],
                official=actor_name,
            )
        case DocumentForm.refusal:
            return RefusalData(
                **common,
                dossier_code=dossier.code,
                applicant=_applicant(dossier),
                procedure=dossier.procedure.name,
                reasons=[reason],
                official=actor_name,
            )
        case DocumentForm.apology:
            assert dossier.received_at and dossier.due_at and previous_due
            return ApologyData(
                **common,
                addressee=dossier.applicant_name,
                received_at=aware(dossier.received_at),
                procedure=dossier.procedure.name,
                dossier_code=dossier.code,
                original_return_at=previous_due,
                reason=reason,
                new_return_at=aware(dossier.due_at),
                head=actor_name,
            )
        case DocumentForm.stop:
            return StopNoticeData(
                **common,
                dossier_code=dossier.code,
                applicant=_applicant(dossier),
                procedure=dossier.procedure.name,
                reason_kind=StopReason.withdrawal if dossier.withdrawn_at else StopReason.stop,
                reason=reason,
                stopped_at=utcnow(),
                official=actor_name,
            )
    raise ValueError(f"form {form} is not issued by an action")


async def issue(
    session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    dossier: Dossier,
    form: DocumentForm,
    *,
    actor_name: str,
    reason: str = "",
    items: Sequence[SupplementItem] = (),
    previous_due: datetime | None = None,
) -> None:
    """Render one of forms 01-05 for the dossier and keep it with the dossier."""
    data = _form_data(
        settings,
        dossier,
        form,
        actor_name=actor_name,
        reason=reason,
        items=items,
        previous_due=previous_due,
    )
    pdf = await forms.render_async(data)
    await documents.store_document(
        session, storage, dossier_id=dossier.id, form=form, pdf=pdf, created_by=actor_name
    )


async def issue_result(
    session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    dossier: Dossier,
    *,
    signer_name: str,
    signing_agency_id: int,
) -> None:
    """The result of the procedure (the decision, approved or denied) as a PDF signed with the
    signing agency's certificate (PAdES)."""
    assert dossier.code is not None
    data = ResultData(
        **_common(settings, dossier),
        dossier_code=dossier.code,
        applicant=_applicant(dossier),
        procedure=dossier.procedure.name,
        approved=dossier.decision == "approved",
        signer=signer_name,
    )
    pdf = await forms.render_async(data)
    signed = await documents.sign_for_agency(
        session,
        settings,
        signing_agency_id,
        pdf,
        reason=f"Kết quả giải quyết hồ sơ {dossier.code}",
        location=dossier.agency.name if dossier.agency else "",
        signer_name=signer_name,
    )
    document = await documents.store_document(
        session,
        storage,
        dossier_id=dossier.id,
        form=DocumentForm.result,
        pdf=signed,
        created_by=signer_name,
        signed=True,
    )
    # The result is the applicant's to keep: their document store holds it too.
    await store.keep_result(session, dossier, document)
