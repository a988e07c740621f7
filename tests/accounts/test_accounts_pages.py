"""The account pages over httpx: sign up, the account page, sign out, CSRF and cookies."""

from __future__ import annotations

import re

import httpx
import pytest

from app.web.security import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE
from tests.web.permit import START_URL
from tests.web.web_html import parse, visible_text

VI = {"Cookie": "lang=vi"}
PASSWORD = "mat-khau-rat-manh"
CITIZEN = {
    "full_name": "Lê Thị Cúc",
    "email": "cuc@example.vn",
    "phone": "0987654321",
    "citizen_id": "010195001234",
    "password": PASSWORD,
    "password_confirm": PASSWORD,
}


async def _token(client: httpx.AsyncClient, url: str) -> str:
    """Open a page as a browser does: it sets the CSRF cookie and puts the token in its forms."""
    response = await client.get(url)
    if response.status_code == 303:
        # Signed in already: the header's sign-out form carries the token.
        response = await client.get("/")
    assert response.status_code == 200
    field = parse(response.text).find("input", name=CSRF_FIELD)
    assert field is not None
    assert client.cookies.get(CSRF_COOKIE) == field.attrs["value"]
    return field.attrs["value"]


async def _post(client: httpx.AsyncClient, url: str, data: dict[str, str]) -> httpx.Response:
    token = await _token(client, url if url != "/dang-xuat" else "/")
    return await client.post(url, data={CSRF_FIELD: token, **data})


def _set_cookie(response: httpx.Response, name: str) -> str:
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert found, response.headers
    return found[0]


async def test_sign_up_sign_in_and_out(client: httpx.AsyncClient) -> None:
    home = await client.get("/")
    links = [a.attrs.get("href") for a in parse(home.text).find_all("a")]
    assert "/dang-nhap" in links and "/dang-ky" in links and "/tai-khoan" not in links

    choice = visible_text((await client.get("/dang-ky")).text)
    assert "Đăng ký tài khoản công dân" in choice and "Đăng ký tài khoản doanh nghiệp" in choice

    response = await _post(client, "/dang-ky/cong-dan", CITIZEN)
    assert response.status_code == 303 and response.headers["location"] == "/tai-khoan"
    cookie = _set_cookie(response, SESSION_COOKIE)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Path=/" in cookie and "Max-Age=1209600" in cookie
    # Development and test run on plain HTTP; every other environment gets Secure.
    assert "Secure" not in cookie

    page = await client.get("/tai-khoan")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "Tài khoản của tôi" in text and "Lê Thị Cúc" in text and "cuc@example.vn" in text
    assert "010195001234" in text and "Công dân" in text
    tree = parse(page.text)
    assert tree.find("form", action="/dang-xuat") is not None
    assert "/dang-nhap" not in [a.attrs.get("href") for a in tree.find_all("a")]

    out = await _post(client, "/dang-xuat", {})
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert (
        "Max-Age=0" in _set_cookie(out, SESSION_COOKIE)
        or "expires=" in _set_cookie(out, SESSION_COOKIE).lower()
    )
    client.cookies.delete(SESSION_COOKIE)
    again = await client.get("/tai-khoan")
    assert again.status_code == 303 and again.headers["location"].startswith("/dang-nhap")


async def test_sign_in_rotates_the_session(client: httpx.AsyncClient) -> None:
    await _post(client, "/dang-ky/cong-dan", CITIZEN)
    first = client.cookies.get(SESSION_COOKIE)
    signed_in = await _post(
        client, "/dang-nhap", {"email": "CUC@example.vn", "password": PASSWORD, "next": "/thu-tuc"}
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/thu-tuc"
    second = client.cookies.get(SESSION_COOKIE)
    assert first and second and first != second
    # The session the browser had before is over.
    client.cookies.set(SESSION_COOKIE, first)
    assert (await client.get("/tai-khoan")).status_code == 303


async def test_sign_in_never_sends_elsewhere(client: httpx.AsyncClient) -> None:
    await _post(client, "/dang-ky/cong-dan", CITIZEN)
    response = await _post(
        client,
        "/dang-nhap",
        {"email": "cuc@example.vn", "password": PASSWORD, "next": "//evil.example/"},
    )
    assert response.headers["location"] == "/tai-khoan"


async def test_a_forged_session_cookie_signs_no_one_in(client: httpx.AsyncClient) -> None:
    await _post(client, "/dang-ky/cong-dan", CITIZEN)
    value = client.cookies.get(SESSION_COOKIE)
    assert value
    token, _, signature = value.rpartition(".")
    client.cookies.set(SESSION_COOKIE, f"{token}.{signature[::-1]}")
    assert (await client.get("/tai-khoan")).status_code == 303


async def test_sign_up_errors_are_summarised_and_linked(client: httpx.AsyncClient) -> None:
    response = await _post(
        client, "/dang-ky/cong-dan", {**CITIZEN, "citizen_id": "123", "phone": "abc"}
    )
    assert response.status_code == 422
    tree = parse(response.text)
    summary = tree.find(class_="error-summary")
    assert summary is not None
    assert [a.attrs["href"] for a in summary.find_all("a")] == ["#f-phone", "#f-citizen_id"]
    field = tree.by_id("f-citizen_id")
    assert field is not None and field.attrs.get("aria-invalid") == "true"
    assert "phải gồm đúng 12 chữ số" in visible_text(response.text)
    # Values are kept, passwords are not.
    assert tree.by_id("f-full_name").attrs["value"] == "Lê Thị Cúc"  # type: ignore[union-attr]
    assert tree.by_id("f-password").attrs["value"] == ""  # type: ignore[union-attr]
    assert (await client.get("/tai-khoan")).status_code == 303


async def test_an_enterprise_signs_up_in_english(client: httpx.AsyncClient) -> None:
    client.cookies.set("lang", "en")
    response = await _post(
        client,
        "/dang-ky/doanh-nghiep",
        {
            "tax_code": "0100109106",
            "enterprise_name": "Minh Phat Co., Ltd",
            "enterprise_address": "12 Tran Phu, Lao Cai",
            "full_name": "Tran Thi Binh",
            "email": "binh@minhphat.vn",
            "phone": "0214 3820 123",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    assert response.status_code == 303
    text = visible_text((await client.get("/tai-khoan")).text)
    assert "Enterprise staff member" in text and "0100109106" in text
    assert "Minh Phat Co., Ltd" in text and "Owner" in text


async def test_failed_sign_ins_are_throttled(client: httpx.AsyncClient) -> None:
    await _post(client, "/dang-ky/cong-dan", CITIZEN)
    client.cookies.delete(SESSION_COOKIE)
    for _ in range(5):
        wrong = await _post(
            client, "/dang-nhap", {"email": "cuc@example.vn", "password": "nope1234"}
        )
        assert wrong.status_code == 400
        assert "Địa chỉ thư điện tử hoặc mật khẩu không đúng" in visible_text(wrong.text)
    refused = await _post(client, "/dang-nhap", {"email": "cuc@example.vn", "password": PASSWORD})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert re.search(r"thử lại sau \d+ phút", visible_text(refused.text))


@pytest.mark.parametrize("token", [None, "", "forged.token"])
async def test_posts_without_the_token_are_refused(
    client: httpx.AsyncClient, token: str | None
) -> None:
    await _token(client, "/dang-ky/cong-dan")
    data = dict(CITIZEN)
    if token is not None:
        data[CSRF_FIELD] = token
    response = await client.post("/dang-ky/cong-dan", data=data, headers=VI)
    assert response.status_code == 400
    assert "tải lại trang" in visible_text(response.text)
    assert SESSION_COOKIE not in client.cookies


async def test_a_token_without_its_cookie_is_refused(client: httpx.AsyncClient) -> None:
    token = await _token(client, "/dang-nhap")
    client.cookies.delete(CSRF_COOKIE)
    response = await client.post(
        "/dang-nhap", data={CSRF_FIELD: token, "email": "a@b.vn", "password": "x"}
    )
    assert response.status_code == 400


async def test_a_draft_page_needs_the_token_too(client: httpx.AsyncClient) -> None:
    await _post(client, "/dang-ky/cong-dan", CITIZEN)
    started = await _post(client, START_URL, {})
    url = started.headers["location"]
    # A draft's page posts multipart/form-data: the token is its first part.
    files = [("_none", ("", b"", "application/octet-stream"))]
    refused = await client.post(url, data={"_action": "save"}, files=files)
    assert refused.status_code == 400
    token = await _token(client, url)
    accepted = await client.post(url, data={CSRF_FIELD: token, "_action": "save"}, files=files)
    assert accepted.status_code == 303


async def test_the_english_refusal(client: httpx.AsyncClient) -> None:
    response = await client.post("/dang-xuat", headers={"Cookie": "lang=en"})
    assert response.status_code == 400
    assert "reload the page" in visible_text(response.text)


async def test_the_csrf_cookie_flags(client: httpx.AsyncClient) -> None:
    response = await client.get("/dang-nhap")
    cookie = _set_cookie(response, CSRF_COOKIE)
    assert "HttpOnly" in cookie and "Path=/" in cookie and "samesite=lax" in cookie.lower()
    # A browser that has its token keeps it.
    again = await client.get("/dang-nhap")
    assert not [h for h in again.headers.get_list("set-cookie") if h.startswith(CSRF_COOKIE)]


def test_cookies_are_secure_outside_development() -> None:
    from app.config import Environment, Settings
    from app.web.security import secure_cookies

    key = "k" * 40
    assert secure_cookies(Settings(environment=Environment.production, secret_key=key))
    assert not secure_cookies(Settings(environment=Environment.development, secret_key=key))
    assert not secure_cookies(Settings(environment=Environment.test, secret_key=key))
