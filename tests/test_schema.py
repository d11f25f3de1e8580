"""The schema is the whole store: a real store holds no table and no address field it does not declare."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from conftest import SmtpServer
from inbound_fixtures import TEAM, Clock, dsn, import_corpus, mail
from inbox_messages import machine_messages

from mailer import registry
from mailer.store import schema
from mailer.config import Config, load_config
from mailer.inbound import pipeline, queries
from mailer.inbound.apply import confirm_address
from mailer.inbound.pipeline import Processor
from mailer.models import SuppressionReason, SuppressionScope
from mailer.outbound.answers import AnswerSender
from mailer.store.schema import Part, Personal
from mailer.tokens import BOUNCE, make_token, sub_address
from mailer.store import Store

DATA = Path(__file__).parent / "data"
ADDRESS = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[A-Za-z]{2,}$")


def test_every_record_type_matches_its_declaration() -> None:
    assert len(schema.BY_NAME) == len(schema.TABLES)
    for spec in schema.TABLES:
        names = {f.name for f in fields(spec.record)}  # type: ignore[arg-type]
        assert set(spec.personal) <= names, (spec.name, set(spec.personal) - names)
        assert spec.stored_id == ("id" in names), spec.name
        assert all(isinstance(kind, Personal) for kind in spec.personal.values())
        assert isinstance(spec.part, Part)
        if spec.record.__module__ == "mailer.store.records":      # every field has a default: an older doc reads
            default = spec.record()
            assert spec.record.from_doc(default.to_doc()) == default


def _values(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for inner in value.values():
            yield from _values(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _values(inner)
    else:
        yield value


def _tables(store: Store) -> Iterator[tuple[str, Part, list[dict[str, Any]]]]:
    """Every table found in every file of the store, as written on disk."""
    for part in (p for p in Part if p is not Part.INBOUND_LOG):
        path = store.path_of(part)
        for name, docs in json.loads(path.read_text(encoding="utf-8")).items():
            yield name, part, list(docs.values())
    lines = store.path_of(Part.INBOUND_LOG).read_text(encoding="utf-8").splitlines()
    yield "inbound", Part.INBOUND_LOG, [json.loads(line)[1] for line in lines]


def _opt_in(processor: Processor, config: Config) -> None:
    """A sign-up confirmed by a reply to its +c-TOKEN address: pending person, consent, new member."""
    processor.process_batch([mail("nouvelle@example.com", "Bonjour,\n\nJe souhaiterais devenir bénévole et suivre "
                                  "le dossier de Nadejda Kouznetsova.\n\nLouise Martin\n", name="Louise Martin",
                                  subject="Proposition d'aide", message_id="<signup1@example.com>")])
    _send_answers(processor)
    processor.clock.advance(1)  # type: ignore[attr-defined]
    reply_to = confirm_address(config, processor.secret, "nouvelle@example.com")
    processor.process_batch([mail("nouvelle@example.com", "Oui, je confirme.\n", to=reply_to,
                                  subject="Re: Confirmez votre inscription", message_id="<yes@example.com>")])
    _send_answers(processor)


def _fail_once(processor: Processor, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "read_message", broken)
    processor.process_batch([mail("x@example.net", "?", message_id="<broken@example.net>")])
    monkeypatch.undo()


def _send_answers(processor: Processor) -> None:
    """What the service does after each batch: the outbound wing sends what the inbox left pending."""
    AnswerSender(processor.config, processor.store, clock=processor.clock).send_pending()


def _fill(tmp_path: Path, setup: Callable[..., tuple[Path, Path]], cli: Callable[..., Any],
          monkeypatch: pytest.MonkeyPatch) -> Store:
    """A store written by the real flows: imports, a campaign sent, the inbox, the CLI's commands."""
    config_path, campaign = setup(5)
    assert cli(config_path, "campaign", "send", str(campaign), "--yes").exit_code == 0
    config = load_config(config_path)
    store = Store(config.storage.path)
    import_corpus(store, DATA / "fr-dev")
    processor = Processor(config, store, clock=Clock())
    processor.process_batch([p.read_bytes() for p in sorted((DATA / "fr-dev").glob("*.eml"))])
    processor.process_batch(machine_messages())
    verp = sub_address(TEAM, BOUNCE, make_token(processor.secret, BOUNCE, "abonne1@example.net"))  # issue 8: ours
    processor.process_batch([dsn("abonne1@example.net", to=verp, message_id=f"<d{n}@mx.example.net>")
                             for n in range(4)])
    processor.process_batch([mail("lectrice@example.net", "Bonjour, je voudrais recevoir la lettre. Lectrice",
                                  subject="Inscription", message_id="<s1@example.net>", to=TEAM)])
    _send_answers(processor)
    _opt_in(processor, config)
    _fail_once(processor, monkeypatch)
    registry.add_subscriber(store, "anne@example.org", "Anne")
    registry.suppress(store, "bob@example.org", SuppressionReason.UNSUBSCRIBE, SuppressionScope.BULLETIN)
    registry.unsuppress(store, "bob@example.org", "claire")
    registry.suppress(store, "carl@example.org", SuppressionReason.UNSUBSCRIBE)   # one that stays (issue 8:
    # forged complaints no longer suppress, and an erasure keeps a hash, not the address)
    registry.erase(store, "anne@example.org", "claire")
    for item in queries.triage_items(store)[:1]:
        queries.resolve_triage(store, item["id"], "vu")
    # issue 9: a person finishes a report from an unknown sender, then corrects and deletes reports
    unknown = next(t for t in queries.triage_items(store) if t["sender"] == "m.roussel@example.net")
    for args in (["triage", "member", str(unknown["id"]), "--group", "G019", "--by", "claire"],
                 ["triage", "apply", str(unknown["id"]), "--action", "petition=300", "--note", "vu avec Mathilde"],
                 ["reports", "edit", "1", "--action", "fund=62.50@2026-03-12", "--note", "correction"],
                 ["reports", "delete", "2", "--note", "compté deux fois"]):
        assert cli(config_path, *args).exit_code == 0, args
    assert cli(config_path, "triage", "digest").exit_code in (0, 1)
    # issue 10: a dossier's history, written by a coordinator named by address
    for args in (["dossiers", "edit", "DI-2025-014", "--summary", "Journaliste.", "--by", "claire@example.org"],
                 ["dossiers", "set-status", "DI-2025-014", "suspendu", "--note", "vu avec ref@example.org"]):
        assert cli(config_path, *args).exit_code == 0, args
    return store


def test_a_real_store_holds_only_declared_tables_and_address_fields(
        tmp_path: Path, smtp_server: SmtpServer, setup: Callable[..., tuple[Path, Path]],
        cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    store = _fill(tmp_path, setup, cli, monkeypatch)
    seen: set[str] = set()
    for name, part, docs in _tables(store):
        assert name in schema.BY_NAME, f"table {name!r} is not declared in mailer/store/schema.py"
        spec = schema.BY_NAME[name]
        assert spec.part is part, (name, part)
        for doc in docs:
            for key, value in doc.items():
                if any(isinstance(v, str) and ADDRESS.match(v) for v in _values(value)):
                    assert key in spec.personal, f"{name}.{key} holds addresses ({value!r}) but is not declared"
        if docs:
            seen.add(name)
    # the flows above reached the tables that hold people's data
    assert {"members", "subscribers", "suppressions", "suppression_events", "campaigns", "inbound", "reports",
            "triage", "outgoing", "ack_log", "bounce_scores", "pending_people", "consents", "inbound_failures",
            "notices", "_logs", "dossier_events"} <= seen, seen
