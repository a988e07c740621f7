"""Fixtures of dossier tests: a filing catalog, applicants, and the configured storage."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.schemas import CitizenSignUp, EnterpriseSignUp
from app.catalog.importing import import_catalog
from app.config import Settings
from app.dossiers import service
from app.dossiers.schemas import Applicant, PostalAddress
from app.kit.clock import utcnow
from app.models.accounts import Account, AccountKind, EnterpriseMember, MemberRole
from app.storage import FileStorage, storage_from_url
from tests.fixtures.catalogs import AGENCY, PROCEDURE, small_catalog

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"0" * 20000
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100


@pytest.fixture
async def filing(db_session: AsyncSession) -> str:
    """The small test procedure (one text field, one PDF slot, postal allowed), imported in the
    test's rolled-back transaction; returns its code."""
    await import_catalog(db_session, small_catalog())
    return PROCEDURE


async def make_citizen(session: AsyncSession, n: int = 1) -> Applicant:
    account = await accounts.sign_up_citizen(
        session,
        CitizenSignUp(
            full_name="Nguyễn Văn An",
            email=f"an{n}@example.com",
            phone=f"091234{n:04d}",
            citizen_id=f"0010{n:08d}",
            password="mat-khau-dai-du",
            password_confirm="mat-khau-dai-du",
        ),
    )
    return await service.applicant_for_account(session, account)


@pytest.fixture
async def citizen(db_session: AsyncSession) -> Applicant:
    return await make_citizen(db_session)


@pytest.fixture
async def storage(settings: Settings) -> AsyncIterator[FileStorage]:
    store = storage_from_url(settings.storage_url)
    yield store
    await store.aclose()


async def chunks(data: bytes, size: int = 7000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


# --- A richer catalog, built here, for the rules the small one cannot show -------------------

RICH = "9.000201"
PARTIAL = "9.000202"
AGENCY_A = "000.02.99.H99"
AGENCY_B = "000.03.99.H99"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 3000


def _file(key: str, label: str, accept: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "key": key,
        "type": "file",
        "label": {"vi": label, "en": label},
        "accept": accept,
        **extra,
    }


def rich_catalog() -> dict[str, Any]:
    """Two procedures on two new communes of the test province.

    ``RICH`` (full online, by post allowed, filed at either commune): a required PDF slot, an
    image slot of two files, a PDF slot of at most 50 KiB and a repeating group with a PDF slot
    inside. ``PARTIAL`` (partly online, no post): one text field.
    """
    catalog = small_catalog()
    catalog["agencies"] += [
        {"code": code, "name": name, "level": "commune", "parent": AGENCY}
        for code, name in ((AGENCY_A, "UBND xã Thử nghiệm A"), (AGENCY_B, "UBND xã Thử nghiệm B"))
    ]
    base = catalog["procedures"][0]
    rich = copy.deepcopy(base)
    rich.update(code=RICH, name="Thủ tục nhiều tệp thử nghiệm", agencies=[AGENCY_A, AGENCY_B])
    rich["documents"] = [
        {"code": "to_khai", "name": "Tờ khai", "kind": "original", "count": 1},
        {"code": "anh", "name": "Ảnh", "kind": "original", "count": 2},
    ]
    rich["form"]["sections"][0]["fields"] = [
        rich["form"]["sections"][0]["fields"][0],
        _file("declaration", "Tờ khai", ["application/pdf"], document="to_khai", required=True),
        _file("photos", "Ảnh", ["image/png", "image/jpeg"], document="anh", max_files=2),
        _file("annex", "Phụ lục", ["application/pdf"], max_size_mb=0.05),
        {
            "key": "members",
            "type": "group",
            "label": {"vi": "Thành viên", "en": "Members"},
            "max_items": 3,
            "fields": [
                {
                    "key": "member_name",
                    "type": "text",
                    "label": {"vi": "Họ tên", "en": "Name"},
                    "required": True,
                },
                _file("member_cert", "Giấy tờ", ["application/pdf"], required=True),
            ],
        },
    ]
    partial = copy.deepcopy(base)
    partial.update(
        code=PARTIAL,
        name="Thủ tục một phần thử nghiệm",
        agencies=[AGENCY_A],
        online_level="partial",
        postal=False,
    )
    partial["form"]["sections"][0]["fields"] = [partial["form"]["sections"][0]["fields"][0]]
    catalog["procedures"] = [rich, partial]
    return catalog


@pytest.fixture
async def rich(db_session: AsyncSession) -> str:
    """The rich catalog imported in the test's rolled-back transaction; returns ``RICH``."""
    await import_catalog(db_session, rich_catalog())
    return RICH


POSTAL_ADDRESS = PostalAddress(
    recipient="Nguyễn Văn An",
    phone="0912340001",
    province="15",
    commune="02647",
    street="Số 1 đường Hoàng Liên",
)


async def make_enterprise(session: AsyncSession, n: int = 1) -> Applicant:
    """An enterprise signed up by its owner; the owner as applicant."""
    account = await accounts.sign_up_enterprise(
        session,
        EnterpriseSignUp(
            tax_code=TAX_CODES[n],
            enterprise_name=f"Công ty TNHH Thử nghiệm {n}",
            enterprise_address="Số 1 đường Hoàng Liên, Lào Cai",
            full_name="Trần Thị Bình",
            email=f"dn{n}@example.com",
            phone=f"098765{n:04d}",
            citizen_id=f"0011{n:08d}",
            password="mat-khau-dai-du",
            password_confirm="mat-khau-dai-du",
        ),
    )
    return await service.applicant_for_account(session, account)


# Valid tax codes (the 10th digit checks the first nine).
TAX_CODES = {1: "0100109106", 2: "0101243150", 3: "0300588569"}


async def add_staff(session: AsyncSession, tax_code: str, n: int) -> Applicant:
    """Another staff member of an enterprise (added by the owner, as the pages will do)."""
    citizen = await make_citizen(session, n)
    assert citizen.account_id is not None
    enterprise = await accounts.enterprise_ref(session, tax_code)
    assert enterprise is not None
    await session.execute(
        update(Account)
        .where(Account.id == citizen.account_id)
        .values(kind=AccountKind.enterprise_staff.value)
    )
    session.add(
        EnterpriseMember(
            enterprise_id=enterprise.id,
            account_id=citizen.account_id,
            role=MemberRole.staff.value,
            created_at=utcnow(),
        )
    )
    await session.flush()
    return await service.applicant_for_account(
        session, await accounts.get_account(session, citizen.account_id)
    )


async def keys(storage: FileStorage, prefix: str = "files/") -> set[str]:
    return {key async for key in storage.list_keys(prefix)}


async def stored_bytes(storage: FileStorage, key: str) -> bytes:
    async with await storage.open(key) as stream:
        return b"".join([chunk async for chunk in stream])
