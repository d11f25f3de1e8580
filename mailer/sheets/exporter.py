"""Records -> spreadsheet rows, in English or French labels.   [pure]

The groups, dossiers, members and subscribers exports write exactly the columns the import
reads (`columns.exported`), with values the import reads back to the same stored values, so
that exporting and importing the file changes nothing, with either label set. A pending
subscriber is written `pending` / `en attente de confirmation`, never as something an import
would take for active.

The reports export is for reading only: with `fr`, dates are in the team's zone as French
software shows them, and amounts have a decimal comma.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, tzinfo
from typing import Any

from .. import clock
from .columns import CONTACTS, exported, title
from .labels import (ACTIONS, DOSSIER_OUTCOMES, DOSSIER_STATUSES, GROUP_KINDS, PUBLIC_FIELDS, SUBSCRIBER_STATUSES,
                     Vocabulary)
from ..models import Dossier, Group, Member, Subscriber

Record = Group | Dossier | Member | Subscriber
Table = tuple[list[str], list[list[str]]]
Format = Callable[[Any, str, tzinfo], str]


def _plain(value: Any, labels: str, tz: tzinfo) -> str:
    return "" if value is None else str(value)


def _word(vocabulary: Vocabulary) -> Format:
    return lambda value, labels, tz: vocabulary.label(str(value), labels)


def _codes(value: list[str], labels: str, tz: tzinfo) -> str:
    return (", " if labels == "fr" else ";").join(value)


def _fields(value: list[str], labels: str, tz: tzinfo) -> str:
    """A dossier's public fields as the import reads them: `person;country`, `Personne, Pays`."""
    return _codes([PUBLIC_FIELDS.label(f, labels) for f in value], labels, tz)


def _instant(value: str, labels: str, tz: tzinfo) -> str:
    """With `fr`, `2026-03-20 10:00:00+01:00`: the team's local time, still exact for the import."""
    moment = clock.parse_iso(value) if labels == "fr" else None
    return moment.astimezone(tz).isoformat(sep=" ", timespec="seconds") if moment else _plain(value, labels, tz)


FORMATS: dict[str, dict[str, Format]] = {
    "groups": {"kind": _word(GROUP_KINDS)},
    "dossiers": {"status": _word(DOSSIER_STATUSES), "groups": _codes, "outcome": _word(DOSSIER_OUTCOMES),
                 "public": _fields},
    "members": {},
    "subscribers": {"status": _word(SUBSCRIBER_STATUSES), "since": _instant},
}


def table(kind: str, records: Iterable[Record], labels: str, tz: tzinfo) -> Table:
    """The header and one row per record, in the import's columns."""
    assert kind != CONTACTS
    columns = exported(kind)
    formats = FORMATS[kind]
    rows = [[formats.get(c.field, _plain)(getattr(r, c.field), labels, tz) for c in columns] for r in records]
    return [title(c, labels) for c in columns], rows


# --- reports: one row per action ---------------------------------------------------------

REPORT_COLUMNS = {"date": "Reçu le", "dossier": "Dossier", "group": "Groupe", "sender": "Expéditeur",
                  "type": "Action", "count": "Nombre", "amount_eur": "Montant (€)",
                  "action_date": "Date de l'action", "message_id": "Message-ID"}


def _french_day(value: Any, labels: str, tz: tzinfo) -> str:
    try:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return _plain(value, labels, tz)


def _amount(value: Any, labels: str, tz: tzinfo) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _plain(value, labels, tz).replace(".", ",")


FRENCH_REPORT_FORMATS: dict[str, Format] = {
    "date": lambda value, labels, tz: clock.for_people(value, tz),
    "type": _word(ACTIONS),
    "amount_eur": _amount,
    "action_date": _french_day,
}


def reports_table(rows: Iterable[Mapping[str, Any]], labels: str, tz: tzinfo) -> Table:
    """`records.report_rows` as a sheet; `en` keeps the stored values (ISO dates, codes)."""
    formats = FRENCH_REPORT_FORMATS if labels == "fr" else {}
    header = list(REPORT_COLUMNS.values()) if labels == "fr" else list(REPORT_COLUMNS)
    return header, [[formats.get(key, _plain)(row.get(key), labels, tz) for key in REPORT_COLUMNS] for row in rows]
