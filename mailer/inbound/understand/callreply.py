"""A reply to a call for volunteers' `+v-` address: a short yes is a certain sign-up.   [pure]

A call (campaign kind `call`) gives each recipient a Reply-To of their own, `team+v-TOKEN@domain`,
an HMAC of the recipient, the campaign and its dossier (tokens.call_purpose). A reply to it that
says yes in a few words ("je suis partant·e", "ok pour moi", "oui, comptez sur moi", "je
m'inscris"), above the quoted call or not, is that recipient's sign-up for that dossier with
certainty: the token says which call, and the words leave nothing to read. Anything else sent to
the token (a question, a refusal, a long text) is not guessed at here: `read_call_reply` says so
and the usual rules read it, the token's group and dossier filled in (classify.py); a refusal is
never a sign-up, whatever the usual rules make of it (`declines`).

Only the writer's own lines count (`new_text`: quotes and attribution lines gone); a greeting,
a closing formula and a signature line are set aside before the yes is weighed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ...models import Directory
from ...tokens import VOLUNTEER, sub_address_token
from ..mime.parse import ParsedMessage
from .french import fold

MAX_WORDS = 14          # a yes longer than this is a text: the usual reading weighs it

_GREETING = re.compile(r"^(?:bonjour|bonsoir|salut|coucou|hello|chere?s?|cher\w*|hey)\b[^.!]{0,40}[,!.]?\s*$")
_CLOSING = re.compile(r"^(?:merci\w*|cordialement|bien (?:a vous|amicalement|cordialement)|amities|amicalement"
                      r"|bises|a (?:tres )?bientot|a plus|bonne (?:journee|soiree|fin de journee)|belle journee"
                      r"|envoye de mon \w+|sent from my \w+)\b[^.!?]{0,40}[,!.]?\s*$")
_NAME_LINE = re.compile(r"^[A-ZÀ-Ý][\w'’.-]*(?:[ -][A-ZÀ-Ý][\w'’.-]*){0,3}\s*$")
_YES = re.compile(
    r"\b(?:partant[*.\-·]?e?s?|partante?s?|oui|ok|okay|d'accord|dac|ca marche|avec plaisir|volontiers"
    r"|je m'inscris|inscri(?:s|vez)[- ]moi|comptez sur (?:moi|nous)|j'en suis|on en est|je participe"
    r"|je suis (?:dispo(?:nible)?|volontaire|la|de la partie|present|presente|motivee?)|je prends|je m'en occupe"
    r"|je veux bien|avec joie|bien sur|carrement|evidemment|go)\b")
_NEGATION = re.compile(r"\b(?:non|pas|ne|n'|jamais|plus dispo\w*|malheureusement|helas|desolee?s?|impossible"
                       r"|empechee?s?|indisponibles?)\b|n'")
_HARMLESS = re.compile(r"\bpas (?:de|d') ?(?:souci|soucis|probleme|problemes)\b|\bsans (?:souci|probleme)\b"
                       r"|\bn'hesitez pas\b|\bpourquoi pas\b")


class CallAnswer(StrEnum):
    YES = "yes"             # a short yes: a certain sign-up
    DECLINED = "declined"   # a short no, "pas cette fois": never a sign-up
    TEXT = "text"           # anything else: the usual reading, attributed to the token's dossier


@dataclass(frozen=True)
class CallReply:
    address: str            # the recipient the token was minted for
    group: str | None       # their group in the call's audience
    dossier: str | None     # the call's dossier
    answer: CallAnswer
    writer_is_recipient: bool   # From is the recipient, or a member of the recipient's group


def own_lines(text: str) -> list[str]:
    """The writer's lines without greeting, closing formulas and a trailing name."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    while lines and _GREETING.match(fold(lines[0])):
        lines.pop(0)
    while lines and (_CLOSING.match(fold(lines[-1])) or (len(lines) > 1 and _NAME_LINE.match(lines[-1]))):
        lines.pop()
    return lines


def declines(text: str) -> bool:
    """A refusal in the writer's words: a negation other than "pas de souci"."""
    return bool(_NEGATION.search(_HARMLESS.sub(" ", fold(text))))


def answer_of(text: str) -> CallAnswer:
    """What the writer's own words (quotes already taken out) say to the call."""
    own = " ".join(own_lines(text))
    folded = fold(own)
    words = re.findall(r"[\w*'’-]+", folded)
    if not words:
        return CallAnswer.TEXT
    short = len(words) <= MAX_WORDS
    if short and declines(own):
        return CallAnswer.DECLINED
    if short and "?" not in own and _YES.search(folded):
        return CallAnswer.YES
    return CallAnswer.TEXT


def read_call_reply(parsed: ParsedMessage, directory: Directory, team_address: str,
                    call_token: Callable[[str], tuple[str, str | None, str | None] | None] | None) -> CallReply | None:
    """The reply's call (None: no `+v-` token of ours among its recipients) and what it answers."""
    token = sub_address_token(parsed.to, team_address, VOLUNTEER) if team_address and call_token else None
    bound = call_token(token) if token and call_token else None
    if bound is None:
        return None
    address, group, dossier = bound
    sender = parsed.sender.lower()
    member = directory.member(sender)
    found = directory.group(group) if group else None
    writer = sender == address.lower() or (group is not None and member is not None and member.group == group) \
        or (found is not None and (found.email or "").lower() == sender)
    return CallReply(address, group, dossier, answer_of(parsed.new_text), writer)
