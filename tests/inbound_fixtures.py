"""Fixtures for the inbox tests: a project with fr-dev's directory imported, a steerable clock,
and builders for the machine mail the corpora lack (DSNs, ARF) with our real tokens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import SmtpServer, write_config

from mailer.config import Config, load_config
from mailer.sheets.importer import ImportKind
from mailer.inbound.pipeline import Processor
from mailer.outbound.answers import AnswerSender
from mailer.registry import import_file
from mailer.store import Store

DATA = Path(__file__).parent / "data"
TEAM = "protegeonslespersonnes@example.org"


@dataclass
class Clock:
    """A clock the test moves: bounce scoring and 'one answer a day' depend on the day."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 20, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: float) -> None:
        self.now += timedelta(days=days)


@dataclass
class Inbox:
    config_path: Path
    config: Config
    store: Store
    clock: Clock
    smtp: SmtpServer | None

    def processor(self) -> Processor:
        return Processor(self.config, self.store, clock=self.clock)

    def answers(self) -> AnswerSender:
        """The outbound wing's sender of what the processor left pending, on the same clock."""
        return AnswerSender(self.config, self.store, clock=self.clock)

    def docs(self, table: str) -> list[dict]:
        return self.store.snapshot().docs(table)

    def mail_consents(self) -> list[dict]:
        """The consents given by mail (the fixture's import vouched for fr-dev's members)."""
        return [d for d in self.docs("consents") if d.get("via") != "import"]


def import_corpus(store: Store, folder: Path) -> None:
    for kind in (ImportKind.GROUPS, ImportKind.DOSSIERS, ImportKind.MEMBERS):
        report = import_file(store, kind, folder / f"{kind.value}.csv")
        assert report.complete, report.rejected


@pytest.fixture(name="inbox")
def inbox_fixture(tmp_path: Path, smtp_server: SmtpServer) -> Inbox:
    """A project whose SMTP is a real aiosmtpd server, with fr-dev's groups, dossiers and members; free-text
    reports are recorded at once (`confirm_reports = false`: tests/test_report_confirm.py tests the default)."""
    config_path = write_config(tmp_path, smtp_port=smtp_server.port, confirm_reports=False)
    config = load_config(config_path)
    store = Store(config.storage.path)
    import_corpus(store, DATA / "fr-dev")
    return Inbox(config_path, config, store, Clock(), smtp_server)


def fr_dev(name: str) -> bytes:
    return (DATA / "fr-dev" / name).read_bytes()


def mail(sender: str, body: str, subject: str = "Bonjour", to: str = TEAM, extra: str = "",
         message_id: str = "<m1@example.net>", name: str = "") -> bytes:
    """A plain French mail from a person."""
    display = f"{name} <{sender}>" if name else sender
    return (f"From: {display}\nTo: {to}\nSubject: {subject}\nDate: Fri, 20 Mar 2026 08:00:00 +0100\n"
            f"Message-ID: {message_id}\n{extra}MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
            f"Content-Transfer-Encoding: 8bit\n\n{body}").encode()


def dsn(recipient: str, status: str = "5.1.1", action: str = "failed", to: str = TEAM,
        message_id: str = "<dsn1@mx.example.net>", returned: str = "") -> bytes:
    """An RFC 3464 delivery-status notification, as Postfix writes them; `returned`: the headers of
    the returned message (a text/rfc822-headers part), e.g. its Message-ID."""
    returned_part = f"--B\nContent-Type: text/rfc822-headers\n\n{returned}\n\n" if returned else ""
    return (f"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\nTo: {to}\n"
            f"Subject: Undelivered Mail Returned to Sender\nDate: Fri, 20 Mar 2026 08:00:00 +0100\n"
            f"Message-ID: {message_id}\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
            f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
            f"--B\nContent-Type: text/plain\n\nI'm sorry to have to inform you that your message could not be "
            f"delivered.\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
            f"Final-Recipient: rfc822; {recipient}\nAction: {action}\nStatus: {status}\n"
            f"Diagnostic-Code: smtp; {'550 5.1.1 User unknown' if status.startswith('5') else '450 4.2.0 try later'}\n"
            f"\n{returned_part}--B--\n").encode("ascii")


ProcessorFactory = Callable[[], Processor]
