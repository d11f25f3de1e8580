"""One-click unsubscribe (RFC 8058): the real endpoint on a free port, spoken to over real HTTP."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import free_port, write_config

from mailer.app.web import WebEndpoint, WebError
from mailer.config import Config, load_config
from mailer.models import SuppressionReason
from mailer.registry import suppress, suppression_map
from mailer.service import serve
from mailer.store import Store
from mailer.tokens import BOUNCE, KEEP, make_token, unsubscribe_purpose

BASE_URL = "https://asso.example/lettre"
GROUP, REFERENT = "groupe37@example.org", "ref@example.org"      # what the `seeded` fixture stores


def project(folder: Path, seeded: Callable[[Path], None], port: int, base_url: str = BASE_URL) -> Config:
    config_path = write_config(folder, extra=f'[web]\nbase_url = "{base_url}"\nlisten = "127.0.0.1:{port}"\n')
    seeded(config_path)
    return load_config(config_path)


def token(config: Config, address: str, purpose: str = unsubscribe_purpose("all")) -> str:
    return make_token(Store(config.storage.path).secret(config.security.secret_env), purpose, address)


def request(url: str, method: str = "GET", body: bytes | None = None) -> tuple[int, dict[str, str], str]:
    """(status, headers, page) of one real HTTP request; an error status is an answer too."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers, method=method), timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8")


def suppressions(config: Config) -> dict:
    return suppression_map(Store(config.storage.path).snapshot())


@pytest.fixture
def endpoint(tmp_path: Path, seeded: Callable[[Path], None]) -> Iterator[tuple[Config, str]]:
    """A project with `[web] base_url` set and its endpoint listening; yields (config, http://host:port/lettre/u/)."""
    port = free_port()
    config = project(tmp_path, seeded, port)
    web = WebEndpoint(config, Store(config.storage.path)).start()
    try:
        yield config, f"http://127.0.0.1:{port}/lettre/u/"
    finally:
        web.stop()


def test_get_shows_a_french_page_with_a_button_and_changes_nothing(endpoint: tuple[Config, str]) -> None:
    """Link scanners follow GETs: a GET must never unsubscribe anyone."""
    config, url = endpoint
    status, headers, page = request(url + token(config, GROUP))
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<html lang="fr">' in page and "Se désinscrire" in page
    assert '<form method="post">' in page and 'name="List-Unsubscribe" value="One-Click"' in page
    assert GROUP not in page                      # the page names no address: a forwarded link leaks nothing
    assert "no-store" in headers["Cache-Control"]
    assert suppressions(config) == {}


@pytest.mark.parametrize("scope", ["all", "bulletin"])
def test_one_click_post_unsubscribes_at_once_with_the_scope_of_the_token(endpoint: tuple[Config, str],
                                                                         scope: str) -> None:
    config, url = endpoint
    status, _, page = request(url + token(config, REFERENT, unsubscribe_purpose(scope)), "POST",
                              b"List-Unsubscribe=One-Click")          # what a mailbox provider sends
    assert status == 200 and "désinscription est enregistrée" in page and REFERENT not in page
    found = suppressions(config)[REFERENT]
    assert (found.reason, found.scope) == ("unsubscribe", scope)
    assert "one-click" in found.source
    again, _, _ = request(url + token(config, REFERENT, unsubscribe_purpose(scope)), "POST", b"")
    assert again == 200                           # the button pressed twice: still fine, still one record
    assert list(suppressions(config)) == [REFERENT]


def test_a_bad_token_gets_the_same_404_that_reveals_nothing(endpoint: tuple[Config, str]) -> None:
    config, url = endpoint
    unknown = token(config, "nobody@example.org")             # well formed, for an address we never knew
    bounce = token(config, GROUP, BOUNCE)                     # a real token, but not an unsubscribe one
    answers = [request(url + bad, method, b"" if method == "POST" else None)
               for bad in (unknown, bounce, "zz", "x" * 300, "%2e%2e%2fsecret.key", "")
               for method in ("GET", "POST")]
    answers.append(request(url.replace("/lettre", "") + token(config, GROUP)))   # outside base_url's path
    assert {status for status, _, _ in answers} == {404}
    assert len({page for _, _, page in answers}) == 1         # unknown and malformed look alike
    page = answers[0][2]
    assert "introuvable" in page and GROUP not in page and "nobody" not in page
    assert suppressions(config) == {}


def test_the_endpoint_names_the_key_when_its_port_is_taken(tmp_path: Path, seeded: Callable[[Path], None],
                                                           endpoint: tuple[Config, str]) -> None:
    taken = int(endpoint[1].split(":")[2].split("/")[0])
    (tmp_path / "other").mkdir()
    config = project(tmp_path / "other", seeded, taken)
    with pytest.raises(WebError, match=rf"127\.0\.0\.1:{taken}: the port is in use.*web\.listen"):
        WebEndpoint(config, Store(config.storage.path)).start()


def run_service(config: Config) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(config, stop), kwargs={"embedded": False}, daemon=True)
    thread.start()
    return stop, thread


def wait_listening(url: str, seconds: float = 10) -> int:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return request(url)[0]
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_mailer_serve_runs_the_endpoint_when_base_url_is_set(tmp_path: Path, seeded: Callable[[Path], None]) -> None:
    port = free_port()
    config = project(tmp_path, seeded, port)
    stop, thread = run_service(config)
    try:
        url = f"http://127.0.0.1:{port}/lettre/u/{token(config, GROUP)}"
        assert wait_listening(url) == 200
        assert request(url, "POST", b"List-Unsubscribe=One-Click")[0] == 200
        assert suppressions(config)[GROUP].reason == "unsubscribe"
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
    with pytest.raises(urllib.error.URLError):        # stopped with the service
        request(url)


def test_no_endpoint_without_base_url(tmp_path: Path, seeded: Callable[[Path], None]) -> None:
    port = free_port()
    config_path = write_config(tmp_path, extra=f'[web]\nlisten = "127.0.0.1:{port}"\n')
    seeded(config_path)
    stop, thread = run_service(load_config(config_path))
    try:
        time.sleep(1.0)
        with pytest.raises(urllib.error.URLError):
            request(f"http://127.0.0.1:{port}/u/{'0' * 20}")
    finally:
        stop.set()
        thread.join(30)



def test_a_keep_link_narrows_an_unsubscribe_from_everything_to_the_bulletin(endpoint: tuple[Config, str]) -> None:
    """`/k/TOKEN`, from the "c'est fait" of a free-text unsubscribe read as "everything": GET asks,
    POST keeps the group's mailings and leaves the bulletin stopped; a bounce is never lifted."""
    config, url = endpoint
    keep = url.replace("/u/", "/k/")
    request(url + token(config, GROUP), "POST", b"List-Unsubscribe=One-Click")
    assert suppressions(config)[GROUP].scope == "all"
    status, _, page = request(keep + token(config, GROUP, KEEP))
    assert status == 200 and "Garder les alertes" in page and GROUP not in page
    assert suppressions(config)[GROUP].scope == "all"              # a GET changes nothing
    status, _, page = request(keep + token(config, GROUP, KEEP), "POST", b"")
    assert status == 200 and "Le bulletin reste arrêté" in page
    found = suppressions(config)[GROUP]
    assert (found.reason, found.scope) == ("unsubscribe", "bulletin")
    assert not found.applies_to("alert") and found.applies_to("bulletin")
    assert request(keep + token(config, GROUP), "POST", b"")[0] == 404     # an unsubscribe token is no keep token
    store = Store(config.storage.path)
    suppress(store, REFERENT, SuppressionReason.BOUNCE)
    status, _, page = request(keep + token(config, REFERENT, KEEP), "POST", b"")
    assert status == 200 and "Rien n'a changé" in page
    assert suppressions(config)[REFERENT].scope == "all"
