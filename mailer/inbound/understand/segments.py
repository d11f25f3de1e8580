"""A message's text, once: own words and forwarded original, cut into segments.   [pure]

`Mail` prepares one parsed message for every French reader: `split_body` separates the writer's own
words from a forwarded original (parse.py finds most forwards; the markers here are a second net),
`segments` cuts the text into sentences and list items that carry their own dates, and
`signature_lines` finds the signature block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from .french import expand_shorthand, find_dates, fold, grave_a, join_thousands, to_digits
from ..mime.parse import ParsedMessage

if TYPE_CHECKING:
    from .lookup import DirectoryIndex


# How a member presents what they forward as their structure's report (a mayor's answer is no "compte rendu")
_CALLS_IT_A_REPORT = re.compile(r"\b(?:compte[- ]rendu|cr|bilan|recap\w*|retour de (?:notre|l'|la |leur|son))\b")
# ... or as the forwarded text calls itself: "alors pour le bilan de l'antenne : le 5/03 stand..."
_OUR_REPORT = re.compile(r"\b(?:compte[- ]rendu|bilan|recap\w*) (?:de |du |d')(?:l'|la |le |notre )?"
                         r"(?:antenne|groupe|cercle|equipe)\b")
_FORWARD = re.compile(r"^[ \t>]*-{2,}[ \t]*(?:message transf[ée]r[ée]|forwarded message|message r[ée]exp[ée]di[ée])"
                      r"[ \t]*-{2,}[ \t]*$|^[ \t]*d[ée]but du message r[ée]exp[ée]di[ée][ \t]*:?[ \t]*$", re.I | re.M)
_OUTLOOK_SPLIT = re.compile(r"^[ \t]*-{2,}[ \t]*(?:message d'origine|original message|message original)[ \t]*-{2,}"
                            r"[ \t]*$|^_{10,}[ \t]*$", re.I | re.M)
_REPLY_HEADER = re.compile(
    r"^[ \t]*(?:le|on)\b[^\n]{0,250}(?:\n[^\n]{0,250})?(?:a [ée]crit|wrote)[ \t]*:[ \t]*$"
    r"|^[ \t]*(?:de|from)[ \t]*:[^\n]*\n(?:[^\n]*\n){0,2}?[ \t]*(?:envoy[ée]|sent|date)[ \t]*:", re.I | re.M)
_FWD_HEADER = re.compile(r"^[ \t>]*(?:de|from|date|envoy[ée]|sent|[àa]|to|cc|objet|subject|sujet|pour|r[ée]pondre [àa]"
                         r"|reply-to)"
                         r"[ \t]*:", re.I)
_FWD_SUBJECT = re.compile(r"^\s*(?:(?:re|tr|fwd?|wg)\s*:\s*)*(?:tr|fwd?|wg)\s*:", re.I)
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def strip_reply(text: str) -> str:
    """The writer's own words: cut at the first reply header, drop '>' lines."""
    cut = [m.start() for m in (_REPLY_HEADER.search(text), _OUTLOOK_SPLIT.search(text)) if m]
    if cut:
        text = text[:min(cut)]
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))


# Human mail is short; past this, reading stops: a 60 KB spam took 150 ms here (issue 9: no message
# over ~100 ms). A reading of a cut text says so (`Mail.cut`, the "text_cut" check: triage).
MAX_CHARS = 8_000


@dataclass(frozen=True)
class Body:
    own: str                 # the sender's own words
    forwarded: str = ""      # a forwarded message's body, without its header block
    author: str = ""         # the forwarded message's From address, lower-cased

    @property
    def text(self) -> str:
        return f"{self.own}\n\n{self.forwarded}" if self.forwarded else self.own


def _own_before(new_text: str, forwarded_text: str) -> str:
    """The forwarder's own words: new_text up to the forwarded original and its header block."""
    at = new_text.find(forwarded_text[:200]) if forwarded_text.strip() else -1
    lines = (new_text[:at] if at > 0 else new_text).rstrip().splitlines()
    while lines and (not lines[-1].strip() or _FWD_HEADER.match(lines[-1]) or _FORWARD.match(lines[-1])
                     or _OUTLOOK_SPLIT.match(lines[-1])):
        lines.pop()
    return "\n".join(lines)


def _arrow_bullets(parsed: ParsedMessage, full: str) -> str | None:
    """'> 08/03 : stand place Pasteur' in a mail that answers nothing (no In-Reply-To, References, 'Re:'
    or 'X a écrit :'): arrows used as bullets, not quotes. The text with them as list items, or None."""
    headers = parsed.headers
    if headers.get("in-reply-to") or headers.get("references") or _REPLY_SUBJECT.match(parsed.subject or "") \
            or _REPLY_HEADER.search(full) or _OUTLOOK_SPLIT.search(full):
        return None
    lines = full.splitlines()
    if not any(line.lstrip().startswith(">") for line in lines):
        return None
    return "\n".join(re.sub(r"^(\s*)>+\s?", r"\1- ", line) for line in lines)


_REPLY_SUBJECT = re.compile(r"^\s*(?:re|aw|sv|ref|rép|rep)\s*:", re.I)


def split_body(parsed: ParsedMessage) -> Body:
    """Own words and forwarded original. parse.py finds forwards (inline or message/rfc822) and
    strips quotes; the markers here are a second net for what it leaves."""
    forwarded = getattr(parsed, "forwarded", None)
    if forwarded is not None and (forwarded.new_text or forwarded.text).strip():
        original = forwarded.new_text or forwarded.text
        own = parsed.new_text if forwarded.via == "attachment" else _own_before(parsed.new_text, original)
        return Body(strip_reply(own), strip_reply(original), (forwarded.sender or "").lower())
    full = parsed.text or ""
    marker = _FORWARD.search(full)
    if marker is None and _FWD_SUBJECT.match(parsed.subject or ""):
        marker = _OUTLOOK_SPLIT.search(full) or _REPLY_HEADER.search(full)
    if marker is None:
        arrows = _arrow_bullets(parsed, full)
        if arrows is not None:
            return Body(strip_reply(arrows))
        own = parsed.new_text if parsed.new_text and parsed.new_text.strip() else full
        return Body(strip_reply(own))
    lines = full[marker.end():].lstrip("\n").splitlines()
    if _REPLY_HEADER.match(full, marker.start()) and not _FORWARD.match(full, marker.start()):
        lines = full[marker.start():].splitlines()      # Outlook: the header block is the marker
    author, i = "", 0
    while i < len(lines) and (_FWD_HEADER.match(lines[i]) or (i and not lines[i].strip() and i + 1 < len(lines)
                                                                and _FWD_HEADER.match(lines[i + 1]))):
        if not author and re.match(r"^[ \t>]*(?:de|from)\s*:", lines[i], re.I):
            found = _EMAIL.search(lines[i])
            author = found.group(0).lower() if found else ""
        i += 1
    rest = lines[i:]
    quoted = [ln for ln in rest if ln.strip()]
    if quoted and sum(ln.lstrip().startswith(">") for ln in quoted) > len(quoted) / 2:
        rest = [re.sub(r"^\s*>\s?", "", ln) for ln in rest]       # a forward quoted as a whole
    return Body(strip_reply(full[:marker.start()]), strip_reply("\n".join(rest)), author)


# --------------------------------------------------------------------------------- segments
_LEADER = re.compile(r"(?<=\S)\s*(?:\.{4,}|…{2,}|_{4,}|\t+)\s*(?=\S)")
_PIPE_ROW = re.compile(r"[^|\s][^|]*\|[^|]+\|")
# a row of cells one of which is a date or a bare number, with a text cell
_TAB_ROW = re.compile(r"^[ ]*(?=[^\n]*\t[ ]*(?:\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d[\d ]*)[ ]*(?:\t|$)"
                      r"|[ ]*(?:\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d[\d ]*)[ ]*\t)(?=[^\n]*[^\W\d_]{3})[^\n]*\t")
_BULLET = re.compile(r"^\s*(?:[-*•–—·▪►✓→➢➤⇒]\s+|=>\s+|->\s+|\d{1,2}[.)]\s+|[a-h][.)]\s+|-(?=[^\W\d_]))")   # also "-stand ..." (no space)
_SENTENCE_END = re.compile(r"(?<!\bM\.)(?<!\bMM\.)(?<!\bMe\.)(?<!\bMme\.)(?<!\bMlle\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bPr\.)"
                           r"(?<=[.!?])\s+(?=[A-ZÀ-Ý«\"0-9])")
# a writer in lower case ends a sentence too: "on a fait 2 stands. le 3 mai on a ecrit au maire"
_LOWER_SENTENCE_END = re.compile(r"(?<!\benv\.)(?<!\betc\.)(?<!\bcf\.)(?<!\bex\.)(?<!\bp\.)(?<!\bm\.)(?<!\bnb\.)"
                                 r"(?<!\bav\.)(?<!\bbd\.)(?<!\bst\.)(?<!\bvs\.)(?<=[a-z0-9)][.!?])\s+(?=[a-z])")
_CLOSING = re.compile(r"^(?:bien |tres |très |bonne |belle )?(?:cordialement|amicalement|amitiés?|amities"
                      r"|bien [àa] (?:vous|toi)|[àa] bient[ôo]t|salutations|chaleureusement|bises|merci"
                      r"|bonne (?:journée|soirée|fin de semaine|semaine)|belle journée|respectueusement|sincèrement"
                      r"|avec (?:ma|mes|toute)"
                      r"|au plaisir|à très vite|best|regards|salutacions|saludos|un saludo|saluti|cordiali saluti"
                      r"|atentamente|abra[çc]os|groetjes|cheers|kind regards)", re.I)
_FOOTER = re.compile(r"^(?:envoyé (?:de|depuis)|sent from|--\s*$|tél|tel\b|\+?\d[\d .]{7,}$)", re.I)


@dataclass
class Segment:
    """A sentence or a list item: the unit that shares a date and a done/planned reading."""
    text: str                   # as written
    norm: str                   # folded, number words as digits
    para: int
    bullet: bool = False
    intro: str = ""             # folded text of the line that introduced this list ('' if none)
    dates: list[tuple[int, date]] = field(default_factory=list)
    grave_a: frozenset[int] = frozenset()   # positions of an 'a' that was 'à' (french.grave_a)


# "Pétition : 1.200 signatures.", "Le 25/04 : stand au marché": a short label, a spaced colon, a value
_LABEL_ROW = re.compile(r"^\s*(?:[A-ZÀ-Ý][^:\n]{0,58}?|[Ll]e \d{1,2}/\d{1,2}(?:/\d{2,4})?)\s:\s+\S")


def _pipe_row(line: str) -> str:
    """'Lettres à l'ambassade | 07/02 | 33' -> 'le 07/02, 33 Lettres à l'ambassade': the date first and
    a bare number before what it counts, as a sentence would have them (not the day for a count)."""
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    dates = [c for c in cells if re.fullmatch(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?", c)]
    numbers = [c for c in cells if re.fullmatch(r"\d[\d\s]*", c)]
    rest = [c for c in cells if c not in dates and c not in numbers and c not in ("-", "–", "")]
    return (f"le {dates[0]}, " if dates else "") + (f"{numbers[0]} " if numbers else "") + ", ".join(rest)


def _tab_row(line: str) -> str:
    """'05/03<TAB>Lettres au président<TAB>36' -> 'Lettres au président : 36 : 05/03': a label row, its
    value after it (the date cell last, so that a leading date is not read as the label)."""
    cells = [c.strip() for c in line.split("\t") if c.strip()]
    dates = [c for c in cells if re.fullmatch(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?", c)]
    return " : ".join([c for c in cells if c not in dates] + dates)


def _items(paragraph: str) -> list[tuple[str, bool, bool]]:
    """(text, is a list item, is a label row): two label rows or more in a paragraph make a list
    without bullets, one line per action."""
    lines = paragraph.splitlines()
    rows = sum(1 for line in lines if _LABEL_ROW.match(line)) >= 2
    items: list[tuple[str, bool, bool]] = []
    under_intro = False          # after "... le compte rendu des actions du groupe :", a line per action
    for line in lines:
        if not line.strip():
            continue
        starts_line = line.lstrip()[:1].isupper() or line.lstrip()[:1].isdigit()
        if _BULLET.match(line):
            items.append((_BULLET.sub("", line, count=1).strip(), True, False))
        elif _TAB_ROW.match(line):            # a table pasted with tabs, "05/03<TAB>Lettres au président<TAB>36"
            items.append((_tab_row(line), True, False))
        elif _LEADER.search(line):            # a table row, "Pétition ........ 1.200 signatures": an item
            items.append((_LEADER.sub(" : ", line).strip(), True, False))
        elif _PIPE_ROW.search(line):          # a table typed with pipes, "Lettres à l'ambassade | 07/02 | 33"
            items.append((_pipe_row(line), True, False))
        elif rows and (_LABEL_ROW.match(line) or (items and items[-1][2] and line.lstrip()[:1].isupper()
                                                   and not line.rstrip().endswith(":"))) \
                or (under_intro and starts_line and not line.rstrip().endswith(":")):
            items.append((line.strip(), True, True))   # a row, or a line among rows ("Rendez-vous avec le maire")
        elif items and not (items[-1][2] and line.lstrip()[:1].isupper()) and not items[-1][0].rstrip().endswith(":") \
                and not (items[-1][1] and line.rstrip().endswith(":")):
            # a wrapped line continues its item (a capital after a label row starts a sentence); a heading after a list
            # ('Actions prévues :') starts the next
            items[-1] = (items[-1][0] + " " + line.strip(), items[-1][1], items[-1][2])
        else:
            items.append((line.strip(), False, False))
        under_intro = under_intro or (not items[-1][1] and items[-1][0].rstrip().endswith(":"))
    return items


def segments(text: str, sent: datetime | None) -> list[Segment]:
    """Paragraphs -> list items (with the line that introduced them) and sentences."""
    out: list[Segment] = []
    intro = last = ""
    for p, paragraph in enumerate(re.split(r"\n\s*\n", text)):
        for item, is_bullet, is_row in _items(paragraph):
            if not is_bullet:
                intro = fold(item) if item.rstrip().endswith(":") else ""
                last = fold(item)
            pieces = [item] if is_bullet else _SENTENCE_END.split(item)
            if not is_bullet and item[:1].islower():
                pieces = [p for piece in pieces for p in _LOWER_SENTENCE_END.split(piece)]
            for piece in pieces:
                norm = join_thousands(to_digits(expand_shorthand(fold(piece))))
                # a label row's list is introduced by the sentence before it ("Le cercle s'est mobilisé :")
                lead = (intro or (last if is_row else "")) if is_bullet else ""
                out.append(Segment(piece, norm, p, is_bullet, lead, find_dates(norm, sent), grave_a(piece, norm)))
    return out


class Mail:
    """One message prepared once for every reader (each part computed on first use)."""

    def __init__(self, parsed: ParsedMessage) -> None:
        self.parsed = parsed

    @cached_property
    def body(self) -> Body:
        body = split_body(self.parsed)
        self.cut = len(body.own) > MAX_CHARS or len(body.forwarded) > MAX_CHARS
        return Body(body.own[:MAX_CHARS], body.forwarded[:MAX_CHARS], body.author)

    cut = False                          # whether `body` lost text past MAX_CHARS (set with it)

    @cached_property
    def segments(self) -> list[Segment]:
        return segments(self.body.text, self.parsed.date)

    def own_segments(self, index: DirectoryIndex) -> list[Segment]:
        """The segments whose actions are ours: a forwarded message counts when it comes from one of
        our members or groups, or names one of our groups; a mayor's or a family's answer does not."""
        body = self.body
        if not body.forwarded:
            return self.segments
        author = body.author
        if author and (author in index.group_by_email or author in index.member_group):
            return self.segments
        if index.group_mentions(to_digits(fold(body.forwarded))):
            return self.segments
        sender = self.parsed.sender.lower()
        if (sender in index.member_group or sender in index.group_by_email) \
                and index.group_mentions(to_digits(fold(body.own))):
            return self.segments        # a member's "je fais suivre le bilan de Denis pour le groupe de Clermont"
        if (sender in index.member_group or sender in index.group_by_email) and (
                _CALLS_IT_A_REPORT.search(fold(body.own)) or _OUR_REPORT.search(fold(body.forwarded))):
            return self.segments        # "je vous transfère le compte rendu de Sabine, du cercle": theirs
        return segments(body.own, self.parsed.date)

    @cached_property
    def own_folded(self) -> str:
        return expand_shorthand(fold(self.body.own))

    @cached_property
    def all_folded(self) -> str:
        return to_digits(fold(f"{self.parsed.subject}\n{self.body.text}"))

    @cached_property
    def signature(self) -> list[str]:
        own = self.body.own
        extra = getattr(self.parsed, "signature", "")     # what followed a "-- " line
        return signature_lines(f"{own}\n{extra}" if extra else own)


def signature_lines(own: str) -> list[str]:
    """The lines after the closing formula (or the last short block when there is none)."""
    lines = [ln.strip() for ln in own.strip().splitlines()]
    while lines and (not lines[-1] or _FOOTER.match(lines[-1])):
        lines.pop()
    for i in range(len(lines) - 1, max(-1, len(lines) - 8), -1):
        if _CLOSING.match(lines[i]) and len(lines[i]) < 40:
            return [ln for ln in lines[i + 1:] if ln and not _FOOTER.match(ln)]
    block: list[str] = []
    for line in reversed(lines):
        if not line:
            break
        block.insert(0, line)
    return block if len(block) <= 3 and all(len(ln) < 60 for ln in block) else []
