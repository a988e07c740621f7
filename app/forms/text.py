"""Localized text: a plain Vietnamese string or a mapping ``{vi, en}``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class LocalizedText(BaseModel):
    """Text in Vietnamese with an optional English version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    vi: str = Field(min_length=1)
    en: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_plain(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"vi": value}
        if isinstance(value, dict | LocalizedText):
            return value
        raise ValueError("must be a string or a mapping {vi, en}")

    def get(self, locale: str) -> str:
        """Return the text for ``locale`` (``en…`` gives English if present, else Vietnamese)."""
        if locale.lower().startswith("en") and self.en:
            return self.en
        return self.vi

    def __str__(self) -> str:
        return self.vi


def text(vi: str, en: str | None = None) -> LocalizedText:
    """Build a LocalizedText from Python code."""
    return LocalizedText(vi=vi, en=en)
