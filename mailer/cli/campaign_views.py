"""How `mailer campaign` shows a campaign to people: its status, the list table, the progress bar."""

from __future__ import annotations

import io
import time

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from ..clock import for_people
from ..outbound.status import CampaignStatus
from . import App


def describe(status: CampaignStatus, app: App) -> str:
    text = (f"{status.name}: {status.state} — {status.total} recipients, {status.sent} sent, "
            f"{status.failed} failed, {status.suppressed} suppressed, {status.pending} pending")
    tz = app.config.team.tz
    if status.started:
        text += f"\nstarted {for_people(status.started, tz)}"
        if status.finished:
            text += f", finished {for_people(status.finished, tz)}"
        text += f" ({app.config.team.timezone})"
    if status.reason:
        text += f"\nreason: {status.reason}"
    text += schedule_lines(status, app)
    if status.in_flight and status.pending:
        text += (f"\n{status.in_flight} of the pending recipients have no recorded result: a run stopped (crash, "
                 "kill, or a connection lost before the server's reply) while their message was being sent. "
                 "They may have received it; the next send sends it again, so they may get a second copy.")
    if status.possible_duplicates:
        text += (f"\n{status.possible_duplicates} recipient(s) may have received two copies: an attempt's result "
                 "was unknown, and the message was sent again.")
    if status.differs:
        text += "\nnote: the file differs from the campaign frozen under this name:" + bullets(status.differs)
    return text


def schedule_lines(status: CampaignStatus, app: App) -> str:
    """Its schedule and its approval (issue 10), for people; '' when it has neither."""
    tz, zone = app.config.team.tz, app.config.team.timezone
    text = ""
    limit = f", never after {for_people(status.not_after, tz)}" if status.not_after else ""
    if status.send_at and status.state == "scheduled":
        by = f"; scheduled by {status.scheduled_by}" if status.scheduled_by else ""
        text += f"\nscheduled: the service sends it at {for_people(status.send_at, tz)} ({zone}){limit}{by}"
    elif status.send_at and status.state == "draft":
        text += (f"\nsend_at: {for_people(status.send_at, tz)} ({zone}){limit}; `mailer campaign send` schedules it "
                 "(a file in the folder never sends on its own)")
    elif status.send_at:
        text += f"\nscheduled for {for_people(status.send_at, tz)} ({zone}){limit}"
    elif status.not_after:
        text += f"\nnot after {for_people(status.not_after, tz)} ({zone})"
    approval = status.approval
    if approval and approval.get("needed") and (approval.get("approved_by") or status.state not in ("done", "cancelled")):
        text += f"\napproval: needed ({approval['why']})"
        if approval.get("approved_by"):
            text += (f"; approved by {approval['approved_by']} on {for_people(approval['approved_at'], tz)} "
                     f"({approval['via']})")
        else:
            who = ", ".join(approval.get("can_approve") or []) or "nobody (add a coordinator to [team])"
            text += f"; not approved yet; who can approve: {who}"
            if approval.get("requested_from"):
                text += f"; request mailed to {', '.join(approval['requested_from'])}"
            if approval.get("voided"):
                text += f"\n  ({approval['voided']})"
    return text


def bullets(lines: list[str]) -> str:
    return "".join(f"\n  - {line}" for line in lines)


def when(status: CampaignStatus, app: App) -> str:
    """When a campaign was sent, for people: "2026-11-28 01:29 (Europe/Paris)"."""
    moment = status.finished or status.started or status.updated
    return f"{for_people(moment, app.config.team.tz)} ({app.config.team.timezone})" if moment else "at an unknown date"


class ProgressBar:
    """count, rate, ETA; rich draws it on a terminal, and prints a final line elsewhere."""

    def __init__(self, pending: int) -> None:
        self.console = Console(stderr=True)
        self.progress = Progress(TextColumn("[bold]sending"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]:>6.0f} msg/s"), TimeRemainingColumn(),
                                 TextColumn("{task.fields[note]}"), console=self.console,
                                 disable=not self.console.is_terminal)
        self.task = self.progress.add_task("send", total=pending, rate=0.0, note="")
        self.started = time.monotonic()

    def update(self, counts: dict[str, int]) -> None:
        done = counts["sent"] + counts["failed"] + counts["suppressed"] + counts["deferred"]
        elapsed = max(time.monotonic() - self.started, 1e-6)
        note = f"{counts['failed']} failed, {counts['suppressed']} suppressed" if done else ""
        self.progress.update(self.task, completed=done, rate=counts["sent"] / elapsed, note=note)

    def __enter__(self) -> "ProgressBar":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def render_list(rows: list[CampaignStatus], app: App, width: int = 80) -> str:
    """The table, readable at 80 columns: long names wrap, nothing is cut."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("name", overflow="fold", ratio=1)
    table.add_column("kind", no_wrap=True)
    table.add_column("state", no_wrap=True)
    for title in ("sent", "failed", "left"):
        table.add_column(title, justify="right", no_wrap=True)
    table.add_column("updated", no_wrap=True)
    tz = app.config.team.tz
    for r in rows:
        counts = ("-", "-", "-") if r.state in ("invalid", "conflict") else \
            (f"{r.sent}/{r.total}", str(r.failed), str(r.pending))
        table.add_row(Text(r.name), r.kind, r.state, *counts, for_people(r.updated, tz)[:10])
    out = io.StringIO()
    console = Console(width=width, file=out, force_terminal=False, color_system=None)
    console.print(table)
    for r in rows:
        if r.reason and r.state in ("invalid", "conflict"):
            console.print(Text(f"{r.name} ({r.state}): {r.reason}"), overflow="fold")
    return out.getvalue().rstrip("\n")
