"""A coordinator's reply to an approval request's `+a-` address: a short yes approves.   [pure]

An approval request (issue 10, outbound/approvals.py) goes to each other coordinator with a
Reply-To of their own, `team+a-TOKEN@domain`, an HMAC of that coordinator, the campaign, its
file's content hash and its audience size (tokens.approval_purpose). A reply to it approves
that version of the campaign when the token is one we mailed, the reply comes from the very
coordinator it was mailed to (a From alone can be forged, the token cannot be guessed; both
are needed), and their own words are a short yes ("j'approuve", "oui", "ok pour moi", "validé").
A short no approves nothing; anything longer or asking a question is for a person to read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ...tokens import APPROVAL, sub_address_token
from ..mime.parse import ParsedMessage
from .callreply import declines, own_lines
from .french import fold

MAX_WORDS = 12

_YES = re.compile(
    r"\b(?:oui|ok|okay|d'accord|dac|yes|go|parfait|entendu|bien sur|avec plaisir|volontiers"
    r"|j'approuve|approuve(?:e|s|es)?|approbation (?:donnee|accordee)|je valide|valide(?:e|s|es)?|validation ok"
    r"|bon pour (?:envoi|l'envoi|moi|diffusion)|bon a (?:envoyer|partir|diffuser)|feu vert|c'est bon|ca me va"
    r"|ca marche|vas-y|allez-y|tu peux (?:envoyer|y aller)|vous pouvez (?:envoyer|y aller)|envoie|envoyez)\b")

# a yes said negatively ("je n'approuve pas", "pas d'accord") is no yes
_NEGATED = re.compile(r"\b(?:n'|ne )\w+(?: \w+)? pas\b|\bpas (?:d'accord|ok|bon|encore|valide\w*)\b")


class ApprovalAnswer(StrEnum):
    YES = "yes"
    DECLINED = "declined"
    TEXT = "text"


@dataclass(frozen=True)
class ApprovalBinding:
    """What a `+a-` token we mailed names: the request's campaign version and its two coordinators."""

    campaign: str
    file_sha256: str
    audience: int
    coordinator: str        # whom the request (and so the token) was mailed to
    requested_by: str       # the coordinator sending the campaign
    file: str = ""          # its file, as the request named it


@dataclass(frozen=True)
class ApprovalReply:
    token: str
    binding: ApprovalBinding | None     # None: a `+a-` token we never mailed (or no longer know)
    answer: ApprovalAnswer
    from_coordinator: bool              # From is the address the token was mailed to


def answer_of(text: str) -> ApprovalAnswer:
    """What the writer's own words (quotes already taken out) say to the request."""
    own = " ".join(own_lines(text))
    folded = fold(own)
    words = re.findall(r"[\w*'’-]+", folded)
    if not words or len(words) > MAX_WORDS:
        return ApprovalAnswer.TEXT
    yes = _YES.search(_NEGATED.sub(" ", folded)) is not None
    if declines(own):           # "non", "pas encore"; with a yes too ("je ne vois pas d'objection, ok"): a person reads it
        return ApprovalAnswer.TEXT if yes else ApprovalAnswer.DECLINED
    return ApprovalAnswer.YES if yes and "?" not in own else ApprovalAnswer.TEXT


def read_approval_reply(parsed: ParsedMessage, team_address: str,
                        approval_token: Callable[[str], ApprovalBinding | None] | None) -> ApprovalReply | None:
    """The reply's request (None: no `+a-` address of ours among its recipients) and its answer."""
    token = sub_address_token(parsed.to, team_address, APPROVAL) if team_address else None
    if token is None:
        return None
    binding = approval_token(token) if approval_token else None
    writer = binding is not None and parsed.sender.strip().lower() == binding.coordinator.lower()
    return ApprovalReply(token, binding, answer_of(parsed.new_text), writer)
