"""Page tests: the same fixtures as the rest (tests/conftest.py), plus language helpers."""

from __future__ import annotations

import pytest

VI = {"Cookie": "lang=vi"}
EN = {"Cookie": "lang=en"}


@pytest.fixture(params=["vi", "en"])
def lang(request: pytest.FixtureRequest) -> str:
    """Each page test that takes it runs once per language."""
    value: str = request.param
    return value
