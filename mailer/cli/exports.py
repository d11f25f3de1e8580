"""`mailer groups|dossiers|members|subscribers export`, and the options every `--csv` shares.

Each export writes the columns `mailer import` reads, so that importing the file changes
nothing. Files open in French Excel and LibreOffice with a double-click (UTF-8 with BOM, `;`);
the same bytes go to standard output or to `--csv FILE`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from .. import registry
from ..sheets import exporter
from ..errors import MailerError
from ..sheets.labels import LABEL_SETS
from ..sheets.spreadsheet import parse_delimiter, to_bytes
from ..store.privatefiles import write_private_output
from . import App, handle_errors, pass_app
from .data import dossiers_group, groups_group, members_group, subscribers_group

F = TypeVar("F", bound=Callable[..., Any])


def _delimiter(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return parse_delimiter(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def sheet_options(func: F) -> F:
    """--delimiter and --labels, as every spreadsheet export takes them."""
    func = click.option("--labels", type=click.Choice(LABEL_SETS), default="en", show_default=True,
                        help="Column titles and values: en (the stored codes) or fr (Courriel, "
                             "Groupe local, Pétition...).")(func)
    return click.option("--delimiter", default=";", show_default=True, callback=_delimiter,
                        help="Cell separator: ';' (what French spreadsheets expect), ',' or tab.")(func)


def refuse_sheet_options(ctx: click.Context, why: str) -> None:
    """--delimiter or --labels given where no sheet is written: say so rather than ignore them."""
    given = [f"--{name}" for name in ("delimiter", "labels")
             if ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)]
    if given:
        raise click.UsageError(f"{' and '.join(given)} {why}")


def write_sheet(data: bytes, csv_file: Path | None) -> None:
    """The bytes to the file, or the very same bytes to standard output (no file, or `-`)."""
    if csv_file is None or str(csv_file) == "-":
        click.echo(data, nl=False)          # bytes: written as they are, to the binary stream
        return
    try:
        write_private_output(csv_file, data)        # names and addresses: 0600
    except OSError as exc:
        raise MailerError(f"{csv_file}: cannot write: {exc.strerror or exc}") from None


csv_file_option = click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                               help="Write to this file instead of standard output ('-': standard output).")


def _export(app: App, kind: str, csv_file: Path | None, delimiter: str, labels: str) -> None:
    snapshot = app.store.snapshot()
    records = (registry.subscribers(snapshot) if kind == "subscribers"
               else list(getattr(registry.load_directory(snapshot), kind)))
    header, rows = exporter.table(kind, records, labels, app.config.team.tz)
    write_sheet(to_bytes(header, rows, delimiter), csv_file)
    if csv_file is not None and str(csv_file) != "-":
        click.echo(f"Wrote {len(rows)} {kind} to {csv_file}.")


def export_command(group: click.Group) -> Callable[[F], F]:
    """The command `export` of `group`, with the options every export takes."""
    def decorate(func: F) -> F:
        return group.command("export")(csv_file_option(sheet_options(pass_app(handle_errors(func)))))  # type: ignore[return-value]
    return decorate


@export_command(groups_group)
def groups_export(app: App, csv_file: Path | None, delimiter: str, labels: str) -> None:
    """Write the groups as a CSV sheet that `mailer import groups` reads back unchanged.

    To standard output, or to --csv FILE; UTF-8 with BOM and ';' so that French Excel and
    LibreOffice open it with a double-click.

    \b
    Example:
      mailer groups export --csv groupes.csv --labels fr
    """
    _export(app, "groups", csv_file, delimiter, labels)


@export_command(dossiers_group)
def dossiers_export(app: App, csv_file: Path | None, delimiter: str, labels: str) -> None:
    """Write the dossiers as a CSV sheet that `mailer import dossiers` reads back unchanged.

    To standard output, or to --csv FILE; UTF-8 with BOM and ';' so that French Excel and
    LibreOffice open it with a double-click.

    \b
    Example:
      mailer dossiers export --csv dossiers.csv --labels fr
    """
    _export(app, "dossiers", csv_file, delimiter, labels)


@export_command(members_group)
def members_export(app: App, csv_file: Path | None, delimiter: str, labels: str) -> None:
    """Write the members as a CSV sheet that `mailer import members` reads back unchanged.

    To standard output, or to --csv FILE; UTF-8 with BOM and ';' so that French Excel and
    LibreOffice open it with a double-click.

    \b
    Example:
      mailer members export --csv membres.csv --labels fr
    """
    _export(app, "members", csv_file, delimiter, labels)


@export_command(subscribers_group)
def subscribers_export(app: App, csv_file: Path | None, delimiter: str, labels: str) -> None:
    """Write the subscribers as a CSV sheet that `mailer import subscribers` reads back unchanged.

    Status included: a pending double opt-in is written as pending (en attente de
    confirmation), never as something an import would take for active. To standard output,
    or to --csv FILE; UTF-8 with BOM and ';' so that French Excel and LibreOffice open it with
    a double-click.

    \b
    Example:
      mailer subscribers export --csv abonnes.csv --labels fr
    """
    _export(app, "subscribers", csv_file, delimiter, labels)
