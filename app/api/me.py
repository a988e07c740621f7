"""Who is calling: the enterprise and the API key behind the request."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from app.api.auth import UNAUTHORIZED, Principal

router = APIRouter(tags=["me"])


class EnterpriseRef(BaseModel):
    tax_code: str
    name: str


class ApiKeyRef(BaseModel):
    name: str
    prefix: str
    scopes: list[str]


class Me(BaseModel):
    enterprise: EnterpriseRef
    api_key: ApiKeyRef


@router.get("/me", response_model=Me, responses=UNAUTHORIZED)
async def who_am_i(principal: Principal) -> Me:
    """The enterprise and the API key (name, prefix, scopes) the request authenticates as."""
    return Me(
        enterprise=EnterpriseRef(
            tax_code=principal.enterprise_tax_code, name=principal.enterprise_name
        ),
        api_key=ApiKeyRef(
            name=principal.key_name, prefix=principal.key_prefix, scopes=principal.scopes
        ),
    )
