"""The VNPAY 2.1.0 protocol, both sides of it: pure functions, no I/O.

- The payment redirect: the parameters sorted by name, each name and value URL-encoded as PHP's
  ``urlencode`` does (VNPAY's reference code: space as ``+``, everything but letters, digits and
  ``-_.`` percent-encoded), joined with ``&``; ``vnp_SecureHash`` is the HMAC-SHA512 (hex) of
  that string under the merchant's hash secret.
- The return URL and the IPN carry the result signed the same way; ``vnp_SecureHash`` and
  ``vnp_SecureHashType`` are left out of the signed string.
- The merchant API (``merchant_webapi``: ``querydr``, ``refund``) takes and answers JSON whose
  ``vnp_SecureHash`` is the HMAC-SHA512 of the listed fields' values joined with ``|``.

The embedded sandbox gateway uses the same functions from the other side.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote_plus

VERSION = "2.1.0"
PAY = "pay"
QUERYDR = "querydr"
REFUND = "refund"
SECURE_HASH = "vnp_SecureHash"
SECURE_HASH_TYPE = "vnp_SecureHashType"
PREFIX = "vnp_"
# VNPAY counts every time in GMT+7, written yyyyMMddHHmmss.
GMT7 = timezone(timedelta(hours=7))
TIME_FORMAT = "%Y%m%d%H%M%S"
# vnp_TransactionType of a refund: the whole amount, or a part of it.
FULL_REFUND, PARTIAL_REFUND = "02", "03"
# vnp_ResponseCode / vnp_TransactionStatus of a successful transaction.
SUCCESS = "00"
# vnp_ResponseCode of the payer cancelling on the gateway's page.
CANCELLED = "24"
# vnp_ResponseCode of querydr when the gateway has no such transaction.
NOT_FOUND = "91"

# The fields of the merchant API, in the order their values are joined to be signed.
QUERY_REQUEST_FIELDS = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
QUERY_RESPONSE_FIELDS = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
)
REFUND_REQUEST_FIELDS = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TransactionType",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_TransactionNo",
    "vnp_TransactionDate",
    "vnp_CreateBy",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
REFUND_RESPONSE_FIELDS = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
)

# The IPN's answers, exactly as VNPAY reads them.
IPN_CONFIRMED = {"RspCode": "00", "Message": "Confirm Success"}
IPN_ORDER_NOT_FOUND = {"RspCode": "01", "Message": "Order not found"}
IPN_ALREADY_CONFIRMED = {"RspCode": "02", "Message": "Order already confirmed"}
IPN_INVALID_AMOUNT = {"RspCode": "04", "Message": "invalid amount"}
IPN_INVALID_SIGNATURE = {"RspCode": "97", "Message": "Invalid signature"}
IPN_UNKNOWN_ERROR = {"RspCode": "99", "Message": "Unknow error"}


def vnp_time(moment: datetime) -> str:
    """A time as VNPAY writes it: yyyyMMddHHmmss in GMT+7."""
    return moment.astimezone(GMT7).strftime(TIME_FORMAT)


def parse_vnp_time(value: str) -> datetime | None:
    """A yyyyMMddHHmmss time in GMT+7, in UTC (as the database keeps times: SQLite drops the
    offset); None if it is not one."""
    if len(value) != len("20260101000000") or not value.isdigit():
        return None
    try:
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=GMT7).astimezone(UTC)
    except ValueError:
        return None


def encode(value: str) -> str:
    """PHP's urlencode, which VNPAY's reference code uses (Python leaves ``~`` alone)."""
    return quote_plus(value, safe="").replace("~", "%7E")


def signed_string(params: Mapping[str, str]) -> str:
    """The string the hash covers: the ``vnp_`` parameters but the hash's own, sorted by name,
    encoded, joined with ``&``."""
    return "&".join(
        f"{encode(name)}={encode(value)}"
        for name, value in sorted(params.items())
        if name.startswith(PREFIX) and name not in (SECURE_HASH, SECURE_HASH_TYPE)
    )


def hmac_sha512(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def sign(params: Mapping[str, str], secret: str) -> str:
    return hmac_sha512(secret, signed_string(params))


def signed_query(params: Mapping[str, str], secret: str) -> str:
    """The query string of a signed redirect: the sorted, encoded parameters and their hash."""
    data = signed_string(params)
    return f"{data}&{SECURE_HASH}={hmac_sha512(secret, data)}"


def verify(params: Mapping[str, str], secret: str) -> bool:
    """The parameters of a redirect, a return or an IPN carry the hash of their values."""
    given = params.get(SECURE_HASH, "")
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(given.lower(), sign(params, secret))


def _field(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    return "" if value is None else str(value)


def field_hash(params: Mapping[str, Any], fields: Sequence[str], secret: str) -> str:
    """The hash of a merchant API message: the listed fields' values joined with ``|``."""
    return hmac_sha512(secret, "|".join(_field(params, name) for name in fields))


def verify_fields(params: Mapping[str, Any], fields: Sequence[str], secret: str) -> bool:
    given = params.get(SECURE_HASH)
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(given.lower(), field_hash(params, fields, secret))


@dataclass(frozen=True)
class Order:
    """What the portal asks the payer to pay (one payment)."""

    txn_ref: str
    amount: int
    order_info: str
    return_url: str
    ip: str
    created_at: datetime
    expires_at: datetime
    locale: str = "vi"
    order_type: str = "other"
    bank_code: str = ""


def pay_params(tmn_code: str, order: Order) -> dict[str, str]:
    """The parameters of the payment redirect (before signing)."""
    params = {
        "vnp_Version": VERSION,
        "vnp_Command": PAY,
        "vnp_TmnCode": tmn_code,
        "vnp_Amount": str(order.amount * 100),
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": order.txn_ref,
        "vnp_OrderInfo": order.order_info,
        "vnp_OrderType": order.order_type,
        "vnp_Locale": "en" if order.locale == "en" else "vn",
        "vnp_ReturnUrl": order.return_url,
        "vnp_IpAddr": order.ip or "127.0.0.1",
        "vnp_CreateDate": vnp_time(order.created_at),
        "vnp_ExpireDate": vnp_time(order.expires_at),
    }
    if order.bank_code:
        params["vnp_BankCode"] = order.bank_code
    return params


@dataclass(frozen=True)
class Outcome:
    """What a gateway says of a transaction (from a return, an IPN or a query)."""

    txn_ref: str
    # VND; None when the message carries no readable amount.
    amount: int | None
    response_code: str
    transaction_status: str
    transaction_no: str
    bank_code: str
    pay_date: datetime | None

    @property
    def succeeded(self) -> bool:
        return self.response_code == SUCCESS and self.transaction_status == SUCCESS


def amount_of(raw: str) -> int | None:
    """vnp_Amount (the amount ×100) in whole đồng; None if it is not a whole number of đồng."""
    if not raw.isdigit() or len(raw) > 18 or int(raw) % 100:
        return None
    return int(raw) // 100


def outcome_of(params: Mapping[str, Any]) -> Outcome:
    """The outcome a return, an IPN or a querydr answer tells (its hash checked beforehand)."""
    response_code = _field(params, "vnp_ResponseCode")
    return Outcome(
        txn_ref=_field(params, "vnp_TxnRef"),
        amount=amount_of(_field(params, "vnp_Amount")),
        response_code=response_code,
        # A return or IPN before 2.1.0 had no status: the response code then stands for it.
        transaction_status=_field(params, "vnp_TransactionStatus") or response_code,
        transaction_no=_field(params, "vnp_TransactionNo"),
        bank_code=_field(params, "vnp_BankCode"),
        pay_date=parse_vnp_time(_field(params, "vnp_PayDate")),
    )


def query_request(
    *,
    tmn_code: str,
    secret: str,
    request_id: str,
    txn_ref: str,
    transaction_date: datetime,
    now: datetime,
    ip: str,
    order_info: str,
) -> dict[str, str]:
    """The JSON body of a querydr request, signed."""
    body = {
        "vnp_RequestId": request_id,
        "vnp_Version": VERSION,
        "vnp_Command": QUERYDR,
        "vnp_TmnCode": tmn_code,
        "vnp_TxnRef": txn_ref,
        "vnp_OrderInfo": order_info,
        "vnp_TransactionDate": vnp_time(transaction_date),
        "vnp_CreateDate": vnp_time(now),
        "vnp_IpAddr": ip,
    }
    body[SECURE_HASH] = field_hash(body, QUERY_REQUEST_FIELDS, secret)
    return body


def refund_request(
    *,
    tmn_code: str,
    secret: str,
    request_id: str,
    txn_ref: str,
    amount: int,
    full: bool,
    transaction_no: str,
    transaction_date: datetime,
    create_by: str,
    now: datetime,
    ip: str,
    order_info: str,
) -> dict[str, str]:
    """The JSON body of a refund request, signed."""
    body = {
        "vnp_RequestId": request_id,
        "vnp_Version": VERSION,
        "vnp_Command": REFUND,
        "vnp_TmnCode": tmn_code,
        "vnp_TransactionType": FULL_REFUND if full else PARTIAL_REFUND,
        "vnp_TxnRef": txn_ref,
        "vnp_Amount": str(amount * 100),
        "vnp_OrderInfo": order_info,
        "vnp_TransactionNo": transaction_no,
        "vnp_TransactionDate": vnp_time(transaction_date),
        "vnp_CreateBy": create_by,
        "vnp_CreateDate": vnp_time(now),
        "vnp_IpAddr": ip,
    }
    body[SECURE_HASH] = field_hash(body, REFUND_REQUEST_FIELDS, secret)
    return body
