"""config.toml: where it is found, paths relative to it, errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.config import find_config_path, load_config
from mailer.errors import ConfigError

MINIMAL = '[team]\nname = "T"\naddress = "Equipe@Example.org"\n'


def test_config_path_option_then_environment_then_current_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILER_CONFIG", "/etc/mailer/from-env.toml")
    assert find_config_path("given.toml") == Path("given.toml")
    assert find_config_path(None) == Path("/etc/mailer/from-env.toml")
    monkeypatch.delenv("MAILER_CONFIG")
    assert find_config_path(None) == Path("config.toml")


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "config.toml").write_text(MINIMAL + '[storage]\npath = "data/m.json"\n[inbox]\nmaildir = "/srv/in"\n')
    monkeypatch.chdir(tmp_path)
    config = load_config(folder / "config.toml")
    assert config.storage.path == folder / "data" / "m.json"
    assert config.inbox.maildir == Path("/srv/in")
    assert config.smtp.outbox == folder / "data" / "outbox"
    assert (config.team.address, config.team.domain) == ("equipe@example.org", "example.org")


@pytest.mark.parametrize("extra,key", [
    ('[smtp]\nport = "25"\n', "smtp.port"), ('[smtp]\nsecurity = "ssl"\n', "smtp.security"),
    ('[smtp]\nmax_connections = 0\n', "smtp.max_connections"), ('[inbox]\nsource = "pop3"\n', "inbox.source"),
    ('[web]\nbase_url = "http://x.org"\n', "web.base_url"), ('[inbox]\npassword = "x"\n', "inbox.password"),
])
def test_errors_name_the_file_and_the_key(tmp_path: Path, extra: str, key: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL + extra, encoding="utf-8")
    with pytest.raises(ConfigError, match=f"{path}: {key}"):
        load_config(path)


def test_a_missing_or_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "absent.toml")
    (tmp_path / "bad.toml").write_text("[team\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(tmp_path / "bad.toml")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> str:
    """The message of the ConfigError a config file raises; any other exception fails the test."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    return message.removeprefix(f"{path}: ")


@pytest.mark.parametrize("extra,message", [
    ('[smpt]\nport = 25\n', "unknown section [smpt]; did you mean [smtp]?"),
    ('[Inbox]\nsource = "imap"\n', "unknown section [Inbox]; did you mean [inbox]?"),
    ('[smtp]\nrate_per_sec = 5\n', "smtp.rate_per_sec: unknown key; did you mean smtp.rate_per_second?"),
    ('[inbox]\npoll-seconds = 5\n', "inbox.poll-seconds: unknown key; did you mean inbox.poll_seconds?"),
    ('[smtp.tls]\nverify = false\n', "smtp.tls: unknown key; known keys of [smtp]: host, port, security,"),
    ('[zzz]\n', "unknown section [zzz]; known sections: [team], [storage], [smtp]"),
    # TOML puts a key under the last [section] line above it: the usual way to misplace one
    ('[inbox]\nsource = "maildir"\ncoordinators = ["c@example.org"]\n',
     "inbox.coordinators: unknown key; coordinators belongs in [team]"),
    ('[security]\nsecret = "x"\n', "security.secret: secrets are never read from the file: set secret_env"),
    ('[smtp]\npassword = "x"\n', "smtp.password: secrets are never read from the file: set password_env"),
])
def test_an_unknown_section_or_key_is_refused_with_the_closest_known_one(tmp_path: Path, extra: str,
                                                                         message: str) -> None:
    assert refused(tmp_path, MINIMAL + extra).startswith(message)


def test_a_key_above_every_section_or_a_section_that_is_not_a_table(tmp_path: Path) -> None:
    assert refused(tmp_path, 'port = 25\n' + MINIMAL).startswith(
        "port: unknown key outside any section; did you mean smtp.port, under [smtp]?")
    assert refused(tmp_path, 'smtp = 3\n' + MINIMAL).startswith("[smtp] must be a table")
    assert refused(tmp_path, '[smtp]\n').startswith("missing section [team]")
    assert refused(tmp_path, '[team]\nname = "T"\n').startswith("team.address: missing")


@pytest.mark.parametrize("extra,message", [
    ('[smtp]\nretry_seconds = [2, "10"]\n', 'smtp.retry_seconds[1]: expected a number (0 or more), found the string "10"'),
    ('[smtp]\nretry_seconds = [2, -1]\n', "smtp.retry_seconds[1]: expected a number (0 or more), found the integer -1"),
    ('[smtp]\nretry_seconds = [true]\n', "smtp.retry_seconds[0]: expected a number (0 or more), found true"),
    ('[smtp]\nretry_seconds = 30\n', "smtp.retry_seconds: expected a list, each a number (0 or more)"),
    ('[smtp]\nport = 70000\n', "smtp.port: expected an integer from 1 to 65535, found the integer 70000"),
    ('[smtp]\nport = 8025.5\n', "smtp.port: expected an integer from 1 to 65535, found the number 8025.5"),
    ('[smtp]\npause_after_errors = 0.5\n', "smtp.pause_after_errors: expected an integer (1 or more)"),
    ('[smtp]\nrate_per_second = nan\n', "smtp.rate_per_second: expected a number (0 or more), found the number nan"),
    ('[smtp]\ntimeout_seconds = inf\n', "smtp.timeout_seconds: expected a number greater than 0"),
    ('[smtp]\nembedded = "yes"\n', 'smtp.embedded: expected true or false, found the string "yes"'),
    ('[smtp]\nhost = "mail.example.org:587"\n', "smtp.host: expected a host name or IP address"),
    ('[smtp]\npassword_env = "$MAILER_SMTP_PASSWORD"\n', "smtp.password_env: expected an environment variable name (without $)"),
    ('[security]\nsecret_env = ""\n', "security.secret_env: expected an environment variable name (without $), found an empty string"),
    ('[storage]\npath = ""\n', "storage.path: expected a file path, found an empty string"),
    ('[storage]\npath = "."\n', "storage.path: " + "{folder} is a folder; name the file"),
    ('[storage]\npath = "var/"\n', 'storage.path: expected a file path, found the string "var/"'),
    ('[inbox]\nfolder = "IN\\nBOX"\n', "inbox.folder: expected a non-empty string, found"),
    ('[inbox]\ntriage_folder = "Erreurs"\n', "inbox.triage_folder: 'Erreurs' is also another folder of [inbox]"),
    ('[inbox]\nprocessed_folder = "../x"\n', "inbox.processed_folder: '../x' cannot be a Maildir sub-folder"),
    ('[inbox]\nsource = "imap"\nhost = "imap.example.org"\nsecurity = "none"\n', 'inbox.security: "none" toward'),
    ('[smtp]\noutbox = "var/in"\n[inbox]\nmaildir = "var/in"\n', "smtp.outbox: must differ from inbox.maildir"),
    ('[web]\nbase_url = "https://"\n', "web.base_url: expected an https:// address or an empty string"),
    ('[web]\nbase_url = "https://example.org/?x=1"\n', "web.base_url: expected an https:// address"),
    ('[web]\nlisten = "8080"\n', 'web.listen: expected host:port, found the string "8080"'),
    ('[web]\nlisten = "127.0.0.1:80800"\n', "web.listen: expected host:port"),
    ('[web]\nlisten = "http://127.0.0.1:8080"\n', "web.listen: expected host:port"),
])
def test_a_wrong_value_says_what_was_expected_and_what_was_found(tmp_path: Path, extra: str, message: str) -> None:
    assert refused(tmp_path, MINIMAL + extra).startswith(message.format(folder=tmp_path))


@pytest.mark.parametrize("team,message", [
    ('name = ""\naddress = "t@example.org"', "team.name: expected a non-empty string, found an empty string"),
    ('name = "  "\naddress = "t@example.org"', "team.name: expected a non-empty string"),
    ('name = "T"\naddress = ""', "team.address: expected an e-mail address, found an empty string"),
    ('name = "T"\naddress = "equipe"', 'team.address: expected an e-mail address, found the string "equipe"'),
    ('name = "T"\naddress = "t@example.org"\ncoordinators = "c@example.org"', "team.coordinators: expected a list"),
    ('name = "T"\naddress = "t@example.org"\ncoordinators = ["c@example.org", "nobody"]',
     "team.coordinators[1]: expected an e-mail address"),
    ('name = "T"\naddress = "t@example.org"\ncoordinators = [["c@example.org"]]',
     "team.coordinators[0]: expected an e-mail address, found a list"),
    ('name = "T"\naddress = "t@example.org"\ntimezone = "Europe"', "team.timezone: expected a time zone name"),
    ('name = "T"\naddress = "t@example.org"\ntimezone = "Paris"', "team.timezone: expected a time zone name"),
])
def test_team_values_are_checked(tmp_path: Path, team: str, message: str) -> None:
    assert refused(tmp_path, f"[team]\n{team}\n").startswith(message)


def test_accepted_values_are_normalised_once(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[team]\nname = "T"\naddress = "Equipe@Exemple.FR"\n'
                               'coordinators = ["Coord@Exemple.fr", "x@exémple.fr"]\ntimezone = "UTC"\n'
                               '[web]\nbase_url = "https://exemple.fr/listes/"\n'
                               '[smtp]\nhost = "::1"\nretry_seconds = [1, 2.5]\n'))
    assert config.team.address == "equipe@exemple.fr"
    assert config.team.coordinators == ("coord@exemple.fr", "x@xn--exmple-cva.fr")
    assert config.web.base_url == "https://exemple.fr/listes"
    assert config.smtp.retry_seconds == (1.0, 2.5) and config.smtp.is_loopback
    assert str(config.team.tz) == "UTC"


def test_web_listen_and_postal_address(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL.replace("[team]\n", '[team]\npostal_address = "12 rue de la Paix, 75002 Paris"\n')
                    + '[web]\nlisten = "[::1]:8081"\n', encoding="utf-8")
    config = load_config(path)
    assert (config.web.listen, config.team.postal_address) == ("[::1]:8081", "12 rue de la Paix, 75002 Paris")
