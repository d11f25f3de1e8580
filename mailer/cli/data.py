"""Commands for the team's reference data: import, groups, dossiers, members, subscribers, suppressions.

Tables show times in the team's zone (`clock.for_people`); `--json` keeps them as stored.
The `export` commands are in `exports.py`, suppressions and erasure in `suppressions.py`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import registry
from ..clock import for_people
from ..sheets.importer import ImportKind
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


def _show(rows: list[dict[str, Any]], columns: Columns, title: str, as_json: bool,
          tz: ZoneInfo | None = None, times: tuple[str, ...] = ()) -> None:
    """A table for people (the `times` keys in `tz`), or JSON lines as stored."""
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
        shown = {**row, **{k: for_people(row.get(k), tz) for k in times if tz is not None}}
        table.add_row(*(_cell(shown.get(key)) for key, _ in columns))
    Console().print(table)


def _with_suppression(doc: dict[str, Any], suppressed: dict[str, Suppression]) -> dict[str, Any]:
    found = suppressed.get(doc["email"].lower())
    return {**doc, "suppressed": f"{found.reason} ({found.scope})" if found else None}


@main.command("import")
@click.argument("kind", type=click.Choice([k.value for k in ImportKind]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-column", "skip", multiple=True, metavar="NAME",
              help="Leave this column of the file out on purpose (repeatable); any other unknown column is an error.")
@pass_app
@handle_errors
@click.pass_context
def import_command(ctx: click.Context, app: App, kind: str, file: Path, skip: tuple[str, ...]) -> None:
    """Add or update groups, dossiers, members or subscribers from a CSV FILE.

    Accepts ',' ';' or tab separators, UTF-8 (with or without BOM), UTF-16 or Windows-1252.
    Headers in English or French, in any case (Courriel, Prénom + Nom, Groupe, Référence,
    Statut...); a column the import does not know is an error unless --skip-column names it.
    A column absent from the file leaves that field as stored. Rows are matched by code, ref
    (any case) or e-mail: nothing is duplicated or deleted. Invalid rows are listed with their
    line number and the rest is imported; the exit status is then 3.

    \b
    Example:
      mailer import members membres.csv --skip-column Téléphone
    """
    report = registry.import_file(app.store, ImportKind(kind), file, skip, app.config.team.tz)
    r = report.result
    click.echo(f"{file.name}: {report.rows} rows: {r.added} added, {r.updated} updated, "
               f"{r.unchanged} unchanged, {len(report.rejected)} rejected.")
    if r.suppressed:
        click.echo(f"{r.suppressed} rows are suppressed addresses: stored, and still not mailed.")
    if r.erased:
        click.echo(f"{r.erased} rows name people who asked to be forgotten (erased): their address was not stored.")
    if report.kept and r.updated + r.unchanged:
        click.echo(f"Not in the file, so left as stored: {', '.join(report.kept)}.")
    for problem in report.warnings:
        click.echo(f"warning: {problem}")
    for problem in report.rejected:
        click.echo(f"rejected: {problem}")
    if not report.complete:
        ctx.exit(EXIT_SOME_REJECTED)


@main.group("groups")
def groups_group() -> None:
    """Local groups, action circles and youth branches.

    \b
    Example:
      mailer groups list
    """


@groups_group.command("list")
@json_option
@pass_app
@handle_errors
def groups_list(app: App, as_json: bool) -> None:
    """List the groups.

    \b
    Example:
      mailer groups list --json
    """
    rows = [g.to_doc() for g in registry.load_directory(app.store.snapshot()).groups]
    _show(rows, [("code", "Code"), ("name", "Name"), ("kind", "Kind"), ("city", "City"),
                 ("email", "E-mail")], "Groups", as_json)


@main.group("dossiers")
def dossiers_group() -> None:
    """Individual cases (dossiers) and the groups entrusted with them.

    \b
    Example:
      mailer dossiers list
    """


@dossiers_group.command("list")
@json_option
@pass_app
@handle_errors
def dossiers_list(app: App, as_json: bool) -> None:
    """List the dossiers.

    \b
    Example:
      mailer dossiers list --json
    """
    rows = [d.to_doc() for d in registry.load_directory(app.store.snapshot()).dossiers]
    _show(rows, [("ref", "Ref"), ("person", "Person"), ("country", "Country"), ("status", "Status"),
                 ("outcome", "Outcome"), ("referent_email", "Referent"), ("groups", "Groups")], "Dossiers", as_json)


@main.group("members")
def members_group() -> None:
    """Members of the team, with their group if they have one.

    \b
    Example:
      mailer members list
    """


@members_group.command("list")
@json_option
@pass_app
@handle_errors
def members_list(app: App, as_json: bool) -> None:
    """List the members (and whether each address is suppressed).

    \b
    Example:
      mailer members list --json
    """
    snapshot = app.store.snapshot()
    suppressed = registry.suppression_map(snapshot)
    rows = [_with_suppression(m.to_doc(), suppressed) for m in registry.load_directory(snapshot).members]
    _show(rows, [("email", "E-mail"), ("name", "Name"), ("group", "Group"),
                 ("suppressed", "Suppressed")], "Members", as_json)


@main.group("subscribers")
def subscribers_group() -> None:
    """Bulletin subscribers.

    \b
    Example:
      mailer subscribers list
    """


@subscribers_group.command("list")
@json_option
@pass_app
@handle_errors
def subscribers_list(app: App, as_json: bool) -> None:
    """List the bulletin subscribers (and whether each address is suppressed).

    \b
    Example:
      mailer subscribers list --json
    """
    snapshot = app.store.snapshot()
    suppressed = registry.suppression_map(snapshot)
    rows = [_with_suppression(s.to_doc(), suppressed) for s in registry.subscribers(snapshot)]
    _show(rows, [("email", "E-mail"), ("name", "Name"), ("status", "Status"), ("since", "Since"),
                 ("suppressed", "Suppressed")], "Subscribers", as_json, app.config.team.tz, ("since",))


@subscribers_group.command("add")
@click.argument("email")
@click.option("--name", default="", help="The person's name, as used in greetings.")
@pass_app
@handle_errors
def subscribers_add(app: App, email: str, name: str) -> None:
    """Subscribe EMAIL to the bulletin (or re-activate it).

    \b
    Example:
      mailer subscribers add anne.riviere@example.org --name "Anne Rivière"
    """
    sub = registry.add_subscriber(app.store, email, name)
    click.echo(f"Subscribed {sub.email}" + (f" ({sub.name})" if sub.name else "") + ".")
    found = registry.suppression_map(app.store.snapshot()).get(sub.email)
    if found:
        click.echo(f"Note: {sub.email} is suppressed ({found.reason}, {found.scope}, "
                   f"{for_people(found.date, app.config.team.tz)}): "
                   "it receives nothing until `mailer suppressions remove`.")


@subscribers_group.command("remove")
@click.argument("email")
@pass_app
@handle_errors
def subscribers_remove(app: App, email: str) -> None:
    """Remove EMAIL from the bulletin subscribers (not a suppression: see `suppressions`).

    \b
    Example:
      mailer subscribers remove anne.riviere@example.org
    """
    sub = registry.remove_subscriber(app.store, email)
    click.echo(f"Removed {sub.email} from the subscribers.")


from . import dossiers, exports, person, suppressions  # noqa: E402,F401  (their commands join the groups above)
