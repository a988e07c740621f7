"""Routing beyond the default workflow: automatic reception, a coordinating agency's step
(liên thông), and the stop notice of a withdrawal issued by the worker."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.importing import import_catalog
from app.config import Settings
from app.dossiers import service as dossiers
from app.dossiers.schemas import Applicant
from app.errors import NotFound
from app.models.dossiers import Dossier, Status
from app.models.processing import DossierDocument
from app.models.webhooks import WebhookEvent
from app.processing import service
from app.processing.rules import Action
from app.processing.schemas import ActionIn
from app.storage import FileStorage
from app.worker import runner
from tests.fixtures.catalogs import AGENCY, CHILD_AGENCY, small_catalog
from tests.processing.conftest import Desk, file_dossier, make_official


def _steps(*, auto_receive: bool = False, consult: str | None = None) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [
        {"code": "receive", "kind": "receive", "name": "Tiếp nhận", "role": "receiver", "share": 5},
        {
            "code": "appraise",
            "kind": "appraise",
            "name": "Thẩm định",
            "role": "specialist",
            "share": 45,
        },
    ]
    if consult:
        steps.append(
            {
                "code": "consult",
                "kind": "custom",
                "name": "Lấy ý kiến",
                "role": "specialist",
                "agency": consult,
                "share": 20,
            }
        )
    steps += [
        {
            "code": "approve",
            "kind": "approve",
            "name": "Phê duyệt",
            "role": "leader",
            "share": 20 if consult else 40,
        },
        {"code": "sign", "kind": "sign", "name": "Ký", "role": "leader", "share": 5},
        {"code": "return", "kind": "return", "name": "Trả", "role": "clerk", "share": 5},
    ]
    return {"auto_receive": auto_receive, "steps": steps}


async def _with_workflow(session: AsyncSession, workflow: dict[str, Any]) -> None:
    catalog = copy.deepcopy(small_catalog())
    catalog["procedures"][0]["workflow"] = workflow
    await import_catalog(session, catalog)


def _same_session(session: AsyncSession) -> Any:
    @asynccontextmanager
    async def unit_of_work() -> AsyncIterator[AsyncSession]:
        yield session
        await session.flush()

    return unit_of_work


async def _drain(session: AsyncSession, settings: Settings, storage: FileStorage) -> None:
    await runner.drain(_same_session(session), settings, storage=storage)


async def test_an_online_dossier_is_received_without_the_desk_where_the_procedure_says_so(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    await _with_workflow(db_session, _steps(auto_receive=True))
    code = await file_dossier(db_session, settings, applicant)
    await _drain(db_session, settings, storage)
    work = await service.work_on(db_session, desk["specialist"], code)
    assert work.status.code == Status.received
    assert work.routing_slip[0].received_by == "Tiếp nhận tự động / Automatic reception"
    assert [d.form for d in work.documents] == ["01"]


async def test_a_coordinating_agencys_step_goes_to_that_agency_and_back(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    await _with_workflow(db_session, _steps(consult=AGENCY))
    province = await make_official(db_session, "cv@province.example", AGENCY, ["specialist"])
    code = await file_dossier(db_session, settings, applicant)
    for actor, action in ((desk["receiver"], Action.receive), (desk["specialist"], Action.forward)):
        await service.act(db_session, settings, storage, actor, code, action, ActionIn())
    work = await service.work_on(db_session, province, code)
    assert work.step is not None and work.step.agency_code == AGENCY
    # The lead agency's specialist no longer holds it while the province gives its opinion.
    with pytest.raises(NotFound):
        await service.work_on(db_session, desk["specialist"], code)
    work = await service.act(
        db_session, settings, storage, province, code, Action.forward, ActionIn(reason="Đồng ý")
    )
    assert work.step is not None and work.step.kind == "approve"
    back = await service.work_on(db_session, desk["leader"], code)
    assert back.step is not None and back.step.agency_code == CHILD_AGENCY


async def test_a_withdrawal_ends_the_step_and_the_worker_issues_the_stop_notice(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    await service.act(
        db_session, settings, storage, desk["receiver"], code, Action.receive, ActionIn()
    )
    await dossiers.withdraw(db_session, applicant, code, "Không còn nhu cầu")
    await _drain(db_session, settings, storage)
    dossier = await db_session.scalar(select(Dossier).where(Dossier.code == code))
    assert dossier is not None and dossier.status == Status.withdrawn
    forms = list(
        await db_session.scalars(
            select(DossierDocument.form).where(DossierDocument.dossier_id == dossier.id)
        )
    )
    assert forms == ["01", "05"]
    kinds = list(
        await db_session.scalars(select(WebhookEvent.type).where(WebhookEvent.dossier_code == code))
    )
    assert kinds == ["dossier.submitted", "dossier.received", "dossier.withdrawn"]
