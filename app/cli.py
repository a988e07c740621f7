"""The `motcua` command: serve the portal, migrate the database, load and move catalogs."""

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
from app.accounts import api_keys
from app.accounts.demo import load_demo_accounts
from app.accounts.schemas import ApiKeyOut
from app.catalog.importing import export_catalog, import_catalog, load_demo, parse_catalog_text
from app.catalog.schemas import ImportReport
from app.config import get_settings
from app.dossiers.tasks import CleanupReport
from app.errors import PortalError
from app.storage import storage_from_url
from app.worker import runner

T = TypeVar("T")

cli = typer.Typer(help="Một cửa: cổng dịch vụ công trực tuyến / online public services portal.")
db_cli = typer.Typer(help="Database schema.")
catalog_cli = typer.Typer(help="Procedure catalog files.")
apikeys_cli = typer.Typer(help="API keys of enterprises, for their software.")
cli.add_typer(db_cli, name="db")
cli.add_typer(catalog_cli, name="catalog")
cli.add_typer(apikeys_cli, name="apikeys")


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
                database.unit_of_work, storage, grace=timedelta(minutes=grace_minutes)
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

    async def work(session: AsyncSession) -> tuple[ImportReport, int]:
        return await load_demo(session), await load_demo_accounts(session)

    report, accounts = _in_unit_of_work(work)
    _report(report.created, report.updated, report.unchanged, report.new_versions)
    typer.echo(f"Tài khoản mẫu mới: {accounts} / demo accounts created: {accounts}")


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


@apikeys_cli.command("create")
def apikeys_create(
    name: Annotated[str, typer.Option("--name", help="What the key is for, e.g. the software")],
    enterprise: Annotated[str, typer.Option("--enterprise", help="Tax code of the enterprise")],
    scopes: Annotated[
        str,
        typer.Option("--scopes", help=f"Comma-separated, among: {','.join(api_keys.KNOWN_SCOPES)}"),
    ],
) -> None:
    """Create an API key; the key itself is printed once, alone on the last line."""

    async def work(session: AsyncSession) -> tuple[ApiKeyOut, str]:
        return await api_keys.create_api_key(
            session, enterprise_tax_code=enterprise, name=name, scopes=scopes.split(",")
        )

    key, raw_key = _in_unit_of_work(work)
    typer.echo(
        f"Đã tạo khoá API {key.prefix} ({key.name}, quyền {' '.join(key.scopes)}) cho doanh "
        f"nghiệp {key.enterprise_tax_code}; hãy lưu khoá dưới đây, nó sẽ không được hiển thị lại."
    )
    typer.echo(
        f"Created API key {key.prefix} ({key.name}, scopes {' '.join(key.scopes)}) for "
        f"enterprise {key.enterprise_tax_code}; keep the key below, it will not be shown again."
    )
    typer.echo(raw_key)


@apikeys_cli.command("list")
def apikeys_list(
    enterprise: Annotated[str, typer.Option("--enterprise", help="Tax code of the enterprise")],
) -> None:
    """List an enterprise's API keys (never the keys themselves)."""

    async def work(session: AsyncSession) -> list[ApiKeyOut]:
        return await api_keys.list_api_keys(session, enterprise)

    keys = _in_unit_of_work(work)
    if not keys:
        typer.echo("Doanh nghiệp chưa có khoá API nào / the enterprise has no API keys")
        return
    rows = [("PREFIX", "NAME", "SCOPES", "CREATED", "LAST USED", "REVOKED")]
    # Shown with the key's mark, so a prefix that begins with "-" is never read as an option.
    rows += [
        (
            f"{api_keys.KEY_MARK}{key.prefix}",
            key.name,
            ",".join(key.scopes),
            _when(key.created_at),
            _when(key.last_used_at),
            _when(key.revoked_at),
        )
        for key in keys
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        typer.echo("  ".join(cells).rstrip())


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


def main() -> None:
    """Entry point of the `motcua` console script."""
    cli()
