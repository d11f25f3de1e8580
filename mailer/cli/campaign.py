"""`mailer campaign ...`: preview, test, send, status, list, cancel."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..outbound.campaigns import Campaign, load_campaign
from ..outbound.runner import CampaignService, CampaignStatus
from . import App, handle_errors, main, pass_app

CAMPAIGN_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _service(app: App) -> CampaignService:
    return CampaignService(app.config, app.store)


def _describe(status: CampaignStatus) -> str:
    text = (f"{status.name}: {status.state} — {status.total} recipients, {status.sent} sent, "
            f"{status.failed} failed, {status.suppressed} suppressed, {status.pending} pending")
    if status.in_flight and status.pending:
        text += f" ({status.in_flight} were in flight at an interruption and will be sent again)"
    if status.reason:
        text += f"\nreason: {status.reason}"
    return text


@main.group()
def campaign() -> None:
    """Write a campaign as a TOML file, preview it, test it, send it."""


@campaign.command()
@click.argument("file", type=CAMPAIGN_FILE)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("preview"),
              show_default=True, help="Folder for the .eml and .html files.")
@click.option("--recipient", help="Render for this address (default: the first of the audience).")
@pass_app
@handle_errors
def preview(app: App, file: Path, out_dir: Path, recipient: str | None) -> None:
    """Render one message of FILE to an .eml and an .html file, sending nothing."""
    eml, html, who = _service(app).preview(load_campaign(file), out_dir, recipient)
    click.echo(f"rendered for {who.email}:\n  {eml}\n  {html}")


@campaign.command()
@click.argument("file", type=CAMPAIGN_FILE)
@click.option("--to", "to", required=True, help="The address that receives the test (usually yours).")
@pass_app
@handle_errors
def test(app: App, file: Path, to: str) -> None:
    """Send one message of FILE to --to, subject prefixed with [TEST]."""
    message = _service(app).send_test(load_campaign(file), to)
    click.echo(f"test message sent to {message.recipient}")


def _confirm(campaign: Campaign, total: int, pending: int, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise click.ClickException("refusing to send without confirmation: no terminal to ask on; "
                                   "pass --yes to send")
    what = f"{pending} of {total} recipients remain" if pending != total else f"{total} recipients"
    click.confirm(f"Send campaign {campaign.name!r} ({campaign.kind}) now? {what}.", abort=True)


class _ProgressBar:
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

    def __enter__(self) -> "_ProgressBar":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


@campaign.command()
@click.argument("file", type=CAMPAIGN_FILE)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (scripts).")
@click.option("--dry-run", is_flag=True, help="Render every message and count, send nothing.")
@pass_app
@handle_errors
def send(app: App, file: Path, yes: bool, dry_run: bool) -> None:
    """Send FILE to its audience; run again to resume after a crash or a pause."""
    service = _service(app)
    campaign = load_campaign(file)
    if dry_run:
        status = service.dry_run(campaign)
        click.echo(f"dry run of {campaign.name}: {status.total} recipients; {status.sent} would be sent, "
                   f"{status.suppressed} suppressed, {status.failed} cannot be built; nothing sent")
        return
    with service.sending(campaign) as session:
        pending = session.pending
        total = session.total
        if not pending:
            click.echo(_describe(service.status(campaign)))
            return
        session.check()
        if session.edited_since_freeze:
            click.echo(f"warning: {file} changed since the first send; the audience stays as frozen, "
                       "the new text goes to the remaining recipients", err=True)
        click.echo(f"campaign {campaign.name}: audience {total}, {len(pending)} to send")
        _confirm(campaign, total, len(pending), yes)
        started = time.monotonic()
        with _ProgressBar(len(pending)) as bar:
            status = session.run(on_progress=bar.update)
        elapsed = time.monotonic() - started
    sent_now = status.sent
    click.echo(_describe(status))
    click.echo(f"{elapsed:.1f} s, {sent_now / max(elapsed, 1e-6):.0f} msg/s")
    if status.state != "done":
        sys.exit(4 if status.state == "paused" else 1)


@campaign.command()
@click.argument("file", type=CAMPAIGN_FILE)
@click.option("--json", "as_json", is_flag=True, help="One JSON object (name, state, total, sent, failed, ...).")
@pass_app
@handle_errors
def status(app: App, file: Path, as_json: bool) -> None:
    """Where FILE's sending stands."""
    result = _service(app).status(load_campaign(file))
    click.echo(json.dumps(result.to_json(), ensure_ascii=False) if as_json else _describe(result))


@campaign.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_app
@handle_errors
def list_(app: App, as_json: bool) -> None:
    """Campaigns that were sent or cancelled, most recent first."""
    records = _service(app).list()
    if as_json:
        for record in records:
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    table = Table("name", "kind", "state", "total", "sent", "failed", "suppressed", "pending", "updated")
    for r in records:
        table.add_row(*(str(r.get(k, "")) for k in ("name", "kind", "state", "total", "sent", "failed",
                                                     "suppressed", "pending", "updated")))
    Console().print(table)


@campaign.command()
@click.argument("file", type=CAMPAIGN_FILE)
@pass_app
@handle_errors
def cancel(app: App, file: Path) -> None:
    """Cancel FILE for good: it never sends again (a running send stops within a second)."""
    target = load_campaign(file)
    _service(app).cancel(target)
    click.echo(f"campaign {target.name} cancelled")
