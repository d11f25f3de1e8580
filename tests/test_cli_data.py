"""`mailer import`, the list commands, subscribers and suppressions, through the real CLI."""

from __future__ import annotations

import inspect
import json
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner
import pytest

from mailer import registry
from mailer.cli import main
from mailer.config import load_config
from mailer.models import SuppressionReason, SuppressionScope
from mailer.store import Store

FR_DEV = Path(__file__).parent / "data" / "fr-dev"
Cli = Callable[..., Any]


def store_of(project: Path) -> Store:
    return Store(load_config(project).storage.path)


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.fixture
def imported(project: Path, cli: Cli) -> Path:
    """The project with the fr-dev groups, dossiers and members imported."""
    for kind in ("groups", "dossiers", "members"):
        result = cli(project, "import", kind, str(FR_DEV / f"{kind}.csv"))
        assert result.exit_code == 0, result.output
    return project


def test_import_reference_files_then_list(imported: Path, cli: Cli) -> None:
    groups = json_lines(cli(imported, "groups", "list", "--json").output)
    assert len(groups) == 11 and groups[0]["code"] == "G037"
    dossiers = json_lines(cli(imported, "dossiers", "list", "--json").output)
    assert {d["ref"]: d["groups"] for d in dossiers}["DI-2025-033"] == ["G019", "C021", "J007"]
    assert {d["ref"]: d["status"] for d in dossiers}["DI-2022-005"] == "closed"
    members = json_lines(cli(imported, "members", "list", "--json").output)
    assert {m["email"]: m["name"] for m in members}["marc-antoine.riviere@example.net"] == "Marc-Antoine Rivière"
    table = cli(imported, "groups", "list").output
    assert "Groups (11)" in table and "Saint-Étienne" in table


def test_import_summary_and_reimport(imported: Path, cli: Cli) -> None:
    result = cli(imported, "import", "members", str(FR_DEV / "members.csv"))
    assert result.exit_code == 0
    assert "13 rows: 0 added, 0 updated, 13 unchanged, 0 rejected." in result.output
    assert len(json_lines(cli(imported, "members", "list", "--json").output)) == 13


def test_bad_rows_are_listed_with_line_numbers_and_exit_3(imported: Path, cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "membres.csv"
    path.write_bytes("email;name;group\r\n"
                     "anne.riviere@example.org;Anne Rivière;G037\r\n"
                     "pas-une-adresse;Bob;\r\n"
                     "carl@example.org;Carl;G999\r\n"
                     "anne.riviere@example.org;Anne R.;G112\r\n".encode("cp1252"))
    result = cli(imported, "import", "members", str(path))
    assert result.exit_code == 3
    assert "4 rows: 1 added, 0 updated, 0 unchanged, 2 rejected." in result.output
    assert "rejected: line 3: email 'pas-une-adresse' is not a valid address" in result.output
    assert "rejected: line 4: unknown group 'G999'" in result.output
    assert "warning: line 5: email anne.riviere@example.org already on line 2" in result.output
    members = {m["email"]: m for m in json_lines(cli(imported, "members", "list", "--json").output)}
    assert members["anne.riviere@example.org"]["name"] == "Anne R."
    assert "carl@example.org" not in members


def test_unreadable_file_exits_1_with_the_reason(project: Path, cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("mail,nom,téléfone\na@example.org,A,06\n", encoding="utf-8")
    result = cli(project, "import", "subscribers", str(path))
    assert result.exit_code == 1
    assert "column 'téléfone' is not understood for subscribers" in result.output
    assert json_lines(cli(project, "subscribers", "list", "--json").output) == []
    skipped = cli(project, "import", "subscribers", str(path), "--skip-column", "Téléfone")
    assert skipped.exit_code == 0 and "1 added" in skipped.output


def test_store_is_private_after_an_import(imported: Path) -> None:
    store = store_of(imported)
    assert stat.S_IMODE(store.directory_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700


def test_subscribers_add_list_remove(project: Path, cli: Cli) -> None:
    assert cli(project, "subscribers", "add", "Zoe@Example.org", "--name", "Zoé").exit_code == 0
    (sub,) = json_lines(cli(project, "subscribers", "list", "--json").output)
    assert (sub["email"], sub["name"], sub["status"], sub["suppressed"]) == ("zoe@example.org", "Zoé", "active", None)
    bad = cli(project, "subscribers", "add", "zoe@", "--name", "Zoé")
    assert bad.exit_code == 1 and "not a valid address" in bad.output
    removed = cli(project, "subscribers", "remove", "ZOE@example.org")
    assert removed.exit_code == 0 and "Removed zoe@example.org" in removed.output
    assert cli(project, "subscribers", "list").output.strip() == "No subscribers."
    again = cli(project, "subscribers", "remove", "zoe@example.org")
    assert again.exit_code == 1 and "is not a subscriber" in again.output


def test_suppression_survives_import_and_remove_is_recorded(project: Path, cli: Cli, tmp_path: Path) -> None:
    store = store_of(project)
    registry.suppress(store, "anne@example.org", SuppressionReason.UNSUBSCRIBE, SuppressionScope.BULLETIN, "msg-7")
    path = tmp_path / "abonnes.csv"
    path.write_text("\ufeffemail;name\nAnne@example.org;Anne\nbob@example.org;Bob\n", encoding="utf-8")
    result = cli(project, "import", "subscribers", str(path))
    assert result.exit_code == 0
    assert "2 added" in result.output and "1 rows are suppressed addresses" in result.output
    listed = json_lines(cli(project, "suppressions", "list", "--json").output)
    assert [(s["email"], s["reason"], s["scope"], s["source"]) for s in listed] == [
        ("anne@example.org", "unsubscribe", "bulletin", "msg-7")]
    subs = {s["email"]: s["suppressed"] for s in json_lines(cli(project, "subscribers", "list", "--json").output)}
    assert subs == {"anne@example.org": "unsubscribe (bulletin)", "bob@example.org": None}

    removed = cli(project, "suppressions", "remove", "ANNE@example.org", "--by", "claire", "--yes")
    assert removed.exit_code == 0 and "Re-enabled anne@example.org" in removed.output
    assert cli(project, "suppressions", "list").output.strip() == "No suppressions."
    event = registry.suppression_events(store.snapshot())[-1]
    assert (event["action"], event["email"], event["by"]) == ("unsuppress", "anne@example.org", "claire")
    missing = cli(project, "suppressions", "remove", "anne@example.org")
    assert missing.exit_code == 1 and "not on the suppression list" in missing.output


def test_table_cells_are_not_rich_markup(project: Path, cli: Cli) -> None:
    cli(project, "subscribers", "add", "mark@example.org", "--name", "[red]Mark[/red]")
    assert "[red]Mark[/red]" in cli(project, "subscribers", "list").output


DATA_COMMANDS = ["import", "groups", "dossiers", "members", "subscribers", "suppressions"]


@pytest.mark.parametrize("name", DATA_COMMANDS)
def test_every_data_command_has_help(name: str) -> None:
    command = main.commands[name]
    commands = [command, *getattr(command, "commands", {}).values()]
    for cmd in commands:
        assert (cmd.help or "").strip(), f"{cmd.name} has no help"
        for param in cmd.params:
            if isinstance(param, click.Option):
                assert (param.help or "").strip(), f"{cmd.name} {param.name} has no help"


def test_erase_removes_the_person_and_no_import_brings_them_back(project: Path, cli: Cli, tmp_path: Path) -> None:
    members = tmp_path / "m.csv"
    members.write_text("email,name,group\nzoe@example.org,Zoé Côté,\npaul@example.org,Paul,\n", encoding="utf-8")
    assert cli(project, "import", "members", str(members)).exit_code == 0
    assert cli(project, "subscribers", "add", "zoe@example.org", "--name", "Zoé").exit_code == 0
    result = cli(project, "erase", "Zoe@Example.org", "--by", "dpo", "--yes")
    # the member, the subscriber, and the consent each came with (the import's, the command's)
    assert result.exit_code == 0 and "4 record(s) deleted" in result.output
    assert [m["email"] for m in json_lines(cli(project, "members", "list", "--json").output)] == ["paul@example.org"]
    assert json_lines(cli(project, "subscribers", "list", "--json").output) == []
    (suppression,) = json_lines(cli(project, "suppressions", "list", "--json").output)
    # issue 8: only a keyed hash is kept, in place of the address
    assert suppression["email"].startswith("hmac-sha256:") and (suppression["reason"], suppression["scope"]) == ("erased", "all")
    assert cli(project, "import", "members", str(members)).exit_code == 0
    listed = {m["email"]: m["suppressed"] for m in json_lines(cli(project, "members", "list", "--json").output)}
    assert "zoe@example.org" not in listed    # issue 8: an import no longer re-adds an erased person


@pytest.mark.parametrize("args, doing", [
    (("erase", "anne@example.org"), "erase anne@example.org"),
    (("suppressions", "remove", "anne@example.org"), "re-enable anne@example.org"),
])
def test_destructive_commands_refuse_without_a_terminal(project: Path, cli: Cli, args: tuple[str, ...],
                                                        doing: str) -> None:
    """CliRunner's stdin is no terminal: like a cron job or a pipe, it must not answer 'yes' by accident."""
    store = store_of(project)
    registry.suppress(store, "anne@example.org", SuppressionReason.BOUNCE, source="dsn-1")
    registry.add_subscriber(store, "anne@example.org", "Anne")
    before = (registry.suppression_map(store.snapshot()), registry.subscribers(store.snapshot()))
    result = cli(project, *args, input="y\n")
    assert result.exit_code == 1
    assert f"refusing to {doing} without confirmation: no terminal to ask on; pass --yes" in result.output
    assert (registry.suppression_map(store.snapshot()), registry.subscribers(store.snapshot())) == before


def _set(store: Store, table: str, **values: str) -> None:
    with store.transaction() as tx:
        for doc in tx.raw(table).values():
            doc.update(values)


def test_tables_show_times_in_the_team_zone_and_json_as_stored(project: Path, cli: Cli) -> None:
    store = store_of(project)
    registry.add_subscriber(store, "anne@example.org", "Anne")
    registry.suppress(store, "bob@example.org", SuppressionReason.COMPLAINT, source="arf-1")
    _set(store, "subscribers", since="2026-01-15T23:30:00+00:00")
    _set(store, "suppressions", date="2026-07-01T22:05:00+00:00")
    assert "2026-01-16 00:30" in cli(project, "subscribers", "list").output          # Paris, winter: UTC+1
    assert "2026-07-02 00:05" in cli(project, "suppressions", "list").output         # Paris, summer: UTC+2
    assert json_lines(cli(project, "subscribers", "list", "--json").output)[0]["since"] == "2026-01-15T23:30:00+00:00"
    assert json_lines(cli(project, "suppressions", "list", "--json").output)[0]["date"] == "2026-07-01T22:05:00+00:00"
    removed = cli(project, "suppressions", "remove", "bob@example.org", "--yes")
    assert "since 2026-07-02 00:05" in removed.output


EXAMPLE_RE = r"\x08\nExample:\n  mailer [^\n]+$"


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, click.Command]]:
    found = [(" ".join(path), command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += _commands(sub, (*path, name))
    return found


@pytest.mark.parametrize("name", [*DATA_COMMANDS, "erase", "parse", "triage", "reports"])
def test_every_data_and_inbox_command_ends_its_help_with_one_example(name: str) -> None:
    for path, command in _commands(main.commands[name], (name,)):
        help_text = inspect.cleandoc(command.help or "")
        match = re.search(EXAMPLE_RE, help_text)
        assert match, f"mailer {path}: no example at the end of its help"
        assert match.group(0).split("\n")[-1].strip().startswith(f"mailer {path.split()[0]}"), path
        shown = CliRunner().invoke(main, [*path.split(), "--help"]).output
        assert "\n  Example:\n    mailer " in shown, path


def test_the_export_commands_exist() -> None:
    for group in ("groups", "dossiers", "members", "subscribers"):
        assert "export" in main.commands[group].commands      # type: ignore[attr-defined]
    help_text = inspect.cleandoc(main.commands["members"].commands["export"].help)  # type: ignore[attr-defined]
    assert help_text.endswith("\x08\nExample:\n  mailer members export --csv membres.csv --labels fr")
