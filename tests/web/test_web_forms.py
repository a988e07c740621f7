"""A draft's form pages over httpx: every field type, errors, groups, addresses, conditions.

A draft is filled one form section per page (see tests/web/test_web_filing.py for the rest of
the filing); each post saves the page's answers, right or wrong.
"""

from __future__ import annotations

import re

import httpx
from people import Person, browse_as, post_form, post_multipart
from permit import (
    LAO_CAI,
    PHUONG_LAO_CAI,
    design_pairs,
    owner_pairs,
    replace,
    site_pairs,
)
from web_html import Node, parse, visible_text

from app.forms import communes


def page_url(reference: str, page: int) -> str:
    return f"/ho-so/nhap/{reference}?trang={page}"


def _input(tree: Node, name: str) -> Node:
    found = [n for n in tree.iter() if n.attrs.get("name") == name and n.tag != "button"]
    assert found, f"no control named {name}"
    return found[0]


def _selected(tree: Node, name: str) -> str:
    select = _input(tree, name)
    chosen = [o.attrs["value"] for o in select.find_all("option") if "selected" in o.attrs]
    return chosen[0] if chosen else ""


async def _page(client: httpx.AsyncClient, reference: str, page: int) -> Node:
    response = await client.get(page_url(reference, page))
    assert response.status_code == 200
    return parse(response.text)


async def test_the_pages_draw_every_field_type(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    owner = await _page(client, permit_draft, 1)
    form = owner.find("form", data_dossier=permit_draft)
    assert form is not None and form.attrs["enctype"] == "multipart/form-data"
    assert "novalidate" in form.attrs and form.attrs["method"] == "post"
    h1 = owner.find("h1")
    assert h1 is not None and h1.text == "Chủ đầu tư"
    assert "Bước 1/7" in owner.text
    assert _input(owner, "owner_full_name").attrs["type"] == "text"
    assert _input(owner, "owner_email").attrs["type"] == "email"
    assert _input(owner, "owner_phone").attrs["type"] == "tel"
    assert _input(owner, "owner_citizen_id").attrs["inputmode"] == "numeric"
    province = _input(owner, "owner_address.province")
    assert province.tag == "select" and len(province.find_all("option")) == 35
    commune = _input(owner, "owner_address.commune")
    assert commune.tag == "select" and len(commune.find_all("option")) == 1
    group = owner.by_id("f-co_owners")
    assert group is not None and group.tag == "fieldset"
    assert _input(owner, "_count.co_owners").attrs["value"] == "1"
    assert _input(owner, "co_owners[0].co_owner_name").attrs["id"] == "f-co_owners-0-co_owner_name"
    adder = owner.by_id("f-co_owners-add")
    assert adder is not None and adder.attrs["value"] == "add:co_owners"
    # Only this page's section.
    assert not [n for n in owner.iter() if n.attrs.get("name") == "plot_area"]

    site = await _page(client, permit_draft, 2)
    assert _input(site, "plot_area").attrs["inputmode"] == "decimal"

    design = await _page(client, permit_draft, 3)
    assert _input(design, "floors").attrs["inputmode"] == "numeric"
    money = _input(design, "estimated_cost")
    assert money.parent is not None and "đ" in money.parent.text
    date_input = _input(design, "planned_start")
    assert "f-planned_start-example" in date_input.attrs["aria-describedby"]
    assert "27/3/2007" in design.text
    radios = [n for n in design.iter() if n.attrs.get("name") == "has_basement"]
    assert [r.attrs["type"] for r in radios] == ["radio", "radio"]

    files = await _page(client, permit_draft, 4)
    drawings = _input(files, "drawings_file")
    assert drawings.attrs["type"] == "file" and "multiple" in drawings.attrs
    assert drawings.attrs["accept"] == "application/pdf"
    land = _input(files, "land_title_file")
    assert land.attrs["accept"] == "application/pdf,image/jpeg,image/png"
    assert "Tối đa 3 tệp, mỗi tệp không quá 10 MB" in files.text
    consent = _input(files, "declaration_consent")
    assert consent.attrs["type"] == "checkbox" and consent.attrs["value"] == "agree"


async def test_a_textarea_and_select_lists(client: httpx.AsyncClient, citizen: Person) -> None:
    start = await post_form(client, "/thu-tuc/1.000656/nop-ho-so", [])
    first = parse((await client.get(start.headers["location"])).text)
    assert any(len(s.find_all("option")) > 50 for s in first.find_all("select"))  # 54 groups
    reference = start.headers["location"].removeprefix("/ho-so/nhap/").split("?")[0]
    death = await _page(client, reference, 2)
    assert _input(death, "death_cause").tag == "textarea"


async def test_labels_marks_hints_and_conditions(
    client: httpx.AsyncClient, citizen: Person, permit_draft: str, lang: str
) -> None:
    browse_as(client, citizen, lang)
    owner = await _page(client, permit_draft, 1)
    label = owner.find("label", for_="f-owner_full_name")
    assert label is not None
    assert label.text.endswith("* (bắt buộc)" if lang == "vi" else "* (required)")
    site = await _page(client, permit_draft, 2)
    serial = _input(site, "land_certificate_serial")
    assert "f-land_certificate_serial-hint" in serial.attrs["aria-describedby"]
    hint = site.by_id("f-land_certificate_serial-hint")
    assert hint is not None and "CS 123456" in hint.text
    design = await _page(client, permit_draft, 3)
    basement = design.by_id("f-basement_area-group")
    assert basement is not None and basement.attrs["data-visible-if"]
    condition = design.by_id("f-basement_area-condition")
    assert condition is not None
    expected = (
        "Chỉ điền nếu câu trả lời cho “Có tầng hầm?” là “Có”."
        if lang == "vi"
        else "Only if the answer to “Basement?” is “Yes”."
    )
    assert condition.text == expected


async def test_continue_saves_the_page_and_opens_the_next(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    response = await post_multipart(
        client, page_url(permit_draft, 1), [*owner_pairs(), ("_action", "continue")]
    )
    assert response.status_code == 303
    assert response.headers["location"] == page_url(permit_draft, 2)
    # The next page does not complain about its own questions before they are answered.
    site = parse((await client.get(response.headers["location"])).text)
    assert site.find("div", class_="error-summary") is None
    again = await _page(client, permit_draft, 1)
    assert _input(again, "owner_full_name").attrs["value"] == "Nguyễn Văn An"
    assert _selected(again, "owner_address.province") == LAO_CAI
    assert _selected(again, "owner_address.commune") == PHUONG_LAO_CAI
    assert _input(again, "co_owners[0].co_owner_name").attrs["value"] == "Trần Thị Bình"
    yes = again.by_id("f-has_co_owners-2")
    assert yes is not None and "checked" in yes.attrs


async def test_errors_are_summarised_linked_and_values_kept(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    pairs = replace(
        owner_pairs(),
        owner_citizen_id="12345",
        owner_phone="abc",
        **{"owner_address.commune": "", "co_owners[0].co_owner_name": ""},
    )
    response = await post_multipart(
        client, page_url(permit_draft, 1), [*pairs, ("_action", "continue")]
    )
    assert response.status_code == 422
    tree = parse(response.text)
    title = tree.find("title")
    assert title is not None and title.text.startswith("Lỗi:")
    summary = tree.find("div", class_="error-summary")
    assert summary is not None and summary.attrs["role"] == "alert"
    assert summary.attrs["tabindex"] == "-1"
    links = summary.find_all("a")
    assert len(links) == 4
    for link in links:
        target = link.attrs["href"].lstrip("#")
        assert tree.by_id(target) is not None, target
    hrefs = [link.attrs["href"] for link in links]
    assert "#f-owner_citizen_id" in hrefs
    assert "#f-owner_address-commune" in hrefs
    assert "#f-co_owners-0-co_owner_name" in hrefs
    citizen_id = _input(tree, "owner_citizen_id")
    assert citizen_id.attrs["value"] == "12345"
    assert citizen_id.attrs["aria-invalid"] == "true"
    assert "f-owner_citizen_id-error" in citizen_id.attrs["aria-describedby"]
    error = tree.by_id("f-owner_citizen_id-error")
    assert error is not None and "12 chữ số" in error.text
    assert _input(tree, "owner_full_name").attrs["value"] == "Nguyễn Văn An"
    assert _selected(tree, "owner_address.province") == LAO_CAI
    assert _input(tree, "co_owners[0].co_owner_relationship").attrs["value"] == "Vợ"
    # Wrong answers are kept in the draft too: nothing typed is lost.
    again = await _page(client, permit_draft, 1)
    assert _input(again, "owner_citizen_id").attrs["value"] == "12345"
    assert again.find("div", class_="error-summary") is None


async def test_errors_are_in_the_readers_language(
    client: httpx.AsyncClient, citizen: Person, permit_draft: str
) -> None:
    browse_as(client, citizen, "en")
    pairs = replace(owner_pairs(), owner_phone="abc")
    response = await post_multipart(
        client, page_url(permit_draft, 1), [*pairs, ("_action", "continue")]
    )
    english = visible_text(response.text)
    assert "There is a problem" in english
    assert "Phone number" in english
    assert "Vui lòng" not in english and "không hợp lệ" not in english


async def test_save_as_draft_keeps_wrong_answers_without_complaint(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    pairs = replace(site_pairs(), plot_area="nhiều")
    response = await post_multipart(
        client, page_url(permit_draft, 2), [*pairs, ("_action", "save")]
    )
    assert response.status_code == 303
    assert response.headers["location"] == page_url(permit_draft, 2) + "&luu=1"
    tree = parse((await client.get(response.headers["location"])).text)
    assert tree.find("div", class_="error-summary") is None
    notice = tree.find("div", class_="notice")
    assert notice is not None and "Đã lưu bản nháp" in notice.text
    assert re.search(r"đến hết ngày \d\d/\d\d/\d{4}", notice.text)
    assert _input(tree, "plot_area").attrs["value"] == "nhiều"


async def test_group_items_are_added_and_removed_without_javascript(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    url = page_url(permit_draft, 1)
    added = parse(
        (await post_multipart(client, url, [*owner_pairs(), ("_action", "add:co_owners")])).text
    )
    assert _input(added, "_count.co_owners").attrs["value"] == "2"
    assert _input(added, "co_owners[1].co_owner_name").attrs["value"] == ""
    assert _input(added, "co_owners[0].co_owner_name").attrs["value"] == "Trần Thị Bình"
    assert added.find("div", class_="error-summary") is None
    adder = added.by_id("f-co_owners-add")
    assert adder is not None and adder.attrs["formaction"] == f"{url}#f-co_owners-2"
    removers = added.find_all("button", value="remove:co_owners:0")
    assert removers and "Đồng sở hữu 1" in removers[0].text
    # The new item is saved with the draft.
    assert _input(await _page(client, permit_draft, 1), "_count.co_owners").attrs["value"] == "2"

    two = [
        *replace(owner_pairs(), **{"_count.co_owners": "2"}),
        ("co_owners[1].co_owner_name", "Lê Văn Cường"),
        ("co_owners[1].co_owner_citizen_id", "015199011111"),
    ]
    removed = parse(
        (await post_multipart(client, url, [*two, ("_action", "remove:co_owners:0")])).text
    )
    assert _input(removed, "_count.co_owners").attrs["value"] == "1"
    assert _input(removed, "co_owners[0].co_owner_name").attrs["value"] == "Lê Văn Cường"
    assert not [n for n in removed.iter() if n.attrs.get("name") == "co_owners[1].co_owner_name"]
    # The last item cannot be removed below min_items (1).
    assert removed.find("button", value="remove:co_owners:0") is None


async def test_group_item_errors_point_at_the_item(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    pairs = [
        *replace(owner_pairs(), **{"_count.co_owners": "2"}),
        ("co_owners[1].co_owner_name", "Lê Văn Cường"),
        ("co_owners[1].co_owner_citizen_id", "99"),
        ("_action", "continue"),
    ]
    tree = parse((await post_multipart(client, page_url(permit_draft, 1), pairs)).text)
    summary = tree.find("div", class_="error-summary")
    assert summary is not None
    link = summary.find("a", href="#f-co_owners-1-co_owner_citizen_id")
    assert link is not None and "Đồng sở hữu 2" in link.text


async def test_the_commune_list_follows_the_province_without_javascript(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    pairs = [
        ("owner_full_name", "Nguyễn Văn An"),
        ("owner_address.province", LAO_CAI),
        ("owner_address.commune", ""),
        ("_action", "refresh:owner_address"),
    ]
    url = page_url(permit_draft, 1)
    tree = parse((await post_multipart(client, url, pairs)).text)
    assert tree.find("div", class_="error-summary") is None
    commune = _input(tree, "owner_address.commune")
    values = [o.attrs["value"] for o in commune.find_all("option")][1:]
    assert values == [u.code for u in communes(LAO_CAI)]
    assert _input(tree, "owner_full_name").attrs["value"] == "Nguyễn Văn An"
    refresh = tree.find("button", value="refresh:owner_address")
    assert refresh is not None and refresh.text == "Cập nhật danh sách phường/xã"
    assert refresh.attrs["formaction"] == f"{url}#f-owner_address-commune"


async def test_a_commune_of_another_province_is_refused(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    other = communes("01")[0].code
    pairs = replace(owner_pairs(), **{"owner_address.commune": other})
    response = await post_multipart(
        client, page_url(permit_draft, 1), [*pairs, ("_action", "continue")]
    )
    assert parse(response.text).by_id("f-owner_address-commune-error") is not None


async def test_pressing_enter_submits_continue(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    form = (await _page(client, permit_draft, 1)).find("form", data_dossier=permit_draft)
    assert form is not None
    first = form.find_all("button")[0]
    assert first.attrs["value"] == "continue" and "hidden" in first.attrs
    # A browser that posts no button at all (Enter in some browsers) continues too.
    response = await post_multipart(client, page_url(permit_draft, 1), owner_pairs())
    assert response.headers["location"] == page_url(permit_draft, 2)


async def test_a_condition_on_another_page_is_judged_from_the_saved_answers(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    # "Adjacent buildings?" is on page 3; its commitment file on page 4.
    files = await _page(client, permit_draft, 4)
    assert files.by_id("f-adjacent_commitment_file") is None
    pairs = replace(design_pairs(), has_adjacent_buildings="yes")
    await post_multipart(client, page_url(permit_draft, 3), [*pairs, ("_action", "save")])
    files = await _page(client, permit_draft, 4)
    group = files.by_id("f-adjacent_commitment_file-group")
    assert group is not None and "data-visible-if" not in group.attrs
    assert files.by_id("f-adjacent_commitment_file-condition") is None


async def test_communes_of_a_province_as_json(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/dia-gioi/{LAO_CAI}/xa")
    assert response.status_code == 200
    data = response.json()["communes"]
    assert {"code": PHUONG_LAO_CAI, "name": "Phường Lào Cai"} in data
    assert (await client.get("/dia-gioi/99/xa")).status_code == 404
    assert (await client.get("/dia-gioi/abc/xa")).status_code == 404


async def test_an_unknown_action_just_draws_the_page_again(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    pairs = [("owner_full_name", "A"), ("_action", "remove:nothing:x")]
    response = await post_multipart(client, page_url(permit_draft, 1), pairs)
    assert response.status_code == 200
    assert re.search(r'name="owner_full_name"[^>]*value="A"', response.text)


async def test_a_page_past_the_last_goes_to_the_first(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    response = await client.get(page_url(permit_draft, 9))
    assert response.status_code == 303
    assert response.headers["location"] == page_url(permit_draft, 1)
