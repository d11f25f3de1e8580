"""The inbox service end to end: real sources (Maildir, a private Dovecot), the real Processor, the store.

Exactly once is checked from the store: one `inbound` record per distinct message, one report per
report message, whatever crashes happened in between.
"""

from __future__ import annotations

import os
import random
import signal
import smtplib
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from mailer.config import load_config
from mailer.capture.devsmtp import MaildirWriter
from mailer.inbound import pipeline
from mailer.inbound.sources.imap import ImapSource, MaildirSource, open_source
from mailer.inbound.sources.maildir import SETTLE_SECONDS
from mailer.inbound.pipeline import Processor
from mailer.service import poll_once, serve
from mailer.store import Store
from conftest import SmtpServer, free_port, write_config
from dovecot import Dovecot
from inbox_messages import human_messages, import_reference_data, machine_messages, many

PASSWORD_ENV = "MAILER_TEST_IMAP_PASSWORD"
REPO = Path(__file__).resolve().parent.parent


def make_project(folder: Path, smtp_port: int, inbox: str) -> Path:
    config = write_config(folder, smtp_port=smtp_port, extra=inbox)
    import_reference_data(Store(load_config(config).storage.path))
    return config


def maildir_inbox(poll_seconds: float = 60) -> str:
    return f'[inbox]\nsource = "maildir"\nmaildir = "var/inbox"\npoll_seconds = {poll_seconds}\n'


def imap_inbox(server: Dovecot, poll_seconds: float = 60, idle: bool = False) -> str:
    return (f'[inbox]\nsource = "imap"\nhost = "{server.host}"\nport = {server.port}\nsecurity = "none"\n'
            f'username = "{server.user}"\npassword_env = "{PASSWORD_ENV}"\npoll_seconds = {poll_seconds}\n'
            f'idle = {"true" if idle else "false"}\n')


def store_of(config: Path) -> Store:
    return Store(load_config(config).storage.path)


def table(config: Path, name: str) -> list[dict]:
    return store_of(config).snapshot().docs(name)


def maildir_counts(config: Path) -> dict[str, int]:
    root = load_config(config).inbox.maildir
    out = {"inbox": sum(len(os.listdir(root / s)) for s in ("new", "cur"))}
    for name in ("Traités", "À trier", "Erreurs"):
        folder = root / f".{name}"
        out[name] = sum(len(os.listdir(folder / s)) for s in ("new", "cur")) if folder.exists() else 0
    return out


def assert_exactly_once(config: Path, distinct: int) -> None:
    inbound = table(config, "inbound")
    assert len(inbound) == distinct
    assert len({d["key"] for d in inbound}) == distinct
    reports = table(config, "reports")
    assert len({r["message_key"] for r in reports}) == len(reports)          # no report counted twice
    assert len(reports) == sum(1 for d in inbound if d["kind"] == "report" and d["disposition"] == "apply")


@pytest.fixture
def monkey_env(monkeypatch: pytest.MonkeyPatch, dovecot: Dovecot) -> Dovecot:
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    return dovecot


def test_poll_once_over_maildir(tmp_path: Path, smtp_server: SmtpServer, cli) -> None:
    config = make_project(tmp_path, smtp_server.port, maildir_inbox())
    writer = MaildirWriter(load_config(config).inbox.maildir)
    messages = human_messages() + machine_messages()[:60]
    for raw in messages:
        writer.deliver(raw)

    result = cli(config, "poll", "--once")
    assert result.exit_code == 0, result.output
    assert f"{len(messages)} message(s) read." in result.output
    kinds = Counter(d["kind"] for d in table(config, "inbound"))
    assert kinds["report"] >= 10 and kinds["bounce"] >= 40 and kinds["signup"] >= 3
    for kind, n in kinds.items():
        assert f"  {kind:<12} {n}" in result.output
    counts = maildir_counts(config)
    assert counts["inbox"] == 0 and counts["Traités"] + counts["À trier"] == len(messages)
    assert counts["À trier"] == sum(1 for d in table(config, "inbound") if d["folder"] == "triage")
    assert_exactly_once(config, len(messages))
    assert smtp_server.handler.deliveries                         # acknowledgements went out

    again = cli(config, "poll", "--once")
    assert "No new message." in again.output
    assert_exactly_once(config, len(messages))


def test_poll_once_over_imap(tmp_path: Path, smtp_server: SmtpServer, cli, monkey_env: Dovecot) -> None:
    server = monkey_env
    config = make_project(tmp_path, smtp_server.port, imap_inbox(server))
    messages = human_messages() + machine_messages()[:40]
    server.append(messages)

    result = cli(config, "poll", "--once")
    assert result.exit_code == 0, result.output
    assert f"{len(messages)} message(s) read." in result.output
    assert server.count("INBOX") == 0
    assert server.count("Traités") + server.count("À trier") == len(messages)
    assert server.seen("Traités") == 0 and server.seen("À trier") == 0      # never marked seen
    assert_exactly_once(config, len(messages))


def test_a_failing_message_goes_to_failed_after_three_polls(tmp_path: Path, smtp_server: SmtpServer,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    config_path = make_project(tmp_path, smtp_server.port, maildir_inbox())
    config = load_config(config_path)
    store = Store(config.storage.path)
    writer = MaildirWriter(config.inbox.maildir)
    good = human_messages()[:10]
    poison = good[0].replace(b"\n\n", b"\nX-Poison: yes\n\n", 1)
    for raw in [poison, *good]:
        writer.deliver(raw)
    real_parse = pipeline.parse_message

    def failing_parse(raw: bytes):  # a bug in the pipeline, for this one message only
        if b"X-Poison: yes" in raw:
            raise RuntimeError("pipeline bug")
        return real_parse(raw)

    monkeypatch.setattr(pipeline, "parse_message", failing_parse)
    source, processor = MaildirSource(config.inbox), Processor(config, store)
    first = poll_once(config, store, source, processor)
    assert first.fetched == 11 and first.folders[""] == 1 and first.kinds["error"] == 1
    assert maildir_counts(config_path)["inbox"] == 1                        # the rest of the batch went on
    assert_exactly_once(config_path, 10)
    second = poll_once(config, store, source, processor)
    assert second.fetched == 1 and maildir_counts(config_path)["inbox"] == 1
    third = poll_once(config, store, source, processor)
    assert third.folders["failed"] == 1
    counts = maildir_counts(config_path)
    assert counts["inbox"] == 0 and counts["Erreurs"] == 1
    assert poll_once(config, store, source, processor).fetched == 0
    assert_exactly_once(config_path, 10)


def _poll_process(config: Path) -> subprocess.Popen[bytes]:
    """`mailer poll --once` in a child; its log (one line per message) goes to a file, not a pipe
    nobody reads (a full pipe would block it)."""
    log = (config.parent / "poll.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "mailer", "--config", str(config), "poll", "--once"],
                            cwd=REPO, stdout=log, stderr=subprocess.STDOUT)


def test_kill_9_during_poll_then_poll_again_processes_each_message_once(
        tmp_path: Path, smtp_server: SmtpServer, monkey_env: Dovecot) -> None:
    server = monkey_env
    config = make_project(tmp_path, smtp_server.port, imap_inbox(server))
    messages = many(human_messages(), 200) + many(machine_messages(), 1000, start=1000)
    random.Random(7).shuffle(messages)
    server.append(messages)
    rng = random.Random(3)
    kills, recorded = 0, 0
    while kills < 3 and recorded < len(messages):
        proc = _poll_process(config)
        # Kill right after a batch was committed (the window between the store and the moves)
        # or a little later, in the middle of reading the next batch.
        _wait_until(lambda: proc.poll() is not None or len(table(config, "inbound")) > recorded, timeout=300)
        time.sleep(rng.uniform(0.0, 0.2))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(120)
        recorded = len(table(config, "inbound"))
    assert kills >= 2 and recorded > 0
    final = _poll_process(config)
    final.wait(600)
    output = (config.parent / "poll.log").read_text(errors="replace")
    assert final.returncode == 0, output[-3000:]
    assert output.count("Traceback") == 0
    assert server.count("INBOX") == 0
    assert_exactly_once(config, len(messages))
    # Moves are atomic (IMAP MOVE): a message is in one folder once, wherever the kills fell.
    assert server.count("Traités") + server.count("À trier") == len(messages)


def test_serve_polls_survives_a_server_restart_and_stops(tmp_path: Path, smtp_server: SmtpServer,
                                                         monkey_env: Dovecot) -> None:
    server = monkey_env
    config_path = make_project(tmp_path, smtp_server.port, imap_inbox(server, poll_seconds=0.2, idle=True))
    config = load_config(config_path)
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(config, stop), kwargs={"embedded": False})
    thread.start()
    try:
        server.append(human_messages()[:5])
        _wait_until(lambda: len(table(config_path, "inbound")) == 5)
        server.restart()                                   # the IMAP server goes away and comes back
        server.append(human_messages()[5:10])
        _wait_until(lambda: len(table(config_path, "inbound")) == 10 and server.count("INBOX") == 0, timeout=120)
    finally:
        stop.set()
        thread.join(15)
    assert not thread.is_alive()
    assert server.count("INBOX") == 0
    assert_exactly_once(config_path, 10)


def test_serve_command_receives_mail_and_stops_on_sigterm(tmp_path: Path, smtp_server: SmtpServer) -> None:
    capture_port = free_port()
    config = make_project(tmp_path, capture_port, maildir_inbox(poll_seconds=0.2))
    proc = subprocess.Popen([sys.executable, "-m", "mailer", "--config", str(config), "serve"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_until(lambda: _accepts(capture_port), timeout=120)
        with smtplib.SMTP("127.0.0.1", capture_port, timeout=10) as smtp:   # the embedded capture server
            smtp.sendmail("r.dufour@example.net", ["protegeonslespersonnes@example.org"], human_messages()[0])
        _wait_until(lambda: len(table(config, "inbound")) == 1, timeout=120)
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=20)[0].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "Service stopped" in output and "Traceback" not in output
    assert "inbox: " in output and "unsubscribe" in output            # one line per message
    assert maildir_counts(config)["inbox"] == 0
    # once listening, it says where mail goes and what to type next (before it stops)
    guide = output[:output.index("Service stopped")]
    for line in (f"Capture server listening on 127.0.0.1:{capture_port}: nothing leaves this machine.",
                 f"-> {tmp_path / 'var' / 'inbox'}/ (read by this service)",
                 f"-> {tmp_path / 'var' / 'outbox'}/ (read it: mailer outbox list, mailer outbox show N",
                 f"cd {REPO} && . .venv/bin/activate", f"export MAILER_CONFIG={config}",
                 "do mailer import $k examples/$k.csv; done",
                 "mailer campaign send campaigns/alerte-exemple.toml", "Ctrl-C to stop."):
        assert line in guide, line


def test_next_steps_say_when_captured_team_mail_is_not_read(tmp_path: Path) -> None:
    """embedded = true with an IMAP inbox: team mail captured locally would wait forever unread."""
    from mailer.cli.service import next_steps
    from mailer.capture.devsmtp import CaptureServer

    config = load_config(write_config(tmp_path, smtp_port=free_port(),
                                      extra='[inbox]\nsource = "imap"\nhost = "imap.example.org"\n'))
    text = next_steps(config, CaptureServer(config), polling=True)
    assert 'NOT read: [inbox] source = "imap"' in text
    assert "Reading the team inbox imap.example.org (IMAP)" in text


def test_poll_reads_a_file_dropped_into_the_inbox_folder(tmp_path: Path, smtp_server: SmtpServer, cli) -> None:
    config = make_project(tmp_path, smtp_server.port, maildir_inbox())
    root = load_config(config).inbox.maildir
    root.mkdir(parents=True)
    dropped = root / "desinscription.eml"
    dropped.write_bytes(human_messages()[0])
    time.sleep(SETTLE_SECONDS + 0.2)                        # a copy unchanged this long is complete
    result = cli(config, "poll", "--once")
    assert result.exit_code == 0 and "1 message(s) read." in result.output
    assert not dropped.exists() and maildir_counts(config)["inbox"] == 0
    assert_exactly_once(config, 1)


def _accepts(port: int) -> bool:
    import socket
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_until(condition, timeout: float = 120) -> None:    # generous: a loaded machine
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_open_source_follows_the_config(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, extra=maildir_inbox()))
    assert isinstance(open_source(config), MaildirSource)


def test_a_message_too_big_goes_to_failed_unread(tmp_path: Path, smtp_server: SmtpServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from mailer.inbound.sources import source as source_module
    monkeypatch.setattr(source_module, "MAX_MESSAGE_BYTES", 20_000)
    config_path = make_project(tmp_path, smtp_server.port, maildir_inbox())
    config = load_config(config_path)
    writer = MaildirWriter(config.inbox.maildir)
    messages = human_messages()[:5]
    for raw in [messages[0].replace(b"\n\n", b"\n\n" + b"a" * 30_000 + b"\n", 1), *messages]:
        writer.deliver(raw)
    store = Store(config.storage.path)
    summary = poll_once(config, store, MaildirSource(config.inbox), Processor(config, store))
    assert summary.fetched == 6 and summary.folders["failed"] == 1
    assert maildir_counts(config_path)["Erreurs"] == 1 and maildir_counts(config_path)["inbox"] == 0
    assert_exactly_once(config_path, 5)


def test_poll_continues_when_the_imap_connection_drops_mid_poll(tmp_path: Path, smtp_server: SmtpServer,
                                                                monkey_env: Dovecot) -> None:
    server = monkey_env
    config_path = make_project(tmp_path, smtp_server.port, imap_inbox(server))
    config = load_config(config_path)
    messages = many(machine_messages(), 600)
    server.append(messages)
    store = Store(config.storage.path)
    killed: list[int] = []

    class Unlucky(ImapSource):
        """The real source, whose server-side process dies before some of its commands."""
        calls = 0

        def _die_sometimes(self) -> None:
            self.calls += 1
            if self.calls % 3 == 2:
                killed.append(server.kill_imap_processes())

        def fetch(self, limit: int, exclude=()):  # type: ignore[no-untyped-def]
            self._die_sometimes()
            return super().fetch(limit, exclude)

        def move(self, uids, role: str) -> None:  # type: ignore[no-untyped-def]
            self._die_sometimes()
            super().move(uids, role)

    source = Unlucky(config.inbox, timeout=5, backoff=(0.05, 0.1, 0.2, 0.4, 0.8))
    try:
        summary = poll_once(config, store, source, Processor(config, store), batch_size=100)
    finally:
        source.close()
    assert sum(killed) >= 4
    assert server.count("INBOX") == 0
    assert summary.fetched >= len(messages)
    assert_exactly_once(config_path, len(messages))


def test_two_polls_at_once_apply_each_message_once(tmp_path: Path, smtp_server: SmtpServer) -> None:
    """`poll --once` from cron while `serve` runs: the store lock and the recorded keys keep it exact."""
    config = make_project(tmp_path, smtp_server.port, maildir_inbox())
    writer = MaildirWriter(load_config(config).inbox.maildir)
    messages = many(human_messages(), 60) + many(machine_messages(), 300, start=100)
    for raw in messages:
        writer.deliver(raw)
    procs = [_poll_process(config) for _ in range(2)]
    for proc in procs:
        assert proc.wait(120) == 0, (config.parent / "poll.log").read_text(errors="replace")[-3000:]
    counts = maildir_counts(config)
    assert counts["inbox"] == 0 and counts["Traités"] + counts["À trier"] == len(messages)
    assert_exactly_once(config, len(messages))


def test_poll_fetches_the_next_batch_while_reading_one_and_moves_a_batch_only_once_stored(
        tmp_path: Path, smtp_server: SmtpServer) -> None:
    """The mailbox's round trips overlap the reading (issue 9's speed), and exactly once holds:
    a batch is moved only after the processor returned, i.e. after its effects were stored."""
    config_path = make_project(tmp_path, smtp_server.port, maildir_inbox())
    config = load_config(config_path)
    store = Store(config.storage.path)
    writer = MaildirWriter(config.inbox.maildir)
    for raw in many(human_messages(), 250):
        writer.deliver(raw)
    events: list[str] = []
    fetch_started = threading.Event()

    class Recording(MaildirSource):
        def fetch(self, limit: int, exclude=()):  # type: ignore[no-untyped-def]
            events.append("fetch")
            fetch_started.set()
            return super().fetch(limit, exclude)

        def move(self, uids, role: str) -> None:  # type: ignore[no-untyped-def]
            events.append(f"move {len(uids)}")
            super().move(uids, role)

    class Waiting(Processor):
        def process_batch(self, raws):  # type: ignore[no-untyped-def]
            fetch_started.clear()
            events.append(f"read {len(raws)}")
            # the next fetch starts while this batch is read (it would never come if it waited for us)
            overlapped = fetch_started.wait(timeout=10)
            outcomes = super().process_batch(raws)
            events.append(f"stored {len(raws)} overlapped={overlapped}")
            return outcomes

    source = Recording(config.inbox)
    summary = poll_once(config, store, source, Waiting(config, store), batch_size=100)
    assert summary.fetched == 250
    reads = [e for e in events if e.startswith("stored")]
    assert reads == ["stored 100 overlapped=True", "stored 100 overlapped=True", "stored 50 overlapped=True"]
    for n, stored in enumerate(i for i, e in enumerate(events) if e.startswith("stored")):
        moves_before = sum(1 for e in events[:stored] if e.startswith("move"))
        reads_before = sum(1 for e in events[:stored] if e.startswith("read"))
        assert reads_before == n + 1
        # no batch is moved before it is stored: moves so far cover only batches already stored
        assert sum(int(e.split()[1]) for e in events[:stored] if e.startswith("move")) <= 100 * n, events
        assert moves_before <= 2 * n
    assert sum(int(e.split()[1]) for e in events if e.startswith("move")) == 250
    assert_exactly_once(config_path, 250)
