"""The payment gateway's settings: the sandbox out of production, VNPAY's keys required, the
sandbox and weak secrets refused in production, secrets never shown."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import Environment, PaymentGateway, Settings
from app.payments.errors import PaymentsOff
from app.payments.gateway import gateway_for, sandbox_secret

KEY = "k" * 40


def test_the_sandbox_is_the_default_out_of_production_and_off_in_it() -> None:
    assert Settings(environment=Environment.test, secret_key=KEY).payment_gateway == "sandbox"
    production = Settings(environment=Environment.production, secret_key=KEY)
    assert production.payment_gateway is None
    with pytest.raises(PaymentsOff):
        gateway_for(production)


def test_the_sandbox_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="refused in production"):
        Settings(
            environment=Environment.production,
            secret_key=KEY,
            payment_gateway=PaymentGateway.sandbox,
        )


def test_vnpay_needs_its_keys_and_a_strong_secret_in_production() -> None:
    with pytest.raises(ValidationError, match="MOTCUA_VNPAY_TMN_CODE"):
        Settings(environment=Environment.test, secret_key=KEY, payment_gateway="vnpay")
    with pytest.raises(ValidationError, match="at least 16"):
        Settings(
            environment=Environment.production,
            secret_key=KEY,
            payment_gateway="vnpay",
            vnpay_tmn_code="ABCD1234",
            vnpay_hash_secret="short",
        )
    settings = Settings(
        environment=Environment.production,
        secret_key=KEY,
        payment_gateway="vnpay",
        vnpay_tmn_code="ABCD1234",
        vnpay_hash_secret="S" * 32,
    )
    gateway = gateway_for(settings)
    assert gateway.name == "vnpay" and gateway.pay_url == settings.vnpay_pay_url
    assert "S" * 32 not in repr(settings) and "S" * 32 not in repr(gateway)


def test_the_sandbox_secret_comes_from_the_portal_s_own_key() -> None:
    one = Settings(environment=Environment.test, secret_key=KEY, base_url="http://127.0.0.1:8000")
    other = Settings(environment=Environment.test, secret_key="o" * 40)
    assert sandbox_secret(one) != sandbox_secret(other)
    assert KEY not in sandbox_secret(one)
    sandbox = gateway_for(one)
    assert sandbox.pay_url == "http://127.0.0.1:8000/sandbox-gateway/paymentv2/vpcpay.html"
