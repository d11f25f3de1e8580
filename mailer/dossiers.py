"""What a dossier shows and whom it thanks: its public view, the groups that worked on it, days.   [pure]

Details about people at risk are never pulled into a public text by default: `public_view` gives
only the fields a coordinator marked public on the dossier (`mailer dossiers edit REF --public
person,country,summary,outcome`), none until then. The bulletin draft builds on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from .models import Dossier, DossierOutcome, code_key
from .sheets.labels import PUBLIC_FIELDS
from .store.records import Report, ReportState

# A release or an acquittal offers a thank-you mailing to every group that worked on the dossier.
THANKED = frozenset({DossierOutcome.RELEASED, DossierOutcome.ACQUITTED})

DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def public_view(dossier: Dossier) -> dict[str, Any]:
    """The fields marked public, as stored (codes: `released`, `active`; `DossierOutcome(v).label`
    gives the French word), in the table's order; `{}` for a dossier nobody marked."""
    marked = set(dossier.public)
    values = {name: getattr(dossier, name) for name in PUBLIC_FIELDS.entries if name in marked}
    return {name: list(v) if isinstance(v, list) else v for name, v in values.items()}


def thanks_due(before: Dossier | None, after: Dossier) -> bool:
    """A change that makes the dossier released or acquitted (not one restating it)."""
    return after.outcome in THANKED and (before is None or before.outcome != after.outcome)


def groups_that_worked_on(dossier: Dossier, reports: Iterable[Report]) -> list[str]:
    """The groups entrusted with the dossier, then those that reported on it (a deleted report
    counts nowhere), each once, upper case."""
    key = code_key(dossier.ref)
    reporters = sorted({code_key(r.group) for r in reports
                        if r.group and r.dossier and code_key(r.dossier) == key and r.state != ReportState.DELETED})
    return list(dict.fromkeys([*(code_key(c) for c in dossier.groups), *reporters]))


def parse_day(text: str, what: str = "date") -> date:
    """`2026-03-20` or `20/03/2026`; a ValueError that says which option was wrong."""
    value = text.strip()
    for pattern in DAY_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"{what} {text!r} is not a day (2026-03-20 or 20/03/2026)")
