"""Issue 9 §1: apply only when sure. Each check that lowers a reading's confidence, tested on a
mail that fires it and a near twin that does not; below `[inbox] apply_confidence` the message
goes to triage with its reading pre-filled."""

from __future__ import annotations

import textwrap
from datetime import date
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
    relaxed = load_config(write_config(tmp_path, extra="[inbox]\napply_confidence = 0.0\n", confirm_reports=False))
    assert relaxed.inbox.apply_confidence == 0.0
    store = Store(relaxed.storage.path)
    import_corpus(store, DATA / "fr-dev")
    [outcome] = Processor(relaxed, store).process_batch([mail(MEMBER, CASES["unused_number"])])
    assert outcome.disposition == "apply"          # a team that wants everything applied can say so
    assert load_config(write_config(tmp_path, extra="[inbox]\n")).inbox.apply_confidence == 0.8
    with pytest.raises(ConfigError, match="apply_confidence"):
        load_config(write_config(tmp_path, extra=textwrap.dedent("[inbox]\napply_confidence = 1.5\n")))


# ------------------------------------------------------------------ issue 9: checks on more shapes
# Each body below was misread on a set of unseen mail in a way no check caught (a number after its
# noun, a verbless list item, two deeds in one sentence, a second dossier named by person or
# country); the property tested is the safe one: read right, or not applied.

def _safe(reading, wanted: dict[str, int | None]) -> bool:
    got = {a.type.value: a.count for a in reading.actions}
    return all(got.get(t, "missing") == c for t, c in wanted.items()) or reading.confidence < 0.8


@pytest.mark.parametrize("body, wanted", [
    ("Pour DI-2025-033 :\n- lettres au président érythréen : 35, envoyées le 10 mars ;\n"
     "- stand le 7 mars : 214 signatures.\n", {"letter_authorities": 35, "petition": 214}),
    ("Pour DI-2025-033, le stand du 7 mars : on a eu genre 150 signatures... 152 exactement.\n",
     {"petition": 152}),
    ("Pour DI-2025-033 :\n- 3 interventions en lycée (Baudelaire, Faidherbe, Pasteur)\n"
     "- 30 cartes pour Dawit\n", {"awareness": 3, "letter_support": 30}),
    ("Pour Dawit : j'ai écrit le 3 avril au président de l'Érythrée, et j'ai envoyé 4 cartes de soutien "
     "à sa mère.\n", {"letter_authorities": 1, "letter_support": 4}),
])
def test_a_count_or_an_action_the_reading_missed_is_not_applied(body: str, wanted: dict) -> None:
    reading = _read(body)
    assert reading.kind.value == "report", reading
    assert _safe(reading, wanted), (reading.actions, reading.checks)


def test_a_second_dossier_named_by_its_person_or_country_is_several_dossiers() -> None:
    reading = _read("Bonjour,\n\nLe 7 mars, nous avons recueilli 214 signatures pour notre dossier érythréen, "
                    "et 12 lettres pour les défenseurs de Mbandaka.\n")
    assert reading.kind.value == "report"
    assert "several_dossiers" in reading.checks and reading.confidence < 0.8
    aside = _read("Bonjour,\n\nPour notre dossier érythréen, nous avons recueilli 214 signatures le 7 mars.\n"
                  "Pour les défenseurs de Mbandaka, nous commencerons en avril.\n")
    assert aside.dossier == "DI-2025-033", aside     # the dossier the deeds are told about, not the aside's
    one = _read("Bonjour,\n\nPour notre dossier érythréen, nous avons recueilli 214 signatures le 7 mars "
                "pour Dawit Tesfaye.\n")
    assert "several_dossiers" not in one.checks and one.dossier == "DI-2025-033"


def test_a_plans_heading_after_a_done_list_makes_its_items_planned() -> None:
    reading = _read("Bonjour,\n\nDI-2025-033\nActions réalisées :\n* 7 mars : stand au marché, 214 signatures\n"
                    "Actions prévues :\n* lettre collective au ministre de la Justice en avril\n")
    assert {a.type.value for a in reading.actions} == {"awareness", "petition"}, reading.actions


def test_a_detail_still_missing_does_not_negate_the_deed() -> None:
    reading = _read("Bonjour,\n\nPour DI-2025-033, nous avons aussi écrit à la députée de la 1re circonscription, "
                    "pas encore de réponse.\n")
    assert [a.type.value for a in reading.actions] == ["advocacy"], reading.actions
    refused = _read("Bonjour,\n\nPour DI-2025-033, nous n'avons pas encore écrit à la députée.\n")
    assert not refused.actions


@pytest.mark.parametrize("body, check", [
    # a list item negated, with a noun and no action read
    ("Pour DI-2025-033 :\n- les lettres à l'ambassade, on n'a pas pu les envoyer ;\n"
     "- stand le 7 mars : 214 signatures.\n", "undetermined"),
    # news about the person: the cards are everyone's, told by someone else
    ("Des nouvelles de Dawit Tesfaye (DI-2025-033) : il a pu recevoir une partie des 1 500 cartes envoyées "
     "depuis l'automne.\n", "third_party"),
    # an event told with a verb the rules do not take as a deed, beside what it raised
    ("Pour DI-2025-033, on a fait une soirée jeux le 20 mars au bar associatif. On a récolté 64 signatures.\n",
     "event_unread"),
    # two letters, one to a French elected official: advocacy, not the authorities
    ("Pour DI-2025-033, on a aussi écrit deux lettres : une au président de l'Érythrée et une à "
     "l'eurodéputée Kessler.\n", "addressee"),
    # the same stand told twice: once in a total, once by name
    ("Bilan 2025 pour DI-2025-033 :\nTotal : 612 signatures, 48 lettres à l'ambassade, 3 stands.\n"
     "Le marché de Noël a été notre stand le plus réussi.\n", "duplicate"),
])
def test_more_shapes_of_doubt(body: str, check: str) -> None:
    reading = _read(body)
    assert reading.kind.value in ("report", "other"), reading
    if reading.kind.value == "report":
        assert check in reading.checks and reading.confidence < 0.8, (reading.actions, reading.checks)


def test_a_report_without_a_group_from_an_address_we_do_not_know_is_unsure() -> None:
    body = "Bonjour,\n\nPour DI-2025-033, nous avons recueilli 214 signatures le 7 mars.\n"
    reading = _read(body, sender="inconnu@example.net")
    assert reading.kind.value == "report" and reading.group is None
    assert "no_group" in reading.checks and reading.confidence < 0.8
    individual = _read(body, sender="claire.vasseur@example.org")     # a membre individuel in fr-dev
    assert individual.group is None and "no_group" not in individual.checks


def test_a_deed_dated_most_of_a_year_before_the_mail_is_unsure() -> None:
    reading = _read("Bonjour,\n\nPour DI-2025-033 :\n- préparation du rassemblement régional du 16 mai\n"
                    "- 214 signatures le 7 mars\n")
    sent = date(2026, 3, 20)                          # the fixture mail's Date
    assert any((sent - a.date).days > 180 for a in reading.actions if a.date), reading.actions
    assert "date_far" in reading.checks and reading.confidence < 0.8


def test_a_group_named_only_in_a_question_is_no_membership() -> None:
    reading = _read("Bonsoir,\n\nJ'aimerais adhérer à votre association et participer aux actions près de chez "
                    "moi. Je peux me libérer certains samedis.\n\nStéphane Wagner\n",
                    sender="s.wagner@example.com", subject="Adhésion et groupe à Lille ?")
    assert reading.kind.value == "signup"
    assert reading.group is None or reading.confidence < 0.8, reading


def test_a_journalists_request_is_no_offer_of_help() -> None:
    reading = _read("Bonjour,\n\nJe suis animateur à Radio Nord. Nous préparons une émission sur les bénévoles et "
                    "j'aimerais inviter un membre du groupe 19 pour parler de Dawit.\n\nGaël\n",
                    sender="gael@radio-exemple.fr", subject="Interview radio")
    assert reading.kind.value != "signup" or reading.confidence < 0.8, reading


def test_a_letter_noun_inside_a_name_is_no_letter_sent() -> None:
    reading = _read("Pour DI-2025-033 :\n- 21 février, stand à la fac de lettres : 77 signatures\n"
                    "- article dans le Courrier du Nord du 15 avril sur notre mobilisation\n")
    letters = [a for a in reading.actions if a.type.value.startswith("letter")]
    assert not letters or reading.confidence < 0.8, (reading.actions, reading.checks)


def test_an_intro_that_counts_what_its_dated_list_details_is_unsure() -> None:
    reading = _read("Bonjour,\n\nLe groupe 19 a tenu deux stands pour DI-2025-033 :\n- le 7 mars au marché (171 "
                    "signatures) ;\n- le 14 mars à la fête du quartier (218 signatures).\n")
    awareness = sorted(a.count for a in reading.actions if a.type.value == "awareness")
    assert awareness == [1, 1] or reading.confidence < 0.8, (reading.actions, reading.checks)


def test_an_action_left_undone_for_want_of_a_marker_is_unsure() -> None:
    # a verbless sentence (not a list item) naming a deed: the rules leave it undone, a person decides
    reading = _read("Bonjour,\n\nPour DI-2025-033, nous avons recueilli 214 signatures le 7 mars.\n"
                    "Puis une conférence au lycée Pasteur avec 80 élèves.\n")
    assert {a.type.value for a in reading.actions} == {"petition", "awareness"} or (
        "undetermined" in reading.checks and reading.confidence < 0.8), (reading.actions, reading.checks)
