"""The pages' routes: thin handlers over the catalog service and the forms engine."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from app.web.routes import (
    accounts,
    admin,
    admin_calendar,
    api_keys,
    catalog,
    desk,
    dossiers,
    feedback,
    filing,
    payments,
    places,
    processing,
    sandbox_gateway,
    stats,
    store,
    supplement,
    verify,
    webhooks,
)
from app.web.routes.deps import load_official

# Every page knows who is signed in (and if an official, with what roles), for the header links.
router = APIRouter(include_in_schema=False, dependencies=[Depends(load_official)])
router.include_router(accounts.router)
router.include_router(admin.router)
router.include_router(admin_calendar.router)
router.include_router(api_keys.router)
router.include_router(catalog.router)
router.include_router(filing.router)
router.include_router(dossiers.router)
router.include_router(feedback.router)
router.include_router(supplement.router)
router.include_router(desk.router)
router.include_router(payments.router)
router.include_router(places.router)
router.include_router(processing.router)
router.include_router(stats.router)
router.include_router(sandbox_gateway.router)
router.include_router(store.router)
router.include_router(verify.router)
router.include_router(webhooks.router)
