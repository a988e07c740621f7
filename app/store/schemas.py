"""What the document store shows of a document, and whose store it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field

from app.models.store import StoredKind


@dataclass(frozen=True)
class Owner:
    """Whose store: a citizen's account, or an enterprise (every member shares it)."""

    account_id: int | None
    enterprise_id: int | None


class StoredDocumentOut(BaseModel):
    """A document of the applicant's store (never its storage key)."""

    reference: str = Field(description="The document's reference in the store")
    kind: StoredKind = Field(
        description="`upload`: a file the applicant submitted; `result`: a signed result"
        " issued to them"
    )
    label: str = Field(description="The file slot or document it was: “Tờ khai”, a result...")
    slot: str = Field(description="The form's file slot it filled, empty for a result")
    name: str = Field(description="The file's name")
    content_type: str
    size: int
    sha256: str
    dossier_code: str | None = Field(description="The dossier it came from")
    created_at: datetime
