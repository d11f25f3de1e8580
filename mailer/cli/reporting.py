"""`mailer report` and `mailer dashboard`: what the groups did, for the coordinators.

Both read the same figures (mailer/figures.py) as campaign templates do; `report` prints tables
(or JSON, or a CSV sheet), `dashboard` writes one HTML page.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import registry
from ..figures import ACTION_TYPES, Totals, entries, french_euros, within
from ..inbound.queries import RecordNotFound
from ..models import code_key
from ..reporting import QUIET_DAYS, SHEET_COLUMNS, Activity, activity, sheet_rows
from ..sheets.labels import ACTIONS
from ..sheets.spreadsheet import to_bytes
from ..store.schema import REPORTS
from . import App, handle_errors, main, pass_app
from .exports import refuse_sheet_options, sheet_options, write_sheet

DAY = click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"])


def _date(value: datetime | None) -> date | None:
    return value.date() if value else None


def _today(app: App) -> date:
    return datetime.now(app.config.team.tz).date()


def _period_options(func: Any) -> Any:
    func = click.option("--until", type=DAY, default=None,
                        help="Last day counted, YYYY-MM-DD or DD/MM/YYYY (default: today).")(func)
    func = click.option("--since", type=DAY, default=None,
                        help="First day counted, YYYY-MM-DD or DD/MM/YYYY (an action counts on the day it was "
                             "done, else the day its report was read).")(func)
    return click.option("--quiet-days", type=click.IntRange(1), default=QUIET_DAYS, show_default=True,
                        help="A group entrusted with an active dossier is quiet when none of its reports "
                             "was read in this many days before --until.")(func)


@main.command("report")
@_period_options
@click.option("--dossier", default=None, help="Only this dossier ref (any case).")
@click.option("--group", "group_code", default=None, help="Only this group code (any case).")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the sheet instead: one row per dossier, group, action type and year ('-': standard output).")
@sheet_options
@click.option("--json", "as_json", is_flag=True, help="One JSON document with every table, for scripts.")
@pass_app
@handle_errors
@click.pass_context
def report_command(ctx: click.Context, app: App, since: datetime | None, until: datetime | None, quiet_days: int,
                   dossier: str | None, group_code: str | None, csv_file: Path | None, delimiter: str, labels: str,
                   as_json: bool) -> None:
    """What the groups did: actions per dossier, per group and per type, the aid fund per group
    and year, and the groups gone quiet (entrusted with an active dossier, no report read in
    --quiet-days, 90 by default: about the time between two bulletins).

    Counted from the recorded reports (`mailer reports list`), deleted ones excepted; the same
    figures campaign templates print. --csv writes the columns dossier, person, group,
    group_name, type, year, reports, actions, count, amount_eur (French titles with --labels fr).

    \b
    Example:
      mailer report --since 2026-01-01 --csv bilan.csv --labels fr
    """
    if csv_file is None:
        refuse_sheet_options(ctx, "only apply to --csv FILE")
    elif as_json:
        raise click.UsageError("--json and --csv are two different outputs: choose one")
    first, last = _date(since), _date(until)
    if first and last and first > last:
        raise click.UsageError(f"--since {first} is after --until {last}")
    snapshot = app.store.snapshot()
    directory = registry.load_directory(snapshot)
    found = entries(snapshot.table(REPORTS), app.config.team.tz)
    for name, wanted, known in (("dossier", dossier, directory.dossier), ("group", group_code, directory.group)):
        if wanted and known(wanted) is None and not any(getattr(e, name) == code_key(wanted) for e in found):
            raise RecordNotFound(f"no {name} {wanted!r} in the store nor in any report "
                                 f"(mailer {name}s list)")
    if csv_file is not None:
        rows = sheet_rows(within(found, first, last, dossier, group_code), directory)
        write_sheet(to_bytes(*_sheet(rows, labels), delimiter), csv_file)
        if str(csv_file) != "-":
            click.echo(f"Wrote {len(rows)} rows to {csv_file}.")
        return
    done = activity(found, directory, last or _today(app), first, last, dossier, group_code, quiet_days)
    if as_json:
        click.echo(json.dumps(done.to_json(), ensure_ascii=False))
        return
    _print(done)


def _sheet(rows: list[dict[str, Any]], labels: str) -> tuple[list[str], list[list[str]]]:
    french = labels == "fr"
    header = list(SHEET_COLUMNS.values()) if french else list(SHEET_COLUMNS)

    def cell(key: str, value: Any) -> str:
        if key == "type":
            return ACTIONS.label(str(value), labels)
        if key == "amount_eur" and isinstance(value, float):
            return f"{value:.2f}".replace(".", "," if french else ".")
        return "" if value is None else str(value)

    return header, [[cell(key, row[key]) for key in SHEET_COLUMNS] for row in rows]


# What fits in 80 columns beside a name; --json and --csv have every figure (actions, collaborations...).
FIGURE_COLUMNS = (("reports", "Rep."), ("letters", "Letters"), ("signatures", "Sign."), ("officials", "Offic."),
                  ("events", "Events"), ("fund_eur", "Fund"))


def _figures(t: Totals) -> list[str]:
    return [(french_euros(t.fund_eur) if t.fund_eur else "") if key == "fund_eur" else str(getattr(t, key))
            for key, _ in FIGURE_COLUMNS]


def _table(title: str, columns: list[str], rows: list[list[str]], numeric_from: int) -> Table:
    """Readable at 80 columns: no vertical rules, numbers never folded, a long name cut short."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))
    for i, name in enumerate(columns):
        if i >= numeric_from:
            table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
        else:
            table.add_column(name, no_wrap=True, overflow="ellipsis", min_width=len(name) if i == 0 else None,
                             max_width=None if i == 0 else 18)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))     # Text: a name from a CSV is no rich markup
    return table


def _show(console: Console, table: Table) -> None:
    console.print()
    console.print(table)


def _print(done: Activity) -> None:
    console = Console()

    span = f"{done.since or 'the first report'} to {done.until or done.as_of}"
    t = done.total
    click.echo(f"From {span}: {t.actions} actions in {t.reports} reports.\n{t.letters} letters, {t.signatures} "
               f"signatures, {t.officials} officials met, {t.events} events, {t.collaborations} collaborations, "
               f"{french_euros(t.fund_eur)} for the fund.")
    if not t.actions:
        click.echo("No action recorded in this period.")
    else:
        figures = [c for _, c in FIGURE_COLUMNS]
        _show(console, _table(f"Per dossier ({len(done.dossiers)})", ["Dossier", *figures],
                             [[line.key or "-", *_figures(line.totals)] for line in done.dossiers], 1))
        _show(console, _table(f"Per group ({len(done.groups)})", ["Group", "Name", *figures],
                             [[line.key or "-", line.label, *_figures(line.totals)] for line in done.groups], 2))
        order = [k for k in ACTION_TYPES if k in t.by_type] + [k for k in t.by_type if k not in ACTION_TYPES]
        _show(console, _table("Per type", ["Type", "Actions", "Count", "Amount"],
                             [[k, str(t.by_type[k].actions), str(t.by_type[k].count) if k != "fund" else "",
                               french_euros(t.by_type[k].amount_eur) if k == "fund" else ""] for k in order], 1))
        if done.fund:
            _show(console, _table("Fund per group and year", ["Group", "Name", "Year", "Gifts", "Amount"],
                                 [[f.group or "-", f.name, str(f.year), str(f.actions), french_euros(f.amount_eur)]
                                  for f in done.fund], 2))
    heading = (f"Groups gone quiet ({len(done.quiet)}): entrusted with an active dossier, no report read in the "
               f"{done.quiet_days} days before {done.as_of}")
    if not done.quiet:
        click.echo(f"\n{heading}: none.")
        return
    _show(console, _table(heading, ["Group", "Name", "Active dossiers", "Last report", "Days"],
                         [[q.group, q.name, ", ".join(q.dossiers), q.last_report.isoformat() if q.last_report else "never",
                           "" if q.days is None else str(q.days)] for q in done.quiet], 4))


@main.command("dashboard")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The HTML file to write (one self-contained page: it opens from the file, offline).")
@_period_options
@pass_app
@handle_errors
def dashboard_command(app: App, out: Path, since: datetime | None, until: datetime | None, quiet_days: int) -> None:
    """Write the coordinators' dashboard: one HTML page, in French, readable on a phone, with
    charts of actions over time per dossier, which groups act on which dossier, campaign
    delivery (sent, failed, bounced, unsubscribed) and the triage backlog, and the groups gone
    quiet. No script, font or stylesheet is fetched: send it by mail, open it from a file.
    The period is the last twelve months unless --since/--until say otherwise.

    \b
    Example:
      mailer dashboard --out report.html
    """
    from ..app import dashboard

    now = datetime.now(app.config.team.tz)
    last = _date(until) or now.date()
    first = _date(since) or dashboard.default_since(last)
    if first > last:
        raise click.UsageError(f"--since {first} is after --until {last}")
    done = dashboard.write(app.config, app.store, out, first, last, now, quiet_days)
    click.echo(f"Wrote {out}: {done.total.actions} actions from {first} to {last}, {len(done.deliveries)} "
               f"campaigns, {done.triage_open} items to triage, {len(done.quiet)} quiet groups.")
