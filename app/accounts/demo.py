"""Demo accounts for trying the portal on a fresh install; listed in the README."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository, service
from app.accounts.schemas import CitizenSignUp, EnterpriseSignUp

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
DEMO_OFFICIAL = CitizenSignUp(
    full_name="Cán bộ Một cửa (demo)",
    email="canbo@example.com",
    phone="0914000111",
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


async def load_demo_accounts(session: AsyncSession) -> int:
    """Create the demo accounts that do not exist yet; tell how many were created."""
    created = 0
    if not await repository.email_taken(session, DEMO_CITIZEN.email):
        await service.sign_up_citizen(session, DEMO_CITIZEN)
        created += 1
    if not await repository.email_taken(session, DEMO_ENTERPRISE.email):
        await service.sign_up_enterprise(session, DEMO_ENTERPRISE)
        created += 1
    if not await repository.email_taken(session, DEMO_OFFICIAL.email):
        await service.create_official(session, DEMO_OFFICIAL)
        created += 1
    return created
