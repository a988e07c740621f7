"""Errors of processing, each with its status and stable code."""

from __future__ import annotations

from app.errors import Conflict, InvalidInput, Problem


class ActionInvalid(InvalidInput):
    """What an action was given is incomplete or wrong; every problem is listed."""

    code = "action_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            "Thông tin của thao tác chưa đúng: hãy sửa các mục được nêu.",
            message_en="The action's details are wrong: correct the items listed.",
            problems=problems,
        )


class WrongState(Conflict):
    """The action does not apply to the dossier as it is now."""

    code = "wrong_state"

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message, message_en=message_en)
