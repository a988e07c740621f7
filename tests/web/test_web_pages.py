"""The catalog pages over httpx: home, search, procedure, errors, languages, page structure."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from page_checks import assert_page_structure, ui_messages
from web_html import parse, visible_text

PERMIT = "1.010007"
PERMIT_NAME = "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ"
BIRTH = "1.001193"
PAGES = [
    "/",
    "/thu-tuc",
    "/thu-tuc?q=khai+sinh",
    f"/thu-tuc/{PERMIT}",
    "/tra-cuu-ho-so",
]


def headers(lang: str) -> dict[str, str]:
    return {"Cookie": f"lang={lang}"}


@pytest.mark.parametrize("url", PAGES)
async def test_every_page_is_well_formed_in_both_languages(
    client: httpx.AsyncClient, url: str, lang: str
) -> None:
    response = await client.get(url, headers=headers(lang))
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.text
    assert response.headers["content-language"] == lang
    assert_page_structure(response.text)


@pytest.mark.parametrize("url", PAGES)
async def test_english_pages_leave_no_vietnamese_interface_text(
    client: httpx.AsyncClient, url: str
) -> None:
    text = visible_text((await client.get(url, headers=headers("en"))).text)
    leftovers = [m for m in ui_messages("vi") if m in text]
    assert not leftovers, leftovers
    for chrome in ("Skip to main content", "Public services portal", "Procedures"):
        assert chrome in text


@pytest.mark.parametrize("url", PAGES)
async def test_vietnamese_pages_are_fully_translated(client: httpx.AsyncClient, url: str) -> None:
    text = visible_text((await client.get(url, headers=headers("vi"))).text)
    english = [m for m in ui_messages("en") if m in text]
    assert not english, english
    for unaccented in ("Thu tuc", "Tim kiem", "Trang chu", "Cong dich vu cong", "Nop ho so"):
        assert unaccented not in text
    assert "Cổng dịch vụ công" in text and "Bỏ qua để đến nội dung chính" in text


async def test_home_shows_the_province_fields_and_levels(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers=headers("vi"))
    tree = parse(response.text)
    h1 = tree.find("h1")
    assert h1 is not None and h1.text == "Cổng dịch vụ công tỉnh Lào Cai"
    assert tree.find("input", name="q") is not None
    fields = tree.find("ul", class_="fields-list")
    assert fields is not None
    assert "Hoạt động xây dựng" in fields.text and re.search(r"\(\d+ thủ tục\)", fields.text)
    assert tree.find("a", href="/thu-tuc?level=province") is not None
    assert tree.find("a", href="/thu-tuc?level=commune") is not None

    english = parse((await client.get("/", headers=headers("en"))).text)
    h1 = english.find("h1")
    assert h1 is not None and h1.text == "Public services portal of Lào Cai Province"
    assert re.search(r"\(\d+ procedures?\)", english.text)


async def test_vietnamese_unless_the_reader_switches(client: httpx.AsyncClient) -> None:
    default = await client.get("/")
    assert '<html lang="vi">' in default.text
    browser_in_english = await client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="vi">' in browser_in_english.text
    switched = await client.get("/", headers={"Cookie": "lang=en"})
    assert '<html lang="en">' in switched.text


async def test_language_link_sets_the_cookie_and_goes_back(client: httpx.AsyncClient) -> None:
    page = parse((await client.get("/thu-tuc?q=khai+sinh", headers=headers("vi"))).text)
    link = page.find("a", hreflang="en")
    assert link is not None and link.text == "English"
    response = await client.get(link.attrs["href"])
    assert response.status_code == 303
    assert response.headers["location"] == "/thu-tuc?q=khai+sinh"
    assert "lang=en" in response.headers["set-cookie"]
    back = await client.get("/thu-tuc?q=khai+sinh", headers=headers("en"))
    link = parse(back.text).find("a", hreflang="vi")
    assert link is not None and link.text == "Tiếng Việt"
    assert (await client.get(link.attrs["href"])).headers["set-cookie"].startswith("lang=vi")


def _results(html: str) -> list[tuple[str, str]]:
    tree = parse(html)
    found = []
    for item in tree.find_all("li", class_="result"):
        link = item.find("a")
        assert link is not None
        found.append((link.attrs["href"], link.text))
    return found


async def test_search_without_diacritics_finds_the_building_permit(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/thu-tuc", params={"q": "giay phep xay dung"})
    results = _results(response.text)
    assert (f"/thu-tuc/{PERMIT}", PERMIT_NAME) in results
    text = visible_text(response.text)
    assert PERMIT in text and "Hoạt động xây dựng" in text
    assert "Toàn trình (mức độ 4)" in text
    assert "10 ngày làm việc (theo quy định: 15 ngày làm việc)" in text
    assert re.search(r"Tìm thấy \d+ thủ tục", text)


async def test_search_filters_by_field_level_and_online_level(client: httpx.AsyncClient) -> None:
    everything = _results((await client.get("/thu-tuc", params={"limit": 100})).text)
    construction = await client.get("/thu-tuc", params={"field": "XD", "limit": 100})
    tree = parse(construction.text)
    facts = [n.text for n in tree.find_all("dl", class_="result-facts")]
    assert facts and all("Hoạt động xây dựng" in f for f in facts)
    assert len(facts) < len(everything)
    selected = tree.find("option", value="XD")
    assert selected is not None and "selected" in selected.attrs

    province = parse((await client.get("/thu-tuc", params={"level": "province"})).text)
    facts = [n.text for n in province.find_all("dl", class_="result-facts")]
    assert facts and all("Cấp tỉnh" in f for f in facts)
    radio = province.find("input", id="level-province")
    assert radio is not None and "checked" in radio.attrs

    partial = parse((await client.get("/thu-tuc", params={"online_level": "partial"})).text)
    facts = [n.text for n in partial.find_all("dl", class_="result-facts")]
    assert facts and all("Một phần (mức độ 3)" in f and "Toàn trình" not in f for f in facts)

    unknown = await client.get("/thu-tuc", params={"level": "planet", "field": "NOPE"})
    assert unknown.status_code == 200
    assert len(_results(unknown.text)) == min(len(everything), 20)


async def test_search_without_results_gives_advice(client: httpx.AsyncClient, lang: str) -> None:
    response = await client.get("/thu-tuc", params={"q": "zzzqqq"}, headers=headers(lang))
    text = visible_text(response.text)
    assert not _results(response.text)
    if lang == "vi":
        assert "Không tìm thấy thủ tục phù hợp" in text and "kiểm tra chính tả" in text
    else:
        assert "No procedures match your search" in text and "check the spelling" in text


async def test_keyset_pagination_walks_every_result_once(client: httpx.AsyncClient) -> None:
    everything = _results((await client.get("/thu-tuc", params={"limit": 100})).text)
    assert len(everything) > 5
    seen: list[tuple[str, str]] = []
    url: str | None = "/thu-tuc?limit=5"
    pages = 0
    while url:
        response = await client.get(url)
        tree = parse(response.text)
        results = _results(response.text)
        assert 0 < len(results) <= 5
        ordered = tree.find("ol", class_="results")
        assert ordered is not None and ordered.attrs["start"] == str(len(seen) + 1)
        seen.extend(results)
        pages += 1
        link = tree.find("a", rel="next")
        if link is None:
            url = None
        else:
            assert link.text == "Trang sau"
            url = link.attrs["href"]
            query = parse_qs(urlsplit(url).query)
            assert query["limit"] == ["5"] and query["cursor"]
    assert seen == everything
    assert pages == -(-len(everything) // 5)


async def test_a_forged_cursor_gets_an_error_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/thu-tuc", params={"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert "Con trỏ trang không hợp lệ" in visible_text(response.text)
    assert_page_structure(response.text)


async def test_procedure_page_shows_documents_fees_and_limits(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/thu-tuc/{PERMIT}", headers=headers("vi"))
    tree = assert_page_structure(response.text)
    h1 = tree.find("h1")
    assert h1 is not None and h1.text == PERMIT_NAME
    text = tree.text
    documents = tree.find_all("table")[0]
    rows = documents.find_all("tr")[1:]
    assert len(rows) >= 3
    assert "Giấy tờ hợp pháp về quyền sử dụng đất" in documents.text
    assert "Bản sao chứng thực" in documents.text and "Bản chính" in documents.text
    assert "75.000 đ" in text and "75.000\u00a0đ" in response.text
    assert "Tỉnh cam kết giải quyết trong 10 ngày làm việc" in text
    assert "15 ngày làm việc" in text
    assert "Toàn trình (mức độ 4)" in text
    assert "Căn cứ pháp lý" in text and "Cơ quan thực hiện" in text
    assert "Có, kết quả có thể gửi qua dịch vụ bưu chính công ích" in text
    start = tree.find("a", href=f"/thu-tuc/{PERMIT}/nop-ho-so")
    assert start is not None and start.text == "Nộp hồ sơ"

    english = visible_text((await client.get(f"/thu-tuc/{PERMIT}", headers=headers("en"))).text)
    assert "75,000 VND" in english and "Documents required" in english
    assert "10 working days committed by the province" in english


async def test_procedure_without_fees_says_so(client: httpx.AsyncClient) -> None:
    text = visible_text((await client.get("/thu-tuc/1.001776")).text)
    assert "Không thu phí" in text
    assert "Một phần (mức độ 3)" in text


async def test_half_day_limits_use_a_decimal_comma(client: httpx.AsyncClient) -> None:
    text = visible_text((await client.get(f"/thu-tuc/{BIRTH}")).text)
    assert "0,5 ngày làm việc" in text
    english = visible_text((await client.get(f"/thu-tuc/{BIRTH}", headers=headers("en"))).text)
    assert "0.5 working days" in english


@pytest.mark.parametrize("url", ["/thu-tuc/9.999999", "/khong-co-trang-nay"])
async def test_unknown_pages_get_a_404_page_in_the_readers_language(
    client: httpx.AsyncClient, url: str, lang: str
) -> None:
    response = await client.get(url, headers=headers(lang))
    assert response.status_code == 404
    tree = assert_page_structure(response.text)
    h1 = tree.find("h1")
    assert h1 is not None
    assert h1.text == ("Không tìm thấy trang" if lang == "vi" else "Page not found")
    if "9.999999" in url:
        message = (
            "Không tìm thấy thủ tục hành chính có mã 9.999999."
            if lang == "vi"
            else ("No procedure with code 9.999999.")
        )
        assert message in tree.text


async def test_bad_parameters_get_a_400_page(client: httpx.AsyncClient, lang: str) -> None:
    response = await client.get("/thu-tuc", params={"start": "abc"}, headers=headers(lang))
    assert response.status_code == 400
    text = visible_text(response.text)
    assert (
        "Địa chỉ trang không hợp lệ." if lang == "vi" else "The page address is not valid."
    ) in text


async def test_static_files_are_served(client: httpx.AsyncClient) -> None:
    page = parse((await client.get("/")).text)
    stylesheet = page.find("link", rel="stylesheet")
    script = page.find("script", defer="")
    assert stylesheet is not None and script is not None
    css = await client.get(stylesheet.attrs["href"])
    assert css.status_code == 200 and ":focus" in css.text
    js = await client.get(script.attrs["src"])
    assert js.status_code == 200 and "use strict" in js.text
