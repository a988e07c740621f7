"""Administrative units for the address fields' commune lists (used by app.js)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.forms import communes

router = APIRouter()


@router.get("/dia-gioi/{province}/xa")
async def province_communes(province: str) -> JSONResponse:
    """The communes, wards and special zones of a province, by code."""
    units = communes(province) if province.isascii() and province.isdigit() else []
    if not units:
        return JSONResponse({"communes": []}, status_code=404)
    return JSONResponse(
        {"communes": [{"code": u.code, "name": u.name} for u in units]},
        headers={"Cache-Control": "public, max-age=86400"},
    )
