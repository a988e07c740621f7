"""The home page, the catalog search and a procedure's page."""

from __future__ import annotations

from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.catalog import service
from app.catalog.schemas import ProcedureFilter
from app.models.catalog import AgencyLevel, OnlineLevel
from app.web.routes.deps import PagesDep, Session

router = APIRouter()

E = TypeVar("E", AgencyLevel, OnlineLevel)
SEARCH_LEVELS = (AgencyLevel.province, AgencyLevel.commune)
MAX_QUERY_LENGTH = 200


def _place(agency_name: str) -> dict[str, str] | None:
    """The province of a province's people's committee: ``UBND tỉnh Lào Cai`` -> Lào Cai."""
    name = agency_name.strip()
    for prefix in ("UBND ", "Ủy ban nhân dân ", "Uỷ ban nhân dân "):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    lowered = name.lower()
    for prefix, kind in (("tỉnh ", "province"), ("thành phố ", "city")):
        if lowered.startswith(prefix):
            return {"kind": kind, "name": name[len(prefix) :].strip()}
    return None


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: Session, pages: PagesDep) -> HTMLResponse:
    """The portal's front page: search, fields of procedures, browse by level."""
    agencies = await service.list_agencies(session, AgencyLevel.province)
    roots = [a for a in agencies if a.parent_code is None]
    place = _place(roots[0].name) if roots else None
    fields = [f for f in await service.list_fields(session) if f.procedure_count > 0]
    return pages.render(request, "pages/home.html", {"place": place, "fields": fields})


def _choice(kind: type[E], value: str | None) -> E | None:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


@router.get("/thu-tuc", response_class=HTMLResponse)
async def search(
    request: Request,
    session: Session,
    pages: PagesDep,
    q: Annotated[str, Query(max_length=MAX_QUERY_LENGTH)] = "",
    field: Annotated[str, Query(max_length=32)] = "",
    level: Annotated[str, Query(max_length=16)] = "",
    online_level: Annotated[str, Query(max_length=16)] = "",
    cursor: Annotated[str, Query(max_length=1000)] = "",
    start: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
) -> HTMLResponse:
    """Search the published procedures with filters; keyset pages."""
    settings_limit: int = request.app.state.settings.page_size
    page_size = limit or settings_limit
    fields = await service.list_fields(session)
    field_codes = {f.code for f in fields}
    chosen_level = _choice(AgencyLevel, level)
    chosen_online = _choice(OnlineLevel, online_level)
    query = ProcedureFilter(
        q=q.strip() or None,
        field=field if field in field_codes else None,
        level=chosen_level,
        online_level=chosen_online,
    )
    page = await service.search_procedures(session, query, cursor=cursor or None, limit=page_size)
    total = await service.count_procedures(session, query)
    kept = [
        (name, value)
        for name, value in (
            ("q", q.strip()),
            ("field", query.field or ""),
            ("level", chosen_level.value if chosen_level else ""),
            ("online_level", chosen_online.value if chosen_online else ""),
            ("limit", str(limit) if limit else ""),
        )
        if value
    ]
    next_url = None
    if page.next_cursor:
        pairs = [*kept, ("cursor", page.next_cursor), ("start", str(start + len(page.items)))]
        next_url = f"/thu-tuc?{urlencode(pairs)}"
    first_url = f"/thu-tuc?{urlencode(kept)}" if kept else "/thu-tuc"
    field_names = {f.code: f.name for f in fields}
    return pages.render(
        request,
        "pages/search.html",
        {
            "q": q.strip(),
            "fields": fields,
            "field": query.field or "",
            "field_name": field_names.get(query.field or "", ""),
            "level": chosen_level.value if chosen_level else "",
            "levels": [lvl.value for lvl in SEARCH_LEVELS],
            "online_level": chosen_online.value if chosen_online else "",
            "online_levels": [o.value for o in OnlineLevel],
            "results": page.items,
            "total": total,
            "start": start,
            "end": start + len(page.items) - 1,
            "is_first_page": not cursor,
            "has_more": page.next_cursor is not None,
            "next_url": next_url,
            "first_url": first_url,
            "filtered": bool(kept),
        },
    )


@router.get("/thu-tuc/{code}", response_class=HTMLResponse)
async def procedure(request: Request, code: str, session: Session, pages: PagesDep) -> HTMLResponse:
    """One procedure: documents, time limits, fees, agencies, legal basis; the start button."""
    detail = await service.get_procedure(session, code)
    paragraphs = [p.strip() for p in detail.description.split("\n\n") if p.strip()]
    return pages.render(
        request,
        "pages/procedure.html",
        {
            "procedure": detail,
            "paragraphs": paragraphs,
            "free": all(fee.amount == 0 for fee in detail.fees),
        },
    )
