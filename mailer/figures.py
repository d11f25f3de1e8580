"""What the groups did, counted from the stored reports: per dossier, per group, per type.   [pure]

One reading of the reports for every place that says a figure: campaign templates (`figures`),
`mailer report` (reporting.py) and `mailer dashboard`, so a reminder and the dashboard never
disagree. Rules:
- an action counts on the day it was done when its report says so, else on the day its report
  was read (in the team's zone); `since` and `until` are inclusive days;
- a deleted report counts nowhere; a report still in triage is not a report yet;
- a count a volunteer did not give ("une vingtaine de lettres") adds one action and no count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, tzinfo
from typing import Any

from .clock import parse_iso
from .models import Directory, Group, GroupKind, code_key
from .store.records import Report, ReportState

# inbound.understand.actions.ActionType's values (the core does not import a wing; tests check both agree)
ACTION_TYPES = ("petition", "letter_authorities", "letter_support", "advocacy", "awareness", "collaboration", "fund")


@dataclass(frozen=True, slots=True)
class Entry:
    """One action of one report, flattened: what every figure is summed from."""

    day: date               # when it was done (the report's own date for it, else when the report was read)
    received: date          # when its report was read, in the team's zone
    dossier: str            # upper case; "" when the report named none
    group: str              # upper case; "" when the report named none
    type: str
    count: int | None
    amount_eur: float | None
    report: int             # the report's id


def entries(reports: Iterable[Report], tz: tzinfo) -> list[Entry]:
    """Every action of every report that counts (not deleted), oldest report first."""
    found = []
    for report in reports:
        if report.state == ReportState.DELETED:
            continue
        moment = parse_iso(report.date)
        if moment is None:
            continue                    # a record with no reading date cannot be placed in time
        received = moment.astimezone(tz).date()
        dossier, group = code_key(report.dossier or ""), code_key(report.group or "")
        for action in report.actions:
            day = _day(action.get("date")) or received
            count, amount = action.get("count"), action.get("amount_eur")
            found.append(Entry(day, received, dossier, group, str(action.get("type", "")),
                               int(count) if isinstance(count, (int, float)) else None,
                               float(amount) if isinstance(amount, (int, float)) else None, report.id))
    return found


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def within(found: Iterable[Entry], since: date | None = None, until: date | None = None,
           dossier: str | None = None, group: str | None = None) -> list[Entry]:
    """The entries of a period (inclusive days), of one dossier and/or one group (any case)."""
    want_dossier = code_key(dossier) if dossier else None
    want_group = code_key(group) if group else None
    return [e for e in found if (since is None or e.day >= since) and (until is None or e.day <= until)
            and (want_dossier is None or e.dossier == want_dossier) and (want_group is None or e.group == want_group)]


@dataclass(frozen=True)
class TypeTotal:
    actions: int = 0            # how many times the type was reported
    count: int = 0              # the counts given, added up (letters, signatures...)
    amount_eur: float = 0.0     # for `fund`


@dataclass(frozen=True)
class Totals:
    """The figures templates print (`figures.letters`...) and every report table shows."""

    reports: int = 0
    actions: int = 0
    letters: int = 0                    # to the authorities and of support
    letters_authorities: int = 0
    letters_support: int = 0
    signatures: int = 0                 # petition
    officials: int = 0                  # advocacy: officials met or written to
    events: int = 0                     # awareness
    collaborations: int = 0             # actions with other organisations
    fund_eur: float = 0.0
    by_type: dict[str, TypeTotal] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "by_type"}
        data["fund_eur"] = _money(self.fund_eur)
        data["by_type"] = {k: {"actions": t.actions, "count": t.count, "amount_eur": _money(t.amount_eur)}
                           for k, t in self.by_type.items()}
        return data


def _money(amount: float) -> float | int:
    amount = round(amount, 2)
    return int(amount) if amount == int(amount) else amount


def totals(found: Iterable[Entry]) -> Totals:
    actions: dict[str, list[int]] = {}
    amounts: dict[str, float] = {}
    reports: set[int] = set()
    for e in found:
        reports.add(e.report)
        slot = actions.setdefault(e.type, [0, 0])
        slot[0] += 1
        slot[1] += e.count or 0
        if e.amount_eur is not None:
            amounts[e.type] = amounts.get(e.type, 0.0) + e.amount_eur
    order = {t: i for i, t in enumerate(ACTION_TYPES)}
    by_type = {t: TypeTotal(n, c, amounts.get(t, 0.0))
               for t, (n, c) in sorted(actions.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))}

    def count(kind: str) -> int:
        return by_type[kind].count if kind in by_type else 0

    return Totals(reports=len(reports), actions=sum(t.actions for t in by_type.values()),
                  letters=count("letter_authorities") + count("letter_support"),
                  letters_authorities=count("letter_authorities"), letters_support=count("letter_support"),
                  signatures=count("petition"), officials=count("advocacy"), events=count("awareness"),
                  collaborations=by_type["collaboration"].actions if "collaboration" in by_type else 0,
                  fund_eur=sum(t.amount_eur for t in by_type.values()), by_type=by_type)


@dataclass(frozen=True)
class DossierFigures(Totals):
    """A dossier's figures for its campaigns' templates: `figures.letters`, `figures.groups_reported`..."""

    ref: str = ""
    since: date | None = None
    until: date | None = None
    groups_reported: tuple[Group, ...] = ()     # entrusted or not, every group that reported in the period
    groups_silent: tuple[Group, ...] = ()       # entrusted with the dossier, no report in the period
    by_group: Mapping[str, Totals] = field(default_factory=dict)   # group code -> its own figures
    last_report: date | None = None             # the last time one of its reports was read (any period)


def dossier_figures(found: Iterable[Entry], directory: Directory, ref: str,
                    since: date | None = None, until: date | None = None) -> DossierFigures:
    """Figures of one dossier over a period (every report when `since` and `until` are None)."""
    key = code_key(ref)
    mine = [e for e in found if e.dossier == key]
    period = within(mine, since, until)
    groups: dict[str, list[Entry]] = {}
    for e in period:
        if e.group:
            groups.setdefault(e.group, []).append(e)
    dossier = directory.dossier(ref)
    entrusted = [code_key(c) for c in dossier.groups] if dossier else []
    reported = [_group(directory, code) for code in sorted(groups)]
    silent = [_group(directory, code) for code in entrusted if code not in groups]
    overall = totals(period)
    return DossierFigures(**{f.name: getattr(overall, f.name) for f in fields(Totals)},
                          ref=dossier.ref if dossier else key, since=since, until=until,
                          groups_reported=tuple(reported), groups_silent=tuple(silent),
                          by_group={code: totals(group) for code, group in sorted(groups.items())},
                          last_report=max((e.received for e in mine), default=None))


def _group(directory: Directory, code: str) -> Group:
    """The directory's group, or a stand-in named by its code (a group deleted since it reported)."""
    return directory.group(code) or Group(code=code, name=code, kind=GroupKind.GROUPE_LOCAL)


# --- French numbers, for templates and the dashboard ------------------------------------------

NBSP = "\u00a0"


def french_number(value: float | int | None, decimals: int = 0) -> str:
    """`1 320`, `62,50`: French grouping (a no-break space) and a decimal comma."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}" if decimals else f"{round(value):,}"
    return text.replace(",", NBSP).replace(".", ",")


def french_euros(value: float | int | None) -> str:
    """`350 €`, `62,50 €`: cents only when there are some."""
    if value is None:
        return ""
    amount = round(float(value), 2)
    return f"{french_number(amount, 0 if amount == int(amount) else 2)}{NBSP}€"
