"""Every catalog query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    case,
    delete,
    func,
    insert,
    intersect,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, selectinload

from app.kit.pagination import CursorKey
from app.models.catalog import (
    SEARCH_WORD_LENGTH,
    Agency,
    Field,
    Procedure,
    ProcedureSearchWord,
    ProcedureVersion,
    procedure_agencies,
)

# Weights of a search word found as a whole word of the name, as the start of a word of the
# name, or only elsewhere (code, field, result); a phrase found whole in the name outranks all.
WHOLE_WORD_IN_NAME = 3
WORD_PREFIX_IN_NAME = 2
WORD_ELSEWHERE = 1
PHRASE_IN_NAME = 10


def _rank(words: Sequence[str]) -> ColumnElement[int]:
    rank: ColumnElement[int] = literal(0)
    for word in words:
        rank = rank + case(
            (Procedure.name_folded.like(f"% {word} %"), WHOLE_WORD_IN_NAME),
            (Procedure.name_folded.like(f"% {word}%"), WORD_PREFIX_IN_NAME),
            else_=WORD_ELSEWHERE,
        )
    if len(words) > 1:
        phrase = " ".join(words)
        rank = rank + case((Procedure.name_folded.like(f"% {phrase} %"), PHRASE_IN_NAME), else_=0)
    return rank


def _starting_with(word: str) -> Select[Any]:
    # Folded words are [0-9a-z] only and "{" sorts right after "z": a range of the word index.
    prefix = word[:SEARCH_WORD_LENGTH]
    return select(ProcedureSearchWord.procedure_id).where(
        ProcedureSearchWord.word >= prefix, ProcedureSearchWord.word < prefix + "{"
    )


def _having_every_word(words: Sequence[str]) -> Select[Any] | CompoundSelect[Any]:
    selects = [_starting_with(word) for word in words]
    return selects[0] if len(selects) == 1 else intersect(*selects)


async def replace_search_words(
    session: AsyncSession, procedure_id: int, words: Sequence[str]
) -> None:
    await session.execute(
        delete(ProcedureSearchWord).where(ProcedureSearchWord.procedure_id == procedure_id)
    )
    unique = sorted({word[:SEARCH_WORD_LENGTH] for word in words})
    if unique:
        await session.execute(
            insert(ProcedureSearchWord),
            [{"procedure_id": procedure_id, "word": word} for word in unique],
        )


def _filtered(
    statement: Select[Any],
    *,
    words: Sequence[str],
    agency: str | None,
    field: str | None,
    level: str | None,
    online_level: str | None,
) -> Select[Any]:
    statement = statement.where(Procedure.published.is_(True))
    if words:
        statement = statement.where(Procedure.id.in_(_having_every_word(words)))
    if field:
        statement = statement.where(Field.code == field)
    if level:
        statement = statement.where((" " + Procedure.levels + " ").like(f"% {level} %"))
    if online_level:
        statement = statement.where(Procedure.online_level == online_level)
    if agency:
        handled_by = (
            select(procedure_agencies.c.procedure_id)
            .join(Agency, Agency.id == procedure_agencies.c.agency_id)
            .where(Agency.code == agency)
        )
        statement = statement.where(Procedure.id.in_(handled_by))
    return statement


async def search_procedures(
    session: AsyncSession,
    *,
    words: Sequence[str],
    agency: str | None,
    field: str | None,
    level: str | None,
    online_level: str | None,
    after: CursorKey | None,
    limit: int,
) -> list[tuple[Procedure, CursorKey]]:
    """Published procedures matching every word, best first, with each row's cursor key."""
    ranked = bool(words)
    sort_key: ColumnElement[Any] = _rank(words) if ranked else Procedure.name_folded.expression
    statement = _filtered(
        select(Procedure, sort_key.label("sort_key"))
        .join(Procedure.field)
        .options(contains_eager(Procedure.field)),
        words=words,
        agency=agency,
        field=field,
        level=level,
        online_level=online_level,
    )
    if after is not None:
        last_key, last_code = after[0], after[1]
        if ranked:
            statement = statement.where(
                or_(sort_key < last_key, and_(sort_key == last_key, Procedure.code > last_code))
            )
        else:
            statement = statement.where(
                or_(sort_key > last_key, and_(sort_key == last_key, Procedure.code > last_code))
            )
    order = sort_key.desc() if ranked else sort_key.asc()
    statement = statement.order_by(order, Procedure.code).limit(limit)
    rows = (await session.execute(statement)).all()
    return [(procedure, (key, procedure.code)) for procedure, key in rows]


async def count_procedures(
    session: AsyncSession,
    *,
    words: Sequence[str],
    agency: str | None,
    field: str | None,
    level: str | None,
    online_level: str | None,
) -> int:
    """How many published procedures match every word and filter."""
    statement = _filtered(
        select(func.count(Procedure.id)).join(Procedure.field),
        words=words,
        agency=agency,
        field=field,
        level=level,
        online_level=online_level,
    )
    return int((await session.execute(statement)).scalar_one())


async def get_procedure(session: AsyncSession, code: str) -> Procedure | None:
    statement = (
        select(Procedure)
        .where(Procedure.code == code)
        .options(selectinload(Procedure.field), selectinload(Procedure.agencies))
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def latest_version(session: AsyncSession, procedure_id: int) -> ProcedureVersion | None:
    statement = (
        select(ProcedureVersion)
        .where(ProcedureVersion.procedure_id == procedure_id)
        .order_by(ProcedureVersion.number.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def get_version(
    session: AsyncSession, procedure_id: int, number: int
) -> ProcedureVersion | None:
    statement = select(ProcedureVersion).where(
        ProcedureVersion.procedure_id == procedure_id, ProcedureVersion.number == number
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def list_agencies(session: AsyncSession, level: str | None = None) -> list[Agency]:
    statement = select(Agency).options(selectinload(Agency.parent)).order_by(Agency.code)
    if level:
        statement = statement.where(Agency.level == level)
    return list((await session.execute(statement)).scalars())


async def agencies_by_code(session: AsyncSession, codes: Sequence[str]) -> dict[str, Agency]:
    if not codes:
        return {}
    statement = select(Agency).where(Agency.code.in_(codes))
    return {agency.code: agency for agency in (await session.execute(statement)).scalars()}


async def fields_with_counts(session: AsyncSession) -> list[tuple[Field, int]]:
    published = and_(Procedure.field_id == Field.id, Procedure.published.is_(True))
    statement = (
        select(Field, func.count(Procedure.id)).outerjoin(Procedure, published).group_by(Field.id)
    )
    return [(field, count) for field, count in (await session.execute(statement)).all()]


async def fields_by_code(session: AsyncSession, codes: Sequence[str]) -> dict[str, Field]:
    if not codes:
        return {}
    statement = select(Field).where(Field.code.in_(codes))
    return {field.code: field for field in (await session.execute(statement)).scalars()}


async def procedures_by_code(session: AsyncSession, codes: Sequence[str]) -> dict[str, Procedure]:
    if not codes:
        return {}
    statement = (
        select(Procedure)
        .where(Procedure.code.in_(codes))
        .options(selectinload(Procedure.agencies), selectinload(Procedure.field))
    )
    return {p.code: p for p in (await session.execute(statement)).scalars()}


async def latest_versions(
    session: AsyncSession, procedure_ids: Sequence[int]
) -> dict[int, ProcedureVersion]:
    """The newest version of each procedure, in one query."""
    if not procedure_ids:
        return {}
    newest = (
        select(ProcedureVersion.procedure_id, func.max(ProcedureVersion.number).label("number"))
        .where(ProcedureVersion.procedure_id.in_(procedure_ids))
        .group_by(ProcedureVersion.procedure_id)
        .subquery()
    )
    statement = select(ProcedureVersion).join(
        newest,
        and_(
            ProcedureVersion.procedure_id == newest.c.procedure_id,
            ProcedureVersion.number == newest.c.number,
        ),
    )
    return {v.procedure_id: v for v in (await session.execute(statement)).scalars()}


async def all_procedures(session: AsyncSession) -> list[Procedure]:
    statement = (
        select(Procedure)
        .options(selectinload(Procedure.agencies), selectinload(Procedure.field))
        .order_by(Procedure.code)
    )
    return list((await session.execute(statement)).scalars())


async def all_fields(session: AsyncSession) -> list[Field]:
    return list((await session.execute(select(Field).order_by(Field.code))).scalars())


async def version_by_id(session: AsyncSession, version_id: int) -> ProcedureVersion | None:
    found: ProcedureVersion | None = await session.get(ProcedureVersion, version_id)
    return found


async def procedure_by_id(session: AsyncSession, procedure_id: int) -> Procedure | None:
    statement = (
        select(Procedure)
        .where(Procedure.id == procedure_id)
        .options(selectinload(Procedure.field), selectinload(Procedure.agencies))
    )
    return (await session.execute(statement)).scalar_one_or_none()
