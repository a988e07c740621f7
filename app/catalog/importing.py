"""Catalog import (all-or-nothing, idempotent by codes) and export, in the catalog file format."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import repository
from app.catalog.schemas import AgencyIn, CatalogFile, FieldIn, ImportReport, ProcedureIn
from app.errors import InvalidInput, ProblemList
from app.forms import DefinitionError, lint, parse_definition
from app.kit.text import fold
from app.models.catalog import Agency, Field, Procedure, ProcedureVersion
from app.payments.fees import fee_variables

DEMO_CATALOG = Path(__file__).parent / "demo" / "catalog.yaml"

_PYDANTIC_MESSAGES_VI = {
    "missing": "Thiếu mục bắt buộc",
    "extra_forbidden": "Mục không được hỗ trợ",
    "string_pattern_mismatch": "Sai định dạng",
    "enum": "Giá trị không nằm trong danh sách cho phép",
    "literal_error": "Giá trị không nằm trong danh sách cho phép",
    "too_short": "Quá ngắn hoặc trống",
    "string_too_short": "Quá ngắn hoặc trống",
}


def parse_catalog_text(text: str, name: str) -> Any:
    """The data of a catalog file: JSON for .json names, YAML otherwise."""
    try:
        if name.lower().endswith(".json"):
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(
            f"Không đọc được tệp danh mục {name}: {exc}",
            message_en=f"Cannot read catalog file {name}: {exc}",
        ) from exc


def _location(loc: Sequence[int | str], raw: Any) -> str:
    text = ""
    node = raw
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, Mapping) and isinstance(node.get("code"), str):
                text += f" ({node['code']})"
        else:
            text += f".{part}" if text else part
            node = node.get(part) if isinstance(node, Mapping) else None
    return text or "(tệp)"


def _validation_problems(error: ValidationError, raw: Any, problems: ProblemList) -> None:
    for item in error.errors():
        vi = _PYDANTIC_MESSAGES_VI.get(item["type"], "Giá trị không hợp lệ")
        problems.add(_location(item["loc"], raw), f"{vi} ({item['msg']})", item["msg"])


def _duplicates(codes: Sequence[str]) -> list[str]:
    return [code for code, seen in Counter(codes).items() if seen > 1]


async def _check_references(
    session: AsyncSession, catalog: CatalogFile, raw: Any, problems: ProblemList
) -> None:
    for section, codes in (
        ("agencies", [a.code for a in catalog.agencies]),
        ("fields", [f.code for f in catalog.fields]),
        ("procedures", [p.code for p in catalog.procedures]),
    ):
        for code in _duplicates(codes):
            problems.add(section, f"Mã {code} lặp lại", f"Code {code} appears more than once")

    agency_codes = {a.code for a in catalog.agencies}
    agency_codes |= set(
        await repository.agencies_by_code(
            session,
            sorted(
                {a.parent for a in catalog.agencies if a.parent}
                | {code for p in catalog.procedures for code in p.agencies}
                | {
                    code
                    for p in catalog.procedures
                    if p.workflow
                    for code in p.workflow.coordinating_agencies()
                }
            ),
        )
    )
    field_codes = {f.code for f in catalog.fields}
    field_codes |= set(
        await repository.fields_by_code(session, sorted({p.field for p in catalog.procedures}))
    )

    for index, agency in enumerate(catalog.agencies):
        where = _location(("agencies", index), raw)
        if agency.parent == agency.code:
            problems.add(
                f"{where}.parent",
                "Cơ quan không thể là cấp trên của chính nó",
                "An agency cannot be its own parent",
            )
        elif agency.parent and agency.parent not in agency_codes:
            problems.add(
                f"{where}.parent",
                f"Không có cơ quan mã {agency.parent}",
                f"No agency with code {agency.parent}",
            )

    for index, procedure in enumerate(catalog.procedures):
        where = _location(("procedures", index), raw)
        if procedure.field not in field_codes:
            problems.add(
                f"{where}.field",
                f"Không có lĩnh vực mã {procedure.field}",
                f"No field with code {procedure.field}",
            )
        for position, code in enumerate(procedure.agencies):
            if code not in agency_codes:
                problems.add(
                    f"{where}.agencies[{position}]",
                    f"Không có cơ quan mã {code}",
                    f"No agency with code {code}",
                )
        if procedure.workflow:
            for position, step in enumerate(procedure.workflow.steps):
                if step.agency and step.agency not in agency_codes:
                    problems.add(
                        f"{where}.workflow.steps[{position}].agency",
                        f"Không có cơ quan mã {step.agency}",
                        f"No agency with code {step.agency}",
                    )
        document_codes = [d.code for d in procedure.documents]
        for code in _duplicates(document_codes):
            problems.add(
                f"{where}.documents",
                f"Mã giấy tờ {code} lặp lại",
                f"Document code {code} appears more than once",
            )
        try:
            definition = parse_definition(procedure.form)
        except DefinitionError as exc:
            for problem in exc.problems:
                problems.add(f"{where}.form.{problem.location}", problem.message)
            continue
        for problem in lint(definition, known_documents=document_codes):
            problems.add(f"{where}.form.{problem.location}", problem.message)
        keys = {f.key for f in definition.fields}
        for index, fee in enumerate(procedure.fees):
            for name in fee_variables(fee):
                if name.split(".", 1)[0] not in keys:
                    problems.add(
                        f"{where}.fees[{index}]",
                        f"Biểu mẫu không có trường {name}",
                        f"The form has no field {name}",
                    )


def _search_texts(procedure: ProcedureIn, field_name: str) -> tuple[str, str]:
    name = f" {fold(procedure.name)} "
    everything = " ".join((procedure.name, procedure.code, field_name, procedure.result))
    return name, f" {fold(everything)} "


def _assign(target: Any, values: Mapping[str, Any]) -> bool:
    """Set attributes that differ; tell whether any did."""
    changed = False
    for key, value in values.items():
        if getattr(target, key) != value:
            setattr(target, key, value)
            changed = True
    return changed


def _plain(value: Any) -> Any:
    """The value as JSON would give it back, so stored and incoming documents compare equal."""
    return json.loads(json.dumps(value))


async def import_catalog(session: AsyncSession, raw: Any) -> ImportReport:
    """Check the whole catalog, then create or update by code; refuse it all on any problem."""
    problems = ProblemList()
    try:
        catalog = CatalogFile.model_validate(raw)
    except ValidationError as exc:
        _validation_problems(exc, raw, problems)
        raise InvalidInput(
            "Tệp danh mục có lỗi; chưa có gì được ghi.",
            message_en="The catalog file has errors; nothing was written.",
            problems=problems.items,
        ) from exc
    await _check_references(session, catalog, raw, problems)
    if problems:
        raise InvalidInput(
            "Tệp danh mục có lỗi; chưa có gì được ghi.",
            message_en="The catalog file has errors; nothing was written.",
            problems=problems.items,
        )

    report = ImportReport()
    agencies = await _upsert_agencies(session, catalog.agencies, report)
    fields = await _upsert_fields(session, catalog.fields, report)
    await _upsert_procedures(session, catalog.procedures, agencies, fields, report)
    await session.flush()
    return report


def _count(report: ImportReport, *, created: bool, changed: bool) -> None:
    if created:
        report.created += 1
    elif changed:
        report.updated += 1
    else:
        report.unchanged += 1


async def _upsert_agencies(
    session: AsyncSession, items: Sequence[AgencyIn], report: ImportReport
) -> dict[str, Agency]:
    wanted = sorted({a.code for a in items} | {a.parent for a in items if a.parent})
    known = await repository.agencies_by_code(session, wanted)
    for item in items:
        agency = known.get(item.code)
        created = agency is None
        if agency is None:
            agency = Agency(code=item.code)
            session.add(agency)
            known[item.code] = agency
        changed = _assign(
            agency,
            {
                "name": item.name,
                "level": item.level.value,
                "address": item.address,
                "phone": item.phone,
            },
        )
        _count(report, created=created, changed=changed)
    await session.flush()
    for item in items:
        parent_id = known[item.parent].id if item.parent else None
        if known[item.code].parent_id != parent_id:
            known[item.code].parent_id = parent_id
    return known


async def _upsert_fields(
    session: AsyncSession, items: Sequence[FieldIn], report: ImportReport
) -> dict[str, Field]:
    known = await repository.fields_by_code(session, [f.code for f in items])
    for item in items:
        field = known.get(item.code)
        created = field is None
        if field is None:
            field = Field(code=item.code)
            session.add(field)
            known[item.code] = field
        _count(report, created=created, changed=_assign(field, {"name": item.name}))
    await session.flush()
    return known


async def _upsert_procedures(
    session: AsyncSession,
    items: Sequence[ProcedureIn],
    agencies: dict[str, Agency],
    fields: dict[str, Field],
    report: ImportReport,
) -> None:
    codes = [p.code for p in items]
    known = await repository.procedures_by_code(session, codes)
    missing_agencies = sorted({c for p in items for c in p.agencies} - set(agencies))
    agencies = {**agencies, **await repository.agencies_by_code(session, missing_agencies)}
    missing_fields = sorted({p.field for p in items} - set(fields))
    fields = {**fields, **await repository.fields_by_code(session, missing_fields)}
    versions = await repository.latest_versions(session, [p.id for p in known.values()])

    for item in items:
        procedure = known.get(item.code)
        created = procedure is None
        if procedure is None:
            procedure = Procedure(code=item.code, agencies=[])
            session.add(procedure)
        field = fields[item.field]
        name_folded, search_text = _search_texts(item, field.name)
        search_changed = created or procedure.search_text != search_text
        changed = _assign(
            procedure,
            {
                "name": item.name,
                "field_id": field.id,
                "levels": " ".join(level.value for level in item.levels),
                "description": item.description,
                "applicants": item.applicants,
                "legal_days": Decimal(item.legal_days),
                "committed_days": Decimal(item.committed_days),
                "fees": [fee.model_dump(mode="json", exclude_defaults=True) for fee in item.fees],
                "payment_stage": item.payment.value if item.payment else None,
                "result": item.result,
                "legal_basis": list(item.legal_basis),
                "online_level": item.online_level.value,
                "postal_allowed": item.postal,
                "published": item.published,
                "name_folded": name_folded,
                "search_text": search_text,
            },
        )
        handled_by = [agencies[code] for code in dict.fromkeys(item.agencies)]
        if created or {a.code for a in procedure.agencies} != {a.code for a in handled_by}:
            procedure.agencies = handled_by
            changed = True
        await session.flush()
        if search_changed:
            await repository.replace_search_words(session, procedure.id, search_text.split())

        documents = _plain([d.model_dump(mode="json") for d in item.documents])
        form = _plain(item.form)
        workflow = _plain(item.workflow.model_dump(mode="json")) if item.workflow else {}
        latest = versions.get(procedure.id)
        if (
            latest is None
            or latest.documents != documents
            or latest.form != form
            or latest.workflow != workflow
        ):
            number = latest.number + 1 if latest else 1
            session.add(
                ProcedureVersion(
                    procedure_id=procedure.id,
                    number=number,
                    documents=documents,
                    form=form,
                    workflow=workflow,
                )
            )
            report.new_versions += 1
            changed = True
        _count(report, created=created, changed=changed)


async def export_catalog(session: AsyncSession) -> dict[str, Any]:
    """The whole catalog in the import format; importing it back changes nothing."""
    agencies = await repository.list_agencies(session)
    fields = await repository.all_fields(session)
    procedures = await repository.all_procedures(session)
    versions = await repository.latest_versions(session, [p.id for p in procedures])
    return {
        "format": 1,
        "agencies": [
            {
                "code": a.code,
                "name": a.name,
                "level": a.level,
                "parent": a.parent.code if a.parent else None,
                "address": a.address,
                "phone": a.phone,
            }
            for a in agencies
        ],
        "fields": [{"code": f.code, "name": f.name} for f in fields],
        "procedures": [
            {
                "code": p.code,
                "name": p.name,
                "field": p.field.code,
                "levels": p.level_list,
                "agencies": [a.code for a in p.agencies],
                "description": p.description,
                "applicants": p.applicants,
                "legal_days": _days(p.legal_days),
                "committed_days": _days(p.committed_days),
                "fees": p.fees,
                "payment": p.payment_stage,
                "documents": versions[p.id].documents if p.id in versions else [],
                "result": p.result,
                "legal_basis": p.legal_basis,
                "online_level": p.online_level,
                "postal": p.postal_allowed,
                "published": p.published,
                "form": versions[p.id].form if p.id in versions else {},
                "workflow": (versions[p.id].workflow or None) if p.id in versions else None,
            }
            for p in procedures
        ],
    }


def _days(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


async def load_demo(session: AsyncSession) -> ImportReport:
    """Load the demo province catalog shipped with the portal (safe to run again)."""
    text = DEMO_CATALOG.read_text(encoding="utf-8")
    return await import_catalog(session, parse_catalog_text(text, DEMO_CATALOG.name))
