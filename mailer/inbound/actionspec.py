"""`--action TYPE=COUNT[@DATE]`: a person's word on an action, read and written back.   [pure]

The triage and report commands take actions in one short form, and `triage show` prints the
reading in that same form, so the pre-filled answer can be pasted back as it is:

- TYPE is one of `ActionType` (petition, letter_authorities, letter_support, advocacy, awareness,
  collaboration, fund);
- COUNT is a whole number (signatures, letters, meetings, events, partners); for `fund` it is the
  amount in euros, with a point or a comma and at most two decimals (`fund=62.50`, `fund=62,50`);
- DATE, optional, is `YYYY-MM-DD` or `DD/MM/YYYY`;
- `TYPE=0` removes that type. Options replace what they name: given actions of a type replace
  every action of that type the reading had; types not named are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from ..errors import MailerError
from .understand.actions import Action, ActionType

TYPES = tuple(t.value for t in ActionType)
_SPEC = re.compile(r"^\s*([a-z_]+)\s*=\s*([0-9][0-9 .,]*?)\s*(?:@\s*(\S+))?\s*$")
_AMOUNT = re.compile(r"^\d+(?:[.,]\d{1,2})?$")
_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class ActionSpecError(MailerError):
    """An --action that does not say TYPE=COUNT[@DATE] with a known type, a number and a real date."""


def _date(text: str, spec: str) -> date:
    found = _FRENCH_DATE.match(text)
    try:
        if found:
            return date(int(found[3]), int(found[2]), int(found[1]))
        return date.fromisoformat(text)
    except ValueError:
        raise ActionSpecError(f"--action {spec!r}: {text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)") from None


def parse_action(spec: str) -> Action | None:
    """One `TYPE=COUNT[@DATE]`; None for `TYPE=0` (remove that type)."""
    found = _SPEC.match(spec.lower())
    kind = spec.split("=", 1)[0].strip().lower()
    if kind and kind not in TYPES:
        raise ActionSpecError(f"--action {spec!r}: unknown type {kind!r} (one of {', '.join(TYPES)})")
    if not found:
        raise ActionSpecError(f"--action {spec!r}: expected TYPE=COUNT[@DATE], e.g. petition=85@2026-03-12 "
                              "or fund=62.50@2026-03-12")
    number, when = found[2].replace(" ", ""), found[3]
    action_type = ActionType(found[1])
    day = _date(when, spec) if when else None
    if action_type is ActionType.FUND:
        if not _AMOUNT.match(number):
            raise ActionSpecError(f"--action {spec!r}: a fund takes an amount in euros, e.g. fund=62.50")
        amount = float(number.replace(",", "."))
        return Action(action_type, None, amount, day) if amount > 0 else None
    if not number.isdigit():
        raise ActionSpecError(f"--action {spec!r}: {found[2]!r} is not a whole number")
    count = int(number)
    return Action(action_type, count, None, day) if count > 0 else None


def merge(actions: Sequence[Action], specs: Iterable[str]) -> tuple[Action, ...]:
    """`actions` with the specs replacing every action of the types they name (parsed all first:
    one bad spec changes nothing)."""
    named: dict[ActionType, list[Action]] = {}
    for spec in specs:
        kind = spec.split("=", 1)[0].strip().lower()
        parsed = parse_action(spec)
        named.setdefault(ActionType(kind), [])
        if parsed is not None:
            named[ActionType(kind)].append(parsed)
    kept = [a for a in actions if a.type not in named]
    return (*kept, *(a for found in named.values() for a in found))


def action_of(doc: dict[str, Any]) -> Action:
    """An action as stored (`Action.to_json()`) back as an `Action`."""
    day = doc.get("date")
    amount = doc.get("amount_eur")
    return Action(ActionType(str(doc["type"])), doc.get("count"), None if amount is None else float(amount),
                  date.fromisoformat(str(day)) if day else None)


def spec_of(action: Action) -> str:
    """The `TYPE=COUNT[@DATE]` of an action (a count the reading lacks is written `?`, to be filled)."""
    if action.type is ActionType.FUND:
        number = "?" if action.amount_eur is None else f"{action.amount_eur:.2f}".removesuffix(".00")
    elif action.count is None:
        number = "1" if action.type is ActionType.COLLABORATION else "?"
    else:
        number = str(action.count)
    return f"{action.type.value}={number}" + (f"@{action.date.isoformat()}" if action.date else "")
