from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import service
from app.catalog.importing import import_catalog
from app.catalog.schemas import ProcedureFilter
from tests.fixtures.catalogs import PROCEDURE, small_catalog


async def _every_code(session: AsyncSession, query: ProcedureFilter) -> list[str]:
    codes: list[str] = []
    cursor = None
    while True:
        page = await service.search_procedures(session, query, cursor=cursor, limit=2)
        codes += [p.code for p in page.items]
        if page.next_cursor is None:
            return codes
        cursor = page.next_cursor


async def test_count_agrees_with_the_pages(db_session: AsyncSession) -> None:
    for query in (
        ProcedureFilter(),
        ProcedureFilter(q="đăng ký"),
        ProcedureFilter(level="commune"),
        ProcedureFilter(q="cap", online_level="full"),
        ProcedureFilter(q="no such words anywhere"),
    ):
        codes = await _every_code(db_session, query)
        assert len(codes) == len(set(codes))
        assert await service.count_procedures(db_session, query) == len(codes)


async def test_renaming_a_procedure_renews_its_search_words(db_session: AsyncSession) -> None:
    catalog = small_catalog()
    await import_catalog(db_session, catalog)
    assert await _every_code(db_session, ProcedureFilter(q="thu nghiem")) == [PROCEDURE]
    catalog["procedures"][0]["name"] = "Cấp phép khai thác cát sỏi"
    catalog["procedures"][0]["result"] = "Quyết định"
    await import_catalog(db_session, catalog)
    assert await _every_code(db_session, ProcedureFilter(q="xac nhan thu nghiem")) == []
    assert await _every_code(db_session, ProcedureFilter(q="khai thac cat soi")) == [PROCEDURE]


async def test_words_match_as_prefixes_of_words(db_session: AsyncSession) -> None:
    await import_catalog(db_session, small_catalog())
    assert PROCEDURE in await _every_code(db_session, ProcedureFilter(q="xac nh thu ngh"))
    # Inside a word is not a match: "han" must not find "nhận".
    assert PROCEDURE not in await _every_code(db_session, ProcedureFilter(q="han"))
