"""E-mail delivery: over SMTP when MOTCUA_SMTP_URL is set, else as .eml files in a folder.

The payload of an ``email`` outbox message is ``{"to": ..., "subject": ..., "body": ...}``:
plain UTF-8 text, Vietnamese first, then English.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import smtplib
import ssl
import tempfile
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from app.config import Settings
from app.kit.clock import utcnow

KIND = "email"
SMTP_TIMEOUT = 30


class MailError(Exception):
    """A message could not be built or handed over; the worker retries it later."""


def email_payload(to: str, subject: str, body: str) -> dict[str, Any]:
    """What an ``email`` outbox message carries."""
    return {"to": to, "subject": subject, "body": body}


def build_message(settings: Settings, payload: dict[str, Any]) -> EmailMessage:
    try:
        to, subject, body = str(payload["to"]), str(payload["subject"]), str(payload["body"])
    except KeyError as exc:
        raise MailError(f"e-mail payload lacks {exc}") from exc
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    domain = settings.mail_from.rpartition("@")[2].rstrip(">").strip() or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body, charset="utf-8")
    return message


def write_eml(directory: Path, message: EmailMessage) -> Path:
    """Write the message as an RFC 5322 file, atomically: a reader never sees half of it."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.eml"
    fd, temp = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(message.as_bytes())
            out.flush()
            os.fsync(out.fileno())
        target = directory / name
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


def send_smtp(url: str, message: EmailMessage) -> None:
    """Hand the message to the SMTP server of ``smtp[s]://user:pass@host:port[?starttls=1]``."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailError("MOTCUA_SMTP_URL must be smtp://… or smtps://…")
    tls = parts.scheme == "smtps"
    starttls = parse_qs(parts.query).get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
    port = parts.port or (465 if tls else 587 if starttls else 25)
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if tls:
        client = smtplib.SMTP_SSL(parts.hostname, port, timeout=SMTP_TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(parts.hostname, port, timeout=SMTP_TIMEOUT)
    with client:
        if starttls:
            client.starttls(context=context)
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


async def deliver(settings: Settings, payload: dict[str, Any]) -> None:
    """Send (or write) one e-mail; raises on failure so the worker tries again later."""
    message = build_message(settings, payload)
    if settings.smtp_url:
        await asyncio.to_thread(send_smtp, settings.smtp_url, message)
    else:
        await asyncio.to_thread(write_eml, Path(settings.mail_dir), message)
