"""The development mail outbox: every mail printed to the console (as before) and kept as an `.eml` file in
`DEV_MAIL_DIR` (`var/mail/`), so `/dev/mails/` (`core.dev_mails`) can list them and show their links.

Settings choose this backend only with `DEBUG` on and no real transport configured (`EMAIL_URL` unset or
`consolemail://`); production mails go to the SMTP server `EMAIL_URL` names and are never kept.
The outbox keeps the newest `DEV_MAIL_KEEP` mails, so listing it stays cheap however long `make run` runs.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage as ParsedMessage
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.message import EmailMessage

# `20261130T081500123456Z-<hex>.eml`: names sort by the time they were written, newest last.
NAME = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{32}\.eml$")


def outbox_dir() -> Path:
    return Path(settings.DEV_MAIL_DIR)


class OutboxEmailBackend(ConsoleBackend):
    """Console output plus one `.eml` file per mail in the outbox."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(email_messages)
        directory = outbox_dir()
        directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            path = directory / f"{stamp}-{uuid.uuid4().hex}.eml"
            temporary = path.with_suffix(".tmp")
            temporary.write_bytes(message.message().as_bytes(linesep="\n"))
            temporary.replace(path)  # a reader never sees half a mail
        _trim(directory)
        return sent


def _trim(directory: Path) -> None:
    names = sorted(entry.name for entry in directory.iterdir() if NAME.match(entry.name))
    for name in names[: max(len(names) - settings.DEV_MAIL_KEEP, 0)]:
        (directory / name).unlink(missing_ok=True)


@dataclass(frozen=True)
class OutboxMail:
    name: str
    subject: str
    sender: str
    to: str
    sent_at: datetime
    text: str
    html: str


def _read(name: str) -> ParsedMessage:
    parsed = message_from_bytes((outbox_dir() / name).read_bytes(), policy=policy.default)
    assert isinstance(parsed, ParsedMessage)
    return parsed


def _sent_at(name: str) -> datetime:
    """When the outbox kept the mail (its name's stamp, in UTC)."""
    return datetime.strptime(name.split("-")[0], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)


def outbox_page(*, before: str = "", size: int = 25) -> tuple[list[OutboxMail], str]:
    """The `size` newest mails older than `before` (a file name), and the cursor of the next page ('' if none)."""
    directory = outbox_dir()
    if not directory.is_dir():
        return [], ""
    names = sorted((entry.name for entry in directory.iterdir() if NAME.match(entry.name)), reverse=True)
    if before:
        names = [name for name in names if name < before]
    page, more = names[:size], len(names) > size
    mails = []
    for name in page:
        parsed = _read(name)
        mails.append(
            OutboxMail(
                name=name,
                subject=str(parsed["Subject"] or ""),
                sender=str(parsed["From"] or ""),
                to=str(parsed["To"] or ""),
                sent_at=_sent_at(name),
                text="",
                html="",
            )
        )
    return mails, page[-1] if more and page else ""


def outbox_mail(name: str) -> OutboxMail | None:
    """One mail with its text and HTML bodies, or None when there is no such mail."""
    if not NAME.match(name) or not (outbox_dir() / name).is_file():
        return None
    parsed = _read(name)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    return OutboxMail(
        name=name,
        subject=str(parsed["Subject"] or ""),
        sender=str(parsed["From"] or ""),
        to=str(parsed["To"] or ""),
        sent_at=_sent_at(name),
        text=text_part.get_content() if isinstance(text_part, ParsedMessage) else "",
        html=html_part.get_content() if isinstance(html_part, ParsedMessage) else "",
    )
