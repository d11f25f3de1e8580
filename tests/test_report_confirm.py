"""Issue 9: a free-text report is recorded only once its sender confirms our reading (`[inbox]
confirm_reports`, the default): real .eml through the Processor, answers over a real aiosmtpd."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SmtpServer, write_config
from inbound_fixtures import DATA, Clock, Inbox, fr_dev, import_corpus, mail

from mailer.config import load_config
from mailer.inbound.understand.replyform import read_form
from mailer.store import Store

GROUP = "groupe37.lyon@example.org"                  # fr-dev 020: the Lyon group's own address, G037


@pytest.fixture
def inbox(tmp_path: Path, smtp_server: SmtpServer) -> Inbox:
    config = load_config(write_config(tmp_path, smtp_port=smtp_server.port))         # the default: confirm
    store = Store(config.storage.path)
    import_corpus(store, DATA / "fr-dev")
    return Inbox(config.source, config, store, Clock(), smtp_server)


def _asked(inbox: Inbox) -> tuple[dict, dict]:
    """The report of fr-dev 020 read, waiting in triage, and our question to its sender."""
    [outcome] = inbox.processor().process_batch([fr_dev("020.eml")])
    assert (outcome.kind, outcome.disposition) == ("report", "triage")
    assert inbox.docs("reports") == []
    [item] = inbox.docs("triage")
    [question] = inbox.docs("outgoing")
    assert question["kind"] == "report_confirm" and question["to"] == GROUP
    assert question["link"] == f"triage:{item['id']}"
    return item, question


def _reply(question: dict, body: str, sender: str = GROUP, message_id: str = "<r1@example.org>") -> bytes:
    return mail(sender, body, subject="Re: Votre compte rendu : est-ce bien cela ?", message_id=message_id,
                extra=f"In-Reply-To: {question['message_id']}\nReferences: {question['message_id']}\n")


def test_a_free_text_report_is_asked_back_with_our_reading_pre_filled(inbox: Inbox) -> None:
    item, question = _asked(inbox)
    assert item["reason"].startswith("free-text report: its sender was asked")
    assert inbox.answers().send_pending() == 1
    sent = inbox.smtp.handler.deliveries[0].message
    text = sent.get_content()
    assert sent["Auto-Submitted"] == "auto-replied" and sent["In-Reply-To"]
    assert "répondez simplement OUI" in text and "126 signatures" in text
    form = read_form(text)                          # the pre-filled lines read back as our reading
    reading = item["reading"]["actions"]
    assert form is not None and sorted((a.type.value, a.count, str(a.date) if a.date else None) for a in form.actions) \
        == sorted((a["type"], a["count"], a["date"] if a["type"] == "awareness" else None)
                  for a in reading if a["count"] is not None)
    assert form.unread == ("Cartes de soutien",)     # cards read without a number: "oui", for a person


def test_oui_from_the_address_we_asked_records_the_report_and_resolves_the_item(inbox: Inbox) -> None:
    item, question = _asked(inbox)
    [outcome] = inbox.processor().process_batch([_reply(question, "Oui, c'est exact.\n\nMarc\n06 12 34 56 78\n")])
    assert (outcome.rule, outcome.disposition) == ("confirm.report", "apply")
    [report] = inbox.docs("reports")
    assert (report["group"], report["dossier"], report["actions"]) == \
        (item["reading"]["group"], item["reading"]["dossier"], item["reading"]["actions"])
    assert report["triage"] == item["id"] and report["history"][0]["change"] == "confirmed by its sender"
    [resolved] = inbox.docs("triage")
    assert resolved["status"] == "resolved" and resolved["outcome"] == f"report:{report['id']}"
    assert [o["kind"] for o in inbox.docs("outgoing")] == ["report_confirm", "report_ack"]
    again = inbox.processor().process_batch([_reply(question, "Oui\n", message_id="<r2@example.org>")])
    assert again[0].disposition == "apply" and len(inbox.docs("reports")) == 1     # never twice


def test_a_form_sent_back_corrected_is_recorded_with_its_figures(inbox: Inbox) -> None:
    _, question = _asked(inbox)
    body = ("Pas tout à fait :\n\nLettres aux autorités :\nCartes de soutien :\nSignatures : 162\n"
            "Élu·es rencontré·es :\nÉvénements et date : 1 le 14/02/2026\nPartenaires :\nFonds € et date :\n")
    [outcome] = inbox.processor().process_batch([_reply(question, body)])
    assert outcome.disposition == "apply"
    [report] = inbox.docs("reports")
    assert {(a["type"], a["count"]) for a in report["actions"]} == {("petition", 162), ("awareness", 1)}
    assert report["history"][0]["change"] == "corrected by its sender (form)"


@pytest.mark.parametrize("body", ["Non, nous avions 162 signatures.\n", "Oui mais il y avait aussi 3 lettres.\n",
                                  "Je ne sais plus, je demande à Paul.\n",
                                  "Lettres aux autorités : 18\nCartes de soutien : une dizaine\nSignatures : 126\n"
                                  "Élu·es rencontré·es :\nÉvénements et date :\nPartenaires :\nFonds € et date :\n"])
def test_any_other_answer_goes_to_a_person_linked_to_the_report_awaiting_it(inbox: Inbox, body: str) -> None:
    item, question = _asked(inbox)
    [outcome] = inbox.processor().process_batch([_reply(question, body)])
    assert outcome.disposition == "triage" and inbox.docs("reports") == []
    reply_item = inbox.docs("triage")[-1]
    assert reply_item["link"] == f"triage:{item['id']}"


def test_oui_from_another_address_in_the_thread_records_nothing(inbox: Inbox) -> None:
    _, question = _asked(inbox)
    [outcome] = inbox.processor().process_batch([_reply(question, "Oui\n", sender="intrus@example.net")])
    assert outcome.disposition == "triage" and inbox.docs("reports") == []


def test_with_confirm_reports_off_a_free_text_report_is_recorded_at_once(inbox: Inbox, tmp_path: Path,
                                                                        smtp_server: SmtpServer) -> None:
    (tmp_path / "off").mkdir()
    config = load_config(write_config(tmp_path / "off", smtp_port=smtp_server.port, confirm_reports=False))
    store = Store(config.storage.path)
    import_corpus(store, DATA / "fr-dev")
    off = Inbox(config.source, config, store, Clock(), smtp_server)
    [outcome] = off.processor().process_batch([fr_dev("020.eml")])
    assert outcome.disposition == "apply" and len(off.docs("reports")) == 1
    assert [o["kind"] for o in off.docs("outgoing")] == ["report_ack"]
