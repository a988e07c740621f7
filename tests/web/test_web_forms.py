"""The forms pages over httpx: drawing every field type, errors, answers, groups, addresses."""

from __future__ import annotations

import re

import httpx
from csrf import with_csrf_cookie, with_csrf_field
from permit import (
    FORM_URL,
    LAO_CAI,
    PHUONG_LAO_CAI,
    planned_start,
    replace,
    valid_files,
    valid_pairs,
)
from web_html import Node, parse, visible_text

from app.forms import communes

VI = {"Cookie": "lang=vi"}
EN = {"Cookie": "lang=en"}


def _input(tree: Node, name: str) -> Node:
    found = [n for n in tree.iter() if n.attrs.get("name") == name and n.tag != "button"]
    assert found, f"no control named {name}"
    return found[0]


def _selected(tree: Node, name: str) -> str:
    select = _input(tree, name)
    chosen = [o.attrs["value"] for o in select.find_all("option") if "selected" in o.attrs]
    return chosen[0] if chosen else ""


async def _post(
    client: httpx.AsyncClient,
    pairs: list[tuple[str, str]],
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    headers: dict[str, str] | None = None,
    url: str = FORM_URL,
) -> httpx.Response:
    # httpx sends a multipart body when there are files; a placeholder keeps it multipart.
    files = files if files is not None else [("_none", ("", b"", "application/octet-stream"))]
    return await client.post(
        url,
        data=with_csrf_field(_as_dict(pairs)),
        files=files,
        headers=with_csrf_cookie(headers or VI),
    )


def _as_dict(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for key, value in pairs:
        data.setdefault(key, []).append(value)
    return data


async def test_the_form_draws_every_field_type(client: httpx.AsyncClient) -> None:
    response = await client.get(FORM_URL, headers=VI)
    assert response.status_code == 200
    tree = parse(response.text)
    form = tree.find("form", method="post")
    assert form is not None and form.attrs["enctype"] == "multipart/form-data"
    assert "novalidate" in form.attrs
    sections = form.find_all("fieldset", class_="form-section")
    assert [h.text for s in sections if (h := s.find("h2"))] == [
        "Chủ đầu tư", "Địa điểm xây dựng", "Nội dung đề nghị cấp phép", "Hồ sơ kèm theo"
    ]  # fmt: skip
    assert _input(tree, "owner_full_name").attrs["type"] == "text"
    assert _input(tree, "owner_email").attrs["type"] == "email"
    assert _input(tree, "owner_phone").attrs["type"] == "tel"
    assert _input(tree, "owner_citizen_id").attrs["inputmode"] == "numeric"
    assert _input(tree, "plot_area").attrs["inputmode"] == "decimal"
    assert _input(tree, "floors").attrs["inputmode"] == "numeric"
    assert _input(tree, "designer_tax_code").attrs["type"] == "text"
    money = _input(tree, "estimated_cost")
    assert money.parent is not None and "đ" in money.parent.text
    date_input = _input(tree, "planned_start")
    assert "f-planned_start-example" in date_input.attrs["aria-describedby"]
    assert "27/3/2007" in tree.text
    radios = [n for n in tree.iter() if n.attrs.get("name") == "has_basement"]
    assert [r.attrs["type"] for r in radios] == ["radio", "radio"]
    consent = _input(tree, "declaration_consent")
    assert consent.attrs["type"] == "checkbox" and consent.attrs["value"] == "agree"
    province = _input(tree, "owner_address.province")
    assert province.tag == "select" and len(province.find_all("option")) == 35
    commune = _input(tree, "owner_address.commune")
    assert commune.tag == "select" and len(commune.find_all("option")) == 1
    drawings = _input(tree, "drawings_file")
    assert drawings.attrs["type"] == "file" and "multiple" in drawings.attrs
    assert drawings.attrs["accept"] == "application/pdf"
    land = _input(tree, "land_title_file")
    assert land.attrs["accept"] == "application/pdf,image/jpeg,image/png"
    assert "Tối đa 3 tệp, mỗi tệp không quá 10 MB" in tree.text
    group = tree.by_id("f-co_owners")
    assert group is not None and group.tag == "fieldset"
    assert _input(tree, "_count.co_owners").attrs["value"] == "1"
    assert _input(tree, "co_owners[0].co_owner_name").attrs["id"] == "f-co_owners-0-co_owner_name"
    adder = tree.by_id("f-co_owners-add")
    assert adder is not None and adder.attrs["value"] == "add:co_owners"


async def test_a_textarea_and_select_lists(client: httpx.AsyncClient) -> None:
    tree = parse((await client.get("/thu-tuc/1.000656/nop-ho-so", headers=VI)).text)
    assert _input(tree, "death_cause").tag == "textarea"
    selects = tree.find_all("select")
    assert any(len(s.find_all("option")) > 50 for s in selects)  # the 54 ethnic groups


async def test_labels_marks_hints_and_conditions(client: httpx.AsyncClient, lang: str) -> None:
    tree = parse((await client.get(FORM_URL, headers={"Cookie": f"lang={lang}"})).text)
    label = tree.find("label", for_="f-owner_full_name")
    assert label is not None
    assert label.text.endswith("* (bắt buộc)" if lang == "vi" else "* (required)")
    serial = _input(tree, "land_certificate_serial")
    assert "f-land_certificate_serial-hint" in serial.attrs["aria-describedby"]
    hint = tree.by_id("f-land_certificate_serial-hint")
    assert hint is not None and "CS 123456" in hint.text
    basement = tree.by_id("f-basement_area-group")
    assert basement is not None and basement.attrs["data-visible-if"]
    condition = tree.by_id("f-basement_area-condition")
    assert condition is not None
    expected = (
        "Chỉ điền nếu câu trả lời cho “Có tầng hầm?” là “Có”."
        if lang == "vi"
        else "Only if the answer to “Basement?” is “Yes”."
    )
    assert condition.text == expected


async def test_errors_are_summarised_linked_and_values_kept(client: httpx.AsyncClient) -> None:
    pairs = replace(
        valid_pairs(),
        owner_citizen_id="12345",
        owner_phone="abc",
        plot_area="12,345",
        **{"owner_address.commune": "", "co_owners[0].co_owner_name": ""},
    )
    response = await _post(client, pairs)
    assert response.status_code == 200
    tree = parse(response.text)
    title = tree.find("title")
    assert title is not None and title.text.startswith("Lỗi:")
    summary = tree.find("div", class_="error-summary")
    assert summary is not None and summary.attrs["role"] == "alert"
    assert summary.attrs["tabindex"] == "-1"
    links = summary.find_all("a")
    assert len(links) >= 5
    for link in links:
        target = link.attrs["href"].lstrip("#")
        assert tree.by_id(target) is not None, target
    hrefs = [link.attrs["href"] for link in links]
    assert "#f-owner_citizen_id" in hrefs
    assert "#f-owner_address-commune" in hrefs
    assert "#f-co_owners-0-co_owner_name" in hrefs
    citizen = _input(tree, "owner_citizen_id")
    assert citizen.attrs["value"] == "12345"
    assert citizen.attrs["aria-invalid"] == "true"
    assert "f-owner_citizen_id-error" in citizen.attrs["aria-describedby"]
    error = tree.by_id("f-owner_citizen_id-error")
    assert error is not None and "12 chữ số" in error.text
    assert _input(tree, "owner_full_name").attrs["value"] == "Nguyễn Văn An"
    assert _input(tree, "plot_area").attrs["value"] == "12,345"
    assert _selected(tree, "owner_address.province") == LAO_CAI
    yes = tree.by_id("f-has_co_owners-2")
    assert yes is not None and "checked" in yes.attrs
    consent = _input(tree, "declaration_consent")
    assert "checked" in consent.attrs
    assert _input(tree, "co_owners[0].co_owner_relationship").attrs["value"] == "Vợ"


async def test_errors_are_in_the_readers_language(client: httpx.AsyncClient) -> None:
    pairs = replace(valid_pairs(), owner_phone="abc")
    english = visible_text((await _post(client, pairs, headers=EN)).text)
    assert "There is a problem" in english
    assert "Phone number" in english
    assert "Vui lòng" not in english and "không hợp lệ" not in english


async def test_files_are_remembered_by_their_description(client: httpx.AsyncClient) -> None:
    pairs = replace(valid_pairs(), owner_phone="abc")
    tree = parse((await _post(client, pairs, valid_files())).text)
    listing = tree.by_id("f-drawings_file-files")
    assert listing is not None
    assert "mat-bang.pdf" in listing.text and "mat-dung.pdf" in listing.text
    assert _input(tree, "drawings_file[1].name").attrs["value"] == "mat-dung.pdf"
    assert _input(tree, "drawings_file[0].size").attrs["value"] == str(len(b"%PDF-1.4 plan" * 2000))
    assert _input(tree, "drawings_file[0].content_type").attrs["value"] == "application/pdf"


async def test_wrong_file_types_and_sizes_are_refused(client: httpx.AsyncClient) -> None:
    files = [
        ("land_title_file", ("notes.txt", b"hello", "text/plain")),
        ("drawings_file", ("plan.pdf", b"%PDF", "application/pdf")),
    ]
    pairs = [
        *valid_pairs(),
        # A description posted again (as the answers page does) is checked like a new file.
        ("drawings_file[5].id", "abc"),
    ]
    tree = parse((await _post(client, pairs, files)).text)
    error = tree.by_id("f-land_title_file-error")
    assert error is not None and "notes.txt" in error.text
    big = [
        *valid_pairs(),
        ("land_title_file[0].id", "x1"),
        ("land_title_file[0].name", "huge.pdf"),
        ("land_title_file[0].size", str(50 * 1024 * 1024)),
        ("land_title_file[0].content_type", "application/pdf"),
    ]
    tree = parse((await _post(client, big, [files[1]])).text)
    error = tree.by_id("f-land_title_file-error")
    assert error is not None and "huge.pdf" in error.text


async def test_valid_answers_are_shown_to_check(client: httpx.AsyncClient) -> None:
    response = await _post(client, valid_pairs(), valid_files())
    assert response.status_code == 200
    tree = parse(response.text)
    h1 = tree.find("h1")
    assert h1 is not None and h1.text == "Kiểm tra câu trả lời"
    assert tree.find("div", class_="error-summary") is None
    text = tree.text
    commune_name = communes(LAO_CAI)[0].name
    assert f"Số 12 đường Hoàng Liên, {commune_name}, Tỉnh Lào Cai" in text
    assert "1.500.000.000 đ" in text
    assert "120,5" in text and "11,5" in text
    assert planned_start().strftime("%d/%m/%Y") in text
    assert "0912345678" in text
    assert "Đồng sở hữu 1" in text and "Trần Thị Bình" in text
    assert "mat-bang.pdf (25 KB)" in text and "mat-dung.pdf (13 byte)" in text
    assert "Tôi cam kết thực hiện đúng theo giấy phép" in text
    assert "Không" in text  # the option's label, not its value
    assert ">no<" not in response.text
    changes = tree.find_all("button", value="edit")
    assert len(changes) >= 20
    assert any(b.attrs.get("formaction") == f"{FORM_URL}#f-owner_full_name" for b in changes)
    assert "Thay đổi" in changes[0].text and "Họ, chữ đệm và tên" in changes[0].text
    assert "Để nộp hồ sơ, bạn cần đăng nhập" in text
    assert not [b for b in tree.find_all("button") if "Nộp" in b.text]
    assert tree.find("button", value="check") is None


async def test_change_goes_back_to_the_form_with_every_answer(client: httpx.AsyncClient) -> None:
    answers = parse((await _post(client, valid_pairs(), valid_files())).text)
    form = answers.find("form", method="post")
    assert form is not None
    hidden = [(n.attrs["name"], n.attrs["value"]) for n in form.find_all("input", type="hidden")]
    back = await _post(client, [*hidden, ("_action", "edit")])
    tree = parse(back.text)
    assert tree.find("div", class_="error-summary") is None
    assert _input(tree, "owner_full_name").attrs["value"] == "Nguyễn Văn An"
    assert _selected(tree, "owner_address.commune") == PHUONG_LAO_CAI
    assert _input(tree, "co_owners[0].co_owner_name").attrs["value"] == "Trần Thị Bình"
    assert "mat-bang.pdf" in tree.text
    again = await _post(client, [*hidden, ("_action", "check")])
    assert "Kiểm tra câu trả lời" in visible_text(again.text)


async def test_group_items_are_added_and_removed_without_javascript(
    client: httpx.AsyncClient,
) -> None:
    pairs = [p for p in valid_pairs() if p[0] != "_action"]
    added = parse((await _post(client, [*pairs, ("_action", "add:co_owners")])).text)
    assert _input(added, "_count.co_owners").attrs["value"] == "2"
    assert _input(added, "co_owners[1].co_owner_name").attrs["value"] == ""
    assert _input(added, "co_owners[0].co_owner_name").attrs["value"] == "Trần Thị Bình"
    assert added.find("div", class_="error-summary") is None
    adder = added.by_id("f-co_owners-add")
    assert adder is not None and adder.attrs["formaction"].endswith("#f-co_owners-2")
    removers = added.find_all("button", value="remove:co_owners:0")
    assert removers and "Đồng sở hữu 1" in removers[0].text

    two = [
        *replace(pairs, **{"_count.co_owners": "2"}),
        ("co_owners[1].co_owner_name", "Lê Văn Cường"),
        ("co_owners[1].co_owner_citizen_id", "015199011111"),
    ]
    removed = parse((await _post(client, [*two, ("_action", "remove:co_owners:0")])).text)
    assert _input(removed, "_count.co_owners").attrs["value"] == "1"
    assert _input(removed, "co_owners[0].co_owner_name").attrs["value"] == "Lê Văn Cường"
    assert not [n for n in removed.iter() if n.attrs.get("name") == "co_owners[1].co_owner_name"]
    # The last item cannot be removed below min_items (1).
    assert removed.find("button", value="remove:co_owners:0") is None


async def test_group_item_errors_point_at_the_item(client: httpx.AsyncClient) -> None:
    pairs = [
        *replace(valid_pairs(), **{"_count.co_owners": "2"}),
        ("co_owners[1].co_owner_name", "Lê Văn Cường"),
        ("co_owners[1].co_owner_citizen_id", "99"),
    ]
    tree = parse((await _post(client, pairs, valid_files())).text)
    summary = tree.find("div", class_="error-summary")
    assert summary is not None
    link = summary.find("a", href="#f-co_owners-1-co_owner_citizen_id")
    assert link is not None and "Đồng sở hữu 2" in link.text


async def test_the_commune_list_follows_the_province_without_javascript(
    client: httpx.AsyncClient,
) -> None:
    pairs = [
        ("owner_full_name", "Nguyễn Văn An"),
        ("owner_address.province", LAO_CAI),
        ("owner_address.commune", ""),
        ("_action", "refresh:owner_address"),
    ]
    tree = parse((await _post(client, pairs)).text)
    assert tree.find("div", class_="error-summary") is None
    commune = _input(tree, "owner_address.commune")
    values = [o.attrs["value"] for o in commune.find_all("option")][1:]
    assert values == [u.code for u in communes(LAO_CAI)]
    assert _input(tree, "owner_full_name").attrs["value"] == "Nguyễn Văn An"
    refresh = tree.find("button", value="refresh:owner_address")
    assert refresh is not None and refresh.text == "Cập nhật danh sách phường/xã"
    assert refresh.attrs["formaction"] == f"{FORM_URL}#f-owner_address-commune"


async def test_a_commune_of_another_province_is_refused(client: httpx.AsyncClient) -> None:
    other = communes("01")[0].code
    pairs = replace(valid_pairs(), **{"owner_address.commune": other})
    tree = parse((await _post(client, pairs, valid_files())).text)
    assert tree.by_id("f-owner_address-commune-error") is not None


async def test_pressing_enter_submits_continue(client: httpx.AsyncClient) -> None:
    tree = parse((await client.get(FORM_URL)).text)
    form = tree.find("form", method="post")
    assert form is not None
    first = form.find_all("button")[0]
    assert first.attrs["value"] == "check" and "hidden" in first.attrs


async def test_communes_of_a_province_as_json(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/dia-gioi/{LAO_CAI}/xa")
    assert response.status_code == 200
    data = response.json()["communes"]
    assert {"code": PHUONG_LAO_CAI, "name": "Phường Lào Cai"} in data
    assert (await client.get("/dia-gioi/99/xa")).status_code == 404
    assert (await client.get("/dia-gioi/abc/xa")).status_code == 404


async def test_an_unknown_action_just_draws_the_form_again(client: httpx.AsyncClient) -> None:
    response = await _post(client, [("owner_full_name", "A"), ("_action", "remove:nothing:x")])
    assert response.status_code == 200
    assert re.search(r'name="owner_full_name"[^>]*value="A"', response.text)
