"""What we understood from a report, in the words a volunteer can check.

Stored in an acknowledgement's `values` (the outbound wing renders them as they are) and shown
by `mailer reports list`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import Directory
from .decide import RecordReport

ACTION_LABELS = {
    "petition": ("Pétition", "signature"),
    "letter_authorities": ("Lettres aux autorités", "lettre"),
    "letter_support": ("Lettres de soutien", "lettre"),
    "advocacy": ("Plaidoyer", "rencontre ou interpellation"),
    "awareness": ("Sensibilisation", "événement"),
    "collaboration": ("Collaboration avec d'autres structures", ""),
    "fund": ("Collecte de fonds", ""),
}


def _plural(word: str, n: int) -> str:
    return word if n < 2 or not word else " ".join(w + "s" if w not in ("ou",) else w for w in word.split())


def action_line(action: Mapping[str, Any]) -> str:
    """'Pétition : 214 signatures, le 07/03/2026' (unknown values are said to be unknown)."""
    label, unit = ACTION_LABELS.get(str(action.get("type")), (str(action.get("type")), ""))
    parts = []
    if action.get("count") is not None and unit:
        parts.append(f"{action['count']} {_plural(unit, int(action['count']))}")
    if action.get("amount_eur") is not None:
        amount = float(action["amount_eur"])
        parts.append(f"{amount:,.2f} €".replace(",", " ").replace(".", ",").replace(",00 €", " €"))
    if action.get("date"):
        y, m, d = str(action["date"]).split("-")
        parts.append(f"le {d}/{m}/{y}")
    return f"{label} : {', '.join(parts)}" if parts else f"{label} (sans nombre ni date)"


def report_summary(record: RecordReport, directory: Directory) -> list[str]:
    """What we understood, in the words a volunteer can check."""
    group = directory.group(record.group) if record.group else None
    dossier = directory.dossier(record.dossier) if record.dossier else None
    lines = [f"Groupe : {group.name} ({group.code})" if group else "Groupe : non identifié",
             f"Dossier : {dossier.ref}, {dossier.person} ({dossier.country})" if dossier else "Dossier : non identifié"]
    lines += [action_line(a.to_json()) for a in record.actions]
    return lines
