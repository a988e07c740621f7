"""Fixtures of the online payment tests: a citizen signed in to the pages, a dossier of the
test procedure waiting for its fees (status 6), the portal's HTTP calls to its own sandbox
kept in process, and the worker's jobs run in the test's session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.accounts import service as accounts
from app.accounts.schemas import CitizenSignUp
from app.config import Settings
from app.dossiers import service as dossiers
from app.dossiers.schemas import Applicant
from app.models.catalog import Procedure
from app.models.dossiers import Dossier
from app.models.payments import PaymentStage
from app.payments.gateway import VnpayGateway, gateway_for
from app.processing.rules import Action
from app.storage import FileStorage
from app.web.i18n import LOCALE_COOKIE
from app.web.security import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE, sign
from tests.api.dossier_helpers import request_client
from tests.conftest import TEST_SECRET_KEY
from tests.fixtures.catalogs import PROCEDURE
from tests.fixtures.processing import Desk, act, file_dossier

CSRF = sign(TEST_SECRET_KEY, "csrf", "a-payments-browser")
# 50.000 đ once, 20.000 đ a copy beyond the first, none for the exempt.
FEES: list[dict[str, Any]] = [
    {"code": "LP", "name": "Lệ phí cấp giấy", "amount": 50_000},
    {
        "code": "BS",
        "name": "Phí cấp thêm bản sao",
        "amount": 20_000,
        "per": "copy",
        "quantity": "copies",
        "included": 1,
    },
]


@dataclass(frozen=True)
class Payer:
    applicant: Applicant
    session_cookie: str
    email: str


async def make_payer(session: AsyncSession, n: int = 1) -> Payer:
    email = f"payer{n}@example.com"
    account = await accounts.sign_up_citizen(
        session,
        CitizenSignUp(
            full_name="Nguyễn Văn An",
            email=email,
            phone=f"0913{n:06d}",
            citizen_id=f"00200000{n:04d}",
            password="mat-khau-dai-du",
            password_confirm="mat-khau-dai-du",
        ),
    )
    started = await accounts.start_session(session, account.id)
    applicant = await dossiers.applicant_for_account(session, account)
    return Payer(applicant, sign(TEST_SECRET_KEY, "session", started.token), email)


def browse_as(client: httpx.AsyncClient, cookie: str | None, lang: str = "vi") -> None:
    client.cookies.clear()
    if cookie:
        client.cookies.set(SESSION_COOKIE, cookie)
    client.cookies.set(CSRF_COOKIE, CSRF)
    client.cookies.set(LOCALE_COOKIE, lang)


async def post_form(
    client: httpx.AsyncClient, url: str, data: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(url, data={CSRF_FIELD: CSRF, **(data or {})})


@pytest.fixture
async def client(app: FastAPI, db_session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """A client over the app sharing the test's session (each request in a savepoint); the
    portal's calls to its gateway (the sandbox's IPN, queries, refunds) go to the same app."""
    app.state.payment_transport = httpx.ASGITransport(app=app)
    try:
        async with request_client(app, db_session) as http:
            yield http
    finally:
        del app.state.payment_transport


@pytest.fixture
def gateway(app: FastAPI, settings: Settings) -> VnpayGateway:
    """The sandbox as the worker reaches it, through the app in process."""
    return gateway_for(settings, httpx.ASGITransport(app=app))


@pytest.fixture
def same_session(db_session: AsyncSession) -> Any:
    """A unit of work for the worker's jobs that is the test's own session."""

    @asynccontextmanager
    async def unit_of_work() -> AsyncIterator[AsyncSession]:
        async with db_session.begin_nested():
            yield db_session

    return unit_of_work


@pytest.fixture
async def payer(db_session: AsyncSession) -> Payer:
    return await make_payer(db_session)


async def takes_fees(
    session: AsyncSession, stage: PaymentStage = PaymentStage.before_processing
) -> None:
    await session.execute(
        update(Procedure)
        .where(Procedure.code == PROCEDURE)
        .values(fees=FEES, payment_stage=stage.value)
    )


async def dossier_of(session: AsyncSession, code: str) -> Dossier:
    session.expire_all()
    found = await session.scalar(
        select(Dossier).where(Dossier.code == code).options(selectinload(Dossier.procedure))
    )
    assert found is not None
    return found


@pytest.fixture
async def owed(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    payer: Payer,
) -> str:
    """A dossier of the payer, received by the desk and waiting for 50.000 đ (status 6)."""
    await takes_fees(db_session)
    code = await file_dossier(db_session, settings, payer.applicant, storage=storage)
    await act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    return code
