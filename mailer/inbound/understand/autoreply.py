"""Out-of-office and other automatic replies (RFC 3834 and common non-standard signs).   [pure]

An ordered table of named rules; `detect_auto_reply` returns the name of the first that matches.
Headers decide first (RFC 3834 `Auto-Submitted`, `X-Autoreply`, `Precedence: auto_reply`), then
subjects that only machines write ("Réponse automatique :", "Automatic reply:", "Out of Office"),
then weaker signs that must agree with each other: a vacation-like subject with `Precedence:
bulk` or Exchange's `X-Auto-Response-Suppress`, or a short text that says what becomes of *our*
message ("votre message ne sera pas transféré", "je le lirai à mon retour") plus another
out-of-office sign. A volunteer who writes "je serai absente du 3 au 10 mars, en cas d'urgence
contactez Paul" in a report is not flagged: people do not write about the fate of our message,
and long texts are never read as out-of-office notices.
Bounces also carry `Auto-Submitted`; the classifier asks the bounce detector first.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..mime.parse import ParsedMessage

# Subjects that people do not write by hand.
_STRONG_SUBJECT = re.compile(
    r"r[ée]ponse automatique|message automatique|automatic(?:ally)? repl|auto[- ]?repl|auto[- ]?respon|"
    r"automatic response|automated (?:reply|response)|out of (?:the )?office|absence du bureau|"
    r"absent\(?e?\)? du bureau|hors du bureau|^\s*auto\s*:|^\s*absence\s*:|^\s*\[?abwesenheit|"
    r"abwesenheitsnotiz|automatische antwort|respuesta autom[áa]tica|risposta automatica|"
    r"fuera de la oficina|fuori (?:sede|ufficio)|accus[ée] de r[ée]ception automatique|(?:^|\W)ooo(?:\W|$)|"
    # issue 9: Polish, Dutch, Portuguese, Swedish, Finnish
    r"odpowied[źz] automatyczna|automatyczna odpowied[źz]|poza biurem|"
    r"automatisch(?:e)? (?:antwoord|reactie|bericht)|buiten (?:het )?kantoor|"
    r"resposta autom[áa]tica|mensagem autom[áa]tica|(?:fora|ausente) d[oa] (?:escrit[óo]rio|gabinete)|"
    r"automatiskt svar|^\s*autosvar\b|fr[åa]nvaro(?:meddelande)?\s*:|inte p[åa] kontoret|"
    r"automaattinen vastaus|poissa toimistolta|lomavastaaja|poissaoloilmoitus",
    re.IGNORECASE)
# Subjects that need a second sign: people do write "Absente samedi" or "Vacances".
_WEAK_SUBJECT = re.compile(
    r"\babsente?s?\b|\babsence\b|\bvacation\b|\bholidays?\b|\bcong[ée]s?\b|\bvacances\b|\baway\b|"
    r"thank you for your (?:e-?mail|message)|merci (?:pour|de) votre (?:message|courriel|mail)|"
    r"\bnot available\b|\bindisponible\b|\bon leave\b|\bout of office\b|"
    r"\bnieobecno[śs][ćc]\b|\bafwezig(?:heid)?\b|\bausente\b|\bf[ée]rias\b|\bfr[åa]nvarande\b|"
    r"\bsemester\b|\bpoissa(?:olo)?\b|\bloma(?:lla)?\b|\burlop\b|\bvakantie\b",
    re.IGNORECASE)
# One of these near the top of a text says it outright.
_DECLARED = re.compile(
    r"ceci est une? (?:r[ée]ponse|message) automatique|this is an? auto(?:matic|mated|-generated)[- ]"
    r"(?:reply|response|message|notification)|(?:r[ée]ponse|message) automatique\s*[:.!]|"
    r"automatic reply\s*[:.!]|auto-?reply\s*[:.!]|do not reply to this (?:automatic|automated)")
# Out-of-office phrases (lower-case patterns: matched against lower-cased text, without re.I).
_OOF_SIGNS = {
    "away": re.compile(
        r"je suis (?:actuellement )?(?:absente?|en (?:cong[ée]s?|vacances|d[ée]placement|formation|arr[êe]t))|"
        r"je serai (?:absente?|en cong[ée]s?|en vacances)|je suis hors du bureau|"
        r"i(?: am|'m) (?:currently )?(?:out of (?:the )?office|away|on (?:vacation|holiday|leave)|"
        r"traveling|travelling|off)|i will be (?:out of (?:the )?office|away|traveling|travelling)|"
        r"currently away|away (?:from|until)"),
    "return": re.compile(
        r"(?:à|a|d[èe]s) mon retour|jusqu'au \w+|de retour le|je reviens le|je serai de retour|"
        r"(?:upon|on|after) my return|when i (?:return|get back|am back)|returning (?:to the office )?on|"
        r"back (?:in the office )?on|until \w{1,12}day|until \w{1,12} \d"),
    "elsewhere": re.compile(
        r"en cas d'urgence|pour toute (?:question|demande) urgente|pour me joindre|merci de (?:contacter|"
        r"vous adresser|[ée]crire)|veuillez contacter|for (?:urgent|pressing) (?:matters|issues|requests|news)|"
        r"please contact|if you need immediate|in case of emergency|limited access to (?:e-?mail|my e-?mail)|"
        r"acc[èe]s (?:limit[ée]|restreint) (?:à|a) (?:mes|ma) (?:mails|messagerie|courriels)|"
        r"intermittent access|sans acc[èe]s (?:à|a) (?:ma )?messagerie"),
    # What becomes of *your* message: people writing to us do not say this, notices always do.
    "your_message": re.compile(
        r"votre (?:message|mail|courriel|e-mail) (?:ne sera pas|sera (?:trait|lu|transf))|"
        r"je (?:le |la )?lirai (?:votre (?:message|mail|courriel) )?(?:à|a|d[èe]s) mon retour|"
        r"je (?:traiterai|lirai) votre (?:message|mail|courriel|demande)|"
        r"je r[ée]pondrai (?:à|a) votre (?:message|mail|courriel)|"
        r"(?:^|[,.;] )r[ée]ponse (?:à|a|d[èe]s) (?:mon|notre) retour|"
        r"n'ai plus acc[èe]s (?:à|a) cette|cette (?:adresse|bo[iî]te) n'est plus (?:consult|lue|utilis)|"
        r"(?:your|this) (?:message|e-?mail) will (?:not )?be (?:forwarded|read)|no longer (?:have access|monitor)|"
        r"i will (?:respond|reply|get back|answer)(?: to you)?(?: to your (?:message|e-?mail))? "
        r"(?:upon|on|when|after|as soon as|as promptly)|endeavour to reply|"
        r"r[ée]ponse automatique|message automatique|automatic reply|auto-?reply"),
}
_SHORT = 900                                 # characters of new text: notices are short


def _header(parsed: ParsedMessage, name: str) -> str:
    return parsed.headers.get(name, "").strip().lower()


def _auto_submitted(parsed: ParsedMessage) -> bool:
    value = _header(parsed, "auto-submitted")
    return bool(value) and not value.startswith("no")      # RFC 3834: "no" is a person's message


def _autoreply_header(parsed: ParsedMessage) -> bool:
    headers = parsed.headers
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-auto-reply", "x-autoreply-from",
                 "x-mail-autoreply", "x-vacation"):
        value = headers.get(name)
        if value is not None and value.strip().lower() not in ("no", "false", "0"):
            return True
    return _header(parsed, "x-autogenerated") == "reply" or "vacation" in _header(parsed, "x-mailer")


def _precedence_auto_reply(parsed: ParsedMessage) -> bool:
    return _header(parsed, "precedence") in ("auto_reply", "auto-reply")


def _strong_subject(parsed: ParsedMessage) -> bool:
    return bool(_STRONG_SUBJECT.search(parsed.subject))


def _weak_subject(parsed: ParsedMessage) -> bool:
    return bool(_WEAK_SUBJECT.search(parsed.subject))


def _signs(parsed: ParsedMessage) -> set[str]:
    text = parsed.new_text[:_SHORT * 2].lower()       # the patterns are lower-case: no re.I, 5x faster
    return {name for name, rx in _OOF_SIGNS.items() if rx.search(text)}


def _short(parsed: ParsedMessage) -> bool:
    return len(parsed.new_text) <= _SHORT


def _bulk_and_subject(parsed: ParsedMessage) -> bool:
    # Not "list": mailing lists mark every post so, including people's reports about their holidays.
    return _header(parsed, "precedence") in ("bulk", "junk") and _weak_subject(parsed) and _short(parsed)


def _exchange_oof(parsed: ParsedMessage) -> bool:
    """Exchange sets X-Auto-Response-Suppress on its OOF replies (and on some other machine mail)."""
    return "x-auto-response-suppress" in parsed.headers and (
        _weak_subject(parsed) or bool(_signs(parsed) & {"away", "your_message"}))


# Outlook's and webmails' French prefix before the subject they answer ("Absente : Bulletin n° 14").
_ABSENT_PREFIX = re.compile(r"^\s*(?:absente?s?|absent\(e\)|absence|cong[ée]s?|vacances)\s*:\s*\S", re.IGNORECASE)


def _absent_prefix_and_sign(parsed: ParsedMessage) -> bool:
    """The prefix, then a short text saying its writer is away and when they return (a person's
    "Absente : réunion de jeudi" about their own absence says neither so)."""
    return bool(_ABSENT_PREFIX.match(parsed.subject)) and _short(parsed) and \
        _signs(parsed) >= {"away", "return"}


def _declared_in_text(parsed: ParsedMessage) -> bool:
    return bool(_DECLARED.search(parsed.new_text[:400].lower()))


def _text_notice(parsed: ParsedMessage) -> bool:
    """A short text that says what becomes of our message, plus one more sign (absence, return, contact);
    or, under a short absence-like subject ("Absence", "Congés"), all three of absence, return date and
    limited access or another contact: a person's "Vacation plans and the stand" keeps its long subject."""
    if not _short(parsed):
        return False
    signs = _signs(parsed)
    if "your_message" in signs:
        return len(signs) >= 2 or _weak_subject(parsed)
    return signs >= {"away", "return", "elsewhere"} and _weak_subject(parsed) and len(parsed.subject.split()) <= 4


RULES: tuple[tuple[str, Callable[[ParsedMessage], bool]], ...] = (
    ("auto-submitted", _auto_submitted),
    ("x-autoreply", _autoreply_header),
    ("precedence-auto-reply", _precedence_auto_reply),
    ("subject", _strong_subject),
    ("precedence-bulk-subject", _bulk_and_subject),
    ("exchange-oof", _exchange_oof),
    ("subject-prefix-away", _absent_prefix_and_sign),
    ("text-declared", _declared_in_text),
    ("text-out-of-office", _text_notice),
)


def _unsubscribe_request(parsed: ParsedMessage) -> bool:  # checked before every rule
    """A mail client's one-click unsubscribe (RFC 2369 mailto:) is automatic, but it must be obeyed;
    so is a mail to the `+k-` address (keep all but the bulletin), even sent from an away phone."""
    to = " ".join(parsed.to)
    return ("x-apple-unsubscribe" in parsed.headers or "+u-" in to or "+k-" in to
            or bool(_UNSUBSCRIBE_SUBJECT.match(parsed.subject)))


_UNSUBSCRIBE_SUBJECT = re.compile(r"^\s*(?:unsubscribe|d[ée]sabonnement|d[ée]sinscription|stop)\b", re.IGNORECASE)


# A challenge-response filter (Mailinblack, SpamArrest...) holds our mail until a person proves they
# are one: automatic, but it asks something of us, so it is no auto-reply to ignore (triage).
_CHALLENGE = re.compile(r"(?:verify|confirm|prove) (?:that )?you are (?:a )?human|pas un robot|not a robot"
                        r"|en attente de (?:validation|v[ée]rification)|awaiting (?:your )?(?:verification|validation)"
                        r"|challenge[- ]response|captcha", re.IGNORECASE)


def _challenge(parsed: ParsedMessage) -> bool:
    return parsed.headers.get("x-mib-type", "").strip().lower() == "challenge" or bool(
        _CHALLENGE.search(parsed.subject) or _CHALLENGE.search(parsed.text[:3000]))


def detect_auto_reply(parsed: ParsedMessage) -> str | None:
    """The name of the rule that recognised an automatic reply, or None."""
    if _unsubscribe_request(parsed) or _challenge(parsed):
        return None
    for name, rule in RULES:
        if rule(parsed):
            return name
    return None
