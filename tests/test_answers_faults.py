"""The inbox's answers on a disk that fills: nobody gets an acknowledgement twice.

A real tmpfs for the store and the answers' journal (tinydisk.py), a real aiosmtpd server that
counts the copies each recipient received; only an answer whose result is unknown (the journal
stopped after it left) may be sent again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiosmtpd.smtp import SMTP as SMTPServer, Envelope, Session

from mailer.config import load_config
from mailer.errors import MailerError
from mailer.inbound.pipeline import Processor
from mailer.outbound.answers import JOURNAL, AnswerSender
from mailer.store import Store
from conftest import Recorder, write_config
from inbound_fixtures import DATA, Clock, fr_dev, import_corpus

if TYPE_CHECKING:
    from tinydisk import TinyDisk

pytest_plugins = ("tinydisk",)


@dataclass
class FillingRecorder(Recorder):
    """Fills the disk while it receives the first message, before answering 250."""

    disk: "TinyDisk | None" = None

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        if self.disk is not None and not self.deliveries:
            self.disk.fill()
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.parametrize("when", ["before the send", "while the first answer is received"])
def test_a_full_disk_while_answering_sends_each_answer_once(tmp_path: Path, smtp_server_factory, tiny_disk_factory,
                                                            when: str) -> None:
    disk: TinyDisk = tiny_disk_factory(2048)
    handler = FillingRecorder(disk=disk if when.startswith("while") else None)
    server = smtp_server_factory(handler)
    config_path = write_config(tmp_path, smtp_port=server.port)
    text = config_path.read_text(encoding="utf-8").replace('path = "var/mailer.json"',
                                                           f'path = "{disk.path / "var" / "mailer.json"}"')
    config_path.write_text(text, encoding="utf-8")
    config = load_config(config_path)
    store = Store(config.storage.path)
    import_corpus(store, DATA / "fr-dev")
    clock = Clock()
    Processor(config, store, clock=clock).process_batch([fr_dev("001.eml"), fr_dev("035.eml")])   # two answers
    pending = [d for d in store.snapshot().docs("outgoing") if d["status"] == "pending"]
    assert len(pending) == 2
    if when.startswith("before"):
        disk.fill()
        assert disk.full()

    with pytest.raises((MailerError, OSError)) as failure:     # today's code: an OSError, one answer forgotten
        AnswerSender(config, store, clock=clock).send_pending()
    assert disk.full()
    during = (list(handler.recipients()), {d["status"] for d in store.snapshot().docs("outgoing")})

    disk.free()                                          # space is back: the next poll retries
    AnswerSender(config, store, clock=clock).send_pending()
    copies = Counter(handler.recipients())
    assert copies == Counter({d["to"].lower(): 1 for d in pending}), copies
    assert {d["status"] for d in store.snapshot().docs("outgoing")} == {"sent"}
    assert (config.state_dir / JOURNAL).read_bytes() == b""
    assert AnswerSender(config, store, clock=clock).send_pending() == 0
    assert len(handler.recipients()) == 2

    # The failure itself was clear: a MailerError (the service logs it and retries), its cause named.
    assert isinstance(failure.value, MailerError) and "No space left on device" in str(failure.value)
    if when.startswith("before"):                        # nothing sent that the journal could not record
        assert during == ([], {"pending"})
        assert str(config.state_dir / JOURNAL) in str(failure.value)
    else:                                                # both sent and journaled; the store's fold waits
        assert sorted(during[0]) == sorted(d["to"].lower() for d in pending) and during[1] == {"pending"}
