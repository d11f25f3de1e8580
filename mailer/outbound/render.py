"""Jinja2 templates -> personalised message bytes.   [pure, but for reading templates]

Speed without losing correctness: the templates are rendered once per *variant* (recipient kind,
group, whether a name is known) with the per-recipient values replaced by opaque markers; CSS is
inlined once; per recipient the values are spliced back by `encoding.py`, the one place that
validates and encodes them. A template that does more than print those values or test them
(a filter, a comparison) is caught by rendering the variant twice with different markers, and
is then rendered in full for each recipient: slower, never wrong.
"""

from __future__ import annotations

import mimetypes
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate
from types import TracebackType
from typing import Any

import css_inline
import jinja2
from markupsafe import escape

from ..config import Config
from ..errors import TemplateError
from ..htmltext import text_version
from ..models import CampaignKind, Directory, Dossier, DossierStatus, Group, Recipient
from ..tokens import BOUNCE, UNSUBSCRIBE, make_token, sub_address, unsubscribe_purpose
from .campaigns import Campaign
from .encoding import (check_address, check_header_value, encode_body, encode_unstructured,
                       format_address)

SLOTS = ("email", "name", "first_name", "unsubscribe_url")
_OPEN, _CLOSE = "\ue000", "\ue001"
_MARKER_RE = re.compile(f"{_OPEN}([sS])(\\d)z*{_CLOSE}")


class SlotMisuse(Exception):
    """A template did more with a per-recipient value than print it or test it."""


class _Slot:
    """Stands for a per-recipient value while a variant is rendered."""

    __slots__ = ("marker", "truthy")

    def __init__(self, marker: str, truthy: bool) -> None:
        self.marker = marker
        self.truthy = truthy

    def __str__(self) -> str:
        return self.marker

    def __html__(self) -> str:          # already safe: escaped when spliced
        return self.marker

    def __bool__(self) -> bool:
        return self.truthy

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise SlotMisuse(name)

    def _misuse(self, *args: Any) -> Any:
        raise SlotMisuse("operation")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _misuse  # type: ignore[assignment]
    __len__ = __iter__ = __getitem__ = __contains__ = __add__ = __radd__ = __mod__ = _misuse  # type: ignore[assignment]
    __hash__ = object.__hash__


def _markers(style: str) -> tuple[str, ...]:
    # Two alphabets of different case and length, so upper/lower/length/truncate show as a difference.
    return tuple(f"{_OPEN}s{i}{_CLOSE}" if style == "a" else f"{_OPEN}S{i}zzz{_CLOSE}" for i in range(len(SLOTS)))


@dataclass(frozen=True)
class DossierView:
    ref: str
    person: str
    country: str
    status: str
    status_label: str
    referent_email: str
    groups: list[Group]


@dataclass(frozen=True)
class _RecipientView:
    email: Any
    name: Any
    first_name: Any
    kind: str
    group: Group | None


@dataclass(frozen=True)
class _Parts:
    """A rendered text split at the markers: statics[0] slot statics[1] slot ... statics[-1]."""

    statics: tuple[str, ...]
    slots: tuple[int, ...]

    @classmethod
    def split(cls, text: str) -> "_Parts":
        pieces = _MARKER_RE.split(text)
        statics = tuple(pieces[0::3])
        slots = tuple(int(i) for i in pieces[2::3])
        if any(_OPEN in s or _CLOSE in s for s in statics):
            raise SlotMisuse("marker altered")
        return cls(statics, slots)

    def join(self, values: Sequence[str]) -> str:
        out = [self.statics[0]]
        for slot, static in zip(self.slots, self.statics[1:]):
            out.append(values[slot])
            out.append(static)
        return "".join(out)


@dataclass(frozen=True)
class _Variant:
    subject: _Parts
    text: _Parts
    html: _Parts
    subject_header: str | None = None     # encoded once when the subject has no per-recipient value


@dataclass(frozen=True)
class Outgoing:
    """One message ready for SMTP."""

    envelope_from: str
    recipient: str
    data: bytes


@dataclass
class RenderOptions:
    salt: str = field(default_factory=lambda: secrets.token_hex(4))   # fixed per campaign at freeze
    today: date = field(default_factory=date.today)
    test: bool = False                                                   # `campaign test`: [TEST] subject


def _template_location(exc: BaseException) -> str:
    """file:line of the innermost template frame of a Jinja error."""
    tb: TracebackType | None = exc.__traceback__
    where = ""
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".txt")) or filename == "<template>":
            where = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


class CampaignRenderer:
    def __init__(self, config: Config, campaign: Campaign, directory: Directory, secret: bytes,
                 options: RenderOptions | None = None) -> None:
        self.config = config
        self.campaign = campaign
        self.directory = directory
        self.secret = secret
        self.options = options or RenderOptions()
        self.templates = config.campaigns.templates
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(self.templates)),
                                      undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                      autoescape=jinja2.select_autoescape(["html", "htm"], default=False))
        self.subject_env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
        self.dossier = self._dossier_view()
        self._variants: dict[tuple[Any, ...], _Variant] = {}
        self.per_recipient = False          # set when a template uses values beyond printing them
        self._date_cache = (0, "")
        self._static_headers = self._build_static_headers()
        self._boundary = f"=_alt_{secrets.token_hex(12)}"
        self._mixed_boundary = f"=_mix_{secrets.token_hex(12)}"
        self._attachments = self._build_attachments()

    # -- context ---------------------------------------------------------------------------
    def _dossier_view(self) -> DossierView | None:
        ref = self.campaign.dossier
        if not ref:
            return None
        dossier: Dossier | None = self.directory.dossier(ref)
        if dossier is None:
            raise TemplateError(f"{self.campaign.source}: dossier {ref!r} is not in the store (mailer import dossiers)")
        groups = [g for g in (self.directory.group(c) for c in dossier.groups) if g is not None]
        return DossierView(dossier.ref, dossier.person, dossier.country, dossier.status,
                           DossierStatus(dossier.status).label, dossier.referent_email, groups)

    def _context(self, recipient: Recipient, values: Sequence[Any]) -> dict[str, Any]:
        group = self.directory.group(recipient.group) if recipient.group else None
        view = _RecipientView(values[0], values[1], values[2], recipient.kind, group)
        return {"recipient": view, "group": group, "dossier": self.dossier,
                "team": self.config.team, "vars": self.campaign.vars, "unsubscribe_url": values[3],
                "today": self.options.today,
                "campaign": {"name": self.campaign.name, "kind": self.campaign.kind, "subject": ""}}

    # -- rendering -------------------------------------------------------------------------
    def _render(self, context: dict[str, Any]) -> tuple[str, str, str]:
        try:
            subject = self.subject_env.from_string(self.campaign.subject).render(context)
            subject = check_header_value(subject.strip(), f"{self.campaign.source}: subject")
            if self.options.test:
                subject = f"[TEST] {subject}"
            context["campaign"]["subject"] = subject
            html_source = self.env.get_template(f"{self.campaign.template}.html").render(context)
            try:
                text_template = self.env.get_template(f"{self.campaign.template}.txt")
            except jinja2.TemplateNotFound:
                text_template = None
            html_body = css_inline.inline(html_source)
            text = text_template.render(context) if text_template else text_version(html_body)
        except SlotMisuse:
            raise
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"{exc.filename or exc.name or '<subject>'}:{exc.lineno}: {exc.message}") from None
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"{self.templates}/{exc.name}: template not found") from None
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{_template_location(exc) or self.campaign.source}: {exc}") from None
        except ValueError as exc:           # css_inline's parse errors
            raise TemplateError(f"{self.campaign.template}.html: {exc}") from None
        return subject, text, html_body

    def _variant(self, recipient: Recipient) -> _Variant | None:
        key = (recipient.kind, recipient.group, bool(recipient.name), bool(recipient.first_name))
        variant = self._variants.get(key)
        if variant is not None or self.per_recipient:
            return variant
        truthy = (True, bool(recipient.name), bool(recipient.first_name), True)
        try:
            renders = []
            for style in ("a", "b"):
                values = [_Slot(m, t) for m, t in zip(_markers(style), truthy)]
                renders.append(self._render(self._context(recipient, values)))
            normalised = [tuple(_MARKER_RE.sub(lambda m: f"{_OPEN}s{m.group(2)}{_CLOSE}", part) for part in r)
                          for r in renders]
            if normalised[0] != normalised[1]:
                raise SlotMisuse("values transformed")
            variant = _Variant(*(_Parts.split(part) for part in normalised[0]))
            if not variant.subject.slots:
                variant = _Variant(variant.subject, variant.text, variant.html,
                                   encode_unstructured(variant.subject.statics[0], "subject"))
        except SlotMisuse:
            self.per_recipient = True
            return None
        if len(self._variants) < 4096:
            self._variants[key] = variant
        return variant

    def _personal(self, recipient: Recipient) -> tuple[tuple[str, str, str, str], str]:
        """The four spliced values, checked, and the recipient's unsubscribe token."""
        check_address(recipient.email)
        check_header_value(recipient.name, "recipient name")
        token = make_token(self.secret, self._unsubscribe_purpose, recipient.email)
        return (recipient.email, recipient.name, recipient.first_name, self._unsubscribe_url(token)), token

    def _parts(self, recipient: Recipient, values: Sequence[str]) -> tuple[str, str, str, _Variant | None]:
        variant = self._variant(recipient)
        if variant is None:
            return (*self._render(self._context(recipient, values)), None)
        escaped = [str(escape(v)) for v in values]      # exactly what Jinja's autoescape does
        return variant.subject.join(values), variant.text.join(values), variant.html.join(escaped), variant

    def render_parts(self, recipient: Recipient) -> tuple[str, str, str]:
        """(subject, text, html) for one recipient: spliced, or rendered in full if need be."""
        subject, text, html_body, _ = self._parts(recipient, self._personal(recipient)[0])
        return subject, text, html_body

    # -- headers and MIME ------------------------------------------------------------------
    @property
    def _unsubscribe_purpose(self) -> str:
        return unsubscribe_purpose("bulletin" if self.campaign.kind == CampaignKind.BULLETIN else "all")

    def _unsubscribe_mailto(self, token: str) -> str:
        return f"mailto:{sub_address(self.config.team.address, UNSUBSCRIBE, token)}?subject=unsubscribe"

    def _unsubscribe_url(self, token: str) -> str:
        if self.config.web.base_url:
            return f"{self.config.web.base_url}/u/{token}"
        return self._unsubscribe_mailto(token)

    def _list_unsubscribe(self, token: str) -> str:
        # Kept unfolded and ASCII: a folded or encoded URL breaks one-click unsubscribe (RFC 8058).
        header = f"List-Unsubscribe: <{self._unsubscribe_mailto(token)}>"
        if self.config.web.base_url:
            header += f", <{self.config.web.base_url}/u/{token}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click"
        return header

    def _build_static_headers(self) -> bytes:
        team = self.config.team
        kind_label = {"alert": "alertes", "reminder": "rappels", "bulletin": "bulletin", "custom": "envois"}
        list_id = f"{kind_label[self.campaign.kind]}.{team.domain}"
        lines = [f"From: {format_address(team.name, team.address)}",
                 f"Reply-To: {check_address(self.campaign.reply_to or team.address)}",
                 f"List-Id: {encode_unstructured(team.name + ' - ' + kind_label[self.campaign.kind])} <{list_id}>",
                 f"X-Mailer-Campaign: {self.campaign.name}",
                 "MIME-Version: 1.0"]
        if self.campaign.kind == CampaignKind.BULLETIN:
            lines.append("Precedence: bulk")
        return ("\r\n".join(lines) + "\r\n").encode("ascii")

    def _build_attachments(self) -> bytes:
        parts = []
        for path in self.campaign.attachments:
            part = EmailMessage()
            ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            maintype, subtype = ctype.split("/", 1)
            part.set_content(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
            parts.append(part.as_bytes(policy=part.policy.clone(linesep="\r\n")))
        return b"".join(f"--{self._mixed_boundary}\r\n".encode() + p + b"\r\n" for p in parts)

    def _date(self) -> str:
        now = int(time.time())
        if self._date_cache[0] != now:
            self._date_cache = (now, formatdate(now, usegmt=True))
        return self._date_cache[1]

    def message_id(self, index: int | None) -> str:
        """Stable per recipient, so a copy resent after a crash is recognised as the same mail."""
        if index is None or self.options.test:
            return f"<t.{self.campaign.name}.{secrets.token_hex(8)}@{self.config.team.domain}>"
        return f"<c.{self.campaign.name}.{index}.{self.options.salt}@{self.config.team.domain}>"

    def envelope_from(self, email: str) -> str:
        """VERP: a bounce to this address names the recipient it was for."""
        return sub_address(self.config.team.address, BOUNCE, make_token(self.secret, BOUNCE, email))

    def build(self, recipient: Recipient, index: int | None = None, deliver_to: str | None = None) -> Outgoing:
        """The message `recipient` gets; `deliver_to` sends that same variant to a proof-reader."""
        values, token = self._personal(recipient)
        subject, text, html_body, variant = self._parts(recipient, values)
        encoded_subject = variant.subject_header if variant and variant.subject_header else \
            encode_unstructured(subject, "subject")
        to = format_address(recipient.name, recipient.email) if deliver_to is None else check_address(deliver_to)
        header_lines = [
            f"To: {to}",
            f"Subject: {encoded_subject}",
            f"Date: {self._date()}",
            f"Message-ID: {self.message_id(index)}",
            self._list_unsubscribe(token),
        ]
        alternative = b"".join([
            f"--{self._boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode(), encode_body(text),
            f"--{self._boundary}\r\nContent-Type: text/html; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode(), encode_body(html_body),
            f"--{self._boundary}--\r\n".encode()])
        alt_type = f'Content-Type: multipart/alternative; boundary="{self._boundary}"\r\n'.encode()
        if self._attachments:
            body = (f'Content-Type: multipart/mixed; boundary="{self._mixed_boundary}"\r\n\r\n'
                    f"--{self._mixed_boundary}\r\n").encode() + alt_type + b"\r\n" + alternative + b"\r\n" \
                + self._attachments + f"--{self._mixed_boundary}--\r\n".encode()
        else:
            body = alt_type + b"\r\n" + alternative
        if deliver_to is not None:
            header_lines.append(f"X-Mailer-Test-As: {check_address(recipient.email)}")
        data = self._static_headers + ("\r\n".join(header_lines) + "\r\n").encode("ascii") + body
        envelope_to = recipient.email if deliver_to is None else deliver_to
        return Outgoing(self.envelope_from(envelope_to), envelope_to, data)

