"""The `motcua` command: serve the portal, migrate the database, load and move catalogs, manage
officials, units and API keys."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
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
from app.errors import PortalError, ProblemList
from app.kit.clock import aware
from app.kit.pagination import PAGE_MAX
from app.models.calendar import DayKind
from app.payments import tasks as payment_tasks
from app.processing import calendar_service, delegations
from app.processing.calendar_schemas import CalendarDayOut
from app.processing.calendar_service import CalendarDayInvalid
from app.processing.delegation_schemas import DelegationOut
from app.stats import service as stats
from app.stats import tasks as stats_tasks
from app.storage import storage_from_url
from app.webhooks import national
from app.webhooks import service as webhooks
from app.webhooks.delivery import deliver_due
from app.webhooks.schemas import DeliveryOut, DeliveryPage, ReplayOut, SubscriptionOut
from app.worker import runner

T = TypeVar("T")

cli = typer.Typer(help="Một cửa: cổng dịch vụ công trực tuyến / online public services portal.")
db_cli = typer.Typer(help="Database schema.")
catalog_cli = typer.Typer(help="Procedure catalog files.")
apikeys_cli = typer.Typer(help="API keys of enterprises and agencies, for their software.")
users_cli = typer.Typer(help="Officials of agencies.")
units_cli = typer.Typer(help="Units (phòng, bộ phận) of agencies.")
audit_cli = typer.Typer(help="The audit trail (nhật ký kiểm tra).")
calendar_cli = typer.Typer(help="The province's working calendar (lịch làm việc).")
delegations_cli = typer.Typer(help="Delegations (ủy quyền) of agencies' decisions.")
webhooks_cli = typer.Typer(help="Callbacks (webhooks) of every enterprise and agency.")
cli.add_typer(db_cli, name="db")
cli.add_typer(catalog_cli, name="catalog")
cli.add_typer(apikeys_cli, name="apikeys")
cli.add_typer(users_cli, name="users")
cli.add_typer(units_cli, name="units")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(calendar_cli, name="calendar")
cli.add_typer(delegations_cli, name="delegations")
cli.add_typer(webhooks_cli, name="webhooks")


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
    """Deliver the outbox (e-mails...) and the signed callbacks until SIGTERM or SIGINT."""
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
                async with database.unit_of_work() as session:
                    await national.sync_subscription(session, settings)
                calls = await deliver_due(database.unit_of_work, settings)
                typer.echo(
                    f"Callback: đã gửi {calls.delivered}, sẽ thử lại {calls.retried}, "
                    f"thất bại {calls.failed} / delivered {calls.delivered}, "
                    f"to retry {calls.retried}, failed {calls.failed}"
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
    expires_days: Annotated[
        int | None,
        typer.Option(
            "--expires-days", min=1, help="Days until the key expires; never if not given"
        ),
    ] = None,
    rate_limit: Annotated[
        int | None,
        typer.Option(
            "--rate-limit",
            min=1,
            help="Requests a minute; the portal's MOTCUA_API_RATE_LIMIT if not given",
        ),
    ] = None,
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
            expires_at=api_keys.after_days(expires_days) if expires_days else None,
            rate_limit=rate_limit,
        )

    key, raw_key = _in_unit_of_work(work)
    if key.enterprise_tax_code is not None:
        owner_vi, owner_en = f"doanh nghiệp {key.enterprise_tax_code}", "enterprise"
    else:
        owner_vi, owner_en = f"cơ quan {key.agency_code}", "agency"
    typer.echo(
        f"Đã tạo khoá API {key.prefix} ({key.name}, quyền {' '.join(key.scopes)}, "
        f"hết hạn {_when(key.expires_at)}) cho {owner_vi}; hãy lưu khoá dưới đây, nó sẽ "
        "không được hiển thị lại."
    )
    typer.echo(
        f"Created API key {key.prefix} ({key.name}, scopes {' '.join(key.scopes)}, expires "
        f"{_when(key.expires_at)}) for {owner_en} {key.enterprise_tax_code or key.agency_code}; "
        "keep the key below, it will not be shown again."
    )
    typer.echo(raw_key)


@apikeys_cli.command("list")
def apikeys_list(enterprise: EnterpriseOption = None, agency: AgencyOption = None) -> None:
    """List the API keys of an enterprise or of an agency (never the keys themselves); a limit
    marked * is the portal's default."""

    async def work(session: AsyncSession) -> list[ApiKeyOut]:
        return await api_keys.list_api_keys(session, enterprise, agency_code=agency)

    settings = get_settings()
    keys = _in_unit_of_work(work)
    if not keys:
        typer.echo("Chưa có khoá API nào / there are no API keys")
        return
    # Shown with the key's mark, so a prefix that begins with "-" is never read as an option.
    _table(
        [
            (
                "PREFIX",
                "NAME",
                "SCOPES",
                "CREATED",
                "LAST USED",
                "EXPIRES",
                "REVOKED",
                "PER MINUTE",
            ),
            *(
                (
                    f"{api_keys.KEY_MARK}{key.prefix}",
                    key.name,
                    ",".join(key.scopes),
                    _when(key.created_at),
                    _when(key.last_used_at),
                    _when(key.expires_at),
                    _when(key.revoked_at),
                    str(key.rate_limit) if key.rate_limit else f"{settings.api_rate_limit}*",
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


def _iso_day(text: str) -> date | None:
    """A date written YYYY-MM-DD; None for anything else."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _day_problem(text: str, problems: ProblemList) -> date | None:
    day = _iso_day(text)
    if day is None:
        problems.add(
            "day",
            f"{text!r} không phải là một ngày có thật dạng YYYY-MM-DD",
            f"{text!r} is not a real date written YYYY-MM-DD",
        )
    return day


def _day_refused(problems: ProblemList) -> CalendarDayInvalid:
    return CalendarDayInvalid(
        "Lịch làm việc không thay đổi: vui lòng sửa các lỗi dưới đây.",
        message_en="The working calendar is unchanged: please correct the errors below.",
        problems=problems.items,
    )


DayOption = Annotated[str, typer.Option("--day", help="The day, YYYY-MM-DD")]
KINDS = ", ".join(kind.value for kind in DayKind)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@calendar_cli.command("list")
def calendar_list(
    year: Annotated[
        int | None, typer.Option("--year", min=1900, max=2100, help="This year if not given")
    ] = None,
) -> None:
    """List the year's days off and days worked in exchange (seeding its statutory days the
    first time)."""
    shown = year or delegations.local_today(get_settings()).year

    async def work(session: AsyncSession) -> list[CalendarDayOut]:
        return await calendar_service.year_days(session, shown)

    days = _in_unit_of_work(work)
    if not days:
        typer.echo(
            f"Năm {shown} không có ngày nào khác lịch thứ Hai – thứ Sáu / no day of {shown}"
            " differs from the Monday-to-Friday rule"
        )
        return
    _table(
        [
            ("DAY", "WEEKDAY", "KIND", "SOURCE", "NAME"),
            *(
                (d.day.isoformat(), WEEKDAYS[d.weekday - 1], d.kind.value, d.source.value, d.name)
                for d in days
            ),
        ]
    )


@calendar_cli.command("set")
def calendar_set(
    day: DayOption,
    kind: Annotated[str, typer.Option("--kind", help=f"One of: {KINDS}")],
    name: Annotated[str, typer.Option("--name", help="e.g. Tết Nguyên Đán")],
) -> None:
    """Make a weekday a day off, or a Saturday or Sunday a working day (or change the day)."""

    async def work(session: AsyncSession) -> CalendarDayOut:
        problems = ProblemList()
        wanted_day = _day_problem(day, problems)
        wanted_kind = next((k for k in DayKind if k.value == kind.strip()), None)
        if wanted_kind is None:
            problems.add("kind", f"Loại ngày là một trong: {KINDS}", f"The kind is one of: {KINDS}")
        if wanted_day is None or wanted_kind is None:
            raise _day_refused(problems)
        return await calendar_service.set_day(session, wanted_day, wanted_kind, name)

    saved = _in_unit_of_work(work)
    shown = f"{saved.day.isoformat()} ({saved.kind.value}, {saved.name})"
    typer.echo(f"Đã lưu ngày {shown} / day {shown} saved")


@calendar_cli.command("remove")
def calendar_remove(day: DayOption) -> None:
    """Remove a day: it follows the Monday-to-Friday rule again."""

    async def work(session: AsyncSession) -> date:
        problems = ProblemList()
        wanted = _day_problem(day, problems)
        if wanted is None:
            raise _day_refused(problems)
        await calendar_service.remove_day(session, wanted)
        return wanted

    removed = _in_unit_of_work(work).isoformat()
    typer.echo(
        f"Đã xoá ngày {removed} khỏi lịch làm việc / {removed} removed from the working calendar"
    )


def _delegate(delegation: DelegationOut) -> str:
    """Who decides instead: the agency's code, and its unit's after a slash."""
    unit = f"/{delegation.to_unit_code}" if delegation.to_unit_code else ""
    return f"{delegation.to_agency_code}{unit}"


@delegations_cli.command("create")
def delegations_create(
    from_agency: Annotated[str, typer.Option("--from", help="Code of the delegating agency")],
    to_agency: Annotated[str, typer.Option("--to", help="Code of the agency deciding instead")],
    starts: Annotated[str, typer.Option("--starts", help="First day, YYYY-MM-DD")],
    ends: Annotated[str, typer.Option("--ends", help="Last day (included), YYYY-MM-DD")],
    procedure: Annotated[
        str | None, typer.Option("--procedure", help="Code of one procedure; all if not given")
    ] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", help="Code of a unit of the --to agency")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="e.g. the decision that delegates")] = "",
) -> None:
    """Hand an agency's decisions (approval and signature) on a procedure, or on all of them,
    to another agency or a unit for a period."""

    async def work(session: AsyncSession) -> DelegationOut:
        return await delegations.create_delegation(
            session,
            from_agency_id=(await _agency(session, from_agency)).id,
            procedure_code=procedure,
            to_agency_code=to_agency,
            to_unit_code=unit,
            # A date that is not one is refused by the service with the other fields' errors.
            starts_on=_iso_day(starts),
            ends_on=_iso_day(ends),
            note=note,
        )

    made = _in_unit_of_work(work)
    period = f"{made.starts_on.isoformat()} – {made.ends_on.isoformat()}"
    typer.echo(
        f"Đã ủy quyền #{made.id}: {made.procedure_code or 'mọi thủ tục'} của"
        f" {made.from_agency_code} cho {_delegate(made)}, {period} / delegation #{made.id}"
        f" created: {made.procedure_code or 'all procedures'} of {made.from_agency_code} to"
        f" {_delegate(made)}, {period}"
    )


@delegations_cli.command("list")
def delegations_list(
    agency: Annotated[str, typer.Option("--agency", help="Code of the delegating agency")],
) -> None:
    """List an agency's delegations, revoked and ended ones too, the latest first."""
    today = delegations.local_today(get_settings())

    async def work(session: AsyncSession) -> list[DelegationOut]:
        return await delegations.list_delegations(session, (await _agency(session, agency)).id)

    found = _in_unit_of_work(work)
    if not found:
        typer.echo("Cơ quan chưa ủy quyền việc nào / the agency has delegated nothing")
        return
    _table(
        [
            ("ID", "PROCEDURE", "TO", "STARTS", "ENDS", "STATE", "NOTE"),
            *(
                (
                    str(d.id),
                    d.procedure_code or "*",
                    _delegate(d),
                    d.starts_on.isoformat(),
                    d.ends_on.isoformat(),
                    d.state(today).value,
                    d.note or "-",
                )
                for d in found
            ),
        ]
    )


@delegations_cli.command("revoke")
def delegations_revoke(
    agency: Annotated[str, typer.Option("--agency", help="Code of the delegating agency")],
    delegation_id: Annotated[
        int, typer.Option("--id", min=1, max=2**31 - 1, help="As `delegations list` shows it")
    ],
) -> None:
    """Revoke a delegation: routing no longer hands anything to the delegate."""

    async def work(session: AsyncSession) -> DelegationOut:
        found = await _agency(session, agency)
        return await delegations.revoke_delegation(session, found.id, delegation_id)

    revoked = _in_unit_of_work(work)
    typer.echo(
        f"Đã thu hồi ủy quyền #{revoked.id} cho {_delegate(revoked)} / delegation #{revoked.id}"
        f" to {_delegate(revoked)} revoked"
    )


SubscriptionArgument = Annotated[
    str, typer.Argument(help="The subscription's id, as `webhooks list` shows it (ep_…)")
]


def _state(subscription: SubscriptionOut) -> str:
    return "enabled" if subscription.enabled else f"off:{subscription.disabled_reason}"


@webhooks_cli.command("list")
def webhooks_list() -> None:
    """List every subscription: its owner, state (off with its reason's code), deliveries
    pending, failing since, URL."""
    found = _in_unit_of_work(webhooks.every_subscription)
    if not found:
        typer.echo("Chưa có đăng ký nhận sự kiện nào / there are no webhook subscriptions")
        return
    _table(
        [
            ("ID", "OWNER", "STATE", "PENDING", "FAILING SINCE", "URL"),
            *(
                (
                    s.id,
                    f"enterprise:{s.enterprise_tax_code}"
                    if s.enterprise_tax_code
                    else f"agency:{s.agency_code}"
                    if s.agency_code
                    else "national-portal",
                    _state(s),
                    str(s.pending),
                    _when(s.failing_since),
                    s.url,
                )
                for s in found
            ),
        ]
    )


def _delivery_row(d: DeliveryOut) -> tuple[str, ...]:
    return (
        str(d.id),
        d.event_type,
        d.dossier_code or "-",
        d.state,
        str(d.attempts),
        str(d.last_status or d.last_error or "-"),
        _when(d.next_attempt_at),
    )


@webhooks_cli.command("deliveries")
def webhooks_deliveries(
    subscription: SubscriptionArgument,
    state: Annotated[
        str | None, typer.Option("--state", help="Only those pending, delivered or failed")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=PAGE_MAX)] = 20,
) -> None:
    """List a subscription's deliveries, newest first."""

    async def work(session: AsyncSession) -> DeliveryPage:
        return await webhooks.list_deliveries(
            session, webhooks.OPERATOR, subscription, state, limit=limit
        )

    page = _in_unit_of_work(work)
    if not page.items:
        typer.echo("Không có lần gửi nào / there are no deliveries")
        return
    heading = ("ID", "TYPE", "DOSSIER", "STATE", "ATTEMPTS", "LAST", "NEXT ATTEMPT")
    _table([heading, *(_delivery_row(d) for d in page.items)])


@webhooks_cli.command("redeliver")
def webhooks_redeliver(
    subscription: SubscriptionArgument,
    delivery_id: Annotated[int, typer.Argument(min=1, help="As `webhooks deliveries` shows it")],
) -> None:
    """Send a delivery's event again, as a new delivery with the same webhook-id."""

    async def work(session: AsyncSession) -> DeliveryOut:
        return await webhooks.redeliver(session, webhooks.OPERATOR, subscription, delivery_id)

    again = _in_unit_of_work(work)
    typer.echo(
        f"Đã xếp lần gửi #{again.id} ({again.event_id}) / delivery #{again.id}"
        f" ({again.event_id}) queued"
    )


def _moment(text: str) -> datetime:
    try:
        return aware(datetime.fromisoformat(text))
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r}: ISO 8601, e.g. 2026-11-24T08:00+07:00") from exc


@webhooks_cli.command("replay")
def webhooks_replay(
    subscription: SubscriptionArgument,
    since: Annotated[str, typer.Option("--since", help="ISO 8601 moment (UTC without a zone)")],
) -> None:
    """Send again every event the subscription wants since a moment, oldest first, up to the
    limit of one replay."""
    moment = _moment(since)

    async def work(session: AsyncSession) -> ReplayOut:
        return await webhooks.replay(session, webhooks.OPERATOR, subscription, moment)

    out = _in_unit_of_work(work)
    typer.echo(f"Đã xếp {out.queued} lần gửi / {out.queued} deliveries queued")
    if out.truncated and out.until is not None:
        again = f"--since {out.until.isoformat()}"
        typer.echo(
            f"Dừng ở giới hạn {out.limit} sự kiện: hãy chạy lại với {again} / stopped at the"
            f" limit of {out.limit} events: replay again with {again}"
        )


def _switch(subscription: str, enabled: bool) -> None:
    async def work(session: AsyncSession) -> SubscriptionOut:
        return await webhooks.set_enabled(session, webhooks.OPERATOR, subscription, enabled)

    out = _in_unit_of_work(work)
    typer.echo(f"{out.id}: {_state(out)}")


@webhooks_cli.command("enable")
def webhooks_enable(subscription: SubscriptionArgument) -> None:
    """Turn a subscription on: the deliveries that waited for it are due at once."""
    _switch(subscription, True)


@webhooks_cli.command("disable")
def webhooks_disable(subscription: SubscriptionArgument) -> None:
    """Turn a subscription off: its deliveries wait until it is turned on again."""
    _switch(subscription, False)


def main() -> None:
    """Entry point of the `motcua` console script."""
    cli()


# --- Payments ---------------------------------------------------------------------------------

payments_cli = typer.Typer(help="Fees paid online: the gateway's reconciliation and checks.")
cli.add_typer(payments_cli, name="payments")


@payments_cli.command("reconcile")
def payments_reconcile(
    day: Annotated[
        str, typer.Option("--day", help="The local day, YYYY-MM-DD (yesterday if not given)")
    ] = "",
) -> None:
    """Set the portal's paid payments of a day against the gateway's and keep the report."""
    settings = get_settings()
    wanted = _iso_day(day) if day else payment_tasks.yesterday(settings)
    if wanted is None:
        typer.echo(f"{day!r}: không phải ngày YYYY-MM-DD / not a date YYYY-MM-DD", err=True)
        raise typer.Exit(2)

    async def run() -> payment_tasks.ReportOut:
        database = db.Database(settings.database_url)
        try:
            return await payment_tasks.reconcile(database.unit_of_work, settings, wanted)
        finally:
            await database.dispose()

    try:
        report = asyncio.run(run())
    except PortalError as exc:
        typer.echo(f"{exc.message} / {exc.message_en}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"{report.day} {report.gateway}: cổng/portal {report.portal_count} "
        f"({report.portal_amount:,} VND), cổng thanh toán/gateway {report.gateway_count} "
        f"({report.gateway_amount:,} VND), lệch/mismatches {len(report.mismatches)}"
    )
    for m in report.mismatches:
        typer.echo(f"  {m.reference}: {m.problem} (portal {m.portal}, gateway {m.gateway})")
    raise typer.Exit(1 if report.mismatches else 0)


@payments_cli.command("check")
def payments_check() -> None:
    """Ask the gateway about every pending payment due for a check, as the worker does."""
    settings = get_settings()

    async def run() -> payment_tasks.CheckReport:
        database = db.Database(settings.database_url)
        storage = storage_from_url(settings.storage_url)
        try:
            return await payment_tasks.check_pending(database.unit_of_work, settings, storage)
        finally:
            await storage.aclose()
            await database.dispose()

    report = asyncio.run(run())
    typer.echo(
        f"checked {report.checked}, settled {report.settled}, expired {report.expired},"
        f" later {report.later}"
    )


# --- Statistics -------------------------------------------------------------------------------

stats_cli = typer.Typer(help="The statistics (Decision 766 indicators).")
cli.add_typer(stats_cli, name="stats")


@stats_cli.command("rebuild")
def stats_rebuild(
    months: Annotated[
        int, typer.Option(help="How many months before this one", min=1, max=120)
    ] = stats.SUMMARY_MONTHS,
) -> None:
    """Build the statistics summary of the months that have ended again, now (the worker keeps
    it up to date every ten minutes)."""
    settings = get_settings()

    async def work() -> list[str]:
        database = db.Database(settings.database_url)
        try:
            return await stats_tasks.refresh_summary(
                database.unit_of_work, settings, back=months, every=True
            )
        finally:
            await database.dispose()

    built = asyncio.run(work())
    typer.echo(
        f"Đã tổng hợp {len(built)} tháng / {len(built)} months summarised"
        f" ({built[0]} … {built[-1]})"
    )
