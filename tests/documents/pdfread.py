"""Reading back what the forms drew, with pyHanko's PDF reader and a small content-stream
tokenizer: the text of each page (through each font's ToUnicode map) and the filled rectangles
(the QR code's modules)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from pyhanko.pdf_utils.generic import ArrayObject
from pyhanko.pdf_utils.reader import PdfFileReader

_DELIMITERS = b"()<>[]{}/%"
_WHITE = b" \t\r\n\f\x00"
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")


@dataclass
class Page:
    text: str
    # (x, y, width, height) in points, of every rectangle painted with a fill.
    filled: list[tuple[float, float, float, float]] = field(default_factory=list)


def _literal(data: bytes, at: int) -> tuple[bytes, int]:
    """The literal string starting after its '(' at ``at``; returns its bytes and where it ends."""
    out = bytearray()
    depth = 1
    while True:
        byte = data[at]
        at += 1
        if byte == ord("\\"):
            nxt = data[at]
            at += 1
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
            elif ord("0") <= nxt <= ord("7"):
                digits = bytes([nxt])
                while len(digits) < 3 and ord("0") <= data[at] <= ord("7"):
                    digits += bytes([data[at]])
                    at += 1
                out.append(int(digits, 8) & 0xFF)
            elif nxt in b"\r\n":
                continue
            else:
                out.append(nxt)
        elif byte == ord("("):
            depth += 1
            out.append(byte)
        elif byte == ord(")"):
            depth -= 1
            if depth == 0:
                return bytes(out), at
            out.append(byte)
        else:
            out.append(byte)


def _tokens(data: bytes) -> list[Any]:
    """Operands and operators: bytes for strings, floats, ('name', x), ('op', x), '[' and ']'."""
    tokens: list[Any] = []
    at = 0
    while at < len(data):
        byte = data[at]
        if byte in _WHITE:
            at += 1
        elif byte == ord("%"):
            while at < len(data) and data[at] not in b"\r\n":
                at += 1
        elif byte == ord("("):
            value, at = _literal(data, at + 1)
            tokens.append(value)
        elif data[at : at + 2] in (b"<<", b">>"):
            tokens.append(("op", data[at : at + 2].decode()))
            at += 2
        elif byte == ord("<"):
            end = data.index(b">", at)
            tokens.append(bytes.fromhex(data[at + 1 : end].decode()))
            at = end + 1
        elif byte in b"[]":
            tokens.append(chr(byte))
            at += 1
        else:
            start = at
            at += 1
            while at < len(data) and data[at] not in _WHITE and data[at] not in _DELIMITERS:
                at += 1
            word = data[start:at].decode("latin-1")
            if word.startswith("/"):
                tokens.append(("name", word))
            else:
                try:
                    tokens.append(float(word))
                except ValueError:
                    tokens.append(("op", word))
    return tokens


def _to_unicode(font: Any) -> dict[bytes, str]:
    cmap = font["/ToUnicode"].data
    mapping: dict[bytes, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        codes = _HEX.findall(block)
        for code, target in zip(codes[::2], codes[1::2], strict=True):
            mapping[bytes.fromhex(code.decode())] = bytes.fromhex(target.decode()).decode(
                "utf-16-be"
            )
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        codes = _HEX.findall(block)
        for first, last, target in zip(codes[::3], codes[1::3], codes[2::3], strict=True):
            start = int(first, 16)
            base = int(target, 16)
            for offset in range(int(last, 16) - start + 1):
                mapping[(start + offset).to_bytes(2, "big")] = chr(base + offset)
    return mapping


def _decode(value: bytes, mapping: dict[bytes, str]) -> str:
    return "".join(mapping.get(value[i : i + 2], "\ufffd") for i in range(0, len(value), 2))


def _content(page: Any) -> bytes:
    contents = page["/Contents"]
    if isinstance(contents, ArrayObject):
        return b"\n".join(part.get_object().data for part in contents)
    return bytes(contents.data)


def read_pages(pdf: bytes) -> list[Page]:
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    pages: list[Page] = []
    for number in range(reader.root["/Pages"]["/Count"]):
        page_obj, _ = reader.find_page_for_modification(number)
        page = page_obj.get_object()
        fonts = {
            str(name): _to_unicode(font.get_object())
            for name, font in page["/Resources"].get("/Font", {}).items()
        }
        text: list[str] = []
        filled: list[tuple[float, float, float, float]] = []
        pending: list[tuple[float, float, float, float]] = []
        mapping: dict[bytes, str] = {}
        operands: list[Any] = []
        array: list[Any] | None = None
        for token in _tokens(_content(page)):
            if token == "[":
                array = []
            elif token == "]":
                operands.append(array)
                array = None
            elif array is not None:
                array.append(token)
            elif isinstance(token, tuple) and token[0] == "op":
                op = token[1]
                if op == "Tf":
                    mapping = fonts[operands[-2][1]]
                elif op == "Tj":
                    text.append(_decode(operands[-1], mapping))
                elif op == "TJ":
                    text.extend(_decode(p, mapping) for p in operands[-1] if isinstance(p, bytes))
                elif op == "ET":
                    text.append("\n")
                elif op == "re":
                    x, y, w, h = operands[-4:]
                    pending.append((x, y, w, h))
                elif op in ("f", "f*", "F"):
                    filled += pending
                    pending = []
                elif op in ("S", "s", "n", "B", "b", "B*", "b*"):
                    pending = []
                operands = []
            else:
                operands.append(token)
        pages.append(Page("".join(text), filled))
    return pages


def text_of(pdf: bytes) -> str:
    return "\n".join(page.text for page in read_pages(pdf))


def squash(value: str) -> str:
    """Without any white space: the wrapping of lines does not matter to a comparison."""
    return "".join(value.split())


def qr_modules(page: Page) -> set[tuple[int, int]]:
    """The dark modules of the one QR code drawn on the page, as (row, column)."""
    module = min(abs(h) for _, _, _, h in page.filled)
    left = min(x for x, _, _, _ in page.filled)
    # fpdf2 draws from the top edge downwards: y is the top, the height negative.
    top = max(y for _, y, _, _ in page.filled)
    dark: set[tuple[int, int]] = set()
    for x, y, w, _ in page.filled:
        row = round((top - y) / module)
        first = round((x - left) / module)
        dark |= {(row, first + i) for i in range(round(w / module))}
    return dark
