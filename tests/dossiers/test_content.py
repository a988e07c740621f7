"""What a file really is: the content decides, the name must agree, programs never pass."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers import service
from app.dossiers.content import MAX_DISPLAY_NAME, check_content, display_name
from app.dossiers.errors import FileRefused
from app.dossiers.schemas import Applicant
from app.forms import FileField
from app.storage import FileStorage
from tests.dossiers.conftest import JPEG, PDF, PNG, chunks, keys

PDF_SLOT = FileField(key="declaration", label={"vi": "Tờ khai"}, accept=["application/pdf"])
IMAGE_SLOT = FileField(key="photos", label={"vi": "Ảnh"}, accept=["image/png", "image/jpeg"])
ANY_SLOT = FileField(key="anything", label={"vi": "Tệp"})
ZIP_SLOT = FileField(key="drawings", label={"vi": "Bản vẽ"}, accept=["application/zip"])
MIXED_SLOT = FileField(key="scan", label={"vi": "Bản quét"}, accept=["application/pdf", "image/*"])


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("to-khai.pdf", PDF)
    return buffer.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 500
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 500


@pytest.mark.parametrize(
    ("slot", "name", "content", "expected"),
    [
        (PDF_SLOT, "to-khai.pdf", PDF, "application/pdf"),
        (PDF_SLOT, "TO-KHAI.PDF", PDF, "application/pdf"),
        (PDF_SLOT, "to-khai", PDF, "application/pdf"),
        (IMAGE_SLOT, "anh.png", PNG, "image/png"),
        (IMAGE_SLOT, "anh.jpg", JPEG, "image/jpeg"),
        (IMAGE_SLOT, "anh.jpeg", JPEG, "image/jpeg"),
        (ANY_SLOT, "anh.jpeg", JPEG, "image/jpeg"),
        # An archive only where the slot names the archive type itself.
        (ZIP_SLOT, "ban-ve.zip", _zip(), "application/zip"),
    ],
)
def test_accepted_by_content(slot: FileField, name: str, content: bytes, expected: str) -> None:
    assert check_content(slot.key, slot, name, content[:8192]) == expected


@pytest.mark.parametrize(
    ("slot", "name", "content", "says"),
    [
        # An archive is not a PDF, whatever its name says.
        (PDF_SLOT, "to-khai.pdf", _zip(), "application/zip"),
        # ...and no archive where any type is taken: its content would go unchecked.
        (ANY_SLOT, "ho-so.zip", _zip(), "takes no archives"),
        # Programs are refused even where any type is taken, and whatever they are called.
        (ANY_SLOT, "setup.pdf", EXE, "executable"),
        (ANY_SLOT, "setup.exe", EXE, "executable"),
        (PDF_SLOT, "to-khai.pdf", ELF, "executable"),
        (ANY_SLOT, "run", ELF, "executable"),
        # A real PDF named as an image: the slot takes both, the name and the content disagree.
        (MIXED_SLOT, "scan.jpg", PDF, "is named .jpg"),
        (MIXED_SLOT, "scan.pdf", JPEG, "is named .pdf"),
        # An image where a PDF is asked for.
        (PDF_SLOT, "anh.png", PNG, "image/png"),
        # Content no signature describes.
        (ANY_SLOT, "ghi-chu.txt", b"just some text, no signature\n" * 10, "not recognised"),
        (PDF_SLOT, "empty-head.pdf", b"", "not recognised"),
    ],
)
def test_refused_by_content(slot: FileField, name: str, content: bytes, says: str) -> None:
    with pytest.raises(FileRefused) as refused:
        check_content(slot.key, slot, name, content)
    assert says in refused.value.message_en
    assert [p.location for p in refused.value.problems] == [slot.key]
    assert refused.value.status == 422 and refused.value.message


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("to-khai.pdf", "to-khai.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\An\\Desktop\\tờ khai.pdf", "tờ khai.pdf"),
        ("/tmp/a/b.pdf", "b.pdf"),
        ("bad\x00name\r\n.pdf", "bad_name_.pdf"),
        ('a<b>c:d"e|f?g*h.pdf', "a_b_c_d_e_f_g_h.pdf"),
        ("  .hidden.pdf. ", "hidden.pdf"),
        # Decomposed Vietnamese (as macOS writes names) is composed.
        ("to\u0301 khai.pdf", "tó khai.pdf"),
        ("", "tep"),
        (None, "tep"),
        ("../..", "tep"),
        ("\x01\x02.pdf", "_.pdf"),
    ],
)
def test_display_name_is_safe(given: str | None, shown: str) -> None:
    assert display_name(given) == shown


def test_a_long_display_name_is_cut_keeping_its_extension() -> None:
    name = display_name("đ" * 500 + ".pdf")
    assert len(name) == MAX_DISPLAY_NAME and name.endswith(".pdf")
    assert display_name("a" * 500) == "a" * MAX_DISPLAY_NAME


async def test_add_file_checks_the_content_and_keeps_nothing_refused(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
    citizen: Applicant,
) -> None:
    draft = await service.start_draft(db_session, citizen, rich, settings)
    before = await keys(storage)
    refusals = [
        ("declaration", "to-khai.pdf", _zip()),
        ("declaration", "setup.exe", EXE),
        ("declaration", "to-khai.pdf", ELF),
        ("photos", "scan.png", PDF),
        ("photos", "anh.jpg", PNG),
        ("declaration", "to-khai.pdf", b"plain text " * 2000),
        ("declaration", "to-khai.pdf", b""),
    ]
    for slot, name, content in refusals:
        with pytest.raises(FileRefused) as refused:
            await service.add_file(
                db_session, storage, settings, citizen, draft.reference, slot, name, chunks(content)
            )
        assert refused.value.problems[0].location == slot
    assert await keys(storage) == before
    assert (await service.get_dossier(db_session, citizen, draft.reference)).files == []

    # The check reads a head that arrives in small pieces as well as in one.
    added = await service.add_file(
        db_session,
        storage,
        settings,
        citizen,
        draft.reference,
        "photos",
        "C:\\ảnh\\chân dung.JPG",
        chunks(JPEG, size=3),
    )
    assert (added.name, added.content_type, added.size) == (
        "chân dung.JPG",
        "image/jpeg",
        len(JPEG),
    )
    png = await service.add_file(
        db_session, storage, settings, citizen, draft.reference, "photos", None, chunks(PNG)
    )
    assert (png.name, png.content_type) == ("tep", "image/png")
