"""The public lookup: a dossier's status for its code and 4 digits, the same refusal for every
wrong guess, and throttling that counts refused lookups too."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.dossiers.service import LOOKUPS_PER_ADDRESS, LOOKUPS_PER_CODE
from tests.accounts.test_accounts_service import TAX_CODE
from tests.api.dossier_helpers import (
    API_PROCEDURE,
    CHILD_AGENCY,
    POSTAL_ADDRESS,
    PROBLEM,
    bearer,
    request_client,
)

LOOKUP = "/api/v1/lookup"


def _address() -> str:
    """A client address of its own, so no other test's lookups count against it."""
    return f"198.51.100.{random.randrange(1, 255)}"


@pytest.fixture
async def client(app: FastAPI, db_session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    async with request_client(app, db_session, address=_address()) as http:
        yield http


@pytest.fixture
async def filed(client: httpx.AsyncClient, key: str) -> dict[str, Any]:
    """A dossier filed through the API by an enterprise, with a contact phone."""
    response = await client.post(
        "/api/v1/dossiers",
        json={
            "procedure": API_PROCEDURE,
            "data": {"full_name": "Nguyễn Văn An"},
            "agency": CHILD_AGENCY,
            "delivery": {"method": "post", "address": POSTAL_ADDRESS},
            "contact": {"phone": "0912 345 678"},
            "submit": True,
        },
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    dossier: dict[str, Any] = response.json()
    return dossier


def _refused(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["code"] == "lookup_failed"
    return body


async def test_the_code_and_four_digits_show_the_status(
    client: httpx.AsyncClient, filed: dict[str, Any]
) -> None:
    code = filed["code"]
    for verifier in ("5678", TAX_CODE[-4:]):
        response = await client.get(LOOKUP, params={"code": code.lower(), "verifier": verifier})
        assert response.status_code == 200, response.text
        found = response.json()
        assert found["code"] == code
        assert found["status"]["code"] == 1
        assert found["agency"]["code"] == CHILD_AGENCY
        assert found["current_step"] and found["current_step_en"]
        assert found["procedure_name"] == "Thủ tục thử nghiệm của API"
        # Nothing personal: no name, phone, ID number, answers or files.
        assert not {"applicant_name", "applicant_phone", "data", "files"} & set(found)
        assert "Nguyễn" not in response.text and "0912345678" not in response.text


async def test_every_wrong_guess_gets_the_same_answer(
    client: httpx.AsyncClient, filed: dict[str, Any]
) -> None:
    code = filed["code"]
    unknown = code[:-4] + ("9999" if not code.endswith("9999") else "9998")
    answers = [
        _refused(await client.get(LOOKUP, params={"code": code, "verifier": "0000"})),
        _refused(await client.get(LOOKUP, params={"code": unknown, "verifier": "5678"})),
        _refused(await client.get(LOOKUP, params={"code": "not-a-code", "verifier": "5678"})),
        _refused(await client.get(LOOKUP, params={"code": code, "verifier": "56"})),
    ]
    assert all(answer == answers[0] for answer in answers)
    english = await client.get(
        LOOKUP, params={"code": code, "verifier": "0000"}, headers={"Accept-Language": "en"}
    )
    assert _refused(english)["detail"] == "No dossier matches this code and these last 4 digits."
    # A missing parameter is a bad request, not a lookup.
    response = await client.get(LOOKUP, params={"code": code})
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"


async def test_lookups_of_one_code_are_throttled(
    client: httpx.AsyncClient, filed: dict[str, Any]
) -> None:
    code = filed["code"]
    for _ in range(LOOKUPS_PER_CODE):
        _refused(await client.get(LOOKUP, params={"code": code, "verifier": "0000"}))
    response = await client.get(LOOKUP, params={"code": code, "verifier": "5678"})
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "too_many_lookups"
    assert int(response.headers["retry-after"]) > 0


async def test_lookups_from_one_address_are_throttled(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    for n in range(LOOKUPS_PER_ADDRESS):
        _refused(
            await client.get(
                LOOKUP, params={"code": f"000.00.99.H99-250101-{n:04d}", "verifier": "1234"}
            )
        )
    response = await client.get(
        LOOKUP, params={"code": "000.00.99.H99-250101-9999", "verifier": "1234"}
    )
    assert response.status_code == 429 and "retry-after" in response.headers


def test_refused_lookups_are_committed_and_counted(live_server: str) -> None:
    """Over real HTTP, each request its own transaction: a refused lookup is still counted."""
    code = f"000.00.99.H99-250101-{random.randrange(10000):04d}"
    # Uvicorn believes X-Forwarded-For from the local proxy, as behind the real one.
    headers = {"X-Forwarded-For": _address()}
    with httpx.Client(base_url=live_server, headers=headers, timeout=30) as http:
        for _ in range(LOOKUPS_PER_CODE):
            _refused(http.get(LOOKUP, params={"code": code, "verifier": "1234"}))
        response = http.get(LOOKUP, params={"code": code, "verifier": "1234"})
    assert response.status_code == 429, response.text
