"""Every command and option says what it does (as sqlite-utils' test_docs does)."""

from __future__ import annotations

from collections.abc import Iterator

import click
from click.testing import CliRunner

from mailer.cli import main


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from walk(sub, (*path, name))


def test_every_command_and_option_has_help() -> None:
    commands = list(walk(main))
    assert len(commands) > 15
    for path, command in commands:
        assert command.help, f"mailer {' '.join(path)} has no help"
        for param in command.params:
            if isinstance(param, click.Option) and param.name not in ("help", "version"):
                assert param.help, f"mailer {' '.join(path)} {param.opts[0]} has no help"
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output


def test_the_campaign_contract_commands_exist() -> None:
    names = {" ".join(path) for path, _ in walk(main)}
    for expected in ("campaign preview", "campaign test", "campaign send", "campaign status", "campaign list",
                     "campaign cancel", "import", "groups list", "dossiers list", "members list",
                     "subscribers list", "subscribers add", "subscribers remove", "suppressions list",
                     "suppressions remove", "dev-smtp"):
        assert expected in names
