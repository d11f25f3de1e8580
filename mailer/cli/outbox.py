"""`mailer outbox`: read what the capture server kept instead of sending it ([smtp] outbox)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..capture import outbox as captured_mail
from . import App, handle_errors, main, pass_app


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def _folder(app: App) -> Path:
    """The outbox folder; a note on stderr when nothing is captured any more (embedded = false)."""
    smtp = app.config.smtp
    if not smtp.embedded:
        click.echo(f"Note: smtp.embedded is false in {app.config.source}: mail goes out through "
                   f"{smtp.host}:{smtp.port} and is not captured; this is what an earlier capture left.",
                   err=True)
    return smtp.outbox


@main.group("outbox")
def outbox() -> None:
    """Read the mail the capture server kept instead of sending it ([smtp] outbox).

    With [smtp] embedded = true, every message to someone outside the team lands in the
    outbox Maildir. Its files have no .eml extension: list them, show one in the terminal,
    or export copies as .eml files that any mail client opens with a double-click.
    Numbers follow arrival (1 = the oldest), so a number keeps meaning the same message.

    \b
    Example:
      mailer outbox list
    """


@outbox.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (times in ISO 8601 with offset).")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="Show the most recent N messages; 0 shows them all.")
@pass_app
@handle_errors
def list_command(app: App, as_json: bool, limit: int) -> None:
    """List captured messages, most recent first: number, time, To, Subject, size.

    Times are in the team's time zone ([team] timezone); subjects are decoded.

    \b
    Example:
      mailer outbox list
    """
    folder = _folder(app)
    every = captured_mail.captured(folder)
    shown = list(reversed(every if limit == 0 else every[-limit:]))
    rows = [captured_mail.headers_of(item, app.config.team.tz) for item in shown]
    if as_json:
        for row in rows:
            click.echo(json.dumps({k: v for k, v in row.items() if k not in ("shown", "to_addresses")},
                                  ensure_ascii=False))
        return
    if not rows:
        click.echo(f"No captured mail in {folder}.")
        return
    # No vertical rules and To/Subject sharing what is left: readable at 80 columns.
    table = Table(title=f"Captured mail in {folder} ({len(every)})", box=box.SIMPLE_HEAD, show_edge=False,
                  pad_edge=False, collapse_padding=True, padding=(0, 1), expand=True)
    table.add_column("No.", justify="right", no_wrap=True)
    table.add_column("Captured", no_wrap=True)
    # An address is read whole: its column is as wide as the longest (up to 32), the subject wraps.
    widest = max((len(captured_mail.readable(r["to_addresses"])) for r in rows), default=10)
    table.add_column("To", overflow="fold", min_width=min(32, widest))
    table.add_column("Subject", overflow="fold", ratio=1)
    table.add_column("Size", justify="right", no_wrap=True)
    for row in rows:
        # Text(), not markup: a subject such as "[urgent]" is shown as written.
        table.add_row(str(row["number"]), str(row["shown"]), Text(captured_mail.readable(row["to_addresses"])),
                      Text(captured_mail.readable(row["subject"])), _size(int(row["size"])))  # type: ignore[arg-type]
    Console().print(table)
    if len(every) > len(rows):
        click.echo(f"{len(every) - len(rows)} older message(s) not shown: --limit 0 lists them all.")


@outbox.command("show")
@click.argument("number", type=click.IntRange(min=1))
@click.option("--raw", is_flag=True, help="Print the message's bytes exactly as captured.")
@pass_app
@handle_errors
def show_command(app: App, number: int, raw: bool) -> None:
    """Show message NUMBER (see `mailer outbox list`): headers, envelope, attachments, text.

    Control characters are shown as '?', so no captured mail can drive the terminal; --raw
    prints the bytes untouched (for a pipe or a file).

    \b
    Example:
      mailer outbox show 1
    """
    (item,) = captured_mail.pick(_folder(app), [number])
    if raw:
        click.echo(captured_mail.read_bytes(item.path), nl=False)     # bytes: written untouched
        return
    click.echo(captured_mail.describe(item, app.config.team.tz), nl=False)


@outbox.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.argument("numbers", nargs=-1, type=click.IntRange(min=1))
@pass_app
@handle_errors
def export_command(app: App, folder: Path, numbers: tuple[int, ...]) -> None:
    """Save captured messages as .eml files in FOLDER (all of them, or the NUMBERS given).

    Each file is NNNN-recipient.eml (the number of `mailer outbox list`), with CRLF line
    endings: a double-click opens it in a mail client. A file already there with other content
    is never overwritten; exporting again into the same folder only adds what is new.

    \b
    Example:
      mailer outbox export courriers 3 4
    """
    source = _folder(app)
    items = captured_mail.pick(source, dict.fromkeys(numbers)) if numbers else captured_mail.captured(source)
    if not items:
        click.echo(f"No captured mail in {source}: nothing exported.")
        return
    written, unchanged = captured_mail.export(items, folder)
    click.echo(f"{len(written)} message(s) written to {folder}"
               + (f", {len(unchanged)} already there unchanged" if unchanged else "") + ".")
    for path in written[:5]:
        click.echo(f"  {path}")
    if len(written) > 5:
        click.echo(f"  ... and {len(written) - 5} more")
