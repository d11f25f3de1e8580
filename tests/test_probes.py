"""Issue 9 §3: the probes that failed on the rules of before, and the classes they stand for."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from inbound_fixtures import DATA, import_corpus, mail

from mailer.inbound.mime.parse import parse_message
from mailer.inbound.understand.classify import read_message
from mailer.registry import load_directory
from mailer.store import Store

MEMBER = "jean-luc.dumont@example.com"          # G019 in fr-dev, which holds DI-2025-033


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory):
    store = Store(Path(tmp_path_factory.mktemp("probes")) / "var" / "mailer.json")
    import_corpus(store, DATA / "fr-dev")
    return load_directory(store.snapshot())


def _actions(directory, text: str) -> list[tuple[str, int | None, float | None, date | None]]:
    body = f"Bonjour,\n\nPour le dossier DI-2025-033 : {text}\n\nJean-Luc\n"
    raw = mail(MEMBER, body, subject="Nouvelles").replace(b"Date: Fri, 20 Mar 2026", b"Date: Sun, 10 May 2026")
    reading = read_message(parse_message(raw), directory)
    return [(a.type.value, a.count, a.amount_eur, a.date) for a in reading.actions] if reading.kind.value == "report" \
        else []


def test_an_official_as_the_subject_who_received_us(directory) -> None:
    assert _actions(directory, "le député nous a reçus le 4 mai.") == [("advocacy", 1, None, date(2026, 5, 4))]


def test_a_word_between_the_verb_and_its_complement(directory) -> None:
    assert _actions(directory, "nous avons écrit hier au préfet.") == [("advocacy", 1, None, None)]


def test_a_verbless_result_line_with_thousands_written_with_a_space(directory) -> None:
    assert _actions(directory, "bilan du mois.\nTotal : 2 300 signatures.") == [("petition", 2300, None, None)]


def test_several_payments_in_one_sentence(directory) -> None:
    found = _actions(directory, "nous avons fait deux versements au fonds : 30 € le 2 mai et 45 € le 9 mai.")
    assert found == [("fund", None, 30, date(2026, 5, 2)), ("fund", None, 45, date(2026, 5, 9))]


def test_a_payment_with_its_breakdown_is_one_payment(directory) -> None:
    found = _actions(directory, "nous avons versé 150 € au fonds d'aide (100 € de la vente et 50 € de dons).")
    assert found == [("fund", None, 150, None)]


def test_the_preposition_a_is_not_the_auxiliary(directory) -> None:
    assert _actions(directory, "elle habite à Rennes et travaille à la radio.") == []


def test_a_collection_is_a_noun_before_it_is_a_participle(directory) -> None:
    assert _actions(directory, "la collecte de signatures continue au marché.") == []


def _kind(directory, body: str, sender: str = "inconnue@example.net") -> tuple[str, str]:
    reading = read_message(parse_message(mail(sender, body, subject="Bonjour")), directory)
    return reading.kind.value, reading.rule


@pytest.mark.parametrize("body", [
    "Je suis traductrice (russe, kazakh) : si vous avez besoin de traductions, je suis disponible.\n\nDinara",
    "Je suis graphiste et je peux mettre mes compétences au service de vos campagnes.\n\nSofiane",
    "Vous pouvez compter sur moi pour les prochaines actions : lettres, stands, je suis partant.\n\nQuentin",
    "J'aimerais vraiment bosser sur le dossier de Nadejda Kouznetsova. Dites-moi comment je peux aider !\n\nJade",
    "Je souhaiterais recevoir par courriel vos appels à l'action.\n\nBernadette",
])
def test_an_offer_of_help_in_other_words_is_a_sign_up(directory, body: str) -> None:
    assert _kind(directory, body) == ("signup", "signup.offer")


@pytest.mark.parametrize("body, sender", [
    ("Je change d'adresse : je souhaite bien sûr continuer à recevoir le bulletin.\n\nFrançoise",
     "francoise.chabert@example.net"),
    ("Je suis journaliste au Progrès et j'aimerais recevoir vos informations pour un article.\n\nE. Martin",
     "e.martin@redaction.example.com"),
])
def test_going_on_receiving_or_a_journalists_request_is_no_applied_sign_up(directory, body: str,
                                                                          sender: str) -> None:
    reading = read_message(parse_message(mail(sender, body, subject="Bonjour")), directory)
    assert reading.kind.value != "signup" or reading.confidence < 0.8


def test_a_report_that_also_plans_to_take_part_stays_a_report(directory) -> None:
    body = ("Pour DI-2025-033 : le 7 mars nous avons recueilli 214 signatures. Nous aimerions aussi participer "
            "à la marche du 21 mars.\n\nJean-Luc")
    assert _kind(directory, body, MEMBER)[0] == "report"
