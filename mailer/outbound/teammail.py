"""Mail the service writes to its own coordinators: the headers every such notice carries, and
sending one on its own connection."""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from ..config import Config
from ..tokens import new_message_id
from .send import Connect


def coordinator_notice(config: Config, subject: str, now: datetime) -> EmailMessage:
    """From the team to `team.coordinators`, dated in the team's zone, with an unguessable Message-ID."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = Address(config.team.name, addr_spec=config.team.address)
    message["To"] = [Address(addr_spec=a) for a in config.team.coordinators]
    message["Date"] = format_datetime(now.astimezone(config.team.tz))
    message["Message-ID"] = new_message_id(config.team.domain)
    message["Auto-Submitted"] = "auto-generated"           # RFC 3834: no auto-reply back at us
    return message


def send_alone(config: Config, message: EmailMessage, connect: Connect) -> None:
    """One message over its own connection, closed whatever happens; errors are the caller's."""
    transport = connect(config.smtp)
    try:
        transport.send_message(message)
    finally:
        transport.close()
