"""The API checked against its own OpenAPI document by schemathesis, over real HTTP.

Every operation gets generated requests, valid and invalid; no response may be a server error,
and each must match the status codes, content types and schemas the document declares.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance


def test_api_conforms_to_its_openapi_document(live_server: str) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def conforms(case: schemathesis.Case) -> None:
            # A page cursor the server never issued is refused (422) although any string
            # matches its schema: that is the contract of opaque keyset cursors.
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        conforms()
