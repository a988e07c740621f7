"""Forgotten password: ask, read the e-mail the worker wrote, open the link, set a password."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.clock import utcnow
from app.models.accounts import PasswordResetToken
from app.web.security import CSRF_FIELD, SESSION_COOKIE
from app.worker.runner import drain
from tests.accounts.test_accounts_pages import CITIZEN, PASSWORD, _post, _token
from tests.outbox.helpers import same_session
from tests.web.web_html import parse, visible_text

NEW_PASSWORD = "mot-mat-khau-moi-dai"


async def _post_dead_link(
    client: httpx.AsyncClient, link: str, data: dict[str, str]
) -> httpx.Response:
    """Post to a link whose page no longer shows a form (the CSRF token from another page)."""
    token = await _token(client, "/quen-mat-khau")
    return await client.post(link, data={CSRF_FIELD: token, **data})


def _mails(directory: Path) -> list[email.message.Message]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(directory.glob("*.eml"))
    ]


async def _reset_link(db_session: AsyncSession, settings: Settings, tmp_path: Path) -> str:
    local = settings.model_copy(update={"mail_dir": str(tmp_path), "smtp_url": ""})
    report = await drain(same_session(db_session), local)
    assert report.delivered >= 1
    # Other tests may have committed mail of their own, delivered by the same drain.
    resets = [m for m in _mails(tmp_path) if m["To"] == CITIZEN["email"]]
    assert len(resets) == 1
    parsed = resets[0]
    assert parsed["Subject"] == "Đặt lại mật khẩu / Reset your password"
    body = parsed.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Xin chào Lê Thị Cúc" in text and "Hello Lê Thị Cúc" in text
    assert text.index("Xin chào") < text.index("Hello")
    found = re.findall(r"http://testserver/dat-lai-mat-khau/\S+", text)
    assert len(set(found)) == 1
    return found[0].removeprefix("http://testserver")


async def test_the_whole_reset_flow(
    client: httpx.AsyncClient, db_session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    assert (await _post(client, "/dang-ky/cong-dan", CITIZEN)).status_code == 303
    old_cookie = client.cookies.get(SESSION_COOKIE)
    assert old_cookie
    # Another browser signed in too: it must be signed out by the reset.
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        signed = await _post(other, "/dang-nhap", {"email": CITIZEN["email"], "password": PASSWORD})
        assert signed.status_code == 303
        assert (await other.get("/tai-khoan")).status_code == 200

        client.cookies.clear()
        sign_in = await client.get("/dang-nhap")
        assert "/quen-mat-khau" in [a.attrs.get("href") for a in parse(sign_in.text).find_all("a")]
        assert "Quên mật khẩu?" in visible_text(sign_in.text)

        sent = await _post(client, "/quen-mat-khau", {"email": "CUC@example.vn "})
        assert sent.status_code == 200
        unknown = await _post(client, "/quen-mat-khau", {"email": "nobody@example.vn"})
        assert unknown.status_code == 200
        # The same words whether or not the account exists.
        assert visible_text(sent.text).replace("CUC@example.vn", "X") == visible_text(
            unknown.text
        ).replace("nobody@example.vn", "X")
        assert "chúng tôi đã gửi" in visible_text(sent.text)

        link = await _reset_link(db_session, settings, tmp_path)
        form = await client.get(link)
        assert form.status_code == 200 and form.headers["referrer-policy"] == "no-referrer"
        assert "Đặt mật khẩu mới" in visible_text(form.text)

        short = await _post(client, link, {"password": "ngan", "password_confirm": "ngan"})
        assert short.status_code == 422
        assert "Mật khẩu phải có ít nhất 8 ký tự" in visible_text(short.text)

        done = await _post(
            client, link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
        )
        assert done.status_code == 303 and done.headers["location"] == "/tai-khoan"
        assert (await client.get("/tai-khoan")).status_code == 200
        # Every earlier session has ended.
        assert (await other.get("/tai-khoan")).status_code == 303

        used = await client.get(link)
        assert used.status_code == 410
        assert "đã được dùng" in visible_text(used.text)
        again = await _post_dead_link(
            client, link, {"password": "x" * 10, "password_confirm": "x" * 10}
        )
        assert again.status_code == 410

        client.cookies.clear()
        wrong = await _post(client, "/dang-nhap", {"email": CITIZEN["email"], "password": PASSWORD})
        assert wrong.status_code == 400
        right = await _post(
            client, "/dang-nhap", {"email": CITIZEN["email"], "password": NEW_PASSWORD}
        )
        assert right.status_code == 303


async def test_an_expired_or_unknown_link_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    assert (await _post(client, "/dang-ky/cong-dan", CITIZEN)).status_code == 303
    await _post(client, "/quen-mat-khau", {"email": CITIZEN["email"]})
    link = await _reset_link(db_session, settings, tmp_path)
    await db_session.execute(
        update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    expired = await client.get(link)
    assert expired.status_code == 410 and "đã hết hạn" in visible_text(expired.text)
    posted = await _post_dead_link(
        client, link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )
    assert posted.status_code == 410
    unknown = await client.get("/dat-lai-mat-khau/khong-co", headers={"Cookie": "lang=en"})
    assert unknown.status_code == 410
    assert "not valid" in visible_text(unknown.text)


async def test_reset_requests_are_throttled(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        assert (await _post(client, "/quen-mat-khau", {"email": "x@example.vn"})).status_code == 200
    refused = await _post(client, "/quen-mat-khau", {"email": "x@example.vn"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "quá nhiều yêu cầu đặt lại mật khẩu" in visible_text(refused.text).lower()
