"""Campaign files and audiences: validation, every audience kind, one message per person."""

from __future__ import annotations

import time
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from mailer.errors import AudienceError, CampaignError
from mailer.sheets.importer import ImportKind, read_file
from mailer.models import Directory, Dossier, Group, Member, Recipient, Subscriber
from mailer.outbound.campaigns import parse_campaign, resolve_audience
from mailer.outbound.files import check_attachments, load_campaign
from mailer.outbound.files import read_contacts

DIRECTORY = Directory(
    groups=(Group("G037", "Groupe 37 de Lyon", "groupe_local", "Lyon", "groupe37@example.org"),
            Group("C012", "Cercle d'action de Brest", "cercle_action", "Brest", "cercle12@example.org"),
            Group("J007", "Antenne jeunes de Lille", "antenne_jeunes", "Lille", "")),
    dossiers=(Dossier("DI-2025-014", "Leïla Sadeghi", "Iran", "active", "claire@example.org", ["G037", "C012"]),
              Dossier("DI-2019-002", "Ancien dossier", "Chili", "closed", "claire@example.org", ["G037"])),
    members=(Member("claire@example.org", "Claire Vasseur", ""),
             Member("paul@example.org", "Paul Martin", "G037"),
             Member("groupe37@example.org", "", "G037"),           # the group's address is also a member
             Member("zoe@example.org", "Zoé Côté", "C012")),
)
SUBSCRIBERS = [Subscriber("PAUL@example.org", "Paul M."), Subscriber("ana@example.org", "Ana"),
               Subscriber("pending@example.org", "P", status="pending")]


def campaign(tmp_path: Path, audience: object, **extra: object):
    fields = {"name": "alerte", "kind": "alert", "subject": "s", "template": "action_alert", "audience": audience}
    return parse_campaign(fields | extra, tmp_path / "c.toml")


def resolve(c, directory: Directory, subscribers: list[Subscriber]):
    """The audience as the sender resolves it: its csv: lists read first, at the edge."""
    return resolve_audience(c, directory, subscribers, read_contacts(c))


def emails(recipients) -> list[str]:
    return [r.email for r in recipients]


def test_dossier_audience_is_its_groups_plus_its_referent(tmp_path: Path) -> None:
    recipients = resolve(campaign(tmp_path, "dossier:DI-2025-014"), DIRECTORY, SUBSCRIBERS)
    assert emails(recipients) == ["groupe37@example.org", "cercle12@example.org", "claire@example.org"]
    assert [r.kind for r in recipients] == ["group", "group", "referent"]
    assert recipients[2].name == "Claire Vasseur"


def test_group_audience_is_its_address_and_its_members(tmp_path: Path) -> None:
    recipients = resolve(campaign(tmp_path, "group:G037"), DIRECTORY, SUBSCRIBERS)
    assert emails(recipients) == ["groupe37@example.org", "paul@example.org"]


def test_groups_members_subscribers(tmp_path: Path) -> None:
    assert emails(resolve(campaign(tmp_path, "groups"), DIRECTORY, SUBSCRIBERS)) == \
        ["groupe37@example.org", "cercle12@example.org"]
    assert len(resolve(campaign(tmp_path, "members"), DIRECTORY, SUBSCRIBERS)) == 4
    # a pending double opt-in is not a subscriber yet
    assert emails(resolve(campaign(tmp_path, "subscribers"), DIRECTORY, SUBSCRIBERS)) == \
        ["paul@example.org", "ana@example.org"]


def test_a_person_reached_several_ways_in_any_case_gets_one_message(tmp_path: Path) -> None:
    (tmp_path / "extra.csv").write_text("email;name\nZOE@Example.org;Zoé\nnew@example.org;Nouvelle\n", encoding="utf-8")
    c = campaign(tmp_path, ["dossier:DI-2025-014", "members", "subscribers", "csv:extra.csv"])
    recipients = resolve(c, DIRECTORY, SUBSCRIBERS)
    addresses = emails(recipients)
    assert len(addresses) == len(set(addresses)) == 7
    assert set(addresses) == {"groupe37@example.org", "cercle12@example.org", "claire@example.org",
                              "paul@example.org", "zoe@example.org", "ana@example.org", "new@example.org"}


def test_csv_audience_reads_spreadsheet_exports(tmp_path: Path) -> None:
    (tmp_path / "liste.csv").write_bytes("email,name\r\nelus@example.org,Hélène Rivière\r\n".encode("cp1252"))
    recipients = resolve(campaign(tmp_path, "csv:liste.csv"), DIRECTORY, [])
    assert [(r.email, r.name) for r in recipients] == [("elus@example.org", "Hélène Rivière")]


def test_csv_audience_row_without_a_valid_address_is_an_error_not_a_skip(tmp_path: Path) -> None:
    (tmp_path / "liste.csv").write_bytes("email,name\r\nelus@example.org,Hélène Rivière\r\nnot-an-address,X\r\n"
                                         .encode("cp1252"))
    with pytest.raises(AudienceError, match=r"1 unusable row\(s\): line 3: email 'not-an-address'"):
        resolve(campaign(tmp_path, "csv:liste.csv"), DIRECTORY, [])


def test_a_csv_audience_accepts_and_refuses_the_rows_import_members_does(tmp_path: Path) -> None:
    """One reader and one address check for both: a cp1252 ';' export with French headers passes,
    `not-an-address@` is refused with the words and line `mailer import members` gives it."""
    path = tmp_path / "liste.csv"
    good = "Courriel;Prénom;Nom\r\nZoe.Cote@Example.org;Zoé;Côté\r\n"
    path.write_bytes((good + "not-an-address@;Mauvaise;Ligne\r\n").encode("cp1252"))
    imported = read_file(path, ImportKind.MEMBERS)
    assert [p.line for p in imported.rejected] == [3] and "not-an-address@" in imported.rejected[0].message
    with pytest.raises(AudienceError) as refused:
        resolve(campaign(tmp_path, "csv:liste.csv"), DIRECTORY, [])
    assert f"audience csv:{path}: 1 unusable row(s): {imported.rejected[0]}" == str(refused.value)
    path.write_bytes(good.encode("cp1252"))
    recipients = resolve(campaign(tmp_path, "csv:liste.csv"), DIRECTORY, [])
    assert [(r.email, r.name, r.kind) for r in recipients] == [("zoe.cote@example.org", "Zoé Côté", "contact")]
    assert [(m.email, m.name) for m in read_file(path, ImportKind.MEMBERS).records] == [("zoe.cote@example.org",
                                                                                         "Zoé Côté")]


def test_resolving_an_audience_reads_no_file(tmp_path: Path) -> None:
    """The csv: lists come in as values (files.read_contacts at the edge): none is opened here."""
    listed = [Recipient("liste@example.org", "Liste", "contact")]
    c = campaign(tmp_path, ["csv:nulle-part.csv", "group:G037"])
    assert emails(resolve_audience(c, DIRECTORY, [], {"nulle-part.csv": listed})) == [
        "liste@example.org", "groupe37@example.org", "paul@example.org"]
    with pytest.raises(ValueError, match="was not read"):
        resolve_audience(c, DIRECTORY, [])


@pytest.mark.parametrize("audience", ["dossier:di-2025-014", "group:g037", "group:G037"])
def test_codes_and_refs_match_in_any_case(tmp_path: Path, audience: str) -> None:
    recipients = resolve(campaign(tmp_path, audience), DIRECTORY, SUBSCRIBERS)
    assert "groupe37@example.org" in emails(recipients)
    assert all(r.group in ("", "G037", "C012") for r in recipients)
    assert DIRECTORY.dossier(" Di-2025-014 ").ref == "DI-2025-014"   # what render uses for `dossier =`


@pytest.mark.parametrize("audience,message", [
    ("dossier:DI-1999-999", "no dossier"), ("group:G999", "no group"), ("dossier:DI-2019-002", "closed"),
    ("csv:absent.csv", "absent.csv"),
])
def test_bad_audiences_are_clear_errors(tmp_path: Path, audience: str, message: str) -> None:
    with pytest.raises(AudienceError, match=message):
        resolve(campaign(tmp_path, audience), DIRECTORY, SUBSCRIBERS)


@pytest.mark.parametrize("fields,message", [
    ({"name": "Alerte Iran!"}, "name"), ({"kind": "spam"}, "kind"), ({"audience": "everyone"}, "unknown audience"),
    ({"audience": "dossier:"}, "needs a value"), ({"template": "../etc/passwd"}, "template"),
    ({"attachments": ["absent.pdf"]}, "no such file"), ({"colour": "red"}, "unknown key"),
    ({"subject": ""}, "subject"),
])
def test_invalid_campaign_files_name_the_key(tmp_path: Path, fields: dict, message: str) -> None:
    base = {"name": "alerte", "kind": "alert", "subject": "s", "template": "action_alert", "audience": "groups"}
    with pytest.raises(CampaignError, match=message):
        check_attachments(parse_campaign(base | fields, tmp_path / "c.toml"))


def test_campaign_file_round_trip(tmp_path: Path) -> None:
    (tmp_path / "modele.pdf").write_bytes(b"%PDF")
    path = tmp_path / "alerte.toml"
    path.write_text('name = "alerte-di-2025-014"\nkind = "alert"\nsubject = "Action urgente : {{ dossier.person }}"\n'
                    'template = "action_alert"\naudience = "dossier:DI-2025-014"\ndossier = "DI-2025-014"\n'
                    'attachments = ["modele.pdf"]\n[vars]\ndeadline = "2026-12-15"\n', encoding="utf-8")
    c = load_campaign(path)
    assert (c.name, c.kind, c.dossier, c.vars) == ("alerte-di-2025-014", "alert", "DI-2025-014",
                                                   {"deadline": "2026-12-15"})
    assert c.attachments == ((tmp_path / "modele.pdf").resolve(),)
    path.write_text("name = [", encoding="utf-8")
    with pytest.raises(CampaignError, match="invalid TOML"):
        load_campaign(path)


def test_a_campaign_dossier_in_lower_case_renders(tmp_path: Path) -> None:
    """`dossier = "di-2025-014"` in a campaign file finds the stored DI-2025-014."""
    from conftest import DATA

    from mailer.config import parse_config
    from mailer.outbound.files import read_attachments, template_loader
    from mailer.outbound.render import CampaignRenderer, RenderOptions

    raw = {"team": {"name": "Protégeons les personnes", "address": "plp@example.org"},
           "campaigns": {"templates": str(DATA / "templates")}}
    c = campaign(tmp_path, "dossier:di-2025-014", dossier="di-2025-014", template="alert",
                 subject="Action urgente : {{ dossier.person }}", vars={"deadline": "15 décembre"})
    config = parse_config(raw, tmp_path / "config.toml")
    renderer = CampaignRenderer(config, c, DIRECTORY, b"k", RenderOptions("s", date.today(), time.time),
                                template_loader(config), read_attachments(c))
    recipient = resolve(c, DIRECTORY, [])[0]
    message = message_from_bytes(renderer.build(recipient, 1).data, policy=policy.default)
    assert message["Subject"] == "Action urgente : Leïla Sadeghi"


@pytest.mark.parametrize("audience, why", [("group:J007", "no address and no members"),
                                            ("dossier:DI-2025-099", "none of its groups has an address"),
                                            ("csv:vide.csv", "a header and no rows")])
def test_an_expression_that_reaches_nobody_says_so(tmp_path: Path, audience: str, why: str) -> None:
    (tmp_path / "vide.csv").write_text("Courriel;Nom\n", encoding="utf-8")
    directory = Directory(groups=DIRECTORY.groups, members=DIRECTORY.members,
                          dossiers=(*DIRECTORY.dossiers, Dossier("DI-2025-099", "P", "Iran", "active", "", ["J007"])))
    with pytest.raises(AudienceError, match=f"{audience!r} reaches nobody \\(.*{why}"):
        resolve(campaign(tmp_path, ["groups", audience]), directory, SUBSCRIBERS)



@pytest.mark.parametrize("attachment, rule", [
    ("../var/secret.key", "inside the storage folder"),
    ("../../outside.pdf", "outside the folder of the configuration file"),
])
def test_attachments_stay_in_the_project_and_out_of_the_storage(tmp_path: Path, cli, seeded, attachment: str,
                                                                rule: str) -> None:
    """`attachments = ["../var/secret.key"]` was attached without a word (issue 8): preview, test
    and send all refuse it, naming the file and the rule."""
    from conftest import write_config

    project = tmp_path / "project"
    (project / "var").mkdir(parents=True)
    (project / "var" / "secret.key").write_bytes(b"k" * 32)
    (tmp_path / "outside.pdf").write_bytes(b"%PDF")
    (project / "campaigns").mkdir()
    (project / "campaigns" / "modele.pdf").write_bytes(b"%PDF modele")
    config = write_config(project)
    seeded(config)
    path = project / "campaigns" / "c.toml"
    text = ('name = "alerte"\nkind = "alert"\nsubject = "s"\ntemplate = "action_alert"\n'
            'audience = "dossier:DI-2025-014"\ndossier = "DI-2025-014"\nattachments = [{}]\n'
            '[vars]\ndeadline = "2026-12-15"\n')
    path.write_text(text.format('"modele.pdf"'), encoding="utf-8")
    ok = cli(config, "campaign", "preview", str(path), "--out", str(tmp_path / "preview"))
    assert ok.exit_code == 0, ok.output
    assert b"modele.pdf" in (tmp_path / "preview" / "alerte.eml").read_bytes()
    path.write_text(text.format(f'"{attachment}"'), encoding="utf-8")
    result = cli(config, "campaign", "preview", str(path), "--out", str(tmp_path / "preview2"))
    assert result.exit_code != 0
    assert f"attachments: {Path(attachment).name}" in result.output and rule in result.output
    assert not (tmp_path / "preview2" / "alerte.eml").exists()
