"""Withdrawal by the applicant, and the public lookup by code and last four digits."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers import service
from app.dossiers.errors import CannotWithdraw, DossierNotFound, TooManyLookups
from app.dossiers.schemas import Applicant, DeliveryIn, DraftChanges
from app.dossiers.service import LOOKUPS_PER_ADDRESS, LOOKUPS_PER_CODE, MAX_REASON_LENGTH
from app.errors import InvalidInput
from app.models.dossiers import Delivery, Dossier, Status
from tests.dossiers.conftest import make_citizen


async def _submitted(
    session: AsyncSession, settings: Settings, applicant: Applicant, procedure: str
) -> str:
    draft = await service.start_draft(session, applicant, procedure, settings)
    await service.update_draft(
        session,
        applicant,
        draft.reference,
        DraftChanges(data={"full_name": "An"}, delivery=DeliveryIn(method=Delivery.counter)),
        settings,
    )
    done = await service.submit(session, applicant, draft.reference, settings)
    assert done.code is not None
    return done.code


async def test_withdrawal_needs_a_reason_and_happens_once(
    db_session: AsyncSession, settings: Settings, filing: str, citizen: Applicant
) -> None:
    code = await _submitted(db_session, settings, citizen, filing)
    for reason in ("", "   \n", "x" * (MAX_REASON_LENGTH + 1)):
        with pytest.raises(InvalidInput) as refused:
            await service.withdraw(db_session, citizen, code, reason)
        assert [p.location for p in refused.value.problems] == ["reason"]
    withdrawn = await service.withdraw(db_session, citizen, code, "  Nộp nhầm thủ tục  ")
    assert withdrawn.status.code == 7 and withdrawn.withdrawal_reason == "Nộp nhầm thủ tục"
    assert withdrawn.withdrawn_at is not None
    assert [e.kind for e in withdrawn.events] == ["created", "submitted", "withdrawn"]
    assert withdrawn.events[-1].note == "Nộp nhầm thủ tục"
    with pytest.raises(CannotWithdraw) as twice:
        await service.withdraw(db_session, citizen, code, "Lần nữa")
    assert twice.value.status == 409


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (Status.received, True),
        (Status.processing, True),
        (Status.supplement_requested, True),
        (Status.payment_required, True),
        (Status.not_accepted, False),
        (Status.stopped, False),
        (Status.result_ready, False),
        (Status.returned, False),
    ],
)
async def test_withdrawal_only_before_a_final_status(
    db_session: AsyncSession,
    settings: Settings,
    filing: str,
    citizen: Applicant,
    status: Status,
    allowed: bool,
) -> None:
    code = await _submitted(db_session, settings, citizen, filing)
    await db_session.execute(update(Dossier).where(Dossier.code == code).values(status=status))
    if allowed:
        assert (await service.withdraw(db_session, citizen, code, "Lý do")).status.code == 7
    else:
        with pytest.raises(CannotWithdraw):
            await service.withdraw(db_session, citizen, code, "Lý do")
        assert (await service.get_dossier(db_session, citizen, code)).status.code == status


async def test_a_draft_cannot_be_withdrawn(
    db_session: AsyncSession, settings: Settings, filing: str, citizen: Applicant
) -> None:
    draft = await service.start_draft(db_session, citizen, filing, settings)
    with pytest.raises(DossierNotFound):
        await service.withdraw(db_session, citizen, draft.reference, "Lý do")


async def test_lookup_by_code_and_last_four_digits(
    db_session: AsyncSession, settings: Settings, filing: str, citizen: Applicant
) -> None:
    code = await _submitted(db_session, settings, citizen, filing)
    # The last four of the phone (0912340001) or of the citizen ID (001000000001).
    found = await service.lookup(db_session, code, "0001", client="10.0.0.1")
    assert found is not None and found.code == code and found.status.code == 1
    assert found.current_step_en == "Waiting for the agency to check it"
    assert found.procedure_name == "Thủ tục cấp giấy xác nhận thử nghiệm"
    assert found.agency is not None and found.agency.code == "000.01.99.H99"
    assert "applicant" not in found.model_dump_json()
    # Lower case and spaces around are fine.
    assert await service.lookup(db_session, f" {code.lower()} ", " 0001 ", client="10.0.0.1")

    other = await make_citizen(db_session, 2)
    other_code = await _submitted(db_session, settings, other, filing)
    answers = [
        await service.lookup(db_session, code, verifier, client="10.0.0.1")
        for verifier in ("9999", "0002", "001", "00001", "abcd", "")
    ]
    answers += [
        await service.lookup(db_session, wrong, "0001", client="10.0.0.1")
        for wrong in (code[:-4] + "9999", "nope", "", other_code)
    ]
    # One answer whether the code or the digits are wrong.
    assert answers == [None] * len(answers)
    draft = await service.start_draft(db_session, citizen, filing, settings)
    assert await service.lookup(db_session, draft.reference, "0001", client="10.0.0.1") is None

    await service.withdraw(db_session, citizen, code, "Không cần nữa")
    withdrawn = await service.lookup(db_session, code, "0001", client="10.0.0.2")
    assert withdrawn is not None and withdrawn.status.code == 7


async def test_lookups_are_throttled_per_code(
    db_session: AsyncSession, settings: Settings, filing: str, citizen: Applicant
) -> None:
    code = await _submitted(db_session, settings, citizen, filing)
    for n in range(LOOKUPS_PER_CODE):
        await service.lookup(db_session, code, f"{n:04d}", client=f"10.1.0.{n}")
    # From anywhere, even with the right digits.
    with pytest.raises(TooManyLookups) as refused:
        await service.lookup(db_session, code, "0001", client="10.1.1.1")
    assert refused.value.status == 429
    assert int(refused.value.headers["Retry-After"]) > 0
    # Another code is not held back.
    assert await service.lookup(db_session, code[:-4] + "9998", "0001", client="10.1.1.1") is None


async def test_lookups_are_throttled_per_address(
    db_session: AsyncSession, settings: Settings, filing: str, citizen: Applicant
) -> None:
    code = await _submitted(db_session, settings, citizen, filing)
    for n in range(LOOKUPS_PER_ADDRESS):
        await service.lookup(db_session, f"000.01.99.H99-250101-{n:04d}", "0001", client="10.2.0.1")
    with pytest.raises(TooManyLookups):
        await service.lookup(db_session, code, "0001", client="10.2.0.1")
    assert await service.lookup(db_session, code, "0001", client="10.2.0.2") is not None
