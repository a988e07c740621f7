"""The `motcua` command: serve the portal, migrate the database, load and move catalogs, manage
officials, units and API keys."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.accounts import api_keys, officials
from app.accounts.demo import load_demo_accounts
from app.accounts.errors import AgencyNotFound
from app.accounts.schemas import ApiKeyOut, OfficialOut, UnitOut
from app.audit import service as audit
from app.audit.schemas import AuditReport
from app.catalog import service as catalog
from app.catalog.importing import export_catalog, import_catalog, load_demo, parse_catalog_text
from app.catalog.schemas import AgencyKey, ImportReport
from app.config import get_settings
from app.documents import service as documents
from app.dossiers.tasks import CleanupReport
from app.errors import PortalError
from app.storage import storage_from_url
from app.worker import runner

T = TypeVar("T")

cli = typer.Typer(help="Một cửa: cổng dịch vụ công trực tuyến / online public services portal.")
db_cli = typer.Typer(help="Database schema.")
catalog_cli = typer.Typer(help="Procedure catalog files.")
apikeys_cli = typer.Typer(help="API keys of enterprises and agencies, for their software.")
users_cli = typer.Typer(help="Officials of agencies.")
units_cli = typer.Typer(help="Units (phòng, bộ phận) of agencies.")
audit_cli = typer.Typer(help="The audit trail (nhật ký kiểm tra).")
cli.add_typer(db_cli, name="db")
cli.add_typer(catalog_cli, name="catalog")
cli.add_typer(apikeys_cli, name="apikeys")
cli.add_typer(users_cli, name="users")
cli.add_typer(units_cli, name="units")
cli.add_typer(audit_cli, name="audit")


def _in_unit_of_work(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        database = db.Database(get_settings().database_url)
        try:
            async with database.unit_of_work() as session:
                return await work(session)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except PortalError as exc:
        typer.echo(f"{exc.message}\n{exc.message_en}", err=True)
        for problem in exc.problems:
            english = f" / {problem.message_en}" if problem.message_en else ""
            typer.echo(f"  {problem.location}: {problem.message}{english}", err=True)
        raise typer.Exit(1) from exc


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the portal (pages and API) over HTTP."""
    get_settings()  # refuse a bad configuration before binding the port
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
    )


@cli.command()
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due now, then exit")
    ] = False,
) -> None:
    """Deliver the outbox (e-mails...) until SIGTERM or SIGINT."""
    settings = get_settings()

    async def work() -> None:
        database = db.Database(settings.database_url)
        storage = storage_from_url(settings.storage_url)
        try:
            if once:
                report = await runner.drain(database.unit_of_work, settings, storage=storage)
                typer.echo(
                    f"Đã gửi {report.delivered}, sẽ thử lại {report.retried}, "
                    f"thất bại {report.failed} / delivered {report.delivered}, "
                    f"to retry {report.retried}, failed {report.failed}"
                )
            else:
                await runner.run(database.unit_of_work, settings)
        finally:
            await storage.aclose()
            await database.dispose()

    asyncio.run(work())


@cli.command()
def cleanup(
    grace_minutes: Annotated[
        int, typer.Option(help="Leave stray files younger than this alone", min=0)
    ] = 24 * 60,
) -> None:
    """Run the housekeeping jobs once: expired drafts and uploads, stray files, old sessions."""
    settings = get_settings()

    async def work() -> CleanupReport:
        database = db.Database(settings.database_url)
        storage = storage_from_url(settings.storage_url)
        try:
            return await runner.housekeeping(
                database.unit_of_work, storage, settings, grace=timedelta(minutes=grace_minutes)
            )
        finally:
            await storage.aclose()
            await database.dispose()

    report = asyncio.run(work())
    typer.echo(
        f"Đã xoá {report.drafts} bản nháp, {report.uploads} lượt tải dở, {report.stray_files} tệp"
        f" thừa / deleted {report.drafts} drafts, {report.uploads} unfinished uploads,"
        f" {report.stray_files} stray files"
    )


@db_cli.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Apply the migrations up to the newest (or the given) revision."""
    db.upgrade(get_settings().database_url, revision)
    typer.echo(f"Cơ sở dữ liệu đã ở phiên bản {revision} / database at {revision}")


def _report(created: int, updated: int, unchanged: int, new_versions: int) -> None:
    typer.echo(
        f"Tạo mới {created}, cập nhật {updated}, không đổi {unchanged}, "
        f"phiên bản biểu mẫu mới {new_versions} / created {created}, updated {updated}, "
        f"unchanged {unchanged}, new form versions {new_versions}"
    )


@cli.command()
def demo() -> None:
    """Load the demo province catalog and demo accounts (safe to run again: it changes nothing)."""

    settings = get_settings()

    async def work(session: AsyncSession) -> tuple[ImportReport, int, int]:
        report = await load_demo(session)
        accounts = await load_demo_accounts(session)
        return report, accounts, await documents.load_demo_signing_keys(session, settings)

    report, accounts, keys = _in_unit_of_work(work)
    _report(report.created, report.updated, report.unchanged, report.new_versions)
    typer.echo(f"Tài khoản mẫu mới: {accounts} / demo accounts created: {accounts}")
    typer.echo(f"Khoá ký số mẫu mới (CA mẫu): {keys} / demo signing keys created (demo CA): {keys}")


@catalog_cli.command("import")
def catalog_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Import a catalog file (YAML or JSON): all of it, or nothing if any problem is found."""
    text = file.read_bytes().decode("utf-8", errors="replace")

    async def work(session: AsyncSession) -> Any:
        return await import_catalog(session, parse_catalog_text(text, file.name))

    report = _in_unit_of_work(work)
    _report(report.created, report.updated, report.unchanged, report.new_versions)


@catalog_cli.command("export")
def catalog_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (.yaml or .json)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of YAML")] = False,
) -> None:
    """Write the whole catalog in the import format."""
    data = _in_unit_of_work(export_catalog)
    use_json = as_json or (output is not None and output.suffix.lower() == ".json")
    if use_json:
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    else:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def _table(rows: list[tuple[str, ...]]) -> None:
    """Rows in aligned columns, the first row being the heading."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        typer.echo("  ".join(cells).rstrip())


def _split(values: str) -> list[str]:
    return [value.strip() for value in values.split(",")]


async def _agency(session: AsyncSession, code: str) -> AgencyKey:
    agency = await catalog.agency_by_code(session, code)
    if agency is None:
        raise AgencyNotFound(code.strip())
    return agency


EnterpriseOption = Annotated[
    str | None, typer.Option("--enterprise", help="Tax code of the enterprise")
]
AgencyOption = Annotated[str | None, typer.Option("--agency", help="Code of the agency")]


@apikeys_cli.command("create")
def apikeys_create(
    name: Annotated[str, typer.Option("--name", help="What the key is for, e.g. the software")],
    scopes: Annotated[
        str,
        typer.Option(
            "--scopes",
            help=f"Comma-separated: {','.join(api_keys.ENTERPRISE_SCOPES)} for an enterprise, "
            f"{','.join(api_keys.AGENCY_SCOPES)} for an agency",
        ),
    ],
    enterprise: EnterpriseOption = None,
    agency: AgencyOption = None,
) -> None:
    """Create an API key for an enterprise or an agency (give one); the key itself is printed
    once, alone on the last line."""

    async def work(session: AsyncSession) -> tuple[ApiKeyOut, str]:
        return await api_keys.create_api_key(
            session,
            name=name,
            scopes=_split(scopes),
            enterprise_tax_code=enterprise,
            agency_code=agency,
        )

    key, raw_key = _in_unit_of_work(work)
    if key.enterprise_tax_code is not None:
        owner_vi, owner_en = f"doanh nghiệp {key.enterprise_tax_code}", "enterprise"
    else:
        owner_vi, owner_en = f"cơ quan {key.agency_code}", "agency"
    typer.echo(
        f"Đã tạo khoá API {key.prefix} ({key.name}, quyền {' '.join(key.scopes)}) cho "
        f"{owner_vi}; hãy lưu khoá dưới đây, nó sẽ không được hiển thị lại."
    )
    typer.echo(
        f"Created API key {key.prefix} ({key.name}, scopes {' '.join(key.scopes)}) for "
        f"{owner_en} {key.enterprise_tax_code or key.agency_code}; keep the key below, it will "
        "not be shown again."
    )
    typer.echo(raw_key)


@apikeys_cli.command("list")
def apikeys_list(enterprise: EnterpriseOption = None, agency: AgencyOption = None) -> None:
    """List the API keys of an enterprise or of an agency (never the keys themselves)."""

    async def work(session: AsyncSession) -> list[ApiKeyOut]:
        return await api_keys.list_api_keys(session, enterprise, agency_code=agency)

    keys = _in_unit_of_work(work)
    if not keys:
        typer.echo("Chưa có khoá API nào / there are no API keys")
        return
    # Shown with the key's mark, so a prefix that begins with "-" is never read as an option.
    _table(
        [
            ("PREFIX", "NAME", "SCOPES", "CREATED", "LAST USED", "REVOKED"),
            *(
                (
                    f"{api_keys.KEY_MARK}{key.prefix}",
                    key.name,
                    ",".join(key.scopes),
                    _when(key.created_at),
                    _when(key.last_used_at),
                    _when(key.revoked_at),
                )
                for key in keys
            ),
        ]
    )


@apikeys_cli.command("revoke")
def apikeys_revoke(
    prefix: Annotated[
        str, typer.Argument(help="The key's prefix, as `apikeys list` shows it (mck_…)")
    ],
) -> None:
    """Revoke an API key: requests with it are refused from now on."""

    async def work(session: AsyncSession) -> ApiKeyOut:
        return await api_keys.revoke_api_key(session, prefix)

    key = _in_unit_of_work(work)
    typer.echo(
        f"Đã thu hồi khoá API {key.prefix} ({key.name}) / API key {key.prefix} ({key.name}) revoked"
    )


@users_cli.command("create-official")
def users_create_official(
    email: Annotated[str, typer.Option("--email", help="The official's e-mail, to sign in")],
    password: Annotated[str, typer.Option("--password", help="At least 8 characters")],
    agency: Annotated[str, typer.Option("--agency", help="Code of the agency")],
    roles: Annotated[
        str,
        typer.Option("--roles", help=f"Comma-separated, among: {','.join(officials.ROLES)}"),
    ],
    name: Annotated[str, typer.Option("--name", help="Full name")] = "",
    unit: Annotated[str | None, typer.Option("--unit", help="Code of a unit of the agency")] = None,
    title: Annotated[str, typer.Option("--title", help="Title, e.g. Chuyên viên")] = "",
) -> None:
    """Create an official of an agency, with its roles and unit."""

    async def work(session: AsyncSession) -> OfficialOut:
        return await officials.create_official(
            session,
            email=email,
            password=password,
            full_name=name,
            agency_code=agency,
            roles=_split(roles),
            unit_code=unit,
            title=title,
        )

    official = _in_unit_of_work(work)
    roles_text = ",".join(official.roles)
    typer.echo(
        f"Đã tạo cán bộ {official.email} ({roles_text}) của {official.agency_name} / "
        f"official {official.email} ({roles_text}) created in agency {official.agency_code}"
    )


@users_cli.command("list")
def users_list(agency: Annotated[str, typer.Option("--agency", help="Code of the agency")]) -> None:
    """List the officials of an agency: e-mail, name, roles, unit, title, status."""

    async def work(session: AsyncSession) -> list[OfficialOut]:
        return await officials.list_officials(session, (await _agency(session, agency)).id)

    found = _in_unit_of_work(work)
    if not found:
        typer.echo("Cơ quan chưa có cán bộ nào / the agency has no officials")
        return
    _table(
        [
            ("EMAIL", "NAME", "ROLES", "UNIT", "TITLE", "STATUS"),
            *(
                (
                    o.email,
                    o.full_name,
                    ",".join(o.roles),
                    o.unit_code or "-",
                    o.title or "-",
                    "disabled" if o.disabled else "active",
                )
                for o in found
            ),
        ]
    )


@units_cli.command("create")
def units_create(
    agency: Annotated[str, typer.Option("--agency", help="Code of the agency")],
    code: Annotated[str, typer.Option("--code", help="Letters, digits and . _ -")],
    name: Annotated[str, typer.Option("--name", help="e.g. Bộ phận Một cửa")],
) -> None:
    """Create a unit of an agency."""

    async def work(session: AsyncSession) -> UnitOut:
        return await officials.create_unit(session, agency, code, name)

    unit = _in_unit_of_work(work)
    typer.echo(f"Đã tạo đơn vị {unit.code} ({unit.name}) / unit {unit.code} ({unit.name}) created")


@units_cli.command("list")
def units_list(agency: Annotated[str, typer.Option("--agency", help="Code of the agency")]) -> None:
    """List the units of an agency."""

    async def work(session: AsyncSession) -> list[UnitOut]:
        return await officials.list_units(session, (await _agency(session, agency)).id)

    units = _in_unit_of_work(work)
    if not units:
        typer.echo("Cơ quan chưa có đơn vị nào / the agency has no units")
        return
    _table([("CODE", "NAME"), *((unit.code, unit.name) for unit in units)])


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the whole audit trail and check its hash chain; exit 1 at the first broken row."""

    async def work(session: AsyncSession) -> AuditReport:
        return await audit.verify(session)

    report = _in_unit_of_work(work)
    typer.echo(str(report))
    raise typer.Exit(0 if report.ok else 1)


def main() -> None:
    """Entry point of the `motcua` console script."""
    cli()
