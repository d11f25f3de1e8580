"""A transport that keeps messages in a list: the real alternative a test passes to the senders
of answers, digests and notices (`mailer.outbound.send.Transport`), where no server is needed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from mailer.config import SmtpConfig
from mailer.errors import MailerError
from mailer.outbound.send import Transport


@dataclass
class MemoryTransport:
    """Keeps what it is given; `refuse` maps a recipient to the error its message raises."""

    sent: list[EmailMessage] = field(default_factory=list)
    refuse: dict[str, MailerError] = field(default_factory=dict)
    opened: int = 0
    closed: int = 0

    def send_message(self, message: EmailMessage) -> None:
        error = next((e for to, e in self.refuse.items() if to in str(message["To"])), None)
        if error is not None:
            raise error
        self.sent.append(message)

    def close(self) -> None:
        self.closed += 1

    def connect(self) -> Callable[[SmtpConfig], Transport]:
        """The factory a sender takes (`connect=`): every connection is this one list."""
        def opened(_: SmtpConfig) -> Transport:
            self.opened += 1
            return self
        return opened
