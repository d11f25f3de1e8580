"""Issue 9 §4, end to end through the CLI: triage show|apply|accept|member, reports edit|delete.

Messages go through the real pipeline (`mailer poll --once`) into the Maildir triage folder (and,
for `show`, once into a real Dovecot's); answers go out through the real outbound wing to an
aiosmtpd server.
"""

from __future__ import annotations

import csv
import shlex
import json
from pathlib import Path

import pytest
from conftest import SmtpServer, write_config
from dovecot import Dovecot
from inbound_fixtures import DATA, TEAM, Inbox, fr_dev, import_corpus, inbox_fixture, mail  # noqa: F401

from mailer.capture.maildirs import MaildirWriter, message_names
from mailer.config import load_config
from mailer.store import Store

QUOTED = ("\n\nLe 12 mars 2026 à 10:00, Protégeons les personnes <protegeonslespersonnes@example.org> a écrit :\n"
          "> Merci de nous dire ce que votre groupe a fait.\n> Bonne journée.\n")
UNKNOWN = "inconnu@example.net"


def _report(sender: str = UNKNOWN, message_id: str = "<r1@example.net>", quoted: bool = True) -> bytes:
    body = ("Bonjour,\n\nPour le dossier DI-2023-009 : nous avons recueilli 215 signatures et envoyé "
            "22 lettres au président.\n\nMathilde" + (QUOTED if quoted else ""))
    return mail(sender, body, subject="Nos actions", message_id=message_id)


def _poll(inbox: Inbox, cli, *raws: bytes) -> None:  # type: ignore[no-untyped-def]
    writer = MaildirWriter(inbox.config.inbox.maildir)
    for raw in raws:
        writer.deliver(raw)
    result = cli(inbox.config_path, "poll", "--once")
    assert result.exit_code == 0, result.output


def _items(inbox: Inbox) -> list[dict]:
    return inbox.store.snapshot().docs("triage")


def _item(inbox: Inbox, sender: str) -> dict:
    return next(t for t in _items(inbox) if t["sender"] == sender)


def _files(inbox: Inbox) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in inbox.store.files if p.exists()}


def test_show_prints_the_message_with_quotes_folded_and_the_reading_as_a_prefilled_answer(inbox: Inbox, cli) -> None:  # type: ignore[no-untyped-def]
    _poll(inbox, cli, _report())
    item = _item(inbox, UNKNOWN)
    shown = cli(inbox.config_path, "triage", "show", str(item["id"]))
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert "215 signatures" in out and "Subject: Nos actions" in out
    assert "3 quoted lines folded: --full shows them" in out
    assert "Merci de nous dire" not in out
    assert "reading: report (" in out and "action: petition=215" in out
    assert f"answer: mailer triage apply {item['id']} --dossier DI-2023-009 --action petition=215" in out
    full = cli(inbox.config_path, "triage", "show", str(item["id"]), "--full").output
    assert "> Merci de nous dire" in full and "quoted parts shown" in full


def test_show_says_when_the_message_is_gone_from_the_triage_folder(inbox: Inbox, cli) -> None:  # type: ignore[no-untyped-def]
    _poll(inbox, cli, _report())
    for path in message_names(inbox.config.inbox.maildir / ".À trier"):
        path.unlink()                      # as the retention purge does once an item is resolved
    out = cli(inbox.config_path, "triage", "show", str(_item(inbox, UNKNOWN)["id"])).output
    assert "gone from the Maildir folder" in out and "purged by retention" in out
    assert "action: petition=215" in out         # the reading is still there to finish the job


def test_show_finds_the_message_in_a_real_dovecot_triage_folder(tmp_path: Path, smtp_server: SmtpServer, cli,
                                                                dovecot: Dovecot,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILER_TEST_IMAP_PASSWORD", dovecot.password)
    config_path = write_config(tmp_path, smtp_port=smtp_server.port, extra=dovecot.inbox_section())
    import_corpus(Store(load_config(config_path).storage.path), DATA / "fr-dev")
    dovecot.append([_report(message_id="<imap1@example.net>"), _report("autre@example.net", "<imap2@example.net>")])
    assert cli(config_path, "poll", "--once").exit_code == 0
    assert dovecot.count("À trier") == 2
    items = Store(load_config(config_path).storage.path).snapshot().docs("triage")
    item = next(t for t in items if t["sender"] == "autre@example.net")
    out = cli(config_path, "triage", "show", str(item["id"])).output
    assert "in the IMAP" in out and "'À trier'" in out and "From: autre@example.net" in out
    assert "215 signatures" in out and "3 quoted lines folded" in out
    assert "its bytes differ" not in out


def test_apply_records_the_corrected_report_acknowledges_it_and_resolves_the_item(inbox: Inbox, cli) -> None:  # type: ignore[no-untyped-def]
    _poll(inbox, cli, _report())
    item = _item(inbox, UNKNOWN)
    before = len(inbox.smtp.handler.deliveries)  # type: ignore[union-attr]
    done = cli(inbox.config_path, "triage", "apply", str(item["id"]), "--group", "g019", "--action", "petition=1200",
               "--action", "fund=62,50@12/03/2026", "--action", "awareness=2@2026-03-07", "--by", "claire",
               "--note", "vu avec le groupe")
    assert done.exit_code == 0, done.output
    assert "Recorded report" in done.output and "item resolved" in done.output and "1 answer(s) sent" in done.output
    [report] = inbox.docs("reports")
    assert (report["group"], report["dossier"], report["state"], report["by"], report["triage"]) == \
        ("G019", "DI-2023-009", "corrected", "claire", item["id"])
    assert sorted((a["type"], a["count"], a["amount_eur"], a["date"]) for a in report["actions"]) == [
        ("awareness", 2, None, "2026-03-07"), ("fund", None, 62.5, "2026-03-12"),
        ("letter_authorities", 22, None, None), ("petition", 1200, None, None)]
    [step] = report["history"]
    assert step["by"] == "claire" and step["change"] == "triage apply" and step["note"] == "vu avec le groupe"
    assert {"type": "petition", "count": 215, "amount_eur": None, "date": None} in step["was"]["actions"]
    [ack] = [o for o in inbox.docs("outgoing") if o["kind"] == "report_ack"]
    assert ack["status"] == "sent"
    assert ack["to"] == UNKNOWN and ack["link"] == f"report:{report['id']}" and ack["in_reply_to"] == "<r1@example.net>"
    assert any("1200 signatures" in line for line in ack["values"]["summary"])
    resolved = _item(inbox, UNKNOWN)
    assert (resolved["status"], resolved["by"], resolved["outcome"]) == ("resolved", "claire", f"report:{report['id']}")
    assert resolved["history"][0]["change"] == "apply" and resolved["resolved"]
    sent = inbox.smtp.handler.deliveries[before:]  # type: ignore[union-attr]
    assert [d.rcpt_tos for d in sent] == [[UNKNOWN]]
    listed = cli(inbox.config_path, "reports", "list").output
    assert "corrected" in listed and "1200" in listed
    again = cli(inbox.config_path, "triage", "apply", str(item["id"]), "--action", "petition=1")
    assert again.exit_code == 1 and "already resolved" in again.output and "by claire" in again.output
    assert len(inbox.docs("reports")) == 1


@pytest.mark.parametrize(("args", "words"), [
    (["999"], "no triage item 999"),
    (["{id}", "--group", "G999"], "no group 'G999'"),
    (["{id}", "--dossier", "DI-1999-001"], "no dossier 'DI-1999-001'"),
    (["{id}", "--action", "petitions=3"], "unknown type 'petitions'"),
    (["{id}", "--action", "petition"], "expected TYPE=COUNT[@DATE]"),
    (["{id}", "--action", "petition=douze"], "expected TYPE=COUNT[@DATE]"),
    (["{id}", "--action", "petition=12@2026-02-30"], "is not a date"),
    (["{id}", "--action", "fund=12.345"], "a fund takes an amount in euros"),
    (["{id}", "--action", "petition=0", "--action", "letter_authorities=0"], "no action to record"),
])
def test_bad_input_is_a_clear_error_and_changes_nothing(inbox: Inbox, cli, args: list[str], words: str) -> None:  # type: ignore[no-untyped-def]
    _poll(inbox, cli, _report())
    item = _item(inbox, UNKNOWN)
    before = _files(inbox)
    result = cli(inbox.config_path, "triage", "apply", *(a.format(id=item["id"]) for a in args))
    assert result.exit_code == 1 and words in result.output, result.output
    assert "Traceback" not in result.output
    assert _files(inbox) == before


def test_accept_is_for_signups_and_unsubscribes_only(inbox: Inbox, cli) -> None:  # type: ignore[no-untyped-def]
    _poll(inbox, cli, _report())
    result = cli(inbox.config_path, "triage", "accept", str(_item(inbox, UNKNOWN)["id"]))
    assert result.exit_code == 1 and "is a report, not a sign-up nor an unsubscribe" in result.output
    assert cli(inbox.config_path, "triage", "member", "999", "--group", "G019").exit_code == 1


def test_accept_a_signup_keeps_double_opt_in(inbox: Inbox, cli) -> None:  # type: ignore[no-untyped-def]
    # An empty return path: the inbox may not answer it, so the sign-up waits for a person.
    signup = mail("louise@example.com", "Bonjour,\n\nJe souhaiterais devenir bénévole et suivre le dossier de "
                  "Nadejda Kouznetsova.\n\nLouise Martin\n", name="Louise Martin", subject="Proposition d'aide",
                  extra="Return-Path: <>\n", message_id="<s1@example.com>")
    _poll(inbox, cli, signup)
    item = _item(inbox, "louise@example.com")
    assert item["kind"] == "signup" and item["status"] == "open"
    assert inbox.docs("pending_people") == []
    done = cli(inbox.config_path, "triage", "accept", str(item["id"]), "--by", "claire")
    assert done.exit_code == 0 and "confirmation request sent" in done.output, done.output
    [person] = inbox.docs("pending_people")
    assert (person["email"], person["status"], person["dossier"]) == ("louise@example.com", "pending", "DI-2024-031")
    [request] = [o for o in inbox.docs("outgoing") if o["kind"] == "confirm_request"]
    assert request["to"] == "louise@example.com" and "+c-" in request["reply_to"]
    assert not [m for m in inbox.docs("members") if m["email"] == "louise@example.com"]    # not before she confirms
    assert _item(inbox, "louise@example.com")["by"] == "claire"


def test_accept_an_unsubscribe_records_the_coordinator_as_proof(inbox: Inbox, cli) -> None:  # type: ignore[no-untyped-def]
    stop = mail("lecteur@example.net", "Merci de me désinscrire de vos envois.\n", subject="Désinscription",
                extra="Return-Path: <>\n", message_id="<u1@example.net>")
    _poll(inbox, cli, stop)
    item = _item(inbox, "lecteur@example.net")
    assert item["kind"] == "unsubscribe" and inbox.docs("suppressions") == []
    done = cli(inbox.config_path, "triage", "accept", str(item["id"]), "--by", "claire")
    assert done.exit_code == 0, done.output
    [suppression] = inbox.docs("suppressions")
    assert suppression["email"] == "lecteur@example.net" and suppression["reason"] == "unsubscribe"
    assert "coordinator's decision" in suppression["source"] and "--by claire" in suppression["source"]
    [event] = inbox.docs("suppression_events")
    assert event["by"] == "claire"
    assert [o["kind"] for o in inbox.docs("outgoing")] == ["unsubscribed"]


def test_member_then_apply_a_report_from_an_unknown_sender(inbox: Inbox, cli) -> None:  # type: ignore[no-untyped-def]
    _poll(inbox, cli, _report())
    item = _item(inbox, UNKNOWN)
    done = cli(inbox.config_path, "triage", "member", str(item["id"]), "--group", "G019", "--name", "Mathilde R.",
               "--by", "claire")
    assert done.exit_code == 0 and "stays open" in done.output, done.output
    [member] = [m for m in inbox.docs("members") if m["email"] == UNKNOWN]
    assert (member["group"], member["name"]) == ("G019", "Mathilde R.")
    [consent] = [c for c in inbox.docs("consents") if c["email"] == UNKNOWN]
    assert consent["via"] == "cli" and "--by claire" in consent["source"]
    assert _item(inbox, UNKNOWN)["history"][0]["change"] == "member"
    twice = cli(inbox.config_path, "triage", "member", str(item["id"]), "--group", "G071")
    assert twice.exit_code == 1 and "already a member (group G019)" in twice.output
    assert cli(inbox.config_path, "triage", "apply", str(item["id"])).exit_code == 0
    [report] = inbox.docs("reports")
    assert report["group"] == "G019"                     # the sender's group, now that they are a member
    [ack] = [o for o in inbox.docs("outgoing") if o["kind"] == "report_ack"]
    assert ack["values"]["name"] == "Mathilde R."


def test_reports_edit_and_delete_keep_a_history_and_deleted_counts_nowhere(inbox: Inbox, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _poll(inbox, cli, fr_dev("003.eml"), fr_dev("020.eml"))
    first, second = sorted(inbox.docs("reports"), key=lambda r: r["id"])
    [ack] = [o for o in inbox.docs("outgoing") if o["kind"] == "report_ack" and o["link"] == f"report:{first['id']}"]
    # "si c'est inexact, répondez": the volunteer's answer waits in triage, linked to the report
    answer = mail(first["sender"], "Bonjour, en fait c'était 1200 signatures.\n", subject="Re: accusé",
                  extra=f"In-Reply-To: {ack['message_id']}\nReferences: {ack['message_id']}\n",
                  message_id="<fix@example.net>")
    _poll(inbox, cli, answer)
    reply = next(t for t in _items(inbox) if t["link"] == f"report:{first['id']}")
    twice = cli(inbox.config_path, "triage", "apply", str(reply["id"]), "--action", "petition=1200")
    assert twice.exit_code == 1 and f"reports edit {first['id']} --triage {reply['id']}" in twice.output
    edited = cli(inbox.config_path, "reports", "edit", str(first["id"]), "--action", "petition=1200",
                 "--note", "réponse du groupe", "--triage", str(reply["id"]), "--by", "claire")
    assert edited.exit_code == 0, edited.output
    report = next(r for r in inbox.docs("reports") if r["id"] == first["id"])
    assert report["state"] == "corrected"
    assert [a["count"] for a in report["actions"] if a["type"] == "petition"] == [1200]
    [step] = report["history"]
    assert (step["by"], step["change"], step["note"], step["triage"]) == ("claire", "edit", "réponse du groupe",
                                                                         reply["id"])
    assert step["was"]["actions"] == first["actions"]
    done = next(t for t in _items(inbox) if t["id"] == reply["id"])
    assert (done["status"], done["outcome"]) == ("resolved", f"report:{first['id']} corrected")

    deleted = cli(inbox.config_path, "reports", "delete", str(second["id"]), "--note", "compté deux fois")
    assert deleted.exit_code == 0, deleted.output
    listed = [json.loads(line) for line in cli(inbox.config_path, "reports", "list", "--json").output.splitlines()]
    assert [(r["id"], r["state"]) for r in listed] == [(first["id"], "corrected")]
    everything = [json.loads(line) for line in
                  cli(inbox.config_path, "reports", "list", "--all", "--json").output.splitlines()]
    assert {r["id"]: r["state"] for r in everything} == {first["id"]: "corrected", second["id"]: "deleted"}
    out = tmp_path / "r.csv"
    assert cli(inbox.config_path, "reports", "list", "--all", "--csv", str(out)).exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert len(rows) == len(report["actions"])            # the deleted report's actions count nowhere

    for args, words in [(["edit", str(second["id"]), "--action", "petition=3"], "was deleted"),
                        (["delete", str(second["id"])], "was deleted"),
                        (["edit", "999", "--action", "petition=3"], "no report 999"),
                        (["edit", str(first["id"])], "nothing to change"),
                        (["edit", str(first["id"]), "--dossier", "XX-1"], "no dossier 'XX-1'"),
                        (["edit", str(first["id"]), "--action", "petition=1200"], "already says that")]:
        before = _files(inbox)
        result = cli(inbox.config_path, "reports", *args)
        assert result.exit_code == 1 and words in result.output, (args, result.output)
        assert _files(inbox) == before


def test_person_export_and_erase_find_what_the_triage_commands_store(inbox: Inbox, cli) -> None:  # type: ignore[no-untyped-def]
    _poll(inbox, cli, _report())
    item = _item(inbox, UNKNOWN)
    assert cli(inbox.config_path, "triage", "member", str(item["id"]), "--group", "G019",
               "--name", "Mathilde Roussel").exit_code == 0
    assert cli(inbox.config_path, "triage", "apply", str(item["id"]), "--action", "petition=1200").exit_code == 0
    [report] = inbox.docs("reports")
    assert cli(inbox.config_path, "reports", "edit", str(report["id"]), "--note", "dit par Mathilde Roussel",
               "--action", "petition=1300").exit_code == 0
    exported = cli(inbox.config_path, "person", "export", UNKNOWN)
    assert exported.exit_code == 0, exported.output
    assert '"reports"' in exported.output and '"triage"' in exported.output and '"members"' in exported.output
    erased = cli(inbox.config_path, "person", "erase", UNKNOWN, "--yes")
    assert erased.exit_code == 0, erased.output
    text = json.dumps({name: inbox.docs(name) for name in ("reports", "triage", "members", "consents", "outgoing",
                                                           "pending_people", "ack_log")}, ensure_ascii=False)
    assert UNKNOWN not in text and "Mathilde Roussel" not in text
    [report] = inbox.docs("reports")
    assert [a["count"] for a in report["actions"] if a["type"] == "petition"] == [1300]   # the dossier keeps counts


def test_the_prefilled_answer_pasted_back_records_the_reading_as_it_is(inbox: Inbox, cli) -> None:  # type: ignore[no-untyped-def]
    _poll(inbox, cli, fr_dev("010.eml"))       # a report from an unknown sender: four actions, one a fund
    item = _item(inbox, "m.roussel@example.net")
    out = cli(inbox.config_path, "triage", "show", str(item["id"])).output
    line = next(x for x in out.splitlines() if x.strip().startswith("answer:")).split("answer:", 1)[1]
    words = shlex.split(line)
    assert words[:4] == ["mailer", "triage", "apply", str(item["id"])] and "fund=80@" not in line
    assert cli(inbox.config_path, *words[1:]).exit_code == 0
    [report] = inbox.docs("reports")
    assert (report["group"], report["dossier"]) == (item["reading"]["group"], item["reading"]["dossier"])
    assert sorted(map(json.dumps, report["actions"])) == sorted(map(json.dumps, item["reading"]["actions"]))
