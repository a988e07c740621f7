"""Who uploads in the tus tests, and what: committed accounts and drafts for the live server."""

from __future__ import annotations

import base64
import os
import secrets
import uuid
from dataclasses import dataclass

from app.accounts import api_keys
from app.accounts import service as accounts
from app.accounts.schemas import CitizenSignUp, EnterpriseSignUp
from app.config import Settings
from app.db import Database
from app.dossiers import service as dossiers
from app.forms.identifiers import tax_check_digit
from app.kit.signing import SESSION_COOKIE, sign

PROCEDURE = "1.001193"  # the demo's birth registration: a PDF/JPEG/PNG slot of 10 MB at most
SLOT = "birth_notice_file"
SLOT_LIMIT = 10 * 1024 * 1024
MIB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}
PASSWORD = "mat-khau-rat-manh"
PROBLEM = "application/problem+json"


@dataclass
class Caller:
    """Someone who uploads: the headers that authenticate them, and one draft of theirs."""

    headers: dict[str, str]
    draft: str


def pdf(size: int) -> bytes:
    """A file that starts like a PDF (all the content check reads), random after that."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    return head + os.urandom(size - len(head))


def metadata(draft: str, filename: str = "giay-chung-sinh.pdf") -> dict[str, str]:
    return {"dossier": draft, "slot": SLOT, "filename": filename}


def encoded(values: dict[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def _tax_code() -> str:
    while True:
        first = f"{secrets.randbelow(10**9):09d}"
        check = tax_check_digit(first)
        if check is not None:
            return f"{first}{check}"


def _person() -> dict[str, str]:
    return {
        "full_name": "Lê Thị Hoa",
        "email": f"tus-{uuid.uuid4().hex[:12]}@example.vn",
        "phone": "0912 345 678",
        "citizen_id": f"001{secrets.randbelow(10**9):09d}",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }


async def make_citizen(database: Database, settings: Settings) -> Caller:
    """A citizen signed in through a session cookie, as the pages' JavaScript uploads."""
    async with database.unit_of_work() as session:
        account = await accounts.sign_up_citizen(session, CitizenSignUp(**_person()))
        signed_in = await accounts.start_session(session, account.id)
        applicant = await dossiers.applicant_for_account(session, account)
        draft = await dossiers.start_draft(session, applicant, PROCEDURE, settings)
    cookie = sign(settings.secret_key, "session", signed_in.token)
    return Caller({"Cookie": f"{SESSION_COOKIE}={cookie}"}, draft.reference)


async def make_enterprise(
    database: Database, settings: Settings, scopes: tuple[str, ...] = (api_keys.SCOPE_SUBMIT,)
) -> Caller:
    """An enterprise's software with an API key."""
    tax_code = _tax_code()
    async with database.unit_of_work() as session:
        await accounts.sign_up_enterprise(
            session,
            EnterpriseSignUp(
                **_person(),
                tax_code=tax_code,
                enterprise_name="Công ty TNHH Tải Lên",
                enterprise_address="1 Lê Lợi, Lào Cai",
            ),
        )
        _out, raw_key = await api_keys.create_api_key(
            session, enterprise_tax_code=tax_code, name="ERP", scopes=scopes
        )
        applicant = await dossiers.applicant_for_enterprise(session, tax_code)
        draft = await dossiers.start_draft(session, applicant, PROCEDURE, settings)
    return Caller({"Authorization": f"Bearer {raw_key}"}, draft.reference)
