"""Catalog endpoints: procedures, their forms and JSON Schemas, agencies and fields."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.api_keys import SCOPE_CATALOG
from app.api.auth import FORBIDDEN, UNAUTHORIZED, requires
from app.api.conditional import ConditionalRoute
from app.api.pagination import PAGED, CursorPage, PageQuery
from app.catalog import service
from app.catalog.schemas import (
    AgencyOut,
    FieldOut,
    ProcedureDetail,
    ProcedureFilter,
    ProcedureForm,
    ProcedureSummary,
)
from app.db import request_session
from app.forms import to_json_schema
from app.kit.text import fold
from app.models.catalog import AgencyLevel, OnlineLevel

# For integrators' software, with a key holding catalog:read; people read the catalog's pages.
router = APIRouter(
    tags=["catalog"],
    dependencies=[Depends(requires(SCOPE_CATALOG))],
    responses=UNAUTHORIZED | FORBIDDEN,
    route_class=ConditionalRoute,
)
Session = Annotated[AsyncSession, Depends(request_session, scope="function")]

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not found (application/problem+json)"},
    422: {"description": "Invalid parameters (application/problem+json)"},
}


# Bounded as the database's integers are: a larger number is refused, not looked for.
Version = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="A past version number")]


class ProcedurePage(CursorPage[ProcedureSummary]):
    """A page of procedures."""


class AgencyPage(CursorPage[AgencyOut]):
    """A page of agencies."""


class FieldPage(CursorPage[FieldOut]):
    """A page of fields."""


@router.get("/procedures", response_model=ProcedurePage, responses=PROBLEM_RESPONSES | PAGED)
async def list_procedures(
    session: Session,
    paging: PageQuery,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Search words; diacritics and word order do not matter"),
    ] = None,
    agency: Annotated[str | None, Query(description="Code of an agency that handles it")] = None,
    field: Annotated[str | None, Query(description="Field code")] = None,
    level: Annotated[AgencyLevel | None, Query(description="Agency level")] = None,
    online_level: Annotated[OnlineLevel | None, Query(description="full or partial")] = None,
) -> ProcedurePage:
    """Search published procedures, best match first, a page at a time."""
    query = ProcedureFilter(q=q, agency=agency, field=field, level=level, online_level=online_level)
    page = await service.search_procedures(session, query, cursor=paging.cursor, limit=paging.limit)
    return paging.answer(ProcedurePage(items=page.items, next_cursor=page.next_cursor))


@router.get("/procedures/{code}", response_model=ProcedureDetail, responses=PROBLEM_RESPONSES)
async def get_procedure(session: Session, code: str) -> ProcedureDetail:
    """One published procedure: documents, fees, time limits, agencies and legal basis."""
    return await service.get_procedure(session, code)


@router.get("/procedures/{code}/form", response_model=ProcedureForm, responses=PROBLEM_RESPONSES)
async def get_procedure_form(
    session: Session,
    code: str,
    version: Version = None,
) -> ProcedureForm:
    """The form definition of the current procedure version (or of an older one)."""
    return await service.get_form(session, code, version)


@router.get("/procedures/{code}/form/schema", responses=PROBLEM_RESPONSES)
async def get_procedure_form_schema(
    session: Session,
    code: str,
    version: Version = None,
) -> dict[str, Any]:
    """The JSON Schema (2020-12) of the data the procedure's form accepts."""
    _, definition = await service.get_form_definition(session, code, version)
    return to_json_schema(definition)


@router.get("/agencies", response_model=AgencyPage, responses=PROBLEM_RESPONSES | PAGED)
async def list_agencies(
    session: Session,
    paging: PageQuery,
    level: Annotated[AgencyLevel | None, Query(description="Only agencies of this level")] = None,
) -> AgencyPage:
    """The agencies, by national code, a page at a time."""
    agencies = await service.list_agencies(session, level)
    page = paging.of(agencies, lambda agency: (agency.code,), (str,))
    return paging.answer(AgencyPage(items=page.items, next_cursor=page.next_cursor))


@router.get("/fields", response_model=FieldPage, responses=PROBLEM_RESPONSES | PAGED)
async def list_fields(session: Session, paging: PageQuery) -> FieldPage:
    """The fields of procedures in Vietnamese alphabetical order, a page at a time, each with
    the number of its published procedures."""
    fields = await service.list_fields(session)
    # The service's order, by folded name; the code tells apart two fields of one name.
    page = paging.of(fields, lambda field: (fold(field.name), field.code), (str, str))
    return paging.answer(FieldPage(items=page.items, next_cursor=page.next_cursor))
