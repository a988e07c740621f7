"""Officials of agencies, their roles and units: made and changed by an agency's administrators
(the pages under /quan-tri, the command line), read by the processing of dossiers through
``official_of``.

Services flush and never commit. Every field of a form is checked before anything is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository, service
from app.accounts.errors import OfficialInvalid, OfficialNotFound, UnitInvalid
from app.accounts.schemas import CitizenSignUp, OfficialOut, UnitOut
from app.catalog import service as catalog
from app.catalog.schemas import AgencyKey
from app.errors import ProblemList
from app.kit.clock import utcnow
from app.kit.text import fold
from app.models.accounts import AccountKind, Official, OfficialRole, Unit

ROLES = tuple(role.value for role in OfficialRole)
MAX_TITLE_LENGTH = 100
MAX_UNIT_CODE_LENGTH = 32
MAX_UNIT_NAME_LENGTH = 255
# Codes go into addresses and command lines: letters, digits and . _ - only.
UNIT_CODE = re.compile(r"[0-9A-Za-z._-]+")


def _out(official: Official) -> OfficialOut:
    account, agency, unit = official.account, official.agency, official.unit
    return OfficialOut(
        account_id=account.id,
        email=account.email,
        full_name=account.full_name,
        phone=account.phone,
        title=official.title,
        agency_id=agency.id,
        agency_code=agency.code,
        agency_name=agency.name,
        unit_id=unit.id if unit else None,
        unit_code=unit.code if unit else None,
        unit_name=unit.name if unit else None,
        roles=[role for role in ROLES if role in official.role_set],
        disabled=account.disabled,
    )


def _unit_out(unit: Unit) -> UnitOut:
    return UnitOut(id=unit.id, agency_id=unit.agency_id, code=unit.code, name=unit.name)


async def official_of(session: AsyncSession, account_id: int) -> OfficialOut | None:
    """The official an account is (its agency, unit and roles), or None if it is not one."""
    found = await repository.official(session, account_id)
    return _out(found) if found else None


async def list_officials(session: AsyncSession, agency_id: int) -> list[OfficialOut]:
    """The officials of an agency, disabled ones included, by name."""
    officials = [_out(o) for o in await repository.officials_of_agency(session, agency_id)]
    # Sorted here: database collations put Đ after Z.
    return sorted(officials, key=lambda o: (fold(o.full_name), o.email))


# ----------------------------------------------------------------------------- checks


def _check_roles(roles: Iterable[str], problems: ProblemList) -> str:
    """The roles as stored (space-separated, in the order of OfficialRole)."""
    wanted = {role.strip() for role in roles if role.strip()}
    known = ", ".join(ROLES)
    unknown = sorted(wanted.difference(ROLES))
    if unknown:
        problems.add(
            "roles",
            f"Vai trò không xác định: {', '.join(unknown)}; các vai trò: {known}",
            f"Unknown role: {', '.join(unknown)}; the roles are: {known}",
        )
    elif not wanted:
        problems.add(
            "roles",
            f"Vui lòng chọn ít nhất một vai trò trong số: {known}",
            f"Choose at least one role among: {known}",
        )
    return " ".join(role for role in ROLES if role in wanted)


def _check_title(title: str, problems: ProblemList) -> str:
    clean = service.single_line(title)
    if len(clean) > MAX_TITLE_LENGTH:
        problems.add(
            "title",
            f"Chức danh không được dài quá {MAX_TITLE_LENGTH} ký tự",
            f"Title must be {MAX_TITLE_LENGTH} characters or fewer",
        )
    return clean


async def _check_agency(
    session: AsyncSession, agency_code: str, problems: ProblemList
) -> AgencyKey | None:
    code = service.single_line(agency_code)
    if not code:
        problems.add("agency", "Vui lòng nhập mã cơ quan", "Enter the agency's code")
        return None
    agency = await catalog.agency_by_code(session, code)
    if agency is None:
        problems.add(
            "agency",
            f"Không có cơ quan nào có mã {code}",
            f"There is no agency with the code {code}",
        )
    return agency


async def _check_unit(
    session: AsyncSession, agency: AgencyKey | None, unit_code: str | None, problems: ProblemList
) -> int | None:
    """The id of the agency's unit with this code; None for no unit (or an unknown agency)."""
    code = service.single_line(unit_code or "")
    if not code or agency is None:
        return None
    unit = await repository.unit_by_code(session, agency.id, code)
    if unit is None:
        problems.add(
            "unit",
            f"{agency.name} không có đơn vị nào có mã {code}",
            f"{agency.name} has no unit with the code {code}",
        )
        return None
    return unit.id


@dataclass(frozen=True)
class _Post:
    """Where an official works and what it may do, once checked."""

    agency: AgencyKey | None
    unit_id: int | None
    roles: str
    title: str

    def official(self, account_id: int) -> Official:
        assert self.agency is not None  # a post without its agency was refused
        return Official(
            account_id=account_id,
            agency_id=self.agency.id,
            unit_id=self.unit_id,
            roles=self.roles,
            title=self.title,
        )


async def _check_post(
    session: AsyncSession,
    problems: ProblemList,
    *,
    agency_code: str,
    roles: Iterable[str],
    unit_code: str | None,
    title: str,
) -> _Post:
    agency = await _check_agency(session, agency_code, problems)
    return _Post(
        agency=agency,
        unit_id=await _check_unit(session, agency, unit_code, problems),
        roles=_check_roles(roles, problems),
        title=_check_title(title, problems),
    )


def _refused(problems: ProblemList) -> OfficialInvalid:
    return OfficialInvalid(
        "Chưa lưu được: vui lòng sửa các lỗi dưới đây.",
        message_en="Nothing was saved: please correct the errors below.",
        problems=problems.items,
    )


async def _existing(session: AsyncSession, account_id: int) -> OfficialOut:
    found = await official_of(session, account_id)
    if found is None:
        raise OfficialNotFound()
    return found


# ----------------------------------------------------------------------------- officials


async def create_official(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    full_name: str,
    agency_code: str,
    roles: Iterable[str],
    unit_code: str | None = None,
    title: str = "",
    phone: str | None = None,
) -> OfficialOut:
    """A new official: an account of kind official (the rules of sign-up for its e-mail, name,
    phone and password) in an agency, with its roles, and a unit of the agency if given.

    Raises OfficialInvalid naming every wrong field."""
    problems = ProblemList()
    post = await _check_post(
        session, problems, agency_code=agency_code, roles=roles, unit_code=unit_code, title=title
    )
    form = CitizenSignUp(
        full_name=full_name,
        email=email,
        phone=phone or "",
        password=password,
        password_confirm=password,
    )
    # Refuses the post's problems together with the account's.
    account = await service.create_official(session, form, problems)
    session.add(post.official(account.id))
    await session.flush()
    return await _existing(session, account.id)


async def appoint(
    session: AsyncSession,
    email: str,
    *,
    agency_code: str,
    roles: Iterable[str],
    unit_code: str | None = None,
    title: str = "",
) -> OfficialOut:
    """Give an official's account that has no agency yet (made before officials had one) its
    agency, roles and unit. OfficialNotFound unless it is such an account."""
    account = await repository.account_by_email(session, service.normalize_email(email))
    if (
        account is None
        or account.kind != AccountKind.official
        or await repository.official(session, account.id) is not None
    ):
        raise OfficialNotFound()
    problems = ProblemList()
    post = await _check_post(
        session, problems, agency_code=agency_code, roles=roles, unit_code=unit_code, title=title
    )
    if problems:
        raise _refused(problems)
    session.add(post.official(account.id))
    await session.flush()
    return await _existing(session, account.id)


async def update_official(
    session: AsyncSession,
    account_id: int,
    *,
    roles: Iterable[str],
    unit_code: str | None,
    title: str,
    disabled: bool,
    by: int | None = None,
) -> OfficialOut:
    """Change an official's roles, unit (of its agency; None or empty for none), title, and
    whether its account is disabled (which also ends its sessions).

    ``by`` is the administrator making the change: they may neither disable themselves nor
    give up their own admin role, which would lock them out of these pages. Raises
    OfficialNotFound, or OfficialInvalid naming every wrong field."""
    official = await repository.official(session, account_id)
    if official is None:
        raise OfficialNotFound()
    agency = official.agency
    problems = ProblemList()
    post = await _check_post(
        session, problems, agency_code=agency.code, roles=roles, unit_code=unit_code, title=title
    )
    if by == account_id:
        # Without any known role the roles are refused already.
        if post.roles and OfficialRole.admin.value not in post.roles.split():
            problems.add(
                "roles",
                "Bạn không thể tự bỏ vai trò quản trị của mình",
                "You cannot remove your own admin role",
            )
        if disabled:
            problems.add(
                "disabled",
                "Bạn không thể tự khoá tài khoản của mình",
                "You cannot disable your own account",
            )
    if problems:
        raise _refused(problems)
    official.roles = post.roles
    official.unit_id = post.unit_id
    official.title = post.title
    if disabled and not official.account.disabled:
        await repository.delete_account_sessions(session, account_id)
    official.account.disabled = disabled
    await session.flush()
    return await _existing(session, account_id)


# ----------------------------------------------------------------------------- units


def _code_taken(problems: ProblemList, code: str) -> ProblemList:
    problems.add(
        "code",
        f"Cơ quan đã có đơn vị mã {code}",
        f"The agency already has a unit with the code {code}",
    )
    return problems


async def create_unit(session: AsyncSession, agency_code: str, code: str, name: str) -> UnitOut:
    """A new unit of an agency; its code is unique within the agency. Raises UnitInvalid
    naming every wrong field."""
    problems = ProblemList()
    agency = await _check_agency(session, agency_code, problems)
    clean_code = code.strip()
    if not clean_code:
        problems.add("code", "Vui lòng nhập mã đơn vị", "Enter the unit's code")
    elif len(clean_code) > MAX_UNIT_CODE_LENGTH or not UNIT_CODE.fullmatch(clean_code):
        problems.add(
            "code",
            "Mã đơn vị chỉ gồm chữ cái không dấu, chữ số và các dấu . _ -, "
            f"không quá {MAX_UNIT_CODE_LENGTH} ký tự",
            "The unit's code may hold only letters without marks, digits and . _ -, "
            f"at most {MAX_UNIT_CODE_LENGTH} characters",
        )
    elif agency is not None and await repository.unit_by_code(session, agency.id, clean_code):
        _code_taken(problems, clean_code)
    clean_name = service.single_line(name)
    if not clean_name:
        problems.add("name", "Vui lòng nhập tên đơn vị", "Enter the unit's name")
    elif len(clean_name) > MAX_UNIT_NAME_LENGTH:
        problems.add(
            "name",
            f"Tên đơn vị không được dài quá {MAX_UNIT_NAME_LENGTH} ký tự",
            f"The unit's name must be {MAX_UNIT_NAME_LENGTH} characters or fewer",
        )
    if problems or agency is None:
        raise _unit_refused(problems)
    unit = Unit(agency_id=agency.id, code=clean_code, name=clean_name, created_at=utcnow())
    session.add(unit)
    try:
        # Two administrators adding the same code at once: the unique constraint decides.
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise _unit_refused(_code_taken(ProblemList(), clean_code)) from exc
    return _unit_out(unit)


def _unit_refused(problems: ProblemList) -> UnitInvalid:
    return UnitInvalid(
        "Chưa tạo được đơn vị: vui lòng sửa các lỗi dưới đây.",
        message_en="The unit was not created: please correct the errors below.",
        problems=problems.items,
    )


async def list_units(session: AsyncSession, agency_id: int) -> list[UnitOut]:
    """The units of an agency, by name."""
    units = [_unit_out(u) for u in await repository.units_of_agency(session, agency_id)]
    return sorted(units, key=lambda u: (fold(u.name), u.code))
