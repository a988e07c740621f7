"""What the audit trail gives back: plain Pydantic models, no ORM objects."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class AuditOut(BaseModel):
    """One row of the trail as it is shown: who, what, when, from where, on which dossier."""

    id: int
    at: datetime
    actor: str
    actor_name: str
    ip: str
    action: str
    dossier_id: int | None
    dossier_code: str | None
    detail: dict[str, Any]


class Break(StrEnum):
    """Why a row breaks the chain."""

    # The row's hash does not match its content: a field was changed after it was written.
    changed = "changed"
    # Its previous_hash does not match the row before it, and ids are missing in between (or
    # the first row does not start the chain): rows were deleted.
    deleted = "deleted"
    # Its previous_hash does not match the row just before it, with no id missing: rows were
    # moved (ids swapped) or a row was rewritten together with its hash.
    unlinked = "unlinked"


_REASONS: dict[Break, tuple[str, str]] = {
    Break.changed: (
        "bản ghi đã bị sửa: mã băm không khớp với nội dung của nó",
        "the row was changed: its hash does not match its content",
    ),
    Break.deleted: (
        "bản ghi đứng trước đã bị xoá: previous_hash không khớp với bản ghi liền trước,"
        " và có id bị thiếu ở giữa (hoặc bản ghi đầu tiên không mở đầu chuỗi)",
        "rows before it were deleted: its previous_hash does not match the row before it and"
        " ids are missing in between (or the first row does not start the chain)",
    ),
    Break.unlinked: (
        "liên kết bị phá: previous_hash không khớp với bản ghi liền trước (các bản ghi bị đổi"
        " chỗ, hoặc một bản ghi bị viết lại cùng mã băm của nó)",
        "the link is broken: its previous_hash does not match the row just before it (rows"
        " were moved, or a row was rewritten together with its hash)",
    ),
}


class AuditReport(BaseModel):
    """The outcome of walking the chain. ``rows_checked`` counts the rows read up to and
    including the first broken one. ``last_id`` and ``last_hash`` are the newest row found
    intact: keeping a copy of them elsewhere (a printed report, another system) is what shows
    later that rows were deleted from the end, which the chain alone cannot show."""

    ok: bool
    rows_checked: int
    first_broken_id: int | None = None
    reason: Break | None = None
    last_id: int | None = None
    last_hash: str | None = None

    @property
    def reason_vi(self) -> str:
        return _REASONS[self.reason][0] if self.reason is not None else ""

    @property
    def reason_en(self) -> str:
        return _REASONS[self.reason][1] if self.reason is not None else ""

    def __str__(self) -> str:
        """The report for a terminal, in Vietnamese then English, line by line."""
        lines = [f"Số bản ghi đã kiểm tra / Rows checked: {self.rows_checked}"]
        if self.ok:
            lines.append("Chuỗi nhật ký nguyên vẹn. / The audit chain is intact.")
        else:
            lines += [
                f"Chuỗi nhật ký bị phá vỡ tại bản ghi {self.first_broken_id}."
                f" / The audit chain is broken at row {self.first_broken_id}.",
                f"Lý do: {self.reason_vi}.",
                f"Reason: {self.reason_en}.",
            ]
        if self.last_id is not None:
            lines.append(
                f"Bản ghi cuối còn nguyên vẹn / Last intact row: {self.last_id} {self.last_hash}"
            )
        return "\n".join(lines)
