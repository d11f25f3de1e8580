"""`mailer outbox`: captured mail read back through the CLI, on files a real capture server wrote."""

from __future__ import annotations

import inspect
import json
import os
import re
import smtplib
import stat
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailer.config import load_config
from mailer.capture.devsmtp import CaptureServer

from conftest import free_port, write_config

REPO = Path(__file__).resolve().parent.parent
TEAM = "protegeonslespersonnes@example.org"
NEW_YEAR_UTC = "1767225600"         # 2026-01-01 00:00:00 UTC, as a Maildir name starts


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, CaptureServer]]:
    """A project whose capture server runs on a free port: (config path, server)."""
    monkeypatch.setenv("COLUMNS", "200")          # rich folds the table to the terminal's width
    config = write_config(tmp_path, smtp_port=free_port())
    server = CaptureServer(load_config(config)).start()
    yield config, server
    server.stop()


def send(server: CaptureServer, message: EmailMessage | bytes, to: str) -> None:
    with smtplib.SMTP(server.host, server.port, timeout=10) as client:
        if isinstance(message, bytes):
            client.sendmail(TEAM, [to], message)
        else:
            client.send_message(message, from_addr=TEAM, to_addrs=[to])


def alert(to: str, subject: str, body: str = "Bonjour,\nécrivez au ministre avant le 15 décembre.\n") -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Protégeons les personnes <{TEAM}>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_list_is_most_recent_first_with_decoded_subjects(project: tuple[Path, CaptureServer], cli) -> None:
    config, server = project
    send(server, alert("Claire Martin <claire@example.net>", "Action urgente : Ibrahima Sow (Guinée)"),
         "claire@example.net")
    send(server, alert("paul@example.net", "Deuxième envoi"), "paul@example.net")
    send(server, alert("zoe@example.net", "[urgent] troisième"), "zoe@example.net")
    files = sorted((server.outbox / "new").iterdir())
    assert b"=?utf-8?" in files[0].read_bytes()                  # the subject travelled RFC 2047-encoded

    rows = json_lines(cli(config, "outbox", "list", "--json").output)
    assert [r["number"] for r in rows] == [3, 2, 1]
    assert [r["subject"] for r in rows] == ["[urgent] troisième", "Deuxième envoi",
                                            "Action urgente : Ibrahima Sow (Guinée)"]
    assert rows[2]["to"] == "Claire Martin <claire@example.net>"
    assert rows[2]["size"] == os.path.getsize(rows[2]["path"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", rows[0]["captured"])

    table = cli(config, "outbox", "list").output
    assert "Action urgente : Ibrahima Sow (Guinée)" in table
    assert "[urgent] troisième" in table                          # shown as written, not read as markup
    assert table.index("troisième") < table.index("Deuxième") < table.index("Ibrahima")

    last = cli(config, "outbox", "list", "--limit", "1")
    assert "troisième" in last.output and "Deuxième" not in last.output
    assert "2 older message(s) not shown" in last.output


@pytest.mark.parametrize(("zone", "shown", "iso"), [
    ("Europe/Paris", "2026-01-01 01:00", "2026-01-01T01:00:00+01:00"),
    ("America/Montreal", "2025-12-31 19:00", "2025-12-31T19:00:00-05:00"),
])
def test_times_are_the_teams(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch, zone: str, shown: str,
                             iso: str) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    config = write_config(tmp_path, smtp_port=free_port())
    config.write_text(config.read_text(encoding="utf-8").replace("[team]\n", f'[team]\ntimezone = "{zone}"\n'),
                      encoding="utf-8")
    new = tmp_path / "var" / "outbox" / "new"
    new.mkdir(parents=True)
    (new / f"{NEW_YEAR_UTC}.M000001P7Q0Rab.host").write_bytes(b"To: a@example.net\nSubject: Bonne annee\n\nx\n")

    (row,) = json_lines(cli(config, "outbox", "list", "--json").output)
    assert row["captured"] == iso
    assert shown in cli(config, "outbox", "list").output
    assert f"captured {shown}:00" in cli(config, "outbox", "show", "1").output


def test_arrival_order_is_numeric_within_a_second(tmp_path: Path, cli) -> None:
    """`M99999` arrived before `M100000`: a string sort would say otherwise."""
    config = write_config(tmp_path, smtp_port=free_port())
    new = tmp_path / "var" / "outbox" / "new"
    new.mkdir(parents=True)
    (new / f"{NEW_YEAR_UTC}.M100000P7Q1Rab.host").write_bytes(b"Subject: second\n\nx\n")
    (new / f"{NEW_YEAR_UTC}.M99999P7Q0Rab.host").write_bytes(b"Subject: first\n\nx\n")
    rows = json_lines(cli(config, "outbox", "list", "--json").output)
    assert [(r["number"], r["subject"]) for r in rows] == [(2, "second"), (1, "first")]


def test_show_reads_in_a_terminal_and_raw_gives_the_bytes(project: tuple[Path, CaptureServer], cli) -> None:
    config, server = project
    message = alert("claire@example.net", "Lettre au ministre")
    message.add_alternative("<p>Bonjour <b>Claire</b></p>", subtype="html")
    message.add_attachment(b"%PDF-1.4 modele", maintype="application", subtype="pdf", filename="modèle.pdf")
    send(server, message, "claire@example.net")
    hostile = (b"From: x@example.net\r\nTo: claire@example.net\r\nSubject: =?utf-8?q?Alerte_=1B=5B2J_efface?=\r\n"
               b"Content-Type: text/plain; charset=utf-8\r\n\r\nLigne \x1b]0;titre\x07 fin\r\n")
    send(server, hostile, "claire@example.net")

    shown = cli(config, "outbox", "show", "1")
    assert shown.exit_code == 0
    out = shown.output
    assert "Subject: Lettre au ministre" in out and "To: claire@example.net" in out
    assert f"Envelope: from <{TEAM}> to claire@example.net" in out
    assert "Attachment: modèle.pdf (application/pdf, 15 bytes)" in out
    assert "écrivez au ministre avant le 15 décembre." in out      # the text part, decoded
    assert "<p>" not in out

    escaped = cli(config, "outbox", "show", "2").output
    assert "\x1b" not in escaped and "\x07" not in escaped
    assert "Subject: Alerte ?[2J efface" in escaped and "Ligne ?]0;titre? fin" in escaped

    raw = cli(config, "outbox", "show", "2", "--raw")
    (stored,) = [p for p in (server.outbox / "new").iterdir() if b"efface" in p.read_bytes()]
    assert raw.stdout_bytes == stored.read_bytes()


def test_show_a_number_that_is_not_there(project: tuple[Path, CaptureServer], cli) -> None:
    config, server = project
    empty = cli(config, "outbox", "show", "1")
    assert empty.exit_code == 1 and "no message 1" in empty.output and "it is empty" in empty.output
    send(server, alert("a@example.net", "Un"), "a@example.net")
    send(server, alert("b@example.net", "Deux"), "b@example.net")
    beyond = cli(config, "outbox", "show", "5")
    assert beyond.exit_code == 1 and "it holds messages 1 to 2" in beyond.output
    assert "Traceback" not in beyond.output
    assert cli(config, "outbox", "show", "0").exit_code == 2              # click: not in the range 1..


def test_export_writes_eml_files_once_and_never_overwrites(project: tuple[Path, CaptureServer], cli,
                                                           tmp_path: Path) -> None:
    config, server = project
    for who in ("claire@example.net", "paul@example.net"):
        send(server, alert(who, f"Pour {who}"), who)
    target = tmp_path / "courriers"

    first = cli(config, "outbox", "export", str(target))
    assert first.exit_code == 0 and "2 message(s) written" in first.output
    files = sorted(target.iterdir())
    assert [f.name for f in files] == ["0001-claire@example.net.eml", "0002-paul@example.net.eml"]
    data = files[0].read_bytes()
    assert b"\r\n" in data and re.search(rb"[^\r]\n", data) is None    # CRLF throughout
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    parsed = message_from_bytes(data, policy=policy.default)
    assert parsed["Subject"] == "Pour claire@example.net"
    assert "15 décembre" in parsed.get_content()

    again = cli(config, "outbox", "export", str(target))
    assert again.exit_code == 0 and "0 message(s) written" in again.output and "2 already there" in again.output

    send(server, alert("zoe@example.net", "Troisième"), "zoe@example.net")
    files[1].write_bytes(b"something else")
    clash = cli(config, "outbox", "export", str(target))
    assert clash.exit_code == 1 and "0002-paul@example.net.eml already exists with other content" in clash.output
    assert not (target / "0003-zoe@example.net.eml").exists()              # nothing written at all

    one = cli(config, "outbox", "export", str(tmp_path / "une"), "3")
    assert one.exit_code == 0
    assert [f.name for f in (tmp_path / "une").iterdir()] == ["0003-zoe@example.net.eml"]


def test_empty_outbox_and_a_config_that_captures_nothing(tmp_path: Path, cli) -> None:
    config = write_config(tmp_path, smtp_port=free_port(), smtp_extra="embedded = false\n")
    result = cli(config, "outbox", "list")
    assert result.exit_code == 0
    assert "No captured mail in" in result.stdout
    assert "smtp.embedded is false" in result.stderr and "not captured" in result.stderr
    assert cli(config, "outbox", "export", str(tmp_path / "x")).output.count("nothing exported") == 1


def test_the_walk_through_lands_in_the_outbox_with_the_coordinators_notice(
        project: tuple[Path, CaptureServer], cli) -> None:
    """README's walk-through against the capture server, read back with `mailer outbox`."""
    config, _ = project
    for kind in ("groups", "dossiers", "members", "subscribers"):
        assert cli(config, "import", kind, str(REPO / "examples" / f"{kind}.csv")).exit_code == 0
    sent = cli(config, "campaign", "send", str(REPO / "campaigns" / "alerte-exemple.toml"), "--yes")
    assert sent.exit_code == 0, sent.output

    rows = json_lines(cli(config, "outbox", "list", "--json").output)
    notice, *alerts = rows
    assert len(alerts) == 4 and {r["subject"] for r in alerts} == {"Action urgente : Ibrahima Sow (Guinée)"}
    assert notice["to"] == "coordination@example.org"
    assert notice["subject"] == "Campagne « alerte-di-2025-027 » terminée : 4 envoyés sur 4"
    text = cli(config, "outbox", "show", str(notice["number"])).output
    assert "État : terminée" in text and "done" not in text
    assert re.search(r"Message-ID: <[0-9a-f]{32}@example\.org>", text)
    assert re.search(r"Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}", text)


COMMANDS: list[tuple[str, ...]] = [("outbox",), ("outbox", "list"), ("outbox", "show"), ("outbox", "export"),
                                   ("serve",), ("dev-smtp",), ("poll",)]


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_ends_with_one_example(path: tuple[str, ...]) -> None:
    from mailer.cli import main

    command: Callable[..., object] = main
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    # "\b" (a backspace) keeps click from re-wrapping the example
    text = inspect.cleandoc(command.help or "")  # type: ignore[attr-defined]
    assert re.search(r"\n\n\x08\nExample:\n  mailer \S[^\n]*$", text), path
