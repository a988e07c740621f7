"""Demo accounts for trying the portal on a fresh install; listed in the README.

The officials work in the first agency that receives the demo catalog's dossiers (the first
commune), so that one dossier can be taken from the desk to the result by several people.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import officials, repository, service
from app.accounts.schemas import CitizenSignUp, EnterpriseSignUp
from app.catalog import service as catalog
from app.models.accounts import OfficialRole

# Published in the README on purpose: they exist only where `motcua demo` was run.
DEMO_PASSWORD = "motcua-demo-2026"
DEMO_CITIZEN = CitizenSignUp(
    full_name="Nguyễn Văn An",
    email="congdan@example.com",
    phone="0912345678",
    citizen_id="010090012345",
    password=DEMO_PASSWORD,
    password_confirm=DEMO_PASSWORD,
)
DEMO_ENTERPRISE = EnterpriseSignUp(
    tax_code="5390123451",
    enterprise_name="Công ty TNHH Thương mại Hoàng Liên",
    enterprise_address="Số 12 đường Hoàng Liên, phường Lào Cai, tỉnh Lào Cai",
    full_name="Trần Thị Bình",
    email="doanhnghiep@example.com",
    phone="0987654321",
    citizen_id="010185004321",
    password=DEMO_PASSWORD,
    password_confirm=DEMO_PASSWORD,
)
# UBND phường Lào Cai: every commune procedure of the demo catalog names it first.
DEMO_AGENCY = "000.00.41.H39"
DESK_UNIT = ("mot-cua", "Bộ phận Một cửa")
EXPERT_UNIT = ("chuyen-mon", "Phòng chuyên môn")
DEMO_UNITS = (DESK_UNIT, EXPERT_UNIT)


@dataclass(frozen=True)
class DemoOfficial:
    email: str
    full_name: str
    phone: str
    role: OfficialRole
    unit_code: str
    title: str


DEMO_OFFICIALS = (
    DemoOfficial(
        "canbo@example.com",
        "Cán bộ Một cửa (demo)",
        "0914000111",
        OfficialRole.receiver,
        DESK_UNIT[0],
        "Cán bộ tiếp nhận",
    ),
    DemoOfficial(
        "chuyenvien@example.com",
        "Chuyên viên (demo)",
        "0914000222",
        OfficialRole.specialist,
        EXPERT_UNIT[0],
        "Chuyên viên",
    ),
    DemoOfficial(
        "lanhdao@example.com",
        "Lãnh đạo (demo)",
        "0914000333",
        OfficialRole.leader,
        EXPERT_UNIT[0],
        "Trưởng phòng",
    ),
    DemoOfficial(
        "vanthu@example.com",
        "Văn thư (demo)",
        "0914000444",
        OfficialRole.clerk,
        DESK_UNIT[0],
        "Văn thư",
    ),
    DemoOfficial(
        "quantri@example.com",
        "Quản trị (demo)",
        "0914000555",
        OfficialRole.admin,
        DESK_UNIT[0],
        "Quản trị hệ thống",
    ),
)


async def _load_units(session: AsyncSession) -> None:
    agency = await catalog.agency_by_code(session, DEMO_AGENCY)
    existing = (
        {unit.code for unit in await officials.list_units(session, agency.id)} if agency else set()
    )
    for code, name in DEMO_UNITS:
        if code not in existing:
            await officials.create_unit(session, DEMO_AGENCY, code, name)


async def _load_official(session: AsyncSession, demo: DemoOfficial) -> bool:
    """Whether the account was created; one made before officials had an agency gets its post."""
    account = await repository.account_by_email(session, demo.email)
    if account is None:
        await officials.create_official(
            session,
            email=demo.email,
            password=DEMO_PASSWORD,
            full_name=demo.full_name,
            phone=demo.phone,
            agency_code=DEMO_AGENCY,
            roles=[demo.role.value],
            unit_code=demo.unit_code,
            title=demo.title,
        )
        return True
    if await officials.official_of(session, account.id) is None:
        await officials.appoint(
            session,
            demo.email,
            agency_code=DEMO_AGENCY,
            roles=[demo.role.value],
            unit_code=demo.unit_code,
            title=demo.title,
        )
    return False


async def load_demo_accounts(session: AsyncSession) -> int:
    """Create the demo accounts (and the demo agency's units) that do not exist yet; tell how
    many accounts were created. The demo catalog must be loaded first."""
    created = 0
    if not await repository.email_taken(session, DEMO_CITIZEN.email):
        await service.sign_up_citizen(session, DEMO_CITIZEN)
        created += 1
    if not await repository.email_taken(session, DEMO_ENTERPRISE.email):
        await service.sign_up_enterprise(session, DEMO_ENTERPRISE)
        created += 1
    await _load_units(session)
    for demo in DEMO_OFFICIALS:
        if await _load_official(session, demo):
            created += 1
    return created
