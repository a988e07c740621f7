"""The Decision 766 indicators for other systems: the same report as the public statistics
page (`/thong-ke`) and its exports, for any period, filtered and broken down; and, for an
agency's key, the dossiers of the agency behind each number. Needs the `stats:read` scope."""

from __future__ import annotations

from datetime import date
from enum import Enum, StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.accounts.api_keys import SCOPE_STATS
from app.accounts.schemas import ApiPrincipal
from app.api.auth import FORBIDDEN, UNAUTHORIZED, Session, requires
from app.api.conditional import ConditionalRoute
from app.api.dossiers import TOKEN
from app.api.pagination import PAGED, PageQuery
from app.config import Settings
from app.errors import PortalError
from app.kit.downloads import attachment_headers
from app.stats import export, service
from app.stats.schemas import DossierBriefPage, GroupBy, Measure, Scope, StatsFilter, StatsReport

router = APIRouter(prefix="/stats", route_class=ConditionalRoute)

TAGS: list[str | Enum] = ["stats"]
Reader = Annotated[ApiPrincipal, Depends(requires(SCOPE_STATS))]


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class Language(StrEnum):
    vi = "vi"
    en = "en"


class AgencyKeyRequired(PortalError):
    status = 403
    code = "agency_key_required"
    title_vi = "Cần khóa API của cơ quan"
    title_en = "An agency's API key is needed"

    def __init__(self) -> None:
        super().__init__(
            "Chỉ khóa API của cơ quan mới xem được danh sách hồ sơ của cơ quan.",
            message_en="Only an agency's API key lists the agency's dossiers.",
        )


First = Annotated[
    date | None,
    Query(
        alias="from",
        description="First day of the period (1 January of this year if not"
        " given), in the portal's time zone",
    ),
]
Last = Annotated[
    date | None,
    Query(alias="to", description="Last day of the period, included (today if not given)"),
]
AgencyCode = Annotated[
    str | None, Query(max_length=20, pattern=TOKEN, description="Only this agency's dossiers")
]
FieldCode = Annotated[
    str | None, Query(max_length=32, pattern=TOKEN, description="Only this field's procedures")
]
ProcedureCode = Annotated[
    str | None, Query(max_length=20, pattern=TOKEN, description="Only this procedure")
]
ChannelNumber = Annotated[
    int | None, Query(ge=1, le=3, description="Only this channel: 1 counter, 2 online, 3 post")
]
GroupByQuery = Annotated[
    GroupBy | None, Query(description="Break the report down by this dimension")
]

INVALID: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "A filter is wrong: the period ends before it starts or is longer than"
        " 5 years, or no agency, field or procedure has the code (`errors` locates it)"
    }
}
REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report as JSON, or as a file (`Content-Disposition: attachment`)"
        " when `format` is csv (UTF-8 with a byte order mark) or xlsx; in a file a rate whose"
        " denominator is zero is written —",
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in export.MEDIA_TYPES.values()
        },
    },
    **UNAUTHORIZED,
    **FORBIDDEN,
    **INVALID,
}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _filter(
    settings: Settings,
    first: date | None,
    last: date | None,
    agency: str | None,
    field: str | None,
    procedure: str | None,
    channel: int | None,
) -> StatsFilter:
    default_first, default_last = service.this_year(settings)
    return StatsFilter(
        first=first or default_first,
        last=last or default_last,
        agency=agency,
        field=field,
        procedure=procedure,
        channel=channel,
    )


@router.get("", response_model=StatsReport, tags=TAGS, responses=REPORT_RESPONSES)
async def get_stats(
    request: Request,
    session: Session,
    principal: Reader,
    first: First = None,
    last: Last = None,
    agency: AgencyCode = None,
    field: FieldCode = None,
    procedure: ProcedureCode = None,
    channel: ChannelNumber = None,
    group_by: GroupByQuery = None,
    format_: Annotated[
        ReportFormat, Query(alias="format", description="json, or a file: csv or xlsx")
    ] = ReportFormat.json,
    lang: Annotated[Language, Query(description="Language of a file's headings")] = Language.vi,
) -> Any:
    """The Decision 766 indicators of the dossiers the filters pick, in all and by group
    (rates per cent, null when their denominator is zero)."""
    settings = _settings(request)
    wanted = _filter(settings, first, last, agency, field, procedure, channel)
    report = await service.report(session, settings, wanted, group_by)
    if format_ is ReportFormat.json:
        return report
    kind = export.ExportFormat(format_.value)
    content = export.export(report, kind, english=lang is Language.en)
    return Response(
        content,
        media_type=export.MEDIA_TYPES[kind],
        headers=attachment_headers(export.filename(report, kind)),
    )


@router.get(
    "/dossiers",
    response_model=DossierBriefPage,
    tags=TAGS,
    responses=UNAUTHORIZED | FORBIDDEN | INVALID | PAGED,
)
async def get_dossiers_behind(
    request: Request,
    session: Session,
    principal: Reader,
    paging: PageQuery,
    measure: Annotated[Measure, Query(description="The number of the report")],
    first: First = None,
    last: Last = None,
    agency: AgencyCode = None,
    field: FieldCode = None,
    procedure: ProcedureCode = None,
    channel: ChannelNumber = None,
    group_by: GroupByQuery = None,
    key: Annotated[
        str | None,
        Query(max_length=32, pattern=TOKEN, description="The group's key, with group_by"),
    ] = None,
) -> DossierBriefPage:
    """The agency's dossiers behind one number of the report (same filters, group and
    measure), newest first. Needs an agency's key."""
    if principal.agency_id is None:
        raise AgencyKeyRequired()
    settings = _settings(request)
    wanted = _filter(settings, first, last, agency, field, procedure, channel)
    page = await service.dossiers_behind(
        session,
        settings,
        wanted,
        measure,
        group_by,
        key,
        Scope(agency_ids=frozenset({principal.agency_id})),
        paging.cursor,
        paging.limit,
    )
    return paging.answer(page)
