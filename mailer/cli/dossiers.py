"""`mailer dossiers add|edit|set-status|show` and `mailer alert`: a dossier's lifecycle and its mail.

Every change is one call into `lifecycle` (one transaction, one dated event). A release or an
acquittal writes a thank-you campaign for review (`outbound/drafting.py`), never sends it;
`mailer alert` writes an alert's campaign file, then previews and sends it through the very
`campaign preview` and `campaign send` commands, confirmation included.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from .. import lifecycle
from ..clock import for_people
from ..dossiers import parse_day, public_view, thanks_due
from ..errors import MailerError
from ..models import DossierOutcome, DossierStatus
from ..outbound import drafting
from ..registry import load_directory
from . import App, handle_errors, main, pass_app, yes_option
from .campaign import preview, send
from .data import _cell, dossiers_group, json_option
from .suppressions import who

ALERT_DAYS = 14         # an alert's deadline when none is given: two weeks, the usual urgent-action span

by_option = click.option("--by", default=None, help="Who makes the change, kept in the history (default: cli:<login>).")
note_option = click.option("--note", default="", help="A few words kept with the change in the dossier's history.")


def _field_options(func: Any) -> Any:
    """The fields `add` and `edit` take (an empty value clears one in `edit`)."""
    for name, helptext in reversed((
            ("--person", "The person (or people) the dossier is for."),
            ("--country", "The country."),
            ("--referent", "The référent's e-mail address."),
            ("--groups", "The codes of the groups entrusted with it, separated by ',' or ';' (replaces the list)."),
            ("--summary", "A short public text about the case (shown only if 'summary' is public)."),
            ("--public", "The fields the bulletin may show, e.g. person,country,summary,outcome "
                         "(also ref, status, groups; French column names too; 'none' for none)."))):
        func = click.option(name, default=None, help=helptext)(func)
    return func


OPTION_FIELDS = {"person": "person", "country": "country", "referent": "referent_email", "groups": "groups",
                 "summary": "summary", "public": "public"}


def _cells(options: dict[str, str | None]) -> dict[str, tuple[str, str]]:
    cells = {}
    for option, field in OPTION_FIELDS.items():
        text = options.get(option)
        if text is not None:
            text = "" if field == "public" and text.strip().lower() in ("none", "aucun", "-") else text
            cells[field] = (f"--{option}", text)
    return cells


def _today(app: App) -> date:
    return datetime.now(UTC).astimezone(app.config.team.tz).date()


def _day(app: App, text: str | None) -> date:
    """`--date`: a day that happened (today by default, in the team's zone)."""
    today = _today(app)
    if text is None:
        return today
    try:
        day = parse_day(text, "--date")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--date") from None
    if day > today:
        raise click.BadParameter(f"{day.isoformat()} is after today ({today.isoformat()}): record a change once "
                                 "it has happened", param_hint="--date")
    return day


def _shown(path: Path) -> str:
    """A path as the coordinator types it from here."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd().resolve()) else str(path)
    except ValueError:
        return str(path)


def _label(status: str) -> str:
    return DossierStatus(status).label if status in set(DossierStatus) else status


def _outcome(outcome: str) -> str:
    return DossierOutcome(outcome).label if outcome in set(DossierOutcome) else outcome


@dossiers_group.command("add")
@click.argument("ref")
@_field_options
@click.option("--status", default="actif", show_default=True, help="actif, suspendu or clos.")
@note_option
@by_option
@pass_app
@handle_errors
def dossiers_add(app: App, ref: str, status: str, note: str, by: str | None, **options: str | None) -> None:
    """Add the dossier REF (--person is required); recorded in its history.

    \b
    Example:
      mailer dossiers add DI-2026-003 --person "Leïla Sadeghi" --country Iran --groups G037 --referent ref@example.org
    """
    change = lifecycle.add_dossier(app.store, ref, _cells(options), status, by or who(), _today(app), note)
    d = change.after
    click.echo(f"Added {d.ref}: {d.person}" + (f" ({d.country})" if d.country else "") + f", {_label(d.status)}"
               + (f", groups {', '.join(d.groups)}" if d.groups else ", no group yet") + ".")


@dossiers_group.command("edit")
@click.argument("ref")
@_field_options
@note_option
@by_option
@pass_app
@handle_errors
def dossiers_edit(app: App, ref: str, note: str, by: str | None, **options: str | None) -> None:
    """Change fields of the dossier REF (an empty value clears one); recorded in its history.

    The status and the outcome are changed by `mailer dossiers set-status`, with a date.

    \b
    Example:
      mailer dossiers edit DI-2025-014 --public person,country,summary,outcome --summary "Journaliste, détenue depuis 2024."
    """
    change = lifecycle.edit_dossier(app.store, ref, _cells(options), by or who(), _today(app), note)
    if change.event is None:
        click.echo(f"{change.after.ref}: nothing changed, nothing recorded.")
        return
    click.echo(f"{change.after.ref}: changed {', '.join(change.event.changes or []) or 'nothing (note kept)'}.")


@dossiers_group.command("set-status")
@click.argument("ref")
@click.argument("status")
@click.option("--date", "day", default=None, help="The day it happened: 2026-03-20 or 20/03/2026 (default: today).")
@click.option("--outcome", default=None,
              help="libéré·e, acquitté·e, peine réduite or décédé·e (with or without ·e; or released, acquitted, "
                   "sentence_reduced, deceased); aucun clears it.")
@note_option
@by_option
@click.option("--no-thanks", is_flag=True, help="Do not write the thank-you campaign a release or an acquittal offers.")
@pass_app
@handle_errors
def dossiers_set_status(app: App, ref: str, status: str, day: str | None, outcome: str | None, note: str,
                        by: str | None, no_thanks: bool) -> None:
    """Set the status of REF (actif, suspendu, clos) as of --date, with its outcome; recorded in its history.

    A release or an acquittal writes a thank-you campaign to every group that worked on the
    dossier (entrusted with it, or that reported on it) into the campaigns folder, for review:
    nothing is sent until you send it.

    \b
    Example:
      mailer dossiers set-status DI-2025-014 clos --outcome libéré·e --date 2026-03-20 --note "Libérée le matin"
    """
    when = _day(app, day)
    drafts, prepare = drafting.thanks_preparer(app.config, when, wanted=not no_thanks)
    change = lifecycle.set_status(app.store, ref, status, outcome, when, by or who(), note, prepare)
    before, after = change.before, change.after
    if change.event is None:
        click.echo(f"{after.ref}: already {_label(after.status)}" + (f", {_outcome(after.outcome)}" if after.outcome
                                                                      else "") + ": nothing recorded.")
        return
    moved = (f"{_label(before.status)} -> {_label(after.status)}" if before and before.status != after.status
             else _label(after.status))
    result = f", outcome {_outcome(after.outcome)}" if after.outcome else ""
    click.echo(f"{after.ref}: {moved}{result}, as of {when.isoformat()}: recorded.")
    for draft in drafts:
        path = _shown(draft.path)
        click.echo((f"Thank-you mailing written for review (nothing is sent): {path}" if draft.written
                    else f"Thank-you mailing already written: {path} (left as it is)")
                   + f"\n  preview it: mailer campaign preview {path}\n  send it:    mailer campaign send {path}")
    if thanks_due(before, after) and not drafts and not no_thanks:
        click.echo(f"No group is entrusted with {after.ref} or reported on it: no thank-you mailing written.")


def _event_row(doc: dict[str, Any], tz: Any) -> list[str]:
    return [doc.get("date", ""), doc.get("kind", ""), _label(doc.get("status", "")), _outcome(doc.get("outcome", "")),
            ", ".join(doc.get("changes") or []), doc.get("note", ""), doc.get("by", ""),
            for_people(doc.get("recorded"), tz)]


@dossiers_group.command("show")
@click.argument("ref")
@json_option
@pass_app
@handle_errors
def dossiers_show(app: App, ref: str, as_json: bool) -> None:
    """Show the dossier REF, what the bulletin may show of it, and its history of changes.

    \b
    Example:
      mailer dossiers show DI-2025-014 --json
    """
    dossier, events = lifecycle.history(app.store.snapshot(), ref)
    doc = {"ref": dossier.ref, "person": dossier.person, "country": dossier.country, "status": str(dossier.status),
           "outcome": str(dossier.outcome or ""), "referent_email": dossier.referent_email, "groups": dossier.groups,
           "summary": dossier.summary, "public": dossier.public, "public_view": public_view(dossier),
           "events": [e.to_doc() for e in events]}
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False))
        return
    lines = [f"{dossier.ref}: {dossier.person}" + (f" ({dossier.country})" if dossier.country else ""),
             f"  status:   {_label(dossier.status)}" + (f", {_outcome(dossier.outcome)}" if dossier.outcome else ""),
             f"  référent: {dossier.referent_email or '(none)'}",
             f"  groups:   {', '.join(dossier.groups) or '(none)'}",
             f"  summary:  {dossier.summary or '(none)'}",
             f"  public:   {', '.join(dossier.public) if dossier.public else 'nothing (the bulletin shows none of it)'}"]
    click.echo("\n".join(lines))
    if not events:
        click.echo("No recorded change yet.")
        return
    table = Table(title=f"History ({len(events)})")
    for header in ("Date", "Event", "Status", "Outcome", "Changed", "Note", "By", "Recorded"):
        table.add_column(header, overflow="fold")
    for event in events:
        table.add_row(*(_cell(v) for v in _event_row(event.to_doc(), app.config.team.tz)))
    Console().print(table)


@main.command("alert")
@click.argument("ref")
@click.option("--template", default=drafting.ALERT_TEMPLATE, show_default=True,
              help="The template of the message (templates/NAME.html, + .txt).")
@click.option("--deadline", default=None,
              help=f"The day the actions are wanted by: 2026-12-15 or 15/12/2026 (default: in {ALERT_DAYS} days).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("preview"),
              show_default=True, help="Folder for the preview's .eml and .html files.")
@yes_option
@click.option("--by", "by", envvar="MAILER_COORDINATOR", metavar="EMAIL",
              help="Who is sending (as `campaign send --by`): needed when the alert needs a second coordinator's "
                   "approval.")
@pass_app
@handle_errors
@click.pass_context
def alert(ctx: click.Context, app: App, ref: str, template: str, deadline: str | None, out_dir: Path,
          yes: bool, by: str | None) -> None:
    """Write the campaign file of an urgent action on REF, preview it, and send it once you confirm.

    The audience is the dossier's groups and its référent (dossier:REF). The file is written
    into the campaigns folder as alerte-REF-DAY.toml (kept if it is already there today: edit
    it and run this again); the preview and the sending are `mailer campaign preview` and
    `mailer campaign send`'s, which asks before sending (or --yes). Declined, nothing is sent:
    the file stays for `mailer campaign send`.

    \b
    Example:
      mailer alert DI-2025-014 --deadline 2026-12-15
    """
    dossier = load_directory(app.store.snapshot()).dossier(ref)
    if dossier is None:
        raise MailerError(f"no dossier {ref!r} (mailer dossiers list)")
    if dossier.status == DossierStatus.CLOSED:
        raise MailerError(f"dossier {dossier.ref} is closed (clos): an alert goes to the groups of an open dossier "
                          f"(mailer dossiers set-status {dossier.ref} actif to reopen it)")
    today = _today(app)
    try:
        due = parse_day(deadline, "--deadline") if deadline else today + timedelta(days=ALERT_DAYS)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--deadline") from None
    if due < today:
        raise click.BadParameter(f"{due.isoformat()} is already past", param_hint="--deadline")
    draft = drafting.draft_alert(app.config, app.store, dossier, due, today, template)
    path = _shown(draft.path)
    click.echo(f"alert written: {path} (deadline {due.isoformat()})" if draft.written
               else f"alert already written today: {path} (used as it is: edit it, or delete it for a new one)")
    ctx.invoke(preview, file=draft.path, out_dir=out_dir, who=None)
    ctx.invoke(send, file=draft.path, yes=yes, dry_run=False, by=by)
