"""The inbox sources against real storage: a Maildir on disk and a private Dovecot (tests/dovecot.py)."""

from __future__ import annotations

import os
import ssl
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import trustme

from mailer.config import InboxConfig
from mailer.capture.devsmtp import MaildirWriter
from mailer.errors import ConfigError
from mailer.inbound.sources import source as source_module
from mailer.inbound.sources.imap import ImapSource, MaildirSource, SourceError, SourceSecurityError
from mailer.inbound.sources.maildir import SETTLE_SECONDS
from dovecot import Dovecot

PASSWORD_ENV = "MAILER_TEST_IMAP_PASSWORD"
WAIT = 120          # a wait's timeout in tests: woken early means well before it, even on a loaded machine


def message(n: int, subject: str = "Rapport d'action") -> bytes:
    return (f"From: Bénévole {n} <benevole{n}@example.net>\nTo: equipe@example.org\n"
            f"Subject: {subject} {n}\nMessage-ID: <m{n}@example.net>\n"
            f"Content-Type: text/plain; charset=utf-8\n\nBonjour, message numéro {n}.\n").encode()


def imap_config(server: Dovecot, monkeypatch: pytest.MonkeyPatch, **changes: object) -> InboxConfig:
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    base = InboxConfig(source="imap", host=server.host, port=server.port, security="none",
                       username=server.user, password_env=PASSWORD_ENV)
    return replace(base, **changes)  # type: ignore[arg-type]


def source_for(server: Dovecot, monkeypatch: pytest.MonkeyPatch, **changes: object) -> ImapSource:
    return ImapSource(imap_config(server, monkeypatch, **changes), timeout=5, backoff=(0.1, 0.2, 0.4))


# --- Maildir ---------------------------------------------------------------------------------

def test_maildir_fetch_leaves_messages_and_moves_into_maildirpp_folders(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    writer = MaildirWriter(inbox)
    paths = [writer.deliver(message(n)) for n in range(5)]
    source = MaildirSource(InboxConfig(maildir=inbox))

    fetched = source.fetch(10)
    assert [f.raw for f in fetched] == [message(n) for n in range(5)]          # oldest first
    assert all(p.exists() for p in paths)                                      # nothing moved, nothing renamed
    assert [f.uid for f in source.fetch(2, exclude={fetched[0].uid})] == [fetched[1].uid, fetched[2].uid]

    source.move([fetched[0].uid, fetched[1].uid], "processed")
    source.move([fetched[2].uid], "triage")
    source.move([fetched[3].uid], "failed")
    source.move([fetched[3].uid], "failed")                                    # a retry after a crash: no error
    assert [f.uid for f in source.fetch(10)] == [fetched[4].uid]
    for name, count in (("Traités", 2), ("À trier", 1), ("Erreurs", 1)):
        folder = inbox / f".{name}"
        assert (folder / "maildirfolder").exists()
        assert len(os.listdir(folder / "new")) == count
        assert oct(os.stat(folder).st_mode & 0o777) == oct(0o700)
    assert (inbox / ".Traités" / "new" / paths[0].name).read_bytes() == message(0)
    with pytest.raises(ValueError):
        source.move(["../../etc/passwd"], "processed")


def test_maildir_wait_returns_when_mail_arrives(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    source = MaildirSource(InboxConfig(maildir=inbox))
    writer = MaildirWriter(inbox)
    threading.Timer(0.3, writer.deliver, args=(message(1),)).start()
    started = time.monotonic()
    source.wait(WAIT, threading.Event())
    assert time.monotonic() - started < WAIT / 2                 # woken by the mail, not by the timeout
    assert len(source.fetch(10)) == 1


# --- IMAP ------------------------------------------------------------------------------------

def _settled(source: MaildirSource) -> list[Path]:
    """Pick up dropped files as the poller will once SETTLE_SECONDS have passed (no sleep)."""
    return source.pick_up_dropped(now=time.time() + SETTLE_SECONDS + 1)


def test_a_file_dropped_into_the_inbox_folder_is_picked_up(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    inbox = tmp_path / "inbox"
    source = MaildirSource(InboxConfig(maildir=inbox))
    MaildirWriter(inbox).deliver(message(1))
    dropped = inbox / "Rapport Lyon.EML"
    dropped.write_bytes(message(2).replace(b"\n", b"\r\n"))      # saved by a mail client: CRLF, 0644
    os.chmod(dropped, 0o644)
    caplog.set_level("INFO", logger="mailer.inbound.sources.maildir")

    assert len(_settled(source)) == 1
    fetched = source.fetch(10)
    assert [f.raw for f in fetched] == [message(1), message(2).replace(b"\n", b"\r\n")]
    assert not dropped.exists()
    (moved,) = [p for p in (inbox / "new").iterdir() if p.read_bytes() == fetched[1].raw]
    assert fetched[1].uid == f"new/{moved.name}"
    assert stat.S_IMODE(moved.stat().st_mode) == 0o600
    assert "Rapport Lyon.EML dropped into" in caplog.text
    source.move([fetched[1].uid], "processed")                                  # then filed as usual
    assert len(os.listdir(inbox / ".Traités" / "new")) == 1


def test_a_file_still_being_copied_waits_and_wakes_the_poller(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    source = MaildirSource(InboxConfig(maildir=inbox))
    copying = inbox / "x.eml"
    copying.write_bytes(message(3))                                             # mtime: now
    assert source.fetch(10) == [] and copying.exists()                          # not yet: it may be half-written
    started = time.monotonic()
    source.wait(WAIT, threading.Event())                                        # wakes once it has settled
    assert time.monotonic() - started < WAIT / 2                 # not by the timeout
    assert [f.raw for f in source.fetch(10)] == [message(3)]


def test_other_files_in_the_inbox_folder_are_reported_once_and_left(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    inbox = tmp_path / "inbox"
    source = MaildirSource(InboxConfig(maildir=inbox))
    for name in ("dovecot-uidlist", "dovecot.index.log", "subscriptions", "maildirfolder", ".DS_Store"):
        (inbox / name).write_bytes(b"server state")                             # not ours to read or report
    (inbox / "notes.txt").write_bytes(message(4))
    (inbox / "courriers").mkdir()
    (inbox / "lien.eml").symlink_to(tmp_path / "ailleurs.eml")
    (tmp_path / "ailleurs.eml").write_bytes(message(5))
    (inbox / "new" / "un-dossier").mkdir()
    caplog.set_level("WARNING", logger="mailer.inbound.sources.maildir")

    assert _settled(source) == []
    assert source.fetch(10) == [] and source.fetch(10) == []
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 4, warnings                                         # once each, not once per poll
    assert any("notes.txt is not read: only .eml files" in w for w in warnings)
    assert any("courriers is not read" in w for w in warnings)
    assert any("lien.eml is not read" in w for w in warnings)                  # a symlink is not a dropped file
    assert any("un-dossier is not read: not a file" in w for w in warnings)
    assert (inbox / "notes.txt").exists() and (inbox / "dovecot-uidlist").read_bytes() == b"server state"


def test_imap_fetch_never_marks_seen_and_moves_to_accented_folders(dovecot: Dovecot,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    dovecot.append([message(n) for n in range(6)])
    source = source_for(dovecot, monkeypatch)
    try:
        fetched = source.fetch(500)
        assert len(fetched) == 6 and fetched[0].raw.replace(b"\r\n", b"\n") == message(0)
        assert dovecot.seen("INBOX") == 0
        assert len(source.fetch(3)) == 3
        assert [f.uid for f in source.fetch(500, exclude={f.uid for f in fetched[:4]})] == \
            [fetched[4].uid, fetched[5].uid]

        source.move([f.uid for f in fetched[:3]], "processed")
        source.move([fetched[3].uid], "triage")
        source.move([fetched[4].uid], "failed")
        source.move([fetched[4].uid], "failed")        # a retry after a lost answer: moves nothing, no error
    finally:
        source.close()
    assert {"Traités", "À trier", "Erreurs"} <= set(dovecot.folders())
    assert (dovecot.count("Traités"), dovecot.count("À trier"), dovecot.count("Erreurs"), dovecot.count()) == (3, 1, 1, 1)
    assert dovecot.seen("Traités") == 0
    # Dovecot keeps the names in UTF-8 on disk (Maildir++ `.Traités`), the layout MaildirSource writes.
    assert (dovecot.mail_dir / ".Traités").is_dir() and (dovecot.mail_dir / ".À trier").is_dir()


def test_imap_uidvalidity_change_and_recreated_folders(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> None:
    dovecot.append([message(n) for n in range(3)], "Entrée")
    source = source_for(dovecot, monkeypatch, folder="Entrée")
    try:
        first = source.fetch(500)
        assert len(first) == 3
        # Someone deletes the folder and creates it again with other mail: same UIDs, other messages.
        with dovecot.client() as box:
            box.folder.delete("Entrée")
            box.folder.create("Entrée")
        dovecot.append([message(n) for n in range(10, 12)], "Entrée")
        source.move([f.uid for f in first], "processed")        # refused: the UIDs mean nothing now
        assert dovecot.count("Entrée") == 2 and dovecot.count("Traités") == 0

        again = source.fetch(500)
        assert sorted(f.raw.replace(b"\r\n", b"\n") for f in again) == sorted(message(n) for n in (10, 11))
        source.move([again[0].uid], "processed")
        # The target folder is deleted and recreated under the same name by a mail client...
        with dovecot.client() as box:
            box.folder.delete("Traités")
        source.move([again[1].uid], "processed")                 # ... or just deleted: recreated
    finally:
        source.close()
    assert dovecot.count("Traités") == 1 and dovecot.count("Entrée") == 0


def test_imap_reconnects_after_dropped_connection_and_restart(dovecot: Dovecot,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    dovecot.append([message(n) for n in range(4)])
    source = source_for(dovecot, monkeypatch)
    try:
        fetched = source.fetch(2)
        assert dovecot.kill_imap_processes() >= 1                # the server side of our connection dies
        source.move([f.uid for f in fetched], "processed")       # reconnects, then moves
        fetched = source.fetch(500)
        assert len(fetched) == 2
        dovecot.restart()                                        # the whole server goes away and back
        source.move([f.uid for f in fetched], "triage")
        dovecot.stop()
        with pytest.raises(SourceError, match="fetch failed"):  # down for good: a clear error, no hang
            source.fetch(10)
        dovecot.start()
        assert source.fetch(10) == []
    finally:
        source.close()
    assert (dovecot.count("Traités"), dovecot.count("À trier")) == (2, 2)


def test_imap_idle_returns_when_mail_arrives(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> None:
    source = source_for(dovecot, monkeypatch, idle=True)
    try:
        assert source.fetch(10) == []
        threading.Timer(0.5, dovecot.append, args=(message(1),)).start()
        started = time.monotonic()
        source.wait(WAIT, threading.Event())
        assert time.monotonic() - started < WAIT / 2             # woken by the mail, not by the timeout
        assert len(source.fetch(10)) == 1
        stop = threading.Event()
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        source.wait(WAIT, stop)                                   # SIGTERM while idling: back at once
        assert time.monotonic() - started < WAIT / 2
    finally:
        source.close()


def test_imap_wrong_password_is_a_clear_error(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> None:
    source = source_for(dovecot, monkeypatch)
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    with pytest.raises(SourceSecurityError, match="login refused") as info:
        source.fetch(1)
    assert "not-the-password" not in str(info.value)
    monkeypatch.delenv(PASSWORD_ENV)
    with pytest.raises(SourceError, match=PASSWORD_ENV):
        source.fetch(1)


def test_starttls_not_offered_fails_closed(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> None:
    source = source_for(dovecot, monkeypatch, security="starttls")   # ssl = no: no STARTTLS capability
    with pytest.raises(SourceSecurityError, match="STARTTLS"):
        source.fetch(1)


def test_plain_imap_to_a_remote_host_is_refused() -> None:
    with pytest.raises(ConfigError, match="in clear"):
        ImapSource(InboxConfig(source="imap", host="imap.example.org", port=143, security="none"))


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def test_tls_verifies_the_certificate(dovecot_factory: Callable[..., Dovecot], ca: trustme.CA,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    server = dovecot_factory(tls_cert=ca.issue_cert("127.0.0.1", "localhost"))
    server.append(message(1))
    config = imap_config(server, monkeypatch, port=server.tls_port, security="tls")

    untrusted = ImapSource(config, timeout=5, backoff=())       # the system's CAs: trustme's is unknown
    with pytest.raises(SourceSecurityError, match="certificate verify failed"):
        untrusted.fetch(1)

    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    source = ImapSource(config, ssl_context=trusting, timeout=5)
    starttls = ImapSource(replace(config, port=server.port, security="starttls"), ssl_context=trusting, timeout=5)
    try:
        assert len(source.fetch(10)) == 1
        assert len(starttls.fetch(10)) == 1         # offered here (ssl = yes): upgraded, verified, then login
    finally:
        source.close()
        starttls.close()



def test_sizes_bound_what_is_read(tmp_path: Path, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the parser's size limit a message is not even downloaded; a batch stays within its bytes."""
    monkeypatch.setattr(source_module, "MAX_MESSAGE_BYTES", 2_000)
    monkeypatch.setattr(source_module, "MAX_BATCH_BYTES", 500)
    big = message(99).replace(b"\n\n", b"\n\n" + b"x" * 3_000 + b"\n", 1)
    batch = [message(1), big, message(2), message(3), message(4), message(5)]
    dovecot.append(batch)
    writer = MaildirWriter(tmp_path / "inbox")
    for raw in batch:
        writer.deliver(raw)
    imap = source_for(dovecot, monkeypatch)
    try:
        for source in (MaildirSource(InboxConfig(maildir=tmp_path / "inbox")), imap):
            fetched = source.fetch(500)
            too_big = [f for f in fetched if f.too_big]
            assert len(too_big) == 1 and too_big[0].raw == b"" and too_big[0].too_big > 3_000
            read = [f for f in fetched if not f.too_big]
            assert 1 <= len(read) < 5 and sum(len(f.raw) for f in read) <= 500
    finally:
        imap.close()


def test_imap_idle_notices_a_server_gone_away(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> None:
    source = source_for(dovecot, monkeypatch, idle=True)
    try:
        source.fetch(10)
        threading.Timer(0.3, dovecot.kill_imap_processes).start()
        started, cpu = time.monotonic(), time.process_time()
        source.wait(3, threading.Event())                  # reconnects and idles again, no busy loop
        assert time.monotonic() - started >= 2.5
        assert time.process_time() - cpu < 1.0
        dovecot.append(message(1))
        assert len(source.fetch(10)) == 1
    finally:
        source.close()
