"""The forms of a draft's pages that are not the procedure's own: the receiving agency and
how the result comes back, as form definitions the same widgets draw; the delivery chosen, in
words; the part of the procedure's form a supplement asks for; and what the one-stop desk asks
before filling a dossier in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from app.catalog.schemas import FilingTarget, ProcedureSummary
from app.dossiers.schemas import DossierOut
from app.forms import FormDefinition, format_address, parse_definition
from app.models.catalog import OnlineLevel
from app.models.dossiers import Delivery


def agency_definition(target: FilingTarget) -> FormDefinition:
    """The receiving agency as a form of one select."""
    options = [{"value": a.code, "label": {"vi": a.name, "en": a.name}} for a in target.agencies]
    return parse_definition(
        {
            "format": 1,
            "sections": [
                {
                    "key": "agency",
                    "title": {"vi": "Cơ quan tiếp nhận", "en": "Receiving agency"},
                    "fields": [
                        {
                            "key": "agency",
                            "type": "select",
                            "label": {
                                "vi": "Cơ quan tiếp nhận hồ sơ",
                                "en": "Agency that receives the dossier",
                            },
                            "help": {
                                "vi": "Thường là nơi bạn cư trú hoặc nơi có tài sản, công việc.",
                                "en": "Usually where you live or where the property or the"
                                " business is.",
                            },
                            "required": True,
                            "options": options,
                        }
                    ],
                }
            ],
        }
    )


POST_ONLY = {"==": [{"var": "delivery"}, "post"]}
DELIVERY_LABELS = {
    Delivery.online: {
        "vi": "Trực tuyến: nhận bản điện tử có chữ ký số trên cổng",
        "en": "Online: a digitally signed electronic copy on this portal",
    },
    Delivery.counter: {
        "vi": "Nhận trực tiếp tại bộ phận một cửa",
        "en": "In person at the one-stop desk",
    },
    Delivery.post: {"vi": "Qua dịch vụ bưu chính công ích", "en": "By public post"},
}


def offered_deliveries(target: FilingTarget) -> list[Delivery]:
    """The ways the procedure returns its result: online only when it is fully online."""
    offered = [Delivery.online] if target.online_level is OnlineLevel.full else []
    offered.append(Delivery.counter)
    return [*offered, Delivery.post] if target.postal_allowed else offered


def delivery_definition(target: FilingTarget) -> FormDefinition:
    """How the result comes back, as a form: the ways the procedure offers, and the postal
    address only for the post."""
    options = [{"value": d.value, "label": DELIVERY_LABELS[d]} for d in offered_deliveries(target)]
    fields: list[dict[str, Any]] = [
        {
            "key": "delivery",
            "type": "radio",
            "label": {"vi": "Cách nhận kết quả", "en": "How to receive the result"},
            "required": True,
            "options": options,
        }
    ]
    if target.postal_allowed:
        fields += [
            {
                "key": "recipient",
                "type": "text",
                "label": {"vi": "Người nhận", "en": "Recipient"},
                "required": True,
                "max_length": 255,
                "visible_if": POST_ONLY,
            },
            {
                "key": "phone",
                "type": "phone",
                "label": {"vi": "Số điện thoại người nhận", "en": "Recipient's phone number"},
                "required": True,
                "visible_if": POST_ONLY,
            },
            {
                "key": "address",
                "type": "address",
                "label": {"vi": "Địa chỉ nhận kết quả", "en": "Address for the result"},
                "required": True,
                "visible_if": POST_ONLY,
            },
        ]
    return parse_definition(
        {
            "format": 1,
            "sections": [
                {
                    "key": "delivery",
                    "title": {"vi": "Nhận kết quả", "en": "Receiving the result"},
                    "fields": fields,
                }
            ],
        }
    )


@dataclass(frozen=True)
class DeliveryView:
    method: str
    recipient: str = ""
    phone: str = ""
    address: str = ""


def delivery_view(draft: DossierOut) -> DeliveryView | None:
    """The delivery chosen, in words for a page."""
    if draft.delivery is None:
        return None
    address = draft.delivery_address
    if draft.delivery is not Delivery.post or address is None:
        return DeliveryView(draft.delivery.value)
    return DeliveryView(
        draft.delivery.value,
        recipient=address.recipient,
        phone=address.phone,
        address=format_address(
            {"province": address.province, "commune": address.commune, "street": address.street}
        ),
    )


def asked_definition(definition: FormDefinition, paths: Iterable[str]) -> FormDefinition | None:
    """The procedure's form cut down to the fields a supplement asks for, section by section (a
    whole field where a part of it is asked: an item of a group, a part of an address); None
    when nothing of the form is asked."""
    roots = {path.split(".", 1)[0].split("[", 1)[0] for path in paths}
    sections = [
        section.model_copy(update={"fields": [f for f in section.fields if f.key in roots]})
        for section in definition.sections
        if any(f.key in roots for f in section.fields)
    ]
    if not sections:
        return None
    # The cross-field rules stay with the whole form, which the service checks on resubmission.
    return definition.model_copy(update={"sections": sections, "rules": []})


def desk_start_definition(
    procedures: Sequence[ProcedureSummary], applicant_form: FormDefinition
) -> FormDefinition:
    """What the desk asks before filling a dossier in: the procedure, among those its agency
    receives, then who the applicant is (the dossiers service's own form)."""
    chooser = parse_definition(
        {
            "format": 1,
            "sections": [
                {
                    "key": "procedure",
                    "title": {"vi": "Thủ tục", "en": "Procedure"},
                    "fields": [
                        {
                            "key": "procedure",
                            "type": "select",
                            "label": {"vi": "Thủ tục hành chính", "en": "Administrative procedure"},
                            "required": True,
                            "options": [
                                {
                                    "value": p.code,
                                    "label": {
                                        "vi": f"{p.code} · {p.name}",
                                        "en": f"{p.code} · {p.name}",
                                    },
                                }
                                for p in procedures
                            ],
                        }
                    ],
                }
            ],
        }
    )
    return chooser.model_copy(update={"sections": [*chooser.sections, *applicant_form.sections]})
