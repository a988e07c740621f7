"""The statistics pages: the public Decision 766 indicators (`/thong-ke`) with charts, tables
and their CSV and XLSX exports; the officials' copy (`/can-bo/thong-ke`) where every number
links to the dossiers behind it (`/can-bo/thong-ke/ho-so`).

The numbers are the statistics service's, the same the API gives; an official sees the
dossiers of their own agency, an administrator every agency's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from app.accounts.schemas import OfficialOut
from app.config import Settings
from app.dossiers.schemas import status_out
from app.errors import InvalidInput, Problem
from app.forms.values import parse_date
from app.kit.downloads import attachment_headers
from app.stats import export, service, svg
from app.stats.schemas import GroupBy, Indicators, Measure, Scope, StatsFilter, StatsReport
from app.web.routes.deps import OfficialDep, PagesDep, Session, SettingsDep, field_errors
from app.web.templating import Pages

router = APIRouter()

PUBLIC_URL = "/thong-ke"
OFFICIAL_URL = "/can-bo/thong-ke"
DRILL_URL = f"{OFFICIAL_URL}/ho-so"
GROUPS = {
    "co-quan": GroupBy.agency,
    "linh-vuc": GroupBy.field,
    "thu-tuc": GroupBy.procedure,
    "kenh": GroupBy.channel,
    "thang": GroupBy.month,
}
GROUP_SLUGS = {group: slug for slug, group in GROUPS.items()}
FIELDS = ("tu-ngay", "den-ngay", "co-quan", "linh-vuc", "thu-tuc", "kenh", "theo")
# The service's names of the filters, as the page's fields are named.
LOCATIONS = {
    "from": "tu-ngay",
    "to": "den-ngay",
    "agency": "co-quan",
    "field": "linh-vuc",
    "procedure": "thu-tuc",
    "channel": "kenh",
    "key": "nhom",
}
# A chart shows at most this many groups; the table shows them all.
CHART_MAX = 40

Text = Annotated[str, Query(max_length=40)]


@dataclass(frozen=True)
class _Form:
    """The filters as typed, and as the service takes them (None while one is wrong)."""

    values: dict[str, str]
    wanted: StatsFilter | None
    group_by: GroupBy | None
    problems: list[Problem]

    @property
    def query(self) -> str:
        return urlencode({k: v for k, v in self.values.items() if v})


def _read(values: dict[str, str], settings: Settings) -> _Form:
    problems: list[Problem] = []
    default_first, default_last = service.this_year(settings)

    def day(name: str, default: date) -> date:
        if not values[name]:
            return default
        parsed = parse_date(values[name])
        if parsed is None:
            problems.append(
                Problem(
                    name,
                    "Hãy nhập ngày theo dạng ngày/tháng/năm, ví dụ 27/3/2026",
                    "Enter a date as day/month/year, for example 27/3/2026",
                )
            )
            return default
        return parsed

    first = day("tu-ngay", default_first)
    last = day("den-ngay", default_last)
    channel: int | None = None
    if values["kenh"]:
        if values["kenh"] not in {"1", "2", "3"}:
            problems.append(Problem("kenh", "Hãy chọn một kênh", "Choose a channel"))
        else:
            channel = int(values["kenh"])
    group_by: GroupBy | None = None
    if values["theo"]:
        group_by = GROUPS.get(values["theo"])
        if group_by is None:
            problems.append(Problem("theo", "Hãy chọn cách chia", "Choose a breakdown"))
    if not problems:
        try:
            service.check_period(first, last)
        except InvalidInput as exc:
            problems.extend(exc.problems)
    wanted = (
        StatsFilter(
            first=first,
            last=last,
            agency=values["co-quan"] or None,
            field=values["linh-vuc"] or None,
            procedure=values["thu-tuc"].strip() or None,
            channel=channel,
        )
        if not problems
        else None
    )
    return _Form(values, wanted, group_by, problems)


def _located(problems: list[Problem]) -> list[Problem]:
    return [
        Problem(LOCATIONS.get(p.location, p.location), p.message, p.message_en) for p in problems
    ]


@dataclass(frozen=True)
class _Filters:
    """The filters of the address, as the pages and their files read them."""

    first: str
    last: str
    agency: str
    field: str
    procedure: str
    channel: str
    group: str | None

    def values(self, default_group: str = "") -> dict[str, str]:
        return {
            "tu-ngay": self.first,
            "den-ngay": self.last,
            "co-quan": self.agency,
            "linh-vuc": self.field,
            "thu-tuc": self.procedure,
            "kenh": self.channel,
            # Absent: the page's own breakdown; empty: none asked.
            "theo": default_group if self.group is None else self.group,
        }


def _filters(
    first: Annotated[str, Query(alias="tu-ngay", max_length=10)] = "",
    last: Annotated[str, Query(alias="den-ngay", max_length=10)] = "",
    agency: Annotated[str, Query(alias="co-quan", max_length=20)] = "",
    field: Annotated[str, Query(alias="linh-vuc", max_length=32)] = "",
    procedure: Annotated[str, Query(alias="thu-tuc", max_length=20)] = "",
    channel: Annotated[str, Query(alias="kenh", max_length=2)] = "",
    group: Annotated[str | None, Query(alias="theo", max_length=12)] = None,
) -> _Filters:
    return _Filters(first, last, agency, field, procedure, channel, group)


FiltersDep = Annotated[_Filters, Depends(_filters)]


def _rate_text(pages: Pages, request: Request, value: float | None) -> str:
    if value is None:
        return export.DASH
    text = f"{value:.1f}"
    return (text if pages.locale(request) == "en" else text.replace(".", ",")) + " %"


def _charts(pages: Pages, request: Request, report: StatsReport) -> list[Markup]:
    """On-time rate and online share of each group (at most CHART_MAX of them)."""
    english = pages.locale(request) == "en"
    rows = report.groups[:CHART_MAX]
    if not rows:
        rows = [report.total]

    def name(row: Indicators) -> str:
        return row.label_en if english else row.label

    on_time = svg.bar_chart(
        "chart-on-time",
        "On-time rate" if english else "Tỷ lệ hồ sơ giải quyết đúng và trước hạn",
        (
            "Share of the dossiers finished in the period that were finished early or on time,"
            " per group; no bar where none was finished."
            if english
            else "Tỷ lệ hồ sơ đã giải quyết trong kỳ được giải quyết trước hoặc đúng hạn, theo"
            " từng nhóm; không có thanh khi nhóm chưa có hồ sơ giải quyết."
        ),
        [
            svg.Bar(name(r), r.on_time_rate, _rate_text(pages, request, r.on_time_rate))
            for r in rows
        ],
        maximum=100,
    )
    online = svg.bar_chart(
        "chart-online",
        "Online share of the dossiers received" if english else "Tỷ lệ hồ sơ trực tuyến",
        (
            "Share of the dossiers received in the period that were filed online, per group;"
            " the dashed line is the 50 % of full marks."
            if english
            else "Tỷ lệ hồ sơ tiếp nhận trong kỳ được nộp trực tuyến, theo từng nhóm; đường"
            " nét đứt là mức 50 % đạt điểm tối đa."
        ),
        [svg.Bar(name(r), r.online_rate, _rate_text(pages, request, r.online_rate)) for r in rows],
        maximum=100,
        target=report.targets.online_rate,
        target_text="50 %",
    )
    return [Markup(on_time), Markup(online)]


async def _page(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: Settings,
    values: dict[str, str],
    scope: Scope,
    official: OfficialOut | None,
) -> HTMLResponse:
    form = _read(values, settings)
    choices = await service.choices(session, scope)
    report: StatsReport | None = None
    problems = list(form.problems)
    if form.wanted is not None:
        try:
            report = await service.report(session, settings, form.wanted, form.group_by, scope)
        except InvalidInput as exc:
            problems = exc.problems
    errors, links = field_errors(pages, request, _located(problems), list(FIELDS))
    base = OFFICIAL_URL if official is not None else PUBLIC_URL
    context: dict[str, Any] = {
        "values": values,
        "errors": errors,
        "error_links": links,
        "choices": choices,
        "groups": GROUP_SLUGS,
        "report": report,
        "official": official,
        "form_url": base,
        "downloads": {fmt.value: f"{base}.{fmt.value}?{form.query}" for fmt in export.ExportFormat},
        "charts": _charts(pages, request, report) if report is not None else [],
        "drill": _drill_url(form.query) if official is not None else None,
        "measures": Measure,
    }
    status = 422 if problems else 200
    return pages.render(request, "pages/stats.html", context, status_code=status)


def _drill_url(query: str) -> Any:
    def url(measure: Measure, key: str | None) -> str:
        extra = {"chi-so": measure.value, **({"nhom": key} if key else {})}
        return f"{DRILL_URL}?{query}{'&' if query else ''}{urlencode(extra)}"

    return url


@router.get(PUBLIC_URL, response_class=HTMLResponse)
async def public_stats(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    filters: FiltersDep,
) -> HTMLResponse:
    """The public Decision 766 indicators, by agency unless asked otherwise."""
    values = filters.values(default_group="co-quan")
    return await _page(request, session, pages, settings, values, service.EVERYONE, None)


@router.get(OFFICIAL_URL, response_class=HTMLResponse)
async def official_stats(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    official: OfficialDep,
    filters: FiltersDep,
) -> HTMLResponse:
    """The indicators of the official's dossiers (every agency's for an administrator), each
    number a link to the dossiers behind it."""
    values = filters.values()
    scope = service.scope_of(official)
    return await _page(request, session, pages, settings, values, scope, official)


async def _download(
    request: Request,
    session: Session,
    pages: Pages,
    settings: Settings,
    values: dict[str, str],
    scope: Scope,
    format_: export.ExportFormat,
) -> Response:
    form = _read(values, settings)
    if form.wanted is None:
        raise InvalidInput(
            "Bộ lọc thống kê chưa đúng.",
            message_en="The statistics filter is wrong.",
            problems=_located(form.problems),
        )
    report = await service.report(session, settings, form.wanted, form.group_by, scope)
    content = export.export(report, format_, english=pages.locale(request) == "en")
    return Response(
        content,
        media_type=export.MEDIA_TYPES[format_],
        headers=attachment_headers(export.filename(report, format_)),
    )


for _format in export.ExportFormat:

    def _routes(format_: export.ExportFormat) -> None:
        @router.get(f"{PUBLIC_URL}.{format_.value}", response_class=Response)
        async def public_download(
            request: Request,
            session: Session,
            pages: PagesDep,
            settings: SettingsDep,
            filters: FiltersDep,
        ) -> Response:
            """The public indicators as shown, as a file."""
            values = filters.values(default_group="co-quan")
            return await _download(
                request, session, pages, settings, values, service.EVERYONE, format_
            )

        @router.get(f"{OFFICIAL_URL}.{format_.value}", response_class=Response)
        async def official_download(
            request: Request,
            session: Session,
            pages: PagesDep,
            settings: SettingsDep,
            official: OfficialDep,
            filters: FiltersDep,
        ) -> Response:
            """The official's indicators as shown, as a file."""
            values = filters.values()
            scope = service.scope_of(official)
            return await _download(request, session, pages, settings, values, scope, format_)

    _routes(_format)


@router.get(DRILL_URL, response_class=HTMLResponse)
async def dossiers_behind(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    official: OfficialDep,
    filters: FiltersDep,
    measure: Annotated[str, Query(alias="chi-so", max_length=30)] = "",
    key: Annotated[str, Query(alias="nhom", max_length=32)] = "",
    cursor: Annotated[str, Query(alias="sau", max_length=200)] = "",
) -> HTMLResponse:
    """The dossiers behind one number of the officials' statistics, a page at a time."""
    values = filters.values()
    form = _read(values, settings)
    problems = list(form.problems)
    chosen = Measure.__members__.get(measure) if measure else None
    if chosen is None:
        problems.append(Problem("chi-so", "Hãy chọn một chỉ số", "Choose an indicator"))
    page = None
    if form.wanted is not None and chosen is not None:
        try:
            page = await service.dossiers_behind(
                session,
                settings,
                form.wanted,
                chosen,
                form.group_by,
                key or None,
                service.scope_of(official),
                cursor or None,
            )
        except InvalidInput as exc:
            problems = _located(exc.problems)
    errors, links = field_errors(pages, request, _located(problems), [*FIELDS, "chi-so"])
    here = {**{k: v for k, v in values.items() if v}, "chi-so": measure}
    if key:
        here["nhom"] = key
    next_url = (
        f"{DRILL_URL}?{urlencode({**here, 'sau': page.next_cursor})}"
        if page is not None and page.next_cursor
        else None
    )
    context = {
        "errors": errors,
        "error_links": links,
        "page": page,
        "measure": chosen,
        "key": key,
        "back_url": f"{OFFICIAL_URL}?{form.query}",
        "first_url": f"{DRILL_URL}?{urlencode(here)}" if cursor else None,
        "next_url": next_url,
        "wanted": form.wanted,
        "status_of": status_out,
    }
    return pages.render(
        request, "pages/stats_dossiers.html", context, status_code=422 if problems else 200
    )
