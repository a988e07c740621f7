"""Fees on the pages: how each fee is counted on the procedure page, when it is paid, and what
the dossier owes when the applicant checks it before filing."""

from __future__ import annotations

import httpx
from page_checks import assert_page_structure
from people import Person
from permit import PERMIT
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from web_html import visible_text

from app.models.catalog import Procedure
from tests.web.test_web_filing import draft_url, fill_permit

RECORD = "2.000488"
LICENCE = "1.002804"


def headers(locale: str) -> dict[str, str]:
    return {"Cookie": f"lang={locale}"}


async def test_the_procedure_page_says_how_each_fee_is_counted_and_when_it_is_paid(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(f"/thu-tuc/{RECORD}")
    text = visible_text(assert_page_structure(response.text).text)
    assert "5.000 đ mỗi bản" in text and "miễn 2 bản đầu" in text
    assert "Phí, lệ phí nộp trực tuyến sau khi nộp hồ sơ, trước khi hồ sơ được giải quyết." in text
    text = visible_text((await client.get(f"/thu-tuc/{LICENCE}")).text)
    assert "nộp trực tuyến khi hồ sơ đã giải quyết xong, trước khi trả kết quả" in text
    english = visible_text((await client.get(f"/thu-tuc/{RECORD}", headers=headers("en"))).text)
    assert "5,000 VND per copy" in english and "the first 2 free" in english
    text = visible_text((await client.get(f"/thu-tuc/{PERMIT}")).text)
    assert "Phí, lệ phí nộp tại Bộ phận Một cửa." in text


async def test_checking_a_dossier_shows_what_it_will_owe(
    client: httpx.AsyncClient, citizen: Person, permit_draft: str, db_session: AsyncSession
) -> None:
    await fill_permit(client, permit_draft)
    check = visible_text((await client.get(draft_url(permit_draft, "kiem-tra"))).text)
    # Paid at the desk: the dossier's own reckoning is not shown.
    assert "Phí, lệ phí của hồ sơ này" not in check

    await db_session.execute(
        update(Procedure).where(Procedure.code == PERMIT).values(payment_stage="before_processing")
    )
    response = await client.get(draft_url(permit_draft, "kiem-tra"))
    tree = assert_page_structure(response.text)
    table = tree.find("table")
    assert table is not None
    text = visible_text(table.text)
    assert "Lệ phí cấp giấy phép xây dựng nhà ở riêng lẻ" in text
    assert "Tổng cộng" in text and "75.000 đ" in text
    assert "sau khi nộp hồ sơ, trước khi hồ sơ được giải quyết" in visible_text(tree.text)
