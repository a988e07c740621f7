"""What a file really is: its type read from its first bytes, checked against the slot.

The name and the type the client declares are not believed: the content decides (the
``filetype`` library reads the signatures), and the name's extension must agree with it.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from pathlib import PurePosixPath

import filetype

from app.dossiers.errors import FileRefused
from app.forms import FileField

# Enough for every signature filetype knows, including the parts of an Office (zip) file.
HEAD_SIZE = 8192
MAX_DISPLAY_NAME = 200

# Refused whatever a slot accepts: programs run, and no procedure asks for one.
FORBIDDEN_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-executable",
        "application/x-mach-binary",
        "application/x-sharedlib",
        "application/vnd.microsoft.portable-executable",
        "application/x-shockwave-flash",
        "application/x-sh",
        "application/x-dex",
        "application/vnd.android.package-archive",
    }
)

# Archives can carry anything, unchecked: taken only by a slot that names the type itself
# (a slot with no accept list, or with a wildcard, does not take them).
ARCHIVE_TYPES = frozenset(
    {
        "application/zip",
        "application/x-rar-compressed",
        "application/x-7z-compressed",
        "application/x-tar",
        "application/gzip",
        "application/x-bzip2",
        "application/x-xz",
        "application/x-lzip",
        "application/zstd",
        "application/vnd.ms-cab-compressed",
    }
)

# Extensions a name may carry for each type, beyond what `mimetypes` knows.
_EXTRA_EXTENSIONS = {
    "image/jpeg": {".jpg", ".jpeg", ".jpe", ".jfif"},
    "image/heic": {".heic"},
    "image/heif": {".heif"},
    "image/webp": {".webp"},
    "image/tiff": {".tif", ".tiff"},
}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def sniff(head: bytes) -> str | None:
    """The MIME type the content's signature shows, or None when none is known."""
    kind = filetype.guess(head)
    return kind.mime if kind is not None else None


def extensions_for(media_type: str) -> set[str]:
    return set(mimetypes.guess_all_extensions(media_type)) | _EXTRA_EXTENSIONS.get(
        media_type, set()
    )


def check_content(slot: str, field: FileField, display_name: str, head: bytes) -> str:
    """The file's real type if the slot takes it; FileRefused with the reason if not."""
    detected = sniff(head)
    if detected in FORBIDDEN_TYPES:
        raise FileRefused(
            slot,
            f"Tệp “{display_name}” là chương trình chạy được: không được phép nộp.",
            f"“{display_name}” is an executable program: it cannot be submitted.",
        )
    if detected in ARCHIVE_TYPES and detected not in (field.accept or []):
        raise FileRefused(
            slot,
            f"Tệp “{display_name}” là tệp nén ({detected}): mục này không nhận tệp nén.",
            f"“{display_name}” is an archive ({detected}): this slot takes no archives.",
        )
    if detected is None:
        raise FileRefused(
            slot,
            f"Không nhận ra loại của tệp “{display_name}”. Hãy nộp tệp PDF hoặc ảnh.",
            f"The type of “{display_name}” is not recognised. Submit a PDF or an image.",
        )
    if not field.accepts(detected):
        raise FileRefused(
            slot,
            f"Tệp “{display_name}” có nội dung {detected}, không thuộc loại được chấp nhận"
            f" ({', '.join(field.accept or [])}).",
            f"“{display_name}” contains {detected}, which is not an accepted type"
            f" ({', '.join(field.accept or [])}).",
        )
    suffix = PurePosixPath(display_name).suffix.lower()
    if suffix and suffix not in extensions_for(detected):
        raise FileRefused(
            slot,
            f"Tên tệp “{display_name}” có đuôi {suffix} nhưng nội dung là {detected}.",
            f"“{display_name}” is named {suffix} but contains {detected}.",
        )
    return detected


def display_name(original: str | None, fallback: str = "tep") -> str:
    """A name safe to show and to offer in a download: no path, no control characters."""
    name = unicodedata.normalize("NFC", original or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name) > MAX_DISPLAY_NAME:
        path = PurePosixPath(name)
        suffix = path.suffix[:16]
        name = path.stem[: MAX_DISPLAY_NAME - len(suffix)] + suffix
    return name or fallback
