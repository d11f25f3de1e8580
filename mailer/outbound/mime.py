"""The bytes around a campaign message's text: static headers, List-Unsubscribe, multipart framing.   [pure]

Built with CRLF line ends, ready for SMTP. Every value that reaches a header goes through
`encoding.py`; the attachments are given as bytes (read by `files.read_attachments`).
"""

from __future__ import annotations

import mimetypes
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from ..config import Config
from ..models import CampaignKind
from ..tokens import REPLY, VOLUNTEER
from .campaigns import Campaign
from .encoding import check_address, encode_body, encode_unstructured, format_address

KIND_LABELS = {"alert": "alertes", "reminder": "rappels", "bulletin": "bulletin", "custom": "envois", "call": "appels"}


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes


def reply_prefix(campaign: Campaign) -> str | None:
    """Alerts and reminders without a `reply_to` of their own get a per-recipient Reply-To,
    `team+r-TOKEN@domain` (tokens.reply_purpose): a reply to it names the group and the dossier.
    A call for volunteers gets `team+v-TOKEN@domain` (tokens.call_purpose): a reply to it is a
    sign-up for its dossier. None: the static Reply-To."""
    if campaign.reply_to:
        return None
    if campaign.kind in (CampaignKind.ALERT, CampaignKind.REMINDER):
        return REPLY
    return VOLUNTEER if campaign.kind == CampaignKind.CALL else None


def replies_by_token(campaign: Campaign) -> bool:
    return reply_prefix(campaign) is not None


def static_headers(config: Config, campaign: Campaign) -> bytes:
    """The headers every message of the campaign shares, encoded once."""
    team = config.team
    label = KIND_LABELS[campaign.kind]
    reply_to = [] if replies_by_token(campaign) else [f"Reply-To: {check_address(campaign.reply_to or team.address)}"]
    lines = [f"From: {format_address(team.name, team.address)}",
             *reply_to,
             f"List-Id: {encode_unstructured(team.name + ' - ' + label)} <{label}.{team.domain}>",
             f"X-Mailer-Campaign: {campaign.name}",
             "MIME-Version: 1.0"]
    if campaign.kind == CampaignKind.BULLETIN:
        lines.append("Precedence: bulk")
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def list_unsubscribe(mailto: str, web_url: str) -> str:
    # Kept unfolded and ASCII: a folded or encoded URL breaks one-click unsubscribe (RFC 8058).
    header = f"List-Unsubscribe: <{mailto}>"
    if web_url:
        header += f", <{web_url}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click"
    return header


class Frame:
    """A campaign's multipart structure: its boundaries and attachments, fixed once."""

    def __init__(self, attachments: Sequence[Attachment]) -> None:
        self.boundary = f"=_alt_{secrets.token_hex(12)}"
        self.mixed_boundary = f"=_mix_{secrets.token_hex(12)}"
        self.attachments = b"".join(f"--{self.mixed_boundary}\r\n".encode() + _attachment(a) + b"\r\n"
                                    for a in attachments)

    def body(self, text: str, html_body: str) -> bytes:
        """Content-Type onwards: text and HTML alternatives, in a multipart/mixed with the attachments."""
        alternative = b"".join([
            f"--{self.boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode(), encode_body(text),
            f"--{self.boundary}\r\nContent-Type: text/html; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode(), encode_body(html_body),
            f"--{self.boundary}--\r\n".encode()])
        alt_type = f'Content-Type: multipart/alternative; boundary="{self.boundary}"\r\n'.encode()
        if not self.attachments:
            return alt_type + b"\r\n" + alternative
        return (f'Content-Type: multipart/mixed; boundary="{self.mixed_boundary}"\r\n\r\n'
                f"--{self.mixed_boundary}\r\n").encode() + alt_type + b"\r\n" + alternative + b"\r\n" \
            + self.attachments + f"--{self.mixed_boundary}--\r\n".encode()


def _attachment(attachment: Attachment) -> bytes:
    part = EmailMessage()
    ctype = mimetypes.guess_type(attachment.filename)[0] or "application/octet-stream"
    maintype, subtype = ctype.split("/", 1)
    part.set_content(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return part.as_bytes(policy=part.policy.clone(linesep="\r\n"))
