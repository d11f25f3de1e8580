"""Issue 8, privacy: `mailer person export` and `mailer person erase` over a store filled by real flows."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from conftest import SmtpServer, write_config
from dovecot import Dovecot
from inbound_fixtures import dsn, mail
from sending import write_campaign

from mailer import registry
from mailer.capture.maildirs import MaildirWriter
from mailer.config import Config, load_config
from mailer.models import Dossier, Member
from mailer.outbound.runner import send_lock
from mailer.store import Store
from mailer.store.personal import Person

PERSON = "abonne0@example.net"
NAMES = ("Abonné zéro", "Abonné·e 0")      # as a member, as a subscriber (tests/sending.py)
COORDINATOR_HOLDS = re.compile(re.escape(PERSON), re.IGNORECASE)


def _text(path: Path) -> str:
    """A file as someone searching it would read it: its bytes, and a mail's decoded headers and text."""
    data = path.read_bytes()
    text = data.decode("utf-8", "replace")
    if path.parent.name in ("new", "cur", "tmp") or path.suffix == ".eml":
        message = message_from_bytes(data, policy=policy.default)
        text += " ".join(str(v) for v in message.values())
        text += " ".join(p.get_content() for p in message.walk() if p.get_content_maintype() == "text")
    return text.casefold()


def _places(config: Config) -> tuple[int, dict[str, int]]:
    """(files searched, path -> how many times the address or a name occurs) under the storage folder,
    the mailbox, the outbox and the previews."""
    roots = {config.state_dir, config.inbox.maildir, config.smtp.outbox, config.source.parent / "preview"}
    searched, found = 0, {}
    seen: set[Path] = set()
    for root in roots:
        for path in root.rglob("*") if root.exists() else ():
            if not path.is_file() or path.resolve() in seen:
                continue
            seen.add(path.resolve())
            searched += 1
            text = _text(path)
            count = sum(text.count(needle.casefold()) for needle in (PERSON, *NAMES))
            if count:
                found[str(path.relative_to(config.source.parent))] = count
    return searched, found


def _fill(setup: Callable[..., tuple[Path, Path]], cli: Callable[..., Any], tmp_path: Path) -> Config:
    """The person is a subscriber, a member and a référent; received a campaign (journal, frozen
    audience); wrote to the team (a report, a question for triage); bounced once; has a preview and a
    captured copy."""
    config_path, campaign = setup(5)
    config = load_config(config_path)
    store = Store(config.storage.path)
    registry.upsert_dossiers(store, [Dossier("DI-2025-014", "Leïla Sadeghi", "Iran", "active", PERSON, ["G037"])])
    registry.upsert_members(store, [Member(PERSON, "Abonné zéro", "G037")])
    assert cli(config_path, "campaign", "send", str(campaign), "--yes").exit_code == 0
    preview = cli(config_path, "campaign", "preview", str(campaign), "--out", str(tmp_path / "preview"),
                  "--as", PERSON)
    assert preview.exit_code == 0, preview.output
    inbox = MaildirWriter(config.inbox.maildir)
    inbox.deliver(mail(PERSON, "Bonjour, j'ai signé la pétition pour le dossier DI-2025-014.\nAbonné zéro\n",
                       name="Abonné zéro", subject="Pétition signée", message_id="<r1@example.net>"))
    inbox.deliver(mail(PERSON, "Pouvez-vous me rappeler demain ? Abonné zéro", name="Abonné zéro",
                       subject="Question", message_id="<q1@example.net>"))
    inbox.deliver(dsn(PERSON, message_id="<d1@mx.example.net>"))
    inbox.deliver(mail("autre@example.org", "Bonjour, je voudrais m'inscrire.", subject="Inscription",
                       message_id="<other@example.org>"))
    assert cli(config_path, "poll", "--once").exit_code == 0
    copy = mail("protegeonslespersonnes@example.org", "Bonjour Abonné zéro", to=PERSON, message_id="<c1@example.org>")
    MaildirWriter(config.smtp.outbox).deliver(copy)
    return config


@pytest.fixture
def filled(setup: Callable[..., tuple[Path, Path]], cli: Callable[..., Any], tmp_path: Path,
           smtp_server: SmtpServer) -> Config:
    return _fill(setup, cli, tmp_path)


def test_export_gives_everything_held_as_one_json_document(filled: Config, cli: Callable[..., Any],
                                                          tmp_path: Path) -> None:
    out = tmp_path / "export.json"
    result = cli(filled.source, "person", "export", "Abonne0@Example.net", "--out", str(out))
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["email"] == PERSON and set(NAMES) <= set(doc["names"])
    assert {"members", "subscribers", "dossiers", "reports", "triage", "inbound"} <= set(doc["store"]), doc["store"]
    kinds = {(Path(f["path"]).parent.parent.name, f["kind"]) for f in doc["files"]}
    assert any(kind == "lines" and "audience" in f["path"] for f in doc["files"] for kind in [f["kind"]])
    assert (".Traités", "message") in kinds and (".À trier", "message") in kinds and ("outbox", "message") in kinds
    assert any(f["path"].endswith(".eml") and "preview" in f["path"] for f in doc["files"])
    assert "autre@example.org" not in out.read_text(encoding="utf-8")
    # standard output without --out: the same document
    printed = json.loads(cli(filled.source, "person", "export", PERSON).output)
    assert printed["store"] == doc["store"] and len(printed["files"]) == len(doc["files"])


def test_erase_leaves_neither_address_nor_name_in_any_file(filled: Config, cli: Callable[..., Any],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    searched_before, before = _places(filled)
    held = {Path(p).name if "inbox" not in p and "outbox" not in p else Path(p).parent.parent.name for p in before}
    assert {"mailer.json", "mailer.directory.json", "mailer.subscribers.json", "mailer.inbound.jsonl", "audience.jsonl",
            ".Traités", ".À trier", "outbox", "bulletin-42.eml", "bulletin-42.html"} <= held, before
    result = cli(filled.source, "person", "erase", PERSON, "--by", "dpo", "--yes")
    assert result.exit_code == 0, result.output
    assert "Dossiers now without a référent: DI-2025-014" in result.output
    searched_after, after = _places(filled)
    with capsys.disabled():
        print(f"\nerasure search: {searched_before} files searched before, {len(before)} held the person "
              f"({sum(before.values())} occurrences); {searched_after} after, {len(after)} held them")
        for path, count in sorted(before.items()):
            print(f"  before: {count:3} {path}")
    assert after == {}, after
    store = Store(filled.storage.path)
    snapshot = store.snapshot()
    # reports stay as anonymous counts for the dossier
    (report,) = [r for r in snapshot.docs("reports") if r.get("dossier") == "DI-2025-014"]
    assert report["sender"] == "" and report["actions"]
    # what is kept: the keyed hash, shown by `suppressions list` as erased
    rows = [json.loads(line) for line in cli(filled.source, "suppressions", "list", "--json").output.splitlines()]
    (erased,) = [r for r in rows if r["reason"] == "erased"]
    assert erased["email"].startswith("hmac-sha256:") and PERSON not in json.dumps(rows)
    assert registry.suppression_map(snapshot)[PERSON].reason == "erased"
    # the other person's mail is still there
    assert any("autre@example.org" in _text(p) for p in filled.inbox.maildir.rglob("*") if p.is_file())


def test_an_erased_address_is_not_re_added_by_an_import_a_sign_up_or_a_send(
        filled: Config, cli: Callable[..., Any], tmp_path: Path, smtp_server: SmtpServer) -> None:
    assert cli(filled.source, "person", "erase", PERSON, "--yes").exit_code == 0
    members = tmp_path / "m.csv"
    members.write_text(f"email,name\n{PERSON.upper()},Abonné zéro\npaul@example.org,Paul\n", encoding="utf-8")
    result = cli(filled.source, "import", "members", str(members))
    assert result.exit_code == 0 and "1 rows name people who asked to be forgotten" in result.output
    subs = tmp_path / "s.csv"
    subs.write_text(f"Courriel\n{PERSON}\n", encoding="utf-8")
    assert cli(filled.source, "import", "subscribers", str(subs)).exit_code == 0
    dossiers = tmp_path / "d.csv"
    dossiers.write_text(f"ref,person,status,referent\nDI-2025-014,Leïla Sadeghi,active,{PERSON}\n", encoding="utf-8")
    assert cli(filled.source, "import", "dossiers", str(dossiers)).exit_code == 0
    MaildirWriter(filled.inbox.maildir).deliver(mail(PERSON, "Bonjour, je voudrais devenir bénévole. Abonné zéro",
                                                     subject="Inscription", message_id="<again@example.net>"))
    assert cli(filled.source, "poll", "--once").exit_code == 0
    snapshot = Store(filled.storage.path).snapshot()
    for table in ("members", "subscribers", "pending_people", "signup_requests", "outgoing", "dossiers"):
        assert PERSON not in json.dumps(snapshot.docs(table)), table
    # a campaign whose csv: audience names the person does not mail them
    audience = tmp_path / "liste.csv"
    audience.write_text(f"email\n{PERSON}\nautre@example.org\n", encoding="utf-8")
    campaign = write_campaign(tmp_path, name="alerte-csv", kind="alert", audience=f'["csv:{audience}"]')
    before = len(smtp_server.handler.recipients())
    assert cli(filled.source, "campaign", "send", str(campaign), "--yes").exit_code == 0
    sent = smtp_server.handler.recipients()[before:]
    assert "autre@example.org" in sent and PERSON not in [r.lower() for r in sent]


def test_an_imap_mailbox_is_searched_and_erased_on_the_server(dovecot: Dovecot, tmp_path: Path,
                                                               cli: Callable[..., Any],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILER_TEST_IMAP_PASSWORD", dovecot.password)
    config_path = write_config(tmp_path, extra=dovecot.inbox_section(), confirm_reports=False)
    registry.add_subscriber(Store(load_config(config_path).storage.path), PERSON, "Abonné zéro")
    dovecot.append([mail(PERSON, "Bonjour", message_id="<i1@example.net>"),
                    mail("autre@example.org", "Signé : Abonné zéro", message_id="<i2@example.org>"),
                    mail("autre@example.org", "Rien à voir", message_id="<i3@example.org>")])
    dovecot.append(mail(PERSON, "Une question", message_id="<i4@example.net>"), "À trier")
    doc = json.loads(cli(config_path, "person", "export", PERSON).output)
    assert sorted(f["path"] for f in doc["files"] if f["path"].startswith("imap:")) == [
        "imap:INBOX", "imap:INBOX", "imap:À trier"]
    result = cli(config_path, "person", "erase", PERSON, "--yes")
    assert result.exit_code == 0 and "3 message(s) deleted on the server" in result.output, result.output
    assert (dovecot.count("INBOX"), dovecot.count("À trier")) == (1, 0)
    assert b"Rien" in dovecot.messages("INBOX")[0]


def test_a_longer_address_or_name_that_contains_the_person_is_someone_else() -> None:
    anne = Person("anne@example.org", ("Anne Roy",))
    assert anne.mentioned_in({"to": "Anne@Example.org"}) and anne.mentioned_in(["Bonjour Anne Roy,"])
    assert not anne.mentioned_in("marianne@example.org") and not anne.mentioned_in("anne@example.org.uk")
    assert not anne.mentioned_in("Anne Royer") and anne.mentioned_in("<anne@example.org>.")


def test_erase_refuses_while_a_campaign_is_being_sent_and_changes_nothing(filled: Config,
                                                                          cli: Callable[..., Any]) -> None:
    before = _places(filled)
    with send_lock(filled.state_dir / "campaigns" / "bulletin-42"):
        result = cli(filled.source, "person", "erase", PERSON, "--yes")
    assert result.exit_code != 0 and "campaign bulletin-42 is being sent now" in result.output, result.output
    assert _places(filled) == before


def test_an_erased_person_writing_stop_is_not_stored_again(filled: Config, cli: Callable[..., Any]) -> None:
    assert cli(filled.source, "person", "erase", PERSON, "--yes").exit_code == 0
    MaildirWriter(filled.inbox.maildir).deliver(mail(PERSON, "STOP", subject="désinscrivez-moi",
                                                     message_id="<stop@example.net>"))
    registry.suppress(Store(filled.storage.path), PERSON.upper(), registry.SuppressionReason.UNSUBSCRIBE)
    assert cli(filled.source, "poll", "--once").exit_code == 0
    snapshot = Store(filled.storage.path).snapshot()
    for table in ("suppressions", "suppression_events", "outgoing", "ack_log"):
        assert PERSON not in json.dumps(snapshot.docs(table)).lower(), table
