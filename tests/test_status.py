"""A frozen campaign's status, read from its summary record and journals with no file or lock."""

from __future__ import annotations

from mailer.outbound.journal import JournalState
from mailer.outbound.status import frozen_status

HEADER = {"total": 5, "identity": {"kind": "bulletin"}, "source": "/campagnes/b.toml",
          "created": "2026-11-28T00:29:00+00:00"}
JOURNAL = JournalState(final={0: "D", 1: "F", 2: "S"}, unknown={0, 3})   # 0 delivered after an unknown attempt


def test_a_campaign_whose_sender_died_reads_as_paused_with_its_unknown_attempts() -> None:
    status = frozen_status("b", HEADER, {"state": "sending"}, JOURNAL, live=False)
    assert (status.state, status.sent, status.failed, status.suppressed, status.pending) == ("paused", 1, 1, 1, 2)
    assert (status.in_flight, status.possible_duplicates) == (1, 1)
    assert (status.kind, status.file, status.updated) == ("bulletin", "/campagnes/b.toml", HEADER["created"])


def test_a_campaign_being_sent_has_no_lost_attempts_yet() -> None:
    status = frozen_status("b", HEADER, {"state": "sending", "kind": "alert", "updated": "u"}, JOURNAL, live=True)
    assert (status.state, status.in_flight, status.kind, status.updated) == ("sending", 0, "alert", "u")
