"""Paying fees online on the pages: starting a payment from the dossier's page, the gateway's
return page and its IPN; and the officials' pages of payments, refunds and reconciliation."""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from app.accounts.schemas import OfficialOut
from app.errors import InvalidInput, Problem
from app.forms.values import parse_date
from app.models.accounts import OfficialRole
from app.models.payments import PaymentState
from app.payments import service, tasks, vnpay
from app.payments.errors import NothingToPay, PaymentsOff
from app.payments.gateway import IPN_PATH, RETURN_PATH
from app.payments.schemas import PaymentDetail
from app.web import urls
from app.web.routes.deps import (
    ApplicantDep,
    OfficialDep,
    PagesDep,
    Session,
    SettingsDep,
    StorageDep,
    field_errors,
    page_not_found,
    read_form,
)

log = logging.getLogger(__name__)
router = APIRouter()

PAYMENTS_URL = "/can-bo/thanh-toan"
REPORTS_URL = "/can-bo/doi-soat"
# The most query parameters an IPN or return may bring (VNPAY sends about 12).
MAX_PARAMS = 40
MAX_VALUE = 2000


def pay_url(code: str) -> str:
    return f"{urls.dossier(code)}/thanh-toan"


def _params(request: Request) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in list(request.query_params.multi_items())[:MAX_PARAMS]:
        params[name[:100]] = value[:MAX_VALUE]
    return params


# ----------------------------------------------------------------------------- the applicant


@router.post("/ho-so/{code}/thanh-toan", response_class=HTMLResponse)
async def start(
    request: Request,
    code: str,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    applicant: ApplicantDep,
) -> Response:
    """Start paying the dossier's fees: to the gateway's page."""
    await read_form(request)
    ip = request.client.host if request.client else ""
    try:
        started = await service.start_payment(
            session, settings, applicant, code, ip=ip, locale=pages.locale(request)
        )
    except (NothingToPay, PaymentsOff):
        return RedirectResponse(urls.dossier(code), status_code=303)
    return RedirectResponse(started.redirect_url, status_code=303)


@router.get(RETURN_PATH, response_class=HTMLResponse)
async def gateway_return(
    request: Request, session: Session, pages: PagesDep, settings: SettingsDep
) -> HTMLResponse:
    """Where the gateway sends the payer back: what it says, checked; the payment itself is
    settled by the IPN or a query, not by this page."""
    seen = await service.handle_return(session, settings, _params(request))
    return pages.render(
        request,
        "pages/payment_return.html",
        {"seen": seen, "dossier_url": urls.dossier(seen.dossier_code) if seen.dossier_code else ""},
        status_code=200 if seen.valid else 400,
    )


@router.get(IPN_PATH)
async def ipn(
    request: Request, session: Session, settings: SettingsDep, storage: StorageDep
) -> JSONResponse:
    """The gateway's server-to-server notice, answered with VNPAY's RspCode."""
    try:
        answer = await service.handle_ipn(session, settings, storage, _params(request))
    except PaymentsOff:
        answer = vnpay.IPN_ORDER_NOT_FOUND
    except Exception:
        log.exception("IPN could not be handled")
        await session.rollback()
        answer = vnpay.IPN_UNKNOWN_ERROR
    return JSONResponse(answer)


# ----------------------------------------------------------------------------- officials


def _leader(official: OfficialOut) -> bool:
    return official.holds(OfficialRole.leader)


def _day(value: str, settings: Any) -> tuple[datetime, datetime] | None:
    day = parse_date(value) if value else None
    if day is None:
        return None
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo(settings.time_zone))
    return start, start + timedelta(days=1)


@router.get(PAYMENTS_URL, response_class=HTMLResponse)
async def agency_payments(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    official: OfficialDep,
    state: Annotated[str, Query(alias="trang-thai", max_length=24)] = "",
    day: Annotated[str, Query(alias="ngay", max_length=20)] = "",
    cursor: Annotated[str, Query(alias="sau", max_length=40)] = "",
) -> HTMLResponse:
    """The payments of the agency's dossiers, newest first, by state and day."""
    problems: list[Problem] = []
    wanted: PaymentState | None = None
    if state:
        try:
            wanted = PaymentState(state)
        except ValueError:
            problems.append(Problem("trang-thai", "Trạng thái không hợp lệ", "Unknown state"))
    bounds = _day(day, settings)
    if day and bounds is None:
        problems.append(
            Problem("ngay", "Ngày không hợp lệ (dd/mm/yyyy)", "Not a date (dd/mm/yyyy)")
        )
    values = {"trang-thai": state, "ngay": day}
    if problems:
        errors, links = field_errors(pages, request, problems, ["trang-thai", "ngay"])
        context = {
            "values": values,
            "errors": errors,
            "error_links": links,
            "page": None,
            "states": list(PaymentState),
            "next_url": "",
        }
        return pages.render(request, "pages/payments_agency.html", context, status_code=422)
    page = await service.agency_payments(
        session,
        official.agency_id,
        state=wanted,
        since=bounds[0] if bounds else None,
        until=bounds[1] if bounds else None,
        cursor=cursor or None,
        limit=settings.page_size,
    )
    next_url = (
        f"{PAYMENTS_URL}?{urlencode({**values, 'sau': page.next_cursor})}"
        if page.next_cursor
        else ""
    )
    return pages.render(
        request,
        "pages/payments_agency.html",
        {
            "values": values,
            "errors": {},
            "error_links": [],
            "page": page,
            "states": list(PaymentState),
            "next_url": next_url,
        },
    )


async def _render_payment(
    request: Request,
    pages: Any,
    official: OfficialOut,
    payment: PaymentDetail,
    refundable: int,
    *,
    values: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
    refunded: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    errors, links = field_errors(pages, request, problems or [], ["amount", "reason"])
    return pages.render(  # type: ignore[no-any-return]
        request,
        "pages/payment_detail.html",
        {
            "payment": payment,
            "can_refund": _leader(official) and refundable > 0,
            "refundable": refundable,
            "values": values or {},
            "errors": errors,
            "error_links": links,
            "refunded": refunded,
            "refund_url": f"{PAYMENTS_URL}/{payment.reference}/hoan-tien",
        },
        status_code=status_code,
    )


@router.get(PAYMENTS_URL + "/{reference}", response_class=HTMLResponse)
async def payment_detail(
    request: Request,
    reference: str,
    session: Session,
    pages: PagesDep,
    official: OfficialDep,
    refunded: Annotated[int, Query(alias="da-yeu-cau", ge=0, le=1)] = 0,
) -> HTMLResponse:
    """One payment of the agency: what the gateway said of it, its refunds, the refund form."""
    payment = await service.agency_payment(session, official.agency_id, reference)
    left = await service.refundable_of(session, official.agency_id, reference)
    return await _render_payment(request, pages, official, payment, left, refunded=bool(refunded))


def _amount(text: str) -> int | None:
    digits = text.replace(".", "").replace(",", "").replace(" ", "").strip()
    if not digits.isdigit() or len(digits) > 15:
        raise InvalidInput(
            "Số tiền không hợp lệ.",
            message_en="Not an amount.",
            problems=[Problem("amount", "Hãy nhập số tiền bằng số", "Enter the amount in figures")],
        )
    return int(digits)


@router.post(PAYMENTS_URL + "/{reference}/hoan-tien", response_class=HTMLResponse)
async def refund(
    request: Request,
    reference: str,
    session: Session,
    pages: PagesDep,
    official: OfficialDep,
) -> Response:
    """A leader of the agency refunds all or part of a paid payment, with the reason."""
    if not _leader(official):
        raise page_not_found()
    form = await read_form(request, max_part_size=8 * 1024)
    values = {"amount": form.get("amount", ""), "reason": form.get("reason", "")}
    ip = request.client.host if request.client else ""
    try:
        amount = _amount(values["amount"]) if values["amount"].strip() else None
        await service.request_refund(
            session,
            service.refunder_for_official(official),
            reference,
            amount,
            values["reason"],
            ip=ip,
        )
    except InvalidInput as exc:
        payment = await service.agency_payment(session, official.agency_id, reference)
        left = await service.refundable_of(session, official.agency_id, reference)
        return await _render_payment(
            request,
            pages,
            official,
            payment,
            left,
            values=values,
            problems=exc.problems,
            status_code=422,
        )
    return RedirectResponse(f"{PAYMENTS_URL}/{reference}?da-yeu-cau=1", status_code=303)


def _may_see_reports(official: OfficialOut) -> bool:
    return official.holds(OfficialRole.leader, OfficialRole.admin)


@router.get(REPORTS_URL, response_class=HTMLResponse)
async def reconciliation_reports(
    request: Request, session: Session, pages: PagesDep, official: OfficialDep
) -> HTMLResponse:
    """The daily reconciliation reports with the gateway, newest first."""
    if not _may_see_reports(official):
        raise page_not_found()
    return pages.render(
        request, "pages/payments_reports.html", {"reports": await tasks.reports(session)}
    )


@router.get(REPORTS_URL + "/{report_id:int}", response_class=HTMLResponse)
async def reconciliation_report(
    request: Request, report_id: int, session: Session, pages: PagesDep, official: OfficialDep
) -> HTMLResponse:
    """One day's reconciliation: the counts and totals of both sides, and every mismatch."""
    if not _may_see_reports(official):
        raise page_not_found()
    report = await tasks.report(session, report_id)
    return pages.render(request, "pages/payments_report.html", {"report": report})


@router.get(REPORTS_URL + "/{report_id:int}.csv")
async def reconciliation_csv(report_id: int, session: Session, official: OfficialDep) -> Response:
    """The report's mismatches as CSV (UTF-8 with a byte order mark, for spreadsheets)."""
    if not _may_see_reports(official):
        raise page_not_found()
    report = await tasks.report(session, report_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", "gateway", "reference", "problem", "portal_vnd", "gateway_vnd"])
    for m in report.mismatches:
        writer.writerow(
            [report.day.isoformat(), report.gateway, m.reference, m.problem, m.portal, m.gateway]
        )
    writer.writerow([])
    writer.writerow(["portal_count", report.portal_count, "portal_amount", report.portal_amount])
    writer.writerow(
        ["gateway_count", report.gateway_count, "gateway_amount", report.gateway_amount]
    )
    name = f"doi-soat-{report.gateway}-{report.day.isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
