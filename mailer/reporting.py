"""`mailer report`: actions per dossier, per group and per type, the aid fund per group and year,
and the groups gone quiet, from the figures' entries (figures.py).   [pure]

A group has gone quiet when it is entrusted with an active dossier and none of its reports was
read in the last `quiet_days` (90 by default: a season, three reminder periods, and about the
time between two bulletins) before the report's day. Like reminders, this goes by when the
service read a report, not by the dates written in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .figures import ACTION_TYPES, Entry, Totals, totals, within
from .models import Directory, DossierStatus, code_key

QUIET_DAYS = 90


@dataclass(frozen=True)
class Line:
    """One row of a table: a dossier or a group, and its figures over the period."""

    key: str
    label: str
    totals: Totals

    def to_json(self, key_name: str) -> dict[str, Any]:
        return {key_name: self.key, "label": self.label, **self.totals.to_json()}


@dataclass(frozen=True)
class FundLine:
    group: str
    name: str
    year: int
    amount_eur: float
    actions: int


@dataclass(frozen=True)
class QuietGroup:
    group: str
    name: str
    email: str
    dossiers: tuple[str, ...]           # its active dossiers
    last_report: date | None            # the last of its reports read (None: never)
    days: int | None                    # days since then, as of the report's day


@dataclass(frozen=True)
class Activity:
    since: date | None
    until: date | None
    as_of: date
    quiet_days: int
    total: Totals
    dossiers: list[Line]
    groups: list[Line]
    fund: list[FundLine]
    quiet: list[QuietGroup]

    def to_json(self) -> dict[str, Any]:
        day = (lambda d: d.isoformat() if d else None)
        return {
            "since": day(self.since), "until": day(self.until), "as_of": self.as_of.isoformat(),
            "quiet_days": self.quiet_days, "total": self.total.to_json(),
            "dossiers": [line.to_json("dossier") for line in self.dossiers],
            "groups": [line.to_json("group") for line in self.groups],
            "fund": [{"group": f.group, "name": f.name, "year": f.year, "amount_eur": round(f.amount_eur, 2),
                      "actions": f.actions} for f in self.fund],
            "quiet": [{"group": q.group, "name": q.name, "email": q.email, "dossiers": list(q.dossiers),
                       "last_report": day(q.last_report), "days": q.days} for q in self.quiet],
        }


def _by(found: Iterable[Entry], key: str) -> dict[str, list[Entry]]:
    grouped: dict[str, list[Entry]] = {}
    for e in found:
        grouped.setdefault(getattr(e, key), []).append(e)
    return grouped


def activity(found: list[Entry], directory: Directory, as_of: date, since: date | None = None,
             until: date | None = None, dossier: str | None = None, group: str | None = None,
             quiet_days: int = QUIET_DAYS) -> Activity:
    """The whole report: `found` every entry (figures.entries), filtered here."""
    period = within(found, since, until, dossier, group)
    dossiers = [Line(ref, _dossier_label(directory, ref), totals(es))
                for ref, es in sorted(_by(period, "dossier").items(), key=lambda kv: kv[0] or "~")]
    groups = [Line(code, _group_label(directory, code), totals(es))
              for code, es in sorted(_by(period, "group").items(), key=lambda kv: kv[0] or "~")]
    fund: dict[tuple[str, int], list[float]] = {}
    for e in period:
        if e.type == "fund" and e.amount_eur is not None:
            slot = fund.setdefault((e.group, e.day.year), [0.0, 0])
            slot[0] += e.amount_eur
            slot[1] += 1
    fund_lines = [FundLine(code, _group_label(directory, code), year, amount, int(n))
                  for (code, year), (amount, n) in sorted(fund.items(), key=lambda kv: (kv[0][0] or "~", kv[0][1]))]
    return Activity(since, until, as_of, quiet_days, totals(period), dossiers, groups, fund_lines,
                    quiet_groups(found, directory, as_of, quiet_days, dossier, group))


def quiet_groups(found: Iterable[Entry], directory: Directory, as_of: date, quiet_days: int = QUIET_DAYS,
                 dossier: str | None = None, group: str | None = None) -> list[QuietGroup]:
    """Groups entrusted with an active dossier (that dossier, with `dossier`) whose last report
    read (on it) is more than `quiet_days` before `as_of`, or who never reported; longest silent first."""
    want_dossier = code_key(dossier) if dossier else None
    active: dict[str, list[str]] = {}
    for d in directory.dossiers:
        if d.status != DossierStatus.ACTIVE or (want_dossier and code_key(d.ref) != want_dossier):
            continue
        for code in d.groups:
            active.setdefault(code_key(code), []).append(d.ref)
    last: dict[str, date] = {}
    for e in found:
        if e.group in active and e.received <= as_of and (want_dossier is None or e.dossier == want_dossier):
            if e.group not in last or e.received > last[e.group]:
                last[e.group] = e.received
    quiet = []
    for code, refs in active.items():
        if group and code != code_key(group):
            continue
        seen = last.get(code)
        days = (as_of - seen).days if seen else None
        if days is None or days > quiet_days:
            known = directory.group(code)
            quiet.append(QuietGroup(code, known.name if known else code, known.email if known else "",
                                    tuple(sorted(refs)), seen, days))
    return sorted(quiet, key=lambda q: (q.last_report is not None, q.last_report or date.min, q.group))


def _dossier_label(directory: Directory, ref: str) -> str:
    if not ref:
        return "(no dossier named)"
    found = directory.dossier(ref)
    return f"{found.person} ({found.country})" if found else "(not in the store)"


def _group_label(directory: Directory, code: str) -> str:
    if not code:
        return "(no group named)"
    found = directory.group(code)
    return found.name if found else "(not in the store)"


# --- the sheet: one row per dossier, group, action type and year ------------------------------

SHEET_COLUMNS = {"dossier": "Dossier", "person": "Personne", "group": "Groupe", "group_name": "Nom du groupe",
                 "type": "Action", "year": "Année", "reports": "Comptes rendus", "actions": "Actions",
                 "count": "Nombre", "amount_eur": "Montant (€)"}


def sheet_rows(found: Iterable[Entry], directory: Directory) -> list[dict[str, Any]]:
    """What `--csv` writes: every other table of the report is a pivot of these rows."""
    cells: dict[tuple[str, str, str, int], list[Entry]] = {}
    for e in found:
        cells.setdefault((e.dossier, e.group, e.type, e.day.year), []).append(e)
    order = {t: i for i, t in enumerate(ACTION_TYPES)}
    rows = []
    for (ref, code, kind, year), es in sorted(cells.items(), key=lambda kv: (kv[0][0] or "~", kv[0][1] or "~",
                                                                               order.get(kv[0][2], 99), kv[0][3])):
        dossier, group = directory.dossier(ref) if ref else None, directory.group(code) if code else None
        amounts = [e.amount_eur for e in es if e.amount_eur is not None]
        rows.append({"dossier": ref, "person": dossier.person if dossier else "", "group": code,
                     "group_name": group.name if group else "", "type": kind, "year": year,
                     "reports": len({e.report for e in es}), "actions": len(es),
                     "count": sum(e.count or 0 for e in es) if kind not in ("fund", "collaboration") else "",
                     "amount_eur": round(sum(amounts), 2) if amounts else ""})
    return rows
