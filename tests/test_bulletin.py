"""The bulletin (issue 10): drafted from the store (`mailer bulletin draft`), its Markdown rendered
into the bulletin template's text and HTML parts, only the dossiers' public fields, a preview with
an empty audience, and the archive of what a real send (to an aiosmtpd recorder) delivered."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import SmtpServer, write_config
from sending import audience_received

from mailer.config import load_config
from mailer.outbound.markdown import escape_markdown, render_markdown
from mailer.store import Store
from mailer.store.records import Report
from mailer.store.schema import REPORTS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
Cli = Callable[..., Any]
SECRET = "caché chez sa tante à Huehuetenango"          # a non-public summary: never in a draft or a mail


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def ok(result: Any) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def add_report(config: Path, group: str, dossier: str, days_ago: int, *actions: dict[str, Any]) -> None:
    store = Store(load_config(config).storage.path)
    read = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(timespec="seconds")
    with store.transaction() as tx:
        tx.table(REPORTS).insert(Report(date=read, sender="x@example.org", group=group, dossier=dossier,
                                        actions=list(actions)))


@pytest.fixture
def team(tmp_path: Path, smtp_server: SmtpServer, cli: Cli) -> Path:
    """The examples' groups and dossiers, no subscriber; a release, a non-public dossier, reports, fund."""
    config = write_config(tmp_path, smtp_server.port, extra='[web]\nbase_url = "https://mailer.example.org"\n')
    for kind in ("groups", "dossiers"):
        ok(cli(config, "import", kind, str(EXAMPLES / f"{kind}.csv")))
    ok(cli(config, "dossiers", "edit", "DI-2025-027", "--public", "person,country,summary,outcome",
           "--summary", "Journaliste à Conakry <b>détenu</b> depuis 2025."))
    ok(cli(config, "dossiers", "set-status", "DI-2025-027", "clos", "--outcome", "libéré·e",
           "--date", (today() - timedelta(days=3)).isoformat(), "--no-thanks"))
    ok(cli(config, "dossiers", "edit", "DI-2024-011", "--summary", SECRET))          # nothing public
    ok(cli(config, "dossiers", "set-status", "DI-2024-011", "suspendu", "--date", today().isoformat()))
    add_report(config, "G021", "DI-2025-027", 10, {"type": "letter_authorities", "count": 40},
               {"type": "fund", "amount_eur": 120.0, "date": (today() - timedelta(days=10)).isoformat()})
    add_report(config, "G088", "DI-2025-027", 8, {"type": "petition", "count": 1320})
    add_report(config, "G046", "DI-2024-011", 6, {"type": "petition", "count": 300},
               {"type": "fund", "amount_eur": 50.5})
    add_report(config, "G021", "DI-2025-027", 400, {"type": "letter_support", "count": 999})   # before the period
    return config


def draft(cli: Cli, config: Path, *args: str) -> tuple[str, Path, Path]:
    out = ok(cli(config, "bulletin", "draft", *args))
    name = f"bulletin-{today().isoformat()}"
    folder = config.parent / "campaigns"
    return out, folder / f"{name}.toml", folder / f"{name}.md"


def parts(data: bytes) -> tuple[EmailMessage, str, str]:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return message, text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def test_the_draft_is_prefilled_from_the_store_with_public_fields_only(team: Path, cli: Cli) -> None:
    out, toml_path, md_path = draft(cli, team)
    assert str(toml_path) in out and str(md_path) in out
    assert "4 months ago (no bulletin sent yet)" in out
    assert "left out (no public field): DI-2024-011" in out
    md = md_path.read_text(encoding="utf-8")
    nbsp = "\u00a0"
    assert "### Ibrahima Sow (Guinée) : libéré·e (le " in md                      # the release, public fields
    assert r"Journaliste à Conakry \<b\>détenu\</b\> depuis 2025\." in md        # escaped as Markdown text
    assert f"- **Ibrahima Sow (Guinée)** : 40{nbsp}lettres, 1{nbsp}320{nbsp}signatures et 120{nbsp}€ pour le " \
           f"Fonds d'aide (2{nbsp}groupes)." in md
    assert f"- Sur nos autres dossiers : 300{nbsp}signatures et 50,50{nbsp}€ pour le Fonds d'aide." in md
    assert "## Les groupes les plus actifs" in md and "1. Groupe 21 de Rennes (Rennes) : 1" in md
    assert f"170,50{nbsp}€ ont été versés au Fonds : Groupe 21 de Rennes (120{nbsp}€) et Groupe 46 de Bordeaux " \
           f"(50,50{nbsp}€)" in md
    assert "999" not in md                                                       # a report before the period
    for private in (SECRET, "Ana Lucía", "Guatemala", "DI-2024-011", "julien.morel", "Arman"):
        assert private not in md and private not in toml_path.read_text(encoding="utf-8")
    assert md.count("[À écrire") == 4                                            # editorial, news, fund, agenda
    toml = toml_path.read_text(encoding="utf-8")
    assert f'markdown = "{md_path.name}"' in toml and 'kind = "bulletin"' in toml and 'audience = "subscribers"' in toml
    # run again: the files a coordinator may have edited are kept as they are
    md_path.write_text("# Édité\n", encoding="utf-8")
    again, _, _ = draft(cli, team, "--since", (today() - timedelta(days=7)).isoformat())
    assert "already there: kept as it is" in again and md_path.read_text(encoding="utf-8") == "# Édité\n"


def test_since_counts_from_the_day_given(team: Path, cli: Cli) -> None:
    _, _, md_path = draft(cli, team, "--since", (today() - timedelta(days=7)).isoformat())
    md = md_path.read_text(encoding="utf-8")
    assert "40\u00a0lettres" not in md and "300\u00a0signatures" in md        # the G021 report was 10 days ago


def test_preview_of_a_draft_renders_for_a_sample_recipient_while_nobody_subscribes(team: Path, cli: Cli) -> None:
    _, toml_path, md_path = draft(cli, team)
    out = ok(cli(team, "campaign", "preview", str(toml_path), "--out", str(team.parent / "preview")))
    assert "a sample recipient: the audience is empty for now" in out
    eml = team.parent / "preview" / f"{toml_path.stem}.eml"
    message, text, html = parts(eml.read_bytes())
    assert message["Subject"] == "Bulletin : des nouvelles de nos dossiers"
    assert "Des nouvelles de nos dossiers\n=============================" in text
    assert "Ibrahima Sow (Guinée)\u00a0: libéré·e" in text and "<h3" in html and "Ibrahima Sow (Guinée)" in html
    assert "&lt;b&gt;détenu&lt;/b&gt;" in html and "<b>détenu" not in html
    assert "Bonjour Camille," in text
    for private in (SECRET, "Ana Lucía", "Guatemala"):
        assert private not in text and private not in html


def test_markdown_is_rendered_by_the_library_into_both_parts() -> None:
    body = render_markdown("# Titre\n\n## Partie\n\nUn [lien](https://example.org/a) et *ceci* : oui ?\n\n"
                           "- un\n- deux\n\n1. premier\n2. second\n\n<script>alert(1)</script> & {{ 7 * 7 }}\n\n"
                           "[piège](javascript:alert(1))\n")
    html, text = str(body.html), body.text
    assert "<h1>Titre</h1>" in html and "<h2>Partie</h2>" in html
    assert '<a href="https://example.org/a">lien</a>' in html
    assert "<ul>\n<li>un</li>\n<li>deux</li>\n</ul>" in html and "<ol>\n<li>premier</li>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; {{ 7 * 7 }}" in html and "<script>" not in html
    assert 'href="javascript' not in html                                       # refused as a link: left as text
    assert text.startswith("Titre\n=====\n\nPartie\n------\n\nUn lien (https://example.org/a) et ceci\u00a0: oui\u00a0?")
    assert "- un\n- deux\n\n1. premier\n2. second" in text
    assert "<script>alert(1)</script> & {{ 7 * 7 }}" in text                   # text stays text
    assert escape_markdown("*Groupe_1* [x](y) <b>") == r"\*Groupe\_1\* \[x\]\(y\) \<b\>"


def write_bulletin(folder: Path, markdown: str | None, name: str = "bulletin-essai") -> Path:
    path = folder / "campaigns" / f"{name}.toml"
    path.parent.mkdir(exist_ok=True)
    line = f'markdown = "{name}.md"\n' if markdown is not None else ""
    path.write_text(f'name = "{name}"\nkind = "bulletin"\nsubject = "Bulletin n° {{{{ vars.issue_number }}}}"\n'
                    f'template = "bulletin"\naudience = "subscribers"\n{line}[vars]\nissue_number = 27\n'
                    'title = "Un titre venu de vars"\n[[vars.news]]\ntitle = "Une nouvelle"\ntext = "Son texte."\n',
                    encoding="utf-8")
    if markdown is not None:
        (path.parent / f"{name}.md").write_text(markdown, encoding="utf-8")
    return path


def test_without_a_markdown_draft_the_bulletin_renders_from_vars(team: Path, cli: Cli) -> None:
    path = write_bulletin(team.parent, None)
    ok(cli(team, "campaign", "preview", str(path), "--out", str(team.parent / "preview")))
    _, text, html = parts((team.parent / "preview" / "bulletin-essai.eml").read_bytes())
    assert "Un titre venu de vars" in text and "Une nouvelle" in html and "Le Fonds d'aide" in text


def test_sent_bulletin_is_archived_as_it_went_out(team: Path, cli: Cli, smtp_server: SmtpServer) -> None:
    for n in range(3):
        ok(cli(team, "subscribers", "add", f"abonne{n}@example.net", "--name", f"Abonné {n}"))
    ok(cli(team, "subscribers", "add", "anonyme@example.net"))
    _, toml_path, md_path = draft(cli, team)
    refused = cli(team, "campaign", "send", str(toml_path), "--yes")
    assert refused.exit_code == 1 and "4 place(s) still marked" in refused.output
    assert smtp_server.handler.deliveries == []
    md = re.sub(r"\[À écrire : [^\]]*\]", "Nos mots, avec un [lien](https://example.org/agir).", md_path.read_text("utf-8"))
    md_path.write_text(md, encoding="utf-8")
    toml_path.write_text(toml_path.read_text("utf-8").replace("[vars]\n", "[vars]\nissue_number = 27\n"), "utf-8")
    ok(cli(team, "campaign", "send", str(toml_path), "--yes"))
    got = sorted(audience_received(smtp_server))
    assert got == ["abonne0@example.net", "abonne1@example.net", "abonne2@example.net", "anonyme@example.net"]
    delivery = next(d for d in smtp_server.handler.deliveries if d.rcpt_tos == ["abonne1@example.net"])
    message, text, html = parts(delivery.message.as_bytes())
    assert message["Precedence"] == "bulk" and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "https://mailer.example.org/u/" in message["List-Unsubscribe"]
    assert message["Subject"] == "Bulletin n° 27 : des nouvelles de nos dossiers"
    assert "Nos mots, avec un lien (https://example.org/agir)." in text and 'href="https://example.org/agir"' in html
    for private in (SECRET, "Ana Lucía", "Guatemala"):
        assert private not in text and private not in html

    index = json.loads(ok(cli(team, "campaign", "archive", toml_path.stem, "--json")))
    assert index["outcome"]["state"] == "done" and index["outcome"]["sent"] == 4
    (version,) = index["versions"]
    assert version["audience"] == {"total": 4, "by_kind": {"subscriber": 4}}
    assert [(v["named"], v["recipients"]) for v in version["variants"]] == [(True, 3), (False, 1)]
    assert [(v["recipients"], v["sent"]) for v in index["outcome"]["by_variant"]] == [(3, 3), (1, 1)]
    folder = load_config(team).state_dir / "campaigns" / toml_path.stem / "archive"
    copy = (folder / version["variants"][0]["eml"]).read_bytes()
    _, archived_text, _ = parts(copy)
    assert archived_text.split("-- \n")[0].replace("Prénom", "Abonné") == text.split("-- \n")[0]  # as it went out
    assert b"abonne" not in copy and b"destinataire@example.org" in copy                         # nobody's address
    shown = ok(cli(team, "campaign", "archive", str(toml_path)))
    assert "done: 4 recipients, 4 sent" in shown and "subscriber, named: 3 recipients, 3 sent" in shown

    # the next draft counts from this bulletin, and numbers itself after it
    out = ok(cli(team, "bulletin", "draft"))
    assert f"(the last bulletin, {toml_path.stem})" in out
    nxt = toml_path.parent / f"{toml_path.stem}-2.toml"
    assert "issue_number = 28" in nxt.read_text(encoding="utf-8")


def test_a_changed_draft_voids_the_approval(tmp_path: Path, smtp_server: SmtpServer, cli: Cli) -> None:
    config = write_config(tmp_path, smtp_server.port, extra="[approval]\nrequired = true\n")
    text = config.read_text(encoding="utf-8").replace('coordinators = ["coordination@example.org"]',
                                                      'coordinators = ["claire@example.org", "julien@example.org"]')
    config.write_text(text, encoding="utf-8")
    ok(cli(config, "subscribers", "add", "abonne@example.net"))
    path = write_bulletin(tmp_path, "# Bonjour\n\nTexte approuvé.\n")
    ok(cli(config, "campaign", "approve", str(path), "--by", "julien@example.org", "--yes"))
    (path.parent / "bulletin-essai.md").write_text("# Bonjour\n\nTexte changé après.\n", encoding="utf-8")
    refused = cli(config, "campaign", "send", str(path), "--yes", "--by", "claire@example.org")
    assert refused.exit_code == 1 and "julien@example.org" in refused.output and "nothing was sent" in refused.output
    assert "abonne@example.net" not in audience_received(smtp_server)
