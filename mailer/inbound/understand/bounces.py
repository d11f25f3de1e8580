"""Delivery reports and complaints -> recipients, permanence.   [pure]

Evidence, strongest first:
1. Our VERP address: mail we send has the envelope sender `TEAM+b-TOKEN@domain`, so a bounce
   comes back to that address and `resolve_token(TOKEN)` names the recipient, whatever the
   report says (a forwarded or aliased address would otherwise hide who we wrote to).
2. RFC 3464 delivery-status fields (a message/delivery-status part, or the same fields pasted
   into a text body): Original-/Final-Recipient, Action, Status.
3. The text of non-standard bounces (Exim, qmail, Postfix, sendmail, Exchange, Lotus, Yahoo,
   Gmail, Orange/SFR...): recognised by who sent them and what they say, with the failed
   addresses read from the notification part only, never from the returned original.

Permanence: True for 5.x.x / "failed", False for 4.x.x / "delayed", None when unknown or
contradictory (`Action: failed` with a 4.x.x status). A notice that every recipient was
delivered, relayed or expanded is not a bounce (`detect_delivery_notice`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .autoreply import detect_auto_reply
from ..mime.parse import ParsedMessage

TokenResolver = Callable[[str], "str | None"]   # a +b-TOKEN token -> the address it was issued for


@dataclass(frozen=True)
class Failure:
    """One recipient's line of a report."""

    recipient: str
    permanent: bool | None
    status: str = ""                # "5.1.1", or an SMTP reply code "550" when that is all there is
    action: str = ""                # RFC 3464 Action ("failed", "delayed"), "" for non-standard bounces


@dataclass(frozen=True)
class Bounce:
    recipients: tuple[str, ...]     # failed recipient addresses, lower-cased
    permanent: bool | None          # True: 5.x.x / permanent; False: delay or 4.x.x; None: unknown
    rule: str                       # name of the detector that decided
    failures: tuple[Failure, ...] = ()   # per-recipient details, as the report gives them


@dataclass(frozen=True)
class Complaint:
    recipients: tuple[str, ...]     # the complaining address(es), lower-cased
    feedback_type: str              # "abuse", "opt-out", ...
    rule: str


# ---------------------------------------------------------------------------- VERP

_VERP_RE = re.compile(r"\+b-([A-Za-z0-9]{1,64})@", re.IGNORECASE)
_ENVELOPE_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "envelope-to", "x-envelope-to",
                     "x-delivered-to", "x-rcpt-to", "return-path")


def _verp(values: Iterable[str], resolve_token: TokenResolver | None) -> tuple[str, ...]:
    if resolve_token is None:
        return ()
    found: dict[str, None] = {}
    for value in values:
        for token in _VERP_RE.findall(value):
            address = resolve_token(token.lower())
            if address:
                found[address.strip().lower()] = None
    return tuple(found)


def _verp_recipients(parsed: ParsedMessage, resolve_token: TokenResolver | None) -> tuple[str, ...]:
    """Addresses named by a +b-TOKEN in the envelope headers (or, failing that, the returned original's)."""
    if resolve_token is None:
        return ()
    outer = [v for k, v in parsed.header_items if k in _ENVELOPE_HEADERS] + list(parsed.to)
    found = _verp(outer, resolve_token)
    if not found:
        returned = _returned_headers(parsed)
        found = _verp([returned.get("return-path", ""), returned.get("sender", "")], resolve_token)
    return found


# ---------------------------------------------------------------------------- RFC 3464 fields

_FIELD_RE = re.compile(r"^([A-Za-z][\w-]*)[ \t]*:[ \t]*(.*(?:\n[ \t]+.*)*)", re.MULTILINE)
_STATUS_RE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_REPLY_RE = re.compile(r"(?<![\d.])([245])\d\d(?![\d.])")
_SUCCESS = frozenset({"delivered", "relayed", "expanded", "deliverable"})   # "deliverable": sendmail -bv
_INLINE_REPORT_RE = re.compile(r"^(?:Final|Original)-Recipient[ \t]*:", re.MULTILINE | re.IGNORECASE)


def _fields(text: str) -> list[tuple[str, str]]:
    return [(m[1].lower(), " ".join(m[2].split())) for m in _FIELD_RE.finditer(text)]


def _address_of(value: str) -> str:
    """"rfc822; <Someone@Example.org>" -> "someone@example.org"."""
    value = value.rpartition(";")[2] if ";" in value else value
    value = value.strip().strip("<>").strip()
    value = value.split()[0] if value else ""
    return value.strip("<>\"'").lower() if "@" in value else ""


def _status_of(status: str, diagnostic: str) -> str:
    for text in (status, diagnostic):
        m = _STATUS_RE.search(text)
        if m:
            return m.group(0)
    m = _REPLY_RE.search(diagnostic)
    return m.group(0) if m else ""


def _permanence(action: str, status: str) -> bool | None:
    klass = status[:1]
    if action == "failed":
        return True if klass in ("", "5") else None      # failed + 4.x.x: contradictory
    if action == "delayed":
        return False if klass in ("", "4") else None
    return {"5": True, "4": False}.get(klass)


def _dsn_records(text: str) -> list[Failure | str]:
    """Per-recipient records of a delivery-status text; a success is returned as its Action string.

    Records are the blank-line-separated blocks that name a recipient (in any field order); a
    block naming several recipients without blank lines is split at each new recipient."""
    records: list[dict[str, str]] = []
    for block in re.split(r"\n[ \t]*\n", text):
        fields = _fields(block)
        if not any(name in ("final-recipient", "original-recipient") for name, _ in fields):
            continue
        current: dict[str, str] = {}
        records.append(current)
        for name, value in fields:
            if name in ("final-recipient", "original-recipient") and name in current:
                current = {}
                records.append(current)
            current.setdefault(name, value)
    out: list[Failure | str] = []
    for rec in records:
        action = rec.get("action", "").split("(")[0].strip().lower()
        status = _status_of(rec.get("status", ""), rec.get("diagnostic-code", ""))
        if action in _SUCCESS or (not action and status.startswith("2")):
            out.append(action or "delivered")
            continue
        recipient = _address_of(rec.get("original-recipient", "")) or _address_of(rec.get("final-recipient", ""))
        out.append(Failure(recipient, _permanence(action, status), status, action))
    return out


def _report_texts(parsed: ParsedMessage) -> list[str]:
    """The delivery-status texts of the mail itself (not of a bounce quoted inside it)."""
    texts = [p.text[:_REPORT_CHARS] for p in parsed.parts
             if p.in_message == 0 and p.content_type.endswith("delivery-status")]
    if not texts and _INLINE_REPORT_RE.search(parsed.text[:_REPORT_CHARS]):
        texts = [parsed.text[:_REPORT_CHARS]]   # the fields pasted into the body (broken MIME, AWS WorkMail)
    return texts


def detect_delivery_notice(parsed: ParsedMessage) -> str | None:
    """A machine notice that is NOT a failure: a success DSN or a read receipt (never answered)."""
    texts = _report_texts(parsed)
    if texts:
        records = [r for t in texts for r in _dsn_records(t)]
        if records and all(isinstance(r, str) for r in records):
            return "dsn-" + str(records[0])
    if parsed.report_type == "disposition-notification" or any(
            p.content_type.endswith("disposition-notification") and p.in_message == 0 for p in parsed.parts):
        return "read-receipt"
    return None


# ---------------------------------------------------------------------------- non-standard bounces

# Who writes bounces: the MTA's own names (strong), and service addresses that also send other mail (weak).
_DAEMON_RE = re.compile(r"^(?:mailer-daemon|mailer_daemon|mail-daemon|mailerdaemon|maildaemon|mdaemon|postmaster|"
                        r"post_master|postoffice|mail\.delivery\.system|mail-delivery|mailadmin|"
                        r"mail\.administrator|smtp\.gateway)(?:[@+.-]|$)", re.IGNORECASE)
_SERVICE_RE = re.compile(r"^(?:sysadmin|mailer|no-?reply|root|bounce[sd]?|nobody)(?:[@+.-]|$)|"
                         r"^[\w.-]+-(?:admin|owner|bounces?)@", re.IGNORECASE)
_DAEMON_NAME_RE = re.compile(r"mail delivery (?:subsystem|system|service)|mail administrator|postmaster|"
                             r"mailer.daemon|system administrator|delivery (?:status )?notification", re.IGNORECASE)
_SUBJECT_RE = re.compile(
    r"^\s*(?:undeliver|undelivered|returned mail|return(?:ed)? mail|mail delivery (?:failed|failure|problem)|"
    r"delivery (?:status notification|failure|notification|has failed|problem|final failure)|"
    r"failure notice|failed delivery|non[- ]?deliver|nondeliverable|mail system error|"
    r"message (?:delivery has failed|status - undeliverable|not delivered|undeliverable)|"
    r"warning: could not send|delayed mail|there was an error sending|could not send|mail could not be delivered|"
    r"non remis|non distribu|[ée]chec de (?:la )?(?:remise|distribution|livraison)|"
    r"message non (?:remis|d[ée]livr[ée])|avis de non-?remise|remise diff[ée]r[ée]e|"
    r"impossible de (?:remettre|distribuer)|ihre nachricht|unzustellbar|nicht zustellbar|"
    r"mail failure|rejected|mail(?:box)? (?:error|full)|your message (?:could not|cannot) be delivered)")
_FAILURE_RE = re.compile(
    r"could not be delivered|couldn't be delivered|could not deliver|cannot be delivered|can't be delivered|"
    r"not be delivered|was not delivered|wasn't delivered|undeliverable|undelivered|delivery (?:has )?failed|"
    r"delivery to the following|failed permanently|permanent (?:fatal )?error|permanent failure|"
    r"unable to deliver|wasn't able to deliver|was unable to deliver|were unable to deliver|error (?:occurred )?"
    r"(?:while trying to deliver|delivering)|did not reach|had (?:permanent fatal|delivery) (?:errors|problems)|"
    r"following address(?:es)? (?:had|failed)|address(?:\(es\))? failed|not a valid user|user unknown|"
    r"unknown user|no such user|mailbox (?:unavailable|full|is full)|mailbox exceeds|over quota|"
    r"quota exceeded|host unknown|domain does not exist|recipient address rejected|returned to sender|"
    r"not listed in|delivery status notification|mail delivery|trouble delivering|rejected by|"
    r"undeliverable to|could not be sent|cannot send|has not yet been delivered|delivery delayed|"
    r"was aborted|transcript of session|returned mail|recipients? (?:was|were) rejected|"
    r"n'a pas pu [êe]tre (?:remis|distribu|livr|d[ée]livr|transmis)|non remis|adresse (?:inconnue|invalide)|"
    r"destinataire (?:inconnu|invalide)|[ée]chec de (?:la )?(?:remise|distribution)|boîte (?:aux lettres )?pleine|"
    r"ihre nachricht konnte|unzustellbar|mail rejete|service refuse|ne peut pas [êe]tre (?:remis|distribu)|"
    r"not a member of|are not (?:a )?member|mail loop|loop (?:alert|detected)|duplicated message-id|"
    r"too many hops|hop count exceeded")                  # matched against lower-cased text
_ORIGINAL_RE = re.compile(
    r"^[ \t>]*(?:-+[ \t]*)?(?:this is a copy of|below this line is a copy|original message follows|"
    r"unsent message follows|message headers? follows?|the header of the original message|"
    r"original message(?: header)?s?\s*(?:-+|:|$)|returned message|"
    r"included is a copy|below is a copy|enclosed is a copy|a copy of the original message|"
    r"-+ ?original message ?-+|original mail as follows|\*+\s*end of message|-+original message|"
    r"ceci est une copie du message|copie du message (?:d'origine|original)|message d'origine|"
    r"en-t[êe]tes? du message)|"
    r"^(?:received|return-path|dkim-signature|x-received|arf-version|message-id|"
    r"authentication-results|x-originating-ip|delivered-to|x-google-smtp-source)\s*:",
    re.MULTILINE)                                          # matched against lower-cased text
_EMAIL_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{1,24}|"
                       r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@#[A-Za-z0-9.-]{1,255}")   # bounded: linear scans
_NOT_RECIPIENT_RE = re.compile(
    r"(?:mail from|envelope-from|from|sender|sent by|original sender|return-path|reply-to|generated from|"
    r"expanded from|sorry|hello|hi|bonjour|dear|to contact|contact|send mail to|x-postfix-sender)[\s:]*[(<\"']*$",
    re.IGNORECASE)
_HEADERISH_RE = re.compile(r"^\s*(?:to|cc|from|subject|sent|date|reply-to|message-id|sender)\s*:", re.IGNORECASE)
_PERMANENT_RE = re.compile(r"permanent(?:ly)?|i've given up|no further (?:delivery )?attempts|unrecoverable|"
                           r"will not (?:be )?retr|not going to try again|given up|fatal error|"
                           r"erreur permanente|d[ée]finitive")
_TEMPORARY_RE = re.compile(r"temporar(?:y|ily)|will (?:continue|keep) (?:trying|to try)|still trying|"
                           r"will be retried|will retry|delayed|has not yet been delivered|not yet delivered|"
                           r"deferred|will try (?:again|to deliver)|no action is required|"
                           r"erreur temporaire|nouvel essai|sera retent|essayer plus tard")
_DAEMON_LOCAL_RE = re.compile(r"^(?:mailer-daemon|postmaster|post_master|mail-daemon|root|nobody)@", re.IGNORECASE)


_NOTICE_CHARS = 20_000                       # a bounce says what it has to say well before this
_REPORT_CHARS = 100_000                      # ~1,000 recipient records


def _notification(parsed: ParsedMessage) -> str:
    """The bounce's own words: its text up to the copy of the original message."""
    text = parsed.text[:_NOTICE_CHARS]
    if not text.strip():                     # e.g. multipart/mixed whose notice is an attachment
        text = next((p.text[:_NOTICE_CHARS] for p in parsed.parts if p.in_message == 0
                     and p.content_type == "text/plain" and p.text.strip()), "")
    low = text.lower()
    m = _ORIGINAL_RE.search(low) if len(low) == len(text) else None   # lower() keeps offsets but for rare letters
    return text[:m.start()] if m and m.start() > 0 else text


def _machine_sender(parsed: ParsedMessage) -> str:
    """"mta" when an MTA wrote this, "service" for addresses that send bounces among other mail, else ""."""
    return_path = parsed.headers.get("return-path", "").strip()
    if (not parsed.sender or return_path == "<>" or _DAEMON_RE.match(parsed.sender)
            or _DAEMON_RE.match(parsed.return_path) or _DAEMON_NAME_RE.search(parsed.sender_name)):
        return "mta"
    return "service" if _SERVICE_RE.match(parsed.sender) or _SERVICE_RE.match(parsed.return_path) else ""


def _candidates(notice: str, exclude: set[str]) -> list[str]:
    """Addresses the notice names, minus its own and the sender's ("Sorry you@x", "MAIL FROM:<you@x>")."""
    found: dict[str, None] = {}
    for line in notice.split("\n"):
        if "@" not in line or _HEADERISH_RE.match(line):
            continue
        for m in _EMAIL_RE.finditer(line):
            address = m.group(0).strip(".'").lower()
            if _DAEMON_LOCAL_RE.match(address) or _NOT_RECIPIENT_RE.search(line[:m.start()]):
                continue
            if line[m.end():m.end() + 1] == "]" and "[" in line[:m.start()]:   # "(id ...@host)" forms
                continue
            found[address] = None
    # The bounce's own To is usually our envelope sender; some MTAs address it to the recipient.
    others = [a for a in found if a not in exclude]
    return others or list(found)


def _heuristic_permanence(notice: str, subject: str) -> bool | None:
    """Codes first (5.x.x / 5xx vs 4.x.x / 4xx), then what the notice says; a returned mail has been given up."""
    statuses = {m.group(1) for m in _STATUS_RE.finditer(notice)}
    codes = {m.group(1) for m in re.finditer(r"(?:^|[\s(:\[])([45])\d\d(?=[\s\-:.\])]|$)", notice, re.MULTILINE)}
    classes = statuses or codes
    if classes == {"5"}:
        return True
    if classes == {"4"}:
        return False
    warning = bool(_WARNING_SUBJECT_RE.search(subject.lower()))
    if "5" in classes and not warning:
        return True                           # some recipients 5xx, others deferred: the mail came back
    low = notice.lower()
    temporary, permanent = warning or bool(_TEMPORARY_RE.search(low)), bool(_PERMANENT_RE.search(low))
    if permanent != temporary:
        return permanent
    if not temporary:
        return True                           # a failure notice with no sign of a retry: the MTA gave up
    return None


_WARNING_SUBJECT_RE = re.compile(r"warning|delay|retry|retried|still being|not yet been delivered|"
                                 r"remise diff[ée]r[ée]e|retard")
# AOL names the refused recipients by screen name only ("\tmykewlaolacct"): their domain is aol.com.
_AOL_RE = re.compile(r"following recipients could not be delivered[^\n]*:\n((?:[ \t]+\S+\n?)+)", re.IGNORECASE)


def _heuristic(parsed: ParsedMessage) -> Bounce | None:
    subject = parsed.subject.lower()
    subject_says = bool(_SUBJECT_RE.match(subject))
    sender = _machine_sender(parsed)
    if not (subject_says or sender):
        return None
    notice = _notification(parsed)
    if not _FAILURE_RE.search(notice.lower()) and not (subject_says and _FAILURE_RE.search(subject)):
        return None
    exclude = {parsed.sender, *parsed.to, parsed.return_path}
    recipients = _candidates(notice, exclude)
    aol = _AOL_RE.search(notice) if parsed.sender.endswith("@aol.com") else None
    if aol and not recipients:
        recipients = [f"{name.strip().lower()}@aol.com" for name in aol.group(1).split()]
    if not recipients and not subject_says and sender == "service":
        return None                          # a no-reply newsletter that mentions a rejection, no bounce
    if not recipients:                       # last resort: the returned original, sent to one person
        returned_to = _returned_headers(parsed).get("to", "")
        if not returned_to:
            m = re.search(r"^[ \t]*To:[ \t]*(.*)$", parsed.text[len(notice):], re.MULTILINE | re.IGNORECASE)
            returned_to = m[1] if m else ""
        addresses = [a.lower() for a in _EMAIL_RE.findall(returned_to)]
        if len(addresses) == 1:
            recipients = addresses
    return Bounce(tuple(recipients), _heuristic_permanence(notice, parsed.subject), "text")


# ---------------------------------------------------------------------------- the returned original

def _returned_headers(parsed: ParsedMessage) -> dict[str, str]:
    """Headers of the original message a report carries (message/rfc822 or text/rfc822-headers)."""
    parts = parsed.parts
    for i, part in enumerate(parts):
        if part.in_message != 0:
            continue
        if part.content_type in ("message/rfc822", "message/global") and i + 1 < len(parts):
            return parts[i + 1].headers
        if part.content_type in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
            fields: dict[str, str] = {}
            for name, value in _fields(part.text):
                fields.setdefault(name, value)
            return fields
    return {}


# ---------------------------------------------------------------------------- entry points

def detect_bounce(parsed: ParsedMessage, resolve_token: TokenResolver | None = None) -> Bounce | None:
    """A failure report (permanent or not) for one or more recipients, or None."""
    if parsed.report_type == "feedback-report":
        return None
    verp = _verp_recipients(parsed, resolve_token)
    texts = _report_texts(parsed)
    found: Bounce | None = None
    if texts:
        records = [r for t in texts for r in _dsn_records(t)]
        failures = [r for r in records if isinstance(r, Failure)]
        if records and not failures:
            return None                      # every recipient delivered / relayed / expanded
        if failures:
            perms = {f.permanent for f in failures}
            permanent = perms.pop() if len(perms) == 1 else None
            recipients = tuple(dict.fromkeys(f.recipient for f in failures if f.recipient))
            found = Bounce(recipients, permanent, "dsn", tuple(failures))
    if found is None or not found.recipients:
        text_found = _heuristic(parsed)
        if text_found is not None and (found is None or text_found.recipients):
            found = Bounce(text_found.recipients, found.permanent if found else text_found.permanent,
                           "text" if found is None else "dsn+text", found.failures if found else ())
    if verp:
        if found is None:
            # Mail to our envelope sender that no rule reads: a bounce if an MTA wrote it. People and
            # vacation programs that answer the envelope sender are left to the other rules.
            if detect_auto_reply(parsed) or not (_machine_sender(parsed) == "mta"
                                                 or _SUBJECT_RE.match(parsed.subject.lower())):
                return None
            return Bounce(verp, None, "verp")
        return Bounce(verp, found.permanent, "verp+" + found.rule, found.failures)
    return found


def detect_complaint(parsed: ParsedMessage, resolve_token: TokenResolver | None = None) -> Complaint | None:
    """An ARF feedback report (RFC 5965): who complained, and what kind of feedback."""
    reports = [p for p in parsed.parts if p.in_message == 0 and p.content_type == "message/feedback-report"]
    if not reports and parsed.report_type != "feedback-report":
        return None
    fields = _fields(reports[0].text[:_REPORT_CHARS]) if reports else []
    feedback_type = next((v.lower() for k, v in fields if k == "feedback-type"), "abuse") or "abuse"
    recipients = _verp_recipients(parsed, resolve_token)
    rule = "arf-verp"
    if not recipients:
        recipients = tuple(dict.fromkeys(a for k, v in fields if k in ("original-rcpt-to", "removal-recipient")
                                         if (a := _address_of(v))))
        rule = "arf"
    if not recipients:
        returned_to = _returned_headers(parsed).get("to", "")
        recipients = tuple(dict.fromkeys(a.lower() for a in _EMAIL_RE.findall(returned_to)))
        rule = "arf-original-to"
    return Complaint(recipients, feedback_type, rule)


__all__ = ["Bounce", "Complaint", "Failure", "TokenResolver", "detect_bounce", "detect_complaint",
           "detect_delivery_notice"]
