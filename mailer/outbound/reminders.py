"""The reminders a day's run recorded (`reminders` records), built and sent; the dossiers' news.

A reminder is a campaign message of kind `reminder` for one group and one dossier, rendered by the
campaign renderer from `[reminders] template`: the team's From, VERP return path, List-Unsubscribe,
and the per-recipient `+r-` Reply-To bound to the group's address, the run's label and the dossier
(tokens.reply_purpose), so the inbox files the reply under that group and dossier with certainty
(the inbound wing learns those tokens from the `reminders` records). A référent note is a plain
French notice from the team.

Sent as the answers are (`AnswerSender`): `ID sending` is journaled in `reminders.log` before each
SMTP transaction and the outcome after, then folded into the store; only a reminder whose outcome
is unknown after a crash is sent again (the one duplicate the campaigns' journal allows too). At
send time a suppressed address is skipped, and so is a reminder answered since it was planned.
"""

from __future__ import annotations

import logging
import textwrap
import time
from collections.abc import Mapping
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Protocol, cast

import jinja2

from ..clock import french_date, french_day, parse_iso
from ..config import Config
from ..errors import MailerError
from ..models import CampaignKind, Directory, Recipient, RecipientKind, code_key
from ..registry import SuppressionMap, load_directory, suppression_map
from ..reminders import Key, Received, answered, last_received
from ..store.records import OutgoingStatus, Reminder, ReminderKind
from ..store.schema import REMINDERS, REPORTS, TRIAGE
from ..tokens import new_message_id
from .answers import AnswerSender
from .audience import AUDIENCE, read_audience_head
from .campaigns import Campaign
from .files import template_loader
from .render import CampaignRenderer, Outgoing, RenderOptions

log = logging.getLogger(__name__)

LABEL = "rappels-auto-{day}"        # the name a day's reminders are sent under (tokens, Message-IDs)
NEWS_KINDS = ("alert", "reminder", "call")


class RawTransport(Protocol):
    """SmtpTransport: a campaign message's bytes with its own envelope, and the notices."""

    def send(self, message: Outgoing) -> None: ...

    def send_message(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


def label_of(day: str) -> str:
    return LABEL.format(day=day)


def latest_news(config: Config) -> dict[str, str]:
    """Dossier ref -> its latest news, as the team wrote it today: the `vars.latest` of the last
    alert, reminder or call frozen on that dossier. (Dossier events will feed this mapping.)"""
    found: dict[str, tuple[str, str]] = {}
    for path in sorted((config.state_dir / "campaigns").glob(f"*/{AUDIENCE}")):
        try:
            head = read_audience_head(path.parent)
        except MailerError:
            continue
        header = head[0] if head else {}
        identity = header.get("identity")
        if not isinstance(identity, dict) or identity.get("kind") not in NEWS_KINDS:
            continue
        ref, news = identity.get("dossier"), (identity.get("vars") or {}).get("latest")
        created = str(header.get("created", ""))
        if isinstance(ref, str) and isinstance(news, str) and news.strip() \
                and (code_key(ref) not in found or created > found[code_key(ref)][0]):
            found[code_key(ref)] = (created, news.strip())
    return {ref: news for ref, (_, news) in found.items()}


def reminder_campaign(config: Config, row: Reminder) -> Campaign:
    """The one-recipient campaign a reminder is rendered as (never a file: `source` names the template).

    Its vars: `latest` (the dossier's news), `last_report` (the day the group's last report was
    received, YYYY-MM-DD in the team's zone, or ""), `reminder` (1 or 2: which reminder this is)."""
    settings = config.reminders
    received = parse_iso(row.last_report)
    return Campaign(name=row.label, kind=CampaignKind.REMINDER, subject=settings.subject,
                    template=settings.template, audience=(f"dossier:{row.dossier}",),
                    source=config.campaigns.templates / f"{settings.template}.html", dossier=row.dossier,
                    vars={"latest": row.values.get("news", ""),
                          "last_report": received.astimezone(config.team.tz).date().isoformat() if received else "",
                          "reminder": len(row.values.get("reminders", [])) + 1})


def build_reminder(config: Config, row: Reminder, directory: Directory, secret: bytes,
                   env: jinja2.Environment | None = None) -> tuple[Outgoing, jinja2.Environment]:
    """The reminder's bytes, ready for SMTP (a TemplateError when the template or the dossier fails),
    and the Jinja environment it was rendered in: pass it back for the next one, so that a day's
    reminders compile the templates once (measured: 70 ms a reminder otherwise, 95% of its cost)."""
    group = directory.group(row.group)
    renderer = CampaignRenderer(config, reminder_campaign(config, row), directory, secret,
                                RenderOptions("r", date.fromisoformat(row.day), time.time), template_loader(config))
    if env is not None:
        renderer.env = env
    recipient = Recipient(row.to, group.name if group else "", RecipientKind.GROUP, code_key(row.group))
    return renderer.build(recipient, row.id), renderer.env


def build_note(config: Config, row: Reminder, now: datetime) -> EmailMessage:
    """The référent's note: which group left two reminders unanswered, and what happens next."""
    values, tz = row.values, config.team.tz
    message = EmailMessage()
    message["Subject"] = (f"Dossier {row.dossier} : {values.get('group_name') or row.group} n'a pas répondu "
                          "à deux rappels")
    message["From"] = Address(config.team.name, addr_spec=config.team.address)
    message["To"] = [Address(addr_spec=a.strip()) for a in row.to.split(",") if a.strip()]
    message["Date"] = format_datetime(now.astimezone(tz))
    message["Message-ID"] = new_message_id(config.team.domain)
    message["Auto-Submitted"] = "auto-generated"           # RFC 3834: no auto-reply back at us
    days = " et le ".join(french_day(date.fromisoformat(d)) for d in values.get("reminders", []))
    last = (f"Son dernier compte rendu sur ce dossier nous est parvenu le {french_date(row.last_report, tz)}."
            if row.last_report else "Il ne nous a encore jamais envoyé de compte rendu sur ce dossier.")
    group = values.get("group_name") or row.group
    city = f", {values['group_city']}" if values.get("group_city") else ""
    address = f" Son adresse : {values['group_email']}." if values.get("group_email") else ""
    paragraphs = [
        "Bonjour,",
        f"Le groupe « {group} » ({row.group}{city}) n'a répondu à aucun des deux rappels envoyés le {days} "
        f"pour le dossier {row.dossier} ({values.get('person', '')}). {last}",
        f"Plutôt qu'un troisième rappel automatique, pourriez-vous prendre contact avec le groupe ?{address} "
        "Aucun autre rappel ne lui sera envoyé pour ce dossier tant que nous n'aurons pas reçu de compte rendu "
        "de sa part.",
    ]
    # French puts a space before ? and : (non-breaking, so that no line starts with one)
    lines = [textwrap.fill(p.replace(" ?", "\u00a0?").replace(" :", "\u00a0:"), 72, break_long_words=False,
                           break_on_hyphens=False) + "\n" for p in paragraphs]
    lines += ["-- ", f"mailer, le service d'envoi de l'équipe « {config.team.name} »"]
    message.set_content("\n".join(lines) + "\n")
    return message


class ReminderSender(AnswerSender):
    """Sends the `reminders` records left pending, journaling each mark (see AnswerSender)."""

    TABLE = REMINDERS
    JOURNAL = "reminders.log"
    WHAT = "reminder"

    _directory: Directory = Directory()
    _secret: bytes = b""
    _received: Mapping[Key, Received] = {}
    _stopped: SuppressionMap = SuppressionMap(())
    _env: jinja2.Environment | None = None          # one per run: the templates compiled once

    def _send(self) -> int:
        snapshot = self.store.snapshot()
        if not any(r.status == OutgoingStatus.PENDING for r in snapshot.table(REMINDERS)):
            return 0                            # the service asks at every poll: stop before loading more
        self._directory = load_directory(snapshot)
        self._secret = self.store.secret(self.config.security.secret_env)
        self._received = last_received(snapshot.table(REPORTS), list(snapshot.table(TRIAGE)), self.config.team.tz)
        self._stopped = suppression_map(snapshot).only(CampaignKind.REMINDER)
        self._env = None
        return super()._send()

    def _prepare(self, doc: dict, blocked: SuppressionMap) -> Any:
        """A reminder (bytes with its VERP envelope) or a note; skipped when its address is suppressed
        now, or a report arrived since it was planned."""
        row = cast(Reminder, Reminder.from_doc(doc))
        if row.kind == ReminderKind.REMINDER:
            if row.to in self._stopped or answered(self._received, row.group, row.dossier, row.planned):
                return OutgoingStatus.SKIPPED
        elif all(a.strip() in self._stopped for a in row.to.split(",")):
            return OutgoingStatus.SKIPPED
        try:
            if row.kind == ReminderKind.REMINDER:
                message, self._env = build_reminder(self.config, row, self._directory, self._secret, self._env)
                return message
            return build_note(self.config, row, self.clock())
        except Exception as exc:  # noqa: BLE001 - a broken template or a closed dossier must not block the rest
            log.error("reminder %s (%s %s/%s) cannot be built: %s: %s", row.id, row.kind, row.group, row.dossier,
                      type(exc).__name__, exc if isinstance(exc, MailerError) else "")
            return OutgoingStatus.ERROR

    def _transmit(self, transport: Any, message: Any) -> None:
        if isinstance(message, Outgoing):
            cast(RawTransport, transport).send(message)
        else:
            transport.send_message(message)
