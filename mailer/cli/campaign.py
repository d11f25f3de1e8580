"""`mailer campaign ...`: preview, test, send (now or scheduled), approve, status, list, cancel, archive."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click

from ..clock import for_people, system_clock
from ..errors import CampaignError
from ..outbound import approvals, archive, proofs
from ..outbound.campaigns import Campaign
from ..outbound.files import load_campaign
from ..outbound.listing import catalogue
from ..outbound.runner import CampaignService
from ..outbound.session import SendSession, sending
from . import App, confirm_or_refuse, handle_errors, main, pass_app, yes_option
from .campaign_views import ProgressBar, bullets, describe, render_list, when

CAMPAIGN_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _service(app: App) -> CampaignService:
    return CampaignService(app.config, app.store)


@main.group()
def campaign() -> None:
    """Write a campaign as a TOML file, preview it, test it, send it.

    \b
    Example:
      mailer campaign list
    """


WHO_HELP = "Render the variant this audience member gets: an address, or group:CODE (default: the first)."


@campaign.command()
@click.argument("file", type=CAMPAIGN_FILE)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("preview"),
              show_default=True, help="Folder for the .eml and .html files.")
@click.option("--as", "--recipient", "who", help=WHO_HELP)
@pass_app
@handle_errors
def preview(app: App, file: Path, out_dir: Path, who: str | None) -> None:
    """Render one message of FILE to an .eml and an .html file, sending nothing.

    \b
    Example:
      mailer campaign preview campaigns/alerte-exemple.toml --as group:G021
    """
    service, campaign = _service(app), load_campaign(file)
    eml, html, recipient = proofs.preview(service, campaign, out_dir, who)
    sample = " (a sample recipient: the audience is empty for now)" if recipient.email == proofs.SAMPLE else ""
    click.echo(f"rendered for {recipient.email} ({recipient.kind}){sample}:\n  {eml}\n  {html}")
    _gaps(service, campaign)
    if not app.config.team.postal_address:      # Gmail/Yahoo's bulk-sender rules want it in the footer
        click.echo(f"warning: team.postal_address is empty: set the association's postal address in "
                   f"{app.config.source} before sending; mailings carry it in their footer", err=True)


def _gaps(service: CampaignService, campaign: Campaign) -> None:
    for gap in service.audience_gaps(campaign):
        click.echo(f"note: {gap}", err=True)


@campaign.command()
@click.argument("file", type=CAMPAIGN_FILE)
@click.option("--to", "to", required=True, multiple=True,
              help="A proof-reader's address (repeat --to for several: each gets the message).")
@click.option("--as", "who", help=WHO_HELP)
@pass_app
@handle_errors
def test(app: App, file: Path, to: tuple[str, ...], who: str | None) -> None:
    """Send the message one audience member gets to each --to, subject marked [TEST].

    Its unsubscribe link and return path carry tokens that resolve to no address: a
    proof-reader clicking them changes nothing. Nothing is frozen or recorded.

    \b
    Example:
      mailer campaign test campaigns/alerte-exemple.toml --to moi@example.org --to relecteur@example.org --as group:G021
    """
    recipient, results = proofs.send_test(_service(app), load_campaign(file), to, who)
    failed = [r for r in results if r.error]
    for result in results:
        click.echo(f"test message ({recipient.email}'s variant) sent to {result.to}" if not result.error
                   else f"test message to {result.to} NOT sent: {result.error}")
    if failed:
        raise click.ClickException(f"{len(failed)} of {len(results)} test message(s) not sent")


def _check_resume(app: App, session: SendSession, file: Path) -> None:
    """A file that differs from the one frozen under its name: refuse when nothing is left, explain otherwise."""
    changed = session.differences
    if not changed:
        return
    earlier = session.service.status_of(session.campaign.name, session.header)
    origin = f" from {earlier.file}" if earlier.file and Path(earlier.file) != session.campaign.source else ""
    if not session.pending:
        raise CampaignError(
            f"campaign {session.campaign.name!r} was already sent under this name{origin}, {when(earlier, app)}, "
            f"to {earlier.total} recipients; {file} differs from it:{bullets(changed)}\n"
            "Nothing was sent. To send this file, give it a new `name`.")
    audience_note = ("\nThe audience does not change on a resume: it was frozen at the first send."
                     if any(line.startswith("audience:") for line in changed) else "")
    click.echo(f"warning: {file} changed since the first send{origin} ({when(earlier, app)}):{bullets(changed)}\n"
               f"The {len(session.pending)} remaining recipients will receive the file as it is now; the "
               f"{session.total - len(session.pending)} already done keep what they got.{audience_note}", err=True)


BY_HELP = ("Who is sending: one of team.coordinators (default: $MAILER_COORDINATOR). Needed when the "
           "campaign needs a second coordinator's approval; the approval must come from someone else.")


@campaign.command()
@click.argument("file", type=CAMPAIGN_FILE)
@yes_option
@click.option("--dry-run", is_flag=True, help="Render every message and count, send nothing.")
@click.option("--by", "by", envvar="MAILER_COORDINATOR", metavar="EMAIL", help=BY_HELP)
@pass_app
@handle_errors
def send(app: App, file: Path, yes: bool, dry_run: bool, by: str | None) -> None:
    """Send FILE to its audience, or schedule it; run again to resume after a crash or a pause.

    Asks for confirmation (without --yes and without a terminal it refuses). A file whose
    `name` was already sent with other contents is refused; resuming a campaign whose file
    changed says what the remaining recipients will get.

    A file whose `send_at` is still to come is scheduled, not sent: its audience is frozen now
    and `mailer serve` starts it at send_at, never after `not_after`. A bulletin, or a campaign
    larger than approval.min_recipients, needs a second coordinator's approval first (with
    approval.required): without one, `send` mails the other coordinators an approval request
    with the preview and refuses, naming who can approve.

    \b
    Example:
      mailer campaign send campaigns/alerte-exemple.toml --by claire@example.org
    """
    by = by or os.environ.get("MAILER_COORDINATOR") or None     # also when another command invokes this one
    service = _service(app)
    campaign = load_campaign(file)
    if dry_run:
        status = proofs.dry_run(service, campaign)
        _gaps(service, campaign)
        click.echo(f"dry run of {campaign.name}: {status.total} recipients; {status.sent} would be sent, "
                   f"{status.suppressed} suppressed, {status.failed} cannot be built; nothing sent")
        return
    with sending(service, campaign) as session:
        _check_resume(app, session, file)
        pending, total = session.pending, session.total
        if not pending:
            status = service.status(campaign)
            click.echo(describe(status, app) + f"\nNothing left to send: it was sent {when(status, app)}. "
                       "To send it again, give the file a new `name`.")
            return
        now = system_clock()
        tz, zone = app.config.team.tz, app.config.team.timezone
        if campaign.not_after is not None and now >= campaign.not_after:
            raise CampaignError(f"campaign {campaign.name!r}: its not_after ({for_people(campaign.not_after, tz)}, "
                                f"{zone}) has passed: it is never sent after it. Nothing was sent.")
        session.check()
        if not session.frozen:
            _gaps(service, campaign)
        approved = approvals.gate(session, by)
        unknown = len(session.journal.in_flight())
        click.echo(f"campaign {campaign.name}: audience {total}, {len(pending)} to send")
        if approved is not None:
            click.echo(f"approved by {approved.by} on {for_people(approved.date, tz)} ({approved.via})")
        if unknown:
            click.echo(f"{unknown} of them have no recorded result from an earlier run: they may already have "
                       "it, and may get a second copy.")
        what = f"{len(pending)} of {total} recipients remain" if len(pending) != total else f"{total} recipients"
        if campaign.send_at is not None and campaign.send_at > now:
            limit = f", never after {for_people(campaign.not_after, tz)}" if campaign.not_after else ""
            confirm_or_refuse(f"Schedule campaign {campaign.name!r} ({campaign.kind}) for "
                              f"{for_people(campaign.send_at, tz)} ({zone}){limit}? {what}.", yes, "schedule it")
            scheduled = session.schedule(by.strip().lower() if by else None)
            click.echo(describe(scheduled, app) + "\nThe service (`mailer serve`) sends it then: keep it running. "
                       f"`mailer campaign cancel {file}` cancels it; a change to the file stops it until it is "
                       "sent (and approved) again.")
            return
        confirm_or_refuse(f"Send campaign {campaign.name!r} ({campaign.kind}) now? {what}.", yes, "send")
        started = time.monotonic()
        with ProgressBar(len(pending)) as bar:
            status = session.run(on_progress=bar.update)
        elapsed = time.monotonic() - started
    sent_now = session.this_run["sent"]
    click.echo(describe(status, app))
    click.echo(f"this run: {sent_now} sent in {elapsed:.1f} s, {sent_now / max(elapsed, 1e-6):.0f} msg/s")
    if status.state != "done":
        sys.exit(4 if status.state == "paused" else 1)


@campaign.command()
@click.argument("file", type=CAMPAIGN_FILE)
@click.option("--by", "by", required=True, metavar="EMAIL",
              help="The approving coordinator: one of team.coordinators, not the one sending it.")
@yes_option
@pass_app
@handle_errors
def approve(app: App, file: Path, by: str, yes: bool) -> None:
    """Approve FILE as it is now (its content hash and audience size) as the coordinator --by.

    The other way is a reply to the approval request `send` mailed (the token in its Reply-To,
    from the coordinator it was mailed to). Any change of the file or of the audience voids the
    approval. Asks for confirmation (without --yes and without a terminal it refuses).

    \b
    Example:
      mailer campaign approve campaigns/bulletin-exemple.toml --by julien@example.org
    """
    service = _service(app)
    target = load_campaign(file)
    total = approvals.audience_size(service, target)
    confirm_or_refuse(f"Approve campaign {target.name!r} ({target.kind}, {total} recipients, file "
                      f"{target.digest[:12]}) as {by}?", yes, "approve")
    record = approvals.approve(service, target, total, by)
    click.echo(f"campaign {target.name}: approved by {record.by} for {total} recipients and file "
               f"{record.file_sha256[:12]}; a change of either voids it. It is sent (or scheduled) by "
               "`mailer campaign send FILE --by EMAIL` from another coordinator.")


@campaign.command()
@click.argument("file", type=CAMPAIGN_FILE)
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object: name, state, total, sent, failed, suppressed, pending, in_flight, ...")
@pass_app
@handle_errors
def status(app: App, file: Path, as_json: bool) -> None:
    """Where FILE's sending stands (total = sent + failed + suppressed + pending).

    \b
    Example:
      mailer campaign status campaigns/alerte-exemple.toml --json
    """
    result = _service(app).status(load_campaign(file))
    click.echo(json.dumps(result.to_json(), ensure_ascii=False) if as_json else describe(result, app))


@campaign.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (the fields of status --json).")
@pass_app
@handle_errors
def list_(app: App, as_json: bool) -> None:
    """Every campaign, most recently changed first: sent ones as `status` reports them, and the
    drafts of the campaigns folder (invalid files and names already taken are shown too).

    \b
    Example:
      mailer campaign list
    """
    rows = catalogue(_service(app))
    if as_json:
        for row in rows:
            click.echo(json.dumps(row.to_json(), ensure_ascii=False))
        return
    if not rows:
        click.echo(f"No campaign yet: write one in {app.config.campaigns.folder} (see campaigns/alerte-exemple.toml).")
        return
    click.echo(render_list(rows, app))


@campaign.command()
@click.argument("file", type=CAMPAIGN_FILE)
@yes_option
@pass_app
@handle_errors
def cancel(app: App, file: Path, yes: bool) -> None:
    """Cancel FILE for good: it never sends again (a running send stops within a second).

    Asks for confirmation (without --yes and without a terminal it refuses).

    \b
    Example:
      mailer campaign cancel campaigns/rappel-exemple.toml
    """
    service = _service(app)
    target = load_campaign(file)
    current = service.status(target)
    confirm_or_refuse(f"Cancel campaign {target.name!r} for good? {current.pending} of {current.total} recipients "
                      "have not received it, and it can never be sent under this name again.", yes,
                      "cancel the campaign")
    service.cancel(target)
    click.echo(f"campaign {target.name} cancelled ({current.sent} had been sent, {current.pending} never will be)")


@campaign.command(name="archive")
@click.argument("target", metavar="FILE|NAME")
@click.option("--json", "as_json", is_flag=True, help="The archive's record as one JSON object.")
@pass_app
@handle_errors
def archive_(app: App, target: str, as_json: bool) -> None:
    """What a sent campaign was, as it went out: one copy per variant, with its audience counts.

    Written when a send starts and updated when it ends, under the storage folder
    (campaigns/NAME/archive/): each variant's .eml (open it in a mail client) and .html,
    rendered for a stand-in of that variant (no subscriber's address, no live link).

    \b
    Example:
      mailer campaign archive bulletin-2026-03
    """
    path = Path(target)
    name = load_campaign(path).name if path.is_file() else target.strip()
    index = archive.read_archive(app.config.state_dir, name)
    if index is None:
        raise CampaignError(f"no archive of campaign {name!r}: it was never sent (or was sent before mailer kept "
                            "archives); mailer campaign list shows the campaigns")
    if as_json:
        click.echo(json.dumps(index, ensure_ascii=False))
        return
    tz = app.config.team.tz
    outcome = index.get("outcome") or {}
    click.echo(f"{index['campaign']} ({index['kind']})")
    if outcome:
        click.echo(f"  {outcome.get('state')}: {outcome.get('total')} recipients, {outcome.get('sent')} sent, "
                   f"{outcome.get('failed')} failed, {outcome.get('suppressed')} suppressed, "
                   f"{outcome.get('pending')} pending (as of {for_people(outcome.get('updated'), tz)})")
    sent = {v["n"]: v for v in outcome.get("by_variant", [])}
    for version, variant, eml in archive.copies(app.config.state_dir, index):
        if variant["n"] == 1:
            click.echo(f"version {version['version']}, sent from {for_people(version['started'], tz)} "
                       f"({app.config.team.timezone}): {version['file']} (sha256 {version['file_sha256'][:12]})")
            click.echo(f"  subject: {version['subject']}")
            kinds = ", ".join(f"{k} {n}" for k, n in version["audience"]["by_kind"].items())
            click.echo(f"  audience {version['audience']['total']}: {kinds}")
        who = variant["kind"] + (f" {variant['group']}" if variant["group"] else "") + \
            (", named" if variant["named"] else "")
        done = sent.get(variant["n"])
        count = f"{variant['recipients']} recipients" + (f", {done['sent']} sent" if done else "")
        click.echo(f"  {variant['n']}. {who}: {count}\n     {eml}")
