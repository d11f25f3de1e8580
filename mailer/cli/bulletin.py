"""`mailer bulletin draft`: the bulletin's campaign file and Markdown, pre-filled from the store."""

from __future__ import annotations

from datetime import date, datetime

import click

from ..dossiers import parse_day
from ..outbound import drafting
from . import App, handle_errors, main, pass_app


@main.group()
def bulletin() -> None:
    """The bulletin (three a year), drafted from the dossiers and the reports.

    \b
    Example:
      mailer bulletin draft
    """


@bulletin.command()
@click.option("--since", "since_text", metavar="DATE",
              help="Count from this day (2026-03-20 or 20/03/2026; default: the day the last bulletin was "
                   "sent, else 4 months ago).")
@pass_app
@handle_errors
def draft(app: App, since_text: str | None) -> None:
    """Write campaigns/bulletin-DAY.toml and its Markdown draft, pre-filled from the store.

    The Markdown holds the dossiers whose status changed, the actions reported per dossier, the
    most active groups, the aid fund's contributions, and "[À écrire : ...]" places for your
    own words (`campaign send` refuses the bulletin while one is left). Only the fields marked
    public on a dossier appear; a dossier with none is left out, and named here. Files already
    there are kept as they are.

    \b
    Example:
      mailer bulletin draft --since 2026-09-01
    """
    today = datetime.now(app.config.team.tz).date()
    since: date | None = None
    if since_text:
        try:
            since = parse_day(since_text, "--since")
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--since") from None
        if since > today:
            raise click.BadParameter(f"{since.isoformat()} is after today", param_hint="--since")
    files = drafting.draft_bulletin(app.config, app.store, today, since)
    click.echo(f"bulletin since {files.since.isoformat()} ({files.since_why}):")
    for written in (files.campaign, files.markdown):
        click.echo(f"  {written.path}" + ("" if written.written else "  (already there: kept as it is)"))
    if files.left_out:
        click.echo(f"left out (no public field): {', '.join(files.left_out)}; to include one, mark its public "
                   "fields: mailer dossiers edit REF --public person,country,summary,outcome, then draft again "
                   "(after removing these files)")
    click.echo(f"next: edit {files.markdown.path.name}, then mailer campaign preview {files.campaign.path}")
