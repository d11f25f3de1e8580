"""Commands for the team's reference data: import, groups, dossiers, members, subscribers, suppressions."""

from __future__ import annotations

import getpass
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import registry
from ..importer import ImportKind
from ..models import Suppression
from . import App, handle_errors, main, pass_app

EXIT_SOME_REJECTED = 3
Columns = Sequence[tuple[str, str]]    # (key in the row, column title)

json_option = click.option("--json", "as_json", is_flag=True,
                           help="One JSON object per line instead of a table (for scripts).")


def _cell(value: Any) -> Text:
    # Text, not str: a name like "[bold]" from a CSV must not be read as rich markup.
    if isinstance(value, list):
        value = ", ".join(value)
    return Text("" if value is None else str(value))


def _show(rows: list[dict[str, Any]], columns: Columns, title: str, as_json: bool) -> None:
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"No {title.lower()}.")
        return
    table = Table(title=f"{title} ({len(rows)})")
    for _, header in columns:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(key)) for key, _ in columns))
    Console().print(table)


def _with_suppression(doc: dict[str, Any], suppressed: dict[str, Suppression]) -> dict[str, Any]:
    found = suppressed.get(doc["email"].lower())
    return {**doc, "suppressed": f"{found.reason} ({found.scope})" if found else None}


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):     # no login name in some containers
        return "cli"


@main.command("import")
@click.argument("kind", type=click.Choice([k.value for k in ImportKind]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
@handle_errors
@click.pass_context
def import_command(ctx: click.Context, app: App, kind: str, file: Path) -> None:
    """Add or update groups, dossiers, members or subscribers from a CSV FILE.

    Accepts ',' or ';' separators, UTF-8 (with or without BOM) or Windows-1252. Rows are
    matched by code, ref or e-mail: nothing is duplicated or deleted. Invalid rows are listed
    with their line number and the rest is imported; the exit status is then 3.
    """
    report = registry.import_file(app.store, ImportKind(kind), file)
    r = report.result
    click.echo(f"{file.name}: {report.rows} rows: {r.added} added, {r.updated} updated, "
               f"{r.unchanged} unchanged, {len(report.rejected)} rejected.")
    if r.suppressed:
        click.echo(f"{r.suppressed} rows are suppressed addresses: stored, and still not mailed.")
    for problem in report.warnings:
        click.echo(f"warning: {problem}")
    for problem in report.rejected:
        click.echo(f"rejected: {problem}")
    if not report.complete:
        ctx.exit(EXIT_SOME_REJECTED)


@main.group("groups")
def groups_group() -> None:
    """Local groups, action circles and youth branches."""


@groups_group.command("list")
@json_option
@pass_app
@handle_errors
def groups_list(app: App, as_json: bool) -> None:
    """List the groups."""
    rows = [g.to_doc() for g in registry.load_directory(app.store.snapshot()).groups]
    _show(rows, [("code", "Code"), ("name", "Name"), ("kind", "Kind"), ("city", "City"),
                 ("email", "E-mail")], "Groups", as_json)


@main.group("dossiers")
def dossiers_group() -> None:
    """Individual cases (dossiers) and the groups entrusted with them."""


@dossiers_group.command("list")
@json_option
@pass_app
@handle_errors
def dossiers_list(app: App, as_json: bool) -> None:
    """List the dossiers."""
    rows = [d.to_doc() for d in registry.load_directory(app.store.snapshot()).dossiers]
    _show(rows, [("ref", "Ref"), ("person", "Person"), ("country", "Country"), ("status", "Status"),
                 ("referent_email", "Referent"), ("groups", "Groups")], "Dossiers", as_json)


@main.group("members")
def members_group() -> None:
    """Members of the team, with their group if they have one."""


@members_group.command("list")
@json_option
@pass_app
@handle_errors
def members_list(app: App, as_json: bool) -> None:
    """List the members (and whether each address is suppressed)."""
    snapshot = app.store.snapshot()
    suppressed = registry.suppression_map(snapshot)
    rows = [_with_suppression(m.to_doc(), suppressed) for m in registry.load_directory(snapshot).members]
    _show(rows, [("email", "E-mail"), ("name", "Name"), ("group", "Group"),
                 ("suppressed", "Suppressed")], "Members", as_json)


@main.group("subscribers")
def subscribers_group() -> None:
    """Bulletin subscribers."""


@subscribers_group.command("list")
@json_option
@pass_app
@handle_errors
def subscribers_list(app: App, as_json: bool) -> None:
    """List the bulletin subscribers (and whether each address is suppressed)."""
    snapshot = app.store.snapshot()
    suppressed = registry.suppression_map(snapshot)
    rows = [_with_suppression(s.to_doc(), suppressed) for s in registry.subscribers(snapshot)]
    _show(rows, [("email", "E-mail"), ("name", "Name"), ("status", "Status"), ("since", "Since"),
                 ("suppressed", "Suppressed")], "Subscribers", as_json)


@subscribers_group.command("add")
@click.argument("email")
@click.option("--name", default="", help="The person's name, as used in greetings.")
@pass_app
@handle_errors
def subscribers_add(app: App, email: str, name: str) -> None:
    """Subscribe EMAIL to the bulletin (or re-activate it)."""
    sub = registry.add_subscriber(app.store, email, name)
    click.echo(f"Subscribed {sub.email}" + (f" ({sub.name})" if sub.name else "") + ".")
    found = registry.suppression_map(app.store.snapshot()).get(sub.email)
    if found:
        click.echo(f"Note: {sub.email} is suppressed ({found.reason}, {found.scope}, {found.date}): "
                   "it receives nothing until `mailer suppressions remove`.")


@subscribers_group.command("remove")
@click.argument("email")
@pass_app
@handle_errors
def subscribers_remove(app: App, email: str) -> None:
    """Remove EMAIL from the bulletin subscribers (not a suppression: see `suppressions`)."""
    sub = registry.remove_subscriber(app.store, email)
    click.echo(f"Removed {sub.email} from the subscribers.")


@main.group("suppressions")
def suppressions_group() -> None:
    """Addresses that must not be mailed: unsubscribed, bounced, complained or erased."""


@suppressions_group.command("list")
@json_option
@pass_app
@handle_errors
def suppressions_list(app: App, as_json: bool) -> None:
    """List the suppressed addresses with reason, scope, date and source."""
    found = registry.suppression_map(app.store.snapshot()).values()
    rows = [s.to_doc() for s in sorted(found, key=lambda s: (s.date, s.email))]
    _show(rows, [("email", "E-mail"), ("reason", "Reason"), ("scope", "Scope"), ("date", "Date"),
                 ("source", "Source")], "Suppressions", as_json)


@suppressions_group.command("remove")
@click.argument("email")
@click.option("--by", default=None, help="Who re-enables the address (default: cli:<login>).")
@pass_app
@handle_errors
def suppressions_remove(app: App, email: str, by: str | None) -> None:
    """Re-enable EMAIL: it may be mailed again. The change is recorded with who and when."""
    lifted = registry.unsuppress(app.store, email, by or _who())
    click.echo(f"Re-enabled {lifted.email} (was suppressed: {lifted.reason}, {lifted.scope}, "
               f"since {lifted.date}).")


@main.command("erase")
@click.argument("email")
@click.option("--by", default=None, help="Who asked for the erasure (default: cli:<login>).")
@pass_app
@handle_errors
def erase(app: App, email: str, by: str | None) -> None:
    """Right to erasure: delete EMAIL's member and subscriber records; keep only the address on the
    suppression list (reason erased) so that no import brings it back."""
    removed = registry.erase(app.store, email, by or _who())
    click.echo(f"Erased {email.strip().lower()}: {removed} record(s) deleted; the address stays suppressed (erased).")
