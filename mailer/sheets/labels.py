"""Values in spreadsheets: stored codes <-> what people write, in English and in French.   [pure]

Each vocabulary maps a stored value (`groupe_local`, `pending`, `letter_support`) to its French
label, plus other spellings the import understands. Matching uses `header_key`, so case,
accents, spaces and apostrophes do not matter (`cercle d'action`, `CERCLE_ACTION`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .columns import COLUMNS, ImportKind, header_key
from ..models import DossierOutcome, DossierStatus, GroupKind, SubscriberStatus

LABEL_SETS = ("en", "fr")


@dataclass(frozen=True)
class Vocabulary:
    """`entries`: stored value -> (French label, other accepted spellings...)."""

    entries: dict[str, tuple[str, ...]]

    def parse(self, text: str) -> str:
        key = header_key(text)
        for value, spellings in self.entries.items():
            if key in {header_key(s) for s in (value, *spellings)}:
                return value
        allowed = ", ".join(f"{value} ({spellings[0]})" for value, spellings in self.entries.items())
        raise ValueError(f"{text.strip()!r} is not one of {allowed}")

    def label(self, value: str, labels: str) -> str:
        """The French label with `fr`, the stored value otherwise (and for an unknown value)."""
        spellings = self.entries.get(value)
        return spellings[0] if labels == "fr" and spellings else value


GROUP_KINDS = Vocabulary({k.value: (k.label,) for k in GroupKind})

DOSSIER_STATUSES = Vocabulary({s.value: (s.label,) for s in DossierStatus})

# "libéré·e", "libéré", "libérée" and "released" all read as released (`header_key` drops the
# middle dot, so "libéré·e" is "libérée"); "peine réduite" also as "sentence reduced".
DOSSIER_OUTCOMES = Vocabulary({o.value: (o.label, o.label.removesuffix("·e"), o.value.replace("_", " "))
                               for o in DossierOutcome})
# The fields a coordinator may mark public on a dossier, by their column titles (never the
# référent: a volunteer's address is no news about the case).
PUBLIC_FIELDS = Vocabulary({c.field: (c.fr,) for c in COLUMNS[ImportKind.DOSSIERS]
                            if c.field in ("ref", "person", "country", "status", "outcome", "summary", "groups")})
NO_OUTCOME = ("aucun", "aucune", "none", "-")        # what clears a dossier's outcome on the command line

# "pending" must read back as pending: a double opt-in is never completed by a spreadsheet.
SUBSCRIBER_STATUSES = Vocabulary({
    SubscriberStatus.ACTIVE.value: ("actif", "abonné"),
    SubscriberStatus.PENDING.value: ("en attente de confirmation", "en attente"),
})

# The keys are inbound.actions.ActionType's values (tests/test_exports.py checks it).
ACTIONS = Vocabulary({
    "petition": ("Pétition",),
    "letter_authorities": ("Lettre aux autorités",),
    "letter_support": ("Lettre de soutien",),
    "advocacy": ("Plaidoyer auprès d'élu·es",),
    "awareness": ("Sensibilisation",),
    "collaboration": ("Collaboration",),
    "fund": ("Fonds d'aide",),
})
