"""config.toml -> frozen dataclasses, validated once.

The dataclasses are the schema: a field's type, its one default and the `rule(...)` in its
metadata are the only description of a key; `parse_config` reads every section from them. So an
unknown key is an error suggesting the closest known one (never ignored), a wrong value is a
ConfigError naming the file and the key (never a traceback), and no default is written twice.
Secrets are never read from the file: only the *name* of an environment variable is, and the
value is looked up when a connection needs it.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import validate_email

from .errors import ConfigError
from .tomlspec import NO_RULE, Rule, bad, found, read_toml, read_value, required, rule  # noqa: F401  (re-exported)

CONFIG_ENV = "MAILER_CONFIG"
SMTP_SECURITY = ("none", "starttls", "tls")
IMAP_SECURITY = ("tls", "starttls", "none")


def _address(value: str) -> str:
    """Lower-cased ASCII, as the importer stores addresses (IDN domains in their xn-- form)."""
    checked = validate_email(value, check_deliverability=False, globally_deliverable=False,
                             test_environment=True)
    if checked.ascii_email is None:
        raise ValueError("accented letters before the @ need SMTPUTF8, which relays rarely support")
    return checked.ascii_email.lower()


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):   # "Europe" is a folder: IsADirectoryError
        raise ValueError("no such zone") from None
    return value


def _https(value: str) -> str:
    """Tokens are appended as /u/TOKEN, so a query or a fragment would break every link."""
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or " " in value or parts.query or parts.fragment:
        raise ValueError("https://host or https://host/path, with no query or fragment")
    return value.rstrip("/")


def _host(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not re.fullmatch(r"[\w.-]+", value):
            raise ValueError("no scheme and no port: the port has its own key") from None
    return value


def _listen(value: str) -> str:
    """`host:port` for the web endpoint; a bracketed IPv6 host (`[::1]:8080`) is fine."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 1 <= int(port) <= 65535 or not _host(host.strip("[]")):
        raise ValueError("host:port, such as 127.0.0.1:8080")
    return value


ADDRESS = rule(check=_address, what="an e-mail address")
HOST = rule(check=_host, what="a host name or IP address")
ENV = rule(pattern="[A-Za-z_][A-Za-z0-9_]*", what="an environment variable name (without $)")
PORT = rule(minimum=1, maximum=65535)
FOLDER = rule(under_storage=True)


@dataclass(frozen=True)
class TeamConfig:
    name: str
    address: str = field(metadata=ADDRESS)                          # From of every mailing
    coordinators: tuple[str, ...] = field(default=(), metadata=ADDRESS)   # notices and digests
    timezone: str = field(default="Europe/Paris",      # times shown to people; JSON keeps ISO 8601
                          metadata=rule(check=_zone, what="a time zone name such as Europe/Paris"))
    # the association's postal identity, in every mailing's footer (bulk-sender rules)
    postal_address: str = field(default="", metadata=rule(empty=True))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


@dataclass(frozen=True)
class StorageConfig:
    """`path` is the TinyDB file; its folder holds the rest of the state."""

    path: Path = field(default=Path("var/mailer.json"), metadata=rule(pattern=".*[^/]", what="a file path"))

    @property
    def folder(self) -> Path:
        return self.path.parent


@dataclass(frozen=True)
class SmtpConfig:
    host: str = field(default="127.0.0.1", metadata=HOST)
    port: int = field(default=8025, metadata=PORT)
    security: str = field(default="none", metadata=rule(choices=SMTP_SECURITY))
    username: str = field(default="", metadata=rule(empty=True))     # empty: no AUTH
    password_env: str = field(default="MAILER_SMTP_PASSWORD", metadata=ENV)
    max_connections: int = field(default=4, metadata=rule(minimum=1))
    rate_per_second: float = field(default=0.0, metadata=rule(minimum=0))     # 0: unlimited
    embedded: bool = True
    allow_insecure_remote: bool = False
    timeout_seconds: float = field(default=30.0, metadata=rule(above=0))
    outbox: Path = field(default=Path("outbox"), metadata=FOLDER)
    # waits before each retry of a 4xx, then consecutive failed recipients that pause a campaign
    retry_seconds: tuple[float, ...] = field(default=(2.0, 10.0, 30.0, 60.0), metadata=rule(minimum=0))
    pause_after_errors: int = field(default=25, metadata=rule(minimum=1))

    def password(self) -> str:
        return os.environ.get(self.password_env, "")

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)


@dataclass(frozen=True)
class WebConfig:
    base_url: str = field(default="", metadata=rule(empty=True, check=_https, what="an https:// address"))
    # the one-click unsubscribe endpoint `mailer serve` runs when base_url is set (behind a proxy)
    listen: str = field(default="127.0.0.1:8080", metadata=rule(check=_listen, what="host:port"))


@dataclass(frozen=True)
class SecurityConfig:
    secret_env: str = field(default="MAILER_SECRET", metadata=ENV)


@dataclass(frozen=True)
class InboxConfig:
    source: str = field(default="maildir", metadata=rule(choices=("maildir", "imap")))
    maildir: Path = field(default=Path("inbox"), metadata=FOLDER)
    host: str = field(default="127.0.0.1", metadata=HOST)
    port: int = field(default=993, metadata=PORT)
    security: str = field(default="tls", metadata=rule(choices=IMAP_SECURITY))
    username: str = field(default="", metadata=rule(empty=True))
    password_env: str = field(default="MAILER_IMAP_PASSWORD", metadata=ENV)
    folder: str = "INBOX"
    processed_folder: str = "Traités"
    triage_folder: str = "À trier"
    failed_folder: str = "Erreurs"
    poll_seconds: float = field(default=60.0, metadata=rule(above=0))
    idle: bool = False
    authserv_id: str = field(default="", metadata=rule(empty=True))   # "": no Authentication-Results trusted
    apply_confidence: float = field(default=0.8, metadata=rule(minimum=0, maximum=1))  # below: triage (issue 9)
    confirm_reports: bool = True         # a free-text report is recorded once its sender confirms our reading

    def password(self) -> str:
        return os.environ.get(self.password_env, "")


@dataclass(frozen=True)
class CampaignsConfig:
    templates: Path = Path("templates")
    folder: Path = Path("campaigns")


def _days(value: int) -> int:
    if value == 0:
        raise ValueError("a period of 0 days would purge everything")
    if value < 0:
        raise ValueError("a period is a number of days, 1 or more")
    return value


DAYS = rule(check=_days, what="a number of days (1 or more)")


@dataclass(frozen=True)
class RetentionConfig:
    """How long each kind of record is kept (the daily purge, mailer/retention.py; README: Retention)."""

    unconfirmed_days: int = field(default=30, metadata=DAYS)          # a sign-up left unconfirmed
    raw_message_days: int = field(default=90, metadata=DAYS)          # raw mail in the mailbox, captured mail
    former_subscriber_days: int = field(default=1095, metadata=DAYS)  # after the last contact (CNIL: 3 years)
    inbound_record_days: int = field(default=365, metadata=DAYS)      # messages read, answers sent, events


@dataclass(frozen=True)
class BouncesConfig:
    """What failed deliveries do (mailer/bouncing.py; README: Bounces)."""

    # hard failures (5.1.x: no such user or domain, proven ours) that suppress an address, counted
    # across campaigns with no reset: a bulletin sent three times a year stops at the second
    hard_limit: int = field(default=2, metadata=rule(minimum=1))


@dataclass(frozen=True)
class RemindersConfig:
    """Reminders to the groups of each active dossier (mailer/reminders.py; README: Reminders)."""

    enabled: bool = True            # false: the service plans and sends none (`reminders plan` still shows them)
    # a group that reported is due this long after its last report was received; at most one
    # reminder per group and dossier per period
    after_days: int = field(default=30, metadata=rule(minimum=1))
    hour: int = field(default=9, metadata=rule(minimum=0, maximum=23))   # in [team] timezone, once a day
    template: str = field(default="dossier_reminder", metadata=rule(pattern=r"[A-Za-z0-9_][A-Za-z0-9_./-]*",
                                                                    what="a template name"))
    subject: str = "Dossier {{ dossier.ref }} : où en êtes-vous pour {{ dossier.person }} ?"


@dataclass(frozen=True)
class ApprovalConfig:
    """A second coordinator's approval before a campaign sends (mailer/approval.py; README: Approval)."""

    # a bulletin, or a campaign larger than min_recipients, needs a second coordinator's approval;
    # when the key is absent: true with two coordinators or more, false with one (DERIVED_DEFAULTS)
    required: bool = False
    min_recipients: int = field(default=500, metadata=rule(minimum=0))


# Keys whose default depends on another key: absent from the file, their value is computed here
# (the dataclass holds the value for the plain case); the sample config.toml shows them commented.
DERIVED_DEFAULTS: dict[str, str] = {
    "approval.required": "true when team.coordinators lists two or more people, false with one",
}


@dataclass(frozen=True)
class Config:
    source: Path
    team: TeamConfig
    storage: StorageConfig = field(default_factory=StorageConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    web: WebConfig = field(default_factory=WebConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    inbox: InboxConfig = field(default_factory=InboxConfig)
    campaigns: CampaignsConfig = field(default_factory=CampaignsConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    bounces: BouncesConfig = field(default_factory=BouncesConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    approval: ApprovalConfig = field(default_factory=ApprovalConfig)

    @property
    def state_dir(self) -> Path:
        """The folder that holds the TinyDB file and every other piece of state."""
        return self.storage.folder


def sections() -> dict[str, type]:
    """Section name -> its dataclass: every field of Config but `source`."""
    return {name: hint for name, hint in get_type_hints(Config).items() if dataclasses.is_dataclass(hint)}


def is_loopback_host(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def find_config_path(explicit: str | os.PathLike[str] | None) -> Path:
    """`--config PATH`, else `$MAILER_CONFIG`, else `./config.toml`."""
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return Path("config.toml")


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    source = find_config_path(path).resolve()
    raw = read_toml(source, ConfigError, f"configuration file not found (use --config or ${CONFIG_ENV})")
    return parse_config(raw, source)


def parse_config(raw: dict[str, Any], source: Path) -> Config:
    """Every section read from its dataclass, then the checks that involve several keys."""
    known = sections()
    for name, value in raw.items():
        if name not in known:
            raise _unknown_section(source, name, value, known)
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: [{name}] must be a table (a [{name}] line, then its keys), "
                              f"found {found(value)}")
    for name, cls in known.items():
        needed = [f.name for f in dataclasses.fields(cls) if required(f)]
        if name not in raw and needed:
            raise ConfigError(f"{source}: missing section [{name}] (with {', '.join(needed)})")
    storage = _section(StorageConfig, "storage", raw.get("storage", {}), source, source.parent)
    parsed = {name: storage if cls is StorageConfig else
              _section(cls, name, raw.get(name, {}), source, storage.folder) for name, cls in known.items()}
    if "required" not in raw.get("approval", {}):     # DERIVED_DEFAULTS: two coordinators, one approves the other
        parsed["approval"] = dataclasses.replace(parsed["approval"], required=len(set(parsed["team"].coordinators)) >= 2)
    config = Config(source=source, **parsed)
    _check_together(config)
    return config


def _section(cls: type, name: str, raw: dict[str, Any], source: Path, storage: Path) -> Any:
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for k in raw:
        if k not in fields:
            raise _unknown_key(source, name, k, list(fields))
    values: dict[str, Any] = {}
    for f in fields.values():
        spec: Rule = f.metadata.get("rule", NO_RULE)
        where = f"{source}: {name}.{f.name}"
        if f.name in raw:
            values[f.name] = read_value(hints[f.name], raw[f.name], spec, where, source.parent)
        elif required(f):
            raise ConfigError(f"{where}: missing (this key is required)")
        elif hints[f.name] is Path:     # the one default, placed in its folder
            values[f.name] = (storage if spec.under_storage else source.parent) / f.default
    return cls(**values)


def _owners(name: str) -> list[str]:
    return [s for s, cls in sections().items() if name in {f.name for f in dataclasses.fields(cls)}]


def _unknown_key(source: Path, section: str, name: str, known: list[str]) -> ConfigError:
    where = f"{source}: {section}.{name}"
    if f"{name}_env" in known:
        return ConfigError(f"{where}: secrets are never read from the file: set {name}_env and export it")
    close = difflib.get_close_matches(name.lower().replace("-", "_"), known, n=1)
    if owners := _owners(name):     # TOML puts every key under the last [section] line above it
        hint = f"{name} belongs in {' or '.join(f'[{s}]' for s in owners)}: move it under that line"
    elif close:
        hint = f"did you mean {section}.{close[0]}?"
    else:
        hint = f"known keys of [{section}]: {', '.join(known)}"
    return ConfigError(f"{where}: unknown key; {hint}")


def _unknown_section(source: Path, name: str, value: Any, known: dict[str, type]) -> ConfigError:
    if not isinstance(value, dict):     # a key above every [section] line
        owners = _owners(name)
        hint = f"did you mean {owners[0]}.{name}, under [{owners[0]}]?" if owners else \
            f"keys go under a section: {', '.join(f'[{s}]' for s in known)}"
        return ConfigError(f"{source}: {name}: unknown key outside any section; {hint}")
    close = difflib.get_close_matches(name.lower(), list(known), n=1)
    hint = f"did you mean [{close[0]}]?" if close else f"known sections: {', '.join(f'[{s}]' for s in known)}"
    return ConfigError(f"{source}: unknown section [{name}]; {hint}")


def _check_together(config: Config) -> None:
    """The rules that involve several keys; each error names the key to change."""
    smtp, inbox = config.smtp, config.inbox

    def fail(key: str, why: str) -> ConfigError:
        return ConfigError(f"{config.source}: {key}: {why}")

    if smtp.security == "none" and not smtp.is_loopback and not smtp.allow_insecure_remote:
        raise fail("smtp.security", f'"none" toward the non-loopback host {smtp.host!r} would send mail and '
                   'passwords in clear; use "starttls" or "tls", or set allow_insecure_remote = true')
    if inbox.source == "imap" and inbox.security == "none" and not is_loopback_host(inbox.host):
        raise fail("inbox.security", f'"none" toward the non-loopback host {inbox.host!r} would send the '
                   'password in clear; use "tls" or "starttls"')
    roles = {"processed_folder": inbox.processed_folder, "triage_folder": inbox.triage_folder,
             "failed_folder": inbox.failed_folder}
    for role, name in roles.items():
        if [inbox.folder, *roles.values()].count(name) > 1:
            raise fail(f"inbox.{role}", f"{name!r} is also another folder of [inbox]; each needs its own")
        if inbox.source == "maildir" and ("/" in name or name.startswith(".")):
            raise fail(f"inbox.{role}", f"{name!r} cannot be a Maildir sub-folder (no / and no leading .)")
    if smtp.outbox == inbox.maildir:
        raise fail("smtp.outbox", "must differ from inbox.maildir, or mail captured for others would be "
                   "read as mail to the team")
    if os.path.isdir(config.storage.path):
        raise fail("storage.path", f"{config.storage.path} is a folder; name the file (e.g. var/mailer.json)")
