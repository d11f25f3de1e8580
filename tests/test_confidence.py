"""Issue 9 §1: apply only when sure. Each check that lowers a reading's confidence, tested on a
mail that fires it and a near twin that does not; below `[inbox] apply_confidence` the message
goes to triage with its reading pre-filled."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from inbound_fixtures import DATA, Inbox, import_corpus, inbox_fixture, mail  # noqa: F401  (fixture)

from mailer.config import load_config
from mailer.errors import ConfigError
from mailer.inbound.mime.parse import parse_message
from mailer.inbound.understand.classify import read_message
from mailer.inbound.understand.confidence import PENALTY, assess
from mailer.inbound.pipeline import Processor
from mailer.store import Store

from mailer.registry import load_directory
from mailer.sheets.importer import ImportKind  # noqa: F401  (import_corpus's kinds)


def _fr_dev_directory(tmp: Path):
    store = Store(tmp / "var" / "mailer.json")
    import_corpus(store, DATA / "fr-dev")
    return load_directory(store.snapshot())


@pytest.fixture(scope="module", autouse=True)
def _directory(tmp_path_factory: pytest.TempPathFactory) -> None:
    global DIRECTORY
    DIRECTORY = _fr_dev_directory(tmp_path_factory.mktemp("dir"))


DIRECTORY = None
MEMBER = "jean-luc.dumont@example.com"         # a member of G019 in fr-dev, which holds DI-2025-033


def _read(body: str, sender: str = MEMBER, subject: str = "Nos actions"):
    return read_message(parse_message(mail(sender, body, subject=subject)), DIRECTORY)


CLEAN = "Bonjour,\n\nLe 7 mars, nous avons recueilli 214 signatures pour le dossier DI-2025-033.\n\nJean-Luc\n"

CASES = {
    "unused_number": "Bonjour,\n\nDI-2025-033 : 12 lettres envoyées, 85 signatures, 1 rendez-vous avec notre "
                     "députée\n",
    "undetermined": "Bonjour,\n\nLe 7 mars, nous avons recueilli 214 signatures pour DI-2025-033.\n"
                    "Nous avons aussi animé une permanence au marché le 9 mars.\n",
    "duplicate": "Bonjour,\n\nPour DI-2025-033 : le 7 mars nous avons tenu un stand.\n"
                 "Le 7 mars nous avons aussi organisé une projection-débat.\n",
    "fund_without_amount": "Bonjour,\n\nPour DI-2025-033, nous avons versé la recette de la soirée au fonds d'aide "
                           "aux victimes.\n",
    "third_party": "Bonjour,\n\nPour DI-2025-033, nous avons recueilli 214 signatures le 7 mars, puis le maire a "
                   "écrit une lettre à l'ambassade.\n",
    "several_dossiers": "Bonjour,\n\nLe 7 mars, nous avons recueilli 214 signatures pour DI-2025-033 et "
                        "DI-2024-031.\n",
    "group_contradicts_sender": "Bonjour,\n\nLe groupe 58 a recueilli 214 signatures le 7 mars pour DI-2025-033.\n",
}


def test_a_clean_report_fires_no_check_and_is_sure() -> None:
    reading = _read(CLEAN)
    assert reading.kind.value == "report" and reading.checks == ()
    assert reading.confidence >= 0.8


@pytest.mark.parametrize("check", sorted(CASES))
def test_each_check_fires_on_what_it_names(check: str) -> None:
    reading = _read(CASES[check])
    assert reading.kind.value == "report", reading
    assert check in reading.checks, reading.checks
    assert reading.confidence < 0.8


def test_the_template_example_line_is_not_applied_while_letters_are_lost() -> None:
    """Issue 9 §2: the alert template's own example; until the fill-in block reads it exactly, a
    reading that loses the 12 letters must not be applied."""
    reading = _read("DI-2025-033 : 12 lettres envoyées, 85 signatures, 1 rendez-vous avec notre députée\n")
    counts = {a.type.value: a.count for a in reading.actions}
    assert counts.get("letter_authorities") == 12 or "unused_number" in reading.checks


@pytest.mark.parametrize("body, check", [
    ("Bonjour,\n\nMerci de désinscrire mon mari, Paul, de vos listes.\n", "on_behalf"),
    ("Bonjour,\n\nJe ne veux pas me désabonner, mais vos mails arrivent en double.\n", "negated"),
])
def test_an_unsubscribe_for_someone_else_or_refused_is_unsure(body: str, check: str) -> None:
    reading = _read(body, subject="Désinscription")
    if reading.kind.value == "unsubscribe":
        assert check in reading.checks and reading.confidence < 0.8
    else:
        assert reading.kind.value == "other"       # not read as an unsubscribe at all: also safe


def test_confidence_is_the_rules_minus_a_penalty_per_check() -> None:
    assert assess("report.actions", []).confidence == 0.95
    assert assess("report.actions", ["duplicate"]).confidence == round(0.95 - PENALTY, 2)
    assert assess("report.actions", ["duplicate", "duplicate"]).checks == ("duplicate",)
    assert assess("unsubscribe.token", ["x", "y", "z", "w"]).confidence == 0.0


def test_below_the_threshold_goes_to_triage_with_the_reading_pre_filled(inbox: Inbox) -> None:
    [outcome] = inbox.processor().process_batch([mail(MEMBER, CASES["unused_number"], message_id="<u@example.com>")])
    assert outcome.disposition == "triage"
    [item] = inbox.docs("triage")
    assert item["reason"].startswith("reading not sure enough")
    assert "unused_number" in item["reading"]["checks"] and item["reading"]["dossier"] == "DI-2025-033"
    assert inbox.docs("reports") == [] and inbox.docs("outgoing") == []      # nothing recorded, nothing sent
    [clean] = inbox.processor().process_batch([mail(MEMBER, CLEAN, message_id="<c@example.com>")])
    assert clean.disposition == "apply" and len(inbox.docs("reports")) == 1


def test_the_threshold_is_a_config_key(tmp_path: Path) -> None:
    from conftest import write_config
    relaxed = load_config(write_config(tmp_path, extra="[inbox]\napply_confidence = 0.0\n"))
    assert relaxed.inbox.apply_confidence == 0.0
    store = Store(relaxed.storage.path)
    import_corpus(store, DATA / "fr-dev")
    [outcome] = Processor(relaxed, store).process_batch([mail(MEMBER, CASES["unused_number"])])
    assert outcome.disposition == "apply"          # a team that wants everything applied can say so
    assert load_config(write_config(tmp_path, extra="[inbox]\n")).inbox.apply_confidence == 0.8
    with pytest.raises(ConfigError, match="apply_confidence"):
        load_config(write_config(tmp_path, extra=textwrap.dedent("[inbox]\napply_confidence = 1.5\n")))
