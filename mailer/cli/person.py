"""A person's rights (GDPR): `mailer person export EMAIL`, `mailer person erase EMAIL` (alias `mailer erase`),
and the record of their consent, `mailer person consent EMAIL`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from .. import consent
from ..app import person as person_app
from ..clock import for_people
from ..registry import InvalidValueError, canonical_email
from . import App, confirm_or_refuse, handle_errors, main, pass_app, yes_option
from .suppressions import _who


@main.group("person")
def person_group() -> None:
    """Everything held about one person: export it (Art. 15), erase it (Art. 17).

    \b
    Example:
      mailer person export anne.riviere@example.org --out anne.json
    """


@person_group.command("export")
@click.argument("email")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the JSON document to this file (default: standard output).")
@pass_app
@handle_errors
def person_export(app: App, email: str, out: Path | None) -> None:
    """Everything held about EMAIL as one JSON document: the store's personal tables, raw messages
    in the mailbox, journals and frozen audiences, captured mail and previews.

    \b
    Example:
      mailer person export anne.riviere@example.org --out anne.json
    """
    text = json.dumps(person_app.export(app.config, app.store, email), ensure_ascii=False, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        from ..store.privatefiles import write_private_file
        write_private_file(out, text.encode("utf-8"))
        click.echo(f"exported {canonical_email(email)} to {out}", err=True)


@person_group.command("consent")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="One JSON document: the person's lists and events.")
@pass_app
@handle_errors
def person_consent(app: App, email: str, as_json: bool) -> None:
    """How EMAIL came onto each list and whether it left: for a data-protection request or audit.

    Per list (`members`: the action mailings; `subscribers`: the bulletin), the latest
    confirmation (how: a reply to the confirmation request, an import and its file, a command;
    the wording and its version) and the latest withdrawal (an unsubscribe or a complaint).

    \b
    Example:
      mailer person consent anne.riviere@example.org --json
    """
    key = canonical_email(email)
    if not key:
        raise InvalidValueError("an address is required")
    snapshot = app.store.snapshot()
    if as_json:
        click.echo(json.dumps({"email": key, "lists": consent.history_doc(snapshot, key)}, ensure_ascii=False, indent=2))
        return
    lists = consent.history(snapshot, key)
    if not lists:
        click.echo(f"{key}: no consent recorded (not on a list, or on it since before consent was recorded).")
    tz = app.config.team.tz
    for h in lists:
        click.echo(f"{key}, list {h.list.value}: {'active' if h.active else 'withdrawn'}")
        if h.confirmed:
            c = h.confirmed
            how = c.source or c.message_id or c.message_key
            click.echo(f"  confirmed {for_people(c.date, tz)} via {c.via}" + (f" ({how})" if how else "")
                       + (f", wording version {c.wording_version}" if c.wording_version else ""))
        if h.withdrawn:
            click.echo(f"  withdrawn {for_people(h.withdrawn.date, tz)}"
                       + (f" ({h.withdrawn.source})" if h.withdrawn.source else ""))


@person_group.command("erase")
@click.argument("email")
@click.option("--by", default=None, help="Who asked for the erasure (default: cli:<login>).")
@yes_option
@pass_app
@handle_errors
def person_erase(app: App, email: str, by: str | None, yes: bool) -> None:
    """Right to erasure: remove EMAIL everywhere (store, raw messages, journals, audiences, captured
    mail, previews); keep only a keyed hash so that no import, sign-up or send brings it back.

    Cannot be undone: asks for confirmation unless --yes (and refuses without a terminal).

    \b
    Example:
      mailer person erase anne.riviere@example.org --by dpo
    """
    key = canonical_email(email)
    if not key:
        raise InvalidValueError("cannot erase an empty address")
    found = person_app.export(app.config, app.store, key)
    places = sum(len(docs) for docs in found["store"].values())
    confirm_or_refuse(f"Erase {key}: remove {places} record(s) and {len(found['files'])} file(s) or journal "
                      "part(s) that hold them, keeping only a keyed hash of the address? This cannot be undone.",
                      yes, f"erase {key}")
    done = person_app.erase(app.config, app.store, key, by or _who())
    removed = sum(done.store.removed.values())
    click.echo(f"Erased {key}: {removed} record(s) deleted, {sum(done.store.anonymised.values())} kept "
               f"anonymous, {len(done.files_deleted)} file(s) deleted, {len(done.files_rewritten)} rewritten; "
               f"only {done.digest[:24]}… is kept (erased).")
    if done.store.without_referent:
        click.echo("Dossiers now without a référent: " + ", ".join(done.store.without_referent))
    if app.config.inbox.source == "imap":
        click.echo(f"IMAP {app.config.inbox.host}: {done.imap_deleted} message(s) deleted on the server.")


@main.command("erase")
@click.argument("email")
@click.option("--by", default=None, help="Who asked for the erasure (default: cli:<login>).")
@yes_option
@click.pass_context
def erase_alias(ctx: click.Context, email: str, by: str | None, yes: bool) -> None:
    """The same as `mailer person erase` (kept for scripts written before it).

    
    Example:
      mailer erase anne.riviere@example.org --by dpo
    """
    ctx.invoke(person_erase, email=email, by=by, yes=yes)


@main.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be removed; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (as_of, dry_run, counts) for scripts.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Purge as if it were this day (midnight in the team's zone), e.g. to preview a date.")
@pass_app
@handle_errors
def purge(app: App, dry_run: bool, as_json: bool, as_of: datetime | None) -> None:
    """The retention purge now, as `mailer serve` runs it once a day ([retention] in config.toml):
    unconfirmed sign-ups, old raw mail, former subscribers (erased as expired), old records of
    messages read. Prints how many records went per category, never an address.

    \b
    Example:
      mailer purge --dry-run
    """
    from ..app import retention
    when = as_of.replace(tzinfo=app.config.team.tz) if as_of else None
    done = retention.purge(app.config, app.store, when, dry_run)
    if as_json:
        click.echo(json.dumps(done.to_json()))
        return
    click.echo(f"{'Would remove' if dry_run else 'Removed'} (as of {done.as_of.isoformat(timespec='seconds')}):")
    for name, count in done.counts.items():
        click.echo(f"  {name:<22} {count}")
