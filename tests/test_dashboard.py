"""Issue 10: `mailer dashboard`, one self-contained French page, opened in a real headless
Chromium at a phone's size: no console error, nothing fetched, the four charts drawn, a
screenshot taken. Its figures come from real flows: a campaign sent over SMTP (aiosmtpd) with a
refusal, a bounce and an unsubscribe read back by the inbox, triage items, reports."""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from chromium import chromium_path, start
from conftest import SmtpServer, write_config
from inbound_fixtures import mail
from sending import make_project, write_campaign
from test_bounce_policy import dsn_for
from test_figures import _import_examples, _record, act, report

from mailer.config import load_config
from mailer.inbound.pipeline import Processor
from mailer.models import Group
from mailer.outbound.delivery import deliveries
from mailer.outbound.runner import CampaignService
from mailer.models import SuppressionReason
from mailer.registry import suppress, upsert_groups
from mailer.store import Store

REPO = Path(__file__).resolve().parent.parent
ALERT = REPO / "campaigns" / "alerte-exemple.toml"
REFUSED, BOUNCED, LEFT = "groupe88@example.org", "jeunes.lille@example.org", "julien.morel@example.org"
HOSTILE = '<script>alert("x")</script> & Cie'


@pytest.fixture
def lived(tmp_path: Path, smtp_server: SmtpServer, cli: Callable[..., Any]) -> Path:
    """The examples, a few reports (one from a group whose name is hostile markup), the example
    alert sent to its 4 recipients (one refused at RCPT), then a bounce, an unsubscribe and two
    messages nobody can read, all read by the inbox."""
    config_path = write_config(tmp_path, smtp_port=smtp_server.port, confirm_reports=False)
    store = _import_examples(cli, config_path)
    upsert_groups(store, [Group("X001", HOSTILE, "groupe_local", "Nulle part", "x001@example.org")])  # type: ignore[arg-type]
    _record(store,
            report(1, "2026-10-12T08:00:00+00:00", "G046", "DI-2024-011", act("letter_authorities", 140),
                   act("petition", 1320)),
            report(2, "2026-11-12T08:00:00+00:00", "G021", "DI-2025-027", act("awareness", 2), act("fund", amount=80)),
            report(3, "2026-11-14T08:00:00+00:00", "X001", "DI-2025-027", act("advocacy", 1)))
    smtp_server.handler.reject[REFUSED] = "550 5.1.1 <groupe88@example.org>: Recipient address rejected: User unknown"
    sent = cli(config_path, "campaign", "send", str(ALERT), "--yes")
    assert sent.exit_code == 0, sent.output
    copies = {d.rcpt_tos[0].lower(): d for d in smtp_server.handler.deliveries}
    unsubscribe = re.search(r"<mailto:([^?>]+)", copies[LEFT].message["List-Unsubscribe"]).group(1)  # type: ignore[union-attr]
    later = datetime.now(UTC) + timedelta(hours=1)
    read = [dsn_for(copies[BOUNCED], BOUNCED, "5.1.1", "550 5.1.1 User unknown"),
            mail(LEFT, "unsubscribe", subject="unsubscribe", to=unsubscribe, message_id="<u1@example.org>"),
            mail("inconnu@example.com", "Bonjour, pouvez-vous me rappeler ? Merci.", message_id="<t1@example.com>"),
            mail("autre@example.com", "Qui êtes-vous ?", subject="Question", message_id="<t2@example.com>")]
    Processor(load_config(config_path), store, clock=lambda: later).process_batch(read)
    return config_path


def test_delivery_counts_sent_failed_bounced_and_unsubscribed_per_campaign(lived: Path) -> None:
    config = load_config(lived)
    [alert] = deliveries(CampaignService(config, Store(config.storage.path)))
    assert (alert.name, alert.total, alert.sent, alert.failed, alert.bounced, alert.unsubscribed) == (
        "alerte-di-2025-027", 4, 3, 1, 1, 1)


def test_an_unsubscribe_counts_once_for_the_last_campaign_that_reached_the_address(
        tmp_path: Path, smtp_server: SmtpServer, cli: Callable[..., Any], seeded: Callable[[Path], None]) -> None:
    config_path = make_project(tmp_path, smtp_server, people=3)
    seeded(config_path)
    config = load_config(config_path)
    store = Store(config.storage.path)
    first, second = (write_campaign(tmp_path, name, audience='["subscribers"]') for name in ("bulletin-1", "bulletin-2"))
    assert cli(config_path, "campaign", "send", str(first), "--yes").exit_code == 0
    suppress(store, "abonne0@example.net", SuppressionReason.UNSUBSCRIBE)     # left after the first
    assert cli(config_path, "campaign", "send", str(second), "--yes").exit_code == 0
    suppress(store, "abonne1@example.net", SuppressionReason.COMPLAINT)       # left after both
    rows = {d.name: d for d in deliveries(CampaignService(config, store))}
    assert [(rows[n].sent, rows[n].suppressed, rows[n].unsubscribed) for n in ("bulletin-1", "bulletin-2")] == [
        (3, 0, 1), (2, 1, 1)]
    assert list(rows) == ["bulletin-2", "bulletin-1"]                           # the latest first


def _page(cli: Callable[..., Any], config: Path, out: Path) -> str:
    result = cli(config, "dashboard", "--out", str(out), "--until", "2026-12-31")
    assert result.exit_code == 0, result.output
    assert ": 5 actions from 2026-01-01 to 2026-12-31, 1 campaigns, 2 items to triage" in result.output
    assert out.stat().st_mode & 0o777 == 0o600
    return out.read_text(encoding="utf-8")


def test_the_page_is_self_contained_french_and_escapes_what_it_shows(lived: Path, cli: Callable[..., Any],
                                                                    tmp_path: Path) -> None:
    html = _page(cli, lived, tmp_path / "report.html")
    assert '<html lang="fr">' in html and '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    for title in ("Actions au fil des mois", "Quels groupes agissent sur quels dossiers", "Envoi des campagnes",
                  "À trier", "Groupes silencieux"):
        assert title in html
    assert html.count("<svg") == 4
    # nothing to fetch: no <link>, no script or image by URL, no @import, no url(...) in any style
    assert not re.search(r"<link\b|@import|url\(|<script[^>]*\bsrc=|<img\b", html)
    assert [u for u in re.findall(r'\b(?:src|href)="([^"]*)"', html) if not u.startswith("#")] == []
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "alerte-di-2025-027" in html and "1\u00a0320" in html and "jamais" in html


@pytest.mark.skipif(chromium_path() is None,
                    reason="chromium is not installed (Debian package `chromium`; scripts/install --test installs it)")
def test_chromium_draws_the_charts_on_a_phone_with_no_error(lived: Path, cli: Callable[..., Any],
                                                           tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    _page(cli, lived, page)
    browser, profile = start(chromium_path())  # type: ignore[arg-type]
    try:
        session, loaded = browser.open(page.as_uri(), width=390, height=844, mobile=True)
        assert loaded.errors == []
        assert loaded.requests == [page.as_uri()]                   # the page itself, nothing else
        drawn = browser.evaluate(session, """[...document.querySelectorAll('figure')].map(f => ({
            title: f.querySelector('h2').textContent,
            svgs: f.querySelectorAll('svg').length,
            marks: f.querySelectorAll('svg .series rect, svg .series circle').length,
            width: f.querySelector('svg').getBoundingClientRect().width}))""")
        assert [d["title"] for d in drawn] == ["Actions au fil des mois", "Quels groupes agissent sur quels dossiers",
                                               "Envoi des campagnes", "À trier"]
        assert all(d["svgs"] == 1 and d["marks"] > 0 and 200 < d["width"] <= 390 for d in drawn), drawn
        overflow = browser.evaluate(session, "document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0                                        # nothing wider than the phone
        shot = browser.screenshot(session, tmp_path / "dashboard-phone.png")
    finally:
        browser.close()
        profile.cleanup()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", shot[16:24])
    assert width == 390 * 2 and height > 844 * 2                    # the whole page, at the phone's pixel ratio
