"""Signed strings: what the session and CSRF cookies carry."""

from __future__ import annotations

from app.kit.signing import MAX_TOKEN_LENGTH, sign, unsign

SECRET = "a-secret-key-long-enough-for-the-tests-0123"


def test_a_signed_value_reads_back_only_under_its_key_and_purpose() -> None:
    signed = sign(SECRET, "session", "token.with.dots")
    assert signed.startswith("token.with.dots.")
    assert unsign(SECRET, "session", signed) == "token.with.dots"
    assert unsign("another-secret-key-long-enough-0123456789", "session", signed) is None
    assert unsign(SECRET, "csrf", signed) is None


def test_tampered_empty_or_overlong_values_are_refused() -> None:
    signed = sign(SECRET, "session", "abc")
    assert unsign(SECRET, "session", "abd" + signed[3:]) is None
    assert unsign(SECRET, "session", signed + "x") is None
    for bad in (None, "", ".", signed.partition(".")[2]):
        assert unsign(SECRET, "session", bad) is None
    long = sign(SECRET, "session", "v" * MAX_TOKEN_LENGTH)
    assert unsign(SECRET, "session", long) is None
