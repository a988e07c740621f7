"""The REST API under /api/v1: a thin face over the domain services."""

from fastapi import APIRouter

from app.api import catalog, dossiers, me, processing, store, uploads, webhooks

router = APIRouter(prefix="/api/v1")
router.include_router(catalog.router)
router.include_router(dossiers.router)
router.include_router(me.router)
router.include_router(processing.router)
router.include_router(store.router)
router.include_router(uploads.router)
router.include_router(webhooks.router)

__all__ = ["router"]
