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
