"""Catalog operations for the API and the pages: search, procedures, forms, agencies, fields."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import repository
from app.catalog.schemas import (
    LEGACY_LEVEL,
    AgencyKey,
    AgencyOut,
    AgencyRef,
    FieldOut,
    FieldRef,
    FilingAgency,
    FilingTarget,
    ProcedureDetail,
    ProcedureFilter,
    ProcedureForm,
    ProcedureSummary,
    RequiredDocument,
)
from app.catalog.workflow import workflow_of
from app.errors import InvalidPageCursor, NotFound
from app.forms import FormDefinition, parse_definition
from app.kit.pagination import InvalidCursor, Page, decode_cursor, encode_cursor
from app.kit.text import fold, words
from app.models.catalog import AgencyLevel, OnlineLevel, Procedure, ProcedureVersion

MAX_PAGE_SIZE = 100
MAX_SEARCH_WORDS = 12


def _summary(procedure: Procedure) -> ProcedureSummary:
    online_level = OnlineLevel(procedure.online_level)
    return ProcedureSummary(
        code=procedure.code,
        name=procedure.name,
        field=FieldRef(code=procedure.field.code, name=procedure.field.name),
        levels=[AgencyLevel(level) for level in procedure.level_list],
        online_level=online_level,
        legacy_level=LEGACY_LEVEL[online_level],
        legal_days=float(procedure.legal_days),
        committed_days=float(procedure.committed_days),
        postal_allowed=procedure.postal_allowed,
    )


def _criteria(query: ProcedureFilter) -> dict[str, Any]:
    return {
        "words": words(query.q or "")[:MAX_SEARCH_WORDS],
        "agency": query.agency,
        "field": query.field,
        "level": query.level.value if query.level else None,
        "online_level": query.online_level.value if query.online_level else None,
    }


async def count_procedures(session: AsyncSession, query: ProcedureFilter) -> int:
    """How many published procedures a query finds, over all its pages."""
    return await repository.count_procedures(session, **_criteria(query))


async def search_procedures(
    session: AsyncSession, query: ProcedureFilter, *, cursor: str | None, limit: int
) -> Page[ProcedureSummary]:
    """Published procedures matching the query, best match first (by name when no words)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    ranked = bool(words(query.q or ""))
    after = None
    if cursor:
        try:
            after = decode_cursor(cursor, (int, str) if ranked else (str, str))
        except InvalidCursor as exc:
            raise InvalidPageCursor() from exc
    rows = await repository.search_procedures(
        session, **_criteria(query), after=after, limit=limit + 1
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1][1]) if has_more else None
    return Page(items=[_summary(procedure) for procedure, _ in rows], next_cursor=next_cursor)


async def _published_procedure(session: AsyncSession, code: str) -> Procedure:
    procedure = await repository.get_procedure(session, code)
    if procedure is None or not procedure.published:
        raise NotFound(
            f"Không tìm thấy thủ tục hành chính có mã {code}.",
            message_en=f"No procedure with code {code}.",
        )
    return procedure


async def _current_version(session: AsyncSession, procedure: Procedure) -> ProcedureVersion:
    version = await repository.latest_version(session, procedure.id)
    if version is None:
        raise NotFound(
            f"Thủ tục {procedure.code} chưa có biểu mẫu.",
            message_en=f"Procedure {procedure.code} has no form yet.",
        )
    return version


async def get_procedure(session: AsyncSession, code: str) -> ProcedureDetail:
    """A published procedure with its current documents and the agencies that handle it."""
    procedure = await _published_procedure(session, code)
    version = await _current_version(session, procedure)
    return ProcedureDetail(
        **_summary(procedure).model_dump(),
        description=procedure.description,
        applicants=procedure.applicants,
        fees=procedure.fees,
        payment=procedure.payment_stage,
        documents=[RequiredDocument.model_validate(d) for d in version.documents],
        result=procedure.result,
        legal_basis=procedure.legal_basis,
        agencies=[
            AgencyRef(code=a.code, name=a.name, level=AgencyLevel(a.level))
            for a in procedure.agencies
        ],
        version=version.number,
        published=procedure.published,
    )


async def get_form(session: AsyncSession, code: str, version: int | None = None) -> ProcedureForm:
    """The form definition of a procedure: its current version, or an older one by number."""
    procedure = await _published_procedure(session, code)
    if version is None:
        found = await _current_version(session, procedure)
    else:
        found_version = await repository.get_version(session, procedure.id, version)
        if found_version is None:
            raise NotFound(
                f"Thủ tục {code} không có phiên bản {version}.",
                message_en=f"Procedure {code} has no version {version}.",
            )
        found = found_version
    return ProcedureForm(procedure_code=code, version=found.number, definition=found.form)


async def get_form_definition(
    session: AsyncSession, code: str, version: int | None = None
) -> tuple[ProcedureForm, FormDefinition]:
    """The stored form and its parsed definition, ready to render or validate against."""
    form = await get_form(session, code, version)
    return form, parse_definition(form.definition)


async def list_agencies(session: AsyncSession, level: AgencyLevel | None = None) -> list[AgencyOut]:
    """Every agency, by code, optionally of one level."""
    agencies = await repository.list_agencies(session, level.value if level else None)
    return [
        AgencyOut(
            code=a.code,
            name=a.name,
            level=AgencyLevel(a.level),
            parent_code=a.parent.code if a.parent else None,
            address=a.address,
            phone=a.phone,
        )
        for a in agencies
    ]


async def agency_by_code(session: AsyncSession, code: str) -> AgencyKey | None:
    """The agency with this code, or None."""
    found = (await repository.agencies_by_code(session, [code.strip()])).get(code.strip())
    return AgencyKey(id=found.id, code=found.code, name=found.name) if found else None


async def list_fields(session: AsyncSession) -> list[FieldOut]:
    """Every field with the number of its published procedures, in Vietnamese order."""
    rows = await repository.fields_with_counts(session)
    # Sorted here: database collations put Đ after Z.
    rows.sort(key=lambda row: fold(row[0].name))
    return [
        FieldOut(code=field.code, name=field.name, procedure_count=count) for field, count in rows
    ]


def _filing_target(procedure: Procedure, version: ProcedureVersion) -> FilingTarget:
    return FilingTarget(
        procedure_id=procedure.id,
        procedure_code=procedure.code,
        procedure_name=procedure.name,
        field=FieldRef(code=procedure.field.code, name=procedure.field.name),
        version_id=version.id,
        version_number=version.number,
        definition=parse_definition(version.form),
        documents=[RequiredDocument.model_validate(d) for d in version.documents],
        agencies=[FilingAgency(id=a.id, code=a.code, name=a.name) for a in procedure.agencies],
        online_level=OnlineLevel(procedure.online_level),
        postal_allowed=procedure.postal_allowed,
        committed_days=float(procedure.committed_days),
        workflow=workflow_of(version.workflow),
        fees=procedure.fees,
        payment=procedure.payment_stage,
    )


async def filing_target(session: AsyncSession, code: str) -> FilingTarget:
    """The current version of a published procedure, as a new dossier is filed against it."""
    procedure = await _published_procedure(session, code)
    return _filing_target(procedure, await _current_version(session, procedure))


async def filing_target_of_version(session: AsyncSession, version_id: int) -> FilingTarget:
    """The version a draft or dossier was filed against (it may no longer be the current one)."""
    version = await repository.version_by_id(session, version_id)
    procedure = await repository.procedure_by_id(session, version.procedure_id) if version else None
    if version is None or procedure is None:
        raise NotFound("Không tìm thấy phiên bản thủ tục.", message_en="No such procedure version.")
    return _filing_target(procedure, version)
