"""The daily reminders: `mailer reminders plan` (what a day's run would send, and why) and
`mailer reminders list` (what the service recorded and sent). The service sends them itself."""

from __future__ import annotations

from datetime import datetime

import click

from ..store.schema import REMINDERS
from . import App, handle_errors, main, pass_app
from .data import _show, json_option


@main.group("reminders")
def reminders_group() -> None:
    """Reminders to the groups of each active dossier: due at once for a group that never reported
    on it, `[reminders] after_days` after its last report otherwise; after two unanswered ones, a
    note to the référent. `mailer serve` sends them once a day from `[reminders] hour`.

    \b
    Example:
      mailer reminders plan
    """


@reminders_group.command("plan")
@json_option
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Plan for this day (YYYY-MM-DD, the team's zone) instead of today; records after it are left out.")
@click.option("--all", "show_all", is_flag=True,
              help="Also list each group and dossier that gets nothing that day, and why.")
@pass_app
@handle_errors
def reminders_plan(app: App, as_json: bool, as_of: datetime | None, show_all: bool) -> None:
    """What the day's run would send and why: per group and dossier, the address (`to`), when its
    last report was received, the action (a reminder, or a note to the référent) and the reason.
    Sends nothing and records nothing. `--json`: one object per line with group, dossier, to,
    last_report, reason, action, detail, in_triage, reminders (the days of the unanswered ones), due.

    \b
    Example:
      mailer reminders plan --as-of 2027-01-15 --json
    """
    from ..app.reminders import plan_for
    day = as_of.date() if as_of else datetime.now(app.config.team.tz).date()
    items = plan_for(app.config, app.store, day).items
    rows = [item.to_json() for item in items if show_all or item.sends]
    _show(rows, [("group", "Group"), ("dossier", "Dossier"), ("to", "To"), ("last_report", "Last report"),
                 ("action", "Sends"), ("detail", "Why")],
          f"Reminders for {day}", as_json, app.config.team.tz, ("last_report",))


@reminders_group.command("list")
@json_option
@pass_app
@handle_errors
def reminders_list(app: App, as_json: bool) -> None:
    """The reminders and référent notes the service recorded, newest first: day, kind, group,
    dossier, to, why, status (pending, sent, skipped: suppressed or answered before it left,
    refused, error) and when it was sent.

    \b
    Example:
      mailer reminders list --json
    """
    rows = sorted((r.to_doc() for r in app.store.snapshot().table(REMINDERS)),
                  key=lambda r: (r.get("planned", ""), r.get("id", 0)), reverse=True)
    _show(rows, [("day", "Day"), ("kind", "Kind"), ("group", "Group"), ("dossier", "Dossier"), ("to", "To"),
                 ("reason", "Why"), ("status", "Status"), ("sent", "Sent")],
          "Reminders", as_json, app.config.team.tz, ("sent",))
