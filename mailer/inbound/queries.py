"""What the inbox recorded, for people: triage items and action reports (the CLI's queries)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..errors import MailerError
from ..sheets.exporter import REPORT_COLUMNS
from ..models import Directory, code_key
from ..store.records import ReportState, TriageStatus
from ..store.schema import REPORTS, TRIAGE
from ..store import Store
from .summaries import action_line

CSV_COLUMNS = list(REPORT_COLUMNS)


class RecordNotFound(MailerError):
    """No triage item or report with that id."""


def triage_items(store: Store, include_resolved: bool = False) -> list[dict[str, Any]]:
    items = [t for t in store.snapshot().table(TRIAGE) if include_resolved or t.status == TriageStatus.OPEN]
    items.sort(key=lambda t: (t.status != TriageStatus.OPEN, t.date, t.id))
    return [t.to_doc() for t in items]


def triage_item(store: Store, item_id: int) -> dict[str, Any]:
    found = store.snapshot().table(TRIAGE).get(item_id)
    if found is None:
        raise RecordNotFound(f"no triage item {item_id} (see `mailer triage list --all`)")
    return found.to_doc()


def resolve_triage(store: Store, item_id: int, note: str = "", by: str = "") -> dict[str, Any]:
    from ..registry import now_iso

    with store.transaction() as tx:
        table = tx.table(TRIAGE)
        item = table.get(item_id)
        if item is None:
            raise RecordNotFound(f"no triage item {item_id} (see `mailer triage list --all`)")
        item = replace(item, status=TriageStatus.RESOLVED, resolved=now_iso(), note=note or item.note,
                       by=by or item.by, outcome=item.outcome or "resolved by hand")
        table.update(item_id, item)
        return item.to_doc()


def report(store: Store, report_id: int) -> dict[str, Any] | None:
    found = store.snapshot().table(REPORTS).get(report_id)
    return found.to_doc() if found else None


def state(doc: dict[str, Any]) -> str:
    """A report's state for people: applied (as read), corrected (by a person) or deleted."""
    return str(doc.get("state") or "applied")


def reports(store: Store, dossier: str | None = None, group: str | None = None,
            directory: Directory | None = None, include_deleted: bool = False) -> list[dict[str, Any]]:
    """Reports, oldest first, for one dossier and/or group (in any case); a deleted report counts
    in no total, so only `include_deleted` lists it.

    With a `directory`, a ref or code that is neither known there nor in any report is an
    error: `--dossier DI-2025-41` listing nothing would read as "no report yet".
    """
    docs = [r.to_doc() for r in store.snapshot().table(REPORTS)
            if include_deleted or r.state != ReportState.DELETED]
    checks = (("dossier", dossier, "mailer dossiers list"), ("group", group, "mailer groups list"))
    for name, wanted, hint in checks:
        if wanted is None or directory is None:
            continue
        known = directory.dossier(wanted) if name == "dossier" else directory.group(wanted)
        if known is None and not any(code_key(str(d.get(name) or "")) == code_key(wanted) for d in docs):
            raise RecordNotFound(f"no {name} {wanted!r} in the store nor in any report ({hint})")
    found = [d for d in docs if all(wanted is None or code_key(str(d.get(name) or "")) == code_key(wanted)
                                    for name, wanted, _ in checks)]
    return sorted(found, key=lambda d: (d.get("date", ""), d.get("id", 0)))


def report_rows(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One CSV row per action (a report with no action would not have been recorded)."""
    return [{"date": r.get("date", ""), "dossier": r.get("dossier") or "", "group": r.get("group") or "",
             "sender": r.get("sender", ""), "type": a.get("type", ""),
             "count": "" if a.get("count") is None else a["count"],
             "amount_eur": "" if a.get("amount_eur") is None else a["amount_eur"],
             "action_date": a.get("date") or "", "message_id": r.get("message_id", "")}
            for r in found for a in r.get("actions", [])]


def action_text(action: dict[str, Any]) -> str:
    return action_line(action)
