from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import service
from app.catalog.importing import export_catalog, import_catalog, load_demo
from app.errors import InvalidInput
from app.models import Agency, Procedure, ProcedureVersion
from app.models.catalog import ImmutableVersionError
from tests.fixtures.catalogs import AGENCY, CHILD_AGENCY, PROCEDURE, small_catalog


async def _count(session: AsyncSession, model: type) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_import_creates_then_changes_nothing(db_session: AsyncSession) -> None:
    first = await import_catalog(db_session, small_catalog())
    assert (first.created, first.new_versions) == (4, 1)
    again = await import_catalog(db_session, small_catalog())
    assert (again.created, again.updated, again.unchanged, again.new_versions) == (0, 0, 4, 0)
    detail = await service.get_procedure(db_session, PROCEDURE)
    assert detail.committed_days == 3
    assert [a.code for a in detail.agencies] == [CHILD_AGENCY]
    assert detail.documents[0].name == "Tờ khai"


async def test_demo_loads_twice_without_change(db_session: AsyncSession) -> None:
    report = await load_demo(db_session)
    assert report.created == 0 and report.updated == 0 and report.new_versions == 0
    assert await _count(db_session, Procedure) >= 12


async def test_new_form_makes_a_new_version_and_keeps_the_old(db_session: AsyncSession) -> None:
    await import_catalog(db_session, small_catalog())
    changed = small_catalog()
    fields = changed["procedures"][0]["form"]["sections"][0]["fields"]
    fields.append({"key": "phone", "type": "phone", "label": "Số điện thoại"})
    report = await import_catalog(db_session, changed)
    assert report.new_versions == 1 and report.updated == 1

    current = await service.get_form(db_session, PROCEDURE)
    old = await service.get_form(db_session, PROCEDURE, version=1)
    assert current.version == 2
    assert [f["key"] for f in current.definition["sections"][0]["fields"]][-1] == "phone"
    assert "phone" not in str(old.definition)


async def test_a_written_version_cannot_be_changed(db_session: AsyncSession) -> None:
    await import_catalog(db_session, small_catalog())
    version = (await db_session.execute(select(ProcedureVersion))).scalars().first()
    assert version is not None
    version.form = {"format": 1, "sections": []}
    with pytest.raises(ImmutableVersionError):
        await db_session.flush()


async def test_every_problem_is_listed_and_nothing_is_written(db_session: AsyncSession) -> None:
    before = await _count(db_session, Agency)
    bad = small_catalog()
    bad["agencies"].append({"code": "H26", "name": "Sai mã", "level": "province"})
    bad["procedures"][0]["field"] = "NOPE"
    bad["procedures"][0]["agencies"] = ["000.00.98.H98"]
    bad["procedures"][0]["form"]["sections"][0]["fields"][1]["document"] = "missing_doc"
    with pytest.raises(InvalidInput) as caught:
        await import_catalog(db_session, bad)
    locations = [p.location for p in caught.value.problems]
    assert any(loc.startswith("agencies[2]") and loc.endswith(".code") for loc in locations)
    # The pydantic pass stops before references; fix the code and see the rest at once.
    bad["agencies"][2]["code"] = "000.00.97.H97"
    with pytest.raises(InvalidInput) as caught:
        await import_catalog(db_session, bad)
    messages = {p.location: p.message for p in caught.value.problems}
    procedure = f"procedures[0] ({PROCEDURE})"
    assert f"{procedure}.field" in messages
    assert f"{procedure}.agencies[0]" in messages
    assert any(loc.startswith(f"{procedure}.form") for loc in messages)
    assert await _count(db_session, Agency) == before


async def test_committed_limit_cannot_exceed_the_legal_one(db_session: AsyncSession) -> None:
    bad = small_catalog()
    bad["procedures"][0]["committed_days"] = 9
    with pytest.raises(InvalidInput) as caught:
        await import_catalog(db_session, bad)
    assert caught.value.problems[0].location == f"procedures[0] ({PROCEDURE})"


async def test_agency_codes_follow_the_national_format(db_session: AsyncSession) -> None:
    bad = small_catalog()
    bad["agencies"][0]["code"] = "000.00.99.h99"
    with pytest.raises(InvalidInput):
        await import_catalog(db_session, bad)


async def test_export_then_import_changes_nothing(db_session: AsyncSession) -> None:
    await import_catalog(db_session, small_catalog())
    exported = await export_catalog(db_session)
    assert {a["code"] for a in exported["agencies"]} >= {AGENCY, CHILD_AGENCY}
    report = await import_catalog(db_session, exported)
    assert report.created == 0 and report.updated == 0 and report.new_versions == 0


def _workflow(**changes: object) -> dict[str, object]:
    steps: list[dict[str, object]] = [
        {
            "code": "receive",
            "kind": "receive",
            "name": "Tiếp nhận",
            "role": "receiver",
            "share": 10,
        },
        {
            "code": "appraise",
            "kind": "appraise",
            "name": "Thẩm định",
            "role": "specialist",
            "share": 50,
        },
        {"code": "approve", "kind": "approve", "name": "Phê duyệt", "role": "leader", "share": 20},
        {"code": "sign", "kind": "sign", "name": "Ký", "role": "leader", "share": 10},
        {"code": "return", "kind": "return", "name": "Trả", "role": "clerk", "share": 10},
    ]
    return {"steps": steps, **changes}


@pytest.mark.parametrize(
    ("change", "wanted"),
    [
        (lambda w: w["steps"][1].update(share=60), "add up to 110"),
        (lambda w: w["steps"].pop(2), "exactly one approve"),
        (lambda w: w["steps"].reverse(), "starts with its receive step"),
        (lambda w: w["steps"][3].update(role="clerk"), "is for leader"),
        (lambda w: w["steps"][2].update(code="appraise"), "more than once"),
        (lambda w: w["steps"][0].update(agency="000.00.99.H99"), "receives and returns"),
        (lambda w: w.update(supplement_clock="sometimes"), "supplement_clock"),
    ],
)
async def test_a_workflow_is_checked_at_import(
    db_session: AsyncSession, change: object, wanted: str
) -> None:
    catalog = small_catalog()
    workflow = _workflow()
    change(workflow)  # type: ignore[operator]
    catalog["procedures"][0]["workflow"] = workflow
    versions = await _count(db_session, ProcedureVersion)
    with pytest.raises(InvalidInput) as caught:
        await import_catalog(db_session, catalog)
    assert await _count(db_session, ProcedureVersion) == versions
    assert any(wanted in p.message or wanted in p.location for p in caught.value.problems), [
        (p.location, p.message) for p in caught.value.problems
    ]


async def test_a_workflow_names_only_agencies_of_the_catalog(db_session: AsyncSession) -> None:
    catalog = small_catalog()
    workflow = _workflow()
    workflow["steps"][1]["agency"] = "000.09.99.H99"  # type: ignore[index]
    catalog["procedures"][0]["workflow"] = workflow
    with pytest.raises(InvalidInput) as caught:
        await import_catalog(db_session, catalog)
    (problem,) = caught.value.problems
    assert problem.location.endswith(".workflow.steps[1].agency")
    assert "000.09.99.H99" in problem.message


async def test_a_changed_workflow_makes_a_new_version(db_session: AsyncSession) -> None:
    catalog = small_catalog()
    await import_catalog(db_session, catalog)
    catalog["procedures"][0]["workflow"] = _workflow(auto_receive=True)
    report = await import_catalog(db_session, catalog)
    assert report.new_versions == 1
    target = await service.filing_target(db_session, PROCEDURE)
    assert target.workflow.auto_receive is True
    exported = await export_catalog(db_session)
    assert await import_catalog(db_session, exported) is not None
    again = await import_catalog(db_session, catalog)
    assert again.new_versions == 0
