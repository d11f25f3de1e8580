"""The action vocabulary shared by the readers of deeds: the seven types, a recorded action, and a
reader's find (a type at a position, with its count or amount) before dates and tense decide.   [pure]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


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


@dataclass
class Found:
    type: ActionType
    pos: int
    count: int | None = None
    amount: float | None = None
