"""Every command's error path: a store file of the wrong shape, an unreadable one, a full disk.

Each ends in a clear message and a non-zero exit, never a traceback (the CLI is invoked with
`catch_exceptions=False`: an exception escaping a command fails the test).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.config import load_config
from mailer.capture.maildirs import MaildirWriter
from mailer.models import Dossier, Group, Member, Subscriber, SuppressionReason
from mailer.registry import suppress, upsert_dossiers, upsert_groups, upsert_members, upsert_subscribers
from mailer.store import Store
from conftest import DATA, SmtpServer, write_config
from sending import write_campaign

if TYPE_CHECKING:
    from tinydisk import TinyDisk

pytest_plugins = ("tinydisk",)

COMMANDS = [
    "campaign preview {campaign} --out {tmp}/preview", "campaign test {campaign} --to relecture@example.org",
    "campaign send {campaign} --yes", "campaign send {campaign} --dry-run", "campaign status {campaign} --json",
    "campaign list", "campaign cancel {campaign} --yes", "import members {members}",
    "groups list", "groups export", "dossiers list", "dossiers export", "members list", "members export",
    "subscribers list", "subscribers add nouvelle@example.net", "subscribers remove abonne1@example.net",
    "subscribers export", "suppressions list", "suppressions remove abonne1@example.net --yes",
    "erase abonne1@example.net --yes", "parse {eml}", "triage list", "triage show 1", "triage resolve 1",
    "triage digest", "reports list", "outbox list", "outbox show 1", "outbox export {tmp}/export", "poll --once",
]
WRONG_SHAPES = {
    "a list": "[]",
    "tables as lists": '{"suppressions": [], "subscribers": [], "members": [], "groups": [], "campaigns": []}',
    "records as lists": '{"suppressions": {"1": []}, "subscribers": {"1": []}, "members": {"1": ["x"]}}',
}
STORE_FILES = ("mailer.json", "mailer.directory.json", "mailer.subscribers.json")


def project(folder: Path, server: SmtpServer, storage: Path | None = None) -> Path:
    config = write_config(folder, server.port, templates=DATA / "templates")
    if storage is not None:
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace('path = "var/mailer.json"', f'path = "{storage}"'), encoding="utf-8")
    store = Store(load_config(config).storage.path)
    upsert_subscribers(store, [Subscriber(f"abonne{i}@example.net", f"Abonné·e {i}") for i in range(3)])
    upsert_members(store, [Member("membre@example.org", "Membre", "")])
    upsert_groups(store, [Group("G037", "Groupe 37 de Lyon", "groupe_local", "Lyon", "groupe37@example.org")])
    upsert_dossiers(store, [Dossier("DI-2025-014", "Leïla Sadeghi", "Iran", "active", "ref@example.org", ["G037"])])
    suppress(store, "abonne1@example.net", SuppressionReason.UNSUBSCRIBE)
    store.secret("MAILER_TEST_SECRET_UNSET")
    write_campaign(folder)
    MaildirWriter(load_config(config).inbox.maildir).deliver((DATA / "fr-dev" / "003.eml").read_bytes())
    (folder / "membres.csv").write_text("Courriel;Nom\nnouveau@example.net;Nouveau\n", encoding="utf-8")
    return config


def run(config: Path, command: str) -> tuple[int, str]:
    folder = config.parent
    args = command.format(campaign=folder / "bulletin-42.toml", members=folder / "membres.csv", tmp=folder,
                          eml=DATA / "fr-dev" / "003.eml").split()
    result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False, input="")
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("shape", list(WRONG_SHAPES))
@pytest.mark.parametrize("command", COMMANDS)
def test_a_store_file_of_the_wrong_shape_is_a_clear_error(tmp_path: Path, smtp_server: SmtpServer,
                                                          command: str, shape: str) -> None:
    config = project(tmp_path, smtp_server)
    folder = load_config(config).storage.path.parent
    for name in STORE_FILES:
        (folder / name).write_text(WRONG_SHAPES[shape], encoding="utf-8")
    code, output = run(config, command)
    if code:
        assert "Error: " in output, output
    if not command.startswith("outbox"):             # the outbox is captured mail, not the store
        assert code == 1 and "restore it from a backup" in output and str(folder) in output, output


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreadable_store_file_is_a_clear_error(tmp_path: Path, smtp_server: SmtpServer, command: str) -> None:
    config = project(tmp_path, smtp_server)
    state = load_config(config).storage.path
    state.unlink()
    state.mkdir()                           # root reads every file: a folder in its place cannot be read
    code, output = run(config, command)
    if code:
        assert "Error: " in output, output
    if not command.startswith("outbox"):
        assert code == 1 and str(state) in output, output


@pytest.mark.parametrize("command", COMMANDS)
def test_a_full_disk_is_a_clear_error(tmp_path: Path, smtp_server: SmtpServer, tiny_disk_factory,
                                      command: str) -> None:
    disk: TinyDisk = tiny_disk_factory(512)
    config = project(tmp_path, smtp_server, storage=disk.path / "var" / "mailer.json")
    before = {name: (disk.path / "var" / name).read_bytes() for name in STORE_FILES if (disk.path / "var" / name).exists()}
    disk.fill()
    code, output = run(config, command)
    if code:
        assert "Error: " in output, output
    if "No space left on device" not in output:
        return
    assert code == 1
    assert {name: (disk.path / "var" / name).read_bytes() for name in before} == before    # nothing half-written


@pytest.mark.parametrize("command", ["subscribers add nouvelle@example.net", "import members {members}",
                                     "campaign send {campaign} --yes", "suppressions remove abonne1@example.net --yes"])
def test_a_command_that_writes_on_a_full_disk_says_so(tmp_path: Path, smtp_server: SmtpServer, tiny_disk_factory,
                                                      command: str) -> None:
    disk: TinyDisk = tiny_disk_factory(512)
    config = project(tmp_path, smtp_server, storage=disk.path / "var" / "mailer.json")
    if command.startswith("suppressions"):
        assert run(config, "subscribers remove abonne1@example.net")[0] == 0
    disk.fill()
    code, output = run(config, command)
    assert code == 1 and "No space left on device" in output, output
    disk.free()
    code, output = run(config, command)
    assert code == 0, output
    shutil.rmtree(disk.path / "var", ignore_errors=True)
