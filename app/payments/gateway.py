"""Payment gateways: what the portal needs of one, and the VNPAY adapter.

The embedded sandbox speaks the VNPAY protocol too, so the same adapter drives it, with the
sandbox's addresses and keys (``gateway_for``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from app.config import PaymentGateway, Settings
from app.kit.clock import utcnow
from app.payments import vnpay
from app.payments.errors import GatewayUnavailable, PaymentsOff

# The sandbox's own addresses under the portal, as VNPAY's are under its hosts.
SANDBOX_PREFIX = "/sandbox-gateway"
SANDBOX_PAY_PATH = f"{SANDBOX_PREFIX}/paymentv2/vpcpay.html"
# Under /api/: a machine endpoint, which the pages' CSRF check leaves to its own signature.
SANDBOX_API_PATH = f"/api{SANDBOX_PREFIX}/merchant_webapi/api/transaction"
SANDBOX_TMN_CODE = "MOTCUA01"
# The portal's addresses the gateway sends the payer and its notices to.
RETURN_PATH = "/thanh-toan/vnpay/ket-qua"
IPN_PATH = "/thanh-toan/vnpay/ipn"


@dataclass(frozen=True)
class QueryAnswer:
    """What the gateway's query said of a transaction: ``found`` False when it has none,
    ``outcome`` None when the answer could not be trusted (bad hash)."""

    found: bool
    outcome: vnpay.Outcome | None
    params: dict[str, Any]


@dataclass(frozen=True)
class RefundAnswer:
    accepted: bool
    response_code: str
    transaction_no: str
    params: dict[str, Any]


class Gateway(Protocol):
    """A payment gateway as the portal uses it."""

    name: str

    def payment_url(self, order: vnpay.Order) -> str:
        """Where to send the payer's browser to pay the order."""
        ...

    def verify(self, params: Mapping[str, str]) -> vnpay.Outcome | None:
        """The outcome a return or an IPN carries; None if its signature is wrong."""
        ...

    async def query(
        self, txn_ref: str, created_at: datetime, order_info: str, ip: str
    ) -> QueryAnswer:
        """Ask the gateway about a transaction."""
        ...

    async def refund(
        self,
        *,
        txn_ref: str,
        amount: int,
        full: bool,
        transaction_no: str,
        transaction_date: datetime,
        by: str,
        order_info: str,
        ip: str,
    ) -> RefundAnswer:
        """Ask the gateway to give back all or part of a paid transaction."""
        ...


class VnpayGateway:
    """VNPAY 2.1.0: signed redirect, return and IPN; querydr and refund through its
    merchant_webapi JSON API."""

    def __init__(
        self,
        name: str,
        *,
        tmn_code: str,
        hash_secret: str,
        pay_url: str,
        api_url: str,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.tmn_code = tmn_code
        self._secret = hash_secret
        self.pay_url = pay_url
        self.api_url = api_url
        self._timeout = timeout
        self._transport = transport

    def __repr__(self) -> str:
        # Never the secret.
        return f"VnpayGateway({self.name!r}, tmn_code={self.tmn_code!r})"

    def payment_url(self, order: vnpay.Order) -> str:
        params = vnpay.pay_params(self.tmn_code, order)
        return f"{self.pay_url}?{vnpay.signed_query(params, self._secret)}"

    def verify(self, params: Mapping[str, str]) -> vnpay.Outcome | None:
        if not vnpay.verify(params, self._secret):
            return None
        if params.get("vnp_TmnCode", self.tmn_code) != self.tmn_code:
            return None
        return vnpay.outcome_of(params)

    async def _post(self, body: dict[str, str]) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport, follow_redirects=False
            ) as client:
                response = await client.post(self.api_url, json=body)
                answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise GatewayUnavailable(f"{type(exc).__name__}") from exc
        if not isinstance(answer, dict):
            raise GatewayUnavailable("the gateway's answer is not a JSON object")
        return answer

    async def query(
        self, txn_ref: str, created_at: datetime, order_info: str, ip: str
    ) -> QueryAnswer:
        body = vnpay.query_request(
            tmn_code=self.tmn_code,
            secret=self._secret,
            request_id=secrets.token_hex(16),
            txn_ref=txn_ref,
            transaction_date=created_at,
            now=utcnow(),
            ip=ip,
            order_info=order_info,
        )
        answer = await self._post(body)
        code = str(answer.get("vnp_ResponseCode", ""))
        if not vnpay.verify_fields(answer, vnpay.QUERY_RESPONSE_FIELDS, self._secret):
            return QueryAnswer(found=code != vnpay.NOT_FOUND, outcome=None, params=answer)
        if code != vnpay.SUCCESS:
            return QueryAnswer(found=code != vnpay.NOT_FOUND, outcome=None, params=answer)
        outcome = vnpay.outcome_of(answer)
        # The query's own answer code says the query worked; the payment's is its status.
        outcome = vnpay.Outcome(
            txn_ref=outcome.txn_ref,
            amount=outcome.amount,
            response_code=outcome.transaction_status,
            transaction_status=outcome.transaction_status,
            transaction_no=outcome.transaction_no,
            bank_code=outcome.bank_code,
            pay_date=outcome.pay_date,
        )
        return QueryAnswer(found=True, outcome=outcome, params=answer)

    async def refund(
        self,
        *,
        txn_ref: str,
        amount: int,
        full: bool,
        transaction_no: str,
        transaction_date: datetime,
        by: str,
        order_info: str,
        ip: str,
    ) -> RefundAnswer:
        body = vnpay.refund_request(
            tmn_code=self.tmn_code,
            secret=self._secret,
            request_id=secrets.token_hex(16),
            txn_ref=txn_ref,
            amount=amount,
            full=full,
            transaction_no=transaction_no,
            transaction_date=transaction_date,
            create_by=by[:250] or "motcua",
            now=utcnow(),
            ip=ip,
            order_info=order_info,
        )
        answer = await self._post(body)
        trusted = vnpay.verify_fields(answer, vnpay.REFUND_RESPONSE_FIELDS, self._secret)
        code = str(answer.get("vnp_ResponseCode", ""))
        return RefundAnswer(
            accepted=trusted and code == vnpay.SUCCESS,
            response_code=code if trusted else "97",
            transaction_no=str(answer.get("vnp_TransactionNo", "")),
            params=answer,
        )


def sandbox_secret(settings: Settings) -> str:
    """The sandbox's hash secret, drawn from the portal's own secret key (never the default)."""
    return hmac.new(
        settings.secret_key.encode(), b"motcua sandbox gateway", hashlib.sha256
    ).hexdigest()


def return_url(settings: Settings) -> str:
    return settings.base_url.rstrip("/") + RETURN_PATH


def ipn_url(settings: Settings) -> str:
    return settings.sandbox_ipn_url or settings.base_url.rstrip("/") + IPN_PATH


def gateway_for(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> VnpayGateway:
    """The gateway the settings name; PaymentsOff when none is set (production unconfigured)."""
    match settings.payment_gateway:
        case PaymentGateway.vnpay:
            return VnpayGateway(
                PaymentGateway.vnpay.value,
                tmn_code=settings.vnpay_tmn_code,
                hash_secret=settings.vnpay_hash_secret,
                pay_url=settings.vnpay_pay_url,
                api_url=settings.vnpay_api_url,
                timeout=settings.payment_timeout_seconds,
                transport=transport,
            )
        case PaymentGateway.sandbox:
            base = settings.base_url.rstrip("/")
            return VnpayGateway(
                PaymentGateway.sandbox.value,
                tmn_code=SANDBOX_TMN_CODE,
                hash_secret=sandbox_secret(settings),
                pay_url=base + SANDBOX_PAY_PATH,
                api_url=base + SANDBOX_API_PATH,
                timeout=settings.payment_timeout_seconds,
                transport=transport,
            )
        case _:
            raise PaymentsOff()
