"""Checks every page passes: structure and accessibility basics, no text of the other language."""

from __future__ import annotations

import re

from web_html import Node, parse

from app.web.i18n import load_translations


def _segments(message: str) -> list[str]:
    """The fixed parts of a message, without its %(name)s placeholders."""
    return [part.strip() for part in re.split(r"%\(\w+\)s", message) if len(part.strip()) >= 16]


def ui_messages(locale: str) -> list[str]:
    catalog = load_translations()[locale]
    messages: list[str] = []
    for key, value in catalog._catalog.items():
        if not key:
            continue
        texts = [value] if isinstance(value, str) else []
        for text in texts:
            messages.extend(_segments(text))
    return messages


def assert_page_structure(html: str) -> Node:
    """Skip link, landmarks, one h1, a label for every input, no duplicate ids."""
    tree = parse(html)
    assert tree.find("a", class_="skip-link", href="#main") is not None
    assert tree.find("main", id="main") is not None
    assert tree.find("header") is not None and tree.find("footer") is not None
    assert tree.find("nav") is not None
    assert len(tree.find_all("h1")) == 1
    ids = [n.attrs["id"] for n in tree.iter() if "id" in n.attrs]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    labelled = {n.attrs.get("for") for n in tree.find_all("label")}
    for control in [*tree.find_all("input"), *tree.find_all("select"), *tree.find_all("textarea")]:
        if control.attrs.get("type") in ("hidden", "submit", "button"):
            continue
        assert control.attrs.get("id") in labelled, f"no label for {control.attrs}"
    for node in tree.iter():
        for described in node.attrs.get("aria-describedby", "").split():
            assert tree.by_id(described) is not None, (
                f"aria-describedby points nowhere: {described}"
            )
    return tree
