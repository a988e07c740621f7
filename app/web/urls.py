"""The addresses of the filing pages, in one place for the routes and the templates."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from app.models.dossiers import Channel

MY_DOSSIERS = "/ho-so-cua-toi"
LOOKUP = "/tra-cuu-ho-so"
SIGN_IN = "/dang-nhap"
# Where the one-stop desk files dossiers for people at the counter and for letters.
DESK_COUNTER = "/can-bo/tiep-nhan-truc-tiep"
DESK_POST = "/can-bo/tiep-nhan-buu-chinh"


def sign_in(back_to: str) -> str:
    """Sign in, then come back to ``back_to``."""
    return f"{SIGN_IN}?next={quote(back_to, safe='')}"


def procedure(procedure_code: str) -> str:
    return f"/thu-tuc/{quote(procedure_code)}"


def start(procedure_code: str) -> str:
    """Where filing a procedure starts (the button of its page)."""
    return f"{procedure(procedure_code)}/nop-ho-so"


def draft(reference: str, page: int = 1) -> str:
    """One page (a form section) of a draft."""
    return f"{_draft_base(reference)}?trang={page}"


def _draft_base(reference: str) -> str:
    """A draft's own address, below which its other pages are."""
    return f"/ho-so/nhap/{quote(reference)}"


def agency(reference: str) -> str:
    return f"{_draft_base(reference)}/co-quan"


def delivery(reference: str) -> str:
    return f"{_draft_base(reference)}/nhan-ket-qua"


def check(reference: str) -> str:
    return f"{_draft_base(reference)}/kiem-tra"


def delete(reference: str) -> str:
    return f"{_draft_base(reference)}/xoa"


def dossier(code: str) -> str:
    return f"/ho-so/{quote(code)}"


def submitted(code: str) -> str:
    return f"{dossier(code)}/da-nop"


def withdraw(code: str) -> str:
    return f"{dossier(code)}/rut"


def supplement(code: str) -> str:
    """Where the applicant answers a supplement request."""
    return f"{dossier(code)}/bo-sung"


def document(code: str, reference: str) -> str:
    """A document issued on the dossier (a form or the signed result), to download."""
    return f"{dossier(code)}/van-ban/{quote(reference)}"


def file(file_id: str) -> str:
    return f"/ho-so/tep/{quote(file_id)}"


STORE = "/kho-du-lieu"


def store_choice(reference: str, slot: str, page: int = 1) -> str:
    """The page where a draft's file slot is filled from the applicant's document store."""
    return f"{_draft_base(reference)}/kho-du-lieu?{urlencode({'muc': slot, 'trang': page})}"


def desk_start(channel: int) -> str:
    """Where the desk starts a dossier of a channel (1 at the counter, 3 by post)."""
    return DESK_POST if channel == Channel.post else DESK_COUNTER


def desk_received(code: str) -> str:
    """The desk's page of a dossier it has just received, with its receipt to print."""
    return f"/can-bo/da-tiep-nhan/{quote(code)}"


def work_dossier(code: str) -> str:
    """A dossier on the officials' pages."""
    return f"/can-bo/ho-so/{quote(code)}"


# Names the templates call the functions by.
TEMPLATE_GLOBALS = {
    "start_url": start,
    "draft_url": draft,
    "delete_draft_url": delete,
    "dossier_url": dossier,
    "file_url": file,
    "document_url": document,
}
