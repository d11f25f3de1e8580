"""The embedded capture server, on real sockets: smtplib client -> CaptureServer -> Maildirs."""

from __future__ import annotations

import logging
import mailbox
import os
import re
import signal
import smtplib
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailer.config import Config, load_config
from mailer.capture.devsmtp import MAX_MESSAGE_BYTES, CaptureError, CaptureServer
from mailer.tokens import is_team_address
from mailer.errors import ConfigError

from conftest import free_port, write_config

TEAM = "protegeonslespersonnes@example.org"


def _message(to: str = TEAM, body: str = "Bonjour,\nnous avons envoyé 12 lettres.\n") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Groupe de Lyon <lyon@example.net>"
    msg["To"] = to
    msg["Subject"] = "Compte rendu d'actions : DI-2025-014"
    msg.set_content(body)
    return msg


def _stored(folder: Path) -> list[EmailMessage]:
    box = mailbox.Maildir(str(folder), create=False)
    return [message_from_bytes(box.get_bytes(key), policy=policy.default)  # type: ignore[misc]
            for key in sorted(box.keys())]


@pytest.fixture
def config_factory(tmp_path: Path) -> Callable[..., Config]:
    """A loaded Config for a throwaway project on a free port; `smtp=` overrides [smtp] fields."""

    def make(**smtp: object) -> Config:
        config = load_config(write_config(tmp_path, smtp_port=free_port()))
        return replace(config, smtp=replace(config.smtp, **smtp)) if smtp else config

    return make


@pytest.fixture
def capture(config_factory: Callable[..., Config]) -> Iterator[CaptureServer]:
    server = CaptureServer(config_factory()).start()
    yield server
    server.stop()


def _send(server: CaptureServer, msg: EmailMessage | bytes, sender: str, recipients: list[str]) -> None:
    with smtplib.SMTP(server.host, server.port, timeout=10) as client:
        if isinstance(msg, bytes):
            client.sendmail(sender, recipients, msg)
        else:
            client.send_message(msg, from_addr=sender, to_addrs=recipients)


def test_team_address_lands_in_inbox_with_trace_headers(capture: CaptureServer) -> None:
    _send(capture, _message(), "lyon@example.net", [TEAM])

    inbox = _stored(capture.inbox)
    assert len(inbox) == 1 and _stored(capture.outbox) == []
    stored = inbox[0]
    assert list(stored.keys())[:2] == ["Return-Path", "Delivered-To"]
    assert stored["Return-Path"] == "<lyon@example.net>"
    assert stored["Delivered-To"] == TEAM
    assert "12 lettres" in stored.get_content()


def test_sub_address_and_any_case_land_in_inbox(capture: CaptureServer) -> None:
    for rcpt in ("protegeonslespersonnes+u-Zx81Qa@example.org",
                 "ProtegeonsLesPersonnes+B-token@EXAMPLE.ORG",
                 "PROTEGEONSLESPERSONNES@Example.Org"):
        _send(capture, _message(to=rcpt), "someone@example.com", [rcpt])

    delivered = [m["Delivered-To"] for m in _stored(capture.inbox)]
    assert sorted(delivered) == sorted(["protegeonslespersonnes+u-Zx81Qa@example.org",
                                        "ProtegeonsLesPersonnes+B-token@EXAMPLE.ORG",
                                        "PROTEGEONSLESPERSONNES@Example.Org"])
    assert _stored(capture.outbox) == []


def test_other_recipients_land_in_outbox_once(capture: CaptureServer) -> None:
    lookalikes = ["protegeonslespersonnes@example.org.example.net",
                  "xprotegeonslespersonnes@example.org",
                  "protegeonslespersonnes@lists.example.org",
                  "claire.martin@example.com"]
    _send(capture, _message(to="claire.martin@example.com"), "protegeonslespersonnes+b-t1@example.org", lookalikes)

    outbox = _stored(capture.outbox)
    assert len(outbox) == 1, "one Maildir write for all the outside recipients of a message"
    assert outbox[0].get_all("Delivered-To") == lookalikes
    assert outbox[0]["Return-Path"] == "<protegeonslespersonnes+b-t1@example.org>"
    assert _stored(capture.inbox) == []


def test_mixed_recipients_go_to_both_each_naming_its_own(capture: CaptureServer) -> None:
    tagged = "protegeonslespersonnes+c-abc@example.org"
    _send(capture, _message(), "lyon@example.net", ["paul@example.com", tagged, "Paul@Example.com"])

    (inbox,), (outbox,) = _stored(capture.inbox), _stored(capture.outbox)
    assert inbox.get_all("Delivered-To") == [tagged]
    assert outbox.get_all("Delivered-To") == ["paul@example.com", "Paul@Example.com"]
    assert inbox.get_content() == outbox.get_content()


def test_null_sender_recorded_as_empty_return_path(capture: CaptureServer) -> None:
    bounce = b"From: MAILER-DAEMON@example.net\r\nSubject: Undelivered\r\n\r\nNo such user.\r\n"
    _send(capture, bounce, "<>", ["protegeonslespersonnes+b-tok@example.org"])

    (stored,) = _stored(capture.inbox)
    assert stored["Return-Path"] == "<>"


def test_files_are_private_and_body_bytes_kept(capture: CaptureServer) -> None:
    body = "Ligne avec accents : é à ç\n.\n..deux points\n" + "x" * 900 + "\n"
    raw = ("From: lyon@example.net\r\nSubject: 8bit\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           + body.replace("\n", "\r\n")).encode("utf-8")
    _send(capture, raw, "lyon@example.net", [TEAM])

    for folder in (capture.inbox, capture.inbox / "new", capture.inbox / "tmp", capture.inbox / "cur"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    files = list((capture.inbox / "new").iterdir())
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert b"\r\n" not in files[0].read_bytes(), "Maildir files use LF line endings"
    assert _stored(capture.inbox)[0].get_content() == body


def test_8bitmime_smtputf8_and_size_limit_advertised(capture: CaptureServer) -> None:
    with smtplib.SMTP(capture.host, capture.port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("8bitmime") and client.has_extn("smtputf8")
        assert int(client.esmtp_features["size"]) == MAX_MESSAGE_BYTES
    utf8 = "josé.müller@exemple.example.net"
    _send(capture, _message(to=utf8), "lyon@example.net", [utf8])
    (stored,) = _stored(capture.outbox)
    assert stored["Delivered-To"] == utf8


def test_oversized_message_refused(capture: CaptureServer) -> None:
    huge = b"Subject: trop gros\r\n\r\n" + (b"y" * 998 + b"\r\n") * (MAX_MESSAGE_BYTES // 1000 + 10)
    with smtplib.SMTP(capture.host, capture.port, timeout=30) as client:
        with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) as info:
            client.sendmail("lyon@example.net", [TEAM], huge)
    assert getattr(info.value, "smtp_code", 0) == 552
    assert _stored(capture.inbox) == []


def test_one_log_line_per_message_without_body(capture: CaptureServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mailer.capture.devsmtp")
    _send(capture, _message(body="secret-body-words\n"), "lyon@example.net", [TEAM, "a@example.com"])

    lines = [r.getMessage() for r in caplog.records if r.name == "mailer.capture.devsmtp" and "from <" in r.getMessage()]
    assert len(lines) == 1
    assert "lyon@example.net" in lines[0] and "recipients=2" in lines[0] and "size=" in lines[0]
    assert "secret-body-words" not in caplog.text


def test_is_team_address() -> None:
    assert is_team_address("Team+Anything.Here@Example.ORG", "team@example.org")
    assert not is_team_address("team@example.org.evil.example", "team@example.org")
    assert not is_team_address("teammate@example.org", "team@example.org")
    assert not is_team_address("@example.org", "team@example.org")


def test_non_loopback_host_refused(config_factory: Callable[..., Config]) -> None:
    for host in ("0.0.0.0", "192.0.2.10", "mail.example.org", "::"):
        with pytest.raises(ConfigError, match="loopback"):
            CaptureServer(config_factory(host=host))


def test_embedded_false_refused(config_factory: Callable[..., Config]) -> None:
    with pytest.raises(ConfigError, match="embedded"):
        CaptureServer(config_factory(embedded=False))


def test_port_in_use_is_a_clear_error(config_factory: Callable[..., Config]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        config = config_factory(port=busy.getsockname()[1])
        with pytest.raises(CaptureError, match="cannot start"):
            CaptureServer(config).start()


def test_cli_refuses_when_not_embedded(tmp_path: Path, cli: Callable[..., object]) -> None:
    config = write_config(tmp_path, smtp_port=free_port())
    config.write_text(config.read_text(encoding="utf-8").replace("[smtp]\n", "[smtp]\nembedded = false\n"),
                      encoding="utf-8")
    result = cli(config, "dev-smtp")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "embedded" in result.output  # type: ignore[attr-defined]


def test_cli_refuses_non_loopback_host(tmp_path: Path, cli: Callable[..., object]) -> None:
    config = write_config(tmp_path, smtp_port=free_port())
    text = config.read_text(encoding="utf-8").replace('host = "127.0.0.1"', 'host = "0.0.0.0"\nallow_insecure_remote = true')
    config.write_text(text, encoding="utf-8")
    result = cli(config, "dev-smtp")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "loopback" in result.output  # type: ignore[attr-defined]


def _wait_listening(port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"dev-smtp exited early: {proc.communicate()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("dev-smtp did not start listening")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_dev_smtp_delivers_and_stops_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    port = free_port()
    config = write_config(tmp_path, smtp_port=port)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", "from mailer.cli import main; main()",
                             "--config", str(config), "dev-smtp"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        _wait_listening(port, proc, time.monotonic() + 120)      # generous: a loaded machine
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(_message(), from_addr="lyon@example.net", to_addrs=[TEAM, "a@example.com"])
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.decode()
    assert b"Capture server stopped" in out
    text = out.decode()
    assert f"Capture server listening on 127.0.0.1:{port}" in text
    assert f"-> {tmp_path / 'var' / 'inbox'}/ (read by `mailer serve` or `mailer poll --once`)" in text
    assert f"-> {tmp_path / 'var' / 'outbox'}/ (read it: mailer outbox list" in text
    assert "Ctrl-C to stop." in text
    assert b"Traceback" not in err
    assert len(_stored(tmp_path / "var" / "inbox")) == 1
    assert len(_stored(tmp_path / "var" / "outbox")) == 1


@pytest.mark.parametrize("command", ["dev-smtp", "serve"])
def test_busy_port_names_the_key_to_change(tmp_path: Path, command: str) -> None:
    """A real socket holds the port; the CLI says so, names smtp.port and the file, exits 1."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = write_config(tmp_path, smtp_port=port)
        proc = subprocess.run([sys.executable, "-m", "mailer", "--config", str(config), command],
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert (f"cannot start the capture server on 127.0.0.1:{port}: the port is in use "
            f"(another mailer serve or dev-smtp?); stop it, or set smtp.port in {config}") in proc.stderr
    assert "Traceback" not in proc.stderr and "Errno" not in proc.stderr
    assert "second terminal" not in proc.stdout            # no next steps for a server that is not running


@pytest.mark.parametrize(("extra", "key"), [
    ('security = "starttls"\n', "smtp.security: the capture server (embedded = true) speaks no TLS"),
    ('username = "equipe"\n', "smtp.username: the capture server (embedded = true) offers no AUTH"),
    ('outbox = "var/inbox"\n', "smtp.outbox"),         # the service would read what it sent as incoming
])
def test_settings_the_capture_server_would_defeat_are_refused(tmp_path: Path, cli: Callable[..., object],
                                                              extra: str, key: str) -> None:
    config = write_config(tmp_path, smtp_port=free_port(), smtp_extra=extra)
    text = config.read_text(encoding="utf-8")
    if "security" in extra:
        text = text.replace('security = "none"\n', "", 1)
    config.write_text(text, encoding="utf-8")
    result = cli(config, "dev-smtp")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert key in result.output and str(config) in result.output  # type: ignore[attr-defined]


def test_names_sort_in_arrival_order(tmp_path: Path) -> None:
    """Many deliveries within one second: the numeric time in the name keeps their order."""
    from mailer.capture.devsmtp import MaildirWriter
    from mailer.capture.maildirs import message_names

    writer = MaildirWriter(tmp_path / "box")
    paths = [writer.deliver(f"Subject: {n}\n\n".encode()) for n in range(50)]
    assert all(re.match(r"\d+\.M\d{6}P", p.name) for p in paths)
    assert message_names(tmp_path / "box") == paths


BODY_LINE = "Ligne-distinctive-du-corps-7f3a9c ne doit jamais apparaître dans un journal"


@pytest.mark.parametrize("command", ["dev-smtp", "serve"])
def test_verbose_logs_never_hold_a_message_body(tmp_path: Path, command: str) -> None:
    """`mailer -v dev-smtp` / `-v serve`: aiosmtpd logs each DATA line at DEBUG; none reaches a log."""
    port = free_port()
    config = write_config(tmp_path, smtp_port=port, extra='[inbox]\nsource = "maildir"\npoll_seconds = 0.2\n')
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "mailer", "-v", "--config", str(config), command],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        _wait_listening(port, proc, time.monotonic() + 120)
        body = f"Bonjour,\n{BODY_LINE}\nCordialement\n"
        _send(CaptureServer(load_config(config)), _message(body=body), "lyon@example.net", [TEAM, "a@example.com"])
        inbox = tmp_path / "var" / "inbox"
        deadline = time.monotonic() + 120
        while command == "serve" and time.monotonic() < deadline and _stored(inbox):
            time.sleep(0.1)                                   # serve: read, decided and moved too
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = (out + err).decode("utf-8", "replace")
    assert proc.returncode == 0, text
    assert "DEBUG" in text and "capture: from <lyon@example.net>" in text        # verbose, and it logged
    assert "Ligne-distinctive" not in text and "7f3a9c" not in text and "Cordialement" not in text
    if command == "serve":
        assert "inbox: " in text and not _stored(inbox)
