"""The bulk-sender rules (Gmail/Yahoo 2024) on the shipped campaigns: the association's postal
identity in every footer, a plain-text part, List-Unsubscribe-Post exactly when the one-click
endpoint exists."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Callable

import pytest
from conftest import write_config

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "campaigns").glob("*.toml"))
POSTAL = "Maison des associations, 12 rue de la Paix, 75002 Paris"


def shipped_project(folder: Path, cli: Callable[..., object], postal: str = "", base_url: str = "") -> Path:
    """A project with the shipped templates and the examples imported."""
    config = write_config(folder, extra=f'[web]\nbase_url = "{base_url}"\n')
    text = config.read_text(encoding="utf-8").replace(
        "[storage]", f'postal_address = "{postal}"\n[storage]', 1)
    config.write_text(text, encoding="utf-8")
    for kind in ("groups", "dossiers", "members", "subscribers"):
        result = cli(config, "import", kind, str(REPO / "examples" / f"{kind}.csv"))
        assert result.exit_code == 0, result.output
    return config


def preview(cli: Callable[..., object], config: Path, campaign: Path) -> tuple[EmailMessage, str]:
    out = config.parent / "preview"
    result = cli(config, "campaign", "preview", str(campaign), "--out", str(out))
    assert result.exit_code == 0, result.output
    name = next(line.split("=", 1)[1].strip().strip('"') for line in campaign.read_text(encoding="utf-8").splitlines()
                if line.startswith("name"))
    raw = (out / f"{name}.eml").read_bytes()
    return message_from_bytes(raw, policy=policy.default), result.output      # type: ignore[return-value]


@pytest.mark.parametrize("campaign", EXAMPLES, ids=lambda p: p.stem)
def test_every_shipped_mailing_has_the_postal_address_and_a_text_part(tmp_path: Path, cli: Callable[..., object],
                                                                       campaign: Path) -> None:
    config = shipped_project(tmp_path, cli, postal=POSTAL)
    message, output = preview(cli, config, campaign)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None          # multipart/alternative: a real text part
    assert POSTAL in " ".join(text.get_content().split())
    assert POSTAL in html.get_content()
    assert "postal_address" not in output


def test_preview_warns_while_the_postal_address_is_empty(tmp_path: Path, cli: Callable[..., object]) -> None:
    config = shipped_project(tmp_path, cli)
    _, output = preview(cli, config, EXAMPLES[0])
    assert "warning: team.postal_address is empty" in output


@pytest.mark.parametrize("base_url", ["", "https://asso.example/lettre"])
def test_list_unsubscribe_post_exactly_when_base_url_is_set(tmp_path: Path, cli: Callable[..., object],
                                                            base_url: str) -> None:
    config = shipped_project(tmp_path, cli, postal=POSTAL, base_url=base_url)
    message, _ = preview(cli, config, EXAMPLES[0])
    assert ("List-Unsubscribe-Post" in message) == bool(base_url)
    assert (f"<{base_url}/u/" in message["List-Unsubscribe"]) == bool(base_url)
    if base_url:
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
