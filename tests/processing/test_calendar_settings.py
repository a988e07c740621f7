"""The working hours setting (MOTCUA_WORKING_HOURS): parsed into periods, refused when wrong."""

from __future__ import annotations

from datetime import time

import pytest
from pydantic import ValidationError

from app.config import Environment, Settings
from app.processing.calendar import WorkingHours
from tests.conftest import TEST_SECRET_KEY


def settings(**values: str) -> Settings:
    return Settings(
        _env_file=None,
        environment=Environment.test,
        secret_key=TEST_SECRET_KEY,
        **values,  # type: ignore[arg-type]
    )


def test_the_default_is_the_civil_service_day() -> None:
    periods = settings().working_periods
    assert periods == ((time(7), time(11, 30)), (time(13, 30), time(17)))
    assert WorkingHours(periods).day_length.total_seconds() == 8 * 3600


def test_the_hours_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTCUA_WORKING_HOURS", "07:30-11:30, 13:00-16:30")
    assert settings().working_periods == ((time(7, 30), time(11, 30)), (time(13), time(16, 30)))


def test_periods_may_touch() -> None:
    touching = settings(working_hours="07:00-12:00,12:00-15:00").working_periods
    assert touching == ((time(7), time(12)), (time(12), time(15)))


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("", "'' is not a period HH:MM-HH:MM"),
        ("7:00-11:30", "'7:00-11:30' is not a period HH:MM-HH:MM"),
        ("07:00-11:30;13:30-17:00", "is not a period HH:MM-HH:MM"),
        ("07:00-24:00", "'07:00-24:00' is not a period"),
        ("07:00-11:30,", "'' is not a period"),
        ("09:00-09:00", "'09:00-09:00' must end after it starts"),
        ("17:00-13:30", "'17:00-13:30' must end after it starts"),
        ("07:00-11:30,11:00-17:00", "'11:00-17:00' begins before the period before it ends"),
        ("13:30-17:00,07:00-11:30", "'07:00-11:30' begins before the period before it ends"),
    ],
)
def test_wrong_hours_are_refused_clearly(value: str, complaint: str) -> None:
    with pytest.raises(ValidationError) as refused:
        settings(working_hours=value)
    assert "MOTCUA_WORKING_HOURS" in str(refused.value)
    assert complaint in str(refused.value)
