"""Quoted replies, signatures and forwards: what in a text is the writer's own.   [pure]

`strip_quotes` drops quoted replies (">" lines, "Le ... a écrit :", "On ... wrote:",
"-----Message d'origine-----", Outlook "De : / Envoyé :" blocks) and sets the "-- " signature
apart; `inline_forward` and `attached_forward` expose a forwarded original (a "Forwarded message"
block, or a message/rfc822 part) as `Forwarded`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .headers import decode_header_value, name_and_address, parse_date
from .parts import EMBEDDED_MESSAGES, Entity, body_text


@dataclass(frozen=True)
class Forwarded:
    """The original of a forwarded mail, so that a later step can read it."""

    via: str                             # "inline" (a "Forwarded message" block) | "attachment" (message/rfc822)
    sender: str                          # lower-cased address, "" when not found
    sender_name: str
    subject: str
    date: datetime | None                # None when absent or not RFC 5322 (e.g. "lun. 16 mars 2026 à 18:42")
    text: str
    new_text: str


_ATTRIBUTION = re.compile(
    r"^\s*(?:Le\s.{0,250}?a\s+[ée]crit|On\s.{0,250}?wrote|.{0,200}\bschrieb\s.{0,100}?|"
    r"El\s.{0,250}?escribi[óo])\s*:\s*$", re.IGNORECASE | re.DOTALL)
_ORIGINAL = re.compile(r"^[ \t]*-{2,}[ \t]*(?:original message|message d.origine|message original|"
                       r"ursprüngliche nachricht|mensaje original)[ \t-]*$", re.IGNORECASE)
_FORWARD = re.compile(r"^[ \t]*(?:-{2,}[ \t]*(?:forwarded message|message transf[ée]r[ée]|mail transf[ée]r[ée]|"
                      r"courriel transf[ée]r[ée])[ \t:-]*|begin forwarded message[ \t]*:[ \t]*|"
                      r"d[ée]but du message r[ée]exp[ée]di[ée][ \t]*:[ \t]*)$", re.IGNORECASE)
_FWD_SUBJECT = re.compile(r"^\s*(?:\[[^\]]*\]\s*)?(?:fwd?|tr|wg|enc|rv)\s*:", re.IGNORECASE)
_STARS = r"(?:\*+[ \t]*)?"              # Outlook's plain text writes "*De :* X" for bold
_QUOTE_FIELD = re.compile(rf"^[ \t]*{_STARS}(de|from|envoy[ée]|sent|date|[àa]|to|pour|cc|objet|subject|sujet|"
                          rf"copie[ \t]+[àa]|r[ée]pondre[ \t]+[àa]|reply-to)[ \t]*{_STARS}:[ \t]*{_STARS}(.*)$",
                          re.IGNORECASE)
_FROM_FIELDS = ("de", "from")


def _outlook_block(lines: list[str], i: int) -> bool:
    """"De : X / Envoyé : ... / À : ... / Objet : ..." (Outlook's reply header) starting at line i."""
    m = _QUOTE_FIELD.match(lines[i])
    if not m or m[1].lower() not in _FROM_FIELDS:
        return False
    names = {f[1].lower() for line in lines[i + 1:i + 7] if (f := _QUOTE_FIELD.match(line))}
    return bool(names & {"envoyé", "envoye", "sent", "date"}) and bool(
        names & {"objet", "subject", "sujet", "à", "a", "to", "pour"})


_TIME_OR_ADDRESS = re.compile(r"\d{1,2}\s*[:h.]\s*\d{2}|@")
_CANDIDATE_LINE = re.compile(rf"[ \t]*(?:>|--|__|{_STARS}(?:de|from|le|on|el|am)\b)", re.IGNORECASE)
_ATTRIBUTION_WORDS = ("crit", "wrote", "schrieb", "escribi")
# On lower-cased text (no re.I: several times faster on long bounce texts).
_QUOTE_HINT = re.compile(rf"^[ \t]*>|crit|wrote|schrieb|escribi|^[ \t]*[-_]{{2}}|"
                         rf"^[ \t]*{_STARS}(?:de|from)[ \t]*{_STARS}:", re.MULTILINE)


def _attribution_span(lines: list[str], i: int) -> int:
    """Number of lines (1 or 2) of a "Le ... à 10:00, X a écrit :" / "On ... wrote:" line at i, else 0.

    A time or an address must appear, so that "Le député a écrit :" in a report is not a quote."""
    line = lines[i]
    if len(line) > 300 or not line.strip():
        return 0
    if _ATTRIBUTION.match(line):
        return 1 if _TIME_OR_ADDRESS.search(line) else 0
    if i + 1 < len(lines) and len(lines[i + 1]) <= 300 and re.match(r"[ \t]*(?:Le|On|El|Am)\s", line):
        joined = line + " " + lines[i + 1]
        if _ATTRIBUTION.match(joined) and _TIME_OR_ADDRESS.search(joined):
            return 2
    return 0


# The legal notice a company's mail server appends ("Ce message et ses pièces jointes sont
# confidentiels... merci de le supprimer"): nobody's words, though it reads as a request to delete.
_DISCLAIMER = re.compile(
    r"\W*(?:avertissement|disclaimer|confidentiality notice|confidentialit[ée]\b|ce (?:message|courriel|mail|e-mail)"
    r"(?: [ée]lectronique)?(?: et| ainsi que)? (?:ses|toutes les|les|tous les|tout) (?:pi[èe]ces? jointes?|fichiers)"
    r"|this (?:e-?mail|message)(?: and any (?:attachments?|files))?|le pr[ée]sent (?:message|courriel)"
    r"|pensez [àa] l.environnement)[^\n]{0,400}?(?:confidenti|destinataire|intended|imprimer|print)",
    re.IGNORECASE)


def drop_disclaimer(text: str) -> str:
    """The text without a trailing legal notice (from the line it starts, to the end)."""
    at = next((m.start() for m in re.finditer(r"\n", text) if _DISCLAIMER.match(text, m.end())), -1)
    return text[:at].rstrip() if at > 0 else text


def strip_quotes(text: str) -> tuple[str, str]:
    """(new text, signature): quoted replies dropped, the "-- " signature set apart, a trailing legal
    notice dropped."""
    text = drop_disclaimer(text)
    if not _QUOTE_HINT.search(text.lower()):
        return text.strip(), ""
    lines = text.split("\n")
    out: list[str] = []
    signature: list[str] | None = None
    i, n = 0, len(lines)
    candidate = _CANDIDATE_LINE.match
    while i < n:
        line = lines[i]
        if not candidate(line) and not any(w in line for w in _ATTRIBUTION_WORDS):   # most lines stop here
            if signature is None:
                out.append(line)
            else:
                signature.append(line)
            i += 1
            continue
        if line.lstrip().startswith(">"):
            i += 1
            continue
        span = _attribution_span(lines, i)
        if span:
            j = i + span
            while j < n and not lines[j].strip():
                j += 1
            if j < n and lines[j].lstrip().startswith(">"):
                i = j                    # "wrote:" then "> ..." lines: drop both, keep any answer after
                continue
            break                        # unquoted history follows (Apple Mail, Outlook): cut here
        if _ORIGINAL.match(line) or _outlook_block(lines, i):
            while out and set(out[-1].strip()) <= {"_", "-", "*"}:   # the rule Outlook draws above
                out.pop()
            break
        if signature is None and line in ("-- ", "--"):
            signature = []
        elif signature is not None:
            signature.append(line)
        else:
            out.append(line)
        i += 1
    new = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
    return new, "\n".join(signature or []).strip()


def _forward_fields(lines: list[str]) -> tuple[dict[str, str], int]:
    """The "De : / Date : / Objet :" block at the top of `lines`: (fields, index of the first body line)."""
    fields: dict[str, str] = {}
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    last = ""
    while i < len(lines) and lines[i].strip():
        m = _QUOTE_FIELD.match(lines[i])
        if m:
            last = m[1].lower()
            fields.setdefault(last, m[2].strip())
        elif last and len(fields) < 8:
            fields[last] = (fields[last] + " " + lines[i].strip()).strip()
        else:
            break
        i += 1
    return fields, i


# `^[ \t]*`, never `^\s*`, under MULTILINE: `\s*` would rescan every blank line that follows (quadratic).
_FORWARD_LINE = re.compile(_FORWARD.pattern, re.IGNORECASE | re.MULTILINE)


def inline_forward(text: str, subject: str) -> tuple[str, Forwarded] | None:
    """Split "own words / forwarded message" at a forward marker (or an Outlook block under Fwd:/TR:)."""
    m = _FORWARD_LINE.search(text)
    lines = text.split("\n") if m or _FWD_SUBJECT.match(subject) else []
    if m:
        i = text.count("\n", 0, m.start() + len(m[0]) - len(m[0].lstrip()))   # `^\s*` may eat blank lines
        return _forward_at(lines, i, i + 1)
    for i, line in enumerate(lines):          # Fwd:/TR: without a marker: Outlook's header block
        if _ORIGINAL.match(line):
            return _forward_at(lines, i, i + 1)
        if _outlook_block(lines, i):
            start = i
            while start and lines[start - 1].strip() and set(lines[start - 1].strip()) <= {"_", "-"}:
                start -= 1
            return _forward_at(lines, start, i)
    return None


def _unquoted(lines: list[str]) -> list[str]:
    """Apple Mail's "Début du message réexpédié :" quotes the whole message, header block included:
    one level of "> " off, when every line of it carries one."""
    filled = [line for line in lines if line.strip()]
    if not filled or not all(line.lstrip().startswith(">") for line in filled):
        return lines
    return [re.sub(r"^[ \t]*> ?", "", line, count=1) for line in lines]


def _forward_at(lines: list[str], marker: int, fields_at: int) -> tuple[str, Forwarded]:
    lines = [*lines[:fields_at], *_unquoted(lines[fields_at:])]
    fields, body_at = _forward_fields(lines[fields_at:])
    body = "\n".join(lines[fields_at + body_at:]).strip()
    name, address = name_and_address(fields.get("de") or fields.get("from") or "")
    fwd_new, _ = strip_quotes(body)
    own_new, _ = strip_quotes("\n".join(lines[:marker]))
    header = "\n".join(lines[marker:fields_at + body_at]).strip()
    new_text = "\n\n".join(p for p in (own_new, header, fwd_new) if p)
    date = fields.get("date") or fields.get("envoyé") or fields.get("envoye") or fields.get("sent") or ""
    subject = fields.get("objet") or fields.get("subject") or fields.get("sujet") or ""
    return new_text, Forwarded("inline", address, name, subject, parse_date(date), body, fwd_new)


def attached_forward(node: Entity) -> Forwarded | None:
    """The first message/rfc822 part of the mail's own parts, read as a forwarded original."""
    stack = [node]
    while stack:
        cur = stack.pop(0)
        if cur.ctype in EMBEDDED_MESSAGES and cur.children:
            inner = cur.children[0]
            heads = inner.headers
            name, address = name_and_address(heads.get("from", ""))
            text, _ = body_text(inner)
            new, _ = strip_quotes(text)
            return Forwarded("attachment", address, name, decode_header_value(heads.get("subject", "")),
                             parse_date(heads.get("date", "")), text, new)
        stack.extend(cur.children)
    return None
