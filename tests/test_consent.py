"""Issue 8, consent: for each person and list, when and how they agreed (which message or which
import), the wording and its version, their confirmation and their withdrawal; an unconfirmed
person receives nothing but the confirmation request."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import SmtpServer
from inbound_fixtures import DATA, Inbox, inbox_fixture, mail  # noqa: F401  (fixture)
from sending import write_campaign

from mailer import registry
from mailer.consent import ConsentList, history
from mailer.inbound.apply import confirm_address
from mailer.models import SuppressionReason, SuppressionScope
from mailer.sheets.importer import ImportKind
from mailer.store import Store
from mailer.store.schema import CONSENTS
from mailer.tokens import UNSUBSCRIBE, make_token, sub_address, unsubscribe_purpose

TEAM = "protegeonslespersonnes@example.org"


def _consents(store: Store, email: str | None = None) -> list[dict[str, Any]]:
    docs = store.snapshot().docs("consents")
    return [d for d in docs if email is None or d["email"] == email]


def test_an_import_is_recorded_consent_of_each_new_person(inbox: Inbox, tmp_path: Path) -> None:
    members = DATA / "fr-dev" / "members.csv"
    digest = hashlib.sha256(members.read_bytes()).hexdigest()
    rows = members.read_text(encoding="utf-8").splitlines()[1:]
    recorded = _consents(inbox.store)
    assert len(recorded) == len(rows)           # the fixture imported fr-dev's members
    first = recorded[0]
    assert (first["list"], first["event"], first["via"]) == ("members", "confirmed", "import")
    assert "members.csv" in first["source"] and digest[:16] in first["source"]
    assert first["date"] and first["wording_version"]
    # the wording is kept once, by its version, not 50k times
    [wording] = inbox.store.snapshot().docs("consent_wordings")
    assert wording["version"] == first["wording_version"] and "import" in wording["text"]
    assert "import" in history(inbox.store.snapshot(), first["email"])[0].confirmed.wording
    # the same file again, or a file that only updates names: no second consent
    registry.import_file(inbox.store, ImportKind.MEMBERS, members)
    assert len(_consents(inbox.store)) == len(rows)
    # subscribers: the active rows are confirmed by the import, a pending row is not
    subs = tmp_path / "abonnes.csv"
    subs.write_text("email,name,status\nabo1@example.net,Abo Un,\nabo2@example.net,Abo Deux,pending\n",
                    encoding="utf-8")
    registry.import_file(inbox.store, ImportKind.SUBSCRIBERS, subs)
    [abo1] = _consents(inbox.store, "abo1@example.net")
    assert (abo1["list"], abo1["via"]) == ("subscribers", "import") and "abonnes.csv" in abo1["source"]
    assert _consents(inbox.store, "abo2@example.net") == []


def test_a_subscriber_added_by_a_coordinator_is_recorded(inbox: Inbox) -> None:
    registry.add_subscriber(inbox.store, "main@example.net", "À la main")
    [entry] = _consents(inbox.store, "main@example.net")
    assert (entry["list"], entry["event"], entry["via"]) == ("subscribers", "confirmed", "cli")
    registry.add_subscriber(inbox.store, "main@example.net", "À la main")   # again: already on the list
    assert len(_consents(inbox.store, "main@example.net")) == 1


def _sign_up_and_confirm(inbox: Inbox, email: str) -> None:
    processor = inbox.processor()
    processor.process_batch([mail(email, "Bonjour,\n\nJe souhaiterais devenir bénévole et suivre le dossier de "
                                  "Nadejda Kouznetsova.\n\nLouise Martin\n", subject="Proposition d'aide",
                                  name="Louise Martin", message_id="<signup@example.com>")])
    inbox.clock.advance(1)
    processor.process_batch([mail(email, "Oui, je confirme.\n", to=confirm_address(inbox.config, processor.secret, email),
                                  subject="Re: Confirmez votre inscription", message_id="<yes@example.com>")])


def test_a_confirmation_by_mail_names_the_list_the_message_and_the_request(inbox: Inbox) -> None:
    _sign_up_and_confirm(inbox, "louise@example.com")
    [entry] = _consents(inbox.store, "louise@example.com")
    assert (entry["list"], entry["event"], entry["via"]) == ("members", "confirmed", "token")
    assert entry["message_id"] == "<yes@example.com>" and entry["signup_message_id"] == "<signup@example.com>"
    [line] = history(inbox.store.snapshot(), "louise@example.com")
    assert entry["request_message_id"] and "acceptez" in line.confirmed.wording
    assert line.confirmed.wording_version == entry["wording_version"]


def test_an_unsubscribe_is_recorded_as_withdrawal_of_the_lists_it_covers(inbox: Inbox) -> None:
    _sign_up_and_confirm(inbox, "louise@example.com")
    registry.add_subscriber(inbox.store, "louise@example.com", "Louise Martin")
    processor = inbox.processor()
    token = make_token(processor.secret, unsubscribe_purpose("bulletin"), "louise@example.com")
    inbox.clock.advance(1)
    [outcome] = processor.process_batch([mail("louise@example.com", "STOP\n", to=sub_address(TEAM, UNSUBSCRIBE, token),
                                              subject="Désinscription", message_id="<stop@example.com>")])
    assert outcome.disposition == "apply"
    withdrawn = [e for e in _consents(inbox.store, "louise@example.com") if e["event"] == "withdrawn"]
    assert [(e["list"], e["source"]) for e in withdrawn] == [("subscribers", "<stop@example.com>")]
    # a coordinator's suppression of every mailing after the person's request by phone
    registry.suppress(inbox.store, "louise@example.com", SuppressionReason.UNSUBSCRIBE, SuppressionScope.ALL,
                      source="téléphone")
    withdrawn = [e for e in _consents(inbox.store, "louise@example.com") if e["event"] == "withdrawn"]
    assert sorted(e["list"] for e in withdrawn) == ["members", "subscribers"]     # not the bulletin twice
    # the coordinator lifts the suppression (the person asked again): their word reopens both lists
    registry.unsuppress(inbox.store, "louise@example.com", by="claire")
    lines = {h.list: h for h in history(inbox.store.snapshot(), "louise@example.com")}
    assert all(h.active for h in lines.values()) and set(lines) == {ConsentList.MEMBERS, ConsentList.SUBSCRIBERS}
    assert lines[ConsentList.MEMBERS].confirmed.via == "cli" and "claire" in lines[ConsentList.MEMBERS].confirmed.source
    # a bounce is not a withdrawal of consent
    registry.suppress(inbox.store, "autre@example.org", SuppressionReason.BOUNCE)
    assert _consents(inbox.store, "autre@example.org") == []


def test_history_per_list_says_when_how_and_what(inbox: Inbox, cli: Callable[..., Any]) -> None:
    _sign_up_and_confirm(inbox, "louise@example.com")
    registry.suppress(inbox.store, "louise@example.com", SuppressionReason.UNSUBSCRIBE, SuppressionScope.ALL,
                      source="téléphone")
    lines = history(inbox.store.snapshot(), "Louise@Example.com")
    [members] = [h for h in lines if h.list is ConsentList.MEMBERS]
    assert members.confirmed and members.confirmed.via == "token"
    assert members.withdrawn and members.withdrawn.source == "téléphone"
    assert not members.active
    result = cli(inbox.config_path, "person", "consent", "louise@example.com", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert [(e["list"], e["active"]) for e in doc["lists"]] == [("members", False)]
    assert doc["lists"][0]["confirmed"]["message_id"] == "<yes@example.com>"
    assert doc["lists"][0]["withdrawn"]["source"] == "téléphone"
    text = cli(inbox.config_path, "person", "consent", "louise@example.com")
    assert text.exit_code == 0 and "members" in text.output and "withdrawn" in text.output
    exported = json.loads(cli(inbox.config_path, "person", "export", "louise@example.com").output)
    assert exported["consent"] == doc["lists"] and "acceptez" in exported["consent"][0]["confirmed"]["wording"]
    unknown = cli(inbox.config_path, "person", "consent", "personne@example.com")
    assert unknown.exit_code == 0 and "no consent recorded" in unknown.output


def test_an_unconfirmed_person_receives_nothing_but_the_request(inbox: Inbox, smtp_server: SmtpServer,
                                                                cli: Callable[..., Any]) -> None:
    processor = inbox.processor()
    processor.process_batch([mail("attente@example.com", "Bonjour,\n\nJe souhaiterais devenir bénévole au groupe 37 "
                                  "et suivre le dossier de Nadejda Kouznetsova.\n\nLouise Attente\n",
                                  subject="Proposition d'aide", name="Louise Attente",
                                  message_id="<wait@example.com>")])
    assert inbox.answers().send_pending() == 1          # the confirmation request
    subs = inbox.config_path.parent / "abonnes.csv"
    subs.write_text("email,name,status\nattente2@example.com,En Attente,pending\n", encoding="utf-8")
    registry.import_file(inbox.store, ImportKind.SUBSCRIBERS, subs)
    before = len(smtp_server.handler.deliveries)
    for name, kind, audience in (("tous", "custom", '["members"]'), ("g37", "alert", '["group:G037"]'),
                                 ("di", "alert", '["dossier:DI-2024-031"]'), ("bull", "bulletin", '["subscribers"]')):
        campaign = write_campaign(inbox.config_path.parent, name=name, kind=kind, audience=audience)
        campaign.write_text(campaign.read_text(encoding="utf-8").replace('template = "alert"',
                                                                         'template = "action_alert"'), encoding="utf-8")
        result = cli(inbox.config_path, "campaign", "send", str(campaign), "--yes")
        assert result.exit_code == 0, result.output
    sent = [r.lower() for d in smtp_server.handler.deliveries[before:] for r in d.rcpt_tos]
    assert sent and "attente@example.com" not in sent and "attente2@example.com" not in sent
    assert [d.rcpt_tos for d in smtp_server.handler.deliveries[:before]] == [["attente@example.com"]]


def test_consents_have_a_file_of_their_own_and_an_old_store_moves_them(tmp_path: Path) -> None:
    store = Store(tmp_path / "var" / "mailer.json")
    registry.add_subscriber(store, "un@example.net")
    assert store.path.with_name("mailer.consents.json").exists()
    assert not store.path.exists() or "un@example.net" not in store.path.read_text(encoding="utf-8")
    # a store written before: its consents sit in the state file
    old = Store(tmp_path / "old" / "mailer.json")
    old.folder.mkdir(mode=0o700)
    old.path.write_text(json.dumps({"consents": {"1": {"id": 1, "email": "vieux@example.net", "date": "2026-01-01",
                                                       "via": "thread", "wording": "w"}}}), encoding="utf-8")
    assert [(c.email, c.list, c.event) for c in old.snapshot().table(CONSENTS)] == \
        [("vieux@example.net", "members", "confirmed")]     # a record of before: a confirmation by mail
    registry.add_subscriber(old, "neuf@example.net")           # the first writer moves them
    assert "vieux@example.net" not in old.path.read_text(encoding="utf-8")
    assert {d["email"] for d in old.snapshot().docs("consents")} == {"vieux@example.net", "neuf@example.net"}
