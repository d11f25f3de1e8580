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
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import Any, Protocol

from ..config import SmtpConfig
from ..errors import MailerError, PermanentSendError, SendError, TemporarySendError, UnknownOutcomeError
from .encoding import dot_stuff
from .render import Outgoing


_MAX_LINE = 8192
ResultCallback = Callable[[int, "SendError | None"], None]   # (position in the batch, error or None)


class Transport(Protocol):
    """What the mails the service writes itself need (answers, digests, notices): one message at a
    time. `SmtpTransport` is the real one; a test may pass any object with these two methods."""

    def send_message(self, message: EmailMessage) -> None:
        """Deliver it, or raise TemporarySendError / PermanentSendError (a MailerError)."""

    def close(self) -> None: ...


Connect = Callable[[SmtpConfig], Transport]      # how a sender opens its transport: SmtpTransport by default


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
        self._body_sent = False     # the current message's body left: a lost reply is an unknown outcome
        self._before_body: Callable[[int], None] | None = None

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

    def _connection(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self._open()
            self._pipelining = self._conn.has_extn("pipelining")
            if self._conn.file is None:
                self._conn.file = self._conn.sock.makefile("rb")
        return self._conn

    def _reply(self) -> tuple[int, str]:
        """One SMTP reply (multi-line aware); leaner than smtplib's getreply on the hot path."""
        assert self._conn is not None and self._conn.file is not None
        lines = []
        while True:
            line = self._conn.file.readline(_MAX_LINE)
            if not line:
                raise smtplib.SMTPServerDisconnected("connection closed by the server")
            lines.append(line[4:].strip().decode("utf-8", "replace"))
            if line[3:4] != b"-":
                break
        try:
            return int(line[:3]), " ".join(lines)
        except ValueError:
            raise smtplib.SMTPServerDisconnected(f"garbled reply {line[:40]!r}") from None

    @staticmethod
    def _envelope(message: Outgoing) -> bytes:
        return f"MAIL FROM:<{message.envelope_from}>\r\nRCPT TO:<{message.recipient}>\r\nDATA\r\n".encode("ascii")

    @staticmethod
    def _body(message: Outgoing) -> bytes:
        body = dot_stuff(message.data)
        return body + (b".\r\n" if body.endswith(b"\r\n") else b"\r\n.\r\n")

    def _envelope_error(self) -> SendError | None:
        """Read the replies to MAIL, RCPT, DATA; None when the server waits for the body."""
        replies = [self._reply() for _ in range(3)]
        for (code, text), ok in zip(replies, ((250,), (250, 251), (354,))):
            if code not in ok:
                if replies[2][0] == 354 or code == 421:
                    self._drop()        # never send '.' to close it: that could deliver an empty mail
                else:
                    self._reset()
                return _classify(code, text)
        return None

    def send_batch(self, messages: Sequence[Outgoing], on_result: ResultCallback,
                   before_each: Callable[[], None] | None = None,
                   should_stop: Callable[[], bool] | None = None,
                   before_body: Callable[[int], None] | None = None) -> int:
        """Send messages in order, reporting each outcome as soon as it is known.

        Returns how many messages got an outcome; the rest were not attempted (a stop request,
        or a lost connection). With PIPELINING (RFC 2920) the body of one message and the
        envelope (MAIL, RCPT, DATA) of the next leave in one write: one round trip per message.
        A body is written only once its own envelope was accepted, so at most one message per
        connection is ever in flight (accepted by the server, outcome not yet reported).
        Addresses were checked by the renderer and go out as they are: smtplib's `sendmail`
        re-parses each one, which cost more than rendering the message. `before_body(position)`
        is called right before a message's body leaves: from then on it may be delivered.
        """
        self._before_body = before_body
        position = 0
        envelope_sent = False
        try:
            while position < len(messages):
                self._body_sent = False
                if not envelope_sent:
                    if should_stop and should_stop():
                        return position
                    if before_each:
                        before_each()
                    conn = self._connection()
                    if not self._pipelining:
                        on_result(position, self._send_unpipelined(messages[position], position))
                        position += 1
                        continue
                    conn.send(self._envelope(messages[position]))
                envelope_sent = False
                error = self._envelope_error()
                if error is not None:
                    on_result(position, error)
                    position += 1
                    continue
                payload = self._body(messages[position])
                more = position + 1 < len(messages) and not (should_stop and should_stop())
                if more:
                    if before_each:
                        before_each()
                    payload += self._envelope(messages[position + 1])
                assert self._conn is not None
                self._body_leaves(position)
                self._conn.send(payload)
                envelope_sent = more
                code, text = self._reply()
                on_result(position, None if code == 250 else _classify(code, text))
                position += 1
                if code == 421:
                    self._drop()
                    envelope_sent = False
        except (smtplib.SMTPServerDisconnected, OSError, socket.timeout) as exc:
            self._drop()
            reason = f"connection lost: {exc or type(exc).__name__}"
            if self._body_sent:
                on_result(position, UnknownOutcomeError(f"{reason} (after the message was sent: "
                                                        "it may have been delivered)"))
            else:
                on_result(position, TemporarySendError(reason))
            return position + 1
        return position

    def _body_leaves(self, position: int) -> None:
        if self._before_body:
            self._before_body(position)
        self._body_sent = True

    def _send_unpipelined(self, message: Outgoing, position: int = 0) -> SendError | None:
        conn = self._connection()
        for command, ok in ((f"MAIL FROM:<{message.envelope_from}>", (250,)),
                            (f"RCPT TO:<{message.recipient}>", (250, 251)), ("DATA", (354,))):
            code, text = conn.docmd(command)
            if code not in ok:
                if code in (354, 421):
                    self._drop()
                else:
                    self._reset()
                return _classify(code, _reply_text(text))
        self._body_leaves(position)
        conn.send(self._body(message))
        code, text = self._reply()
        if code == 421:
            self._drop()
        return None if code == 250 else _classify(code, text)

    def send(self, message: Outgoing) -> None:
        """Deliver one message or raise TemporarySendError / PermanentSendError."""
        outcome: list[SendError | None] = []
        self.send_batch([message], lambda _, error: outcome.append(error))
        if outcome and outcome[0] is not None:
            raise outcome[0]

    def _reset(self) -> None:
        try:
            if self._conn is not None:
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

    def __init__(self, rate: float, stop: Any = None) -> None:
        """`stop`: a threading or multiprocessing Event that cuts a wait short."""
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
