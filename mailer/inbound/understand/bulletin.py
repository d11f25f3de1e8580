"""A request to receive the bulletin by mail: a sign-up for the bulletin only.   [pure]

"Je voudrais recevoir le bulletin", "pouvez-vous m'abonner à votre lettre d'information",
"inscrivez-moi à la newsletter": the writer asks for the bulletin, not to volunteer. The reading
is a sign-up with `scope = "bulletin"` (rule `signup.bulletin`); decide.py sends the `+c-`
confirmation request worded for the bulletin, and the confirmation makes a bulletin subscriber
with its consent (apply.py), never a member of a group.

The request must be the writer's own (quotes taken out), in a sentence that names the bulletin
and asks for it in the first person or as a request to us; a refusal, an unsubscribe or a
question about someone else's subscription is none.
"""

from __future__ import annotations

import re

from ..mime.parse import ParsedMessage
from .french import fold

_BULLETIN = r"(?:bulletins?|newsletters?|lettres? d'information|lettres? d'info|infolettres?|lettre mensuelle)"
_ASK = re.compile(
    r"\b(?:(?:je|j') ?(?:voudrais|souhaite\w*|aimerais|veux|desire\w*|serais ravie?|serais heureu\w*)\b[^.!?\n]{0,40}?"
    r"\b(?:recevoir|m'abonner|m'inscrire|etre (?:abonnee?|inscrite?)|etre sur la liste)"
    r"|(?:pouvez|pourriez|peux|pourrais)[- ](?:vous|tu)\b[^.!?\n]{0,20}?\b(?:m'abonner|m'inscrire|m'envoyer|m'ajouter)"
    r"|\b(?:abonnez|inscrivez|ajoutez|abonne|inscris|ajoute)[- ]moi"
    r"|\bje m'(?:abonne|inscris)\b)"
    r"[^.!?\n]{0,60}?\b" + _BULLETIN + r"\b")
# Not asking: a refusal, an unsubscribe, or someone who already receives it ("continuer à recevoir").
_REFUSAL = re.compile(r"\b(?:ne|n')\s*(?:[a-z']+\s+){0,2}(?:plus|pas)\b|\bdesabonn\w*|\bdesinscri\w*"
                      r"|\b(?:continu\w*|toujours|encore|rester?)\b[^.!?\n]{0,12}\brecevoir\b")


# "Une amie m'a transmis votre bulletin. Serait-il possible de le recevoir ?": the bulletin named
# before, asked for by a pronoun
_ASK_IT = re.compile(r"\b(?:(?:je|j') ?(?:voudrais|souhaite\w*|aimerais|veux|desire\w*|prefere\w*)|serait-il possible"
                     r"|est-il possible|pourrais-je|puis-je|pourriez-vous|pouvez-vous)\b[^.!?\n]{0,40}?"
                     r"\b(?:le|la) recevoir\b")


# Asked with more than the bulletin ("recevoir les alertes et le bulletin", "m'inscrire comme bénévole
# et recevoir le bulletin"): a volunteer's sign-up, which the sign-up rule reads; not the bulletin only.
_MORE = re.compile(r"\b(?:alertes?|appels?|rappels?|actions? urgentes?|benevol\w*|rejoindre|adherer|militer"
                   r"|m'engager|m'investir)\b")


def asks_for_bulletin(parsed: ParsedMessage) -> bool:
    """Whether the writer's own words ask to receive the bulletin, and only it (subject line included)."""
    text = fold(f"{parsed.subject}\n{parsed.new_text}")
    named = re.search(r"\b" + _BULLETIN + r"\b", text) is not None
    for sentence in re.split(r"(?<=[.!?\n])", text):
        if (_ASK.search(sentence) or (named and _ASK_IT.search(sentence))) and not _REFUSAL.search(sentence):
            return _MORE.search(sentence) is None
    return False
