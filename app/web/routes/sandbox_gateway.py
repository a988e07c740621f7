"""The embedded sandbox gateway's pages and merchant API (only while the portal's gateway is
the sandbox): the signed redirect, the tester paying or cancelling, the return to the portal
with the signed result and the IPN sent in the background once the page has been answered."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from app.config import PaymentGateway, Settings
from app.errors import InvalidInput
from app.payments import sandbox, tasks
from app.payments.gateway import SANDBOX_API_PATH, SANDBOX_PAY_PATH, SANDBOX_PREFIX
from app.web.routes.deps import PagesDep, Session, SettingsDep, page_not_found, read_form

router = APIRouter()

DECIDE_PATH = f"{SANDBOX_PREFIX}/paymentv2/decide"
MAX_PARAMS = 40
MAX_VALUE = 2000
MAX_API_BODY = 16 * 1024


def _require_sandbox(settings: Settings) -> None:
    if settings.payment_gateway is not PaymentGateway.sandbox:
        raise page_not_found()


@router.get(SANDBOX_PAY_PATH, response_class=HTMLResponse)
async def pay_page(
    request: Request, session: Session, pages: PagesDep, settings: SettingsDep
) -> HTMLResponse:
    """The sandbox's payment page for a signed redirect; an error page for a forged one."""
    _require_sandbox(settings)
    params = {
        name[:100]: value[:MAX_VALUE]
        for name, value in list(request.query_params.multi_items())[:MAX_PARAMS]
    }
    try:
        order = await sandbox.open_order(session, settings, params)
    except InvalidInput as exc:
        english = pages.locale(request) == "en"
        return pages.render(
            request,
            "pages/sandbox_error.html",
            {"message": exc.message_en if english else exc.message},
            status_code=400,
        )
    return pages.render(
        request,
        "pages/sandbox_pay.html",
        {"order": order, "banks": sandbox.BANKS, "decide_url": DECIDE_PATH},
    )


@router.post(DECIDE_PATH, response_class=HTMLResponse)
async def decide(
    request: Request,
    background: BackgroundTasks,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
) -> Response:
    """The tester pays or cancels: back to the merchant's return URL with the signed result;
    the IPN follows, after this answer, outside its transaction."""
    _require_sandbox(settings)
    form = await read_form(request)
    try:
        decided = await sandbox.decide(
            session,
            settings,
            form.get("txn_ref", ""),
            pay=form.get("action") == "pay",
            bank_code=form.get("bank", ""),
        )
    except InvalidInput as exc:
        english = pages.locale(request) == "en"
        return pages.render(
            request,
            "pages/sandbox_error.html",
            {"message": exc.message_en if english else exc.message},
            status_code=exc.status,
        )
    database = request.app.state.database
    # How the IPN reaches the portal: over the network, unless the application was given a
    # transport of its own (an in-process one, in tests).
    transport = getattr(request.app.state, "payment_transport", None)
    background.add_task(
        tasks.deliver_sandbox_ipn, database.unit_of_work, settings, decided.ipn, transport
    )
    return RedirectResponse(decided.redirect_url, status_code=303)


@router.post(SANDBOX_API_PATH)
async def merchant_api(request: Request, session: Session, settings: SettingsDep) -> JSONResponse:
    """querydr and refund, as VNPAY's merchant_webapi answers them."""
    _require_sandbox(settings)
    raw = await request.body()
    body: Any = None
    if len(raw) <= MAX_API_BODY:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
    if not isinstance(body, dict):
        return JSONResponse({"vnp_ResponseCode": "99", "vnp_Message": "Invalid request"})
    return JSONResponse(await sandbox.merchant_api(session, settings, body))
