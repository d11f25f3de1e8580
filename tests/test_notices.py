"""Mail the service writes itself (campaign notices, triage digests, answers): Date, an unguessable
Message-ID, French throughout. Checked on what a real aiosmtpd server received."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from mailer import triage
from mailer.config import load_config
from mailer.errors import PermanentSendError
from mailer.outbound import notices
from mailer.outbound.digest import send_triage_digest
from mailer.outbound.status import CampaignStatus
from mailer.service import send_digest
from mailer.store import Store
from mailer.tokens import new_message_id
from mailer.triage import NotAnswered, TriageReason, signup_unconfirmed

from conftest import SmtpServer, write_config
from inbound_fixtures import Inbox, inbox_fixture, mail  # noqa: F401  (fixture)
from transports import MemoryTransport

MAILER = Path(__file__).resolve().parent.parent / "mailer"
MESSAGE_ID = re.compile(r"<[0-9a-f]{32}@example\.org>")
ENGLISH = re.compile(r"\b(done|paused|sending|cancelled|interrupted|recipients|deferred|worker|failed|"
                     r"errors?|retry|again|send|reason|state)\b", re.I)


def status(**changes: object) -> CampaignStatus:
    base = dict(name="alerte-di-2025-027", state="done", total=12345, sent=12340, failed=3, suppressed=2,
                pending=0, started="2026-11-30T23:10:00+00:00", finished="2026-12-01T00:05:00+00:00")
    return CampaignStatus(**{**base, **changes})  # type: ignore[arg-type]


def french_text(message) -> str:
    """Subject and body, without the commands a coordinator types (`mailer campaign list`)."""
    body = message.get_body(("plain",)).get_content()
    return re.sub(r"« mailer [^»]*»", "", f"{message['Subject']}\n{body}")


def test_message_ids_are_random_and_well_formed() -> None:
    ids = {new_message_id("example.org") for _ in range(1000)}
    assert len(ids) == 1000 and all(MESSAGE_ID.fullmatch(i) for i in ids)
    for bad in ("", "a b.org", "x>@y", "evil.org\r\nBcc: x@y"):
        with pytest.raises(ValueError):
            new_message_id(bad)


def test_no_module_mints_message_ids_with_make_msgid() -> None:
    """make_msgid's randomness is predictable: every Message-ID comes from tokens.new_message_id."""
    def uses(path: Path) -> bool:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        return any((isinstance(n, ast.Name) and n.id == "make_msgid") or
                   (isinstance(n, ast.Attribute) and n.attr == "make_msgid") or
                   (isinstance(n, ast.alias) and n.name == "make_msgid") for n in ast.walk(tree))

    assert [p for p in MAILER.rglob("*.py") if uses(p)] == []


CASES = [
    ("done", "", "terminée", None),
    ("paused", "paused after repeated errors: 451 4.7.1 Try again later (greylisted)",
     "en pause", "451 4.7.1 Try again later (greylisted)"),
    ("paused", "worker failed: Process-2, Process-3", "en pause", "Process-2, Process-3"),
    ("paused", "7 recipients deferred after temporary errors: send again to retry", "en pause",
     "7 destinataire(s) reporté(s)"),
    ("cancelled", "cancelled", "annulée", "annulée par un coordinateur"),
    ("paused", "interrupted", "en pause", "envoi interrompu"),
]


@pytest.mark.parametrize(("state", "reason", "verb", "kept"), CASES)
def test_campaign_notice_is_french_dated_and_identified(tmp_path: Path, smtp_server: SmtpServer, state: str,
                                                        reason: str, verb: str, kept: str | None) -> None:
    config = load_config(write_config(tmp_path, smtp_port=smtp_server.port))
    before = datetime.now(UTC).replace(microsecond=0)
    notices.notify_coordinators(config, status(state=state, reason=reason))

    (delivery,) = smtp_server.handler.deliveries
    message = delivery.message
    assert delivery.rcpt_tos == ["coordination@example.org"]
    assert str(message["Subject"]).startswith(f"Campagne « alerte-di-2025-027 » {verb} : 12\u202f340 envoyés sur")
    assert MESSAGE_ID.fullmatch(message["Message-ID"])
    sent_at = parsedate_to_datetime(message["Date"])
    assert before <= sent_at <= datetime.now(UTC)
    assert sent_at.utcoffset() is not None and sent_at.utcoffset().total_seconds() == 3600   # Paris in December
    assert message["Auto-Submitted"] == "auto-generated"
    text = french_text(message)
    # times in Paris: 23:10 UTC on 30 November is 00:10 on 1 December there
    assert "Commencée le 1er décembre 2026 à 0 h 10" in text and "Terminée le 1er décembre 2026 à 1 h 05" in text
    if kept:
        assert kept in text                                    # the server's own words, as they came
    leftover = ENGLISH.findall(text.replace(kept or "\0", ""))
    assert leftover == [], leftover


def test_every_reason_the_runner_writes_has_french_words() -> None:
    """Read session.py's reason strings from its source, so a new one cannot slip through in English."""
    tree = ast.parse((MAILER / "outbound" / "session.py").read_text(encoding="utf-8"))
    reasons: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(_names(t, "reason") for t in node.targets):
            reasons += _samples(node.value)
    assert len(reasons) >= 4, reasons
    for reason in reasons:
        if reason:
            assert notices.french_reason(reason) != reason, reason


def test_every_triage_reason_has_french_words() -> None:
    """Every reason declared in mailer.triage reads in French in the digest, sign-ups' included."""
    reasons = [*TriageReason, *(signup_unconfirmed(why) for why in NotAnswered)]
    assert len(reasons) >= 14
    for reason in reasons:
        assert triage.french_reason(reason) != reason, reason
    assert set(triage.FRENCH) == set(TriageReason) and set(triage.NOT_ANSWERED_FRENCH) == set(NotAnswered)


def test_decide_names_only_declared_triage_reasons() -> None:
    """decide.py's reasons come from mailer.triage (a new one cannot slip through in English), and the
    classifier's names for mail no rule reads are declared reasons too."""
    tree = ast.parse((MAILER / "inbound" / "decide.py").read_text(encoding="utf-8"))
    args = [node.args[0] for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "id", "") == "ToTriage" and node.args]
    declared = [a for a in args if isinstance(a, ast.Attribute) and getattr(a.value, "id", "") == "TriageReason"]
    signups = [a for a in args if isinstance(a, ast.Call) and getattr(a.func, "id", "") == "signup_unconfirmed"]
    rules = [a for a in args if ast.unparse(a) == "reading.rule"]
    assert len(declared) >= 7 and len(signups) == 1 and len(rules) == 1, [ast.unparse(a) for a in args]
    assert len(declared) + len(signups) + len(rules) == len(args), [ast.unparse(a) for a in args]
    assert all(TriageReason[a.attr] for a in declared)                    # KeyError names a missing one
    classify = (MAILER / "inbound" / "understand" / "classify.py").read_text(encoding="utf-8")
    names = re.findall(r'"(other\.[a-z_]+)"', classify)
    assert names and set(names) <= set(TriageReason), names


def _names(target: ast.expr, name: str) -> bool:
    return (isinstance(target, ast.Name) and target.id == name) or (
        isinstance(target, ast.Tuple) and any(_names(e, name) for e in target.elts))


def _samples(value: ast.expr) -> list[str]:
    """The strings an expression can produce, placeholders filled with a sample ("3")."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return [value.value]
    if isinstance(value, ast.JoinedStr):
        return ["".join(p.value if isinstance(p, ast.Constant) else "3" for p in value.values)]  # type: ignore[misc]
    if isinstance(value, ast.IfExp):
        return _samples(value.body) + _samples(value.orelse)
    if isinstance(value, ast.Tuple):
        return [s for e in value.elts for s in _samples(e)]
    return []


def test_no_notice_without_coordinators_and_it_is_said(tmp_path: Path, smtp_server: SmtpServer,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    config_path = write_config(tmp_path, smtp_port=smtp_server.port)
    config_path.write_text(config_path.read_text(encoding="utf-8").replace(
        'coordinators = ["coordination@example.org"]', "coordinators = []"), encoding="utf-8")
    caplog.set_level("INFO", logger="mailer.outbound.notices")
    notices.notify_coordinators(load_config(config_path), status())
    assert smtp_server.handler.deliveries == []
    assert "coordinators is empty" in caplog.text


def test_triage_digest_is_french_dated_and_identified(inbox: Inbox) -> None:
    processor = inbox.processor()
    processor.process_batch([
        mail("inconnu@example.net", "Bonjour, pouvez-vous m'expliquer ce que vous faites ?", subject="Question",
             message_id="<q1@example.net>"),
        mail("julien.morel@example.org", "Nous avons envoyé 12 lettres pour DI-2099-999.", subject="Rapport",
             message_id="<q2@example.net>"),
    ])
    now = datetime(2026, 3, 20, 23, 30, tzinfo=UTC)
    assert send_digest(inbox.config, inbox.store, now) >= 1
    (delivery,) = [d for d in inbox.smtp.handler.deliveries if "coordination@example.org" in d.rcpt_tos]
    message = delivery.message
    assert MESSAGE_ID.fullmatch(message["Message-ID"])
    assert parsedate_to_datetime(message["Date"]) == now
    assert message["Date"].endswith("+0100")                            # the team's zone, Paris in March
    text = french_text(message)
    assert "Résumé du 21 mars 2026 à 0 h 30" in text                     # 23:30 UTC is past midnight in Paris
    assert "reçu le 20 mars 2026 à 10 h 00" in text                     # the clock's 09:00 UTC, in Paris
    assert "message qu'aucune règle ne reconnaît" in text
    assert ENGLISH.findall(text.replace("inconnu@example.net", "")) == []


def test_answers_carry_a_random_message_id_and_a_date(inbox: Inbox) -> None:
    processor = inbox.processor()
    processor.process_batch([mail("nouvelle@example.com", "Bonjour,\n\nJe souhaiterais devenir bénévole et suivre "
                                  "le dossier de Nadejda Kouznetsova.\n\nLouise Martin\n", subject="Proposition d'aide",
                                  name="Louise Martin", message_id="<signup1@example.com>")])
    assert inbox.answers().send_pending() == 1
    (delivery,) = inbox.smtp.handler.deliveries
    assert MESSAGE_ID.fullmatch(delivery.message["Message-ID"])
    assert parsedate_to_datetime(delivery.message["Date"]).utcoffset() is not None
    assert inbox.docs("outgoing")[0]["message_id"] == delivery.message["Message-ID"]


def test_a_notice_goes_out_over_the_transport_it_is_given(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(write_config(tmp_path))                       # nobody listens on its SMTP port
    transport = MemoryTransport()
    notices.notify_coordinators(config, status(), connect=transport.connect())
    [message] = transport.sent
    assert str(message["To"]) == "coordination@example.org" and transport.closed == 1
    refusing = MemoryTransport(refuse={"coordination@example.org": PermanentSendError("550 5.7.1 no", 550)})
    notices.notify_coordinators(config, status(), connect=refusing.connect())     # never fails the campaign
    assert refusing.sent == [] and refusing.closed == 1 and "could not notify" in caplog.text


def test_the_digest_is_built_from_the_items_it_is_given(tmp_path: Path) -> None:
    """The outbound wing reads no triage table: the service hands it the open items."""
    config = load_config(write_config(tmp_path))
    store = Store(config.storage.path)
    items = [{"id": 7, "date": "2026-03-20T09:00:00+00:00", "sender": "inconnu@example.net", "subject": "Question",
              "reason": TriageReason.NO_RULE.value},
             {"id": 8, "date": "2026-03-20T09:05:00+00:00", "sender": "", "subject": "Inscription",
              "reason": signup_unconfirmed(NotAnswered.AUTOMATIC)}]
    transport = MemoryTransport()
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    assert send_triage_digest(config, store, items, now, connect=transport.connect()) == 2
    [message] = transport.sent
    text = french_text(message)
    assert "n° 7" in text and "message qu'aucune règle ne reconnaît" in text and "expéditeur inconnu" in text
    assert "inscription impossible à confirmer : message automatique ou de liste" in text
    assert send_triage_digest(config, store, items, now, connect=transport.connect()) == 0       # sent today
    assert send_triage_digest(config, store, items, now, force=True, connect=transport.connect()) == 2
    assert send_triage_digest(config, store, [], now, force=True, connect=transport.connect()) == 0
    assert len(transport.sent) == 2 and transport.opened == transport.closed == 2
