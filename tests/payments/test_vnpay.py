"""The VNPAY 2.1.0 protocol against vectors computed outside the code under test (with
`openssl dgst -sha512 -hmac` over the strings written out here by hand)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from app.payments import vnpay
from app.payments.errors import GatewayUnavailable
from app.payments.gateway import VnpayGateway

SECRET = "SECRETSECRETSECRETSECRETSECRET12"
# The redirect's signed string as VNPAY's PHP reference builds it: sorted, urlencode'd.
SIGNED = (
    "vnp_Amount=5000000&vnp_Command=pay&vnp_CreateDate=20261124153000&vnp_CurrCode=VND"
    "&vnp_ExpireDate=20261124154500&vnp_IpAddr=127.0.0.1&vnp_Locale=vn"
    "&vnp_OrderInfo=Thanh+toan+phi+le+phi+ho+so+000.00.41.H39-261124-0001&vnp_OrderType=other"
    "&vnp_ReturnUrl=http%3A%2F%2F127.0.0.1%3A8000%2Fthanh-toan%2Fvnpay%2Fket-qua"
    "&vnp_TmnCode=MOTCUA01&vnp_TxnRef=261124ABCDEF012345&vnp_Version=2.1.0"
)
# printf '%s' "$SIGNED" | openssl dgst -sha512 -hmac "$SECRET"
SIGNED_HASH = (
    "e35d1c0cab5fb5d0468a706c27a3bc90cec869e9e2e5f8e6d43c6deb43e77c32"
    "c8490a653348ac4bc689dd0770aa3ac3c482b50b0e1cc08c4579c88a364ca819"
)
QUERY_HASH = (
    "7dbe1aabf93e302a1de935f6e926dc7da96f937b6790d95ba0ed9a7a72184dce"
    "2d236049ef33b835d29ec62d3d6ca2698bd8ab12f64321da85f0aa0e07aada5a"
)


def _gateway() -> VnpayGateway:
    return VnpayGateway(
        "vnpay",
        tmn_code="MOTCUA01",
        hash_secret=SECRET,
        pay_url="https://pay.example/paymentv2/vpcpay.html",
        api_url="https://pay.example/merchant_webapi/api/transaction",
    )


def _order() -> vnpay.Order:
    return vnpay.Order(
        txn_ref="261124ABCDEF012345",
        amount=50_000,
        order_info="Thanh toan phi le phi ho so 000.00.41.H39-261124-0001",
        return_url="http://127.0.0.1:8000/thanh-toan/vnpay/ket-qua",
        ip="127.0.0.1",
        # 15:30 in GMT+7.
        created_at=datetime(2026, 11, 24, 8, 30, tzinfo=UTC),
        expires_at=datetime(2026, 11, 24, 8, 45, tzinfo=UTC),
    )


def test_payment_url_is_signed_as_vnpay_signs_it() -> None:
    url = _gateway().payment_url(_order())
    address, query = url.split("?", 1)
    assert address == "https://pay.example/paymentv2/vpcpay.html"
    assert query == f"{SIGNED}&vnp_SecureHash={SIGNED_HASH}"
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["vnp_Amount"] == "5000000"
    assert params["vnp_CreateDate"] == "20261124153000"


def test_return_is_verified_and_any_change_refused() -> None:
    gateway = _gateway()
    params = dict(parse_qsl(SIGNED))
    params["vnp_SecureHash"] = SIGNED_HASH.upper()
    params["vnp_SecureHashType"] = "HmacSHA512"
    assert gateway.verify(params) is not None
    for name, value in (("vnp_Amount", "5000100"), ("vnp_TxnRef", "261124ABCDEF012346")):
        assert gateway.verify({**params, name: value}) is None
    assert gateway.verify({**params, "vnp_SecureHash": ""}) is None
    assert gateway.verify({k: v for k, v in params.items() if k != "vnp_SecureHash"}) is None


def test_querydr_request_is_signed_over_its_pipe_joined_fields() -> None:
    body = vnpay.query_request(
        tmn_code="MOTCUA01",
        secret=SECRET,
        request_id="req1",
        txn_ref="261124ABCDEF012345",
        transaction_date=datetime(2026, 11, 24, 8, 30, tzinfo=UTC),
        now=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
        ip="127.0.0.1",
        order_info="Truy van",
    )
    assert body["vnp_SecureHash"] == QUERY_HASH
    assert body["vnp_Command"] == "querydr" and body["vnp_Version"] == "2.1.0"


def test_encoding_follows_php_urlencode() -> None:
    assert vnpay.encode("a b~c/ đ") == "a+b%7Ec%2F+%C4%91"


def test_amounts_must_be_whole_dong() -> None:
    assert vnpay.amount_of("5000000") == 50_000
    assert vnpay.amount_of("5000050") is None
    assert vnpay.amount_of("-100") is None
    assert vnpay.amount_of("") is None


def _answering(answer: dict[str, str], seen: list[dict[str, str]]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json=answer)

    return httpx.MockTransport(handle)


def _queried(status: str) -> dict[str, str]:
    answer = {
        "vnp_ResponseId": "r1",
        "vnp_Command": "querydr",
        "vnp_ResponseCode": "00",
        "vnp_Message": "QueryDR Success",
        "vnp_TmnCode": "MOTCUA01",
        "vnp_TxnRef": "261124ABCDEF012345",
        "vnp_Amount": "5000000",
        "vnp_BankCode": "NCB",
        "vnp_PayDate": "20261124153512",
        "vnp_TransactionNo": "14226112",
        "vnp_TransactionType": "01",
        "vnp_TransactionStatus": status,
        "vnp_OrderInfo": "Truy van",
        "vnp_PromotionCode": "",
        "vnp_PromotionAmount": "",
    }
    # The documented order of the answer's fields, joined with "|", written out here.
    data = "|".join(
        [
            "r1", "querydr", "00", "QueryDR Success", "MOTCUA01", "261124ABCDEF012345",
            "5000000", "NCB", "20261124153512", "14226112", "01", status, "Truy van", "", "",
        ]
    )  # fmt: skip
    answer["vnp_SecureHash"] = hmac.new(SECRET.encode(), data.encode(), hashlib.sha512).hexdigest()
    return answer


async def test_querydr_answers_are_trusted_only_with_their_hash() -> None:
    seen: list[dict[str, str]] = []
    created = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    for status, paid in (("00", True), ("01", False)):
        gateway = VnpayGateway(
            "vnpay",
            tmn_code="MOTCUA01",
            hash_secret=SECRET,
            pay_url="https://pay.example/",
            api_url="https://pay.example/api",
            transport=_answering(_queried(status), seen),
        )
        answer = await gateway.query("261124ABCDEF012345", created, "Truy van", "127.0.0.1")
        assert answer.found and answer.outcome is not None
        assert answer.outcome.succeeded is paid and answer.outcome.amount == 50_000
        assert answer.outcome.transaction_no == "14226112"
    request = seen[-1]
    fields = [request[name] for name in vnpay.QUERY_REQUEST_FIELDS]
    expected = hmac.new(SECRET.encode(), "|".join(fields).encode(), hashlib.sha512).hexdigest()
    assert request["vnp_SecureHash"] == expected
    assert request["vnp_TransactionDate"] == "20261124153000"

    forged = {**_queried("00"), "vnp_Amount": "10000000"}
    gateway = VnpayGateway(
        "vnpay",
        tmn_code="MOTCUA01",
        hash_secret=SECRET,
        pay_url="https://pay.example/",
        api_url="https://pay.example/api",
        transport=_answering(forged, seen),
    )
    answer = await gateway.query("261124ABCDEF012345", created, "Truy van", "127.0.0.1")
    assert answer.outcome is None


async def test_a_gateway_that_does_not_answer_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    gateway = VnpayGateway(
        "vnpay",
        tmn_code="MOTCUA01",
        hash_secret=SECRET,
        pay_url="https://pay.example/",
        api_url="https://pay.example/api",
        transport=httpx.MockTransport(refuse),
    )
    with pytest.raises(GatewayUnavailable):
        await gateway.query("x", datetime(2026, 11, 24, tzinfo=UTC), "x", "127.0.0.1")
    assert "SECRETSECRET" not in repr(gateway)


def test_vnpay_times_are_read_in_utc() -> None:
    # 23:59 in Việt Nam is 16:59 UTC the same day: a time after 17:00 there, kept with its
    # offset on SQLite (which drops it), would have moved to the next day.
    assert vnpay.parse_vnp_time("20261124235959") == datetime(2026, 11, 24, 16, 59, 59, tzinfo=UTC)
    assert vnpay.parse_vnp_time("2026112423595") is None
    assert vnpay.parse_vnp_time("20261324000000") is None
