"""Who is calling: the enterprise and the API key behind the request."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from app.accounts import api_keys
from app.api.auth import FORBIDDEN, UNAUTHORIZED, Principal
from app.api.conditional import ConditionalRoute

router = APIRouter(tags=["me"], route_class=ConditionalRoute)


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


@router.get("/me", response_model=Me, responses=UNAUTHORIZED | FORBIDDEN)
async def who_am_i(principal: Principal) -> Me:
    """The enterprise and the API key (name, prefix, scopes) the request authenticates as;
    403 for an agency's key."""
    return Me(
        enterprise=EnterpriseRef(
            tax_code=api_keys.enterprise_of(principal), name=principal.enterprise_name or ""
        ),
        api_key=ApiKeyRef(
            name=principal.key_name, prefix=principal.key_prefix, scopes=principal.scopes
        ),
    )
