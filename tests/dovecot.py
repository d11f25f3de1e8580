"""A private Dovecot for tests: Debian's dovecot-imapd started from a config file of its own.

The server runs from a temp folder on a free loopback port, with a passwd-file user, without the
system's conf.d (FACTS.md). `dovecot_factory` starts one per call (plain, or implicit TLS with a
trustme certificate); each is stopped at teardown. Without `dovecot` installed the tests that
need it are skipped (scripts/test installs it, as root).

The fixtures `dovecot` and `dovecot_factory` are registered for every test by conftest.py's `pytest_plugins`.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import free_port
from imap_tools import MailBoxUnencrypted

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
MAIL_UID = 65534   # nobody: the mail files' owner, as in FACTS.md
PR_SET_CHILD_SUBREAPER = 36


def _adopt_orphans() -> None:
    """Make this process the reaper of the servers it starts (Linux prctl), so `stop` can reap them.

    Dovecot's master daemonizes; killed, it and its children are orphans, and where PID 1 never
    reaps (this machine's and CI's init) they stay zombies. A zombie passes `kill(pid, 0)`, so the
    next server takes a dead `imap`'s `dovecot-uidlist.lock` for a live one and waits up to two
    minutes for it: the APPEND right after a restart timed out.
    """
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _group_members(group: int) -> list[int]:
    members = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.getpgid(int(proc.name)) == group:
                    members.append(int(proc.name))
            except (OSError, ProcessLookupError):
                continue
    return members


def _reap(pids: list[int], timeout: float = 20) -> None:
    """Wait until every killed pid is gone from /proc, reaping those that were reparented to us."""
    deadline = time.monotonic() + timeout
    left = set(pids)
    while left and time.monotonic() < deadline:
        for pid in list(left):
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:      # not (yet) our child: its parent has not died yet
                pass
            if not os.path.exists(f"/proc/{pid}"):
                left.discard(pid)
        if left:
            time.sleep(0.01)


@dataclass
class Dovecot:
    """One running private server and helpers to look at its mailbox from the side."""

    root: Path
    host: str
    port: int
    user: str
    password: str
    tls_port: int = 0                      # implicit TLS listener (0: none)
    conf: Path = field(default=Path())

    def inbox_section(self, password_env: str = "MAILER_TEST_IMAP_PASSWORD") -> str:
        """An `[inbox]` section that reads this server (export `password_env` = `self.password`)."""
        return (f'\n[inbox]\nsource = "imap"\nhost = "{self.host}"\nport = {self.port}\nsecurity = "none"\n'
                f'username = "{self.user}"\npassword_env = "{password_env}"\n')

    @property
    def pid_file(self) -> Path:
        return self.root / "run" / "master.pid"

    @property
    def mail_dir(self) -> Path:
        return self.root / "mail" / self.user

    def start(self) -> None:
        _adopt_orphans()
        # The master forks into the background: no pipes, or they would stay open forever.
        deadline = time.monotonic() + 60          # generous: a loaded machine
        while subprocess.run([DOVECOT, "-c", str(self.conf)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, timeout=120).returncode != 0:
            # After stop(), a killed child may hold the old sockets a moment longer on a loaded machine
            # ("Dovecot is already running? Socket already exists"): wait for it, not for luck.
            if "already running" not in self.log() or time.monotonic() > deadline:
                raise RuntimeError(f"dovecot -c {self.conf} failed: {self.log()}")
            time.sleep(0.1)
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def stop(self) -> None:
        """Kill the master and its children at once (its own process group: it ran setsid).

        A SIGTERM takes the master ~2.5 s here; the tests need a dead server, not a polite one.
        """
        try:
            group = os.getpgid(int(self.pid_file.read_text().strip()))
            members = _group_members(group)
            os.killpg(group, signal.SIGKILL)
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return
        _reap(members)
        # Not os.kill(pid, 0): a zombie passes it; the closed listener is what a client sees.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:     # the listeners die with the imap-login processes
            with socket.socket() as sock:
                if sock.connect_ex((self.host, self.port)) != 0:
                    break
            time.sleep(0.02)
        self.pid_file.unlink(missing_ok=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill_imap_processes(self) -> int:
        """SIGKILL this server's `imap` processes (its process group): drops the clients' connections."""
        try:
            group = os.getpgid(int(self.pid_file.read_text().strip()))
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return 0
        killed = 0
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                name = (proc / "cmdline").read_bytes().split(b"\0")[0]
                if name.startswith(b"dovecot/imap") and b"login" not in name and os.getpgid(int(proc.name)) == group:
                    os.kill(int(proc.name), signal.SIGKILL)
                    killed += 1
            except (OSError, ProcessLookupError):
                continue
        return killed

    def log(self) -> str:
        try:
            return (self.root / "dovecot.log").read_text(errors="replace")[-3000:]
        except FileNotFoundError:
            return ""

    def client(self) -> MailBoxUnencrypted:
        # 30 s: right after a restart, under a loaded suite, Dovecot has been seen taking over 10 s to
        # answer the test's own APPEND (the code under test has its own timeouts)
        return MailBoxUnencrypted(self.host, self.port, timeout=30).login(self.user, self.password, None)

    def append(self, messages: list[bytes] | bytes, folder: str = "INBOX") -> None:
        """APPEND messages (CRLF line ends, as IMAP wants) to a folder, creating it if needed."""
        if isinstance(messages, bytes):
            messages = [messages]
        with self.client() as box:
            if not box.folder.exists(folder):
                box.folder.create(folder)
            for raw in messages:
                box.append(crlf(raw), folder)

    def folders(self) -> list[str]:
        with self.client() as box:
            return sorted(f.name for f in box.folder.list())

    def count(self, folder: str = "INBOX") -> int:
        with self.client() as box:
            if not box.folder.exists(folder):
                return 0
            return box.folder.status(folder, ["MESSAGES"])["MESSAGES"]

    def messages(self, folder: str = "INBOX") -> list[bytes]:
        """Raw messages of a folder, read without setting \\Seen."""
        with self.client() as box:
            if not box.folder.exists(folder):
                return []
            box.folder.set(folder)
            return [m.obj.as_bytes() for m in box.fetch(mark_seen=False, bulk=True)]

    def seen(self, folder: str = "INBOX") -> int:
        with self.client() as box:
            box.folder.set(folder)
            return len(box.uids("SEEN"))


def crlf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
disable_plaintext_auth = no
auth_failure_delay = 0
mail_fsync = never
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:{root}/mail/%u:UTF-8
first_valid_uid = 0
mail_uid = {uid}
mail_gid = {uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
{ssl}
"""


def _write(root: Path, port: int, tls_port: int, user: str, password: str, ssl: str) -> Path:
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    os.chown(root / "mail", MAIL_UID, MAIL_UID)
    os.chmod(root, 0o755)
    (root / "passwd").write_text(f"{user}:{{PLAIN}}{password}:{MAIL_UID}:{MAIL_UID}::{root}/mail/{user}::\n")
    conf = root / "dovecot.conf"
    conf.write_text(CONF.format(root=root, port=port, tls_port=tls_port, uid=MAIL_UID, ssl=ssl))
    return conf


def start_dovecot(tls_cert: object | None = None, user: str = "equipe", password: str = "s3cret-imap") -> Dovecot:
    """A running private server (the fixture's, also used by benchmarks/inbox_bench.py); call stop()."""
    # Not under pytest's tmp_path: that is 0700 root, and the mail processes run as nobody.
    # A short path, too: dovecot's unix sockets live under base_dir (108-byte limit).
    root = Path(tempfile.mkdtemp(prefix="mailer-dc-"))
    port = free_port()
    ssl = "ssl = no"
    tls_port = 0
    if tls_cert is not None:
        tls_port = free_port()
        cert, key = root / "cert.pem", root / "key.pem"
        tls_cert.cert_chain_pems[0].write_to_path(str(cert))           # type: ignore[attr-defined]
        tls_cert.private_key_pem.write_to_path(str(key))               # type: ignore[attr-defined]
        ssl = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}"
    server = Dovecot(root, "127.0.0.1", port, user, password, tls_port)
    server.conf = _write(root, port, tls_port, user, password, ssl)
    server.start()
    return server


def dovecot_missing() -> str:
    """Why a private Dovecot cannot run here ("" when it can)."""
    if DOVECOT is None:
        return "dovecot is not installed (Debian package dovecot-imapd; scripts/test installs it)"
    if os.geteuid() != 0:
        return "the private dovecot runs as root (as CI does): run the tests as root"
    return ""


@pytest.fixture
def dovecot_factory() -> Iterator[Callable[..., Dovecot]]:
    """Start private Dovecot servers: `start()` plain, `start(tls_cert=trustme_cert)` with implicit TLS."""
    if dovecot_missing():
        pytest.skip(dovecot_missing())
    started: list[Dovecot] = []

    def start(tls_cert: object | None = None, user: str = "equipe", password: str = "s3cret-imap") -> Dovecot:
        server = start_dovecot(tls_cert, user, password)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def dovecot(dovecot_factory: Callable[..., Dovecot]) -> Dovecot:
    return dovecot_factory()


__all__ = ["Dovecot", "crlf", "dovecot", "dovecot_factory", "dovecot_missing", "start_dovecot"]
