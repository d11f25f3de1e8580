"""French reading, piece by piece, on a third invented directory (neither fr-dev's nor fr-own's)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from inbound_fixtures import DATA

from mailer.inbound.understand.extract import (DirectoryIndex, Mail, find_actions, person_name, read_report,
                                               read_signup, segments, split_body)
from mailer.inbound.understand.unsubscribe import read_confirm, read_unsubscribe
from mailer.tokens import sub_address_token
from mailer.inbound.understand.countries import country_key, find_countries
from mailer.inbound.understand.french import _PRE, find_dates, fold, parse_amounts, to_digits
from mailer.inbound.mime.parse import parse_message
from mailer.models import Directory, Dossier, Group, Member

TEAM = "protegeonslespersonnes@example.org"
SENT = datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc)

DIRECTORY = Directory(
    groups=(Group("G012", "Groupe 12 de Brest", "groupe_local", "Brest", "gl12.brest@example.org"),
            Group("G009", "Groupe 9 de Saint-Malo", "groupe_local", "Saint-Malo", "stmalo9@example.org"),
            Group("C005", "Cercle d'action de Pau", "cercle_action", "Pau", "cercle.pau@example.org"),
            Group("J003", "Antenne jeunes de Brest", "antenne_jeunes", "Brest", "jeunes.brest@example.org")),
    dossiers=(Dossier("DI-2025-101", "Ahmad Karimi", "Afghanistan", "actif", "ref@example.org", ["G012", "C005"]),
              Dossier("DI-2024-102", "Evguenia Tchernova", "Russie", "actif", "ref@example.org", ["G009"]),
              Dossier("DI-2025-103", "Nguyễn Thị Mai", "Viêt Nam", "actif", "ref@example.org", ["G012"]),
              Dossier("DI-2021-104", "Omar Diallo", "Guinée", "clos", "ref@example.org", ["J003"]),
              Dossier("DI-2025-105", "Farid Haidari", "Afghanistan", "actif", "ref@example.org", ["G009"])),
    members=(Member("ref@example.org", "Mai Leclerc", ""),
             Member("loic.tanguy@example.net", "Loïc Tanguy", "G012"),
             Member("solo@example.net", "Jeanne Solo", "")),
)


def mail(body: str, subject: str = "Nouvelles", sender: str = "Loïc Tanguy <loic.tanguy@example.net>",
         to: str = TEAM, date_header: str = "Tue, 10 Mar 2026 10:00:00 +0000", extra: str = "") -> Mail:
    raw = (f"From: {sender}\nTo: {to}\nSubject: {subject}\nDate: {date_header}\n{extra}"
           f"Content-Type: text/plain; charset=utf-8\n\n{body}").encode()
    return Mail(parse_message(raw))


def actions_of(text: str) -> set[tuple[str, int | None, float | None, str | None]]:
    found, _ = find_actions(segments(text, SENT))
    return {(a.type.value, a.count, a.amount_eur, a.date.isoformat() if a.date else None) for a in found}


# ------------------------------------------------------------------------------------ french.py
def test_number_words_and_vague_amounts() -> None:
    assert to_digits(fold("Trente-deux lettres et deux cent quinze signatures")) == "32 lettres et 215 signatures"
    assert to_digits(fold("une trentaine de signatures")) == "une trentaine de signatures"


def test_dates_take_the_latest_year_not_after_the_message() -> None:
    found = [d for _, d in find_dates(fold("le 12 mars, le 1er mars, le 14/02, le 3 janvier 2024"), SENT)]
    assert found == [date(2025, 3, 12), date(2026, 3, 1), date(2026, 2, 14), date(2024, 1, 3)]
    assert find_dates(fold("samedi dernier, hier, fin février, la semaine suivante"), SENT) == []
    assert find_dates("le 12 mars", None) == []           # no Date header: unknown
    assert find_dates("le 31/02", SENT) == []              # not a day


def test_amounts() -> None:
    assert [a for _, a in parse_amounts(fold("62,50 € puis 1 200 € et 1\u202f500\u00a0€ et € 75"))] == \
        [62.5, 1200.0, 1500.0, 75.0]
    assert [a for _, a in parse_amounts(to_digits(fold("cent euros")))] == [100.0]


def test_countries_by_name_and_adjective() -> None:
    assert find_countries(fold("notre dossier vietnamien")) == {"vietnam"}
    assert find_countries(fold("aux autorités congolaises")) == {"rdc", "congo"}
    assert find_countries(fold("une militante iranienne, un journaliste turc, l'ambassade d'Égypte")) == \
        {"iran", "turquie", "egypte"}
    assert country_key("Viêt Nam") == "vietnam" and country_key("République démocratique du Congo") == "rdc"
    assert country_key("Atlantide") == "atlantide"         # unknown countries keep their own key


# ------------------------------------------------------------------------------------ the text
def test_reply_quotes_are_not_read() -> None:
    m = mail("Merci, bien noté.\n\nLe 3 mars 2026 à 10:00, Mai Leclerc <ref@example.org> a écrit :\n"
             "> Vous avez envoyé 40 lettres le 2 mars.\n")
    assert "40 lettres" not in m.body.text
    report, _ = read_report(m, DIRECTORY)
    assert report is None


def test_forward_keeps_the_original_and_its_author() -> None:
    body = split_body(mail("Pour info.\n\n---------- Forwarded message ---------\nFrom: Loïc Tanguy "
                           "<loic.tanguy@example.net>\nDate: Mon, 9 Mar 2026\nSubject: bilan\n\n"
                           "Nous avons envoyé 12 lettres au ministre afghan de la Justice le 5 mars.\n",
                           subject="Fwd: bilan", sender="Mai Leclerc <ref@example.org>").parsed)
    assert body.author == "loic.tanguy@example.net"
    assert "12 lettres" in body.forwarded and "12 lettres" not in body.own


# --------------------------------------------------------------------------------- the actions
def test_planned_and_hypothetical_actions_are_left_out() -> None:
    assert actions_of("Nous allons tenir un stand le 20 mars.") == set()
    assert actions_of("Prochaine étape : rencontrer le député.") == set()
    assert actions_of("Le groupe envisage de verser 300 € au fonds d'aide.") == set()
    assert actions_of("Faut-il envoyer les lettres à l'ambassade ?") == set()
    assert actions_of("Nous avons tenu un stand le 4 mars ; nous en tiendrons un autre le 2 avril.") == \
        {("awareness", 1, None, "2026-03-04")}
    assert actions_of("Nous n'avons pas pu tenir le stand prévu le 4 mars.") == set()


def test_counts() -> None:
    assert actions_of("Nous avons recueilli une trentaine de signatures.") == {("petition", None, None, None)}
    assert actions_of("Nous avons recueilli trente-huit signatures.") == {("petition", 38, None, None)}
    assert actions_of("Nous avons organisé deux conférences à la fac.") == {("awareness", 2, None, None)}
    assert actions_of("Nous avons écrit à nos trois députés.") == {("advocacy", 3, None, None)}
    assert actions_of("Nous avons rencontré la maire et un sénateur.") == {("advocacy", 2, None, None)}
    assert actions_of("Un concert a été organisé : 140 personnes sont venues.") == {("awareness", 1, None, None)}
    assert actions_of("J'ai envoyé une lettre au procureur.") == {("letter_authorities", 1, None, None)}
    assert actions_of("Nous avons envoyé des cartes de soutien à sa mère.") == {("letter_support", None, None, None)}


def test_letters_are_typed_by_their_recipient() -> None:
    assert actions_of("Nous avons envoyé 20 lettres à l'ambassade et 15 cartes à sa famille.") == \
        {("letter_authorities", 20, None, None), ("letter_support", 15, None, None)}
    assert actions_of("Nous avons envoyé un courrier au député de la circonscription.") == \
        {("advocacy", 1, None, None)}


def test_fund_amount_and_collaboration() -> None:
    assert actions_of("Nous avons versé 1 200 € au Fonds d'aide le 2 mars.") == {("fund", None, 1200.0, "2026-03-02")}
    assert actions_of("La soirée a rapporté 310 €. Le groupe a reversé cette somme au fonds d'aide.") == \
        {("fund", None, 310.0, None)}
    assert ("collaboration", None, None, "2026-03-06") in actions_of(
        "Le 6 mars, nous avons organisé un débat en partenariat avec le Secours populaire.")


def test_dates_of_actions() -> None:
    found = actions_of("Le 6 mars, nous avons tenu un stand.\n\nPendant le stand, 55 personnes ont signé la pétition.")
    assert found == {("awareness", 1, None, "2026-03-06"), ("petition", 55, None, "2026-03-06")}
    found = actions_of("J'ai écrit deux lettres au juge (la dernière le 1er mars) et j'ai envoyé une carte à sa fille.")
    assert found == {("letter_authorities", 2, None, "2026-03-01"), ("letter_support", 1, None, None)}
    assert actions_of("Samedi dernier, nous avons tenu un stand.") == {("awareness", 1, None, None)}


def test_list_under_a_report_line_is_done_and_under_a_plan_is_not() -> None:
    report = "Voici nos actions :\n- 4 mars : stand au marché\n- 18 lettres à l'ambassade d'Afghanistan"
    assert actions_of(report) == {("awareness", 1, None, "2026-03-04"), ("letter_authorities", 18, None, None)}
    assert actions_of("Nos projets pour avril :\n- stand au marché\n- lettres à l'ambassade") == set()


# --------------------------------------------------------------------------------- the directory
def test_groups_by_number_city_kind_and_variants() -> None:
    index = DirectoryIndex(DIRECTORY)
    assert index.group_mentions(fold("membre du groupe 12")) == ["G012"]
    assert index.group_mentions(fold("l'antenne jeunes de Brest")) == ["J003"]       # Brest has two structures
    assert index.group_mentions(fold("le groupe de St-Malo")) == ["G009"]
    assert index.group_mentions(fold("Cercle d'action - Pau")) == ["C005"]
    assert index.group_mentions(fold("j'habite à Brest")) == []                     # a city alone is no membership
    assert index.group_mentions(fold("le groupe 404")) == []


def test_report_dossier_by_misspelt_or_transliterated_name() -> None:
    m = mail("Nous avons envoyé 10 lettres au président russe pour Evgenia Chernova le 2 mars.\n\nLoïc")
    report, _ = read_report(m, DIRECTORY)
    assert report is not None and report.dossier == "DI-2024-102"
    m = mail("Bonjour,\n\nNous avons écrit 8 lettres pour M. Karimy le 3 mars.\n\nLoïc")
    assert read_report(m, DIRECTORY)[0].dossier == "DI-2025-101"  # type: ignore[union-attr]


def test_report_dossier_by_country_needs_a_single_dossier_in_the_group() -> None:
    text = "Nous avons tenu un stand pour notre dossier afghan le 2 mars.\n\n{sig}"
    one = read_report(mail(text.format(sig="Groupe 12 de Brest")), DIRECTORY)[0]
    assert one is not None and (one.group, one.dossier) == ("G012", "DI-2025-101")
    # G012 holds one Afghan dossier; with no group, two Afghan dossiers: nobody can tell
    none = read_report(mail(text.format(sig="Jeanne"), sender="Jeanne Solo <solo@example.net>"), DIRECTORY)[0]
    assert none is not None and (none.group, none.dossier) == (None, None)


def test_member_names_are_not_dossier_names() -> None:
    # "Mai" is both the dossier's given name and the referent's first name: the referent's full name
    # in a signature must not name the dossier
    m = mail("Nous avons tenu un stand le 2 mars.\n\nMai Leclerc", sender="Mai Leclerc <ref@example.org>")
    assert read_report(m, DIRECTORY)[0].dossier is None  # type: ignore[union-attr]


# ----------------------------------------------------------------------------------- the readers
def test_signup_name_group_dossier() -> None:
    m = mail("Bonjour,\n\nMembre du groupe local de Saint-Malo, je souhaite m'engager sur le dossier "
             "d'Evguenia Tchernova.\n\nCordialement,\nRonan\n", sender="Ronan Le Gall <ronan@example.com>")
    assert read_signup(m, DIRECTORY) == read_signup(m, DIRECTORY)
    signup = read_signup(m, DIRECTORY)
    assert signup is not None and (signup.name, signup.group, signup.dossier) == ("Ronan Le Gall", "G009",
                                                                                  "DI-2024-102")


def test_signup_country_alone_or_closed_dossier_gives_no_dossier() -> None:
    m = mail("Ému par la libération d'Omar Diallo, je souhaite rejoindre l'équipe pour les dossiers afghans.\n\n"
             "Paul Martin\n", sender="paul@example.com")
    signup = read_signup(m, DIRECTORY)
    assert signup is not None and (signup.name, signup.group, signup.dossier) == ("Paul Martin", None, None)


def test_person_name_from_signature_or_display() -> None:
    assert person_name(mail("Bonjour\n\nBien à vous,\nLéa Morvan\nGroupe 12", sender="x@example.com")) == \
        "Léa Morvan"
    assert person_name(mail("Bonjour\n\nMerci,\nLéa", sender="Léa Morvan <x@example.com>")) == "Léa Morvan"
    assert person_name(mail("Bonjour\n\nChloé, pour l'antenne de Brest", sender="x@example.com")) == "Chloé"


@pytest.mark.parametrize(("body", "subject", "scope"), [
    ("STOP", "Re: bulletin", "all"),
    ("Merci de me retirer de toutes vos listes.", "Bonjour", "all"),
    ("Je ne souhaite plus recevoir le bulletin, mais gardez-moi pour les appels urgents.", "Bonjour", "bulletin"),
    ("Pouvez-vous me désabonner de la newsletter ?", "Bonjour", "bulletin"),
    ("", "Désinscription", "all"),
])
def test_unsubscribe_scope(body: str, subject: str, scope: str) -> None:
    found = read_unsubscribe(mail(body, subject=subject))
    assert found is not None and found.scope == scope


@pytest.mark.parametrize("body", ["Je souhaite continuer à recevoir le bulletin.",
                                  "Pour vous désinscrire de nos envois, cliquez ici."])
def test_not_an_unsubscribe(body: str) -> None:
    assert read_unsubscribe(mail(body)) is None


def test_sub_address_tokens() -> None:
    m = mail("x", to="Équipe <protegeonslespersonnes+u-abc123@example.org>")
    assert sub_address_token(m.parsed.to, TEAM, "u") == "abc123"
    assert sub_address_token(m.parsed.to, TEAM, "c") is None
    assert sub_address_token(mail("x", to="autre+u-abc123@example.org").parsed.to, TEAM, "u") is None


def test_confirm_needs_a_yes_and_refuses_a_no() -> None:
    subjects = ("Confirmez votre inscription",)
    yes = mail("Oui, je confirme.", subject="Re: Confirmez votre inscription")
    assert read_confirm(yes, TEAM, subjects=subjects) is not None
    no = mail("Non, je n'ai jamais demandé cela.", subject="Re: Confirmez votre inscription",
              to="protegeonslespersonnes+c-abc@example.org")
    assert read_confirm(no, TEAM, subjects=subjects) is None
    assert read_confirm(mail("Oui, je confirme."), TEAM, subjects=subjects) is None


def test_folding_a_character_at_a_time_is_unidecodes_folding() -> None:
    """fold caches each character's form: the same text as unidecode of the whole, on every corpus."""
    from unidecode import unidecode
    texts = ["Leïla’s 1 200 €", "Straße, ½, İstanbul, Ə, 😎, ﬁ, Nguyễn Văn Khoa", "plain ascii, Unchanged"]
    texts += [p.read_bytes().decode("utf-8", "replace") for p in sorted(DATA.glob("fr-*/*.eml"))[::7]]
    for text in texts:
        assert fold(text) == unidecode(text.translate(_PRE)).lower()
    assert fold("Leïla’s 1 200 €") == "leila's 1 200 eur"
