"""The `motcua` command: serve the portal, migrate the database, load and move catalogs."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.accounts.demo import load_demo_accounts
from app.catalog.importing import export_catalog, import_catalog, load_demo, parse_catalog_text
from app.catalog.schemas import ImportReport
from app.config import get_settings
from app.errors import PortalError
from app.worker import runner

T = TypeVar("T")

cli = typer.Typer(help="Một cửa: cổng dịch vụ công trực tuyến / online public services portal.")
db_cli = typer.Typer(help="Database schema.")
catalog_cli = typer.Typer(help="Procedure catalog files.")
cli.add_typer(db_cli, name="db")
cli.add_typer(catalog_cli, name="catalog")


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
        try:
            if once:
                report = await runner.drain(database.unit_of_work, settings)
                typer.echo(
                    f"Đã gửi {report.delivered}, sẽ thử lại {report.retried}, "
                    f"thất bại {report.failed} / delivered {report.delivered}, "
                    f"to retry {report.retried}, failed {report.failed}"
                )
            else:
                await runner.run(database.unit_of_work, settings)
        finally:
            await database.dispose()

    asyncio.run(work())


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


def main() -> None:
    """Entry point of the `motcua` console script."""
    cli()
