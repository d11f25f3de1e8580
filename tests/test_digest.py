"""The coordinators' daily digest of what waits in triage, over a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

from inbound_fixtures import Inbox, inbox_fixture, mail  # noqa: F401  (fixture)

from mailer.service import send_digest


def test_digest_lists_open_items_once_a_day(inbox: Inbox, cli) -> None:
    processor = inbox.processor()
    outcomes = processor.process_batch([
        mail("inconnu@example.net", "Bonjour, pouvez-vous m'expliquer ce que vous faites ?", subject="Question",
             message_id="<q1@example.net>"),
        mail("autre@example.net", "Je voudrais savoir comment fonctionne l'association.", subject="Renseignement",
             message_id="<q2@example.net>"),
    ])
    assert [o.folder for o in outcomes] == ["triage", "triage"]
    assert inbox.smtp is not None
    recorder = inbox.smtp.handler
    now = inbox.clock()
    assert send_digest(inbox.config, inbox.store, now) == 2
    (digest,) = [d for d in recorder.deliveries if "coordination@example.org" in d.rcpt_tos]
    text = digest.message.get_body(("plain",)).get_content()
    assert digest.message["Subject"] == "À trier : 2 messages en attente (2 nouveaux)"
    assert "« Question »" in text and "« Renseignement »" in text and "inconnu@example.net" in text
    assert "m'expliquer" not in text                                 # never a message body
    assert send_digest(inbox.config, inbox.store, now + timedelta(hours=3)) == 0
    assert send_digest(inbox.config, inbox.store, now + timedelta(hours=25)) == 2
    first_id = inbox.docs("triage")[0]["id"]
    assert cli(inbox.config_path, "triage", "resolve", str(first_id), "--note", "répondu").exit_code == 0
    result = cli(inbox.config_path, "triage", "digest")
    assert result.exit_code == 0 and "1 open item" in result.output
    assert sum("coordination@example.org" in d.rcpt_tos for d in recorder.deliveries) == 3
