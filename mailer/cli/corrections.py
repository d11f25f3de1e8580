"""A person finishes what the inbox could not: `triage apply|accept|member`, `reports edit|delete`.

Each is one call into `inbound/corrections.py` or `inbound/report_edits.py`; every change is
recorded with who (`--by`, default `cli:<login>`) and when. Actions are `--action TYPE=COUNT[@DATE]`
(repeatable; `fund=62.50@2026-03-12` takes an amount in euros; `TYPE=0` removes that type), and
replace every action of the types they name.
"""

from __future__ import annotations

import json

import click

from ..errors import MailerError
from ..inbound import corrections, report_edits
from ..inbound.actionspec import TYPES
from ..inbound.summaries import action_line
from . import App, handle_errors, pass_app
from .inbox import reports_group, triage_group
from .suppressions import by_option, who

ACTION_HELP = (f"TYPE=COUNT[@DATE], repeatable; TYPE one of {', '.join(TYPES)}; fund takes euros "
               "(fund=62.50@2026-03-12); TYPE=0 removes that type.")
action_option = click.option("--action", "actions", multiple=True, metavar="TYPE=COUNT[@DATE]", help=ACTION_HELP)
group_option = click.option("--group", "group_code", default=None, help="The group code (replaces the reading's).")
dossier_option = click.option("--dossier", default=None, help="The dossier ref (replaces the reading's).")
note_option = click.option("--note", default="", help="Why (kept with the change).")


def _send(app: App) -> str:
    """Send the answers now pending, as the service does after a batch (the outbound wing's
    journal keeps them sent once); a mail server that is down leaves them for the next poll."""
    from ..outbound.answers import AnswerSender      # the outbound wing: the inbox only records answers

    try:
        sent = AnswerSender(app.config, app.store).send_pending()
    except MailerError as exc:
        return f"answer not sent yet ({exc}): the next poll sends it"
    return f"{sent} answer(s) sent"


def _summary(doc: dict) -> str:
    where = f"group {doc.get('group') or '?'}, dossier {doc.get('dossier') or '?'}"
    return f"{where}: " + "; ".join(action_line(a) for a in doc.get("actions", []))


@triage_group.command("apply")
@click.argument("item_id", type=int)
@group_option
@dossier_option
@action_option
@note_option
@by_option
@pass_app
@handle_errors
def triage_apply(app: App, item_id: int, group_code: str | None, dossier: str | None, actions: tuple[str, ...],
                 note: str, by: str | None) -> None:
    """Record ITEM's message as a report, as read with your corrections; acknowledge it, resolve the item.

    The acknowledgement is the one an applied report gets, sent at once (else by the next poll).

    \b
    Example:
      mailer triage apply 12 --dossier DI-2025-014 --action petition=1200 --action fund=62.50@2026-03-12
    """
    doc = corrections.apply_item(app.config, app.store, item_id, group_code, dossier, actions, by or who(), note)
    click.echo(f"Recorded report {doc['id']} from triage item {item_id} ({_summary(doc)}); item resolved; "
               f"{_send(app)}.")


@triage_group.command("accept")
@click.argument("item_id", type=int)
@note_option
@by_option
@pass_app
@handle_errors
def triage_accept(app: App, item_id: int, note: str, by: str | None) -> None:
    """Accept ITEM's sign-up (double opt-in: a confirmation request goes out) or unsubscribe (applied).

    \b
    Example:
      mailer triage accept 12 --by claire
    """
    done = corrections.accept_item(app.config, app.store, item_id, by or who(), note)
    click.echo(f"Triage item {item_id}: {done}; item resolved; {_send(app)}.")


@triage_group.command("member")
@click.argument("item_id", type=int)
@click.option("--group", "group_code", required=True, help="The group the sender joins.")
@click.option("--name", default="", help="The member's name (default: the one the reading found).")
@by_option
@pass_app
@handle_errors
def triage_member(app: App, item_id: int, group_code: str, name: str, by: str | None) -> None:
    """Add ITEM's sender as a member of a group (the item stays open: apply or resolve it next).

    \b
    Example:
      mailer triage member 12 --group G037
    """
    member = corrections.member_item(app.config, app.store, item_id, group_code, by or who(), name)
    click.echo(f"{member.email} is now a member of {member.group}; triage item {item_id} stays open.")


@reports_group.command("edit")
@click.argument("report_id", type=int)
@group_option
@dossier_option
@action_option
@note_option
@click.option("--triage", "item_id", type=int, default=None,
              help="The triage item of the volunteer's answer: resolved and linked to this correction.")
@by_option
@pass_app
@handle_errors
def reports_edit(app: App, report_id: int, group_code: str | None, dossier: str | None, actions: tuple[str, ...],
                 note: str, item_id: int | None, by: str | None) -> None:
    """Correct REPORT: what it was, who changed it, when and why stay in its history.

    \b
    Example:
      mailer reports edit 7 --action petition=1200 --note "réponse du groupe" --triage 15
    """
    doc = report_edits.edit_report(app.store, report_id, group_code, dossier, actions, by or who(), note, item_id)
    click.echo(f"Report {report_id} corrected ({_summary(doc)}).")


@reports_group.command("delete")
@click.argument("report_id", type=int)
@note_option
@click.option("--triage", "item_id", type=int, default=None,
              help="The triage item of the volunteer's answer: resolved and linked to this deletion.")
@by_option
@pass_app
@handle_errors
def reports_delete(app: App, report_id: int, note: str, item_id: int | None, by: str | None) -> None:
    """Delete REPORT from every total (its record and history stay: `reports list --all`).

    \b
    Example:
      mailer reports delete 7 --note "compté deux fois"
    """
    doc = report_edits.delete_report(app.store, report_id, by or who(), note, item_id)
    click.echo(f"Report {report_id} deleted: it counts in no total now ({json.dumps(doc['history'][-1]['was'], ensure_ascii=False)}).")
