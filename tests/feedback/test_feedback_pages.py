"""The pages of ratings and feedback: the applicant rates a returned dossier on its page, sends
feedback from a dossier or a procedure and reads the answer; the agency's officials answer
from their inbox."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers.schemas import Applicant
from app.models.feedback import Feedback, Rating
from app.storage import FileStorage
from tests.feedback.conftest import signed_result
from tests.feedback.pages import browse_as, post_form, session_cookie
from tests.fixtures.catalogs import PROCEDURE
from tests.fixtures.processing import Desk, file_dossier

pytestmark = pytest.mark.usefixtures("desk")


async def test_the_applicant_rates_on_the_dossier_page_once(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
    client: httpx.AsyncClient,
) -> None:
    code = await signed_result(db_session, settings, storage, desk, applicant)
    browse_as(client, await session_cookie(db_session, applicant.account_id))
    page = await client.get(f"/ho-so/{code}")
    assert page.status_code == 200
    assert "Đánh giá mức độ hài lòng" in page.text and 'name="score"' in page.text
    assert f"/phan-anh/gui?ho-so={code}" in page.text

    wrong = await post_form(client, f"/ho-so/{code}/danh-gia", {"score": "7"})
    assert wrong.status_code == 422 and "Hãy chọn mức độ hài lòng." in wrong.text
    done = await post_form(
        client, f"/ho-so/{code}/danh-gia", {"score": "1", "comment": "Cán bộ tận tình"}
    )
    assert done.status_code == 303 and "da-danh-gia=1" in done.headers["location"]
    page = await client.get(done.headers["location"])
    assert "Cảm ơn bạn: đánh giá đã được ghi nhận." in page.text
    assert "Rất hài lòng" in page.text and 'name="score"' not in page.text
    again = await post_form(client, f"/ho-so/{code}/danh-gia", {"score": "3"})
    assert again.status_code == 409 and "đã được đánh giá" in again.text
    ratings = list(
        await db_session.scalars(
            select(Rating.score).where(Rating.account_id == applicant.account_id)
        )
    )
    assert ratings == [1]


async def test_no_rating_before_the_result_is_returned(
    db_session: AsyncSession,
    settings: Settings,
    desk: Desk,
    applicant: Applicant,
    client: httpx.AsyncClient,
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    browse_as(client, await session_cookie(db_session, applicant.account_id))
    page = await client.get(f"/ho-so/{code}")
    assert 'name="score"' not in page.text
    refused = await post_form(client, f"/ho-so/{code}/danh-gia", {"score": "2"})
    assert refused.status_code == 409 and "chưa được trả kết quả" in refused.text


async def test_feedback_round_trip_on_the_pages(
    db_session: AsyncSession,
    settings: Settings,
    desk: Desk,
    applicant: Applicant,
    client: httpx.AsyncClient,
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    citizen = await session_cookie(db_session, applicant.account_id)
    browse_as(client, citizen)
    form = await client.get(f"/phan-anh/gui?ho-so={code}")
    assert form.status_code == 200 and code in form.text
    wrong = await post_form(client, "/phan-anh/gui", {"dossier_code": code, "subject": ""})
    assert wrong.status_code == 422
    assert "Hãy chọn phản ánh hay kiến nghị." in wrong.text
    sent = await post_form(
        client,
        "/phan-anh/gui",
        {
            "dossier_code": code,
            "kind": "report",
            "subject": "Hẹn trả chậm",
            "body": "Đã quá hẹn mà chưa có kết quả.",
        },
    )
    assert sent.status_code == 303
    reference = re.search(r"/phan-anh/(PA-[0-9A-Z-]+)", sent.headers["location"])
    assert reference is not None
    ref = reference.group(1)
    page = await client.get(sent.headers["location"])
    assert "Đã gửi phản ánh, kiến nghị đến UBND xã Thử nghiệm" in page.text
    mine = await client.get("/phan-anh-cua-toi")
    assert ref in mine.text and "Chờ trả lời" in mine.text

    # Officials of another agency do not see it; the commune's do, and answer once.
    browse_as(client, await session_cookie(db_session, desk.outsider.account_id))
    assert ref not in (await client.get("/can-bo/phan-anh")).text
    assert (await client.get(f"/can-bo/phan-anh/{ref}")).status_code == 404
    browse_as(client, await session_cookie(db_session, desk["leader"].account_id))
    inbox = await client.get("/can-bo/phan-anh")
    assert inbox.status_code == 200 and ref in inbox.text
    empty = await post_form(client, f"/can-bo/phan-anh/{ref}", {"answer": " "})
    assert empty.status_code == 422 and "Hãy nhập câu trả lời." in empty.text
    answered = await post_form(
        client, f"/can-bo/phan-anh/{ref}", {"answer": "Kết quả đã sẵn sàng, mời anh đến nhận."}
    )
    assert answered.status_code == 303
    again = await post_form(client, f"/can-bo/phan-anh/{ref}", {"answer": "Lần nữa"})
    assert again.status_code == 409
    assert ref not in (await client.get("/can-bo/phan-anh")).text
    assert ref in (await client.get("/can-bo/phan-anh?trang-thai=da-tra-loi")).text

    browse_as(client, citizen, lang="en")
    page = await client.get(f"/phan-anh/{ref}")
    assert (
        "Kết quả đã sẵn sàng, mời anh đến nhận." in page.text and "The agency's answer" in page.text
    )
    row = await db_session.scalar(select(Feedback).where(Feedback.reference == ref))
    assert row is not None and row.state == "answered" and row.kind == "report"


async def test_feedback_on_a_procedure_from_its_page(
    db_session: AsyncSession, desk: Desk, applicant: Applicant, client: httpx.AsyncClient
) -> None:
    browse_as(client, await session_cookie(db_session, applicant.account_id))
    procedure = await client.get(f"/thu-tuc/{PROCEDURE}")
    assert f"/phan-anh/gui?thu-tuc={PROCEDURE}" in procedure.text
    form = await client.get(f"/phan-anh/gui?thu-tuc={PROCEDURE}")
    assert form.status_code == 200
    sent = await post_form(
        client,
        "/phan-anh/gui",
        {
            "procedure_code": PROCEDURE,
            "kind": "petition",
            "subject": "Bớt giấy tờ",
            "body": "Đề nghị bỏ bản sao.",
        },
    )
    assert sent.status_code == 303


async def test_signed_out_people_are_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    browse_as(client, None)
    page = await client.get("/phan-anh-cua-toi")
    assert page.status_code in (303, 307) and "/dang-nhap" in page.headers["location"]
