"""Dossiers driven through processing to a returned, signed result, for ratings, feedback and
verification."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers.schemas import Applicant
from app.processing.rules import Action
from app.storage import FileStorage
from tests.fixtures.processing import Desk, act, file_dossier

TO_RESULT = (
    ("receiver", Action.receive),
    ("specialist", Action.forward),
    ("leader", Action.approve),
    ("leader", Action.sign),
    ("clerk", Action.result_ready),
)


async def signed_result(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
    *,
    returned: bool = True,
) -> str:
    """A dossier of the applicant with its signed result ready (and returned, by default)."""
    code = await file_dossier(session, settings, applicant)
    for role, action in TO_RESULT:
        await act(session, settings, storage, desk[role], code, action)
    if returned:
        await act(session, settings, storage, desk["clerk"], code, Action.return_result)
    return code
