"""Non-standard bounces (Exim, qmail, Postfix, sendmail, Exchange, Lotus, Yahoo, Gmail, Orange/SFR...).   [pure]

Recognised by who sent them and what they say, with the failed addresses read from the
notification part only (the bounce's own words, up to the copy of the original message), never
from the returned original. Permanence from the codes the notice gives (5.x.x / 5xx vs 4.x.x /
4xx), then from what it says; a returned mail with no sign of a retry has been given up.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .dsn import STATUS_RE, returned_headers
from ..mime.parse import ParsedMessage


# Who writes bounces: the MTA's own names (strong), and service addresses that also send other mail (weak).
_DAEMON_RE = re.compile(r"^(?:mailer-daemon|mailer_daemon|mail-daemon|mailerdaemon|maildaemon|mdaemon|postmaster|"
                        r"post_master|postoffice|mail\.delivery\.system|mail-delivery|mailadmin|"
                        r"mail\.administrator|smtp\.gateway)(?:[@+.\\-]|$)", re.IGNORECASE)     # "\\": a mangled "postmaster\\@host@host"
_SERVICE_RE = re.compile(r"^(?:sysadmin|mailer|no-?reply|root|bounce[sd]?|nobody)(?:[@+.-]|$)|"
                         r"^[\w.-]+-(?:admin|owner|bounces?)@", re.IGNORECASE)
_DAEMON_NAME_RE = re.compile(r"mail delivery (?:subsystem|system|service)|mail administrator|postmaster|"
                             r"mailer.daemon|system administrator|delivery (?:status )?notification", re.IGNORECASE)
SUBJECT_RE = re.compile(
    r"^\s*(?:undeliver|undelivered|returned mail|return(?:ed)? mail|mail delivery (?:failed|failure|problem)|"
    r"delivery (?:status notification|failure|notification|has failed|problem|final failure)|"
    r"failure notice|failed delivery|non[- ]?deliver|nondeliverable|mail system error|"
    r"message (?:delivery has failed|status - undeliverable|not delivered|undeliverable)|"
    r"warning: could not send|delayed mail|there was an error sending|could not send|mail could not be delivered|"
    r"non remis|non distribu|[ée]chec de (?:la )?(?:remise|distribution|livraison)|"
    r"message non (?:remis|d[ée]livr[ée])|avis de non-?remise|remise diff[ée]r[ée]e|"
    r"impossible de (?:remettre|distribuer)|ihre nachricht|unzustellbar|nicht zustellbar|"
    r"mail failure|rejected|mail(?:box)? (?:error|full)|your message (?:could not|cannot) be delivered)")
# Strong bounce phrases anywhere in a subject ("RE: Your message awaits approval : non remis (delivery failed)").
_SUBJECT_ANYWHERE_RE = re.compile(r"\bnon remis\b|\(delivery failed\)|\bundeliverable\b|\bundelivered mail\b|"
                                  r"\bdelivery status notification\b|\breturned mail\b|\bfailure notice\b")
_FORWARD_RE = re.compile(r"^\s*(?:fwd?|tr|wg|rv)\s*:")     # a person forwarding a bounce
# From an MTA, any of these words in the subject says "failure" (its list of phrasings never ends:
# "FAILED MAIL to ...", "mail failed, returning to sender", "Mail Delivery Warning").
_MTA_SUBJECT_RE = re.compile(r"fail|undeliver|deliver|return|bounce|error|reject|non remis|warning|notice|"
                             r"unzustellbar|[ée]chec")
# qmail's layout, whatever its (custom, localised) intro: "<user@host>:" alone on a line, then the reason.
_QMAIL_RE = re.compile(r"^<[^<>@\s]{1,64}@[^<>\s]{1,255}>:[ \t]*$", re.MULTILINE)
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
    r"too many hops|hop count exceeded|not able to deliver|failed addresses follow|no mailbox here|"
    r"did not (?:exactly )?match|did not reach|no valid recipients")     # matched against lower-cased text
_ORIGINAL_RE = re.compile(
    r"^[ \t>]*(?:-+[ \t]*)?(?:this is a copy of|below this line is a copy|original message follows|"
    r"unsent message follows|message headers? follows?|the header of the original message|"
    r"original message(?: header)?s?\s*(?:-+|:|$)|returned message|"
    r"included is a copy|below is a copy|enclosed is a copy|a copy of the original message|"
    r"-+ ?original message ?-+|original mail as follows|\*+\s*end of message|-+original message|"
    r"ceci est une copie du message|copie du message (?:d'origine|original)|message d'origine|"
    r"en-t[êe]tes? du message|the first \d+ lines of (?:your|the) original)|"
    r"^>?[ \t]*(?:received|return-path|dkim-signature|x-received|arf-version|message-id|"
    r"authentication-results|x-originating-ip|delivered-to|x-google-smtp-source)\s*:",
    re.MULTILINE)                                          # matched against lower-cased text
EMAIL_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{1,24}|"
                       r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@#[A-Za-z0-9.-]{1,255}")   # bounded: linear scans
_NOT_RECIPIENT_RE = re.compile(
    r"(?:mail from|envelope-from|from|sender|sent by|original sender|return-path|reply-to|generated from|"
    r"sorry|e\.g\.,?|hello|hi|bonjour|dear|to contact|contact|send mail to|x-postfix-sender|"
    r"message-id|in-reply-to|references)[\s:]*[(<\"']*$",
    re.IGNORECASE)
_IN_URL_RE = re.compile(r"://\S*$")    # "https://host/?login=you@x": a link, not a recipient
_HEADERISH_RE = re.compile(r"^\s*(?:to|cc|from|subject|sent|date|reply-to|message-id|sender)\s*:", re.IGNORECASE)
_PERMANENT_RE = re.compile(r"permanent(?:ly)?|i've given up|no further (?:delivery )?attempts|unrecoverable|"
                           r"will not (?:be )?retr|not going to try again|given up|fatal error|"
                           r"erreur permanente|d[ée]finitive")
_TEMPORARY_RE = re.compile(r"temporar(?:y|ily)|will (?:continue|keep) (?:trying|to try)|still trying|"
                           r"(?:delivery )?attempts will continue|postponed|"
                           r"will be retried|will retry|delayed|has not yet been delivered|not yet delivered|"
                           r"deferred|will try (?:again|to deliver)|no action is required|"
                           r"erreur temporaire|nouvel essai|sera retent|essayer plus tard")
# A failure that no retry will cure, whatever a "Warning:" subject says.
_HARD_RE = re.compile(r"no such user|user unknown|unknown user|no mailbox|no user by that name|does not exist|"
                      r"not recognized|invalid recipient|unknown (?:recipient|address)|address rejected")
_EXPANDED_RE = re.compile(r"^\s*\(?\s*expanded from:?\s*<?([^<>()\s]+@[^<>()\s]+?)>?\s*\)?\s*:?\s*$", re.IGNORECASE)
# Exim's "target\n    (generated from origin)", sendmail's "(expanded from: origin)" after the target
_ALIAS_RE = re.compile(r"<?([^\s<>()]+@[^\s<>()]+?)>?:?[ \t]*\n?[ \t]*\((?:generated|expanded) from:?[ \t]*"
                       r"<?([^\s<>()]+@[^\s<>()]+?)>?[ \t]*\)", re.IGNORECASE)
_PHONE_RE = re.compile(r"(?:\+\d{1,3}[ .-]?)?\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b")
_EXCHANGE_PREFIX_RE = re.compile(r"^(?:smtp|rfc-?822)[=:]", re.IGNORECASE)     # "dda:SMTP=user@host"
_DAEMON_LOCAL_RE = re.compile(r"^(?:mailer-daemon|postmaster|post_master|mail-daemon|root|nobody)@", re.IGNORECASE)


_NOTICE_CHARS = 20_000                       # a bounce says what it has to say well before this


def _notification(parsed: ParsedMessage) -> str:
    """The bounce's own words: its text up to the copy of the original message."""
    text = parsed.text[:_NOTICE_CHARS]
    if not text.strip():                     # e.g. multipart/mixed whose notice is an attachment
        text = next((p.text[:_NOTICE_CHARS] for p in parsed.parts if p.in_message == 0
                     and p.content_type == "text/plain" and p.text.strip()), "")
    low = text.lower()
    m = _ORIGINAL_RE.search(low) if len(low) == len(text) else None   # lower() keeps offsets but for rare letters
    return text[:m.start()] if m and m.start() > 0 else text


def returns_original(parsed: ParsedMessage) -> bool:
    """Does the notice carry the mail it failed to deliver (attached, or copied below its words)?"""
    return bool(returned_headers(parsed)) or len(_notification(parsed)) < len(parsed.text[:_NOTICE_CHARS])


def alias_origins(parsed: ParsedMessage) -> dict[str, str]:
    """failed target -> the address we wrote to, where the notice says an alias expanded to it
    (a delivery-status part names only the target: "Final-Recipient: rfc822;mf.duval76@orange.fr")."""
    found: dict[str, str] = {}
    for part in parsed.parts:
        if part.in_message == 0 and part.content_type.startswith("text/"):
            text = part.text[:20_000]
            if "ed from" not in text.lower():     # the regex scans every word; most notices have no alias
                continue
            for m in _ALIAS_RE.finditer(text):
                found.setdefault(m.group(1).lower(), m.group(2).lower())
    return found


def machine_sender(parsed: ParsedMessage) -> str:
    """"mta" when an MTA wrote this, "service" for addresses that send bounces among other mail, else ""."""
    return_path = parsed.headers.get("return-path", "").strip()
    if (not parsed.sender or return_path == "<>" or _DAEMON_RE.match(parsed.sender)
            or _DAEMON_RE.match(parsed.return_path) or _DAEMON_NAME_RE.search(parsed.sender_name)):
        return "mta"
    return "service" if _SERVICE_RE.match(parsed.sender) or _SERVICE_RE.match(parsed.return_path) else ""


def _candidates(notice: str, exclude: set[str]) -> list[str]:
    """Addresses the notice names, minus its own and the sender's ("Sorry you@x", "MAIL FROM:<you@x>")."""
    found: dict[str, None] = {}
    last = ""
    for line in notice.split("\n"):
        if "@" not in line or _HEADERISH_RE.match(line):
            continue
        expanded = _EXPANDED_RE.match(line)
        if expanded:                         # sendmail's "(expanded from: X)": we wrote to X, not its alias
            found.pop(last, None)
            found[expanded[1].lower()] = None
            continue
        for m in EMAIL_RE.finditer(line):
            address = _EXCHANGE_PREFIX_RE.sub("", m.group(0).strip(".'")).lower()
            before = line[:m.start()]
            if (_DAEMON_LOCAL_RE.match(address) or _NOT_RECIPIENT_RE.search(before)
                    or _IN_URL_RE.search(line[:m.start() + 2])):        # the match may start at "//"
                continue
            if (line[m.end():m.end() + 1] == "]" and "[" in before          # "(id ...@host)" forms,
                    and not before.lower().endswith(("smtp:", "smtp="))):      # not Exchange's "[SMTP:user@host]"
                continue
            if "@" in address:
                found[address] = None
                last = address
    # The bounce's own To is usually our envelope sender; some MTAs address it to the recipient.
    others = [a for a in found if a not in exclude]
    return others or list(found)


# Help text after the failure ("information that may be of help", "try NAME@host instead"): the
# addresses it names are not the recipient.
_HELP_RE = re.compile(r"may be of help|for (?:more )?help|locator information|try (?:sending|emailing|mailing)|"
                      r"\be\.g\.|for example|instead[,.]|another means of contact")


def _without_help(parsed: ParsedMessage, notice: str, recipients: list[str]) -> list[str]:
    """Where the notice has help text: the candidates the returned original was sent to, else those
    named before the help text, when that leaves any."""
    help_at = _HELP_RE.search(notice.lower())
    if help_at is None:
        return recipients
    headers = returned_headers(parsed)
    text = " ".join(headers.get(n, "") for n in ("to", "cc", "received", "x-original-to", "delivered-to"))
    text += "\n".join(line for line in notice.split("\n") if line.startswith(">"))     # a quoted original
    returned = {a.lower() for a in EMAIL_RE.findall(text + parsed.text[len(notice):len(notice) + _NOTICE_CHARS])}
    head = notice[:help_at.start()].lower()
    return ([a for a in recipients if a in returned] or [a for a in recipients if a in head] or recipients)


def _heuristic_permanence(notice: str, subject: str) -> bool | None:
    """Codes first (5.x.x / 5xx vs 4.x.x / 4xx), then what the notice says; a returned mail has been given up."""
    notice = _PHONE_RE.sub(" ", notice)      # "+1 925-423-5635" holds no SMTP code
    statuses = {m.group(1) for m in STATUS_RE.finditer(notice)}
    codes = {m.group(1) for m in re.finditer(r"(?:^|[\s(:\[])([45])\d\d(?=[\s\-:.\])]|$)", notice, re.MULTILINE)}
    classes = statuses or codes
    low = notice.lower()
    if classes == {"5"}:
        return True
    if classes == {"4"}:
        # a 4.x.x code the MTA has given up on is final, but soft (issue 9: None, as Action failed + 4.x.x)
        return None if _PERMANENT_RE.search(low) else False
    warning = bool(_WARNING_SUBJECT_RE.search(subject.lower())) and not _HARD_RE.search(low)
    if "5" in classes and not warning:
        return True                           # some recipients 5xx, others deferred: the mail came back
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


class TextBounce(NamedTuple):
    recipients: tuple[str, ...]     # failed recipient addresses, lower-cased
    permanent: bool | None
    status: str = ""                # the notice's code, else one its words imply (bouncing.py counts 5.1.x)
    reason: str = ""                # the notice's line that says why


# What a notice without a code says, as the status it would have given (RFC 3463).
_IMPLIED_STATUS = ((re.compile(r"mailbox (?:is )?full|over quota|quota exceeded|exceed(?:s|ing) (?:the |their )?"
                               r"(?:quota|storage)|bo[îi]te (?:aux lettres )?pleine"), "5.2.2"),
                   (re.compile(r"host unknown|unknown host|domain does not exist|no such domain"), "5.1.2"),
                   (_HARD_RE, "5.1.1"))


def _status_and_reason(notice: str) -> tuple[str, str]:
    clean = _PHONE_RE.sub(" ", notice)
    m = STATUS_RE.search(clean) or re.search(r"(?:^|[\s(:\[])([45]\d\d)(?=[\s\-:.\])]|$)", clean, re.MULTILINE)
    low = clean.lower()
    status = (m.group(0) if m.re is STATUS_RE else m.group(1)) if m else ""
    at = m.start() if m else -1
    for pattern, implied in _IMPLIED_STATUS:
        said = pattern.search(low)
        if said and (not status or status in ("550", "554", "553", "551")):
            status, at = implied, said.start()
            break
    if at < 0:
        said = _FAILURE_RE.search(low)
        at = said.start() if said else -1
    line = clean[clean.rfind("\n", 0, at) + 1:].split("\n", 1)[0] if at >= 0 else ""
    return status, " ".join(line.split())[:200]


def read_text_bounce(parsed: ParsedMessage) -> TextBounce | None:
    """The failed recipients and permanence of a non-standard bounce, or None when this is not one."""
    subject = parsed.subject.lower()
    subject_says = bool(SUBJECT_RE.match(subject) or (_SUBJECT_ANYWHERE_RE.search(subject)
                                                      and not _FORWARD_RE.match(subject)))
    sender = machine_sender(parsed)
    if not (subject_says or sender):
        return None
    notice = _notification(parsed)
    says = (_FAILURE_RE.search(notice.lower()) or (subject_says and _FAILURE_RE.search(subject))
            # an MTA's own notice needs no stock phrase: a bounce subject, or qmail's "<user@host>:" layout
            or (sender == "mta" and (subject_says or _MTA_SUBJECT_RE.search(subject) or _QMAIL_RE.search(notice))))
    if not says:
        return None
    exclude = {parsed.sender, *parsed.to, parsed.return_path}
    recipients = _candidates(notice, exclude)
    if len(recipients) > 1:
        recipients = _without_help(parsed, notice, recipients)
    aol = _AOL_RE.search(notice) if parsed.sender.endswith("@aol.com") else None
    if aol and not recipients:
        recipients = [f"{name.strip().lower()}@aol.com" for name in aol.group(1).split()]
    if not recipients and not subject_says and sender == "service":
        return None                          # a no-reply newsletter that mentions a rejection, no bounce
    summary = any(_HEADERISH_RE.match(line) for line in notice.split("\n"))
    if not recipients and not summary:       # last resort: the returned original, sent to one person
        # (not when the notice summarises the original: Exchange names the failed recipient apart)
        returned_to = returned_headers(parsed).get("to", "")
        if not returned_to:
            m = re.search(r"^[ \t]*To:[ \t]*(.*)$", parsed.text[len(notice):], re.MULTILINE | re.IGNORECASE)
            returned_to = m[1] if m else ""
        addresses = [a.lower() for a in EMAIL_RE.findall(returned_to)]
        if len(addresses) == 1:
            recipients = addresses
    return TextBounce(tuple(recipients), _heuristic_permanence(notice, parsed.subject), *_status_and_reason(notice))
