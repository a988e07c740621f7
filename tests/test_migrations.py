"""The migration history is one straight line with date-slug file names."""

from __future__ import annotations

import re
from pathlib import Path

from alembic.script import ScriptDirectory

from app.db import alembic_config

VERSIONS = Path(__file__).parent.parent / "migrations" / "versions"


def test_history_is_linear() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert all(len(r.nextrev) <= 1 for r in script.walk_revisions())


def test_file_names_are_date_slugs() -> None:
    for path in VERSIONS.glob("*.py"):
        assert re.fullmatch(r"\d{8}_[a-z0-9_]+\.py", path.name), path.name
