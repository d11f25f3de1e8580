"""config.toml -> frozen dataclasses, validated once.

Errors name the file and the key. Secrets are never read from the file: only the *name* of an
environment variable is, and the value is looked up when a connection needs it.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError, MailerError

CONFIG_ENV = "MAILER_CONFIG"
SMTP_SECURITY = ("none", "starttls", "tls")
IMAP_SECURITY = ("tls", "starttls", "none")


@dataclass(frozen=True)
class TeamConfig:
    name: str
    address: str
    coordinators: tuple[str, ...]
    timezone: str = "Europe/Paris"      # times shown to people; JSON keeps ISO 8601 with offset

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


@dataclass(frozen=True)
class StorageConfig:
    path: Path

    @property
    def folder(self) -> Path:
        return self.path.parent


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 8025
    security: str = "none"
    username: str = ""
    password_env: str = "MAILER_SMTP_PASSWORD"
    max_connections: int = 4
    rate_per_second: float = 0
    embedded: bool = True
    allow_insecure_remote: bool = False
    timeout_seconds: float = 30.0
    outbox: Path = Path("var/outbox")
    retry_seconds: tuple[float, ...] = (2.0, 10.0, 30.0, 60.0)   # waits before each retry of a 4xx
    pause_after_errors: int = 25     # consecutive failed recipients that pause a campaign

    def password(self) -> str:
        return os.environ.get(self.password_env, "")

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)


@dataclass(frozen=True)
class WebConfig:
    base_url: str = ""


@dataclass(frozen=True)
class SecurityConfig:
    secret_env: str = "MAILER_SECRET"


@dataclass(frozen=True)
class InboxConfig:
    source: str = "maildir"
    maildir: Path = Path("var/inbox")
    host: str = "127.0.0.1"
    port: int = 993
    security: str = "tls"
    username: str = ""
    password_env: str = "MAILER_IMAP_PASSWORD"
    folder: str = "INBOX"
    processed_folder: str = "Traités"
    triage_folder: str = "À trier"
    failed_folder: str = "Erreurs"
    poll_seconds: float = 60
    idle: bool = False

    def password(self) -> str:
        return os.environ.get(self.password_env, "")


@dataclass(frozen=True)
class CampaignsConfig:
    templates: Path = Path("templates")
    folder: Path = Path("campaigns")


@dataclass(frozen=True)
class Config:
    source: Path
    team: TeamConfig
    storage: StorageConfig
    smtp: SmtpConfig
    web: WebConfig = field(default_factory=WebConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    inbox: InboxConfig = field(default_factory=InboxConfig)
    campaigns: CampaignsConfig = field(default_factory=CampaignsConfig)

    @property
    def state_dir(self) -> Path:
        """The folder that holds the TinyDB file and every other piece of state."""
        return self.storage.folder


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


def read_toml(source: Path, error: type[MailerError], missing: str) -> dict[str, Any]:
    """A TOML file as a dict; every failure is `error` naming the file."""
    try:
        return tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{source}: {missing}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{source}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: invalid TOML: {exc}") from None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    source = find_config_path(path).resolve()
    raw = read_toml(source, ConfigError, f"configuration file not found (use --config or ${CONFIG_ENV})")
    return parse_config(raw, source)


class _Section:
    """Typed access to one TOML table; every error names the file and `section.key`."""

    def __init__(self, raw: dict[str, Any], name: str, source: Path, required: bool = False) -> None:
        value = raw.get(name)
        if value is None and required:
            raise ConfigError(f"{source}: missing section [{name}]")
        if value is not None and not isinstance(value, dict):
            raise ConfigError(f"{source}: [{name}] must be a table")
        self.data: dict[str, Any] = value or {}
        self.name = name
        self.source = source

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: {self.name}.{key}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.error(key, "is required")
            return default
        value = self.data[key]
        if kind in (int, float) or kind == (int, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        else:
            ok = isinstance(value, kind)
        if not ok:
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.error(key, f"must be a {names}, not {value!r}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            raise self.error(key, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def path(self, key: str, default: str) -> Path:
        value = Path(self.get(key, str, default)).expanduser()
        return value if value.is_absolute() else (self.source.parent / value)

    def positive(self, key: str, kind: type, default: Any, allow_zero: bool = False) -> Any:
        value = self.get(key, (int, float), default)
        if value < 0 or (value == 0 and not allow_zero):
            raise self.error(key, "must be positive" if not allow_zero else "must be zero or more")
        return kind(value)


def _address(section: _Section, key: str, value: str) -> str:
    if "@" not in value or any(c.isspace() for c in value) or value.startswith("@") or value.endswith("@"):
        raise section.error(key, f"{value!r} is not an e-mail address")
    return value


def _timezone(section: _Section, name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise section.error("timezone", f"{name!r} is not a time zone name (e.g. Europe/Paris)") from None
    return name


def parse_config(raw: dict[str, Any], source: Path) -> Config:
    team_s = _Section(raw, "team", source, required=True)
    coordinators = team_s.get("coordinators", list, [])
    team = TeamConfig(
        name=team_s.get("name", str),
        address=_address(team_s, "address", team_s.get("address", str)).lower(),
        coordinators=tuple(_address(team_s, "coordinators", str(c)) for c in coordinators),
        timezone=_timezone(team_s, team_s.get("timezone", str, "Europe/Paris")),
    )
    storage_s = _Section(raw, "storage", source)
    storage = StorageConfig(path=storage_s.path("path", "var/mailer.json"))

    smtp_s = _Section(raw, "smtp", source)
    smtp = SmtpConfig(
        host=smtp_s.get("host", str, "127.0.0.1"),
        port=smtp_s.positive("port", int, 8025),
        security=smtp_s.choice("security", SMTP_SECURITY, "none"),
        username=smtp_s.get("username", str, ""),
        password_env=smtp_s.get("password_env", str, "MAILER_SMTP_PASSWORD"),
        max_connections=smtp_s.positive("max_connections", int, 4),
        rate_per_second=smtp_s.positive("rate_per_second", float, 0, allow_zero=True),
        embedded=smtp_s.get("embedded", bool, True),
        allow_insecure_remote=smtp_s.get("allow_insecure_remote", bool, False),
        timeout_seconds=smtp_s.positive("timeout_seconds", float, 30.0),
        outbox=smtp_s.path("outbox", str(storage.folder / "outbox")),
        retry_seconds=tuple(float(x) for x in smtp_s.get("retry_seconds", list, [2, 10, 30, 60])),
        pause_after_errors=smtp_s.positive("pause_after_errors", int, 25),
    )
    if any(not isinstance(x, (int, float)) or x < 0 for x in smtp_s.data.get("retry_seconds", [])):
        raise smtp_s.error("retry_seconds", "must be a list of seconds (numbers ≥ 0)")
    if "password" in smtp_s.data:
        raise smtp_s.error("password", "secrets are never read from the file: set password_env and export it")
    if smtp.security == "none" and not smtp.is_loopback and not smtp.allow_insecure_remote:
        raise smtp_s.error(
            "security",
            f'"none" toward the non-loopback host {smtp.host!r} would send mail and passwords in clear; '
            'use "starttls" or "tls", or set allow_insecure_remote = true',
        )

    web_s = _Section(raw, "web", source)
    base_url = web_s.get("base_url", str, "").rstrip("/")
    if base_url and not base_url.startswith("https://"):
        raise web_s.error("base_url", "must start with https://")
    security_s = _Section(raw, "security", source)

    inbox_s = _Section(raw, "inbox", source)
    if "password" in inbox_s.data:
        raise inbox_s.error("password", "secrets are never read from the file: set password_env and export it")
    inbox = InboxConfig(
        source=inbox_s.choice("source", ("maildir", "imap"), "maildir"),
        maildir=inbox_s.path("maildir", str(storage.folder / "inbox")),
        host=inbox_s.get("host", str, "127.0.0.1"),
        port=inbox_s.positive("port", int, 993),
        security=inbox_s.choice("security", IMAP_SECURITY, "tls"),
        username=inbox_s.get("username", str, ""),
        password_env=inbox_s.get("password_env", str, "MAILER_IMAP_PASSWORD"),
        folder=inbox_s.get("folder", str, "INBOX"),
        processed_folder=inbox_s.get("processed_folder", str, "Traités"),
        triage_folder=inbox_s.get("triage_folder", str, "À trier"),
        failed_folder=inbox_s.get("failed_folder", str, "Erreurs"),
        poll_seconds=inbox_s.positive("poll_seconds", float, 60),
        idle=inbox_s.get("idle", bool, False),
    )
    campaigns_s = _Section(raw, "campaigns", source)
    campaigns = CampaignsConfig(
        templates=campaigns_s.path("templates", "templates"),
        folder=campaigns_s.path("folder", "campaigns"),
    )
    return Config(
        source=source,
        team=team,
        storage=storage,
        smtp=smtp,
        web=WebConfig(base_url=base_url),
        security=SecurityConfig(secret_env=security_s.get("secret_env", str, "MAILER_SECRET")),
        inbox=inbox,
        campaigns=campaigns,
    )
