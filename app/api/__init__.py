"""The REST API under /api/v1: a thin face over the domain services."""

from fastapi import APIRouter

from app.api import (
    catalog,
    dossiers,
    feedback,
    me,
    payments,
    processing,
    stats,
    store,
    uploads,
    verify,
    webhooks,
)

router = APIRouter(prefix="/api/v1")
router.include_router(catalog.router)
router.include_router(dossiers.router)
router.include_router(feedback.router)
router.include_router(me.router)
router.include_router(payments.router)
router.include_router(processing.router)
router.include_router(stats.router)
router.include_router(store.router)
router.include_router(uploads.router)
router.include_router(verify.router)
router.include_router(webhooks.router)

__all__ = ["router"]
