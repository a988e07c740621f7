"""A 1 GiB file uploaded through the API: the server's peak memory, and the upload's throughput
beside copying the same file on the same disk.

Serves the portal with uvicorn in its own process on SQLite and local storage in a temporary
folder (MOTCUA_MAX_FILE_MB and MOTCUA_MAX_DOSSIER_MB raised for it), with a procedure whose PDF
slot has no size limit of its own. Generates the file (starting with `%PDF-1.7`), copies it
once with shutil.copyfile, then sends it as `multipart/form-data` to
`POST /api/v1/dossiers/{reference}/files?slot=...` of a new draft. Prints the server's peak RSS
(VmHWM from /proc) against the 150 MB target and the upload's MB/s against the copy's.

    .venv/bin/python bench/upload.py [--size-mib 1024] [--dir /var/tmp]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import httpx
from portal import Portal, catalog, memory_mib, prepare

PROCEDURE = "7.000021"
SLOT = "ho_so"
TARGET_MB = 150
MIB = 1024 * 1024
FIELDS = [
    {
        "key": SLOT,
        "type": "file",
        "label": "Hồ sơ kỹ thuật (PDF)",
        "document": "ho_so",
        "accept": ["application/pdf"],
        "required": True,
    }
]


def _generate(path: Path, size: int) -> str:
    """A file of ``size`` bytes that reads as a PDF; its SHA-256."""
    block = os.urandom(MIB)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
        first = head + block[len(head) :]
        written = 0
        while written < size:
            piece = (first if written == 0 else block)[: size - written]
            out.write(piece)
            digest.update(piece)
            written += len(piece)
    return digest.hexdigest()


class PeakSampler(threading.Thread):
    """Samples a process's resident memory while it runs (VmHWM gives the kernel's own peak)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, memory_mib(self.pid, "VmRSS"))
            self.stop.wait(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--dir", default=None, help="where the files go (default: the temp dir)")
    args = parser.parse_args()
    size = args.size_mib * MIB

    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        work = Path(directory)
        url = f"sqlite+aiosqlite:///{work / 'bench.sqlite3'}"
        key = asyncio.run(prepare(url, catalog(PROCEDURE, "Thủ tục đo tải tệp lớn", FIELDS)))
        source = work / "big.pdf"
        started = time.perf_counter()
        sha256 = _generate(source, size)
        print(f"generated {args.size_mib} MiB in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        shutil.copyfile(source, work / "copy.pdf")
        os.sync()
        copy_seconds = time.perf_counter() - started
        (work / "copy.pdf").unlink()

        limits = {
            "MOTCUA_MAX_FILE_MB": str(args.size_mib * 2),
            "MOTCUA_MAX_DOSSIER_MB": str(args.size_mib * 4),
        }
        with Portal(work, {"MOTCUA_DATABASE_URL": url, **limits}) as portal:
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=portal.url, headers=headers, timeout=None) as client:
                created = client.post(
                    "/api/v1/dossiers",
                    json={"procedure": PROCEDURE, "delivery": {"method": "online"}},
                )
                created.raise_for_status()
                reference = created.json()["reference"]
                idle = memory_mib(portal.pid, "VmRSS")
                sampler = PeakSampler(portal.pid)
                sampler.start()
                with source.open("rb") as body:
                    started = time.perf_counter()
                    response = client.post(
                        f"/api/v1/dossiers/{reference}/files",
                        params={"slot": SLOT},
                        files={"file": ("ho-so-ky-thuat.pdf", body, "application/pdf")},
                    )
                    upload_seconds = time.perf_counter() - started
                sampler.stop.set()
                sampler.join()
                peak = max(memory_mib(portal.pid, "VmHWM"), sampler.peak)
                if response.status_code != 201:
                    raise SystemExit(f"upload refused: {response.status_code} {response.text}")
                stored = response.json()
                submitted = client.post(f"/api/v1/dossiers/{reference}/submit")
                submitted.raise_for_status()

    mb = size / 1_000_000
    upload_rate, copy_rate = mb / upload_seconds, mb / copy_seconds
    print(
        f"file: {args.size_mib} MiB ({mb:.0f} MB), stored size {stored['size']},"
        f" sha256 matches: {stored['sha256'] == sha256}; dossier {submitted.json()['code']}"
    )
    peak_mb = peak * MIB / 1_000_000
    print(
        f"server RSS idle {idle:.0f} MiB, peak {peak:.0f} MiB = {peak_mb:.0f} MB"
        f" (target {TARGET_MB} MB: {'met' if peak_mb <= TARGET_MB else 'MISSED'})"
    )
    print(f"upload through the API: {upload_seconds:.1f} s, {upload_rate:.0f} MB/s")
    print(f"shutil.copyfile on the same disk: {copy_seconds:.1f} s, {copy_rate:.0f} MB/s")
    print(f"ratio upload/copy: {upload_rate / copy_rate:.2f}")


if __name__ == "__main__":
    main()
