"""The embedded sandbox gateway: the payment provider's side of the VNPAY protocol, so the
portal can be tried end to end without an outside service.

It takes the same signed redirect as VNPAY (a wrong hash is refused), keeps its books in
``sandbox_transactions``, sends the payer back to ``vnp_ReturnUrl`` with the signed result,
notifies the portal's IPN address server to server, and answers ``querydr`` and ``refund`` on
its merchant_webapi address. It is never used in production (see app.config).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.errors import InvalidInput, NotFound
from app.kit.clock import aware, utcnow
from app.models.payments import SandboxTransaction
from app.payments import repository, vnpay
from app.payments.gateway import SANDBOX_TMN_CODE, ipn_url, sandbox_secret

# The test banks a tester may choose.
BANKS = ("NCB", "VIETCOMBANK", "BIDV", "VIETINBANK", "AGRIBANK")
# The fields a payment redirect must carry.
REQUIRED = (
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_Amount",
    "vnp_CurrCode",
    "vnp_TxnRef",
    "vnp_OrderInfo",
    "vnp_ReturnUrl",
    "vnp_CreateDate",
)
FIRST_TRANSACTION_NO = 14_000_000


class SandboxRefused(InvalidInput):
    code = "sandbox_refused"


class SandboxOrderNotFound(NotFound):
    code = "sandbox_order_not_found"

    def __init__(self) -> None:
        super().__init__(
            "Không tìm thấy giao dịch trong cổng thử nghiệm.",
            message_en="No such transaction in the sandbox gateway.",
        )


def _refused(message: str, message_en: str) -> SandboxRefused:
    return SandboxRefused(message, message_en=message_en)


@dataclass(frozen=True)
class SandboxView:
    """A transaction as the sandbox's pages show it."""

    txn_ref: str
    amount: int
    order_info: str
    state: str
    return_url: str
    locale: str
    expires_at: datetime | None


def _view(txn: SandboxTransaction, expires_at: datetime | None = None) -> SandboxView:
    return SandboxView(
        txn_ref=txn.txn_ref,
        amount=txn.amount,
        order_info=txn.order_info,
        state=txn.state,
        return_url=txn.return_url,
        locale=txn.locale,
        expires_at=expires_at,
    )


async def open_order(
    session: AsyncSession, settings: Settings, params: dict[str, str]
) -> SandboxView:
    """A payment redirect as VNPAY takes it: hash, merchant, fields and amount checked; the
    transaction recorded (a repeated redirect of a pending order shows it again)."""
    secret = sandbox_secret(settings)
    if not vnpay.verify(params, secret):
        raise _refused(
            "Chữ ký (vnp_SecureHash) không hợp lệ: yêu cầu thanh toán bị từ chối.",
            "Invalid signature (vnp_SecureHash): the payment request is refused.",
        )
    missing = [name for name in REQUIRED if not params.get(name)]
    if missing:
        raise _refused(
            f"Thiếu tham số: {', '.join(missing)}.", f"Missing parameters: {', '.join(missing)}."
        )
    if params["vnp_TmnCode"] != SANDBOX_TMN_CODE or params["vnp_Command"] != vnpay.PAY:
        raise _refused("Mã website (vnp_TmnCode) không đúng.", "Unknown merchant (vnp_TmnCode).")
    amount = vnpay.amount_of(params["vnp_Amount"])
    if amount is None or amount < 1 or params["vnp_CurrCode"] != "VND":
        raise _refused("Số tiền không hợp lệ.", "Invalid amount.")
    return_to = params["vnp_ReturnUrl"]
    if urlsplit(return_to).scheme not in ("http", "https") or len(return_to) > 2000:
        raise _refused("Địa chỉ trả về không hợp lệ.", "Invalid return URL.")
    txn_ref = params["vnp_TxnRef"]
    if len(txn_ref) > 100:
        raise _refused("Mã giao dịch quá dài.", "The transaction reference is too long.")
    expires_at = vnpay.parse_vnp_time(params.get("vnp_ExpireDate", ""))
    if expires_at is not None and expires_at < utcnow():
        raise _refused("Giao dịch đã hết hạn thanh toán.", "The payment has expired.")
    found = await repository.sandbox_transaction(session, SANDBOX_TMN_CODE, txn_ref)
    if found is not None:
        if found.amount != amount:
            raise _refused(
                "Mã giao dịch đã dùng cho một số tiền khác.",
                "The transaction reference was used for another amount.",
            )
        return _view(found, expires_at)
    txn = SandboxTransaction(
        merchant=SANDBOX_TMN_CODE,
        txn_ref=txn_ref,
        amount=amount,
        order_info=params["vnp_OrderInfo"][:255],
        return_url=return_to,
        locale="en" if params.get("vnp_Locale") == "en" else "vn",
        state="pending",
        created_at=utcnow(),
        create_date=params["vnp_CreateDate"][:14],
    )
    await repository.add(session, txn)
    return _view(txn, expires_at)


def result_params(settings: Settings, txn: SandboxTransaction) -> dict[str, str]:
    """The signed result of a transaction, as the return URL and the IPN carry it."""
    params = {
        "vnp_TmnCode": txn.merchant,
        "vnp_Amount": str(txn.amount * 100),
        "vnp_BankCode": txn.bank_code or "",
        "vnp_OrderInfo": txn.order_info,
        "vnp_ResponseCode": txn.response_code or "",
        "vnp_TransactionStatus": vnpay.SUCCESS if txn.state != "cancelled" else "02",
        "vnp_TxnRef": txn.txn_ref,
        "vnp_TransactionNo": txn.transaction_no or "0",
        "vnp_PayDate": vnpay.vnp_time(aware(txn.pay_date or utcnow())),
        "vnp_CardType": "ATM",
    }
    if txn.state == "paid":
        params["vnp_BankTranNo"] = f"{txn.bank_code or 'NCB'}{txn.transaction_no}"
    params[vnpay.SECURE_HASH] = vnpay.sign(params, sandbox_secret(settings))
    return params


@dataclass(frozen=True)
class Decided:
    """Where the payer's browser goes next, and the IPN to send (after the answer)."""

    redirect_url: str
    ipn: dict[str, str]


async def decide(
    session: AsyncSession, settings: Settings, txn_ref: str, *, pay: bool, bank_code: str
) -> Decided:
    """The tester pays (with a test bank) or cancels a pending transaction."""
    txn = await repository.sandbox_transaction(session, SANDBOX_TMN_CODE, txn_ref[:100], lock=True)
    if txn is None:
        raise SandboxOrderNotFound()
    if txn.state == "pending":
        if pay:
            if bank_code not in BANKS:
                raise _refused("Hãy chọn một ngân hàng thử nghiệm.", "Choose a test bank.")
            txn.bank_code = bank_code
            txn.state = "paid"
            txn.response_code = vnpay.SUCCESS
            txn.pay_date = utcnow()
            await session.flush()
            txn.transaction_no = str(FIRST_TRANSACTION_NO + txn.id)
        else:
            txn.state = "cancelled"
            txn.response_code = vnpay.CANCELLED
            txn.pay_date = utcnow()
        await session.flush()
    params = result_params(settings, txn)
    separator = "&" if urlsplit(txn.return_url).query else "?"
    query = "&".join(f"{vnpay.encode(k)}={vnpay.encode(v)}" for k, v in params.items())
    return Decided(redirect_url=f"{txn.return_url}{separator}{query}", ipn=params)


async def send_ipn(
    settings: Settings, params: dict[str, str], transport: httpx.AsyncBaseTransport | None = None
) -> dict[str, Any] | None:
    """The IPN to the portal, as VNPAY sends it (GET with the signed parameters); the portal's
    JSON answer, or None if it could not be reached (its re-query job then settles it)."""
    try:
        async with httpx.AsyncClient(
            timeout=settings.payment_timeout_seconds, transport=transport
        ) as client:
            response = await client.get(ipn_url(settings), params=params)
            answer = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    return answer if isinstance(answer, dict) else None


async def ipn_delivered(session: AsyncSession, txn_ref: str) -> None:
    txn = await repository.sandbox_transaction(session, SANDBOX_TMN_CODE, txn_ref)
    if txn is not None:
        txn.ipn_delivered_at = utcnow()
        await session.flush()


def _api_answer(
    settings: Settings,
    command: str,
    code: str,
    message: str,
    fields: tuple[str, ...],
    **values: str,
) -> dict[str, str]:
    answer = {
        "vnp_ResponseId": secrets.token_hex(16),
        "vnp_Command": command,
        "vnp_ResponseCode": code,
        "vnp_Message": message,
        "vnp_TmnCode": SANDBOX_TMN_CODE,
        **values,
    }
    answer[vnpay.SECURE_HASH] = vnpay.field_hash(answer, fields, sandbox_secret(settings))
    return answer


def _txn_values(txn: SandboxTransaction, transaction_type: str, status: str) -> dict[str, str]:
    return {
        "vnp_TxnRef": txn.txn_ref,
        "vnp_Amount": str(txn.amount * 100),
        "vnp_OrderInfo": txn.order_info,
        "vnp_BankCode": txn.bank_code or "",
        "vnp_PayDate": vnpay.vnp_time(aware(txn.pay_date)) if txn.pay_date else "",
        "vnp_TransactionNo": txn.transaction_no or "",
        "vnp_TransactionType": transaction_type,
        "vnp_TransactionStatus": status,
    }


# vnp_TransactionStatus of querydr for each state of the books.
_QUERY_STATUS = {
    "pending": "01",
    "paid": vnpay.SUCCESS,
    "cancelled": "02",
    "refunded": vnpay.SUCCESS,
    "partially_refunded": vnpay.SUCCESS,
}


async def merchant_api(
    session: AsyncSession, settings: Settings, body: dict[str, Any]
) -> dict[str, str]:
    """The merchant_webapi endpoint: querydr and refund, signed both ways (97 on a bad hash)."""
    command = str(body.get("vnp_Command", ""))
    secret = sandbox_secret(settings)
    fields: tuple[str, ...]
    if command == vnpay.QUERYDR:
        fields = vnpay.QUERY_RESPONSE_FIELDS
        if not vnpay.verify_fields(body, vnpay.QUERY_REQUEST_FIELDS, secret):
            return _api_answer(settings, command, "97", "Invalid Checksum", fields)
        txn = await repository.sandbox_transaction(
            session, SANDBOX_TMN_CODE, str(body.get("vnp_TxnRef", ""))[:100]
        )
        if txn is None:
            return _api_answer(settings, command, vnpay.NOT_FOUND, "Not found", fields)
        status = _QUERY_STATUS.get(txn.state, "02")
        return _api_answer(
            settings,
            command,
            vnpay.SUCCESS,
            "QueryDR Success",
            fields,
            **_txn_values(txn, "01", status),
            vnp_PromotionCode="",
            vnp_PromotionAmount="",
        )
    if command == vnpay.REFUND:
        fields = vnpay.REFUND_RESPONSE_FIELDS
        if not vnpay.verify_fields(body, vnpay.REFUND_REQUEST_FIELDS, secret):
            return _api_answer(settings, command, "97", "Invalid Checksum", fields)
        txn = await repository.sandbox_transaction(
            session, SANDBOX_TMN_CODE, str(body.get("vnp_TxnRef", ""))[:100], lock=True
        )
        if txn is None:
            return _api_answer(settings, command, vnpay.NOT_FOUND, "Not found", fields)
        amount = vnpay.amount_of(str(body.get("vnp_Amount", "")))
        left = txn.amount - txn.refunded_amount
        kind = str(body.get("vnp_TransactionType", ""))
        if txn.state not in ("paid", "partially_refunded"):
            return _api_answer(settings, command, "95", "Transaction not refundable", fields)
        if amount is None or amount < 1 or amount > left or kind not in ("02", "03"):
            return _api_answer(settings, command, "94", "Invalid refund amount", fields)
        txn.refunded_amount += amount
        txn.state = "refunded" if txn.refunded_amount >= txn.amount else "partially_refunded"
        await session.flush()
        return _api_answer(
            settings,
            command,
            vnpay.SUCCESS,
            "Refund success",
            fields,
            **_txn_values(txn, kind, "05"),
        )
    return {"vnp_ResponseCode": "99", "vnp_Message": "Unknown command"}


async def paid_between(
    session: AsyncSession, start: datetime, end: datetime
) -> list[SandboxTransaction]:
    """The sandbox's paid transactions of a period (its transaction list, for reconciliation)."""
    return await repository.sandbox_paid_between(session, SANDBOX_TMN_CODE, start, end)
