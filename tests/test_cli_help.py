"""Every command and option says what it does (as sqlite-utils' test_docs does)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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


def _leaves() -> list[tuple[tuple[str, ...], click.Command]]:
    return [(path, command) for path, command in walk(main) if path and not isinstance(command, click.Group)]


def test_every_command_shows_one_example_that_names_itself() -> None:
    for path, command in walk(main):
        if not path:
            continue
        output = CliRunner().invoke(main, [*path, "--help"]).output
        lines = output.splitlines()
        assert "Example:" in [line.strip() for line in lines], f"mailer {' '.join(path)}: no example in its help"
        example = lines[[line.strip() for line in lines].index("Example:") + 1].strip()
        expected = "mailer " + " ".join(path) if not isinstance(command, click.Group) else "mailer " + path[0]
        assert example.startswith(expected), f"mailer {' '.join(path)}: its example is {example!r}"


# Commands whose README text waits for the merge (helpers do not edit README.md; the text is in
# their report). Remove the entry when README.md names the command.
def test_the_readme_names_every_command() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    missing = [" ".join(path) for path, _ in _leaves()
               if f"mailer {' '.join(path)}" not in readme]
    assert not missing, f"README.md does not mention: {', '.join('mailer ' + m for m in missing)}"
