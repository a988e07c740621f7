"""Who hears of which dossier: an enterprise of its own dossiers only (its subscription made
with its API key), an agency of the dossiers it receives, and each subscription only of the
procedures, agencies and event types it asked for."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import service as catalog
from app.config import Settings
from app.dossiers import service as dossiers
from app.dossiers.schemas import Applicant
from app.processing import service as processing
from app.processing.rules import Action
from app.processing.schemas import ActionIn
from app.storage import FileStorage
from app.webhooks import delivery, service
from app.webhooks.schemas import Owner
from tests.api.dossier_helpers import (
    API_PROCEDURE,
    bearer,
    enterprise_key,
    import_api_catalog,
    random_tax_code,
)
from tests.fixtures.catalogs import AGENCY, CHILD_AGENCY, PROCEDURE
from tests.fixtures.processing import Desk, file_dossier
from tests.outbox.helpers import same_session
from tests.webhooks.conftest import Receiver, subscribe

BASE = "/api/v1/webhooks"
# Nothing is posted in the filter tests: the queued deliveries tell who hears what.
URL = "https://1.1.1.1/hooks"


async def _heard(session: AsyncSession, owner: Owner, subscription: str) -> set[tuple[str, str]]:
    """The (dossier code, event type) of each delivery queued for the subscription."""
    page = await service.list_deliveries(session, owner, subscription, limit=100)
    return {(d.dossier_code or "", d.event_type) for d in page.items}


async def _owner_of(session: AsyncSession, tax_code: str) -> Owner:
    applicant = await dossiers.applicant_for_enterprise(session, tax_code)
    assert applicant.enterprise_id is not None
    return Owner(enterprise_id=applicant.enterprise_id)


async def test_an_enterprise_hears_of_its_own_dossiers_only(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    hook_settings: Settings,
    desk: Desk,
    applicant: Applicant,
    receiver: Receiver,
    allow_local: None,
) -> None:
    ours, theirs = random_tax_code(), random_tax_code()
    our_key = bearer(await enterprise_key(db_session, ours, scopes=("webhooks:manage",)))
    their_key = bearer(await enterprise_key(db_session, theirs, scopes=("webhooks:manage",)))
    created = await client.post(BASE, headers=our_key, json={"url": receiver.url})
    assert created.status_code == 201, created.text
    subscription = created.json()["id"]

    mine = await file_dossier(
        db_session, hook_settings, await dossiers.applicant_for_enterprise(db_session, ours)
    )
    other = await file_dossier(
        db_session, hook_settings, await dossiers.applicant_for_enterprise(db_session, theirs)
    )
    citizens = await file_dossier(db_session, hook_settings, applicant)
    report = await delivery.deliver_due(same_session(db_session), hook_settings)

    assert report.delivered == 1
    assert receiver.bodies_of(mine) and not receiver.bodies_of(other)
    assert not receiver.bodies_of(citizens)
    listed = await client.get(f"{BASE}/{subscription}/deliveries", headers=our_key)
    assert [(d["dossier_code"], d["event_type"]) for d in listed.json()["items"]] == [
        (mine, "dossier.submitted")
    ]
    # The other enterprise sees neither the subscription nor its deliveries.
    assert (await client.get(BASE, headers=their_key)).json()["items"] == []
    assert (
        await client.get(f"{BASE}/{subscription}/deliveries", headers=their_key)
    ).status_code == 404


async def test_an_agency_hears_of_the_dossiers_it_receives_only(
    db_session: AsyncSession,
    hook_settings: Settings,
    applicant: Applicant,
    agency_owner: Owner,
) -> None:
    await import_api_catalog(db_session)
    province_agency = await catalog.agency_by_code(db_session, AGENCY)
    assert province_agency is not None
    province = Owner(agency_id=province_agency.id)
    commune_subscription, _s = await subscribe(db_session, hook_settings, agency_owner, URL)
    province_subscription, _s = await subscribe(db_session, hook_settings, province, URL)

    at_commune = await file_dossier(
        db_session, hook_settings, applicant, procedure=API_PROCEDURE, agency=CHILD_AGENCY
    )
    at_province = await file_dossier(
        db_session, hook_settings, applicant, procedure=API_PROCEDURE, agency=AGENCY
    )

    assert await _heard(db_session, agency_owner, commune_subscription) == {
        (at_commune, "dossier.submitted")
    }
    assert await _heard(db_session, province, province_subscription) == {
        (at_province, "dossier.submitted")
    }


async def test_subscriptions_hear_only_the_procedures_agencies_and_types_they_ask_for(
    db_session: AsyncSession,
    hook_settings: Settings,
    storage: FileStorage,
    desk: Desk,
) -> None:
    await import_api_catalog(db_session)
    tax_code = random_tax_code()
    await enterprise_key(db_session, tax_code, scopes=("webhooks:manage",))
    owner = await _owner_of(db_session, tax_code)
    by_procedure, _s = await subscribe(
        db_session, hook_settings, owner, URL, procedure_codes=[PROCEDURE]
    )
    by_agency, _s = await subscribe(db_session, hook_settings, owner, URL, agency_codes=[AGENCY])
    by_type, _s = await subscribe(
        db_session, hook_settings, owner, URL, event_types=["dossier.received"]
    )
    everything, _s = await subscribe(db_session, hook_settings, owner, URL)
    enterprise = await dossiers.applicant_for_enterprise(db_session, tax_code)

    test_procedure = await file_dossier(db_session, hook_settings, enterprise)
    at_province = await file_dossier(
        db_session, hook_settings, enterprise, procedure=API_PROCEDURE, agency=AGENCY
    )
    at_commune = await file_dossier(
        db_session, hook_settings, enterprise, procedure=API_PROCEDURE, agency=CHILD_AGENCY
    )
    await processing.act(
        db_session,
        hook_settings,
        storage,
        desk["receiver"],
        at_commune,
        Action.receive,
        ActionIn(),
    )

    assert await _heard(db_session, owner, by_procedure) == {(test_procedure, "dossier.submitted")}
    assert await _heard(db_session, owner, by_agency) == {(at_province, "dossier.submitted")}
    assert await _heard(db_session, owner, by_type) == {(at_commune, "dossier.received")}
    assert await _heard(db_session, owner, everything) == {
        (test_procedure, "dossier.submitted"),
        (at_province, "dossier.submitted"),
        (at_commune, "dossier.submitted"),
        (at_commune, "dossier.received"),
    }
