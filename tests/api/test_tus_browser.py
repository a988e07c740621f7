"""The pages' tus client (static/tus-upload.js) in a real browser against the live server:
chunks, a network failure and its retry, a reload that resumes, a refused file.

Playwright's sync API keeps its event loop marked as running in the test thread while the
browser is open, so the accounts and database checks run on their own loop in a thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, Route
from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.kit.signing import SESSION_COOKIE
from app.models.dossiers import Upload
from tests.api.tus_helpers import MIB, SLOT, Caller, make_citizen

T = TypeVar("T")
FILE_NAME = "giấy chứng sinh.pdf"

# A File of `size` bytes starting like a PDF (or a ZIP), the same on every call, sent with
# MotcuaTus.upload; resolves with the result (or the error) and the SHA-256 of the bytes.
UPLOAD_JS = """
async ({size, chunk, meta, name, zip, stopAfter}) => {
  const bytes = new Uint8Array(size);
  bytes.set(new TextEncoder().encode(zip ? "PK\\x03\\x04\\x14\\x00" : "%PDF-1.7\\n"));
  for (let i = 10; i < size; i++) bytes[i] = (i * 31 + 7) % 251;
  const file = new File([bytes], name, {type: "application/pdf", lastModified: 1700000000000});
  const controller = new AbortController();
  const progress = [];
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  const sha256 = Array.from(new Uint8Array(digest), b => b.toString(16).padStart(2, "0")).join("");
  try {
    const result = await window.MotcuaTus.upload(file, {
      metadata: meta,
      chunkSize: chunk,
      signal: controller.signal,
      onProgress: (sent, total) => {
        progress.push([sent, total]);
        if (stopAfter && sent >= stopAfter) controller.abort();
      },
    });
    return {...result, progress, sha256, stored: Object.keys(localStorage)};
  } catch (error) {
    return {error: error.message, name: error.name, status: error.status || null, progress,
            stored: Object.keys(localStorage)};
  }
}
"""


def in_thread(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on a fresh event loop in another thread, and give back its result."""
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(asyncio.run(work()))  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]


def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        database = Database(settings.database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return in_thread(run)


@pytest.fixture
def caller(browser: Browser, settings: Settings) -> Caller:
    return with_database(settings, lambda database: make_citizen(database, settings))


@pytest.fixture
def context(browser: Browser, live_server: str, caller: Caller) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="vi-VN")
    cookie = caller.headers["Cookie"].partition("=")[2]
    context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": live_server}])
    yield context
    context.close()


def open_page(context: BrowserContext, live_server: str) -> Page:
    page = context.new_page()
    page.goto(live_server + "/")
    page.add_script_tag(url="/static/tus-upload.js")
    return page


def upload(page: Page, caller: Caller, size: int, **options: Any) -> dict[str, Any]:
    arguments = {
        "size": size,
        "chunk": MIB,
        "meta": {"dossier": caller.draft, "slot": SLOT, "filename": FILE_NAME},
        "name": FILE_NAME,
        "zip": False,
        "stopAfter": 0,
        **options,
    }
    result: dict[str, Any] = page.evaluate(UPLOAD_JS, arguments)
    return result


def dossier_files(settings: Settings, caller: Caller) -> list[tuple[str, int, str]]:
    async def files(database: Database) -> list[tuple[str, int, str]]:
        async with database.unit_of_work() as session:
            from app.dossiers import repository

            dossier = await repository.by_reference(session, caller.draft)
            assert dossier is not None
            return [(f.reference, f.size, f.sha256) for f in dossier.files]

    return with_database(settings, files)


def uploads_of(settings: Settings, caller: Caller) -> int:
    async def count(database: Database) -> int:
        async with database.unit_of_work() as session:
            from app.dossiers import repository

            dossier = await repository.by_reference(session, caller.draft)
            assert dossier is not None
            rows = await session.scalars(select(Upload).where(Upload.dossier_id == dossier.id))
            return len(rows.all())

    return with_database(settings, count)


def log_requests(page: Page) -> list[str]:
    seen: list[str] = []

    def record(request: Request) -> None:
        if "/api/v1/uploads" in request.url:
            seen.append(request.method)

    page.on("request", record)
    return seen


def test_chunks_and_a_network_failure_then_a_resume(
    context: BrowserContext, live_server: str, caller: Caller, settings: Settings
) -> None:
    page = open_page(context, live_server)
    seen = log_requests(page)
    patches = 0

    def cut_the_second_patch(route: Route) -> None:
        nonlocal patches
        if route.request.method == "PATCH":
            patches += 1
            if patches == 2:
                route.abort("connectionreset")
                return
        route.continue_()

    page.route("**/api/v1/uploads/**", cut_the_second_patch)
    size = 3 * MIB + 1234
    result = upload(page, caller, size)
    assert "error" not in result, result
    assert result["uploadUrl"].startswith(live_server + "/api/v1/uploads/")
    # POST, PATCH, PATCH (cut), then HEAD to learn the offset, and the rest.
    assert seen[:5] == ["POST", "PATCH", "PATCH", "HEAD", "PATCH"], seen
    assert result["progress"][-1] == [size, size]
    assert result["stored"] == []  # forgotten once finished
    files = dossier_files(settings, caller)
    assert files == [(result["fileId"], size, result["sha256"])]


def test_a_reload_resumes_the_upload_it_remembers(
    context: BrowserContext, live_server: str, caller: Caller, settings: Settings
) -> None:
    size = 3 * MIB + 99
    page = open_page(context, live_server)
    # Stopped while the second chunk is on its way: the first is then acknowledged (stopping
    # as soon as the first chunk's bytes are out would race the server's answer to it).
    stopped = upload(page, caller, size, stopAfter=MIB + 1)
    assert stopped["name"] == "AbortError", stopped
    assert len(stopped["stored"]) == 1 and stopped["stored"][0].startswith("motcua-tus:")

    page.reload()
    page.add_script_tag(url="/static/tus-upload.js")
    seen = log_requests(page)
    result = upload(page, caller, size)
    assert "error" not in result, result
    assert seen[0] == "HEAD" and "POST" not in seen, seen
    assert result["progress"][0][0] >= MIB  # went on from where it stopped
    assert dossier_files(settings, caller) == [(result["fileId"], size, result["sha256"])]
    assert uploads_of(settings, caller) == 1


def test_a_refused_file_rejects_with_the_servers_detail(
    context: BrowserContext, live_server: str, caller: Caller, settings: Settings
) -> None:
    page = open_page(context, live_server)
    result = upload(page, caller, 2 * MIB, zip=True)
    assert result["status"] == 422, result
    assert result["error"].startswith(f"Tệp “{FILE_NAME}” là tệp nén (application/zip)"), result
    assert result["stored"] == []
    assert dossier_files(settings, caller) == []
    assert uploads_of(settings, caller) == 0

    too_big = upload(page, caller, 11 * MIB)
    assert too_big["status"] == 413
    assert too_big["error"] == "Tệp vượt quá giới hạn 10 MB cho phép."
