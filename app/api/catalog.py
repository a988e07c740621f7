"""Catalog endpoints: procedures, their forms and JSON Schemas, agencies and fields."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.api_keys import SCOPE_CATALOG
from app.api.auth import FORBIDDEN, UNAUTHORIZED, requires
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
from app.models.catalog import AgencyLevel, OnlineLevel

# For integrators' software, with a key holding catalog:read; people read the catalog's pages.
router = APIRouter(
    tags=["catalog"],
    dependencies=[Depends(requires(SCOPE_CATALOG))],
    responses=UNAUTHORIZED | FORBIDDEN,
)
Session = Annotated[AsyncSession, Depends(request_session, scope="function")]

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not found (application/problem+json)"},
    422: {"description": "Invalid parameters (application/problem+json)"},
}


class ProcedurePage(BaseModel):
    items: list[ProcedureSummary]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page"
    )


@router.get("/procedures", response_model=ProcedurePage, responses=PROBLEM_RESPONSES)
async def list_procedures(
    session: Session,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Search words; diacritics and word order do not matter"),
    ] = None,
    agency: Annotated[str | None, Query(description="Code of an agency that handles it")] = None,
    field: Annotated[str | None, Query(description="Field code")] = None,
    level: Annotated[AgencyLevel | None, Query(description="Agency level")] = None,
    online_level: Annotated[OnlineLevel | None, Query(description="full or partial")] = None,
    cursor: Annotated[str | None, Query(max_length=1000, description="From next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
) -> ProcedurePage:
    """Search published procedures, best match first; keyset pagination with `cursor`."""
    query = ProcedureFilter(q=q, agency=agency, field=field, level=level, online_level=online_level)
    page = await service.search_procedures(session, query, cursor=cursor, limit=limit)
    return ProcedurePage(items=page.items, next_cursor=page.next_cursor)


@router.get("/procedures/{code}", response_model=ProcedureDetail, responses=PROBLEM_RESPONSES)
async def get_procedure(session: Session, code: str) -> ProcedureDetail:
    """One published procedure: documents, fees, time limits, agencies and legal basis."""
    return await service.get_procedure(session, code)


@router.get("/procedures/{code}/form", response_model=ProcedureForm, responses=PROBLEM_RESPONSES)
async def get_procedure_form(
    session: Session,
    code: str,
    version: Annotated[int | None, Query(ge=1, description="A past version number")] = None,
) -> ProcedureForm:
    """The form definition of the current procedure version (or of an older one)."""
    return await service.get_form(session, code, version)


@router.get("/procedures/{code}/form/schema", responses=PROBLEM_RESPONSES)
async def get_procedure_form_schema(
    session: Session,
    code: str,
    version: Annotated[int | None, Query(ge=1, description="A past version number")] = None,
) -> dict[str, Any]:
    """The JSON Schema (2020-12) of the data the procedure's form accepts."""
    _, definition = await service.get_form_definition(session, code, version)
    return to_json_schema(definition)


@router.get("/agencies", response_model=list[AgencyOut])
async def list_agencies(
    session: Session,
    level: Annotated[AgencyLevel | None, Query(description="Only agencies of this level")] = None,
) -> list[AgencyOut]:
    """Every agency, by national code."""
    return await service.list_agencies(session, level)


@router.get("/fields", response_model=list[FieldOut])
async def list_fields(session: Session) -> list[FieldOut]:
    """Every field of procedures, with the number of published procedures in each."""
    return await service.list_fields(session)
