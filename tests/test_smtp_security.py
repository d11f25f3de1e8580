"""TLS verifies certificates, STARTTLS fails closed, AUTH secrets stay out of every output."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import DATA, Recorder, write_config

from mailer.config import load_config, parse_config
from mailer.errors import ConfigError

PASSWORD = "s3cr3t-Mot-de-passe"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


def campaign_file(folder: Path) -> Path:
    path = folder / "c.toml"
    path.write_text('name = "c"\nkind = "custom"\nsubject = "Essai"\ntemplate = "alert"\naudience = "groups"\n'
                    'dossier = "DI-1"\n[vars]\ndeadline = "demain"\n', encoding="utf-8")
    return path


def seed(config: Path) -> None:
    from mailer.models import Dossier, Group
    from mailer.registry import upsert_dossiers, upsert_groups
    from mailer.store import Store
    store = Store(load_config(config).storage.path)
    upsert_groups(store, [Group("G1", "Groupe 1", "groupe_local", "Lyon", "g1@example.org")])
    upsert_dossiers(store, [Dossier("DI-1", "Leïla Sadeghi", "Iran", "active", "", ["G1"])])


def project(tmp_path: Path, port: int, security: str, username: str = "") -> tuple[Path, Path]:
    config = write_config(tmp_path, port, templates=DATA / "templates",
                          smtp_extra=f'security = "{security}"\nusername = "{username}"\n'
                                     'password_env = "MAILER_TEST_SMTP_PASSWORD"\n'.replace(
                                         'security = "none"\n', ""))
    text = config.read_text(encoding="utf-8").replace('security = "none"\n', "", 1)
    config.write_text(text, encoding="utf-8")
    seed(config)
    return config, campaign_file(tmp_path)


def test_implicit_tls_refuses_an_untrusted_certificate(tmp_path: Path, smtp_server_factory, ca, cli) -> None:
    server = smtp_server_factory(Recorder(), ssl_context=server_context(ca))
    config, campaign = project(tmp_path, server.port, "tls")
    result = cli(config, "campaign", "test", str(campaign), "--to", "moi@example.org")
    assert result.exit_code == 1 and "certificate not trusted" in result.output
    assert server.handler.deliveries == []


def test_implicit_tls_with_a_trusted_certificate_delivers(tmp_path: Path, smtp_server_factory, ca, cli,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    server = smtp_server_factory(Recorder(), ssl_context=server_context(ca))
    with ca.cert_pem.tempfile() as bundle:
        monkeypatch.setenv("SSL_CERT_FILE", bundle)      # what create_default_context() trusts
        config, campaign = project(tmp_path, server.port, "tls")
        result = cli(config, "campaign", "test", str(campaign), "--to", "moi@example.org")
    assert result.exit_code == 0, result.output
    assert [d.rcpt_tos for d in server.handler.deliveries] == [["moi@example.org"]]


def test_starttls_fails_closed_when_the_server_does_not_offer_it(tmp_path: Path, smtp_server, cli) -> None:
    config, campaign = project(tmp_path, smtp_server.port, "starttls")
    result = cli(config, "campaign", "test", str(campaign), "--to", "moi@example.org")
    assert result.exit_code == 1 and "does not offer STARTTLS" in result.output
    assert smtp_server.handler.deliveries == []


def test_starttls_and_auth_deliver_and_the_password_never_shows(tmp_path: Path, smtp_server_factory, ca, cli,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    seen: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        seen.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password.decode() == PASSWORD)

    server = smtp_server_factory(Recorder(), tls_context=server_context(ca), require_starttls=True,
                                 authenticator=authenticator, auth_required=True)
    caplog.set_level(logging.DEBUG)
    with ca.cert_pem.tempfile() as bundle:
        monkeypatch.setenv("SSL_CERT_FILE", bundle)
        config, campaign = project(tmp_path, server.port, "starttls", username="equipe")
        monkeypatch.setenv("MAILER_TEST_SMTP_PASSWORD", PASSWORD)
        result = cli(config, "campaign", "test", str(campaign), "--to", "moi@example.org")
    assert result.exit_code == 0, result.output
    assert seen[-1] == ("equipe", PASSWORD) and len(server.handler.deliveries) == 1
    for text in (result.output, caplog.text, config.read_text(encoding="utf-8")):
        assert PASSWORD not in text


def test_clear_text_toward_a_remote_host_is_refused_unless_allowed(tmp_path: Path) -> None:
    raw = {"team": {"name": "T", "address": "t@example.org"}, "smtp": {"host": "smtp.example.net", "security": "none"}}
    with pytest.raises(ConfigError, match="smtp.security"):
        parse_config(raw, tmp_path / "config.toml")
    raw["smtp"]["allow_insecure_remote"] = True
    assert parse_config(raw, tmp_path / "config.toml").smtp.host == "smtp.example.net"


def test_a_password_in_the_file_is_refused(tmp_path: Path) -> None:
    raw = {"team": {"name": "T", "address": "t@example.org"}, "smtp": {"password": "x"}}
    with pytest.raises(ConfigError, match="password_env"):
        parse_config(raw, tmp_path / "config.toml")
