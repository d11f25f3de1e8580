"""Shared fixtures: real SMTP servers on free loopback ports, a project on disk, a CLI runner."""

from __future__ import annotations

import socket
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session, SMTP as SMTPServer
from click.testing import CliRunner

from mailer.cli import main
from mailer.config import load_config
from mailer.models import Dossier, Group
from mailer.registry import upsert_dossiers, upsert_groups
from mailer.store import Store

pytest_plugins = ("dovecot",)     # the `dovecot` and `dovecot_factory` fixtures, for every module

DATA = Path(__file__).parent / "data"


def free_port() -> int:
    """aiosmtpd's Controller cannot bind port 0: ask the OS for a free one first."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Delivery:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class Recorder:
    """A handler that records every accepted message; `reply` can force an SMTP answer per RCPT."""

    deliveries: list[Delivery] = field(default_factory=list)
    reject: dict[str, str] = field(default_factory=dict)       # lower-cased address -> "550 ..." / "451 ..."
    reject_once: dict[str, str] = field(default_factory=dict)  # same, for the first attempt only
    reject_all: str = ""                                       # every RCPT gets this answer
    attempts: Counter[str] = field(default_factory=Counter)    # RCPT commands seen per address
    pipelining: bool = True                                    # advertise RFC 2920, as real MTAs do
    drop_every: int = 0                 # every Nth DATA: close the connection without accepting
    data_seen: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server: SMTPServer, session: Session, envelope: Envelope, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server: SMTPServer, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        key = address.lower()
        with self.lock:
            self.attempts[key] += 1
            answer = self.reject_all or self.reject.get(key) or self.reject_once.pop(key, "")
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        with self.lock:
            self.data_seen += 1
            drop = self.drop_every and self.data_seen % self.drop_every == 0
        if drop:
            server.transport.close()
            return "421 dropped"
        with self.lock:
            self.deliveries.append(Delivery(envelope.mail_from, list(envelope.rcpt_tos),
                                            envelope.original_content or envelope.content))
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        with self.lock:
            return [r.lower() for d in self.deliveries for r in d.rcpt_tos]


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: Recorder
    controller: Controller


@pytest.fixture
def smtp_server_factory() -> Iterator[Callable[..., SmtpServer]]:
    """Start real aiosmtpd servers in threads; each stops when the test ends."""
    started: list[Controller] = []

    def start(handler: Recorder | None = None, **kwargs: object) -> SmtpServer:
        handler = handler or Recorder()
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        started.append(controller)
        return SmtpServer("127.0.0.1", port, handler, controller)

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def smtp_server(smtp_server_factory: Callable[..., SmtpServer]) -> SmtpServer:
    return smtp_server_factory()


def write_config(folder: Path, smtp_port: int = 8025, extra: str = "", templates: Path | None = None,
                 smtp_extra: str = "", confirm_reports: bool = True) -> Path:
    """A config.toml for a throwaway project in `folder` (templates: the shipped ones by default)."""
    repo = Path(__file__).resolve().parent.parent
    templates = templates or repo / "templates"
    config = folder / "config.toml"
    config.write_text(textwrap.dedent(f"""\
        [team]
        name = "Protégeons les personnes"
        address = "protegeonslespersonnes@example.org"
        coordinators = ["coordination@example.org"]
        [storage]
        path = "var/mailer.json"
        [smtp]
        host = "127.0.0.1"
        port = {smtp_port}
        security = "none"
        max_connections = 2
        timeout_seconds = 10
        #SMTP_EXTRA
        [campaigns]
        templates = "{templates}"
        [security]
        secret_env = "MAILER_TEST_SECRET_UNSET"
        """).replace("#SMTP_EXTRA", textwrap.dedent(smtp_extra)) + _inbox(textwrap.dedent(extra), confirm_reports),
        encoding="utf-8")
    return config


def _inbox(extra: str, confirm_reports: bool) -> str:
    """`confirm_reports=False`: a test of a free-text report recorded at once (as before issue 9's
    confirmation) says so in the config it writes (the service's default is true)."""
    if confirm_reports:
        return extra
    if "[inbox]" in extra:
        return extra.replace("[inbox]\n", "[inbox]\nconfirm_reports = false\n", 1)
    return extra + "\n[inbox]\nconfirm_reports = false\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with a config.toml (free-text reports recorded at once); returns the config path."""
    return write_config(tmp_path, confirm_reports=False)


@pytest.fixture
def cli() -> Callable[..., object]:
    """Invoke `mailer --config CONFIG args...` in-process; returns click's Result."""
    runner = CliRunner()

    def invoke(config: Path, *args: str, input: str | None = None):  # noqa: A002
        return runner.invoke(main, ["--config", str(config), *args], input=input, catch_exceptions=False)

    return invoke


# -- a sending project (helpers in sending.py) ------------------------------------------------

@pytest.fixture
def seeded(tmp_path: Path) -> Callable[[Path], None]:
    def seed(config: Path) -> None:
        store = Store(load_config(config).storage.path)
        upsert_groups(store, [Group("G037", "Groupe 37 de Lyon", "groupe_local", "Lyon", "groupe37@example.org")])
        upsert_dossiers(store, [Dossier("DI-2025-014", "Leïla Sadeghi", "Iran", "active", "ref@example.org", ["G037"])])
    return seed


@pytest.fixture
def setup(tmp_path: Path, smtp_server: SmtpServer, seeded: Callable[[Path], None]):
    def make(people: int = 30, smtp_extra: str = "", **campaign: Any) -> tuple[Path, Path]:
        from sending import make_project, write_campaign      # sending.py imports this module
        config = make_project(tmp_path, smtp_server, people, smtp_extra)
        seeded(config)
        return config, write_campaign(tmp_path, **campaign)
    return make
