"""What we understood from a report, in the words a volunteer can check.

Stored in an acknowledgement's `values` (the outbound wing renders them as they are) and shown
by `mailer reports list`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


def _day(value: object) -> str:
    y, m, d = str(value).split("-")
    return f"{d}/{m}/{y}"


def form_lines(record: RecordReport) -> list[str]:
    """Our reading in the reply form's own lines (templates' `reply_form`, read back by
    understand/replyform.py), so that a volunteer corrects a figure and sends it back as is."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for action in record.actions:
        doc = action.to_json()
        by_type.setdefault(str(doc["type"]), []).append(doc)

    def total(kind: str) -> str:
        """The sum of the counts; "oui" when one was read without a count (the form cannot hold it
        as a figure: sent back as is, a person finishes it)."""
        found = by_type.get(kind, [])
        counts = [a["count"] for a in found if a.get("count") is not None]
        return "oui" if len(counts) < len(found) else str(sum(counts)) if counts else ""

    def dated(docs: list[dict[str, Any]], value: Callable[[dict[str, Any]], str]) -> str:
        """'30 € le 02/05/2026 et 45 € le 09/05/2026'; dates only when every one has its own."""
        if all(a.get("date") for a in docs):
            return " et ".join(f"{value(a)} le {_day(a['date'])}" for a in docs)
        return " et ".join(value(a) for a in docs)

    shows = by_type.get("awareness", [])
    events = (f"{len(shows)} : " + " et ".join(_day(a["date"]) for a in shows)) if shows and all(
        a.get("date") for a in shows) and len(shows) > 1 else dated(shows, lambda a: str(a.get("count") or 1))
    funds = dated([a for a in by_type.get("fund", []) if a.get("amount_eur") is not None],
                  lambda a: f"{a['amount_eur']:g} €")
    values = (total("letter_authorities"), total("letter_support"), total("petition"), total("advocacy"), events,
              "oui" if "collaboration" in by_type else "", funds)
    labels = ("Lettres aux autorités", "Cartes de soutien", "Signatures", "Élu·es rencontré·es",
              "Événements et date", "Partenaires", "Fonds € et date")
    return [f"{label} : {value}".rstrip() for label, value in zip(labels, values, strict=True)]


def report_summary(record: RecordReport, directory: Directory) -> list[str]:
    """What we understood, in the words a volunteer can check."""
    group = directory.group(record.group) if record.group else None
    dossier = directory.dossier(record.dossier) if record.dossier else None
    lines = [f"Groupe : {group.name} ({group.code})" if group else "Groupe : non identifié",
             f"Dossier : {dossier.ref}, {dossier.person} ({dossier.country})" if dossier else "Dossier : non identifié"]
    lines += [action_line(a.to_json()) for a in record.actions]
    return lines
