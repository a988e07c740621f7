"""JSON Logic evaluation that never raises, and the variables an expression reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import json_logic
from json_logic.builtins import to_bool

# Operators whose second argument is evaluated against each item, not against the form data.
_ITERATING = frozenset({"filter", "map", "reduce", "all", "some", "none"})


def evaluate(expression: Any, data: Any) -> Any:
    """Evaluate JSON Logic over ``data``; any runtime error gives None (falsy)."""
    try:
        return json_logic.jsonLogic(expression, data)
    except Exception:
        # Errors in author-written logic must never break a citizen's submission.
        return None


def truthy(expression: Any, data: Any) -> bool:
    """Evaluate JSON Logic and apply its truthiness rules; errors are falsy."""
    result = evaluate(expression, data)
    try:
        return bool(to_bool(result))
    except Exception:
        return False


def variables(expression: Any) -> Iterator[str]:
    """Yield the names read by ``var`` at the top data level (``a.b`` yields ``a.b``)."""
    if isinstance(expression, list):
        for item in expression:
            yield from variables(item)
        return
    if not isinstance(expression, dict) or len(expression) != 1:
        return
    op, args = next(iter(expression.items()))
    if op == "var":
        name = args[0] if isinstance(args, list) and args else args
        if isinstance(name, str) and name:
            yield name
        elif not isinstance(name, int | float | str | type(None)):
            yield from variables(name)
        if isinstance(args, list):
            yield from variables(args[1:])
        return
    if op in ("missing", "missing_some"):
        names = args
        if op == "missing_some" and isinstance(args, list) and len(args) > 1:
            names = args[1]
        for name in names if isinstance(names, list) else [names]:
            if isinstance(name, str) and name:
                yield name
            else:
                yield from variables(name)
        return
    if op in _ITERATING and isinstance(args, list):
        yield from variables(args[:1])
        yield from variables(args[2:])
        return
    yield from variables(args)
