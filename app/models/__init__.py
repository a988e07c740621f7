"""ORM models, one file per aggregate; importing this package registers them all."""

from app.models.base import Base
from app.models.catalog import (
    Agency,
    AgencyLevel,
    Field,
    OnlineLevel,
    Procedure,
    ProcedureSearchWord,
    ProcedureVersion,
)

__all__ = [
    "Agency",
    "AgencyLevel",
    "Base",
    "Field",
    "OnlineLevel",
    "Procedure",
    "ProcedureSearchWord",
    "ProcedureVersion",
]
