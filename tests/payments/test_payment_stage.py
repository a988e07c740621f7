"""Status 6 (yêu cầu nghĩa vụ tài chính): a procedure that takes its fees online holds the
dossier until they are paid, before processing or before the result, and the dossier goes on
where it stopped once nothing is owed."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.config import Settings
from app.dossiers.schemas import Applicant
from app.errors import NotFound
from app.kit.clock import aware, utcnow
from app.models.catalog import Procedure
from app.models.dossiers import Dossier, Status
from app.models.payments import Payment, PaymentStage, PaymentState
from app.models.processing import DossierDocument
from app.payments import dues
from app.processing import service
from app.processing.errors import WrongState
from app.processing.rules import Action
from app.storage import FileStorage
from tests.fixtures.catalogs import PROCEDURE
from tests.fixtures.processing import event_types
from tests.processing.conftest import Desk, act, file_dossier

pytestmark = pytest.mark.usefixtures("desk")

FEES: list[dict[str, Any]] = [{"code": "LP", "name": "Lệ phí", "amount": 50_000}]


async def _procedure_takes_fees_online(
    session: AsyncSession, stage: PaymentStage, fees: list[dict[str, Any]] = FEES
) -> None:
    await session.execute(
        update(Procedure)
        .where(Procedure.code == PROCEDURE)
        .values(fees=fees, payment_stage=stage.value)
    )


async def _dossier(session: AsyncSession, code: str) -> Dossier:
    session.expire_all()
    found = await session.scalar(
        select(Dossier).where(Dossier.code == code).options(selectinload(Dossier.procedure))
    )
    assert found is not None
    return found


async def _paid(session: AsyncSession, code: str, amount: int, stage: PaymentStage) -> None:
    dossier = await _dossier(session, code)
    assert dossier.agency_id is not None
    session.add(
        Payment(
            reference=secrets.token_hex(8),
            dossier_id=dossier.id,
            agency_id=dossier.agency_id,
            stage=stage.value,
            gateway="sandbox",
            amount=amount,
            state=PaymentState.paid,
            expires_at=utcnow() + timedelta(minutes=15),
            paid_at=utcnow(),
        )
    )
    await session.flush()


async def _forms(session: AsyncSession, code: str) -> list[str]:
    dossier = await _dossier(session, code)
    rows = await session.scalars(
        select(DossierDocument.form)
        .where(DossierDocument.dossier_id == dossier.id)
        .order_by(DossierDocument.id)
    )
    return list(rows)


async def test_fees_before_processing_hold_the_dossier_until_paid(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    await _procedure_takes_fees_online(db_session, PaymentStage.before_processing)
    code = await file_dossier(db_session, settings, applicant)
    work = await act(db_session, settings, storage, desk["receiver"], code, Action.receive)

    # Received, but the clock waits for the fees: no due time, no receipt yet.
    assert work.status.code == Status.payment_required
    dossier = await _dossier(db_session, code)
    assert dossier.received_at is not None
    assert dossier.clock_started_at is None and dossier.due_at is None
    assert await _forms(db_session, code) == []
    assert (await event_types(db_session, code))[-1] == "dossier.payment_required"
    due = await dues.due_of(db_session, await _dossier(db_session, code))
    assert due is not None and due.outstanding == 50_000
    assert dues.payable_now(dossier, due)
    with pytest.raises(NotFound):
        await act(db_session, settings, storage, desk["specialist"], code, Action.forward)

    # Part of the fees: still waiting.
    await _paid(db_session, code, 20_000, PaymentStage.before_processing)
    dossier = await _dossier(db_session, code)
    assert not await service.payment_settled(db_session, settings, storage, dossier.id)
    assert (await _dossier(db_session, code)).status == Status.payment_required

    await _paid(db_session, code, 30_000, PaymentStage.before_processing)
    assert await service.payment_settled(db_session, settings, storage, dossier.id)
    dossier = await _dossier(db_session, code)
    assert dossier.status == Status.received
    assert dossier.clock_started_at is not None and dossier.clock_started_at >= dossier.received_at
    assert dossier.due_at is not None and dossier.due_at == dossier.original_due_at
    assert await _forms(db_session, code) == ["01"]
    assert (await event_types(db_session, code))[-1] == "dossier.received"
    # Settling again changes nothing.
    assert not await service.payment_settled(db_session, settings, storage, dossier.id)
    work = await act(db_session, settings, storage, desk["specialist"], code, Action.forward)
    assert work.status.code == Status.processing


async def test_fees_paid_right_after_filing_let_reception_start_the_clock(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    await _procedure_takes_fees_online(db_session, PaymentStage.before_processing)
    code = await file_dossier(db_session, settings, applicant)
    dossier = await _dossier(db_session, code)
    assert dues.payable_now(dossier, await dues.due_of(db_session, dossier))
    await _paid(db_session, code, 50_000, PaymentStage.before_processing)
    dossier = await _dossier(db_session, code)
    assert not dues.payable_now(dossier, await dues.due_of(db_session, dossier))
    work = await act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    assert work.status.code == Status.received and work.due_at is not None


async def test_fees_before_the_result_hold_the_result_until_paid(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    await _procedure_takes_fees_online(db_session, PaymentStage.before_result)
    code = await file_dossier(db_session, settings, applicant)
    dossier = await _dossier(db_session, code)
    # Nothing to pay ahead when the fees come before the result.
    assert not dues.payable_now(dossier, await dues.due_of(db_session, dossier))
    await act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    await act(db_session, settings, storage, desk["specialist"], code, Action.forward)
    await act(db_session, settings, storage, desk["leader"], code, Action.approve)
    await act(db_session, settings, storage, desk["leader"], code, Action.sign)
    work = await act(db_session, settings, storage, desk["clerk"], code, Action.result_ready)

    # Processing ended (its time counts up to now), the result waits for the fees.
    assert work.status.code == Status.payment_required
    assert work.finished_at is not None
    dossier = await _dossier(db_session, code)
    assert dues.payable_now(dossier, await dues.due_of(db_session, dossier))
    with pytest.raises((WrongState, NotFound)):
        await act(db_session, settings, storage, desk["clerk"], code, Action.return_result)

    await _paid(db_session, code, 50_000, PaymentStage.before_result)
    assert await service.payment_settled(db_session, settings, storage, dossier.id)
    dossier = await _dossier(db_session, code)
    assert dossier.status == Status.result_ready
    assert aware(dossier.finished_at) == work.finished_at
    assert (await event_types(db_session, code))[-2:] == [
        "dossier.payment_required",
        "dossier.result_ready",
    ]
    work = await act(db_session, settings, storage, desk["clerk"], code, Action.return_result)
    assert work.status.code == Status.returned


async def test_an_exempt_applicant_goes_straight_on(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    fees = [{"name": "Lệ phí", "amount": 50_000, "exempt_if": {"!=": [{"var": "full_name"}, ""]}}]
    await _procedure_takes_fees_online(db_session, PaymentStage.before_processing, fees)
    code = await file_dossier(db_session, settings, applicant)
    dossier = await _dossier(db_session, code)
    due = await dues.due_of(db_session, dossier)
    assert due is not None and due.assessment.lines[0].exempt and due.outstanding == 0
    assert not dues.payable_now(dossier, due)
    work = await act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    assert work.status.code == Status.received


async def test_a_leader_may_stop_a_dossier_waiting_for_its_fees(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    await _procedure_takes_fees_online(db_session, PaymentStage.before_processing)
    code = await file_dossier(db_session, settings, applicant)
    await act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    work = await service.work_on(db_session, desk["leader"], code)
    assert Action.stop in work.actions
    work = await act(
        db_session, settings, storage, desk["leader"], code, Action.stop, reason="Quá hạn nộp phí"
    )
    assert work.status.code == Status.stopped
    dossier = await _dossier(db_session, code)
    assert not dues.payable_now(dossier, await dues.due_of(db_session, dossier))
