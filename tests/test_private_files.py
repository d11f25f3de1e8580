"""Every file mailer writes holds personal data: folders 0700, files 0600, under an ordinary umask.

The state folder after a whole walk (import, preview, send, poll, exports), and the outputs a
coordinator places elsewhere (`campaign preview --out`, `--csv`, `outbox export`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailer.capture.maildirs import MaildirWriter
from mailer.config import load_config
from conftest import DATA


@pytest.fixture(autouse=True)
def ordinary_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(root: Path) -> dict[str, str]:
    """Every folder and file under root (root included) that is not private, with its mode."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for path in [Path(folder), *(Path(folder) / f for f in files)]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            if mode & 0o077:
                found[str(path.relative_to(root.parent))] = oct(mode)
    return found


def test_the_state_folder_and_every_output_are_private(tmp_path: Path, setup, cli) -> None:
    config, campaign = setup(people=5)
    state = load_config(config).storage.path.parent
    MaildirWriter(load_config(config).inbox.maildir).deliver((DATA / "fr-dev" / "003.eml").read_bytes())
    out = tmp_path / "sorties"
    for args in (["campaign", "preview", str(campaign), "--out", str(out / "preview")],
                 ["campaign", "send", str(campaign), "--yes"],
                 ["poll", "--once"],
                 ["members", "export", "--csv", str(out / "membres.csv")],
                 ["subscribers", "export", "--csv", str(out / "abonnes.csv")]):
        result = cli(config, *args)
        assert result.exit_code == 0, result.output
    assert (out / "preview" / "bulletin-42.eml").exists() and (out / "membres.csv").exists()
    assert modes(state) == {}
    assert modes(out) == {}


def test_a_preview_into_an_existing_folder_makes_its_files_private_and_leaves_the_folder(
        tmp_path: Path, setup, cli) -> None:
    config, campaign = setup(people=3)
    shared = tmp_path / "partage"
    shared.mkdir(mode=0o755)
    old = shared / "bulletin-42.eml"
    old.write_bytes(b"an older preview")
    os.chmod(old, 0o644)
    result = cli(config, "campaign", "preview", str(campaign), "--out", str(shared))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755           # a folder the coordinator chose
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in shared.iterdir()} == \
        {"bulletin-42.eml": "0o600", "bulletin-42.html": "0o600"}
    assert b"older" not in old.read_bytes()
