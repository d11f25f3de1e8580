"""Jinja2 templates -> personalised message bytes.   [pure]

Speed without losing correctness: the templates are rendered once per *variant* (recipient kind,
group, whether a name is known) with the per-recipient values replaced by markers (`splice.py`);
CSS is inlined once; per recipient the values are spliced back, each validated and encoded by
`encoding.py`; `mime.py` frames the result. The templates (a Jinja loader), the clock and the
attachments come from the caller (`files.py`, `runner.py`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from email.utils import formatdate
from types import TracebackType
from typing import Any

import css_inline
import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import escape

from ..config import Config
from ..errors import TemplateError
from ..figures import DossierFigures, french_euros, french_number
from ..htmltext import text_version
from ..models import CampaignKind, Directory, Dossier, DossierOutcome, DossierStatus, Group, Recipient
from ..tokens import (BOUNCE, REPLY, UNSUBSCRIBE, call_purpose, campaign_message_id, make_token, reply_purpose,
                      sub_address, unsubscribe_purpose)
from .campaigns import Campaign
from .markdown import BulletinBody, render_markdown
from .encoding import check_address, check_header_value, encode_unstructured, format_address
from .mime import Attachment, Frame, list_unsubscribe, reply_prefix, static_headers
from .splice import Parts, SlotMisuse, Variant, same_markers, slots


@dataclass(frozen=True)
class DossierView:
    ref: str
    person: str
    country: str
    status: str
    status_label: str
    referent_email: str
    groups: list[Group]
    outcome: str = ""               # issue 10: DossierOutcome's code ("released"), "" while none
    outcome_label: str = ""         # its French word ("libéré·e")
    summary: str = ""               # the dossier's short public text


@dataclass(frozen=True)
class _RecipientView:
    email: Any
    name: Any
    first_name: Any
    kind: str
    group: Group | None


@dataclass(frozen=True)
class Outgoing:
    """One message ready for SMTP."""

    envelope_from: str
    recipient: str
    data: bytes


@dataclass(frozen=True)
class RenderOptions:
    """What the caller fixes: `salt` and `today` at freeze, the clock for the Date header."""

    salt: str
    today: date
    clock: Callable[[], float]
    test: bool = False                  # `campaign test`: [TEST] subject


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
                 options: RenderOptions, templates: jinja2.BaseLoader, attachments: Sequence[Attachment] = (),
                 figures: DossierFigures | None = None, markdown: str | None = None) -> None:
        self.config = config
        self.campaign = campaign
        self.directory = directory
        self.secret = secret
        self.options = options
        self.templates = config.campaigns.templates
        # Campaign files and templates are code a coordinator writes (issue 8): Jinja's sandbox
        # keeps Python's internals (`''.__class__.__mro__`, `__globals__`...) out of their reach.
        self.env = SandboxedEnvironment(loader=templates,
                                        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                        autoescape=jinja2.select_autoescape(["html", "htm"], default=False))
        self.subject_env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
        for env in (self.env, self.subject_env):
            env.filters.update(nombre=french_number, euros=french_euros)    # "1 320", "62,50 €"
        self.figures = figures
        # A bulletin's Markdown draft, rendered once: templates print `bulletin.html`, `bulletin.text`.
        self.bulletin: BulletinBody | None = render_markdown(markdown) if markdown is not None else None
        self.dossier = self._dossier_view()
        self._variants: dict[tuple[Any, ...], Variant] = {}
        self.per_recipient = False          # set when a template uses values beyond printing them
        self._date_cache = (0, "")
        self._static_headers = static_headers(config, campaign)
        self._reply_prefix = reply_prefix(campaign)
        purpose = call_purpose if self._reply_prefix != REPLY else reply_purpose
        self._reply_purpose = purpose(campaign.name, campaign.dossier) if self._reply_prefix else None
        self._frame = Frame(attachments)

    # -- context ---------------------------------------------------------------------------
    def _dossier_view(self) -> DossierView | None:
        ref = self.campaign.dossier
        if not ref:
            return None
        dossier: Dossier | None = self.directory.dossier(ref)
        if dossier is None:
            raise TemplateError(f"{self.campaign.source}: dossier {ref!r} is not in the store (mailer import dossiers)")
        groups = [g for g in (self.directory.group(c) for c in dossier.groups) if g is not None]
        outcome = str(dossier.outcome or "")
        label = DossierOutcome(outcome).label if outcome in set(DossierOutcome) else outcome
        return DossierView(dossier.ref, dossier.person, dossier.country, dossier.status,
                           DossierStatus(dossier.status).label, dossier.referent_email, groups,
                           outcome, label, dossier.summary)

    def _context(self, recipient: Recipient, values: Sequence[Any]) -> dict[str, Any]:
        group = self.directory.group(recipient.group) if recipient.group else None
        view = _RecipientView(values[0], values[1], values[2], recipient.kind, group)
        return {"recipient": view, "group": group, "dossier": self.dossier, "figures": self.figures,
                "bulletin": self.bulletin,
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
        except SecurityError as exc:
            raise TemplateError(f"{_template_location(exc) or self.campaign.source}: {exc} (campaign templates "
                                "run in Jinja's sandbox: no attribute starting with _)") from None
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{_template_location(exc) or self.campaign.source}: {exc}") from None
        except ValueError as exc:           # css_inline's parse errors
            raise TemplateError(f"{self.campaign.template}.html: {exc}") from None
        return subject, text, html_body

    def _variant(self, recipient: Recipient) -> Variant | None:
        key = (recipient.kind, recipient.group, bool(recipient.name), bool(recipient.first_name))
        variant = self._variants.get(key)
        if variant is not None or self.per_recipient:
            return variant
        truthy = (True, bool(recipient.name), bool(recipient.first_name), True)
        try:
            renders = [self._render(self._context(recipient, slots(style, truthy))) for style in ("a", "b")]
            variant = Variant(*(Parts.split(part) for part in same_markers(renders)))
            if not variant.subject.slots:
                variant = Variant(variant.subject, variant.text, variant.html,
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

    def _parts(self, recipient: Recipient, values: Sequence[str]) -> tuple[str, str, str, Variant | None]:
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

    def _unsubscribe_web(self, token: str) -> str:
        return f"{self.config.web.base_url}/u/{token}" if self.config.web.base_url else ""

    def _unsubscribe_url(self, token: str) -> str:
        return self._unsubscribe_web(token) or self._unsubscribe_mailto(token)

    def _list_unsubscribe(self, token: str) -> str:
        return list_unsubscribe(self._unsubscribe_mailto(token), self._unsubscribe_web(token))

    def _date(self) -> str:
        now = int(self.options.clock())
        if self._date_cache[0] != now:
            self._date_cache = (now, formatdate(now, usegmt=True))
        return self._date_cache[1]

    def message_id(self, index: int | None, email: str = "") -> str:
        """Stable per recipient, so a copy resent after a crash is recognised as the same mail; an
        HMAC under the store's secret, so nobody outside can name one (issue 8)."""
        if index is None or self.options.test:
            return f"<t.{self.campaign.name}.{secrets.token_hex(16)}@{self.config.team.domain}>"
        label = f"{self.campaign.name}.{index}.{self.options.salt}"
        return campaign_message_id(self.secret, self.config.team.domain, label, email)

    def envelope_from(self, email: str) -> str:
        """VERP: a bounce to this address names the recipient it was for."""
        return sub_address(self.config.team.address, BOUNCE, make_token(self.secret, BOUNCE, email))

    def reply_to(self, email: str) -> str | None:
        """`team+r-TOKEN@domain` for an alert's or a reminder's recipient, `team+v-TOKEN@domain` for a
        call's, else None (static Reply-To)."""
        if self._reply_purpose is None or self._reply_prefix is None:
            return None
        return sub_address(self.config.team.address, self._reply_prefix,
                           make_token(self.secret, self._reply_purpose, email))

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
            f"Message-ID: {self.message_id(index, recipient.email)}",
            self._list_unsubscribe(token),
        ]
        reply_to = self.reply_to(recipient.email)
        if reply_to is not None:
            header_lines.append(f"Reply-To: {reply_to}")
        body = self._frame.body(text, html_body)
        if deliver_to is not None:
            header_lines.append(f"X-Mailer-Test-As: {check_address(recipient.email)}")
        data = self._static_headers + ("\r\n".join(header_lines) + "\r\n").encode("ascii") + body
        envelope_to = recipient.email if deliver_to is None else deliver_to
        return Outgoing(self.envelope_from(envelope_to), envelope_to, data)
