"""An ordered table of named rules -> what a message is, and which rule said so.   [pure]

Like Mailman 3's chains (`chains/builtin.py`), each rule is a named predicate tried in order; the
first that matches decides, and its name is kept with the message so "why was this a report?" has
an answer. Machines first (bounces, complaints, delivery notices, auto-replies: cheap header checks,
never answered), then a coordinator's reply to an approval request's `+a-` address (`approval.*`,
approval.py: the token decides, whatever the words), then the people: confirm -> unsubscribe -> a filled reply form (`report.form`,
replyform.py) -> a short answer to a call's `+v-` address (`signup.call`, callreply.py) -> a request
for the bulletin (`signup.bulletin`, bulletin.py) -> signup -> report; anything else is `other`.

`read_message(parsed, directory, context)` is the whole reading; `Reading.to_json()` is the object
`mailer parse --json` prints (the caller adds `file` and `disposition`).
"""

from __future__ import annotations

import re

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from typing import Any

from ...models import Directory
from ...tokens import is_team_address
from .autoreply import detect_auto_reply
from .bounces import detect_bounce
from .complaints import detect_complaint
from .dsn import Failure, detect_delivery_notice, returned_message_ids
from .actions import ActionType, SegmentReading
from .confidence import assess, signup_checks, unsubscribe_checks
from .report_checks import acted_by_others, report_checks
from .extract import Action, Mail, Report, group_mentions, offers_help, read_report, read_signup, tells_own_deeds
from .unsubscribe import RECEIPT_ASKED, Unsubscribe, asks_us, corrects_us, read_confirm, read_unsubscribe
from .french import fold, to_digits
from .lookup import index_for
from .bulletin import asks_for_bulletin
from .callreply import CallAnswer, CallReply, declines, read_call_reply
from .replyform import read_reply_form
from .approval import ApprovalAnswer, ApprovalBinding, read_approval_reply
from ..mime.parse import ParsedMessage


class Kind(StrEnum):
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    AUTO_REPLY = "auto_reply"
    CONFIRM = "confirm"
    UNSUBSCRIBE = "unsubscribe"
    SIGNUP = "signup"
    REPORT = "report"
    APPROVAL = "approval"       # a reply to an approval request's +a- address (issue 10)
    OTHER = "other"


@dataclass(frozen=True)
class ReadingContext:
    """What the pure reading needs from outside: our address and what our tokens and ids mean."""

    team_address: str = ""                                          # TEAMLOCAL@domain
    resolve_bounce_token: Callable[[str], str | None] | None = None  # +b-TOKEN -> the address it was issued for
    unsubscribe_scope: Callable[[str], str | None] | None = None     # +u-TOKEN -> "all" | "bulletin" | None
    confirm_token: Callable[[str], bool] | None = None               # +c-TOKEN -> issued by us?
    confirmation_ids: Collection[str] | Callable[[str], bool] = ()   # Message-IDs of our confirmation requests
    confirm_subjects: tuple[str, ...] = ("Confirmez votre inscription",)
    reply_token: Callable[[str], tuple[str | None, str | None] | None] | None = None  # +r-TOKEN -> (group, dossier)
    call_token: Callable[[str], tuple[str, str | None, str | None] | None] | None = None  # +v-TOKEN -> (address, group, dossier)
    report_confirm_ids: Callable[[str], bool] | None = None   # our "est-ce bien cela ?" mails' Message-IDs
    approval_token: Callable[[str], ApprovalBinding | None] | None = None   # +a-TOKEN -> the request it was mailed with

    def sent_confirmation(self, message_id: str) -> bool:
        ids = self.confirmation_ids
        return ids(message_id) if callable(ids) else message_id in ids


@dataclass(frozen=True)
class Reading:
    """What a message means. Fields beyond kind/rule/sender are set for their kind only."""

    kind: Kind
    rule: str                                   # e.g. "report.actions", "bounce.dsn", "other.no_rule"
    sender: str
    name: str | None = None                     # signup
    group: str | None = None                    # signup, report: a group code from the Directory
    joins: str | None = None                    # signup: a group they ask to join (not theirs yet)
    dossier: str | None = None                  # signup, report: a dossier ref from the Directory
    actions: tuple[Action, ...] = ()            # report
    scope: str | None = None                    # unsubscribe: "all" | "bulletin"; signup: "bulletin" or None
    recipients: tuple[str, ...] = ()            # bounce, complaint
    permanent: bool | None = None               # bounce
    feedback_type: str | None = None            # complaint
    token: str | None = None                    # confirm, unsubscribe: the sub-address token, if any
    verified: bool = False                      # confirm: token or thread is one we issued
    by_token: bool = False                      # bounce, complaint: recipients named by our +b- token
    returned_ids: tuple[str, ...] = ()          # bounce, complaint: the returned message's ids
    confidence: float = 1.0                     # report, signup, unsubscribe: see confidence.py
    checks: tuple[str, ...] = ()                # ... the checks that lowered it
    failures: tuple[Failure, ...] = ()          # bounce: per recipient, its status and diagnostic
    approval: ApprovalBinding | None = None     # approval: the request the reply's token names
    asks: tuple[str, ...] = ()                  # unsubscribe: what else it asks of us, for a person

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind.value, "sender": self.sender, "rule": self.rule}
        if self.kind is Kind.SIGNUP:
            out |= {"name": self.name, "group": self.group, "dossier": self.dossier}
            if self.joins:
                out["joins"] = self.joins
            if self.scope:
                out["scope"] = self.scope
        elif self.kind is Kind.REPORT:
            out |= {"group": self.group, "dossier": self.dossier, "actions": [a.to_json() for a in self.actions]}
        elif self.kind is Kind.UNSUBSCRIBE:
            out["scope"] = self.scope
            if self.asks:
                out["asks"] = list(self.asks)
        elif self.kind is Kind.BOUNCE:
            out |= {"recipients": list(self.recipients), "permanent": self.permanent}
        elif self.kind is Kind.COMPLAINT:
            out["recipients"] = list(self.recipients)
        elif self.kind is Kind.APPROVAL:
            out["campaign"] = self.approval.campaign if self.approval else None
        elif self.kind is Kind.OTHER and (self.group or self.dossier):
            out |= {"group": self.group, "dossier": self.dossier}     # a reply to a call's +v- address
        if self.kind in (Kind.SIGNUP, Kind.REPORT, Kind.UNSUBSCRIBE):
            out |= {"confidence": self.confidence, "checks": list(self.checks)}
        return out


@dataclass
class _Input:
    parsed: ParsedMessage
    directory: Directory
    context: ReadingContext
    mail: Mail = field(init=False)

    def __post_init__(self) -> None:
        self.mail = Mail(self.parsed)       # text prepared once, lazily, for every French rule

    @cached_property
    def report(self) -> tuple[Report | None, bool]:
        return read_report(self.mail, self.directory, self.trace)

    @cached_property
    def trace(self) -> list[SegmentReading]:
        return []

    @cached_property
    def unsubscribe(self) -> Unsubscribe | None:
        return read_unsubscribe(self.mail, self.context.team_address, self.context.unsubscribe_scope)

    @cached_property
    def report_reading(self) -> Reading | None:
        """The report rule's reading, read once: the unsubscribe rule consults it too."""
        return _read_report(self)

    @cached_property
    def call(self) -> CallReply | None:
        c = self.context
        return read_call_reply(self.parsed, self.directory, c.team_address, c.call_token)


def _detail(kind: str, rule: str) -> str:
    return rule if rule.startswith(kind) else f"{kind}.{rule}"


def _bounce(x: _Input) -> Reading | None:
    team = x.context.team_address
    found = detect_bounce(x.parsed, x.context.resolve_bounce_token,
                          (lambda a: is_team_address(a, team)) if team else None)
    if found is None:
        return None
    return Reading(Kind.BOUNCE, _detail("bounce", found.rule), x.parsed.sender,
                   recipients=found.recipients, permanent=found.permanent, by_token=found.rule.startswith("verp"),
                   returned_ids=returned_message_ids(x.parsed), failures=found.failures)


def _complaint(x: _Input) -> Reading | None:
    found = detect_complaint(x.parsed, x.context.resolve_bounce_token)
    if found is None:
        return None
    return Reading(Kind.COMPLAINT, _detail("complaint", found.rule), x.parsed.sender,
                   recipients=found.recipients, feedback_type=found.feedback_type, by_token=found.rule == "arf-verp",
                   returned_ids=returned_message_ids(x.parsed))


def _delivery_notice(x: _Input) -> Reading | None:
    """A success DSN or a read receipt: not a failure, but it carries Auto-Submitted, so it must be
    caught before `_auto_reply` reads it as an out-of-office."""
    name = detect_delivery_notice(x.parsed)
    return Reading(Kind.OTHER, f"other.delivery_notice.{name}", x.parsed.sender) if name else None


def _auto_reply(x: _Input) -> Reading | None:
    rule = detect_auto_reply(x.parsed)
    return Reading(Kind.AUTO_REPLY, _detail("auto_reply", rule), x.parsed.sender) if rule else None


def _approval(x: _Input) -> Reading | None:
    """A reply to an approval request's `+a-` address (approval.py). Its rule says what it is:
    `approval.yes` from the coordinator the token was mailed to approves (decide.py); a yes from
    anyone else (`approval.other_writer`), a no, a longer text or a token we never mailed
    approves nothing and waits for a person."""
    found = read_approval_reply(x.parsed, x.context.team_address, x.context.approval_token)
    if found is None:
        return None
    if found.binding is None:
        rule = "approval.unknown_token"
    elif not found.from_coordinator:
        rule = "approval.other_writer"
    else:
        rule = {ApprovalAnswer.YES: "approval.yes", ApprovalAnswer.DECLINED: "approval.declined",
                ApprovalAnswer.TEXT: "approval.text"}[found.answer]
    return Reading(Kind.APPROVAL, rule, x.parsed.sender, token=found.token, approval=found.binding,
                   verified=found.from_coordinator)


def _confirm(x: _Input) -> Reading | None:
    c = x.context
    found = read_confirm(x.mail, c.team_address, c.confirm_token, c.sent_confirmation, c.confirm_subjects)
    if found is None:
        return None
    return Reading(Kind.CONFIRM, f"confirm.{found.via}", x.parsed.sender, token=found.token, verified=found.verified)


def _unsubscribe(x: _Input) -> Reading | None:
    found = x.unsubscribe
    if found is None:
        return None
    rule = f"unsubscribe.{found.via}"
    sure = assess(rule, unsubscribe_checks(x.mail.own_folded, found.via))
    if "on_behalf" in sure.checks and (report := x.report_reading) is not None and report.kind is Kind.REPORT:
        return None        # a report with "PS : Mme R. ne souhaite plus recevoir le bulletin": the report rule's
    return Reading(Kind.UNSUBSCRIBE, rule, x.parsed.sender, scope=found.scope, token=found.token,
                   confidence=sure.confidence, checks=sure.checks, asks=found.asks)


def _signup(x: _Input, broad: bool = False) -> Reading | None:
    found = read_signup(x.mail, x.directory, broad)
    if found is None:
        return None
    rule = "signup.offer" if broad else "signup.volunteer"
    index = index_for(x.directory)
    folded = to_digits(fold(f"{x.parsed.subject}\n{x.mail.body.own}"))
    checks = signup_checks(index, folded, x.parsed.sender.lower(), found.group,
                           group_mentions(x.directory, x.mail, signup=True), found.dossier, found.named)
    if found.by_country:
        checks.append("dossier_by_country")     # a wish for a country's case, or for that one dossier?
    _ = x.report                             # the report reader's pass fills x.trace
    if tells_own_deeds(x.trace):
        checks.append("tells_deeds")         # "en attendant de rejoindre le groupe... j'ai écrit à la sénatrice"
    sure = assess(rule, checks)
    return Reading(Kind.SIGNUP, rule, x.parsed.sender, name=found.name, group=found.group, joins=found.joins,
                   dossier=found.dossier, confidence=sure.confidence, checks=sure.checks)


def _offer(x: _Input) -> Reading | None:
    """An offer of help in words the sign-up rule does not know, once no report was read; not in a
    journalist's or a vendor's words ("je prépare un article... auriez-vous des photos ?")."""
    reading = _signup(x, broad=True)
    return None if reading is not None and "outsider" in reading.checks else reading


def _report(x: _Input) -> Reading | None:
    return x.report_reading


def _read_report(x: _Input) -> Reading | None:
    found, _ = x.report
    sender = x.parsed.sender.lower()
    known_sender = x.directory.member(sender) is not None or x.directory.group_by_email(sender) is not None
    if found is None or acted_by_others(x.trace, x.mail.all_folded, known_sender):
        return None
    if not known_sender and offers_help(x.mail.own_folded):
        return None        # someone we do not know, offering help after an event: the offer rule reads it
    index = index_for(x.directory)
    checks = report_checks(x.trace, found.actions, index, x.mail.all_folded, x.parsed.sender.lower(), found.group,
                           found.dossier, group_mentions(x.directory, x.mail), x.mail.body.author, found.named,
                           x.parsed.date.date() if x.parsed.date else None)
    if x.mail.cut:                       # read up to segments.MAX_CHARS only (issue 9: bounded time)
        checks.append("text_cut")
    if x.unsubscribe is not None:
        checks.append("mixed_intents")   # someone else's unsubscribe told beside the deeds: for a person
    sure = assess("report.actions", checks)
    own = x.mail.own_folded
    if corrects_us(own) or (RECEIPT_ASKED.search(own) and asks_us(own)
                                  and all(a.type is ActionType.FUND for a in found.actions)):
        # a correction to the bulletin, a receipt asked for a gift: for a person, the deeds as background
        return Reading(Kind.OTHER, "other.question", x.parsed.sender, group=found.group, dossier=found.dossier,
                       actions=found.actions, checks=sure.checks)
    if sure.checks and not known_sender and asks_us(x.mail.own_folded):
        # Someone we do not know asks us something ("avez-vous des nouvelles d'elle ?", "pourriez-vous
        # m'envoyer un reçu ?") and what reads as deeds is doubtful: a question, for a person
        return Reading(Kind.OTHER, "other.question", x.parsed.sender, group=found.group, dossier=found.dossier,
                       actions=found.actions, checks=sure.checks)     # the deeds read, for whoever answers
    return Reading(Kind.REPORT, "report.actions", x.parsed.sender, group=found.group, dossier=found.dossier,
                   actions=found.actions, confidence=sure.confidence, checks=sure.checks)


def _form(x: _Input) -> Reading | None:
    """A reply to an alert's `+r-` address with its fill-in block filled: see replyform.py."""
    found = read_reply_form(x.parsed, x.directory, x.context.team_address, x.context.reply_token)
    if found is None:
        return None
    return Reading(Kind.REPORT, found.rule, x.parsed.sender, group=found.group, dossier=found.dossier,
                   actions=found.actions, confidence=found.confidence, checks=found.checks)


def _call(x: _Input) -> Reading | None:
    """A short answer to a call's `+v-` address (callreply.py): a yes is a certain sign-up of the
    writer for the call's dossier, unless the writer is neither the recipient nor of their group
    (a forwarded call: check `call_other_writer`); a short refusal is no sign-up. Anything else
    is left to the rules below (`read_message` fills in the call's group and dossier)."""
    call = x.call
    if call is None or call.answer is CallAnswer.TEXT:
        return None
    if call.answer is CallAnswer.DECLINED:
        return Reading(Kind.OTHER, "other.call_declined", x.parsed.sender, group=call.group, dossier=call.dossier)
    member = x.directory.member(x.parsed.sender)
    name = (member.name if member else "") or (x.parsed.sender_name or "").strip().strip('"') or None
    sure = assess("signup.call", () if call.writer_is_recipient else ("call_other_writer",))
    return Reading(Kind.SIGNUP, "signup.call", x.parsed.sender, name=name, group=call.group, dossier=call.dossier,
                   confidence=sure.confidence, checks=sure.checks)


# A plain yes to "est-ce bien cela ?": no figure of its own (a correction has some), short
_REPORT_YES = re.compile(r"^\W*(?:oui|yes|ok|okay|d'accord|exact|exactement|parfait|c'est (?:bien )?(?:exact|ca|cela|juste"
                         r"|correct|confirme|bon)|tout est (?:bon|juste|exact|correct)|je (?:vous )?confirme|confirme)\b")


def _report_confirmed(x: _Input) -> Reading | None:
    """OUI in answer to our question about a free-text report (whether it records anything is
    decide's: only from the address we asked)."""
    asked = x.context.report_confirm_ids
    if asked is None or not any(asked(m) for m in x.parsed.in_reply_to):
        return None
    own = x.mail.own_folded.strip()
    first = own.split("\n\n")[0]          # its words, not a signature's phone number
    if len(own) > 300 or re.search(r"\d", first) or not _REPORT_YES.match(own) or declines(first):
        return None          # a correction, a question, a refusal: read by the other rules, then a person
    return Reading(Kind.CONFIRM, "confirm.report", x.parsed.sender)


def _bulletin(x: _Input) -> Reading | None:
    """A request to receive the bulletin by mail (bulletin.py): a sign-up for the bulletin only."""
    if not asks_for_bulletin(x.parsed):
        return None
    name = (x.parsed.sender_name or "").strip().strip('"') or None
    return Reading(Kind.SIGNUP, "signup.bulletin", x.parsed.sender, name=name, scope="bulletin")


def _newsletter(x: _Input) -> Reading | None:
    """A mailing list's or a bulk sender's mail (List-Id, List-Unsubscribe, Precedence bulk/list)
    from an address that is none of our members or groups: a partner's newsletter full of figures
    is no report of ours and no sign-up."""
    headers = x.parsed.headers
    bulk = headers.get("precedence", "").strip().lower() in ("bulk", "list", "junk") \
        or "list-id" in headers or "list-unsubscribe" in headers or bool(MAILING_FOOTER.search(x.mail.own_folded))
    sender = x.parsed.sender.lower()
    if not bulk or x.directory.member(sender) is not None or x.directory.group_by_email(sender) is not None:
        return None
    return Reading(Kind.OTHER, "other.newsletter", x.parsed.sender)


# A mailing's own footer, when its sender set no list header: "Vous recevez cette lettre car...",
# "Pour ne plus recevoir nos envois, cliquez ici"
MAILING_FOOTER = re.compile(r"\bvous recevez (?:ce|cette|cet) (?:message|mail|courriel|e-?mail|lettre|bulletin"
                            r"|newsletter|infolettre)\b|\b(?:pour|si vous souhaitez) ne plus recevoir (?:nos|nos prochains"
                            r"|ces|cette|ce) [^.\n]{0,40}(?:cliquez|rendez-vous|suivez)")


@dataclass(frozen=True)
class Rule:
    name: str
    read: Callable[[_Input], Reading | None]


RULES: tuple[Rule, ...] = (
    Rule("bounce", _bounce),
    Rule("complaint", _complaint),
    Rule("delivery_notice", _delivery_notice),
    Rule("auto_reply", _auto_reply),
    Rule("approval", _approval),
    Rule("report_confirmed", _report_confirmed),
    Rule("confirm", _confirm),
    Rule("unsubscribe", _unsubscribe),
    Rule("newsletter", _newsletter),
    Rule("form", _form),
    Rule("call", _call),
    Rule("bulletin", _bulletin),
    Rule("signup", _signup),
    Rule("report", _report),
    Rule("offer", _offer),
)


def read_message(parsed: ParsedMessage, directory: Directory, context: ReadingContext | None = None) -> Reading:
    """Run the rules in order; the first that recognises the message decides."""
    x = _Input(parsed, directory, context or ReadingContext())
    for rule in RULES:
        reading = rule.read(x)
        if reading is not None:
            return _of_call(reading, x)
    _, planned_only = x.report
    return _of_call(Reading(Kind.OTHER, "other.nothing_done" if planned_only else "other.no_rule", parsed.sender), x)


def _of_call(reading: Reading, x: _Input) -> Reading:
    """A reply to a call's `+v-` address read by the usual rules: the call's group and dossier
    where the reading names none, and a refusal is never a sign-up."""
    call = x.call
    if call is None or reading.rule in ("signup.call", "other.call_declined"):
        return reading
    if reading.kind is Kind.SIGNUP and reading.scope is None and declines(x.parsed.new_text):
        return Reading(Kind.OTHER, "other.call_declined", reading.sender, group=call.group, dossier=call.dossier)
    if reading.kind in (Kind.SIGNUP, Kind.REPORT, Kind.OTHER):
        return replace(reading, group=reading.group or call.group, dossier=reading.dossier or call.dossier)
    return reading


def classify(parsed: ParsedMessage, directory: Directory, context: ReadingContext | None = None) -> tuple[Kind, str]:
    """(kind, rule name): the reading without its details."""
    reading = read_message(parsed, directory, context)
    return reading.kind, reading.rule
