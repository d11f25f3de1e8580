"""`mailer serve` on a store whose disk fills: it logs, backs off, keeps running, loses nothing.

A real tmpfs for the store (tinydisk.py), a real Maildir inbox on the ordinary disk, the real
Processor and `serve` loop, a real SMTP server for the acknowledgements.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mailer.capture.devsmtp import MaildirWriter
from mailer.config import Config, load_config
from mailer.service import serve
from mailer.store import Store
from conftest import SmtpServer, write_config
from inbox_messages import human_messages, import_reference_data

if TYPE_CHECKING:
    from tinydisk import TinyDisk

pytest_plugins = ("tinydisk",)


def _wait_until(condition, timeout: float = 120) -> None:    # generous: a loaded machine
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _in_inbox(maildir: Path) -> int:
    return sum(len(os.listdir(maildir / sub)) for sub in ("new", "cur"))


@contextmanager
def serving(config: Config) -> Iterator[threading.Thread]:
    """The real `serve` loop in a thread (no capture server); stopped, and seen to stop, at the end."""
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(config, stop), kwargs={"embedded": False}, daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()


def assert_each_once(config: Config, count: int) -> None:
    """Every message recorded once, none lost, no report counted twice."""
    snapshot = Store(config.storage.path).snapshot()
    inbound = snapshot.docs("inbound")
    assert len(inbound) == len({d["key"] for d in inbound}) == count
    reports = snapshot.docs("reports")
    assert len({r["message_key"] for r in reports}) == len(reports)


def test_serve_on_a_full_disk_logs_backs_off_keeps_running_then_catches_up(
        tmp_path: Path, smtp_server: SmtpServer, tiny_disk_factory, caplog: pytest.LogCaptureFixture) -> None:
    disk: TinyDisk = tiny_disk_factory(2048)
    config_path = write_config(tmp_path, smtp_port=smtp_server.port,
                               extra=f'[inbox]\nsource = "maildir"\nmaildir = "{tmp_path / "inbox"}"\n'
                                     'poll_seconds = 0.2\n')
    text = config_path.read_text(encoding="utf-8").replace('path = "var/mailer.json"',
                                                           f'path = "{disk.path / "var" / "mailer.json"}"')
    config_path.write_text(text, encoding="utf-8")
    config = load_config(config_path)
    store = Store(config.storage.path)
    import_reference_data(store)
    store.secret(config.security.secret_env)
    messages = human_messages()[:6]
    writer = MaildirWriter(config.inbox.maildir)
    disk.fill()
    assert disk.full()
    for raw in messages:
        writer.deliver(raw)

    caplog.set_level(logging.INFO, logger="mailer")
    with serving(config) as thread:
        failures = lambda: [r.getMessage() for r in caplog.records if r.getMessage().startswith("poll failed")]  # noqa: E731
        _wait_until(lambda: len(failures()) >= 2 or not thread.is_alive())
        assert thread.is_alive(), "serve died on the full disk"
        delays = [int(re.search(r"retrying in (\d+)s", line).group(1)) for line in failures()]   # type: ignore[union-attr]
        assert delays[:2] == [2, 4]                                  # it backs off
        assert "No space left on device" in failures()[0] and str(config.storage.path) in failures()[0]
        assert _in_inbox(config.inbox.maildir) == len(messages)     # nothing moved before it is stored
        assert Store(config.storage.path).snapshot().docs("inbound") == []
        disk.free()                                                   # space is back
        _wait_until(lambda: _in_inbox(config.inbox.maildir) == 0)
    assert_each_once(config, len(messages))
    assert "Traceback" not in caplog.text


def test_serve_survives_an_inbox_folder_it_cannot_create(tmp_path: Path, smtp_server: SmtpServer,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """A file where the processed-mail folder should be: the move fails (OSError) after the effects
    are stored; once the file is gone, the next poll moves each message, applying nothing twice."""
    config_path = write_config(tmp_path, smtp_port=smtp_server.port,
                               extra='[inbox]\nsource = "maildir"\nmaildir = "var/inbox"\npoll_seconds = 0.2\n')
    config = load_config(config_path)
    import_reference_data(Store(config.storage.path))
    messages = human_messages()[:4]
    writer = MaildirWriter(config.inbox.maildir)
    for raw in messages:
        writer.deliver(raw)
    blocker = config.inbox.maildir / ".Traités"
    blocker.write_text("not a folder")

    caplog.set_level(logging.INFO, logger="mailer")
    with serving(config) as thread:
        _wait_until(lambda: "poll failed" in caplog.text or not thread.is_alive())
        assert thread.is_alive(), "serve died of an OSError"
        assert _in_inbox(config.inbox.maildir) > 0
        blocker.unlink()
        _wait_until(lambda: _in_inbox(config.inbox.maildir) == 0)
    assert_each_once(config, len(messages))
