"""The embedded capture server: a local SMTP server that delivers nothing to the outside world.

With `[smtp] embedded = true`, mailer needs no external mail server to be tried end to end:
mail for the team address (and its `+tag` sub-addresses, which carry the unsubscribe, bounce
and confirmation tokens) lands in the inbox Maildir the inbound wing reads; every other
recipient's copy lands in the outbox Maildir, where a coordinator can read what would have
been sent. A message with both kinds of recipients goes to both.

Each stored copy starts with `Return-Path:` (the envelope sender) and one `Delivered-To:` per
envelope recipient of that copy, as a real MTA's local delivery does: the envelope is the only
reliable place for a VERP token (`team+b-TOKEN@...`) since headers may name anyone.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from pathlib import Path
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from ..config import Config, is_loopback_host
from ..errors import ConfigError, MailerError
from .maildirs import MaildirWriter
from ..tokens import is_team_address

__all__ = [
    "MAX_MESSAGE_BYTES",
    "MAX_RECIPIENTS",
    "CaptureError",
    "CaptureHandler",
    "CaptureServer",
    "MaildirWriter",
    "stamp",
]

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 25 * 1024 * 1024   # what common providers accept; bigger is a mistake here
MAX_RECIPIENTS = 1000                  # per transaction; the sender uses one per message (VERP)


class CaptureError(MailerError):
    """The capture server cannot start (port taken, address unavailable...)."""


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def stamp(data: bytes, mail_from: str, recipients: list[str]) -> bytes:
    """The stored copy: trace headers on top, line endings as a Maildir file keeps them (LF).

    A null sender (`MAIL FROM:<>`, bounces and auto-replies) is recorded as `Return-Path: <>`.
    """
    lines = [f"Return-Path: <{mail_from}>"] + [f"Delivered-To: {r}" for r in recipients]
    head = ("\n".join(lines) + "\n").encode("utf-8")
    return head + data.replace(b"\r\n", b"\n")


class CaptureHandler:
    """aiosmtpd handler: accepts any recipient and files each message by recipient type."""

    def __init__(self, team_address: str, inbox: Path, outbox: Path,
                 max_recipients: int = MAX_RECIPIENTS) -> None:
        self.team_address = team_address
        self.inbox = MaildirWriter(inbox)
        self.outbox = MaildirWriter(outbox)
        self.max_recipients = max_recipients

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, mail_options: list[str]) -> str:
        if _has_control(address):
            return "553 5.1.7 Control characters in the sender address"
        envelope.mail_from = address    # "<>" for a null sender: aiosmtpd needs it truthy
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if _has_control(address) or "@" not in address:
            return "553 5.1.3 Invalid recipient address"
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        if isinstance(data, str):       # only with decode_data=True, which we never set
            data = data.encode("utf-8", "surrogateescape")
        mail_from = "" if envelope.mail_from in (None, "<>") else envelope.mail_from
        recipients = list(dict.fromkeys(envelope.rcpt_tos))
        team = [r for r in recipients if is_team_address(r, self.team_address)]
        others = [r for r in recipients if not is_team_address(r, self.team_address)]
        try:
            # Disk IO off the event loop, so a slow fsync does not stall other sessions.
            await asyncio.get_running_loop().run_in_executor(
                None, self._store, data, mail_from, team, others)
        except OSError as exc:
            log.error("capture: cannot store a message from <%s>: %s", mail_from, exc)
            return "451 4.3.0 Local error while storing the message"
        log.info("capture: from <%s> recipients=%d (inbox %d, outbox %d) size=%d",
                 mail_from, len(recipients), len(team), len(others), len(data))
        return "250 2.0.0 Message accepted"

    def _store(self, data: bytes, mail_from: str, team: list[str], others: list[str]) -> None:
        """One Maildir write per recipient type, whatever the number of recipients."""
        if team:
            self.inbox.deliver(stamp(data, mail_from, team))
        if others:
            self.outbox.deliver(stamp(data, mail_from, others))


class _NoMessageLines(logging.Filter):
    """aiosmtpd logs every line of DATA (the message body) and of an AUTH exchange at DEBUG:
    those never reach a log, whatever the level (`mailer -v` included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_NO_MESSAGE_LINES = _NoMessageLines()


def _quiet_aiosmtpd() -> None:
    """aiosmtpd logs every SMTP command with its addresses at INFO on "mail.log"; we log one
    line per message instead. Left alone when someone configured that logger or asked for DEBUG
    (`-v`: the commands, AUTH masked by aiosmtpd); its DEBUG lines are dropped always.
    """
    for name in ("mail.log", "mail.debug"):
        if _NO_MESSAGE_LINES not in logging.getLogger(name).filters:
            logging.getLogger(name).addFilter(_NO_MESSAGE_LINES)
    aiosmtpd_log = logging.getLogger("mail.log")
    if aiosmtpd_log.level == logging.NOTSET and not log.isEnabledFor(logging.DEBUG):
        aiosmtpd_log.setLevel(logging.WARNING)


def _refuse_contradictions(config: Config) -> None:
    """Settings the capture server would defeat at every send: senders connect to it in clear and
    without AUTH. (An outbox that is the inbox is refused by config.py already.)"""
    smtp, source = config.smtp, config.source
    if smtp.security != "none":
        raise ConfigError(f"{source}: smtp.security: the capture server (embedded = true) speaks no TLS, so "
                          f"security = {smtp.security!r} would fail every send; set it to \"none\", or set "
                          "smtp.embedded = false to send through a real relay")
    if smtp.username:
        raise ConfigError(f"{source}: smtp.username: the capture server (embedded = true) offers no AUTH, "
                          "so every send would fail; leave it empty, or set smtp.embedded = false to send "
                          "through a real relay")


class CaptureServer:
    """The capture server on `[smtp] host:port`, run in a thread (tests, `dev-smtp`, `serve`).

    Refuses to start unless `[smtp] embedded = true` and the host is a loopback address: it
    accepts mail from anyone without authentication, which is only safe on this machine.
    """

    def __init__(self, config: Config) -> None:
        smtp = config.smtp
        if not smtp.embedded:
            raise ConfigError(
                f"{config.source}: smtp.embedded is false: mailer sends through {smtp.host}:{smtp.port}, "
                "so it does not run its own capture server (set embedded = true to use it)")
        if not is_loopback_host(smtp.host):
            raise ConfigError(
                f"{config.source}: smtp.host: the capture server only listens on a loopback address "
                f"(127.0.0.1, ::1, localhost), not {smtp.host!r}; to send through {smtp.host}, "
                "set smtp.embedded = false")
        _refuse_contradictions(config)
        self.host = smtp.host
        self.port = smtp.port
        self.config_source = config.source
        self.inbox = config.inbox.maildir
        self.outbox = smtp.outbox
        self.handler = CaptureHandler(config.team.address, self.inbox, self.outbox)
        self._controller: Controller | None = None

    def start(self) -> CaptureServer:
        if self._controller is not None:
            return self
        _quiet_aiosmtpd()
        controller = Controller(
            self.handler, hostname=self.host, port=self.port,
            server_hostname="localhost",            # skips a slow getfqdn() DNS lookup
            data_size_limit=MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,                   # 8BITMIME is always on (decode_data=False)
            decode_data=False,
        )
        try:
            controller.start()
        except (OSError, TimeoutError, RuntimeError) as exc:
            try:
                controller.stop(no_assert=True)
            except Exception:  # noqa: BLE001  (the start error is the one worth reporting)
                pass
            raise CaptureError(self._start_error(exc)) from None
        self._controller = controller
        log.info("capture server listening on %s:%d (team mail -> %s, other mail -> %s)",
                 self.host, self.port, self.inbox, self.outbox)
        return self

    def _start_error(self, exc: BaseException) -> str:
        """Why it could not start, and which key to change: the OS's words alone do not say."""
        where = f"cannot start the capture server on {self.host}:{self.port}"
        code = getattr(exc, "errno", None)
        if code == errno.EADDRINUSE:
            why = "the port is in use (another mailer serve or dev-smtp?)"
            fix = f"stop it, or set smtp.port in {self.config_source}"
        elif code == errno.EACCES:
            why = "this user may not listen on that port (ports below 1024 need root)"
            fix = f"set smtp.port in {self.config_source} to 1024 or above (the sample uses 8025)"
        elif code in (errno.EADDRNOTAVAIL, socket.EAI_NONAME, socket.EAI_AGAIN):
            why = "this machine has no such address"
            fix = f"set smtp.host in {self.config_source} to 127.0.0.1"
        else:
            why, fix = str(exc) or type(exc).__name__, f"check smtp.host and smtp.port in {self.config_source}"
        return f"{where}: {why}; {fix}"

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
            log.info("capture server stopped")

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> CaptureServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
