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
        """Deliver one message or raise TemporarySendError / PermanentSendError."""
        if self._conn is None:
            self._conn = self._open()
        try:
            self._conn.sendmail(message.envelope_from, [message.recipient], message.data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _classify(code, _reply_text(text)) from None
        except smtplib.SMTPResponseException as exc:      # sender refused, data error
            if exc.smtp_code in (421, -1):
                self._drop()
            raise _classify(exc.smtp_code, _reply_text(exc.smtp_error)) from None
        except (smtplib.SMTPServerDisconnected, OSError, socket.timeout) as exc:
            self._drop()
            raise TemporarySendError(f"connection lost: {exc or type(exc).__name__}") from None

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
