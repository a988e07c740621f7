"""What the payment services take and give back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from app.models.payments import PaymentStage, PaymentState, RefundState


class FeeLineOut(BaseModel):
    code: str | None
    name: str
    quantity: int
    unit_amount: int = Field(description="VND per unit")
    amount: int = Field(description="VND; 0 when exempt")
    exempt: bool


class RefundOut(BaseModel):
    reference: str
    amount: int = Field(description="VND")
    reason: str
    state: RefundState
    requested_by: str
    requested_at: datetime
    settled_at: datetime | None
    gateway_transaction_no: str | None
    response_code: str | None


class NoticeOut(BaseModel):
    """Something the gateway told the portal about a payment, valid or not."""

    at: datetime
    source: str = Field(description="ipn, return, query or refund")
    valid: bool
    outcome: str
    params: dict[str, Any]


class PaymentOut(BaseModel):
    reference: str = Field(description="The payment's reference (vnp_TxnRef)")
    dossier_code: str | None
    stage: PaymentStage
    gateway: str
    amount: int = Field(description="VND")
    lines: list[FeeLineOut]
    state: PaymentState
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    gateway_transaction_no: str | None
    bank_code: str | None
    response_code: str | None
    refunded_amount: int = Field(description="VND refunded so far")
    receipt: str | None = Field(
        description="The reference of the electronic receipt (a document of the dossier)"
    )


class PaymentDetail(PaymentOut):
    notices: list[NoticeOut]
    refunds: list[RefundOut]


class FeesOut(BaseModel):
    """The fees of a dossier taken online, and what is owed of them."""

    dossier_code: str
    stage: PaymentStage | None = Field(
        description="When the fees are paid online; null when they are paid at the desk"
    )
    lines: list[FeeLineOut]
    total: int = Field(description="VND")
    paid: int = Field(description="VND paid online")
    outstanding: int = Field(description="VND still owed")
    payable_now: bool = Field(description="Whether a payment can be started now")
    payments: list[PaymentOut]


class PaymentStarted(BaseModel):
    payment: PaymentOut
    redirect_url: str = Field(description="Where to send the payer's browser to pay")


class PaymentPage(BaseModel):
    """A page of payments."""

    items: list[PaymentOut]
    next_cursor: str | None = Field(
        description='Pass as `cursor` to get the next page (the `Link` header with `rel="next"`'
        " gives its whole address); null on the last page"
    )


class Mismatch(BaseModel):
    reference: str
    problem: str = Field(description="missing_at_gateway, missing_at_portal, amount or unverified")
    portal: int | None = Field(description="VND the portal holds as paid")
    gateway: int | None = Field(description="VND the gateway holds as paid")


class ReportOut(BaseModel):
    id: int
    day: date
    gateway: str
    created_at: datetime
    portal_count: int
    portal_amount: int
    gateway_count: int
    gateway_amount: int
    mismatches: list[Mismatch]


@dataclass(frozen=True)
class ReturnView:
    """What the return page shows: the payment (if known) and what the gateway said."""

    valid: bool
    succeeded: bool
    cancelled: bool
    payment: PaymentOut | None
    dossier_code: str | None


@dataclass(frozen=True)
class Refunder:
    """Who asks for a refund: an official (leader) of the agency, or the agency's API key."""

    agency_id: int
    label: str
    name: str
