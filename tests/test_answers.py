"""The inbox's answers, sent by the outbound wing over any Transport: what each send outcome
records, and the consent wording both wings agree on."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import jinja2
import pytest
from inbound_fixtures import Inbox, fr_dev, inbox_fixture  # noqa: F401  (fixture)
from conftest import write_config
from transports import MemoryTransport

from mailer.errors import PermanentSendError, TemporarySendError
from mailer.config import load_config
from mailer.outbound.answers import JOURNAL, AnswerSender, render_body
from mailer.wording import CONSENT_WORDING, PACKAGED, template_folders, wording_version


def sender(inbox: Inbox, transport: MemoryTransport) -> AnswerSender:
    return AnswerSender(inbox.config, inbox.store, clock=inbox.clock, connect=transport.connect())


def test_answers_go_out_over_the_transport_they_are_given(inbox: Inbox) -> None:
    inbox.processor().process_batch([fr_dev("001.eml"), fr_dev("035.eml")])      # two unsubscribes
    transport = MemoryTransport()
    assert sender(inbox, transport).send_pending() == 2
    assert sorted(str(m["To"]) for m in transport.sent) == ["daniel.morin@example.org", "r.dufour@example.net"]
    assert (transport.opened, transport.closed) == (1, 1)
    assert [d["status"] for d in inbox.docs("outgoing")] == ["sent", "sent"]
    assert inbox.smtp is not None and inbox.smtp.handler.deliveries == []          # nothing reached SMTP
    assert sender(inbox, transport).send_pending() == 0 and transport.opened == 1  # nothing pending: no connection


def test_a_refused_answer_is_recorded_and_a_temporary_error_waits(inbox: Inbox) -> None:
    inbox.processor().process_batch([fr_dev("001.eml"), fr_dev("035.eml")])
    first, second = inbox.docs("outgoing")
    refusing = MemoryTransport(refuse={first["to"]: PermanentSendError("550 5.1.1 no such user", 550)})
    assert sender(inbox, refusing).send_pending() == 1
    assert [d["status"] for d in inbox.docs("outgoing")] == ["refused", "sent"]

    inbox.processor().process_batch([fr_dev("020.eml")])                          # a report: one acknowledgement
    [ack] = [d for d in inbox.docs("outgoing") if d["status"] == "pending"]
    busy = MemoryTransport(refuse={ack["to"]: TemporarySendError("451 4.3.0 try later", 451)})
    assert sender(inbox, busy).send_pending() == 0
    assert [d["status"] for d in inbox.docs("outgoing")] == ["refused", "sent", "pending"]   # retried next time
    assert sender(inbox, MemoryTransport()).send_pending() == 1


def test_the_wording_version_hashes_the_template_found_first(inbox: Inbox, tmp_path) -> None:
    """Same value as when Jinja's loader read the template; a team's own template changes it."""
    loader = jinja2.FileSystemLoader([str(f) for f in template_folders(inbox.config)])
    source, _, _ = loader.get_source(jinja2.Environment(), "confirm_request.txt")
    assert wording_version(inbox.config) == hashlib.sha256((source + CONSENT_WORDING).encode()).hexdigest()[:16]
    assert template_folders(inbox.config)[-1] == PACKAGED

    own = inbox.config.campaigns.templates / "inbound"
    assert own.resolve() == PACKAGED.resolve()                  # the test config uses the shipped templates
    templates = tmp_path / "templates"
    (templates / "inbound").mkdir(parents=True)
    (templates / "inbound" / "confirm_request.txt").write_text("Répondez « oui ».\n", encoding="utf-8")
    config = replace(inbox.config, campaigns=replace(inbox.config.campaigns, templates=templates))
    assert wording_version(config) != wording_version(inbox.config)
    own_version = hashlib.sha256(("Répondez « oui ».\n" + CONSENT_WORDING).encode()).hexdigest()[:16]
    assert wording_version(config) == own_version


def test_a_teams_own_answer_template_runs_in_the_sandbox(tmp_path) -> None:
    """The team's `templates/inbound/` overrides are code a coordinator writes, like campaigns."""
    (tmp_path / "templates" / "inbound").mkdir(parents=True)
    (tmp_path / "templates" / "inbound" / "unsubscribed.txt").write_text(
        "{{ ''.__class__.__mro__[1].__subclasses__() }}\n", encoding="utf-8")
    config = load_config(write_config(tmp_path, templates=tmp_path / "templates"))
    with pytest.raises(jinja2.exceptions.SecurityError):
        render_body(config, "unsubscribed", {"email": "x@example.org"})


def test_only_an_answer_whose_result_is_unknown_is_sent_again(inbox: Inbox, caplog: pytest.LogCaptureFixture) -> None:
    """A crash between an answer's SMTP transaction and its outcome line leaves `sending` alone:
    that answer, and no other, goes out again (the one duplicate allowed, as for campaigns)."""
    inbox.processor().process_batch([fr_dev("001.eml"), fr_dev("035.eml")])
    first, second = inbox.docs("outgoing")
    journal = inbox.config.state_dir / JOURNAL
    journal.write_text(f"{first['id']} sending 2026-03-20T09:00:00+00:00\n"
                       f"{second['id']} sending 2026-03-20T09:00:01+00:00\n"
                       f"{second['id']} sent 2026-03-20T09:00:01+00:00\n", encoding="utf-8")
    transport = MemoryTransport()
    assert sender(inbox, transport).send_pending() == 1
    assert [str(m["To"]) for m in transport.sent] == [first["to"]]
    assert [d["status"] for d in inbox.docs("outgoing")] == ["sent", "sent"]
    assert f"answer {first['id']}: its result is unknown" in caplog.text
    assert journal.read_bytes() == b""


def test_each_answer_is_journaled_before_and_after_its_transaction(inbox: Inbox) -> None:
    """`sending` first, then the outcome, each line on disk when the next step begins."""
    inbox.processor().process_batch([fr_dev("001.eml"), fr_dev("035.eml")])
    first, second = inbox.docs("outgoing")
    journal = inbox.config.state_dir / JOURNAL
    seen: list[str] = []

    class Watching(MemoryTransport):
        def send_message(self, message) -> None:          # what the journal holds as the message leaves
            seen.append(journal.read_text(encoding="utf-8"))
            super().send_message(message)

    busy = Watching(refuse={second["to"]: TemporarySendError("451 4.3.0 try later", 451)})
    assert sender(inbox, busy).send_pending() == 1
    marks = [[line.split()[:2] for line in text.splitlines()] for text in seen]
    assert marks == [[[str(first["id"]), "sending"]],
                     [[str(first["id"]), "sending"], [str(first["id"]), "sent"], [str(second["id"]), "sending"]]]
    assert [d["status"] for d in inbox.docs("outgoing")] == ["sent", "pending"]      # retried next time
