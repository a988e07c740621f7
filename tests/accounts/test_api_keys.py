"""API keys: creation, storage of the hash only, scopes, authentication and revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_keys, service
from app.accounts.errors import (
    AgencyNotFound,
    ApiKeyInvalid,
    ApiKeyNotFound,
    EnterpriseKeyRequired,
    EnterpriseNotFound,
    InsufficientScope,
    Unauthorized,
)
from app.kit.clock import utcnow
from app.models.accounts import ApiKey
from tests.accounts.test_accounts_service import TAX_CODE, enterprise


async def _key(session: AsyncSession, *scopes: str) -> str:
    await service.sign_up_enterprise(session, enterprise())
    _out, raw = await api_keys.create_api_key(
        session,
        enterprise_tax_code=TAX_CODE,
        name="Phần mềm kế toán",
        scopes=scopes or (api_keys.SCOPE_READ,),
    )
    return raw


async def test_a_key_is_created_and_only_its_hash_is_kept(db_session: AsyncSession) -> None:
    await service.sign_up_enterprise(db_session, enterprise())
    out, raw = await api_keys.create_api_key(
        db_session,
        enterprise_tax_code=f" {TAX_CODE} ",
        name="  Phần mềm   kế toán ",
        scopes=["dossiers:read", "dossiers:submit"],
    )
    assert raw.startswith("mck_") and len(raw) == 4 + 43
    assert out.prefix == raw[4:12]
    assert out.name == "Phần mềm kế toán"
    assert out.enterprise_tax_code == TAX_CODE
    assert out.scopes == ["dossiers:submit", "dossiers:read"]
    assert out.last_used_at is None and out.revoked_at is None
    stored = await db_session.scalar(select(ApiKey).where(ApiKey.prefix == out.prefix))
    assert stored is not None
    assert stored.key_hash == api_keys.key_hash(raw) != raw
    assert raw not in (stored.key_hash, stored.prefix, stored.scopes, stored.name)
    listed = await api_keys.list_api_keys(db_session, TAX_CODE)
    assert [k.prefix for k in listed] == [out.prefix]


async def test_unknown_scopes_are_refused_with_the_known_ones(db_session: AsyncSession) -> None:
    await service.sign_up_enterprise(db_session, enterprise())
    with pytest.raises(ApiKeyInvalid) as exc:
        await api_keys.create_api_key(
            db_session, enterprise_tax_code=TAX_CODE, name="x", scopes=["dossiers:delete"]
        )
    [problem] = exc.value.problems
    assert problem.location == "scopes"
    assert "dossiers:delete" in problem.message_en
    assert "dossiers:submit, dossiers:read" in problem.message_en
    with pytest.raises(ApiKeyInvalid):
        await api_keys.create_api_key(db_session, enterprise_tax_code=TAX_CODE, name="x", scopes=[])
    with pytest.raises(ApiKeyInvalid):
        await api_keys.create_api_key(
            db_session, enterprise_tax_code=TAX_CODE, name=" ", scopes=["dossiers:read"]
        )


async def test_an_unknown_tax_code_is_refused(db_session: AsyncSession) -> None:
    for tax_code in (TAX_CODE, "not a tax code"):
        with pytest.raises(EnterpriseNotFound) as exc:
            await api_keys.create_api_key(
                db_session, enterprise_tax_code=tax_code, name="x", scopes=["dossiers:read"]
            )
        assert exc.value.status == 404
    with pytest.raises(EnterpriseNotFound):
        await api_keys.list_api_keys(db_session, TAX_CODE)


async def test_a_good_key_authenticates_and_is_touched_once_a_minute(
    db_session: AsyncSession,
) -> None:
    raw = await _key(db_session, "dossiers:submit")
    principal = await api_keys.authenticate(db_session, raw)
    assert principal.enterprise_tax_code == TAX_CODE
    assert principal.enterprise_name == "Công ty TNHH Minh Phát"
    assert principal.key_name == "Phần mềm kế toán"
    assert principal.scopes == ["dossiers:submit"]
    api_keys.require_scopes(principal, "dossiers:submit")
    with pytest.raises(InsufficientScope) as exc:
        api_keys.require_scopes(principal, "dossiers:read")
    assert exc.value.status == 403 and exc.value.code == "insufficient_scope"

    def last_used() -> object:
        return db_session.scalar(
            select(ApiKey.last_used_at).where(ApiKey.prefix == principal.key_prefix)
        )

    first = await last_used()
    assert first is not None
    await api_keys.authenticate(db_session, raw)
    assert await last_used() == first
    earlier = utcnow() - timedelta(minutes=2)
    await db_session.execute(
        update(ApiKey).where(ApiKey.prefix == principal.key_prefix).values(last_used_at=earlier)
    )
    await api_keys.authenticate(db_session, raw)
    assert await last_used() != earlier


async def test_revoked_unknown_and_tampered_keys_are_refused(db_session: AsyncSession) -> None:
    raw = await _key(db_session)
    tampered = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    for bad in (tampered, "mck_" + "x" * 43, "mck_", "", raw[4:], "Bearer " + raw):
        with pytest.raises(Unauthorized) as exc:
            await api_keys.authenticate(db_session, bad)
        assert exc.value.status == 401 and exc.value.code == "unauthorized"
        assert exc.value.headers["WWW-Authenticate"].startswith("Bearer")
    revoked = await api_keys.revoke_api_key(db_session, raw[4:12])
    assert revoked.revoked_at is not None
    again = await api_keys.revoke_api_key(db_session, raw[4:12])
    assert again.revoked_at == revoked.revoked_at
    with pytest.raises(Unauthorized):
        await api_keys.authenticate(db_session, raw)
    with pytest.raises(ApiKeyNotFound):
        await api_keys.revoke_api_key(db_session, "nope1234")


AGENCY = "000.00.41.H39"


async def test_an_agency_key_processes_and_authenticates(db_session: AsyncSession) -> None:
    out, raw = await api_keys.create_api_key(
        db_session, agency_code=f" {AGENCY} ", name="Phần mềm một cửa", scopes=["dossiers:process"]
    )
    assert out.agency_code == AGENCY and out.enterprise_tax_code is None
    assert out.scopes == ["dossiers:process"]
    principal = await api_keys.authenticate(db_session, raw)
    assert principal.agency_code == AGENCY and principal.agency_id is not None
    assert principal.enterprise_tax_code is None and principal.enterprise_name is None
    api_keys.require_scopes(principal, api_keys.SCOPE_PROCESS)
    with pytest.raises(InsufficientScope):
        api_keys.require_scopes(principal, api_keys.SCOPE_READ)
    with pytest.raises(EnterpriseKeyRequired) as exc:
        api_keys.enterprise_of(principal)
    assert exc.value.status == 403 and exc.value.code == "insufficient_scope"
    assert [k.prefix for k in await api_keys.list_api_keys(db_session, agency_code=AGENCY)] == [
        out.prefix
    ]
    assert await api_keys.list_api_keys(db_session, agency_code="000.00.42.H39") == []


async def test_an_enterprise_key_names_its_enterprise(db_session: AsyncSession) -> None:
    principal = await api_keys.authenticate(db_session, await _key(db_session))
    assert api_keys.enterprise_of(principal) == TAX_CODE
    assert principal.agency_id is None and principal.agency_code is None


@pytest.mark.parametrize(
    ("owner", "scopes", "expected"),
    [
        (
            {"agency_code": AGENCY},
            ["dossiers:process", "dossiers:submit"],
            "An agency's API key cannot have the scope dossiers:submit; "
            "the scopes it can have are: "
            "catalog:read, dossiers:process, webhooks:manage, stats:read",
        ),
        (
            {"enterprise_tax_code": TAX_CODE},
            ["dossiers:process"],
            "An enterprise's API key cannot have the scope dossiers:process; "
            "the scopes it can have are: catalog:read, dossiers:submit, dossiers:read, "
            "webhooks:manage, stats:read",
        ),
        (
            {"agency_code": AGENCY},
            [],
            "Choose at least one scope among: "
            "catalog:read, dossiers:process, webhooks:manage, stats:read",
        ),
    ],
)
async def test_a_key_holds_only_its_owners_scopes(
    db_session: AsyncSession, owner: dict[str, str], scopes: list[str], expected: str
) -> None:
    await service.sign_up_enterprise(db_session, enterprise())
    with pytest.raises(ApiKeyInvalid) as exc:
        await api_keys.create_api_key(db_session, name="x", scopes=scopes, **owner)
    [problem] = exc.value.problems
    assert problem.location == "scopes" and problem.message_en == expected
    assert problem.message.startswith(("Khoá API của", "Vui lòng chọn"))


async def test_a_key_has_exactly_one_owner(db_session: AsyncSession) -> None:
    await service.sign_up_enterprise(db_session, enterprise())
    for owner in ({}, {"enterprise_tax_code": TAX_CODE, "agency_code": AGENCY}):
        with pytest.raises(ApiKeyInvalid) as exc:
            await api_keys.create_api_key(db_session, name="x", scopes=["dossiers:read"], **owner)
        assert [p.location for p in exc.value.problems] == ["owner"]
        with pytest.raises(ApiKeyInvalid):
            await api_keys.list_api_keys(
                db_session, owner.get("enterprise_tax_code"), agency_code=owner.get("agency_code")
            )
    for call in (
        api_keys.create_api_key(
            db_session, name="x", scopes=["dossiers:process"], agency_code="999.99.99.X00"
        ),
        api_keys.list_api_keys(db_session, agency_code="999.99.99.X00"),
    ):
        with pytest.raises(AgencyNotFound) as missing:
            await call
        assert missing.value.status == 404
