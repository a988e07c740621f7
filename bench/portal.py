"""What the dossier benchmarks share: the portal served by uvicorn in a process of its own, an
enterprise with an API key, and the server's memory as the kernel counts it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from app.accounts import api_keys
from app.accounts import service as accounts
from app.accounts.schemas import EnterpriseSignUp
from app.catalog.importing import import_catalog
from app.db import PROJECT_DIR, Database, upgrade

TAX_CODE = "0100109106"
AGENCY = "000.00.00.H98"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def catalog(code: str, name: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
    """One province agency and one full-online procedure filed there, with this form."""
    return {
        "format": 1,
        "agencies": [{"code": AGENCY, "name": "UBND tỉnh Đo đạc", "level": "province"}],
        "fields": [{"code": "BENCH", "name": "Đo hiệu năng"}],
        "procedures": [
            {
                "code": code,
                "name": name,
                "field": "BENCH",
                "levels": ["province"],
                "agencies": [AGENCY],
                "legal_days": 5,
                "committed_days": 3,
                "fees": [],
                "documents": [{"code": "ho_so", "name": "Hồ sơ", "kind": "original", "count": 1}],
                "result": "Giấy xác nhận",
                "legal_basis": ["Nghị định 118/2025/NĐ-CP"],
                "online_level": "full",
                "postal": True,
                "published": True,
                "form": {
                    "format": 1,
                    "sections": [{"key": "main", "title": name, "fields": fields}],
                },
            }
        ],
    }


async def prepare(url: str, catalog_data: dict[str, Any]) -> str:
    """Migrate the database, load the catalog, sign up an enterprise; its new API key."""
    await asyncio.to_thread(upgrade, url)
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            await import_catalog(session, catalog_data)
            await accounts.sign_up_enterprise(
                session,
                EnterpriseSignUp(
                    tax_code=TAX_CODE,
                    enterprise_name="Công ty TNHH Đo hiệu năng",
                    enterprise_address="Lào Cai",
                    full_name="Trần Thị Bình",
                    email="bench@example.com",
                    phone="0987654321",
                    password="mat-khau-do-hieu-nang",
                    password_confirm="mat-khau-do-hieu-nang",
                ),
            )
            _, raw_key = await api_keys.create_api_key(
                session,
                enterprise_tax_code=TAX_CODE,
                name="bench",
                scopes=["dossiers:submit", "dossiers:read"],
            )
        return raw_key
    finally:
        await database.dispose()


class Portal:
    """``python -m uvicorn app.main:create_app --factory`` on a free port, until closed."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.env = {
            **os.environ,
            "MOTCUA_ENVIRONMENT": "development",
            "MOTCUA_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "MOTCUA_STORAGE_URL": str(workdir / "files"),
            "MOTCUA_MAIL_DIR": str(workdir / "mail"),
            # The server runs this checkout's code, whatever the installed package points at.
            "PYTHONPATH": str(PROJECT_DIR),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=self.workdir,
            env=self.env,
        )
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while True:
                try:
                    if client.get("/readyz").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the portal did not start")
                time.sleep(0.1)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def memory_mib(pid: int, field: str) -> float:
    """A memory figure of a process from /proc/PID/status: VmRSS now, VmHWM at its peak."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)
