"""Parsing a raw form definition (from YAML or JSON) into a FormDefinition."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from .definition import FormDefinition
from .fields import FIELD_TYPES
from .lint import lint
from .problems import DefinitionError, DefinitionProblem


def format_location(loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic error location into ``sections[0].fields[2].options``."""
    parts: list[str] = []
    previous: list[int | str] = []
    for item in loc:
        # Discriminated unions add the tag after the list index: ("fields", 2, "text", ...).
        is_tag = (
            isinstance(item, str)
            and item in FIELD_TYPES
            and len(previous) >= 2
            and isinstance(previous[-1], int)
            and previous[-2] == "fields"
        )
        previous.append(item)
        if is_tag:
            continue
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(f".{item}" if parts else str(item))
    return "".join(parts)


def _problems(error: ValidationError) -> list[DefinitionProblem]:
    problems = []
    for detail in error.errors(include_url=False):
        message = detail["msg"]
        if detail["type"] == "union_tag_not_found":
            message = f"the key 'type' is required (one of: {', '.join(FIELD_TYPES)})"
        elif detail["type"] == "union_tag_invalid":
            tag = detail.get("ctx", {}).get("tag")
            if tag == "group":
                message = "a group cannot contain another group"
            else:
                message = f"unknown field type {tag!r} (one of: {', '.join(FIELD_TYPES)})"
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        problems.append(DefinitionProblem(format_location(tuple(detail["loc"])), message))
    return problems


def parse_definition(raw: Mapping[str, Any]) -> FormDefinition:
    """Parse and lint a form definition; raise DefinitionError listing every problem."""
    if not isinstance(raw, Mapping):
        raise DefinitionError([DefinitionProblem("", "a form definition must be a mapping")])
    try:
        definition = FormDefinition.model_validate(dict(raw))
    except ValidationError as error:
        raise DefinitionError(_problems(error)) from None
    problems = lint(definition)
    if problems:
        raise DefinitionError(problems)
    return definition
