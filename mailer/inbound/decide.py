"""A reading + what we know -> what to do: a disposition and a list of effects.   [pure]

Nothing here touches the store or the network: `pipeline.py` builds `Known` from the store inside
its transaction, calls `decide` for each message, and `apply.py` carries out the effects
(`effects.py`) and records them. The rules
(issue 3), in one place so that "why did this happen?" has a short answer:

- bounce: scored with decay (`score_bounce`, Mailman 3's defaults), and a hard failure (5.1.x) counted
  across campaigns, suppressing at `[bounces] hard_limit` (the core's `bouncing.py`); a delay
  warning never suppresses.
- complaint: the complaining address is suppressed at once (reason `complaint`).
  Both only for an address the report proves we wrote to (issue 8): our `+b-` token, or a returned
  Message-ID/References we sent to that address; anyone can write a DSN or an ARF report, so
  anything else is triage.
- auto_reply: ignored, never answered.
- confirm: activates someone only through a `+c-TOKEN` we issued or a reply in the thread of a
  confirmation request we sent, from the address it was sent to; anything else is triage (a
  forged "oui" subscribes nobody).
- unsubscribe: applied at once, one confirmation mail, when the address is proven (our `+u-`
  token, a reply to our mail to that address, or our server's DMARC/aligned SPF/DKIM pass for the
  From domain); a free-text "STOP" from a From anyone could write gets a one-click `+u-` mail. What
  else the mail asks ("pourriez-vous m'envoyer mon reçu ?") goes to triage beside it, applied.
- signup: unknown address -> pending person + confirmation request (double opt-in); a member's or
  group's address -> a request to take on a dossier, passed to the référent. A short yes to a
  call's `+v-` address (`signup.call`) is that request whoever the recipient is, never a pending
  person. A request for the bulletin (`scope = "bulletin"`) -> a pending subscriber and the
  confirmation request worded for the bulletin; an existing subscriber gets no second request.
- report: known sender (member or group) -> applied and acknowledged with a summary; unknown
  sender -> triage. A reply to one of our acknowledgements -> triage, linked to its report. With
  `[inbox] confirm_reports` (the default), a free-text report is not recorded: it waits in triage
  and its sender is asked "est-ce bien cela ?" with our reading pre-filled in the reply form; their
  OUI, or the form sent back filled, from that address and in that thread, records it.
  sender -> triage. A reply to one of our acknowledgements -> triage, linked to its report.
- approval (issue 10): a short yes to an approval request's `+a-` token, from the coordinator it
  was mailed to, who may still approve (a coordinator, not the campaign's sender) -> the approval
  of that version (file hash, audience size) recorded, and both coordinators told; anything else
  (another writer, a no, a text, a token we do not know) -> triage, nothing approved.
- other: triage.
- issue 9: a report, a sign-up or a free-text unsubscribe whose confidence (understand/confidence.py:
  the checks that fired) is below `[inbox] apply_confidence` is triaged, the reading pre-filled.

Answers follow RFC 3834: never to automatic or list mail (or a MAILER-DAEMON's), bounces,
complaints, our own mail or an empty return path, and at most one per address per day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from ..models import AnswerKind, Directory
from ..tokens import campaign_of, is_team_address, sent_campaign_to
from ..triage import NotAnswered, TriageReason, signup_unconfirmed
from .understand.classify import Kind, Reading
from .mime.headers import aligned, authenticated_domain
from .mime.parse import ParsedMessage
from .understand.bounce_text import machine_sender
from .effects import (Activate, ConfirmReport, CreatePendingPerson, Decision, Disposition, Effect, KeepMailings,
                      RecordApproval, RecordBounce,
                      RecordReport, RecordSignupRequest, SendAnswer, Suppress, ToTriage)

# Bounce scoring (Mailman's, and the hard failures of issue 9) lives in the core, where a refusal
# at send time reaches the same count: re-exported here for the rule and its tests.
from ..bouncing import (BOUNCE_INFO_STALE_AFTER, BOUNCE_SCORE_THRESHOLD, HARD_BOUNCE_SCORE,  # noqa: F401, E402
                        SOFT_BOUNCE_SCORE, BounceScore, crosses_threshold, score_bounce)


# ------------------------------------------------------------------------------- the inputs

@dataclass(frozen=True)
class MessageFacts:
    """What decide needs from the message beyond its reading (headers only, never the body)."""

    message_id: str
    sender: str
    return_path: str | None          # None: no Return-Path field; "": the null path <>
    references: tuple[str, ...] = ()
    automatic: bool = False          # Auto-Submitted other than "no", Precedence bulk/list/junk, List-Id,
                                     # or a machine's address (MAILER-DAEMON@, postmaster@, no-reply@)
    received: datetime | None = None
    authenticated: frozenset[str] = frozenset()   # domains our server's Authentication-Results vouch for

    @classmethod
    def of(cls, parsed: ParsedMessage, received: datetime | None = None, authserv_id: str = "") -> MessageFacts:
        headers = parsed.headers
        auto = headers.get("auto-submitted", "").strip().lower()
        precedence = headers.get("precedence", "").strip().lower()
        automatic = (bool(auto) and not auto.startswith("no")) or precedence in ("bulk", "list", "junk") \
            or "list-id" in headers or machine_sender(parsed) != ""
        return_path = parsed.return_path if "return-path" in headers else None
        vouched = frozenset(authenticated_domain(parsed.header_items, authserv_id))
        return cls(parsed.message_id, parsed.sender, return_path, parsed.in_reply_to, automatic, received, vouched)

    def from_authenticated(self) -> bool:
        """Our server checked the From domain: DMARC pass, or SPF/DKIM pass aligned with it."""
        return aligned(self.sender.rpartition("@")[2], self.authenticated)


@dataclass(frozen=True)
class Known:
    """What the store knows, as decide needs it. Mappings may be live views that `apply` updates
    as it applies a batch, so the second message of a batch sees the first one's effects."""

    team_address: str
    directory: Directory
    today: date
    coordinators: tuple[str, ...] = ()
    answered: Mapping[str, str] = field(default_factory=dict)       # address -> ISO date of last answer
    ack_threads: Mapping[str, str] = field(default_factory=dict)    # our acknowledgement's Message-ID -> report link
    confirm_threads: Mapping[str, str] = field(default_factory=dict)  # our confirmation request's id -> address
    pending: Mapping[str, tuple[str, str | None]] = field(default_factory=dict)  # address -> (status, dossier)
    confirm_tokens: Mapping[str, str] = field(default_factory=dict)  # +c- token -> address
    unsubscribe_address: Callable[[str], str | None] = lambda token: None   # +u- token -> address
    keep_address: Callable[[str], str | None] = lambda token: None          # +k- token -> address
    sent: Mapping[str, str] = field(default_factory=dict)            # Message-ID of an answer -> its address
    secret: bytes = b""                                              # the key campaign Message-IDs carry
    erased: Callable[[str], bool] = lambda email: False     # the person asked to be forgotten (issue 8)
    apply_confidence: float = 0.8                            # `[inbox] apply_confidence` (issue 9)
    subscribers: Mapping[str, str] = field(default_factory=dict)     # address -> subscriber status
    pending_scope: Mapping[str, str] = field(default_factory=dict)   # pending address -> "bulletin"
    confirm_reports: bool = False                            # `[inbox] confirm_reports` (issue 9)
    # our "est-ce bien cela ?" mail's Message-ID -> (its address, "triage:ID" of the report awaiting it)
    report_confirm_threads: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def is_known_sender(self, email: str) -> bool:
        """Members' and groups' addresses: their word is applied (issue 3)."""
        return self.directory.member(email) is not None or self.directory.group_by_email(email) is not None

    def referents(self, dossier: str | None) -> tuple[str, ...]:
        """Who hears of a volunteer: the dossier's référent, else the coordinators."""
        found = self.directory.dossier(dossier) if dossier else None
        if found is not None and found.referent_email:
            return (found.referent_email.lower(),)
        return tuple(c.lower() for c in self.coordinators)

    def is_ours(self, email: str) -> bool:
        return is_team_address(email, self.team_address)

    def sent_to(self, message_ids: tuple[str, ...], address: str) -> bool:
        """Whether one of these Message-IDs is a mail we sent to `address` (an answer we recorded,
        or a campaign copy whose ID carries our HMAC of that address)."""
        address = address.strip().lower()
        return any(self.sent.get(m, "").lower() == address or
                   (bool(self.secret) and sent_campaign_to(self.secret, m, address)) for m in message_ids)


# ------------------------------------------------------------------------------ the rules

def why_not_answer(to: str, facts: MessageFacts, reading: Reading, known: Known) -> NotAnswered | None:
    """RFC 3834 section 2: the reason not to send an automatic answer, or None to send it."""
    if reading.kind in (Kind.BOUNCE, Kind.COMPLAINT, Kind.AUTO_REPLY):
        return NotAnswered(f"never answer a {reading.kind.value}")
    if facts.automatic:
        return NotAnswered.AUTOMATIC
    if facts.return_path == "":
        return NotAnswered.EMPTY_RETURN_PATH
    if not to or known.is_ours(to) or known.is_ours(facts.sender):
        return NotAnswered.OUR_OWN
    if known.answered.get(to.lower()) == known.today.isoformat():
        return NotAnswered.ALREADY_TODAY
    return None


# A form sent back in the thread of our question is about the report we asked of: these checks
# (whose figures they are) do not apply to it; any other does.
_WHOSE = ("no_dossier", "no_group", "several_dossiers", "several_groups", "group_contradicts_sender")


def _awaiting(facts: MessageFacts, known: Known, sender: str) -> str | None:
    """The report awaiting this sender's confirmation, when this mail answers our question to them
    (our Message-ID, answered from the address we asked: a From alone proves nothing)."""
    for m in facts.references:
        to, link = known.report_confirm_threads.get(m, ("", ""))
        if link and to.lower() == sender.lower():
            return link
    return None


def _confirmed(reading: Reading, link: str) -> Decision:
    if reading.rule == "confirm.report":
        return Decision(Disposition.APPLY, (ConfirmReport(link),), "confirmed by its sender")
    if reading.kind is Kind.REPORT and reading.rule.startswith("report.form") and reading.actions:
        return Decision(Disposition.APPLY, (ConfirmReport(link, reading.actions),), "corrected by its sender (form)")
    return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.REPLY_TO_REPORT_CONFIRMATION, link),))


def _reply_to_ack(facts: MessageFacts, known: Known) -> str | None:
    return next((known.ack_threads[m] for m in facts.references if m in known.ack_threads), None)


def _answer(kind: AnswerKind, to: str, facts: MessageFacts, reading: Reading, known: Known,
            **values: object) -> tuple[tuple[Effect, ...], str]:
    reason = why_not_answer(to, facts, reading, known)
    if reason:
        return (), f"not answered: {reason}"
    return (SendAnswer(kind, to.lower(), values=values),), ""


def _proven(reading: Reading, known: Known) -> tuple[str, ...]:
    """The recipients a report proves we wrote to: all of them through our +b- token, else those
    a returned Message-ID/References of ours was sent to."""
    if reading.by_token:
        return reading.recipients
    return tuple(r for r in reading.recipients if known.sent_to(reading.returned_ids, r))


def _bounce(reading: Reading, known: Known) -> Decision:
    if not reading.recipients:
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.BOUNCE_NO_RECIPIENT),))
    proven = _proven(reading, known)
    if not proven:
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.BOUNCE_NOT_PROVEN),))
    effects = tuple(_record_bounce(r, reading, known) for r in proven)
    return Decision(Disposition.APPLY, effects, "delay: never suppresses" if reading.permanent is False else "")


def _record_bounce(recipient: str, reading: Reading, known: Known) -> RecordBounce:
    """The recipient's own line of the report (else the report's one status, when VERP named the
    recipient), and the campaign our returned Message-ID names: a hard failure counts once a campaign."""
    mine = [f for f in reading.failures if f.recipient == recipient]
    statuses = {f.status for f in reading.failures}
    detail = mine[0] if mine else (reading.failures[0] if len(statuses) == 1 else None)
    campaign = next((c for m in reading.returned_ids
                     if (c := campaign_of(known.secret, m, recipient)) is not None), "") if known.secret else ""
    return RecordBounce(recipient, reading.permanent, detail.status if detail else "",
                        detail.reason if detail else "", campaign)


def _complaint(reading: Reading, known: Known) -> Decision:
    if not reading.recipients:
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.COMPLAINT_NO_RECIPIENT),))
    proven = _proven(reading, known)
    if not proven:
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.COMPLAINT_NOT_PROVEN),))
    return Decision(Disposition.APPLY, tuple(Suppress(r, "complaint") for r in proven))


def _confirm(reading: Reading, facts: MessageFacts, known: Known) -> Decision:
    address, via = None, ""
    if reading.token and reading.token.lower() in known.confirm_tokens:
        address, via = known.confirm_tokens[reading.token.lower()], "token"
    else:
        address = next((known.confirm_threads[m] for m in facts.references if m in known.confirm_threads), None)
        via = "thread"
        if address is not None and address.lower() != reading.sender.lower():
            address = None       # anyone can answer in a thread: only the requested address confirms
    if address is None:
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.UNVERIFIABLE_CONFIRMATION),))
    status, dossier = known.pending.get(address, ("", None))
    if status != "pending":
        return Decision(Disposition.IGNORE, note="already confirmed")
    if known.pending_scope.get(address) == "bulletin":      # a bulletin reader: no référent to tell
        return Decision(Disposition.APPLY, (Activate(address, via),), "bulletin subscriber confirmed")
    return Decision(Disposition.APPLY, (Activate(address, via), *_notices(known, address, dossier)))


def _notices(known: Known, about: str, dossier: str | None) -> tuple[Effect, ...]:
    return tuple(SendAnswer(AnswerKind.REFERENT_NOTICE, to, threaded=False, about=about)
                 for to in known.referents(dossier))


def _unsubscribe(reading: Reading, facts: MessageFacts, known: Known) -> Decision:
    if reading.rule == "unsubscribe.keep":
        return _keep(reading, facts, known)
    if reading.token and known.unsubscribe_address(reading.token) is None:
        # A token we cannot resolve (a test message's, or one minted under another key) says
        # nothing about who wants to leave: the From address must not stand in for it.
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.UNSUBSCRIBE_UNKNOWN_TOKEN),))
    address = known.unsubscribe_address(reading.token) if reading.token else reading.sender
    if not address:
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.UNSUBSCRIBE_NO_ADDRESS),))
    scope = reading.scope or "all"
    if not reading.token and not (known.sent_to(facts.references, address) or facts.from_authenticated()):
        # A From anyone could write: the person gets a one-click +u- mail, which proves the address.
        if why_not_answer(address, facts, reading, known):
            return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.UNSUBSCRIBE_UNPROVEN),))
        answer = SendAnswer(AnswerKind.UNSUBSCRIBE_CONFIRM, address.lower(), values={"scope": scope})
        return Decision(Disposition.APPLY, (answer,), "sender not proven: one-click confirmation sent")
    answer, note = _answer(AnswerKind.UNSUBSCRIBED, address, facts, reading, known, scope=scope)
    return Decision(Disposition.APPLY, (Suppress(address, "unsubscribe", scope), *answer), note)


def _keep(reading: Reading, facts: MessageFacts, known: Known) -> Decision:
    """A mail to the `+k-` address our "c'est fait" gave: whatever it says, its writer keeps the
    other mailings (only they had that address); the bulletin stays stopped, and they are told so."""
    address = known.keep_address(reading.token or "")
    if address is None:
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.UNSUBSCRIBE_UNKNOWN_TOKEN),))
    answer, note = _answer(AnswerKind.UNSUBSCRIBED, address, facts, reading, known, scope="bulletin")
    return Decision(Disposition.APPLY, (KeepMailings(address), *answer), note or "kept all but the bulletin")


def _signup(reading: Reading, facts: MessageFacts, known: Known) -> Decision:
    sender = reading.sender
    if known.erased(sender):        # never re-added, never answered: nothing about them is stored again
        return Decision(Disposition.IGNORE, note="erased address: sign-up not recorded")
    if reading.scope == "bulletin":
        if known.subscribers.get(sender.lower()) == "active":
            return Decision(Disposition.IGNORE, note="already a bulletin subscriber: no second request")
        return _opt_in(reading, facts, known, "bulletin")
    if reading.rule == "signup.call" or known.is_known_sender(sender):
        # A reply to a call's +v- token we minted is certain whoever the recipient is (a subscriber,
        # a csv contact): the référent hears of it, and no opt-in is asked of someone we wrote to.
        request = RecordSignupRequest(sender, reading.name, reading.group or reading.joins, reading.dossier)
        notices = _notices(known, sender, reading.dossier)
        why = "reply to a call: no opt-in" if reading.rule == "signup.call" else "known sender: no opt-in"
        return Decision(Disposition.APPLY, (request, *notices), why)
    return _opt_in(reading, facts, known)


def _opt_in(reading: Reading, facts: MessageFacts, known: Known, scope: str = "") -> Decision:
    """Double opt-in: a pending person (a volunteer, or with scope "bulletin" a bulletin subscriber
    of no group) and the confirmation request worded for it."""
    sender = reading.sender
    state = known.pending.get(sender, (None, None))[0]
    if state == "active":
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.SIGNUP_ALREADY_CONFIRMED),))
    reason = why_not_answer(sender, facts, reading, known)
    if reason and reason != NotAnswered.ALREADY_TODAY:
        return Decision(Disposition.TRIAGE, (ToTriage(signup_unconfirmed(reason)),))
    effects: list[Effect] = []
    if state is None:
        effects.append(CreatePendingPerson(sender, reading.name, None, None, scope=scope) if scope else
                       CreatePendingPerson(sender, reading.name, reading.group or reading.joins, reading.dossier))
    if reason is None:
        effects.append(SendAnswer(AnswerKind.CONFIRM_REQUEST, sender, values={"scope": scope} if scope else {}))
    return Decision(Disposition.APPLY, tuple(effects), reason or "")


def _report(reading: Reading, facts: MessageFacts, known: Known) -> Decision:
    if not known.is_known_sender(reading.sender):
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.REPORT_UNKNOWN_SENDER),))
    if known.confirm_reports and reading.rule == "report.actions":
        # Free text is read by rules that miss new phrasings: its sender confirms our reading (OUI, or
        # the form we send back pre-filled) before it is recorded; a coordinator may apply it meanwhile.
        asked, note = _answer(AnswerKind.REPORT_CONFIRM, reading.sender, facts, reading, known)
        if not asked:                   # nobody to ask (automatic mail...): a coordinator finishes it
            return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.UNSURE),), note)
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.AWAITING_CONFIRMATION), *asked),
                        "asked its sender to confirm")
    answer, note = _answer(AnswerKind.REPORT_ACK, reading.sender, facts, reading, known)
    record = RecordReport(reading.sender, reading.group, reading.dossier, reading.actions)
    return Decision(Disposition.APPLY, (record, *answer), note)


def _approval(reading: Reading, known: Known) -> Decision:
    binding = reading.approval
    if binding is None:
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.APPROVAL_UNKNOWN_TOKEN),))
    if reading.rule == "approval.other_writer":
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.APPROVAL_WRONG_SENDER),))
    if reading.rule == "approval.declined":
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.APPROVAL_DECLINED),))
    if reading.rule != "approval.yes":
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.APPROVAL_UNCLEAR),))
    by = reading.sender.strip().lower()
    coordinators = {c.lower() for c in known.coordinators}
    if by not in coordinators or by == binding.requested_by.lower():
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.APPROVAL_NOT_APPROVER),))
    told = tuple(SendAnswer(AnswerKind.APPROVAL_NOTICE, to, threaded=to == by, about=by,
                            values={"campaign": binding.campaign, "audience": binding.audience,
                                    "file_sha256": binding.file_sha256, "by": by,
                                    "requested_by": binding.requested_by.lower(), "file": binding.file})
                 for to in dict.fromkeys((binding.requested_by.lower(), by)))
    return Decision(Disposition.APPLY, (RecordApproval(binding, by), *told), f"approved by {by}")


def decide(reading: Reading, facts: MessageFacts, known: Known) -> Decision:
    """The rules of issue 3, in the order a coordinator would explain them."""
    kind = reading.kind
    if kind is Kind.BOUNCE:
        return _bounce(reading, known)
    if kind is Kind.COMPLAINT:
        return _complaint(reading, known)
    if kind is Kind.AUTO_REPLY:
        return Decision(Disposition.IGNORE, note="automatic reply: never answered")
    if known.is_ours(reading.sender):
        return Decision(Disposition.IGNORE, note="our own mail")
    if kind is Kind.APPROVAL:
        return _approval(reading, known)
    if kind is Kind.UNSUBSCRIBE:
        return _and_its_asks(_unless_unsure(_unsubscribe(reading, facts, known), reading, known), reading)
    pending = _awaiting(facts, known, reading.sender)
    if pending is not None:             # an answer to "est-ce bien cela ?" (a sign-up's OUI is below)
        confirmed = _confirmed(reading, pending)
        doubts = [c for c in reading.checks if c not in _WHOSE]     # whose it is, the thread proves
        if confirmed.disposition is Disposition.APPLY and doubts:
            # a form sent back with a value the reader could not take: a person, linked to the report
            return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.REPLY_TO_REPORT_CONFIRMATION, pending),),
                            f"checks: {', '.join(doubts)}")
        return confirmed
    if kind is Kind.CONFIRM:
        return _confirm(reading, facts, known)
    link = _reply_to_ack(facts, known)
    if link is not None:
        # A human answering "voici ce que nous avons compris": a correction, never a second report.
        return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.REPLY_TO_ACKNOWLEDGEMENT, link),))
    if kind is Kind.SIGNUP:
        return _unless_unsure(_signup(reading, facts, known), reading, known)
    if kind is Kind.REPORT:
        return _unless_unsure(_report(reading, facts, known), reading, known)
    return Decision(Disposition.TRIAGE, (ToTriage(reading.rule),))


def _and_its_asks(decision: Decision, reading: Reading) -> Decision:
    """An unsubscribe is obeyed at once, but what else the mail asks ("et mon reçu fiscal ?") waits for
    a person: the same effects, and the message in triage."""
    if decision.disposition is not Disposition.APPLY or not reading.asks:
        return decision
    return Decision(Disposition.TRIAGE, (*decision.effects, ToTriage(TriageReason.UNSUBSCRIBE_ALSO_ASKS)),
                    f"applied; it also asks: {reading.asks[0][:80]}", also_applied=True)


def _unless_unsure(decision: Decision, reading: Reading, known: Known) -> Decision:
    """Free text the checks doubt (understand/confidence.py) is not applied: a person finishes it,
    the reading pre-filled. Other reasons for triage (an unknown sender...) keep their own."""
    if decision.disposition is not Disposition.APPLY or reading.confidence >= known.apply_confidence:
        return decision
    return Decision(Disposition.TRIAGE, (ToTriage(TriageReason.UNSURE),),
                    f"confidence {reading.confidence:.2f}: {', '.join(reading.checks)}")

