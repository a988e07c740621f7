"""The pages' routes: thin handlers over the catalog service and the forms engine."""

from __future__ import annotations

from fastapi import APIRouter

from app.web.routes import catalog, forms, places

router = APIRouter(include_in_schema=False)
router.include_router(catalog.router)
router.include_router(forms.router)
router.include_router(places.router)
