"""Account operations for the pages (and later the API): sign up, sign in, sessions.

Services flush and never commit. A failed sign-in writes its attempt row before it raises:
callers must commit that row anyway (the pages render the error instead of re-raising it), or
the throttling would never see the failures.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository
from app.accounts.errors import (
    AlreadyRegistered,
    OfficialInvalid,
    PasswordInvalid,
    ResetLinkInvalid,
    SignInFailed,
    SignUpInvalid,
    TooManyAttempts,
    TooManyResetRequests,
)
from app.accounts.schemas import (
    AccountOut,
    CitizenSignUp,
    EnterpriseOut,
    EnterpriseRef,
    EnterpriseSignUp,
    SignedIn,
)
from app.errors import InvalidInput, ProblemList
from app.forms.identifiers import citizen_id_problem, is_email, normalize_phone, normalize_tax_code
from app.kit.clock import aware, utcnow
from app.models.accounts import (
    Account,
    AccountKind,
    Enterprise,
    EnterpriseMember,
    MemberRole,
    PasswordResetToken,
    Session,
    SignInAttempt,
)
from app.outbox import service as outbox
from app.outbox.mail import KIND as EMAIL
from app.outbox.mail import email_payload

# The default of Settings.session_days (MOTCUA_SESSION_DAYS), for callers without settings.
SESSION_DAYS = 14
# Writing last_seen_at on every page would make each page view a write.
TOUCH_INTERVAL = timedelta(minutes=5)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_ACCOUNT_FAILURES = 5
MAX_IP_FAILURES = 20
MAX_RESET_REQUESTS_PER_EMAIL = 3
MAX_RESET_REQUESTS_PER_IP = 10
RESET_TOKEN_LIFETIME = timedelta(hours=1)
RESET_PATH = "/dat-lai-mat-khau/"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
MAX_NAME_LENGTH = 255
MAX_ADDRESS_LENGTH = 500
TOKEN_BYTES = 32

# argon2id with the library's defaults (RFC 9106 low-memory profile).
hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the email is unknown, so both cases take as long."""
    return hasher.hash(secrets.token_urlsafe(16))


def normalize_email(value: str) -> str:
    """Lower-cased and trimmed; empty (so: missing, or unknown) if it holds a NUL character,
    which no address has and the database cannot store."""
    return "" if "\x00" in value else value.strip().lower()


def single_line(value: str) -> str:
    """Runs of white space (and NUL characters, which the database cannot store) as one space."""
    return " ".join(value.replace("\x00", " ").split())


def token_hash(token: str) -> str:
    """What the sessions table keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


# ----------------------------------------------------------------------------- sign up


def _check_password(password: str, confirm: str, problems: ProblemList) -> None:
    """The password rules of sign-up, also used when a password is reset."""
    if not password:
        problems.add("password", "Vui lòng nhập mật khẩu", "Enter a password")
    elif len(password) < MIN_PASSWORD_LENGTH:
        problems.add(
            "password",
            f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự",
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters",
        )
    elif len(password) > MAX_PASSWORD_LENGTH:
        problems.add(
            "password",
            f"Mật khẩu không được dài quá {MAX_PASSWORD_LENGTH} ký tự",
            f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer",
        )
    elif password != confirm:
        problems.add(
            "password_confirm",
            "Mật khẩu nhập lại không khớp",
            "The passwords do not match",
        )


def _check_person(
    form: CitizenSignUp,
    problems: ProblemList,
    *,
    citizen_id_required: bool,
    phone_required: bool = True,
) -> dict[str, str | None]:
    full_name = single_line(form.full_name)
    if not full_name:
        problems.add("full_name", "Vui lòng nhập họ và tên", "Enter your full name")
    elif len(full_name) > MAX_NAME_LENGTH:
        problems.add(
            "full_name",
            f"Họ và tên không được dài quá {MAX_NAME_LENGTH} ký tự",
            f"Full name must be {MAX_NAME_LENGTH} characters or fewer",
        )
    email = normalize_email(form.email)
    if not email:
        problems.add("email", "Vui lòng nhập địa chỉ thư điện tử", "Enter your email address")
    elif not is_email(email):
        problems.add(
            "email",
            "Địa chỉ thư điện tử không hợp lệ, ví dụ: ten@example.vn",
            "Enter an email address in the correct format, like name@example.vn",
        )
    phone: str | None = None
    if not form.phone.strip():
        if phone_required:
            problems.add("phone", "Vui lòng nhập số điện thoại", "Enter your phone number")
    else:
        phone = normalize_phone(form.phone)
        if phone is None:
            problems.add(
                "phone",
                "Số điện thoại không phải là số điện thoại Việt Nam hợp lệ",
                "Enter a valid Vietnamese phone number",
            )
    citizen_id: str | None = "".join(form.citizen_id.split()) or None
    if citizen_id is None:
        if citizen_id_required:
            problems.add(
                "citizen_id",
                "Vui lòng nhập số định danh cá nhân",
                "Enter your personal identification number",
            )
    else:
        problem = citizen_id_problem(citizen_id)
        if problem == "format":
            problems.add(
                "citizen_id",
                "Số định danh cá nhân phải gồm đúng 12 chữ số",
                "Personal identification number must be exactly 12 digits",
            )
        elif problem is not None:
            problems.add(
                "citizen_id",
                "Số định danh cá nhân không hợp lệ: 3 chữ số đầu không phải là mã tỉnh",
                "Personal identification number is not valid: "
                "the first 3 digits are not a province code",
            )
    _check_password(form.password, form.password_confirm, problems)
    return {"full_name": full_name, "email": email, "phone": phone, "citizen_id": citizen_id}


async def _new_account(
    session: AsyncSession, kind: AccountKind, person: dict[str, str | None], password: str
) -> Account:
    account = Account(
        kind=kind.value,
        email=person["email"],
        full_name=person["full_name"],
        phone=person["phone"],
        citizen_id=person["citizen_id"],
        password_hash=hasher.hash(password),
        created_at=utcnow(),
    )
    session.add(account)
    return account


def _email_taken() -> AlreadyRegistered:
    return AlreadyRegistered(
        "Địa chỉ thư điện tử này đã được dùng để đăng ký tài khoản.",
        message_en="This email address already has an account.",
        problems=[],
    )


async def _flush_or_conflict(session: AsyncSession, error: AlreadyRegistered) -> None:
    """Two sign-ups racing for one email: the unique constraint decides."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise error from exc


def _refuse(problems: ProblemList) -> SignUpInvalid:
    return SignUpInvalid(
        "Vui lòng sửa các lỗi trong biểu mẫu đăng ký.",
        message_en="Please correct the errors in the sign-up form.",
        problems=problems.items,
    )


def _refuse_official(problems: ProblemList) -> OfficialInvalid:
    return OfficialInvalid(
        "Không tạo được tài khoản cán bộ: vui lòng sửa các lỗi dưới đây.",
        message_en="The official's account was not created: please correct the errors below.",
        problems=problems.items,
    )


def _email_problem(problems: ProblemList) -> None:
    problems.add(
        "email",
        "Địa chỉ thư điện tử này đã được dùng để đăng ký tài khoản",
        "This email address already has an account",
    )


async def sign_up_citizen(session: AsyncSession, form: CitizenSignUp) -> AccountOut:
    """A new citizen account; every field is checked before anything is refused."""
    return await _new_person(session, form, AccountKind.citizen, citizen_id_required=True)


async def create_official(
    session: AsyncSession, form: CitizenSignUp, problems: ProblemList | None = None
) -> AccountOut:
    """An official's account, made by an administrator (or the demo), never by signing up; its
    phone is optional. The officials service passes the ``problems`` it found in the rest of
    the official's form, so that one OfficialInvalid names them all with the account's."""
    return await _new_person(
        session,
        form,
        AccountKind.official,
        citizen_id_required=False,
        phone_required=False,
        problems=problems,
        refuse=_refuse_official,
    )


async def _new_person(
    session: AsyncSession,
    form: CitizenSignUp,
    kind: AccountKind,
    *,
    citizen_id_required: bool,
    phone_required: bool = True,
    problems: ProblemList | None = None,
    refuse: Callable[[ProblemList], InvalidInput] = _refuse,
) -> AccountOut:
    problems = problems if problems is not None else ProblemList()
    person = _check_person(
        form, problems, citizen_id_required=citizen_id_required, phone_required=phone_required
    )
    email = person["email"]
    email_ok = email and not any(p.location == "email" for p in problems.items)
    if email_ok and await repository.email_taken(session, email or ""):
        _email_problem(problems)
    if problems:
        raise refuse(problems)
    account = await _new_account(session, kind, person, form.password)
    await _flush_or_conflict(session, _email_taken())
    return await get_account(session, account.id)


async def sign_up_enterprise(session: AsyncSession, form: EnterpriseSignUp) -> AccountOut:
    """A new enterprise, identified by its tax code, with its first staff member as owner."""
    problems = ProblemList()
    tax_code: str | None = None
    if not form.tax_code.strip():
        problems.add("tax_code", "Vui lòng nhập mã số thuế", "Enter the tax code")
    else:
        tax_code, problem = normalize_tax_code(form.tax_code)
        if problem == "format":
            problems.add(
                "tax_code",
                "Mã số thuế phải gồm 10 chữ số, hoặc 13 chữ số dạng NNNNNNNNNN-NNN",
                "Tax code must be 10 digits, or 13 digits as NNNNNNNNNN-NNN",
            )
        elif problem is not None:
            problems.add(
                "tax_code",
                "Mã số thuế không hợp lệ: sai chữ số kiểm tra",
                "Tax code is not valid: the check digit is wrong",
            )
    name = single_line(form.enterprise_name)
    if not name:
        problems.add(
            "enterprise_name", "Vui lòng nhập tên doanh nghiệp", "Enter the enterprise's name"
        )
    elif len(name) > MAX_NAME_LENGTH:
        problems.add(
            "enterprise_name",
            f"Tên doanh nghiệp không được dài quá {MAX_NAME_LENGTH} ký tự",
            f"Enterprise name must be {MAX_NAME_LENGTH} characters or fewer",
        )
    address = single_line(form.enterprise_address)
    if len(address) > MAX_ADDRESS_LENGTH:
        problems.add(
            "enterprise_address",
            f"Địa chỉ không được dài quá {MAX_ADDRESS_LENGTH} ký tự",
            f"Address must be {MAX_ADDRESS_LENGTH} characters or fewer",
        )
    person = _check_person(form, problems, citizen_id_required=False)
    if tax_code and await repository.tax_code_taken(session, tax_code):
        problems.add(
            "tax_code",
            "Doanh nghiệp có mã số thuế này đã có tài khoản; "
            "hãy nhờ người quản lý tài khoản doanh nghiệp thêm bạn",
            "An enterprise with this tax code already has an account; "
            "ask its account owner to add you",
        )
    email = person["email"]
    email_ok = email and not any(p.location == "email" for p in problems.items)
    if email_ok and await repository.email_taken(session, email or ""):
        _email_problem(problems)
    if problems or tax_code is None:
        raise _refuse(problems)
    account = await _new_account(session, AccountKind.enterprise_staff, person, form.password)
    enterprise = Enterprise(tax_code=tax_code, name=name, address=address, created_at=utcnow())
    session.add(enterprise)
    await _flush_or_conflict(
        session,
        AlreadyRegistered(
            "Địa chỉ thư điện tử hoặc mã số thuế này đã được đăng ký.",
            message_en="This email address or tax code is already registered.",
        ),
    )
    session.add(
        EnterpriseMember(
            enterprise_id=enterprise.id,
            account_id=account.id,
            role=MemberRole.owner.value,
            created_at=utcnow(),
        )
    )
    await session.flush()
    return await get_account(session, account.id)


# ----------------------------------------------------------------------------- reading


def _out(account: Account) -> AccountOut:
    return AccountOut(
        id=account.id,
        kind=AccountKind(account.kind),
        email=account.email,
        full_name=account.full_name,
        phone=account.phone,
        citizen_id=account.citizen_id,
        created_at=aware(account.created_at),
        last_sign_in_at=aware(account.last_sign_in_at) if account.last_sign_in_at else None,
        enterprises=[
            EnterpriseOut(
                tax_code=m.enterprise.tax_code,
                name=m.enterprise.name,
                address=m.enterprise.address,
                role=MemberRole(m.role),
            )
            for m in sorted(account.memberships, key=lambda m: m.enterprise.tax_code)
        ],
    )


async def get_account(session: AsyncSession, account_id: int) -> AccountOut:
    account = await repository.account_with_enterprises(session, account_id)
    if account is None:
        raise LookupError(account_id)
    return _out(account)


# ----------------------------------------------------------------------------- sign in


async def _throttle(
    session: AsyncSession,
    keys: list[tuple[str, int, bool]],
    now: datetime,
    error: type[TooManyAttempts] = TooManyAttempts,
) -> None:
    since = now - THROTTLE_WINDOW
    retry_at: datetime | None = None
    for key, limit, reset_by_success in keys:
        if reset_by_success:
            failures = await repository.failures_since(session, key, since)
        else:
            failures = await repository.ip_failures_since(session, key, since)
        if len(failures) >= limit:
            # Allowed again when enough of the counted failures have left the window.
            at = failures[len(failures) - limit] + THROTTLE_WINDOW
            retry_at = at if retry_at is None else max(retry_at, at)
    if retry_at is not None:
        seconds = max(1, int((retry_at - now).total_seconds()) + 1)
        raise error(retry_at, seconds)


async def limit_rate(session: AsyncSession, key: str, limit: int) -> int | None:
    """Count one request under ``key`` (such as ``lookup:ip:1.2.3.4``): None if it may go on
    (it is recorded), else the seconds to wait (nothing recorded). The caller must commit the
    record even when its own answer is a refusal, or refusals would not count."""
    now = utcnow()
    key = key[:300]
    try:
        await _throttle(session, [(key, limit, False)], now)
    except TooManyAttempts as exc:
        return exc.retry_after_seconds
    session.add(SignInAttempt(key=key, at=now, success=False))
    await session.flush()
    return None


async def sign_in(
    session: AsyncSession,
    email: str,
    password: str,
    *,
    ip: str = "",
    user_agent: str = "",
    session_days: int = SESSION_DAYS,
) -> SignedIn:
    """A new session for the right email and password; refused when throttled.

    Raises SignInFailed (wrong email or password) after recording the attempt, and
    TooManyAttempts before checking anything when an account or address failed too often.
    """
    now = utcnow()
    email = normalize_email(email)
    account_key = f"account:{email}"[:300]
    ip_key = f"ip:{ip}"[:300]
    keys = [(account_key, MAX_ACCOUNT_FAILURES, True)]
    if ip:
        keys.append((ip_key, MAX_IP_FAILURES, False))
    await _throttle(session, keys, now)

    account = await repository.account_by_email(session, email) if email else None
    ok = False
    try:
        if account is None:
            hasher.verify(_dummy_hash(), password)
        else:
            ok = hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if account is not None and account.disabled:
        ok = False

    for key, _limit, _reset in keys:
        session.add(SignInAttempt(key=key, at=now, success=ok))
    if not ok or account is None:
        await session.flush()
        raise SignInFailed()

    if hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hasher.hash(password)
    account.last_sign_in_at = now
    return await _start_session(session, account, now, ip, user_agent, session_days)


async def _start_session(
    session: AsyncSession,
    account: Account,
    now: datetime,
    ip: str,
    user_agent: str,
    session_days: int,
) -> SignedIn:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + timedelta(days=session_days)
    session.add(
        Session(
            id=token_hash(token),
            account_id=account.id,
            created_at=now,
            expires_at=expires_at,
            last_seen_at=now,
            user_agent=user_agent[:500],
            ip=ip[:45],
        )
    )
    await session.flush()
    return SignedIn(
        token=token, expires_at=expires_at, account=await get_account(session, account.id)
    )


async def start_session(
    session: AsyncSession,
    account_id: int,
    *,
    ip: str = "",
    user_agent: str = "",
    session_days: int = SESSION_DAYS,
) -> SignedIn:
    """Sign in an account that has just proven who it is (as right after signing up)."""
    account = await repository.account_with_enterprises(session, account_id)
    if account is None or account.disabled:
        raise LookupError(account_id)
    now = utcnow()
    account.last_sign_in_at = now
    return await _start_session(session, account, now, ip, user_agent, session_days)


async def sign_out(session: AsyncSession, token: str) -> None:
    """Forget the session: the token no longer signs anyone in."""
    await repository.delete_session(session, token_hash(token))
    await session.flush()


async def current_account(session: AsyncSession, token: str | None) -> AccountOut | None:
    """The account a session token signs in, or None if it is unknown, expired or disabled."""
    if not token:
        return None
    hashed = token_hash(token)
    row = await repository.session_by_hash(session, hashed)
    if row is None:
        return None
    now = utcnow()
    if aware(row.expires_at) <= now:
        await repository.delete_session(session, hashed)
        return None
    if row.account.disabled:
        return None
    if now - aware(row.last_seen_at) > TOUCH_INTERVAL:
        await repository.touch_session(session, hashed, now)
    return await get_account(session, row.account_id)


async def purge(session: AsyncSession) -> None:
    """Delete expired sessions and attempts too old to count (for the worker's daily job)."""
    now = utcnow()
    await repository.delete_expired_sessions(session, now)
    await repository.delete_attempts_before(session, now - THROTTLE_WINDOW)
    await repository.delete_reset_tokens_before(session, now - timedelta(days=1))


# ----------------------------------------------------------------------------- password reset


def _reset_email(full_name: str, link: str) -> tuple[str, str]:
    subject = "Đặt lại mật khẩu / Reset your password"
    body = (
        f"Xin chào {full_name},\n\n"
        "Chúng tôi nhận được yêu cầu đặt lại mật khẩu tài khoản của bạn trên Cổng dịch vụ công.\n"
        "Để đặt mật khẩu mới, hãy mở liên kết sau (dùng được một lần, trong vòng 1 giờ):\n\n"
        f"{link}\n\n"
        "Nếu bạn không yêu cầu, hãy bỏ qua thư này: mật khẩu của bạn không thay đổi.\n\n"
        "-----\n\n"
        f"Hello {full_name},\n\n"
        "We received a request to reset the password of your account on the public services "
        "portal.\n"
        "To set a new password, open this link (it works once, within 1 hour):\n\n"
        f"{link}\n\n"
        "If you did not ask for this, ignore this e-mail: your password has not changed.\n"
    )
    return subject, body


async def request_password_reset(
    session: AsyncSession, email: str, *, base_url: str, ip: str = ""
) -> None:
    """E-mail a one-hour, single-use link to set a new password, if the account exists.

    The caller says the same thing either way, so no one learns who has an account. Requests
    are throttled per email and per address with the sign-in attempts table (each request is
    recorded as an attempt that no success resets); raises TooManyResetRequests.
    """
    now = utcnow()
    email = normalize_email(email)
    keys = [(f"reset:account:{email}"[:300], MAX_RESET_REQUESTS_PER_EMAIL, False)]
    if ip:
        keys.append((f"reset:ip:{ip}"[:300], MAX_RESET_REQUESTS_PER_IP, False))
    await _throttle(session, keys, now, TooManyResetRequests)
    for key, _limit, _reset in keys:
        session.add(SignInAttempt(key=key, at=now, success=False))
    account = await repository.account_by_email(session, email) if email else None
    if account is not None and not account.disabled:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        session.add(
            PasswordResetToken(
                id=token_hash(token),
                account_id=account.id,
                created_at=now,
                expires_at=now + RESET_TOKEN_LIFETIME,
            )
        )
        subject, body = _reset_email(
            account.full_name, f"{base_url.rstrip('/')}{RESET_PATH}{token}"
        )
        await outbox.enqueue(session, EMAIL, email_payload(account.email, subject, body))
    await session.flush()


async def _usable_reset_token(session: AsyncSession, token: str) -> PasswordResetToken:
    row = await repository.reset_token_by_hash(session, token_hash(token)) if token else None
    if row is None:
        raise ResetLinkInvalid("unknown")
    if row.used_at is not None:
        raise ResetLinkInvalid("used")
    if aware(row.expires_at) <= utcnow():
        raise ResetLinkInvalid("expired")
    return row


async def check_reset_token(session: AsyncSession, token: str) -> None:
    """Raise ResetLinkInvalid (saying why) unless the link can still set a password."""
    await _usable_reset_token(session, token)


async def reset_password(
    session: AsyncSession,
    token: str,
    password: str,
    password_confirm: str,
    *,
    ip: str = "",
    user_agent: str = "",
    session_days: int = SESSION_DAYS,
) -> SignedIn:
    """Set a new password through a reset link, end every session of the account and start a
    fresh one. Raises ResetLinkInvalid or PasswordInvalid (the sign-up rules)."""
    row = await _usable_reset_token(session, token)
    problems = ProblemList()
    _check_password(password, password_confirm, problems)
    if problems:
        raise PasswordInvalid(
            "Vui lòng sửa các lỗi trong biểu mẫu.",
            message_en="Please correct the errors in the form.",
            problems=problems.items,
        )
    account = await repository.account_with_enterprises(session, row.account_id)
    if account is None or account.disabled:
        raise ResetLinkInvalid("unknown")
    now = utcnow()
    if not await repository.use_reset_token(session, row.id, now):
        raise ResetLinkInvalid("used")
    await repository.use_all_reset_tokens(session, account.id, now)
    account.password_hash = hasher.hash(password)
    await repository.delete_account_sessions(session, account.id)
    account.last_sign_in_at = now
    return await _start_session(session, account, now, ip, user_agent, session_days)


async def enterprise_ref(session: AsyncSession, tax_code: str) -> EnterpriseRef | None:
    """The enterprise with this tax code, or None."""
    found = await repository.enterprise_by_tax_code(session, tax_code)
    if found is None:
        return None
    return EnterpriseRef(id=found.id, tax_code=found.tax_code, name=found.name)


async def enterprise_member_emails(session: AsyncSession, enterprise_id: int) -> list[str]:
    """Whom to tell of what concerns the enterprise: its members whose accounts are active."""
    return await repository.enterprise_member_emails(session, enterprise_id)
