"""Processing tests use the processing fixtures of tests/fixtures/processing.py (loaded for the
whole suite by tests/conftest.py); its names are re-exported here for the tests' imports."""

from tests.fixtures.processing import (
    ROLES,
    Desk,
    act,
    applicant,
    desk,
    file_dossier,
    make_official,
    storage,
)

__all__ = ["ROLES", "Desk", "act", "applicant", "desk", "file_dossier", "make_official", "storage"]
