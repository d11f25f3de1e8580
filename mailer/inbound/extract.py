"""French sign-ups, action reports, unsubscribes and confirmations -> facts.   [pure]

Nothing here knows a group, a dossier or a person by name: every name, city, number and country
comes from the `Directory` passed in, so the same rules read mail about structures and people they
have never seen. The pieces, in the order a message meets them:

- `Mail`: the text once (own words without quoted replies, plus a forwarded message's body),
  cut into segments (sentences and list items) that carry their own dates and done-ness.
- `find_actions`: typed actions with count, amount and date; planned or hypothetical ones are left out.
- `DirectoryIndex`: groups by number / city / name, dossiers by ref / person (fuzzy) / country.
- `read_unsubscribe`, `read_confirm`, `read_signup`, `read_report`: one reader per kind.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property

from ..models import Directory, DossierStatus
from .french import (MONTHS, TITLES, country_key, country_keys, find_countries, find_dates, fold, looks_like_name,
                     parse_amounts, small_number, to_digits)
from .parse import ParsedMessage


class ActionType(StrEnum):
    PETITION = "petition"
    LETTER_AUTHORITIES = "letter_authorities"
    LETTER_SUPPORT = "letter_support"
    ADVOCACY = "advocacy"
    AWARENESS = "awareness"
    COLLABORATION = "collaboration"
    FUND = "fund"


@dataclass(frozen=True)
class Action:
    type: ActionType
    count: int | None = None
    amount_eur: float | None = None
    date: date | None = None

    def to_json(self) -> dict[str, object]:
        amount = self.amount_eur
        if amount is not None and amount == int(amount):
            amount = int(amount)
        return {"type": self.type.value, "count": self.count, "amount_eur": amount,
                "date": self.date.isoformat() if self.date else None}


# =========================================================================== the text, once
_FORWARD = re.compile(r"^[ \t>]*-{2,}[ \t]*(?:message transf[ée]r[ée]|forwarded message|message r[ée]exp[ée]di[ée])"
                      r"[ \t]*-{2,}[ \t]*$|^[ \t]*d[ée]but du message r[ée]exp[ée]di[ée][ \t]*:?[ \t]*$", re.I | re.M)
_OUTLOOK_SPLIT = re.compile(r"^[ \t]*-{2,}[ \t]*(?:message d'origine|original message|message original)[ \t]*-{2,}"
                            r"[ \t]*$|^_{10,}[ \t]*$", re.I | re.M)
_REPLY_HEADER = re.compile(
    r"^[ \t]*(?:le|on)\b[^\n]{0,250}(?:\n[^\n]{0,250})?(?:a [ée]crit|wrote)[ \t]*:[ \t]*$"
    r"|^[ \t]*(?:de|from)[ \t]*:[^\n]*\n(?:[^\n]*\n){0,2}?[ \t]*(?:envoy[ée]|sent|date)[ \t]*:", re.I | re.M)
_FWD_HEADER = re.compile(r"^[ \t>]*(?:de|from|date|envoy[ée]|sent|[àa]|to|cc|objet|subject|r[ée]pondre [àa]|reply-to)"
                         r"[ \t]*:", re.I)
_FWD_SUBJECT = re.compile(r"^\s*(?:(?:re|tr|fwd?|wg)\s*:\s*)*(?:tr|fwd?|wg)\s*:", re.I)
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def strip_reply(text: str) -> str:
    """The writer's own words: cut at the first reply header, drop '>' lines."""
    cut = [m.start() for m in (_REPLY_HEADER.search(text), _OUTLOOK_SPLIT.search(text)) if m]
    if cut:
        text = text[:min(cut)]
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))


MAX_CHARS = 50_000     # human mail is short; past this, reading stops (bounded time on pathological mail)


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
_BULLET = re.compile(r"^\s*(?:[-*•–—·▪►✓]|\d{1,2}[.)])\s+")
_SENTENCE_END = re.compile(r"(?<!\bM\.)(?<!\bMM\.)(?<!\bMe\.)(?<!\bMme\.)(?<!\bMlle\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bPr\.)"
                           r"(?<=[.!?])\s+(?=[A-ZÀ-Ý«\"0-9])")
_CLOSING = re.compile(r"^(?:bien |tres |très |bonne |belle )?(?:cordialement|amicalement|amitiés?|amities"
                      r"|bien [àa] (?:vous|toi)|[àa] bient[ôo]t|salutations|chaleureusement|bises|merci"
                      r"|bonne (?:journée|soirée|fin de semaine|semaine)|belle journée|respectueusement|sincèrement"
                      r"|avec (?:ma|mes|toute)"
                      r"|au plaisir|à très vite|best|regards)", re.I)
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


def _items(paragraph: str) -> list[tuple[str, bool]]:
    items: list[tuple[str, bool]] = []
    for line in paragraph.splitlines():
        if not line.strip():
            continue
        if _BULLET.match(line):
            items.append((_BULLET.sub("", line, count=1).strip(), True))
        elif items and not items[-1][0].rstrip().endswith(":"):
            items[-1] = (items[-1][0] + " " + line.strip(), items[-1][1])
        else:
            items.append((line.strip(), False))
    return items


def segments(text: str, sent: datetime | None) -> list[Segment]:
    """Paragraphs -> list items (with the line that introduced them) and sentences."""
    out: list[Segment] = []
    intro = ""
    for p, paragraph in enumerate(re.split(r"\n\s*\n", text)):
        for item, is_bullet in _items(paragraph):
            if not is_bullet:
                intro = fold(item) if item.rstrip().endswith(":") else ""
            pieces = [item] if is_bullet else _SENTENCE_END.split(item)
            for piece in pieces:
                norm = to_digits(fold(piece))
                out.append(Segment(piece, norm, p, is_bullet, intro if is_bullet else "", find_dates(norm, sent)))
    return out


class Mail:
    """One message prepared once for every reader (each part computed on first use)."""

    def __init__(self, parsed: ParsedMessage) -> None:
        self.parsed = parsed

    @cached_property
    def body(self) -> Body:
        body = split_body(self.parsed)
        return Body(body.own[:MAX_CHARS], body.forwarded[:MAX_CHARS], body.author)

    @cached_property
    def segments(self) -> list[Segment]:
        return segments(self.body.text, self.parsed.date)

    def own_segments(self, index: "DirectoryIndex") -> list[Segment]:
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
        return segments(body.own, self.parsed.date)

    @cached_property
    def own_folded(self) -> str:
        return fold(self.body.own)

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


# =========================================================================== actions
_W = r"[a-z'-]+"
_OFFICIAL = (r"(?:euro)?deputee?s?|senat(?:eur|rice)s?|maires?|elue?s?|parlementaires?|conseill(?:er|ere)s? "
             r"(?:municip|region|departement|metropol|general|communaut)\w*|adjointe?s? (?:au|a la) maire|prefete?s?"
             r"|president(?:e)? (?:du conseil|de (?:la )?region|du departement)")
_AUTHORITY = (r"ambassades?|ambassadeur|ambassadrice|consulats?|consule?s?|autorites|ministres?|ministeres?"
              r"|president(?:e)?|presidence|gouvernement|premier ministre|procureure?s?|juges?|tribunal|tribunaux"
              r"|roi|reine|gouverneur|directeur de (?:la )?prison|chef de l'etat|cour supreme")
_SUPPORT = (r"soutien|solidarite|amitie|famille|epoux|epouse|mari|femme|mere|pere|fils|fille|enfants?|proches|soeur"
            r"|frere|voeux|detenue?s?|prisonniere?s?")
OFFICIAL = re.compile(r"\b(?:" + _OFFICIAL + r")\b")
OFFICIALS_END = re.compile(r",\s*(?:qui|que|dont|lequel|laquelle|lesquels|lesquelles)\b|\squi\s|[:;]|\.\s")
RECIPIENT = re.compile(r"\b(?:(?P<off>" + _OFFICIAL + r")|(?P<aut>" + _AUTHORITY + r")|(?P<sup>" + _SUPPORT + r"))\b")
LETTER = re.compile(r"\b(?:lettres?|courriers?|cartes?(?: postales?)?|courriels?|e-?mails?|telegrammes?|fax"
                    r"|appels? urgents?|messages? de (?:soutien|solidarite))\b(?! d'information)")
LETTER_NOT = re.compile(r"(?:boite aux|modeles? de|recu\w* (?:\w+ )?|lettre d'information)$")
WROTE_TO = re.compile(r"\b(?:ecrit|adresse|envoye) (?:a|au|aux)\b")
MEET_TARGET = re.compile(r"\b(?:" + _OFFICIAL + r"|ambassadeur|ambassadrice|ministres?|consule?s?"
                         r"|conseillere? diplomatique|cabinet d[ue] )\b")
MEETING = re.compile(r"\b(?:rencontre\w*|rendez-vous|rdv|entretiens?|audiences?|recue?s? (?:par|en|a|au)"
                     r"|reunion avec|interpelle\w*|plaidoyer|echange\w* avec)\b")
EVENT = re.compile(r"\b(?:stands?|conferences?(?:-debats?)?|projections?(?:-debats?)?|cine-debats?|debats?|concerts?"
                   r"|lectures? publiques?|expositions?|rassemblements?|manifestations?|veillees?|vigiles?"
                   r"|marches? (?:silencieuse|solidaire|blanche)s?|interviews?|emissions?|radio|reportages?"
                   r"|articles?(?! \d)|tables? rondes?|tractages?|distributions? de tracts|spectacles?|flash-?mobs?"
                   r"|soirees?(?:-debat| debat| de soutien| publique)|ateliers? publics?|communiques? de presse"
                   r"|actions? de sensibilisation|distribu\w* (?:[a-z'-]+ ){0,3}?(?:tracts?|flyers?)"
                   r"|projete (?:un|le|notre|des|leur) (?:film|documentaire)s?)\b")
PETITION = re.compile(r"\b(?:petitions?|signatures?|fait signer|signe(?:e|s|es)? (?:la|notre|une|cette) petition)\b")
COLLAB = re.compile(r"\b(?:en partenariat|partenariat avec|en collaboration|co-?organis\w*|conjointement|"
                    r"avec la participation d|coordonne\w* avec|en lien avec|avec (?:l'|la |le |les |des |nos |notre )"
                    r"(?:association|collectif|section|ong\b|federation|ligue|syndicat|comite|coordination|amis"
                    r"|club|paroisse|mjc|maison des|centre social|groupes?\b|cercles?\b|antennes?\b))\w*")
FUND = re.compile(r"\b(?:versee?s?|versons|versement|verser|reverse\w*|dons? de|fait un don|virement|cheque|"
                  r"collecte de fonds)\b")
AMOUNT_ANAPHORA = re.compile(r"\b(?:cette somme|ce montant|l'integralite|la recette|le produit|le benefice"
                             r"|ces fonds)\b")
_PLANNED = (r"allons|allez|vais|vont|prevoy\w*|prevoit|prevu(?:e|s|es)? (?:de|pour)|(?:est|sont) prevue?s?|envisag\w*"
            r"|compt(?:ons|e|ent) (?!rendu)\w+er\b|projets?|projet(?:ons|te|tent|ez)|prochaine?s?|prochainement"
            r"|a venir"
            r"|devons|devrons|doivent|devrait|devraient|devrions|doit|souhait\w*|aimeri\w*|aimerai\w*|voudri\w*"
            r"|voudrai\w*|pourr\w*|peux|pouvons|peut|pouvez|nous (?:\w+ )?\w+rons|on \w+ra|j'\w+rai|je \w+rai"
            r"|d'ici|bientot|essayer|tenter")
_PAST = (r"(?:avons|avez|ai|as|a|ont|avions|aviez|avait|avaient)\s+(?:(?:aussi|egalement|deja|enfin|bien|tous|toutes"
         r"|ensemble|notamment|encore|donc|ainsi|alors|finalement|meme|pu|su|du|ete)\s+)*(?!une\b|cette\b|notre\b|votre"
         r"\b|leur\b|toute\b|quelque|plusieurs\b|besoin\b|lieu\b|envie\b|une?\b|\d|plus\b|pas\b|jamais\b|rien\b"
         r"|toujours\b|souvent\b|beaucoup\b|peu\b|tres\b|trop\b|tous\b)[a-z-]+(?:e|es|ee|ees|i|is|ie|ies"
         r"|u|us|ue|ues|t|ts|te|tes)\b"
         r"|(?:ete|sommes|suis|est|sont|etions|etait|etaient)\s+(?:\w+\s+)?(?:recu|alle|venu|parti|passe|intervenu"
         r"|reste|rendu|mobilise|envoye|organise|adresse|publie|paru|diffuse|remis|signe|ecrit|recueilli|collecte"
         r"|verse|tenu|realise)\w*"
         r"|collectee?s?|recueillie?s?|envoyee?s?|adressees?|co-?organise\w*|tenue?s?|versee?s?|signees?|ecrites?"
         r"|redigee?s?|remise?s?|publiee?s?|parue?s?|diffusee?s?|recoltee?s?|realisee?s?|effectuee?s?|expediee?s?"
         r"|obtenue?s?|recue?s?")
MARKER = re.compile(r"\b(?:(?P<planned>" + _PLANNED + r")|(?P<past>" + _PAST + r"))\b")
NEGATED = re.compile(r"\b(?:n'(?:avons|ai|a|ont) pas|n'(?:avons|ai|a|ont) (?:encore )?(?:rien|jamais)|pas encore"
                     r"|sans (?:pouvoir|avoir)|faute de|annulee?s?|reportee?s?)\b")
ANAPHORA = re.compile(r"^(?:pendant (?:l'|la |le |les |cette |ce |cet )|a l'issue (?:de la |du |de l'|des )"
                      r"|au cours de (?:cette |ce |cet |la |l')|lors de (?:cette |ce |cet )|a cette occasion|sur place"
                      r"|ce jour-la|le meme jour|a la fin (?:de la |du |de l')|apres (?:la |le |l')(?:lecture|concert"
                      r"|conference|debat|projection|stand))")
CLAUSE_BREAK = re.compile(r",\s*(?:et|puis|mais)\s|;\s|\s(?:et|puis|mais)\s+(?:j'|je\s|nous\s|on\s|il\s|elle\s|ils\s"
                          r"|elles\s)")
SAME_DAY = re.compile(r"\b(?:le meme (?:jour|soir|matin|apres-midi)|ce (?:jour|soir)-la|a cette occasion)\b")
_NOT_COUNT_WORD = r"(?!de\b|d'|" + "|".join(MONTHS) + r"\b|h\b|min\b|ans?\b|jours?\b|heures?\b)"
PETITION_COUNT = re.compile(r"(\d+)\s+(?:" + _NOT_COUNT_WORD + _W + r"\s+)?signatures\b"
                            r"|(\d+)\s+(?:" + _W + r"\s+)?(?:ont|avaient) signe"
                            r"|signatures\b[^.;:\d]{0,40}:\s*(\d+)\b")
NUMBER_BEFORE = re.compile(r"(?:^|[\s(,:;])(\d+|une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|seule?)\s+"
                           r"(?:" + _NOT_COUNT_WORD + _W + r"\s+)?$")


@dataclass
class _Found:
    type: ActionType
    pos: int
    count: int | None = None
    amount: float | None = None


EACH = re.compile(r"\b(\d+)\s+(?:" + _NOT_COUNT_WORD + _W + r")\b")


def _count_before(norm: str, pos: int, noun: str) -> int | None:
    """'40 lettres' -> 40, 'une lettre' -> 1, 'une vingtaine de cartes' -> None, 'lettre' -> 1."""
    m = NUMBER_BEFORE.search(norm[max(0, pos - 40):pos])
    if m and m.group(1) in ("un", "une") and re.search(r"\bchacune?\s+une?\s+$", norm[:pos]):
        each = EACH.findall(norm[:pos])       # "22 membres ont ecrit chacun une lettre" -> 22
        if each:
            return int(each[-1])
    if m:
        return small_number(m.group(1))
    return None if noun.endswith(("s", "x")) else 1


def _advocacy_count(norm: str, pattern: re.Pattern[str] | None = None) -> int | None:
    """How many officials: '4 deputes' -> 4; 'la senatrice ... et un depute' -> 2; 'les elus' -> None."""
    singles = 0
    stop = OFFICIALS_END.search(norm)
    norm = norm[:stop.start()] if stop else norm
    for m in (pattern or OFFICIAL).finditer(norm):
        n = NUMBER_BEFORE.search(norm[max(0, m.start() - 40):m.start()])
        if m.group(0).split()[0].endswith("s"):
            return small_number(n.group(1)) if n else None
        singles += 1
    return singles or None


def _recipient(norm: str, start: int, stop: int, person_tokens: Iterable[str]) -> str | None:
    window = norm[start:stop]
    m = RECIPIENT.search(window)
    names = [window.find(t) for t in person_tokens if t in window]
    first_name = min((n for n in names if n >= 0), default=None)
    if m and (first_name is None or m.start() < first_name):
        return "off" if m.group("off") else "aut" if m.group("aut") else "sup"
    return "sup" if first_name is not None else None


def _letters(seg: Segment, person_tokens: Iterable[str]) -> list[_Found]:
    norm, found = seg.norm, []
    nouns = [m for m in LETTER.finditer(norm) if not LETTER_NOT.search(norm[max(0, m.start() - 30):m.start()])]
    for i, m in enumerate(nouns):
        stop = nouns[i + 1].start() if i + 1 < len(nouns) else len(norm)
        who = _recipient(norm, m.end(), min(stop, m.end() + 120), person_tokens)
        if who is None:
            who = "sup" if m.group(0).startswith(("carte", "message", "voeux")) else "aut"
        if who == "off":
            found.append(_Found(ActionType.ADVOCACY, m.start(), _advocacy_count(norm[m.start():])))
        else:
            kind = ActionType.LETTER_SUPPORT if who == "sup" else ActionType.LETTER_AUTHORITIES
            found.append(_Found(kind, m.start(), _count_before(norm, m.start(), m.group(0).split()[0])))
    if not nouns:
        for m in WROTE_TO.finditer(norm):
            who = _recipient(norm, m.end(), m.end() + 80, person_tokens)
            if who == "off":
                found.append(_Found(ActionType.ADVOCACY, m.start(), _advocacy_count(norm[m.end():])))
            elif who is not None:
                kind = ActionType.LETTER_SUPPORT if who == "sup" else ActionType.LETTER_AUTHORITIES
                found.append(_Found(kind, m.start(), None))
    return found


def _candidates(seg: Segment, person_tokens: Iterable[str], last_amount: float | None) -> list[_Found]:
    norm = seg.norm
    found = _letters(seg, person_tokens)
    if not any(f.type is ActionType.ADVOCACY for f in found):
        meeting = MEETING.search(norm)
        if meeting and MEET_TARGET.search(norm, max(0, meeting.start() - 60)):
            found.append(_Found(ActionType.ADVOCACY, meeting.start(),
                                _advocacy_count(norm[meeting.start():], MEET_TARGET)))
    for m in EVENT.finditer(norm):
        noun = m.group(0).split()[0].split("-")[0]
        found.append(_Found(ActionType.AWARENESS, m.start(), _count_before(norm, m.start(), noun)))
    petition = PETITION.search(norm)
    if petition:
        counted = PETITION_COUNT.search(norm)
        count = int(next(g for g in counted.groups() if g)) if counted else None
        found.append(_Found(ActionType.PETITION, petition.start(), count))
    collab = COLLAB.search(norm)
    if collab:
        found.append(_Found(ActionType.COLLABORATION, collab.start()))
    fund = FUND.search(norm)
    if fund:
        amounts = parse_amounts(norm)
        after = [a for p, a in amounts if p >= fund.start()]
        amount = after[0] if after else amounts[-1][1] if amounts else None
        if amount is None and AMOUNT_ANAPHORA.search(norm):
            amount = last_amount       # "la recette de 520 EUR ... a verse l'integralite de cette somme"
        found.append(_Found(ActionType.FUND, fund.start(), None, amount))
    return found


def _clause(seg: Segment, pos: int) -> tuple[int, int]:
    """The clause of the segment around `pos` (cut at ', et', ', mais', ';', 'et nous'...)."""
    cuts = [0, *(m.start() for m in CLAUSE_BREAK.finditer(seg.norm)), len(seg.norm) + 1]
    return next(((a, b) for a, b in zip(cuts, cuts[1:], strict=False) if a <= pos < b), (0, len(seg.norm)))


def _done(seg: Segment, pos: int) -> bool:
    """Was the action at `pos` done? The nearest tense marker before it decides, else the first one
    after it, else the list it belongs to ('Voici nos actions :' yes, 'Nos projets :' no)."""
    start, end = _clause(seg, pos)
    if seg.text.rstrip().endswith("?") or NEGATED.search(seg.norm, start, end):
        return False
    before = after = None
    for m in MARKER.finditer(seg.norm):
        if m.start() < pos:
            before = m
        elif after is None:
            after = m
    decisive = before or after
    if decisive is not None:
        return decisive.group("past") is not None
    if not seg.bullet:
        return False
    intro = list(MARKER.finditer(seg.intro))
    if intro:
        return intro[-1].group("past") is not None
    return bool(seg.intro) or bool(seg.dates)


_LETTERS = (ActionType.LETTER_AUTHORITIES, ActionType.LETTER_SUPPORT)


def _anaphora_end(seg: Segment) -> int:
    """End of an opening 'Pendant l'entracte,' / 'A l'issue de la lecture,' (0 when none)."""
    norm = seg.norm.lstrip()
    if not ANAPHORA.match(norm):
        return 0
    comma = norm.find(",")
    return (len(seg.norm) - len(norm)) + (comma if 0 < comma < 60 else 0)


_LEADING = re.compile(r"(?:^|[,;:\n-]\s*)(?:le\s+|du\s+|depuis le\s+)?$")


def _when(seg: Segment, pos: int, next_pos: int, last_event: date | None) -> date | None:
    """The date of the action at `pos`: one written in its clause (a date after the action and
    before the next one belongs to it: 'X le 14 avril et Y le 17 avril'); else one opening the
    sentence ('Le 5 fevrier, nous avons...'); else the event it refers back to ('le meme soir')."""
    start, end = _clause(seg, pos)
    inside = [d for d in seg.dates if start <= d[0] < end]
    if inside:
        trailing = [d for d in inside if pos < d[0] < next_pos and not _LEADING.search(seg.norm, 0, d[0])]
        return trailing[0][1] if trailing else min(inside, key=lambda d: abs(d[0] - pos))[1]
    if SAME_DAY.search(seg.norm, start, end):
        return last_event
    first_cut = CLAUSE_BREAK.search(seg.norm)
    verb = next((m.start() for m in MARKER.finditer(seg.norm) if m.group("past")), len(seg.norm))
    lead = [d for d in seg.dates if d[0] < min(verb, first_cut.start() if first_cut else len(seg.norm))]
    if lead:
        return lead[0][1]
    return last_event if _anaphora_end(seg) else None


def find_actions(segs: list[Segment], person_tokens: Iterable[str] = ()) -> tuple[list[Action], bool]:
    """The actions done, and whether action wording was seen only as planned or hypothetical."""
    actions: list[Action] = []
    planned = False
    last_amount: float | None = None
    last_event: date | None = None     # what "pendant l'entracte", "a l'issue de la lecture" refer to
    person_tokens = tuple(person_tokens)
    for seg in segs:
        merged: dict[tuple[ActionType, date | None], _Found] = {}
        skip_before = _anaphora_end(seg)
        found = sorted(_candidates(seg, person_tokens, last_amount), key=lambda f: f.pos)
        for i, f in enumerate(found):
            if f.type is ActionType.AWARENESS and f.pos < skip_before:
                continue               # "a l'issue du concert": the concert already reported
            if not _done(seg, f.pos):
                planned = True
                continue
            later = [g.pos for g in found[i + 1:] if g.pos > f.pos]
            when = _when(seg, f.pos, later[0] if later else len(seg.norm), last_event)
            if when is not None:
                last_event = when
            prev = merged.setdefault((f.type, when), f)
            if prev is not f:          # one segment, one action per type and date
                if prev.count is None:
                    prev.count = f.count
                elif f.count is not None and f.type in _LETTERS:
                    prev.count += f.count
        for (kind, when), f in merged.items():
            count = None if kind in (ActionType.COLLABORATION, ActionType.FUND) else f.count
            actions.append(Action(kind, count, f.amount if kind is ActionType.FUND else None, when))
        amounts = parse_amounts(seg.norm)
        if amounts:
            last_amount = amounts[-1][1]
    return actions, planned and not actions


# =========================================================================== the directory
_GROUP_NOUNS = {"groupe": "groupe_local", "gl": "groupe_local", "cercle": "cercle_action",
                "antenne": "antenne_jeunes"}
_GREETING = re.compile(r"^\s*(?:bonjour|bonsoir|salut|hello|coucou|chers?|cheres?|madame|monsieur|hi)\b[^\n]{0,60}$",
                       re.I | re.M)
_WORD = re.compile(r"[^\W\d_]+")
REF = re.compile(r"\b([a-z]{1,5})[- ]?(\d{4})[- ]?(\d{1,4})\b")
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "du", "le", "la", "les",
              "el", "al", "ben", "bin", "ibn", "abu", "mme", "mlle"}


def _ref_key(text: str) -> str:
    m = REF.fullmatch(fold(text).strip())
    return f"{m.group(1)}{m.group(2)}-{int(m.group(3))}" if m else re.sub(r"[^a-z0-9]", "", fold(text))


def _sound(token: str) -> str:
    """A transliteration-tolerant key: 'Kouznetsova'/'Kuznetsova', 'Nadejda'/'Nadezhda' agree."""
    token = re.sub(r"(.)\1+", r"\1", token)
    for a, b in (("tch", "ch"), ("sch", "ch"), ("sh", "ch"), ("dzh", "j"), ("zh", "j"), ("dj", "j"), ("kh", "h"),
                 ("ou", "u"), ("ph", "f"), ("th", "t"), ("w", "v"), ("y", "i"), ("ck", "k"), ("q", "k"),
                 ("gu(?=[ei])", "g"), ("c(?=[aou])", "k"), ("ee", "i")):
        token = re.sub(a, b, token)
    return token


def _name_tokens(name: str, capitalised_only: bool = True) -> list[str]:
    words = [w for w in _WORD.findall(name) if not capitalised_only or w[0].isupper()]
    return [t for t in (fold(w) for w in words) if len(t) >= 4 and t not in _PARTICLES]


def _city_pattern(city: str) -> str:
    words = re.split(r"[\s'-]+", re.sub(r"^st\b", "saint", fold(city).strip()))
    return r"[\s'-]*".join("(?:saint|st)" if w == "saint" else re.escape(w) for w in words if w)


@dataclass(frozen=True)
class _GroupInfo:
    code: str
    kind: str
    number: int | None
    city: str          # folded, '' when unknown


@dataclass(frozen=True)
class _DossierInfo:
    ref: str
    tokens: tuple[str, ...]
    country: str
    groups: frozenset[str]
    closed: bool


class DirectoryIndex:
    """Lookups the readers need, built once per Directory (see `index_for`)."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.groups = {g.code: _GroupInfo(g.code, g.kind, self._number(g.code, g.name),
                                          fold(g.city).strip()) for g in directory.groups}
        self.group_by_email = {g.email.lower(): g.code for g in directory.groups if g.email}
        self.member_group = {m.email.lower(): (m.group or None) for m in directory.members}
        nouns = dict(_GROUP_NOUNS)
        for g in directory.groups:        # a directory with other kinds ("Section de X") brings its nouns
            first = fold(g.name).split()[0] if g.name.strip() else ""
            if len(first) > 2 and first not in nouns:
                nouns[first] = g.kind
        self.noun_kind = nouns
        cities = {fold(g.city).strip(): _city_pattern(g.city) for g in directory.groups if g.city.strip()}
        self.city_of = [(re.compile(r"^" + pat + r"$"), city) for city, pat in cities.items()]
        city_alt = "|".join(sorted(cities.values(), key=len, reverse=True)) or r"(?!x)x"
        noun_alt = "|".join(sorted((re.escape(n) for n in nouns), key=len, reverse=True))
        self.mention = re.compile(
            r"\b(?P<noun>" + noun_alt + r")s?\b(?:\s+(?:local|locale|locaux|d'actions?|jeunes?|etudiante?s?))*"
            r"(?:\s*(?:no\.?|numero|#)?\s*(?P<num>\d{1,4})\b)?"
            r"(?:\s*(?:de\s|d'|du\s|des\s|a\s|-\s*|,\s*|\(|:\s*)?\s*(?:la\s|le\s|l')?(?P<city>" + city_alt + r")\b)?")
        self.city_word = re.compile(r"\b(?P<city>" + city_alt + r")\b")
        self.group_names = {fold(g.name).strip(): g.code for g in directory.groups if len(g.name.strip()) >= 6}
        self.dossiers = [self._dossier(d) for d in directory.dossiers]
        self.by_ref = {_ref_key(d.ref): d.ref for d in directory.dossiers}
        self.token_refs: dict[str, set[str]] = {}
        for info in self.dossiers:
            for t in info.tokens:
                self.token_refs.setdefault(t, set()).add(info.ref)
        self.sound_refs: dict[str, set[str]] = {}
        for t, refs in self.token_refs.items():
            self.sound_refs.setdefault(_sound(t), set()).update(refs)
        known = country_keys()
        self.extra_countries = {d.country: d.country for d in self.dossiers if d.country and d.country not in known}
        self.person_pairs: set[tuple[str, str]] = set()
        for m in directory.members:
            self.add_person(m.name, self.person_pairs)

    @staticmethod
    def _number(code: str, name: str) -> int | None:
        found = re.search(r"\d+", name) or re.search(r"\d+", code)
        return int(found.group(0)) if found else None

    @staticmethod
    def _dossier(d: object) -> _DossierInfo:
        try:
            closed = DossierStatus.parse(d.status) is DossierStatus.CLOSED  # type: ignore[attr-defined]
        except ValueError:
            closed = False
        groups = d.groups  # type: ignore[attr-defined]
        if isinstance(groups, str):
            groups = [g for g in re.split(r"[;,\s]+", groups) if g]
        return _DossierInfo(d.ref, tuple(dict.fromkeys(_name_tokens(d.person))),  # type: ignore[attr-defined]
                            country_key(d.country) if d.country else "", frozenset(groups), closed)  # type: ignore

    @staticmethod
    def add_person(name: str, pairs: set[tuple[str, str]]) -> None:
        words = [fold(w) for w in _WORD.findall(name or "")]
        pairs.update(zip(words, words[1:], strict=False))

    # ------------------------------------------------------------------------------ groups
    def _city(self, text: str) -> str:
        return next((city for pattern, city in self.city_of if pattern.match(text)), "")

    def group_mentions(self, folded: str, skip: re.Pattern[str] | None = None) -> list[str]:
        """Group codes named in the text, in order ('groupe 37', 'cercle d'action de Tours'...)."""
        found: list[tuple[int, str]] = []
        for m in self.mention.finditer(folded):
            num, city = m.group("num"), m.group("city")
            if not num and not city:
                continue
            if skip is not None and skip.search(folded[max(0, m.start() - 30):m.start()]):
                continue
            kind = self.noun_kind.get(m.group("noun"))
            city_key = self._city(city) if city else ""
            pool = [g for g in self.groups.values() if (not num or g.number == int(num))
                    and (not city_key or g.city == city_key)]
            typed = [g for g in pool if g.kind == kind]
            chosen = typed if len(typed) == 1 or not num else pool
            if len(chosen) == 1:
                found.append((m.start(), chosen[0].code))
        for name, code in self.group_names.items():
            at = folded.find(name)
            if at >= 0 and all(c != code for _, c in found):
                found.append((at, code))
        return [code for _, code in sorted(found)]

    def city_groups(self, folded: str) -> list[str]:
        cities = {self._city(m.group("city")) for m in self.city_word.finditer(folded)}
        return [g.code for g in self.groups.values() if g.city and g.city in cities]

    # ---------------------------------------------------------------------------- dossiers
    def refs_in(self, folded: str) -> list[str]:
        found = [self.by_ref.get(f"{m.group(1)}{m.group(2)}-{int(m.group(3))}") for m in REF.finditer(folded)]
        return [r for r in found if r]

    def person_scores(self, text: str, ignore: set[tuple[str, str]]) -> dict[str, float]:
        """dossier ref -> how well the capitalised words of `text` name its person."""
        from rapidfuzz import fuzz, process   # lazy: machine mail never gets here

        text = _GREETING.sub("", text)
        words = [(w, fold(w)) for w in _WORD.findall(text)]
        skip: set[int] = set()
        for i in range(len(words) - 1):
            if (words[i][1], words[i + 1][1]) in ignore:
                skip.update((i, i + 1))
        seen = {f for i, (w, f) in enumerate(words) if i not in skip and w[0].isupper() and len(f) >= 4}
        best: dict[str, dict[str, float]] = {}
        choices = list(self.token_refs)
        sounds = list(self.sound_refs)
        for token in seen:
            hits: list[tuple[str, float, set[str]]] = []
            if token in self.token_refs:
                hits.append((token, 1.0, self.token_refs[token]))
            else:
                cutoff = 80 if len(token) >= 7 else 86
                for choice, score, _ in process.extract(token, choices, scorer=fuzz.ratio, score_cutoff=cutoff,
                                                        limit=3):
                    if choice[0] == token[0]:
                        hits.append((choice, score / 100, self.token_refs[choice]))
                key = _sound(token)
                for choice, score, _ in process.extract(key, sounds, scorer=fuzz.ratio, score_cutoff=86, limit=3):
                    if choice[0] == key[0]:
                        hits.append((choice, 0.9 * score / 100, self.sound_refs[choice]))
            for name, quality, refs in hits:
                for ref in refs:
                    slot = best.setdefault(ref, {})
                    slot[name] = max(slot.get(name, 0.0), quality)
        return {ref: sum(q.values()) for ref, q in best.items()}

    def choose_dossier(self, scores: dict[str, float], countries: set[str], group: str | None,
                       allow_closed: bool) -> str | None:
        infos = {d.ref: d for d in self.dossiers if allow_closed or not d.closed}
        ranked = []
        for ref, score in scores.items():
            info = infos.get(ref)
            if info is None or score < 0.8:
                continue
            score += 0.5 if info.country in countries else 0.0
            ranked.append((score, group in info.groups, not info.closed, ref))
        ranked.sort(reverse=True)
        if not ranked:
            return None
        if len(ranked) > 1 and ranked[0][:3] == ranked[1][:3]:
            return None         # two dossiers named as well as each other: a human decides
        return ranked[0][3]

    def dossier_by_country(self, countries: set[str], group: str | None) -> str | None:
        pool = [d for d in self.dossiers if d.country in countries
                and (group in d.groups if group else not d.closed)]
        if group and len(pool) > 1:
            pool = [d for d in pool if not d.closed]
        return pool[0].ref if len(pool) == 1 else None


_INDEX_CACHE: list[DirectoryIndex] = []


def index_for(directory: Directory) -> DirectoryIndex:
    """The index of this Directory object, built on first use (a batch shares one Directory)."""
    for index in _INDEX_CACHE:
        if index.directory is directory:
            return index
    index = DirectoryIndex(directory)
    _INDEX_CACHE.insert(0, index)
    del _INDEX_CACHE[4:]
    return index


# =========================================================================== the readers
@dataclass(frozen=True)
class Unsubscribe:
    scope: str                   # "all" | "bulletin"
    via: str                     # "token" | "subject" | "text"
    token: str | None = None


@dataclass(frozen=True)
class Confirm:
    via: str                     # "token" | "thread" | "reply"
    token: str | None = None
    verified: bool = False       # the token or the thread is one we issued


@dataclass(frozen=True)
class Signup:
    name: str | None
    group: str | None
    dossier: str | None


@dataclass(frozen=True)
class Report:
    group: str | None
    dossier: str | None
    actions: tuple[Action, ...]


def sub_address_token(parsed: ParsedMessage, team_address: str, prefix: str) -> str | None:
    """The TOKEN of team+PREFIX-TOKEN@domain among the message's recipients."""
    local, _, domain = team_address.lower().rpartition("@")
    if not local:
        return None
    head = f"{local}+{prefix}-"
    for address in parsed.to:
        a_local, _, a_domain = address.lower().rpartition("@")
        if a_domain == domain and a_local.startswith(head) and a_local[len(head):].isalnum():
            return a_local[len(head):]
    return None


_UNSUB_SUBJECT = re.compile(r"^(?:(?:re|tr|fwd?|aw)\s*:\s*)*(?:stop|desinscription|desabonnement|unsubscribe"
                            r"|(?:se |me )?desinscri\w*|(?:se |me )?desabonne\w*)\b")
_UNSUB = re.compile(
    r"^\W*stop\W*$"
    r"|\b(?:je|j'|nous)\s*(?:[a-z']+\s+){0,3}?(?:me desinscrire|me desabonner|nous desinscrire|nous desabonner"
    r"|etre (?:retiree?|desinscrite?|desabonnee?|rayee?))"
    r"|\b(?:merci de |merci d'|veuillez |pouvez-vous |pourriez-vous |pourrais-tu |peux-tu |je vous (?:demande|prie) de "
    r"|je vous remercie de )(?:bien vouloir )?"
    r"(?:me (?:retirer|desinscrire|desabonner|supprimer|rayer|enlever)|m'(?:enlever|oter)|ne plus m'envoyer"
    r"|(?:retirer|supprimer|enlever|rayer) (?:mon adresse|mon nom|mon courriel|mon e-?mail))"
    r"|\b(?:desinscrivez|desabonnez|retirez|supprimez|enlevez|rayez)-moi"
    r"|\b(?:je|j'|nous) ne (?:souhaite|veux|desire|voudrais|souhaitons|voulons)\w* plus (?:rien )?recevoir"
    r"|\bretirer mon adresse|\bne plus m'envoyer|\bne plus (?:rien )?recevoir (?:de votre part|vos)", re.M)
_SCOPE_ALL = re.compile(r"\b(?:tou(?:te)?s|tout|aucune?|rien|l'ensemble|definitivement|toute communication"
                        r"|vos fichiers|de votre part)\b")
_BULLETIN = re.compile(r"\b(?:bulletins?|newsletters?|lettres? d'information|lettre mensuelle|infolettres?)\b")


def _scope(text: str) -> str:
    if _SCOPE_ALL.search(text):
        return "all"
    return "bulletin" if _BULLETIN.search(text) else "all"


def read_unsubscribe(mail: Mail, team_address: str = "",
                     token_scope: Callable[[str], str | None] | None = None) -> Unsubscribe | None:
    """'STOP', 'merci de me retirer de la liste', a mail to team+u-TOKEN@... -> scope all | bulletin."""
    own = mail.own_folded
    sentences = [s for s in re.split(r"(?<=[.!?:;])\s+|\n", own) if _UNSUB.search(s.strip())]
    subject = fold(mail.parsed.subject or "").strip()
    by_subject = _UNSUB_SUBJECT.match(subject) is not None
    text_scope = _scope(" ".join(sentences + ([subject] if by_subject else [])))
    token = sub_address_token(mail.parsed, team_address, "u") if team_address else None
    if token:
        scope = token_scope(token) if token_scope else None
        return Unsubscribe(scope if scope in ("all", "bulletin") else text_scope, "token", token)
    if sentences:
        return Unsubscribe(text_scope, "text")
    if by_subject and len(own.strip()) < 400:
        return Unsubscribe(text_scope, "subject")
    return None


_YES = re.compile(r"^\W*(?:oui|yes|ok|okay|d'accord|je confirme|confirme|c'est confirme|bien sur|volontiers)\b"
                  r"|\bje (?:vous )?confirme\b")
_NO = re.compile(r"^\W*non\b|\bpas moi\b|\bn'ai (?:jamais|pas) demande|\bje ne (?:confirme|souhaite) pas\b"
                 r"|\berreur\b|\bne suis pas (?:a l'origine|inscrit)")


def read_confirm(mail: Mail, team_address: str = "", known_token: Callable[[str], bool] | None = None,
                 sent_request: Callable[[str], bool] | None = None,
                 subjects: Iterable[str] = ()) -> Confirm | None:
    """A reply confirming a sign-up: to team+c-TOKEN@..., in the thread of a confirmation request we
    sent, or 'oui, je confirme' under its subject. Whether it activates anyone is decided later."""
    own = mail.own_folded.strip()
    refused = _NO.search(own[:300]) is not None
    token = sub_address_token(mail.parsed, team_address, "c") if team_address else None
    if token and not refused:
        return Confirm("token", token, bool(known_token and known_token(token)))
    if refused:
        return None
    if sent_request and any(sent_request(mid) for mid in mail.parsed.in_reply_to):
        return Confirm("thread", None, True)
    subject = fold(mail.parsed.subject or "")
    if any(fold(s) in subject for s in subjects if s) and _YES.search(own[:300]):
        return Confirm("reply")
    return None


_SIGNUP = re.compile(
    r"\b(?:(?:proposer|je propose|nous proposons|je vous propose|vous proposer) (?:mon|notre|de l') ?aide"
    r"|offrir (?:mon|notre) aide|(?:me|nous) port\w* volontaires?"
    r"|rejoindre (?:l'equipe|votre equipe|les benevoles|les structures qui|le reseau|l'action)|devenir benevoles?"
    r"|(?:m'|nous |s')engager (?:sur|pour|aupres de|dans|a suivre|comme) (?:un |le |ce |les |des |votre |vos |son "
    r"|l')?(?:nouveau |autre )?(?:dossiers?|equipe|benevol\w*|cause)"
    r"|suivre (?:un|le|ce|son) dossier|(?:m'|nous )inscrire comme benevoles?|prendre en charge (?:un|le|ce) dossier"
    r"|me mettre a (?:votre )?disposition|donner (?:un coup de main|de mon temps)|aider sur (?:un|son|le|ce) dossier"
    r"|(?:je|nous) (?:souhaite|voudrais|aimerais|souhaiterais|souhaitons|voudrions|aimerions) (?:vous )?aider\b)")
_NOT_MEMBER = re.compile(r"(?:\bpas|\bplus|\baucun|\bni|\bpres de|\bcontacter|\bavec|\bpour)\s+(?:\w+\s+){0,2}$")
_PARTNER = re.compile(r"\b(?:avec|aupres de|et)\s+(?:le |la |les |l')?$")
_ORG_WORD = re.compile(r"^(?:le |la |les |l')?(?:groupe|cercle|antenne|equipe|section|association|collectif"
                       r"|comite|bureau|service|secretariat|redaction)\b")


def signature_name(mail: Mail) -> str | None:
    """The person's name in the signature ('Léa Moreau', 'Chloé, pour l'antenne...' -> 'Chloé')."""
    for line in mail.signature:
        candidate = re.split(r"\s*(?:,|\(|\s[-–—]\s|\spour\s|\s/\s)", line, maxsplit=1)[0].strip()
        candidate = TITLES.sub("", candidate).strip()
        if candidate and looks_like_name(candidate) and not _ORG_WORD.match(fold(candidate)):
            return candidate
    return None


def person_name(mail: Mail) -> str | None:
    """From the signature, or from the display name when the signature gives only a first name."""
    signed = signature_name(mail)
    display = TITLES.sub("", (mail.parsed.sender_name or "").strip().strip('"')).strip()
    display_ok = bool(display) and looks_like_name(display) and not _ORG_WORD.match(fold(display))
    if signed and len(signed.split()) >= 2:
        return signed
    if display_ok and len(display.split()) >= 2:
        return display
    return signed or (display if display_ok else None)


def _ignored_people(index: DirectoryIndex, mail: Mail) -> set[tuple[str, str]]:
    """Name pairs that are not the dossier's person: our members, the sender, the signer."""
    pairs = set(index.person_pairs)
    DirectoryIndex.add_person(mail.parsed.sender_name, pairs)
    for line in mail.signature:
        DirectoryIndex.add_person(line, pairs)
    return pairs


def read_signup(mail: Mail, directory: Directory) -> Signup | None:
    """Someone volunteers: their name, the structure they say they belong to, a dossier they name."""
    if not _SIGNUP.search(re.sub(r"\s+", " ", mail.own_folded)):
        return None
    index = index_for(directory)
    own = to_digits(fold(f"{mail.parsed.subject}\n{mail.body.own}"))
    groups = Counter(index.group_mentions(own, _NOT_MEMBER))
    group = groups.most_common(1)[0][0] if groups else None
    refs = [r for r in index.refs_in(own) if not any(d.ref == r and d.closed for d in index.dossiers)]
    dossier = refs[0] if refs else index.choose_dossier(
        index.person_scores(f"{mail.parsed.subject}\n{mail.body.own}", _ignored_people(index, mail)),
        set(), group, allow_closed=False)
    return Signup(person_name(mail), group, dossier)


def _report_group(index: DirectoryIndex, mail: Mail) -> str | None:
    """The structure that did the actions: a forward's author, the group's own address, the text,
    the sender's membership, a lone city - in that order."""
    sender = mail.parsed.sender.lower()
    author = mail.body.author
    if author:
        code = index.group_by_email.get(author) or index.member_group.get(author)
        if code:
            return code
    if not author and sender in index.group_by_email:
        return index.group_by_email[sender]
    mentions = Counter(index.group_mentions(mail.all_folded, _PARTNER))
    if mentions:
        top = mentions.most_common()
        own = index.member_group.get(sender)
        tied = [code for code, n in top if n == top[0][1]]
        return own if own in tied else tied[-1] if len(tied) > 1 else tied[0]
    if index.member_group.get(sender):
        return index.member_group[sender]
    cities = index.city_groups(fold(mail.parsed.subject or "") + "\n" + "\n".join(fold(s) for s in mail.signature))
    return cities[0] if len(cities) == 1 else None


def read_report(mail: Mail, directory: Directory) -> tuple[Report | None, bool]:
    """An action report: (Report or None, whether only planned actions were seen)."""
    index = index_for(directory)
    tokens = {t for d in index.dossiers for t in d.tokens}
    actions, planned_only = find_actions(mail.own_segments(index), tokens)
    if not actions:
        return None, planned_only
    group = _report_group(index, mail)
    folded = mail.all_folded
    countries = find_countries(folded, index.extra_countries)
    refs = Counter(index.refs_in(folded))
    if refs:
        dossier: str | None = refs.most_common(1)[0][0]
    else:
        scores = index.person_scores(f"{mail.parsed.subject}\n{mail.body.text}", _ignored_people(index, mail))
        dossier = index.choose_dossier(scores, countries, group, allow_closed=True)
        if dossier is None and countries:
            dossier = index.dossier_by_country(countries, group)
    return Report(group, dossier, tuple(actions)), False
