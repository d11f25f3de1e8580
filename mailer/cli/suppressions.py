"""Suppressions: `mailer suppressions list|remove` (erasure is `mailer person erase`, cli/person.py).

Both changes cannot be undone by the tool itself, so they ask on the terminal unless --yes,
and refuse without one (`confirm_or_refuse`), like `campaign send`.
"""

from __future__ import annotations

import getpass

import click

from .. import registry
from ..clock import for_people
from . import App, confirm_or_refuse, handle_errors, main, pass_app, yes_option
from .data import _show, json_option


def who() -> str:
    """Who a command's change is recorded as when no `--by` is given: `cli:<login>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):     # no login name in some containers
        return "cli"


_who = who


by_option = click.option("--by", default=None, help="Who makes the change (default: cli:<login>).")


@main.group("suppressions")
def suppressions_group() -> None:
    """Addresses that must not be mailed: unsubscribed, bounced, complained or erased.

    \b
    Example:
      mailer suppressions list
    """


@suppressions_group.command("list")
@json_option
@pass_app
@handle_errors
def suppressions_list(app: App, as_json: bool) -> None:
    """List the suppressed addresses with reason, scope, date and source.

    \b
    Example:
      mailer suppressions list --json
    """
    snapshot = app.store.snapshot()
    found = [*registry.suppression_map(snapshot).values(), *registry.erased_suppressions(snapshot)]
    rows = [s.to_doc() for s in sorted(found, key=lambda s: (s.date, s.email))]
    _show(rows, [("email", "E-mail"), ("reason", "Reason"), ("scope", "Scope"), ("date", "Date"),
                 ("source", "Source")], "Suppressions", as_json, app.config.team.tz, ("date",))


@suppressions_group.command("remove")
@click.argument("email")
@click.option("--by", default=None, help="Who re-enables the address (default: cli:<login>).")
@yes_option
@pass_app
@handle_errors
def suppressions_remove(app: App, email: str, by: str | None, yes: bool) -> None:
    """Re-enable EMAIL: it may be mailed again. The change is recorded with who and when.

    Asks for confirmation unless --yes (and refuses without a terminal).

    \b
    Example:
      mailer suppressions remove anne.riviere@example.org --by claire
    """
    key = registry.canonical_email(email)
    found = registry.suppression_map(app.store.snapshot()).get(key)
    if found is None:
        raise registry.NotSuppressedError(f"{key} is not on the suppression list")
    tz = app.config.team.tz
    confirm_or_refuse(f"{key} is suppressed ({found.reason}, {found.scope}, since {for_people(found.date, tz)}). "
                      "Re-enable it, so that it may be mailed again?", yes, f"re-enable {key}")
    lifted = registry.unsuppress(app.store, email, by or who())
    click.echo(f"Re-enabled {lifted.email} (was suppressed: {lifted.reason}, {lifted.scope}, "
               f"since {for_people(lifted.date, tz)}).")
