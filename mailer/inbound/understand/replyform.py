"""The fill-in block of action alerts and reminders, read back with certainty.   [pure]

The campaign templates end with a short block of fixed French labels, one a line, each followed by
`:` and nothing. A volunteer answers by typing the figures after the colons, in the quoted alert or
in a copy of the block, in any mail client:

    > Lettres aux autorités : 12
    > Signatures : 85
    > Événements et date : 1 stand le 14 mai

`read_form(text, sent)` finds the labels (quoted with `>` or not, in the plain text or in an HTML
part turned to text, `*bold*` or not) and reads each value whole: a count, a count and dates, euro
amounts and dates, partners by number or by name. Nothing here guesses: a value that is not one of
those shapes is listed in `Form.unread` instead of being read, so the caller can send it to a
person. `without_form(text)` is the text with the block's lines taken out, for the free-text
reading of whatever was written around it; `read_reply_form` is the whole reading of a reply to
an alert's `+r-` address (classify.py's rule `report.form`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from ...models import Directory
from ...tokens import REPLY, sub_address_token
from ..mime.parse import ParsedMessage
from .actions import Action, ActionType, SegmentReading
from .confidence import assess
from .report_checks import report_checks
from .extract import Mail, group_mentions, read_report
from .french import find_dates, fold, parse_amounts, to_digits
from .lookup import index_for

# The labels as the templates print them (templates/action_alert.*, templates/reminder.*), in order.
LABELS: tuple[str, ...] = ("Lettres aux autorités", "Cartes de soutien", "Signatures", "Élu·es rencontré·es",
                           "Événements et date", "Partenaires", "Fonds € et date")
MIN_LABELS = 3          # fewer label lines than this is free text that happens to use a word, not the block

# Each label folded, with its inclusive point written any way (`élu·es`, `élu.es`, `élu-es`, `élus`).
_PATTERNS = {label: re.escape(fold(label)).replace(r"\*es", r"[*.\-]?e?[*.\-]?s?") for label in LABELS}
_LINE = re.compile(r"^[ \t]*(?:>[ \t]?)*[ \t]*[*_]*(?:" + "|".join(f"(?P<l{i}>{p})" for i, p in enumerate(_PATTERNS.values()))
                   + r")[*_]*[ \t]*:[*_]*[ \t]*(?P<value>.*?)[ \t]*$", re.M)
_NOTHING = re.compile(r"^(?:[-–—_.…]*|0+|aucune?s?|rien|neant|non|pas encore|/)$")
_COUNT = re.compile(r"^(\d+)\b")


@dataclass(frozen=True)
class Form:
    actions: tuple[Action, ...]
    filled: tuple[str, ...]      # the labels with a value (read, or zero/none)
    unread: tuple[str, ...]      # the labels whose value is not in a shape this reader knows


def _lines(text: str) -> list[tuple[str, str]]:
    out = []
    for m in _LINE.finditer(fold(text.replace("\r", ""))):
        label = next(LABELS[i] for i in range(len(LABELS)) if m.group(f"l{i}") is not None)
        out.append((label, m.group("value")))
    return out


def _norm(value: str) -> str:
    return re.sub(r"\s+", " ", to_digits(value.replace("*", " ")).strip(" .;"))


def _count(value: str) -> int | None:
    """'12', '12 lettres', 'douze' -> 12; anything not starting with a number -> None."""
    m = _COUNT.match(value)
    return int(m.group(1)) if m else None


def _dates(value: str, sent: datetime | None) -> list[date]:
    return [d for _, d in find_dates(value, sent)]


def _events(value: str, sent: datetime | None) -> list[Action] | None:
    """'1 stand le 14 mai', '2 : 14/05 et 21/05', 'stand au marché le 3 juin' (one event)."""
    dates = _dates(value, sent)
    count = _count(value)
    if count is None:
        if not re.search(r"[a-z]", value):
            return None
        count = 1                                   # an event named without a number is one event
    if len(dates) > 1 and count == len(dates):
        return [Action(ActionType.AWARENESS, 1, date=d) for d in dates]
    if len(dates) > 1:
        return None                                 # 3 events and 2 dates: which is which is a guess
    return [Action(ActionType.AWARENESS, count, date=dates[0] if dates else None)]


def _partners(value: str) -> list[Action] | None:
    """One collaboration, with no count (as in free text: a collaboration is worked with, not counted)."""
    count = _count(value)
    if count is None:
        names = [n for n in re.split(r"\s*(?:,|;|\bet\b|\+)\s*", value) if re.search(r"[a-z]", n)]
        count = len(names)
    return [Action(ActionType.COLLABORATION, None)] if count else None


def _funds(value: str, sent: datetime | None) -> list[Action] | None:
    """'150 € le 3 mai', '30 € le 2 mai et 45 € le 9 mai', '150' (the label says €)."""
    amounts = parse_amounts(value)
    if not amounts:
        m = re.match(r"^(\d+)(?:,(\d{1,2}))?(?!\d|/)", value)
        if not m:
            return None
        amounts = [(0, float(m.group(1)) + (float("0." + m.group(2).ljust(2, "0")) if m.group(2) else 0.0))]
    dated = find_dates(value, sent)
    if len(amounts) == 1:
        return [Action(ActionType.FUND, amount_eur=amounts[0][1], date=dated[0][1] if len(dated) == 1 else None)]
    if len(dated) not in (0, len(amounts)):
        return None
    return [Action(ActionType.FUND, amount_eur=amount, date=dated[i][1] if dated else None)
            for i, (_, amount) in enumerate(amounts)]


_SIMPLE = {"Lettres aux autorités": ActionType.LETTER_AUTHORITIES, "Cartes de soutien": ActionType.LETTER_SUPPORT,
           "Signatures": ActionType.PETITION, "Élu·es rencontré·es": ActionType.ADVOCACY}


def _read_value(label: str, value: str, sent: datetime | None) -> list[Action] | None:
    if label in _SIMPLE:
        count = _count(value)
        return [Action(_SIMPLE[label], count)] if count else None
    if label == "Événements et date":
        return _events(value, sent)
    if label == "Partenaires":
        return _partners(value)
    return _funds(value, sent)


def read_form(text: str, sent: datetime | None = None) -> Form | None:
    """The block's actions, or None when the text holds no block or an empty one.

    When a label appears twice (the block quoted and a filled copy above it), the filled line wins;
    two different values for one label are unread (which is right is not ours to guess)."""
    lines = _lines(text)
    if len({label for label, _ in lines}) < MIN_LABELS:
        return None
    values: dict[str, set[str]] = {}
    for label, value in lines:
        norm = _norm(value)
        if norm:
            values.setdefault(label, set()).add(norm)
    if not values:
        return None
    actions: list[Action] = []
    unread: list[str] = []
    for label in LABELS:
        found = values.get(label)
        if not found:
            continue
        if len(found) > 1:
            unread.append(label)
            continue
        value = found.pop()
        if _NOTHING.match(value):
            continue
        read = _read_value(label, value, sent)
        if read is None:
            unread.append(label)
        else:
            actions.extend(read)
    return Form(tuple(actions), tuple(label for label in LABELS if label in values), tuple(unread))


def without_form(text: str) -> str:
    """The text with the block's label lines removed (what was written around the block)."""
    return "\n".join(line for line in text.split("\n") if not _LINE.match(fold(line)))


# ------------------------------------------------------------------------ a reply to +r-TOKEN
@dataclass(frozen=True)
class FormReport:
    group: str | None
    dossier: str | None
    actions: tuple[Action, ...]
    confidence: float
    checks: tuple[str, ...]
    rule: str = "report.form"          # "report.form_text": a block with no token of ours


def read_reply_form(parsed: ParsedMessage, directory: Directory, team_address: str,
                    reply_token: Callable[[str], tuple[str | None, str | None] | None] | None) -> FormReport | None:
    """A reply to `team+r-TOKEN@domain` (a token we minted: group and dossier are the token's) whose
    block is filled. The block's actions are certain (confidence 1.0, no checks); the free text
    around it is read as any report, and an action it adds of a type the block left empty comes
    with that reading's checks (`report.actions`' confidence). A value the block reader cannot
    read whole lowers the confidence by the check `form_unread`."""
    token = sub_address_token(parsed.to, team_address, REPLY) if team_address and reply_token else None
    bound = reply_token(token) if token and reply_token else None
    form = read_form(parsed.text, parsed.date)
    if form is None:
        return None
    if bound is None:
        return _untokened(parsed, directory, form)
    group, dossier = bound
    actions = list(form.actions)
    checks: list[str] = ["form_unread"] if form.unread else []
    rule = "report.form"
    rest = Mail(replace(parsed, text=without_form(parsed.text), new_text=without_form(parsed.new_text)))
    trace: list[SegmentReading] = []
    free, _ = read_report(rest, directory, trace)
    filled = {a.type for a in form.actions}
    extra = [a for a in free.actions if a.type not in filled] if free else []
    if extra:
        index = index_for(directory)
        checks += report_checks(trace, extra, index, rest.all_folded, parsed.sender.lower(), group, dossier,
                                group_mentions(directory, rest), rest.body.author)
        actions += extra
        rule = "report.actions"
    sure = assess(rule, checks)
    return FormReport(group, dossier, tuple(actions), sure.confidence, sure.checks)


def _untokened(parsed: ParsedMessage, directory: Directory, form: Form) -> FormReport | None:
    """A filled block with no `+r-` token (copied into a mail to the team address, or an alert
    forwarded and answered): its figures are read as certainly as a token's, but whose they are
    comes from the text, as for any report, with that reading's checks (`report.form_text`)."""
    if not form.actions:
        return None
    rest = Mail(replace(parsed, text=without_form(parsed.text), new_text=without_form(parsed.new_text)))
    trace: list[SegmentReading] = []
    found, _ = read_report(rest, directory, trace, given=form.actions)
    if found is None:
        return None
    filled = {a.type for a in form.actions}
    given = len(form.actions)
    actions = [*found.actions[:given], *(a for a in found.actions[given:] if a.type not in filled)]
    checks = ["form_unread"] if form.unread else []
    checks += report_checks(trace, actions, index_for(directory), rest.all_folded, parsed.sender.lower(),
                            found.group, found.dossier, group_mentions(directory, rest), rest.body.author,
                            found.named, parsed.date.date() if parsed.date else None)
    sure = assess("report.form_text", checks)
    return FormReport(found.group, found.dossier, tuple(actions), sure.confidence, sure.checks, "report.form_text")
