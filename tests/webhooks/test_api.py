"""The webhooks API with agency keys: CRUD with ETags, idempotency, another owner's 404, the
deliveries log, redelivery and replay, and the address checks as field errors."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_keys
from app.config import Settings
from app.dossiers.schemas import Applicant
from app.kit.clock import utcnow
from app.webhooks import delivery, service
from tests.fixtures.catalogs import AGENCY, CHILD_AGENCY
from tests.fixtures.processing import Desk, file_dossier
from tests.outbox.helpers import same_session
from tests.webhooks.conftest import Receiver

BASE = "/api/v1/webhooks"


async def _key(session: AsyncSession, agency: str) -> dict[str, str]:
    _out, raw = await api_keys.create_api_key(
        session, agency_code=agency, name="Phần mềm", scopes=["webhooks:manage"]
    )
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
async def commune(db_session: AsyncSession, desk: Desk) -> dict[str, str]:
    return await _key(db_session, CHILD_AGENCY)


async def test_subscriptions_are_created_read_changed_and_deleted_with_etags(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    commune: dict[str, str],
    receiver: Receiver,
    allow_local: None,
) -> None:
    created = await client.post(
        BASE,
        headers=commune | {"Idempotency-Key": "tao-1"},
        json={"url": receiver.url, "event_types": ["dossier.received"]},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["id"].startswith("ep_")
    assert created.headers["etag"] == 'W/"1"'
    again = await client.post(
        BASE,
        headers=commune | {"Idempotency-Key": "tao-1"},
        json={"url": receiver.url, "event_types": ["dossier.received"]},
    )
    assert again.headers["idempotent-replayed"] == "true" and again.json() == body
    url = f"{BASE}/{body['id']}"

    read = await client.get(url, headers=commune)
    assert read.status_code == 200 and read.headers["etag"] == 'W/"1"'
    assert "secret" not in read.json()
    assert (await client.get(url, headers=commune | {"If-None-Match": 'W/"1"'})).status_code == 304
    listed = await client.get(BASE, headers=commune)
    assert [s["id"] for s in listed.json()["items"]] == [body["id"]]

    changed = await client.patch(
        url, headers=commune | {"If-Match": 'W/"1"'}, json={"description": "Phần mềm một cửa"}
    )
    assert changed.status_code == 200 and changed.headers["etag"] == 'W/"2"'
    assert changed.json()["event_types"] == ["dossier.received"]
    # One of several tags, with or without W/, names the present version.
    listed_tags = await client.patch(url, headers=commune | {"If-Match": '"9", "2"'}, json={})
    assert listed_tags.status_code == 200 and listed_tags.headers["etag"] == 'W/"3"'
    assert (await client.get(url, headers=commune | {"If-None-Match": '"3"'})).status_code == 304
    stale = await client.patch(url, headers=commune | {"If-Match": 'W/"1"'}, json={})
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert (await client.delete(url, headers=commune | {"If-Match": 'W/"1"'})).status_code == 412
    off = (await client.patch(url, headers=commune, json={"enabled": False})).json()
    assert (off["enabled"], off["disabled_reason"]) == (False, "owner")
    assert off["disabled_reason_vi"] == "Chủ sở hữu đã tắt điểm nhận"
    assert off["disabled_reason_en"] == "Turned off by its owner"
    on = (await client.patch(url, headers=commune, json={"enabled": True})).json()
    assert on["enabled"] and on["disabled_reason"] is on["disabled_reason_en"] is None

    secret = await client.get(f"{url}/secret", headers=commune)
    assert secret.json()["secret"] == body["secret"]
    rotated = await client.post(f"{url}/rotate-secret", headers=commune)
    assert rotated.json()["secret"] != body["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None

    assert (await client.delete(url, headers=commune)).status_code == 204
    assert (await client.get(url, headers=commune)).status_code == 404


async def test_wrong_fields_are_refused_field_by_field(
    client: httpx.AsyncClient, commune: dict[str, str]
) -> None:
    refused = await client.post(
        BASE,
        headers=commune | {"Accept-Language": "en"},
        json={
            "url": "http://169.254.169.254/latest",
            "event_types": ["dossier.exploded"],
            "contact_email": "not-an-address",
        },
    )
    assert refused.status_code == 422
    problems = {e["location"]: e for e in refused.json()["errors"]}
    assert set(problems) == {"url", "event_types", "contact_email"}
    assert "dossier.exploded" in problems["event_types"]["message_en"]
    assert "Loại sự kiện" in problems["event_types"]["message"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/hook",
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://localhost:8080/hook",
        "ftp://example.com/hook",
    ],
)
async def test_private_addresses_are_refused_unless_allowed(
    client: httpx.AsyncClient, commune: dict[str, str], url: str
) -> None:
    refused = await client.post(BASE, headers=commune, json={"url": url})
    assert refused.status_code == 422, refused.text
    assert [e["location"] for e in refused.json()["errors"]] == ["url"]


async def test_another_owners_subscription_is_not_found(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    commune: dict[str, str],
    receiver: Receiver,
    allow_local: None,
) -> None:
    created = (await client.post(BASE, headers=commune, json={"url": receiver.url})).json()
    province = await _key(db_session, AGENCY)
    url = f"{BASE}/{created['id']}"
    for response in (
        await client.get(url, headers=province),
        await client.patch(url, headers=province, json={"description": "x"}),
        await client.delete(url, headers=province),
        await client.get(f"{url}/secret", headers=province),
        await client.get(f"{url}/deliveries", headers=province),
    ):
        assert response.status_code == 404, response.text
    assert (await client.get(BASE, headers=province)).json()["items"] == []
    no_scope = await api_keys.create_api_key(
        db_session, agency_code=CHILD_AGENCY, name="Xử lý", scopes=["dossiers:process"]
    )
    assert (
        await client.get(BASE, headers={"Authorization": f"Bearer {no_scope[1]}"})
    ).status_code == 403


async def test_the_deliveries_log_redelivery_and_replay(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    hook_settings: Settings,
    commune: dict[str, str],
    applicant: Applicant,
    receiver: Receiver,
    allow_local: None,
) -> None:
    before = utcnow() - timedelta(seconds=1)
    code = await file_dossier(db_session, hook_settings, applicant)
    created = (await client.post(BASE, headers=commune, json={"url": receiver.url})).json()
    url = f"{BASE}/{created['id']}"
    # Made after the dossier's submission: nothing to deliver yet, until a replay.
    assert (await client.get(f"{url}/deliveries", headers=commune)).json()["items"] == []
    replayed = await client.post(
        f"{url}/replay", headers=commune, json={"since": before.isoformat()}
    )
    assert replayed.status_code == 202
    assert replayed.json()["queued"] == 1 and replayed.json()["truncated"] is False

    await delivery.deliver_due(same_session(db_session), hook_settings)
    page = (await client.get(f"{url}/deliveries", headers=commune)).json()
    (item,) = page["items"]
    assert item["state"] == "delivered" and item["event_type"] == "dossier.submitted"
    assert item["dossier_code"] == code
    detail = (await client.get(f"{url}/deliveries/{item['id']}", headers=commune)).json()
    assert detail["payload"]["data"]["dossier_code"] == code
    assert [a["status_code"] for a in detail["attempt_log"]] == [204]

    again = await client.post(
        f"{url}/deliveries/{item['id']}/redeliver", headers=commune | {"Idempotency-Key": "r-1"}
    )
    assert again.status_code == 202 and again.json()["state"] == "pending"
    assert again.json()["event_id"] == item["event_id"] and again.json()["id"] != item["id"]
    await delivery.deliver_due(same_session(db_session), hook_settings)
    assert [r.headers["webhook-id"] for r in receiver.requests] == [item["event_id"]] * 2
    delivered = await client.get(f"{url}/deliveries?state=delivered&limit=1", headers=commune)
    assert len(delivered.json()["items"]) == 1 and delivered.json()["next_cursor"]
    assert (await client.get(f"{url}/deliveries/999999", headers=commune)).status_code == 404


async def test_the_event_types_are_listed_without_a_key(client: httpx.AsyncClient) -> None:
    listed = await client.get(f"{BASE}/event-types", params={"limit": 100})
    body = listed.json()
    names = [t["name"] for t in body["items"]]
    assert "dossier.submitted" in names and "payment.failed" in names
    assert names == sorted(names) and body["next_cursor"] is None
    assert "link" not in listed.headers
    assert all(t["description_vi"] and t["description_en"] for t in body["items"])

    paged: list[str] = []
    address: str | None = f"{BASE}/event-types?limit=3"
    while address is not None:
        page = await client.get(address)
        assert len(page.json()["items"]) <= 3
        paged += [t["name"] for t in page.json()["items"]]
        link = page.headers.get("link")
        assert (link is None) == (page.json()["next_cursor"] is None)
        address = link[1 : link.index(">")] if link else None
    assert paged == names

    wrong = await client.get(f"{BASE}/event-types", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert wrong.status_code == 422
    assert [e["location"] for e in wrong.json()["errors"]] == ["query.cursor"]


async def test_subscriptions_are_listed_a_page_at_a_time(
    client: httpx.AsyncClient, commune: dict[str, str], receiver: Receiver, allow_local: None
) -> None:
    made = [
        (await client.post(BASE, headers=commune, json={"url": f"{receiver.url}/{n}"})).json()
        for n in range(3)
    ]
    first = await client.get(BASE, headers=commune, params={"limit": 2})
    assert [s["id"] for s in first.json()["items"]] == [m["id"] for m in made[:2]]
    cursor = first.json()["next_cursor"]
    link = first.headers["link"]
    assert link.endswith('>; rel="next"') and f"cursor={cursor}" in link and "limit=2" in link
    rest = await client.get(link[1 : link.index(">")], headers=commune)
    assert [s["id"] for s in rest.json()["items"]] == [made[2]["id"]]
    assert rest.json()["next_cursor"] is None and "link" not in rest.headers
    for limit in (0, 101):
        refused = await client.get(BASE, headers=commune, params={"limit": limit})
        assert refused.status_code == 422
        assert [e["location"] for e in refused.json()["errors"]] == ["query.limit"]


NUL_BODIES = [
    {"url": "http://127.0.0.1:9/ho\u0000ok"},
    {"url": "http://127.0.0.1:9/hook", "description": "Phần\u0000mềm"},
    {"url": "http://127.0.0.1:9/hook", "event_types": ["dossier.received\u0000"]},
    {"url": "http://127.0.0.1:9/hook", "procedure_codes": ["1.001\u0000"]},
]


@pytest.mark.parametrize("body", NUL_BODIES, ids=["url", "description", "event", "procedure"])
async def test_a_text_holding_nul_is_refused_before_the_database_sees_it(
    client: httpx.AsyncClient,
    commune: dict[str, str],
    receiver: Receiver,
    allow_local: None,
    body: dict[str, object],
) -> None:
    refused = await client.post(BASE, headers=commune, json=body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    (error,) = refused.json()["errors"]
    assert error["location"] == "body" and "NUL" in error["message"]

    created = (await client.post(BASE, headers=commune, json={"url": receiver.url})).json()
    url = f"{BASE}/{created['id']}"
    changes = {name: value for name, value in body.items() if name != "url" or len(body) == 1}
    unchanged = await client.patch(url, headers=commune, json=changes)
    assert unchanged.status_code == 422, unchanged.text
    assert "NUL" in unchanged.json()["errors"][0]["message"]
    assert (await client.get(url, headers=commune)).json()["version"] == 1
    listed = await client.get(BASE, headers=commune)
    assert [s["id"] for s in listed.json()["items"]] == [created["id"]]


async def test_a_replay_since_a_moment_holding_nul_is_refused(
    client: httpx.AsyncClient, commune: dict[str, str], receiver: Receiver, allow_local: None
) -> None:
    created = (await client.post(BASE, headers=commune, json={"url": receiver.url})).json()
    refused = await client.post(
        f"{BASE}/{created['id']}/replay",
        headers=commune,
        json={"since": "2026-01-01T00:00:00\u0000"},
    )
    assert refused.status_code == 422
    assert [e["location"] for e in refused.json()["errors"]] == ["body.since"]


async def test_a_replay_stops_at_the_limit_and_says_so(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    hook_settings: Settings,
    commune: dict[str, str],
    applicant: Applicant,
    receiver: Receiver,
    allow_local: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service, "REPLAY_MAX", 2)
    before = utcnow() - timedelta(seconds=1)
    codes = [await file_dossier(db_session, hook_settings, applicant) for _ in range(3)]
    created = (await client.post(BASE, headers=commune, json={"url": receiver.url})).json()
    url = f"{BASE}/{created['id']}"

    replayed = await client.post(
        f"{url}/replay", headers=commune, json={"since": before.isoformat()}
    )

    assert replayed.status_code == 202
    body = replayed.json()
    assert (body["queued"], body["limit"], body["truncated"]) == (2, 2, True)
    queued = (await client.get(f"{url}/deliveries", headers=commune)).json()["items"]
    # The oldest first: the third dossier waits for the next replay, from ``until``.
    assert sorted(d["dossier_code"] for d in queued) == sorted(codes[:2])
    details = [
        (await client.get(f"{url}/deliveries/{d['id']}", headers=commune)).json() for d in queued
    ]
    last = max(datetime.fromisoformat(d["payload"]["timestamp"]) for d in details)
    assert datetime.fromisoformat(body["until"]) == last
