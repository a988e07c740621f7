"""The API checked against its own OpenAPI document by schemathesis, over real HTTP.

Every operation the document lists (those added later included) gets generated requests,
valid and invalid, with an API key that may call it: an agency's key (every agency scope) for
the processing operations, an enterprise's (every enterprise scope) for the others. No
response may be a server error, and each must match the status codes, content types and
schemas the document declares.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import select

from app.accounts import api_keys
from app.db import Database
from app.models.catalog import Agency
from tests.api.dossier_helpers import enterprise_key, random_tax_code

# Few examples per operation: the whole document runs in well under a minute.
EXAMPLES = 6


async def _keys(database: Database) -> tuple[str, str]:
    """An enterprise's and an agency's key, committed for the live server."""
    async with database.unit_of_work() as session:
        enterprise = await enterprise_key(
            session, random_tax_code(), scopes=api_keys.ENTERPRISE_SCOPES
        )
        agency = await session.scalar(select(Agency.code).order_by(Agency.id).limit(1))
        assert agency is not None
        _out, raw = await api_keys.create_api_key(
            session, agency_code=agency, name="Một cửa", scopes=list(api_keys.AGENCY_SCOPES)
        )
    return enterprise, raw


def _conforms(operation: APIOperation, key: str) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def conforms(case: schemathesis.Case) -> None:
        # A page cursor the server never issued is refused (422) although any string matches
        # its schema: that is the contract of opaque keyset cursors.
        case.call_and_validate(
            headers={"Authorization": f"Bearer {key}"},
            excluded_checks=[positive_data_acceptance],
        )

    conforms()


async def test_api_conforms_to_its_openapi_document(live_server: str, database: Database) -> None:
    enterprise, agency = await _keys(database)
    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        _conforms(operation, agency if "processing" in (operation.tags or []) else enterprise)
