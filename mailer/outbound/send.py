"""SMTP: the only module that imports smtplib. Connections, TLS, pacing, error classes.

Every network call has the configured timeout; TLS always verifies the certificate (Python's
clients given no context accept any certificate); smtplib's debug output (which shows the AUTH
line, i.e. the password) is never switched on.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
import time
from email.message import EmailMessage

from ..config import SmtpConfig
from ..errors import MailerError, PermanentSendError, TemporarySendError
from .encoding import dot_stuff
from .render import Outgoing


class SmtpSetupError(MailerError):
    """The relay cannot be used at all (TLS refused or unverifiable, authentication failed)."""


def _classify(code: int, text: str) -> TemporarySendError | PermanentSendError:
    if 400 <= code < 500:
        return TemporarySendError(f"{code} {text}", code)
    if 500 <= code < 600:
        return PermanentSendError(f"{code} {text}", code)
    return TemporarySendError(f"unexpected reply {code} {text}", code)


def _reply_text(raw: bytes | str) -> str:
    return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)).replace("\n", " ")


class SmtpTransport:
    """One persistent connection, reopened on demand."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._conn: smtplib.SMTP | None = None
        self._pipelining = False

    def _open(self) -> smtplib.SMTP:
        cfg = self.config
        context = ssl.create_default_context()
        try:
            if cfg.security == "tls":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_seconds,
                                                      context=context)
            else:
                conn = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
            conn.ehlo()
            if cfg.security == "starttls":
                if not conn.has_extn("starttls"):
                    conn.close()
                    raise SmtpSetupError(f"{cfg.host}:{cfg.port} does not offer STARTTLS; refusing to send in clear")
                conn.starttls(context=context)
                conn.ehlo()
            if cfg.username:
                conn.login(cfg.username, cfg.password())
        except ssl.SSLCertVerificationError as exc:
            raise SmtpSetupError(f"{cfg.host}:{cfg.port}: TLS certificate not trusted: {exc.verify_message}") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise SmtpSetupError(f"{cfg.host}:{cfg.port}: authentication failed for {cfg.username!r} "
                                 f"({exc.smtp_code}); check ${cfg.password_env}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise SmtpSetupError(f"{cfg.host}:{cfg.port}: {exc}") from None
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, _reply_text(exc.smtp_error)) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporarySendError(f"cannot connect to {cfg.host}:{cfg.port}: {exc}") from None
        return conn

    def send(self, message: Outgoing) -> None:
        """Deliver one message or raise TemporarySendError / PermanentSendError.

        With PIPELINING (RFC 2920) MAIL, RCPT and DATA go in one write: two round trips per
        message instead of four. Addresses were checked by the renderer, so they go out as they
        are (smtplib's `sendmail` re-parses each one, which cost more than rendering).
        """
        if self._conn is None:
            self._conn = self._open()
            self._pipelining = self._conn.has_extn("pipelining")
        conn = self._conn
        try:
            commands = [f"MAIL FROM:<{message.envelope_from}>", f"RCPT TO:<{message.recipient}>", "DATA"]
            replies: list[tuple[int, bytes]] = []
            if self._pipelining:
                conn.send("".join(c + "\r\n" for c in commands).encode("ascii"))
                replies = [conn.getreply() for _ in commands]
            else:
                for command in commands:
                    replies.append(conn.docmd(command))
                    if replies[-1][0] not in (250, 251, 354):
                        break
            failed = next((r for r, ok in zip(replies, ((250,), (250, 251), (354,))) if r[0] not in ok), None)
            if failed is not None:
                if len(replies) == 3 and replies[2][0] == 354:
                    conn.send(b".\r\n")       # the server opened DATA anyway: close it empty
                    conn.getreply()
                self._after_error(failed[0])
                raise _classify(failed[0], _reply_text(failed[1]))
            body = dot_stuff(message.data)
            conn.send(body + (b".\r\n" if body.endswith(b"\r\n") else b"\r\n.\r\n"))
            code, text = conn.getreply()
            if code != 250:
                self._after_error(code)
                raise _classify(code, _reply_text(text))
        except (smtplib.SMTPServerDisconnected, OSError, socket.timeout) as exc:
            self._drop()
            raise TemporarySendError(f"connection lost: {exc or type(exc).__name__}") from None

    def _after_error(self, code: int) -> None:
        """421 means the server is closing; anything else leaves a transaction to reset."""
        if code == 421 or self._conn is None:
            self._drop()
            return
        try:
            self._conn.docmd("RSET")
        except (smtplib.SMTPException, OSError):
            self._drop()

    def send_message(self, message: EmailMessage) -> None:
        """For the occasional notice built with the email package."""
        if self._conn is None:
            self._conn = self._open()
        try:
            self._conn.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _classify(code, _reply_text(text)) from None
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, _reply_text(exc.smtp_error)) from None
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise TemporarySendError(f"connection lost: {exc}") from None

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()


class Pacer:
    """At most `rate` calls to `wait()` per second (0 = unlimited), by sleeping, never spinning."""

    def __init__(self, rate: float, stop: threading.Event | None = None) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = time.monotonic()
        self.stop = stop or threading.Event()
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            self.next_at = max(self.next_at + self.interval, now)
            delay = self.next_at - now - self.interval
        if delay > 0:
            self.stop.wait(delay)
