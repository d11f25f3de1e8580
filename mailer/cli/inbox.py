"""Commands for the team mailbox: read a message file, what waits for a human, what was recorded.

Tables show times in the team's zone; `--json` keeps ISO 8601 with offset, as stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .. import registry
from ..sheets import exporter
from ..clock import for_people
from ..inbound import queries
from ..inbound.pipeline import read_files
from . import App, handle_errors, main, pass_app, triage_view
from ..sheets.spreadsheet import to_bytes
from .data import _show, json_option
from .exports import refuse_sheet_options, sheet_options, write_sheet
from .suppressions import by_option, who


@main.command("parse")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file per line.")
@pass_app
@handle_errors
def parse_command(app: App, files: tuple[Path, ...], as_json: bool) -> None:
    """Read FILE.eml messages as `poll` would, against the store's groups, dossiers and members.

    Read-only: nothing is recorded, applied or sent. Prints kind, sender, the rule that decided
    and the disposition (apply | triage | ignore), plus what was understood.

    \b
    Example:
      mailer parse --json message.eml
    """
    raws = (path.read_bytes() for path in files)
    for path, result in zip(files, read_files(app.config, app.store, raws)):
        if result.reading is None:
            row: dict[str, Any] = {"file": path.name, "kind": "error", "sender": None, "rule": "error",
                                   "disposition": "error", "error": result.error}
        else:
            data = result.reading.to_json()
            row = {"file": path.name, "kind": data.pop("kind"), "sender": data.pop("sender"),
                   "rule": data.pop("rule"), "disposition": result.disposition, **data}
        click.echo(json.dumps(row, ensure_ascii=False) if as_json else _line(row))


def _line(row: dict[str, Any]) -> str:
    extra = {k: v for k, v in row.items() if k not in ("file", "kind", "sender", "rule", "disposition")}
    details = " ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in extra.items())
    return f"{row['file']}: {row['kind']} from {row['sender']} ({row['rule']}) -> {row['disposition']} {details}".rstrip()


@main.group("triage")
def triage_group() -> None:
    """Messages the service could not understand or trust: they wait in the "À trier" folder.

    \b
    Example:
      mailer triage list
    """


@triage_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include resolved items.")
@json_option
@pass_app
@handle_errors
def triage_list(app: App, show_all: bool, as_json: bool) -> None:
    """List what waits for a human (open items first, oldest first).

    \b
    Example:
      mailer triage list --all
    """
    rows = queries.triage_items(app.store, include_resolved=show_all)
    _show(rows, [("id", "Id"), ("date", "Date"), ("sender", "Sender"), ("subject", "Subject"), ("kind", "Kind"),
                 ("reason", "Reason"), ("link", "Link"), ("status", "Status")], "Triage items", as_json,
          app.config.team.tz, ("date",))


@triage_group.command("show")
@click.argument("item_id", type=int)
@click.option("--full", is_flag=True, help="Show the quoted parts too (folded by default).")
@pass_app
@handle_errors
def triage_show(app: App, item_id: int, full: bool) -> None:
    """Show one item: why it waits, the message (from the triage folder) and the reading.

    The reading is printed as the command that would apply it as read: correct what is wrong
    and run it (`triage apply`, `triage accept`), or `triage resolve` with a note.

    \b
    Example:
      mailer triage show 12 --full
    """
    item = queries.triage_item(app.store, item_id)
    tz = app.config.team.tz
    shown = {**item, **{k: for_people(item.get(k), tz) for k in ("date", "resolved") if item.get(k)}}
    for key in ("id", "status", "date", "sender", "subject", "message_id", "kind", "rule", "reason", "link", "note",
                "resolved", "by", "outcome"):
        if shown.get(key) not in (None, ""):
            click.echo(f"{key:>10}: {shown[key]}")
    for step in item.get("history") or []:
        click.echo(f"{'done':>10}: {for_people(step.get('date'), tz)} {step.get('by', '')}: {step.get('change', '')} "
                   f"{step.get('detail', '')}".rstrip())
    if item.get("link", "").startswith("report:"):
        report = queries.report(app.store, int(item["link"].split(":")[1]))
        if report:
            click.echo(f"{'report':>10}: {json.dumps(report, ensure_ascii=False)}")
    for line in triage_view.message_lines(app.config, item, full):
        click.echo(line)
    for line in triage_view.reading_lines(item):
        click.echo(line)


@triage_group.command("resolve")
@click.argument("item_id", type=int)
@click.option("--note", default="", help="What was done about it (kept with the item).")
@by_option
@pass_app
@handle_errors
def triage_resolve(app: App, item_id: int, note: str, by: str | None) -> None:
    """Mark an item resolved (the message itself stays in the mailbox folder).

    \b
    Example:
      mailer triage resolve 12 --note "ajouté comme membre"
    """
    item = queries.resolve_triage(app.store, item_id, note, by or who())
    click.echo(f"Resolved triage item {item['id']} ({item['sender']}).")


@triage_group.command("digest")
@pass_app
@handle_errors
def triage_digest(app: App) -> None:
    """Send the coordinators the list of open triage items now (the service sends it daily).

    \b
    Example:
      mailer triage digest
    """
    from ..service import send_digest      # both wings: the inbound's open items, the outbound's mail

    listed = send_digest(app.config, app.store, force=True)
    click.echo(f"digest sent: {listed} open item(s)" if listed else "nothing sent: no open item, or no coordinator")


@main.group("reports")
def reports_group() -> None:
    """Action reports recorded from the mailbox.

    \b
    Example:
      mailer reports list --dossier DI-2025-014
    """


@reports_group.command("list")
@click.option("--dossier", default=None, help="Only this dossier ref (any case).")
@click.option("--group", "group_code", default=None, help="Only this group code (any case).")
@click.option("--all", "show_all", is_flag=True, help="Include deleted reports (in no total, nor in the CSV).")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write one row per action to this CSV file ('-' for standard output).")
@sheet_options
@json_option
@pass_app
@handle_errors
@click.pass_context
def reports_list(ctx: click.Context, app: App, dossier: str | None, group_code: str | None, show_all: bool,
                 csv_file: Path | None, delimiter: str, labels: str, as_json: bool) -> None:
    """List recorded reports, optionally for one dossier or group, or export them as CSV.

    State says how each was recorded: applied (as read), corrected (by a person: `triage
    apply`, `reports edit`) or deleted (`reports delete`: listed with --all only, counted nowhere).

    The CSV opens in French Excel and LibreOffice with a double-click (UTF-8 with BOM, ';');
    --labels fr gives French titles, action names (Pétition, Lettre aux autorités...), dates
    in the team's zone and decimal commas.

    \b
    Example:
      mailer reports list --csv actions.csv --labels fr
    """
    if csv_file is None:
        refuse_sheet_options(ctx, "only apply to --csv FILE")
    elif as_json:
        raise click.UsageError("--json and --csv are two different outputs: choose one")
    directory = registry.load_directory(app.store.snapshot())
    found = queries.reports(app.store, dossier=dossier, group=group_code, directory=directory,
                            include_deleted=show_all and csv_file is None)
    found = [{**r, "state": queries.state(r)} for r in found]
    if csv_file is not None:
        rows = queries.report_rows(found)
        header, cells = exporter.reports_table(rows, labels, app.config.team.tz)
        write_sheet(to_bytes(header, cells, delimiter), csv_file)
        if str(csv_file) != "-":
            click.echo(f"Wrote {len(rows)} actions from {len(found)} reports to {csv_file}.")
        return
    shown = found if as_json else [{**r, "actions": [queries.action_text(a) for a in r.get("actions", [])]}
                                   for r in found]
    _show(shown, [("id", "Id"), ("date", "Date"), ("dossier", "Dossier"), ("group", "Group"), ("sender", "Sender"),
                  ("actions", "Actions"), ("state", "State")], "Reports", as_json, app.config.team.tz, ("date",))
