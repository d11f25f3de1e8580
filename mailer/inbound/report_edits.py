"""Corrections to a recorded report: "si c'est inexact, répondez" (issue 9 §4; `mailer reports edit|delete`).

A report is never rewritten silently: each change appends to its `history` what it was, who changed
it, when and why (`--note`), and marks it `corrected`; a deleted report keeps its record and
history but counts in no total (`queries.reports` leaves it out). A correction made from the
volunteer's answer names the triage item of that answer (`--triage ID`): the item is resolved and
linked to the report, and the report's history names the item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..models import code_key
from ..registry import load_directory, now_iso
from ..store import Store, Transaction
from ..store.records import Report, ReportState, TriageStatus
from ..store.schema import REPORTS, TRIAGE
from .actionspec import action_of, merge
from .corrections import CorrectionError, known_place
from .queries import RecordNotFound


DONE = {"edit": "corrected", "delete": "deleted"}


def _open(tx: Transaction, report_id: int) -> Report:
    report = tx.table(REPORTS).get(report_id)
    if report is None:
        raise RecordNotFound(f"no report {report_id} (see `mailer reports list --all`)")
    if report.state == ReportState.DELETED:
        last = (report.history or [{}])[-1]
        raise CorrectionError(f"report {report_id} was deleted ({last.get('date', '')} by {last.get('by', '?')}); "
                              "nothing changed")
    return report


def _reply_item(tx: Transaction, item_id: int | None, report_id: int) -> Any:
    """The open triage item of the volunteer's answer, checked before anything is written."""
    if item_id is None:
        return None
    item = tx.table(TRIAGE).get(item_id)
    if item is None:
        raise RecordNotFound(f"no triage item {item_id} (see `mailer triage list --all`)")
    if item.status != TriageStatus.OPEN:
        raise CorrectionError(f"triage item {item_id} is already resolved; nothing changed")
    if item.link and item.link != f"report:{report_id}":
        raise CorrectionError(f"triage item {item_id} is about {item.link}, not report:{report_id}; nothing changed")
    return item


def _change(tx: Transaction, report: Report, new: Report, change: str, by: str, note: str,
            item_id: int | None) -> dict[str, Any]:
    item = _reply_item(tx, item_id, report.id)
    date = now_iso()
    was = {"group": report.group, "dossier": report.dossier, "actions": report.actions}
    entry = {"date": date, "by": by, "change": change, "was": was,
             **({"note": note} if note else {}), **({"triage": item_id} if item_id is not None else {})}
    new = replace(new, history=[*(report.history or []), entry])
    tx.table(REPORTS).update(report.id, new)
    if item is not None:
        step = {"date": date, "by": by, "change": f"reports {change}", "detail": f"report:{report.id}"}
        tx.table(TRIAGE).update(item.id, replace(item, status=TriageStatus.RESOLVED, resolved=date, by=by,
                                                 outcome=f"report:{report.id} {DONE[change]}",
                                                 note=note or item.note, history=[*(item.history or []), step]))
    return new.to_doc()


def edit_report(store: Store, report_id: int, group: str | None, dossier: str | None, actions: Sequence[str],
                by: str, note: str = "", item_id: int | None = None) -> dict[str, Any]:
    """Change a report's group, dossier or actions (the options replace what they name)."""
    if group is None and dossier is None and not actions:
        raise CorrectionError("nothing to change: give --group, --dossier or --action")
    directory = load_directory(store.snapshot())
    with store.transaction() as tx:
        report = _open(tx, report_id)
        group, dossier = known_place(directory, group, dossier)
        merged = merge([action_of(a) for a in report.actions], actions)
        if not merged:
            raise CorrectionError(f"report {report_id} would have no action left: use `mailer reports delete "
                                  f"{report_id}` to take it out of the totals")
        new = replace(report, state=ReportState.CORRECTED,
                      group=group if group is not None else report.group,
                      dossier=dossier if dossier is not None else report.dossier,
                      actions=[a.to_json() for a in merged])
        if (code_key(new.group or ""), code_key(new.dossier or ""), new.actions) == \
                (code_key(report.group or ""), code_key(report.dossier or ""), report.actions):
            raise CorrectionError(f"report {report_id} already says that; nothing changed")
        return _change(tx, report, new, "edit", by, note, item_id)


def delete_report(store: Store, report_id: int, by: str, note: str = "", item_id: int | None = None) -> dict[str, Any]:
    """Take a report out of every total; its record and history stay."""
    with store.transaction() as tx:
        report = _open(tx, report_id)
        return _change(tx, report, replace(report, state=ReportState.DELETED), "delete", by, note, item_id)
